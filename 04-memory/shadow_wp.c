/*
 * shadow_wp.c — keeping cached shadows coherent (shadow.h): the guest
 * tables a shadow was built from are write-protected, a trapped store
 * drops the shadow entries it changes, a table flooded with writes is
 * unsynced, global pages are carried into new shadows.
 *
 * A shadow entry here is a 4 KiB page mapped in a window (window.h); to
 * drop one is to map PROT_NONE over it, so the next access takes a hidden
 * fault and walks the guest's tables as they are now.
 */
#include <string.h>
#include <sys/mman.h>
#include "x86/cpu.h"
#include "x86/tlb.h"
#include "x86/paging.h"
#include "04-memory/shadow.h"
#include "04-memory/shadow_int.h"

static uint16_t bit_of(const struct shadow_cache *c, const struct shadow_space *s)
{
    return (uint16_t)(1u << (s - c->sp));
}

static void clear_mapped(struct window *w, int v, uint32_t lin)
{
    w->mapped[v][lin >> 15] &= (uint8_t) ~(1u << ((lin >> 12) & 7));
}

/* Drop the shadow entry of linear page lin in s (both views). */
static void zap_page(struct shadow_cache *c, struct shadow_space *s, uint32_t lin)
{
    for (int v = 0; v < WIN_VIEWS; v++)
        if (win_is_mapped(&s->win, v, lin)) {
            mmap(s->win.base[v] + lin, 0x1000, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
            clear_mapped(&s->win, v, lin);
            c->st.zapped++;
        }
}

/* Drop the shadow entries of the 4 MiB at lin (a directory entry's). */
static void zap_region(struct shadow_cache *c, struct shadow_space *s, uint32_t lin)
{
    lin &= 0xffc00000u;
    for (int v = 0; v < WIN_VIEWS; v++) {
        uint8_t *bits = s->win.mapped[v] + (lin >> 15); /* 1024 pages: 128 bytes */
        uint64_t n = 0;
        for (int k = 0; k < 128; k++)
            n += (uint64_t)__builtin_popcount(bits[k]);
        s->win.large[v][lin >> 27] &= ~(1u << ((lin >> 22) & 31));
        if (!n)
            continue;
        mmap(s->win.base[v] + lin, 0x400000, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
        memset(bits, 0, 128);
        c->st.zapped += n;
    }
}

/* Drop all of s but keep it cached (its tables stay watched). */
static void zap_all(struct shadow_cache *c, struct shadow_space *s)
{
    space_flush(c, s);
    c->st.zap_flushes++;
}

void kernel_zap(struct shadow_cache *c, unsigned r)
{
    zap_region(c, &c->sp[SHADOW_KERNEL], r << 22);
    c->kregions[r >> 5] &= ~(1u << (r & 31));
}

/* Page gpa was just mapped at linear page lin in view v of s. */
static void rmap_note(struct shadow_cache *c, struct shadow_space *s, int v, uint32_t gpa,
                      uint32_t lin)
{
    uint32_t p = gpa >> 12;
    if (p >= c->npages)
        return;
    uint32_t old = s->rmap[v][p];
    if (!old || old == lin + 1 || (old != RMAP_MANY && !win_is_mapped(&s->win, v, old - 1)))
        s->rmap[v][p] = lin + 1;
    else
        s->rmap[v][p] = RMAP_MANY;
}

void shadow_protect(struct shadow_cache *c, uint32_t gpa)
{
    uint32_t p = gpa >> 12;
    if (p >= c->npages)
        return;
    for (unsigned i = 0; i <= SHADOW_MAX; i++) {
        struct shadow_space *s = &c->sp[i];
        uint8_t *wm = &s->win.wmapped[p >> 3], b = (uint8_t)(1u << (p & 7));
        if (!s->used || !(*wm & b))
            continue;
        for (int v = 0; v < WIN_VIEWS; v++) {
            uint32_t r = s->rmap[v][p];
            if (r == RMAP_MANY) { /* aliases we did not keep: drop them all */
                zap_all(c, s);
                break;
            }
            if (r && win_is_mapped(&s->win, v, r - 1)) {
                mprotect(s->win.base[v] + (r - 1), 0x1000, PROT_READ);
                c->st.revoked++;
            }
        }
        *wm &= (uint8_t)~b;
    }
}

void table_use(struct shadow_cache *c, struct shadow_space *s, uint32_t gpa, bool pd, int pde)
{
    uint32_t p = gpa >> 12;
    if (p >= c->npages)
        return;
    uint16_t bit = bit_of(c, s);
    bool watched = c->pd_users[p] || c->pt_users[p];
    if (pd) {
        c->pd_users[p] |= bit;
    } else {
        c->pt_users[p] |= bit;
        if (c->pt_index[p] == -1)
            c->pt_index[p] = (int16_t)pde;
        else if (c->pt_index[p] != pde)
            c->pt_index[p] = -2; /* a table under several directory entries */
    }
    c->flood[p] = 0;
    if (watched)
        return;
    c->st.protected_++;
    if (c->watch)
        c->watch(c->watch_ctx, gpa & PAGE_MASK, true);
    shadow_protect(c, gpa);
}

void table_unwatch(struct shadow_cache *c, uint32_t gpa)
{
    uint32_t p = gpa >> 12;
    c->pt_index[p] = -1;
    c->flood[p] = 0;
    if (c->watch)
        c->watch(c->watch_ctx, gpa & PAGE_MASK, false);
}

/* ---- global pages (CR4.PGE, G=1: SDM Vol. 3A §4.10.2.4) ---------------------------- */
static void global_note(struct shadow_cache *c, int view, uint32_t lin, uint32_t gpa, uint32_t pt)
{
    for (unsigned i = 0; i < c->nglobals; i++)
        if (c->globals[i].lin == lin && c->globals[i].view == view) {
            c->globals[i].gpa = gpa;
            c->globals[i].pt = pt;
            return;
        }
    if (c->nglobals < SHADOW_GLOBALS)
        c->globals[c->nglobals++] = (struct shadow_global){ lin, gpa, pt, view };
}

/* Forget the global pages in [lin, lin + len) (all of them for len 0),
 * dropping them from every shadow. */
static void globals_drop(struct shadow_cache *c, uint32_t lin, uint32_t len)
{
    for (unsigned i = 0; i < c->nglobals;) {
        struct shadow_global *g = &c->globals[i];
        if (len && (g->lin < lin || g->lin - lin >= len)) {
            i++;
            continue;
        }
        for (unsigned k = 0; k <= SHADOW_MAX; k++)
            if (c->sp[k].used)
                zap_page(c, &c->sp[k], g->lin);
        *g = c->globals[--c->nglobals];
    }
}

void globals_fill(struct shadow_cache *c, struct shadow_space *s)
{
    bool kernel = s == &c->sp[SHADOW_KERNEL];
    for (unsigned i = 0; i < c->nglobals; i++) {
        const struct shadow_global *g = &c->globals[i];
        if (kernel != (g->view == WIN_KERNEL)) /* the view s owns */
            continue;
        /* Read-only: a write faults, walks and sets D as usual. */
        if (mmap(s->win.base[g->view] + g->lin, 0x1000, PROT_READ, MAP_SHARED | MAP_FIXED,
                 c->ram->fd, g->gpa) == MAP_FAILED)
            continue;
        s->win.mapped[g->view][g->lin >> 15] |= (uint8_t)(1u << ((g->lin >> 12) & 7));
        if (kernel)
            c->kregions[g->lin >> 27] |= 1u << ((g->lin >> 22) & 31);
        rmap_note(c, s, g->view, g->gpa, g->lin);
        if (g->pt)
            table_use(c, s, g->pt, false, (int)(g->lin >> 22));
        c->st.global_kept++;
    }
}

/* ---- faults, INVLPG, trapped writes ---------------------------------------------- */
/* The kernel view is the shared space's; the walk is copied to the
 * current space's window, where the translator reads it (bt_fault.c). */
int shadow_fault(struct shadow_cache *c, int view, struct x86_cpu *cpu, uint32_t lin, bool write,
                 uint32_t *pfec)
{
    bool kernel = view == WIN_KERNEL;
    struct shadow_space *s = kernel ? &c->sp[SHADOW_KERNEL] : c->cur;
    struct window *w = &s->win;
    int r = win_fault(w, view, cpu, lin, write, pfec);
    if (kernel) {
        c->cur->win.walk = w->walk;
        c->cur->win.walked = w->walked;
        if (w->walked && w->walk.ok && w->walk.large)
            win_mapped_large(w, view, lin);
    }
    if (r != WIN_HIDDEN && r != WIN_CODE)
        return r;
    uint32_t page = lin & PAGE_MASK, gpa = w->walked ? w->walk.gpa & PAGE_MASK : page;
    rmap_note(c, s, view, gpa, page); /* first: table_use may revoke it */
    if (kernel) {                     /* the region now holds a mapping made from this PDE */
        c->kregions[lin >> 27] |= 1u << ((lin >> 22) & 31);
        if (w->walked)
            c->kpde[lin >> 22] = w->walk.ref[0].entry & ~(PTE_A | PTE_D);
    }
    if (!w->walked)
        return r;
    uint32_t pt = w->walk.nrefs == 2 ? w->walk.ref[1].table & PAGE_MASK : 0;
    table_use(c, c->cur, w->walk.ref[0].table & PAGE_MASK, true, 0);
    if (pt)
        table_use(c, s, pt, false, (int)(lin >> 22));
    if (w->walk.global)
        global_note(c, view, page, gpa, pt);
    return r;
}

void shadow_invlpg(struct shadow_cache *c, uint32_t lin)
{
    if (c->cur)
        win_invlpg(&c->cur->win, lin);
    win_invlpg(&c->sp[SHADOW_KERNEL].win, lin);
    globals_drop(c, lin & PAGE_MASK, 0x1000);
}

/* A table written SHADOW_FLOOD times with no walk through it: stop
 * watching it; what it mapped is dropped and will be walked again (and
 * the table watched again if it still is one).  A directory is only
 * unsynced when it is not the running address space's: that shadow is
 * then dropped (the address space is most likely gone). */
static void unsync(struct shadow_cache *c, uint32_t p)
{
    uint64_t zapped = c->st.zapped;
    c->st.unsynced++;
    for (unsigned i = 0; i <= SHADOW_MAX; i++) {
        struct shadow_space *s = &c->sp[i];
        uint16_t bit = bit_of(c, s);
        if (!s->used)
            continue;
        if (c->pd_users[p] & bit)
            space_release(c, s);
        else if ((c->pt_users[p] & bit) && c->pt_index[p] >= 0)
            zap_region(c, s, (uint32_t)c->pt_index[p] << 22);
        else if (c->pt_users[p] & bit)
            zap_all(c, s);
    }
    if (c->pd_users[p] || c->pt_users[p]) {
        c->pt_users[p] = 0;
        if (!c->pd_users[p])
            table_unwatch(c, p << 12);
    }
    for (unsigned i = 0; i < c->nglobals;)
        if (c->globals[i].pt >> 12 == p)
            c->globals[i] = c->globals[--c->nglobals];
        else
            i++;
    shadow_event(c, TRACE_MMU_UNSYNC, 0, (uint64_t)p << 12, 0, c->st.zapped - zapped);
}

void shadow_pt_write(struct shadow_cache *c, uint32_t gpa, uint32_t len)
{
    uint32_t p = gpa >> 12;
    if (p >= c->npages || !(c->pd_users[p] | c->pt_users[p]) || !len)
        return;
    c->st.wp_writes++;
    bool pde = c->pd_users[p];
    shadow_event(c, TRACE_MMU_WP_FAULT, pde ? TRACE_F_MMU_PDE : 0, gpa, 0, 0);
    uint64_t zapped = c->st.zapped;
    uint16_t running = c->cur ? bit_of(c, c->cur) : 0;
    if (!(c->pd_users[p] & running) && ++c->flood[p] >= SHADOW_FLOOD) {
        unsync(c, p);
        return;
    }
    uint32_t first = (gpa & 0xfff) >> 2, last = ((gpa & 0xfff) + len - 1) >> 2;
    if (last > 1023)
        last = 1023;
    for (unsigned i = 0; i <= SHADOW_MAX; i++) {
        struct shadow_space *s = &c->sp[i];
        uint16_t bit = bit_of(c, s);
        if (!s->used || !((c->pd_users[p] | c->pt_users[p]) & bit))
            continue;
        for (uint32_t e = first; e <= last; e++) {
            if (c->pd_users[p] & bit) /* a directory entry: its 4 MiB */
                zap_region(c, s, e << 22);
            if ((c->pt_users[p] & bit) && c->pt_index[p] >= 0)
                zap_page(c, s, (uint32_t)c->pt_index[p] << 22 | e << 12);
        }
        if ((c->pt_users[p] & bit) && c->pt_index[p] == -2)
            zap_all(c, s);
    }
    /* The kernel view follows the running directory. */
    if (c->cur && c->cur->paged && p == c->cur->cr3 >> 12)
        for (uint32_t e = first; e <= last; e++)
            kernel_zap(c, e);
    /* The write is propagated: what the entry mapped (a PDE: its 4 MiB). */
    uint32_t lin = pde                   ? first << 22
                   : c->pt_index[p] >= 0 ? (uint32_t)c->pt_index[p] << 22 | first << 12
                                         : 0;
    if (c->st.zapped != zapped) /* the write changed what a shadow maps */
        shadow_event(c, TRACE_MMU_SYNC, pde ? TRACE_F_MMU_PDE : 0, gpa, lin, c->st.zapped - zapped);
    /* Global pages the entry maps are not carried into new shadows. */
    for (uint32_t e = first; e <= last; e++) {
        if (c->pd_users[p])
            globals_drop(c, e << 22, 0x400000);
        for (unsigned i = 0; i < c->nglobals; i++)
            if (c->globals[i].pt >> 12 == p && ((c->globals[i].lin >> 12) & 1023) == e) {
                globals_drop(c, c->globals[i].lin, 0x1000);
                break;
            }
    }
}
