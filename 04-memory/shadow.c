/*
 * shadow.c — the cache of shadow address spaces (see shadow.h): one
 * window per guest CR3, found again at a context switch, evicted least
 * recently used; --stats.  Keeping them coherent is shadow_wp.c.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "x86/cpu.h"
#include "x86/tlb.h"
#include "x86/paging.h"
#include "04-memory/shadow.h"
#include "04-memory/shadow_int.h"

static bool space_is_code(void *ctx, uint32_t gpa)
{
    struct shadow_cache *c = ctx;
    return shadow_is_table(c, gpa) || (c->is_code && c->is_code(c->code_ctx, gpa));
}

int shadow_init(struct shadow_cache *c, struct guest_ram *ram, unsigned cap, char *err,
                size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (cap < 1 || cap > SHADOW_MAX) {
        snprintf(err, errlen, "shadow: cache of %u address spaces: expected 1..%d", cap,
                 SHADOW_MAX);
        return -1;
    }
    c->ram = ram;
    c->cap = cap;
    c->npages = (uint32_t)(ram->size >> 12);
    size_t n = c->npages ? c->npages : 1;
    c->pd_users = calloc(n, sizeof *c->pd_users);
    c->pt_users = calloc(n, sizeof *c->pt_users);
    c->pt_index = malloc(n * sizeof *c->pt_index);
    c->flood = calloc(n, 1);
    if (!c->pd_users || !c->pt_users || !c->pt_index || !c->flood)
        goto oom;
    for (size_t i = 0; i < n; i++)
        c->pt_index[i] = -1;
    for (unsigned i = 0; i <= SHADOW_MAX; i++) {
        struct shadow_space *s = &c->sp[i];
        if (i >= cap && i != SHADOW_KERNEL)
            continue;
        if (win_create(&s->win, ram, err, errlen) < 0) {
            shadow_fini(c);
            return -1;
        }
        s->win.is_code = space_is_code;
        s->win.ctx = c;
        for (int v = 0; v < WIN_VIEWS; v++)
            if (!(s->rmap[v] = calloc(n, sizeof *s->rmap[v])))
                goto oom;
    }
    /* Every address space's kernel view is the shared one. */
    struct shadow_space *k = &c->sp[SHADOW_KERNEL];
    k->used = true;
    for (unsigned i = 0; i < cap; i++) {
        c->sp[i].own_kbase = c->sp[i].win.base[WIN_KERNEL];
        c->sp[i].win.base[WIN_KERNEL] = k->win.base[WIN_KERNEL];
    }
    return 0;
oom:
    snprintf(err, errlen, "shadow: out of memory");
    shadow_fini(c);
    return -1;
}

void shadow_fini(struct shadow_cache *c)
{
    for (unsigned i = 0; i <= SHADOW_MAX; i++) {
        if (c->sp[i].own_kbase) /* the alias is the kernel view's to unmap */
            c->sp[i].win.base[WIN_KERNEL] = c->sp[i].own_kbase;
        c->sp[i].own_kbase = NULL;
        win_destroy(&c->sp[i].win);
        for (int v = 0; v < WIN_VIEWS; v++) {
            free(c->sp[i].rmap[v]);
            c->sp[i].rmap[v] = NULL;
        }
    }
    free(c->pd_users);
    free(c->pt_users);
    free(c->pt_index);
    free(c->flood);
    c->pd_users = c->pt_users = NULL;
    c->pt_index = NULL;
    c->flood = NULL;
}

/* Unmap all of s's view (an address space's user view, or the kernel
 * view): what win_flush does, for the one view s owns. */
void space_flush(struct shadow_cache *c, struct shadow_space *s)
{
    int v = s == &c->sp[SHADOW_KERNEL] ? WIN_KERNEL : WIN_USER;
    struct window *w = &s->win;
    mmap(w->base[v], 1ull << 32, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
         -1, 0);
    memset(w->mapped[v], 0, (1u << 20) / 8);
    memset(w->large[v], 0, sizeof w->large[v]);
    memset(w->wmapped, 0, c->npages / 8 + 1);
    memset(s->rmap[v], 0, c->npages * sizeof *s->rmap[v]);
    if (v == WIN_KERNEL)
        memset(c->kregions, 0, sizeof c->kregions);
    w->st.flushes++;
}

/* Drop everything space s maps and forget it used any guest table. */
void space_release(struct shadow_cache *c, struct shadow_space *s)
{
    if (!s->used)
        return;
    space_flush(c, s);
    uint16_t bit = (uint16_t)(1u << (s - c->sp));
    for (uint32_t p = 0; p < c->npages; p++) {
        if (!((c->pd_users[p] | c->pt_users[p]) & bit))
            continue;
        c->pd_users[p] &= (uint16_t)~bit;
        c->pt_users[p] &= (uint16_t)~bit;
        if (!c->pd_users[p] && !c->pt_users[p])
            table_unwatch(c, p << 12);
    }
    s->used = s == &c->sp[SHADOW_KERNEL]; /* the kernel view stays */
    if (c->cur == s)
        c->cur = NULL;
}

static void release_all(struct shadow_cache *c)
{
    for (unsigned i = 0; i <= SHADOW_MAX; i++)
        space_release(c, &c->sp[i]);
    c->nglobals = 0;
    c->st.mode_flushes++;
}

/* The cached shadow of (paged, cr3), or a slot for it: a free one, else
 * the least recently used (an eviction). */
static struct shadow_space *lookup(struct shadow_cache *c, bool paged, uint32_t cr3, bool *hit)
{
    struct shadow_space *lru = NULL, *free_slot = NULL;
    for (unsigned i = 0; i < c->cap; i++) {
        struct shadow_space *s = &c->sp[i];
        if (s->used && s->paged == paged && s->cr3 == cr3) {
            *hit = true;
            return s;
        }
        if (!s->used && !free_slot)
            free_slot = s;
        if (s->used && (!lru || s->stamp < lru->stamp))
            lru = s;
    }
    *hit = false;
    if (free_slot)
        return free_slot;
    c->st.evictions++;
    shadow_event(c, TRACE_MMU_EVICT, 0, lru->cr3, cr3, 0);
    space_release(c, lru);
    return lru;
}

/* The kernel view follows the new directory: a region whose directory
 * entry differs from the one its mappings came from is dropped; paging
 * turned on or off drops it all. */
static void kernel_follow(struct shadow_cache *c, bool paged, uint32_t cr3)
{
    struct shadow_space *k = &c->sp[SHADOW_KERNEL];
    bool zapped = false;
    if (paged != c->kpaged) {
        space_flush(c, k);
        c->kpaged = paged;
        zapped = true;
    }
    for (unsigned w = 0; paged && w < 32; w++)
        for (uint32_t bits = c->kregions[w]; bits; bits &= bits - 1) {
            unsigned r = w * 32 + (unsigned)__builtin_ctz(bits);
            const uint32_t *pde = gpa_to_hva(c->ram, cr3 + 4 * r, 4);
            if (pde && ((*pde & ~(PTE_A | PTE_D)) == c->kpde[r]))
                continue;
            kernel_zap(c, r);
            c->st.kernel_zaps++;
            zapped = true;
        }
    if (zapped)
        globals_fill(c, k);
    else
        c->st.kernel_kept++;
}

struct window *shadow_switch(struct shadow_cache *c, uint32_t cr0, uint32_t cr3, uint32_t cr4)
{
    bool paged = cr0 & CR0_PG;
    uint32_t wp = cr0 & CR0_WP, pse_pge = cr4 & (CR4_PSE | CR4_PGE);
    c->st.switches++;
    if (wp != c->wp || pse_pge != c->pse_pge) {
        release_all(c);
        c->wp = wp;
        c->pse_pge = pse_pge;
    }
    cr3 = paged ? cr3 & PAGE_MASK : 0;
    bool hit;
    struct shadow_space *s = lookup(c, paged, cr3, &hit);
    s->stamp = ++c->clock;
    c->cur = s;
    kernel_follow(c, paged, cr3);
    if (hit) {
        c->st.hits++;
        return &s->win;
    }
    c->st.misses++;
    s->used = true;
    s->paged = paged;
    s->cr3 = cr3;
    if (paged) { /* its directory is a table from the start */
        table_use(c, s, cr3, true, 0);
        globals_fill(c, s);
    }
    return &s->win;
}

bool shadow_is_table(const struct shadow_cache *c, uint32_t gpa)
{
    uint32_t p = gpa >> 12;
    return p < c->npages && (c->pd_users[p] || c->pt_users[p]);
}

void shadow_win_stats(const struct shadow_cache *c, struct win_stats *sum)
{
    memset(sum, 0, sizeof *sum);
    for (unsigned i = 0; i <= SHADOW_MAX; i++) {
        const struct win_stats *w = &c->sp[i].win.st;
        sum->hidden += w->hidden;
        sum->true_faults += w->true_faults;
        sum->flushes += w->flushes;
        sum->invlpg += w->invlpg;
        sum->walks += w->walks;
        sum->walk_hidden += w->walk_hidden;
    }
}

/* What the shadows cost: the host page tables behind the windows (one
 * page-table page per 2 MiB holding a mapping, one directory page per
 * 1 GiB, x86-64 4-level paging) and the VMM's own bookkeeping. */
void shadow_memory(const struct shadow_cache *c, struct shadow_memory *m)
{
    memset(m, 0, sizeof *m);
    uint64_t per_page = 2 * sizeof(uint16_t) + sizeof(int16_t) + 1;
    m->book_bytes = c->npages * per_page;
    for (unsigned i = 0; i <= SHADOW_MAX; i++) {
        const struct shadow_space *s = &c->sp[i];
        if (i >= c->cap && i != SHADOW_KERNEL)
            continue;
        m->book_bytes +=
            WIN_VIEWS * ((1u << 20) / 8 + c->npages * sizeof(uint32_t)) + c->npages / 8 + 1;
        if (!s->used)
            continue;
        m->spaces += i != SHADOW_KERNEL;
        for (int v = 0; v < WIN_VIEWS; v++) {
            const uint64_t *bits = (const uint64_t *)s->win.mapped[v];
            for (unsigned gb = 0; gb < 4; gb++) { /* 1 GiB: 512 x 2 MiB */
                bool any_gb = false;
                for (unsigned r = 0; r < 512; r++) {
                    const uint64_t *reg = bits + (gb * 512 + r) * 8; /* 512 pages */
                    uint64_t n = 0;
                    for (int k = 0; k < 8; k++)
                        n += (uint64_t)__builtin_popcountll(reg[k]);
                    if (n) {
                        m->mapped += n;
                        m->table_bytes += 4096;
                        any_gb = true;
                    }
                }
                m->table_bytes += any_gb ? 4096 : 0;
            }
        }
    }
}

void shadow_print_stats(const struct shadow_cache *c, FILE *out)
{
    const struct shadow_stats *s = &c->st;
    struct shadow_memory m;
    shadow_memory(c, &m);
    fprintf(out,
            "shadow: %llu address-space switches: %llu hits, %llu misses, %llu evictions "
            "(cache of %u, LRU), %llu mode flushes\n",
            (unsigned long long)s->switches, (unsigned long long)s->hits,
            (unsigned long long)s->misses, (unsigned long long)s->evictions, c->cap,
            (unsigned long long)s->mode_flushes);
    fprintf(out,
            "shadow: write protection: %llu tables watched, %llu writable mappings revoked; "
            "%llu guest table writes trapped, %llu shadow entries dropped, "
            "%llu shadows dropped, %llu tables unsynced (write flooding); "
            "%llu global pages kept; kernel view kept whole at %llu switches, "
            "%llu of its 4 MiB regions dropped\n",
            (unsigned long long)s->protected_, (unsigned long long)s->revoked,
            (unsigned long long)s->wp_writes, (unsigned long long)s->zapped,
            (unsigned long long)s->zap_flushes, (unsigned long long)s->unsynced,
            (unsigned long long)s->global_kept, (unsigned long long)s->kernel_kept,
            (unsigned long long)s->kernel_zaps);
    fprintf(out,
            "shadow: memory: %llu shadows cached, %llu pages mapped, %llu KiB of host page "
            "tables, %llu KiB of bookkeeping\n",
            (unsigned long long)m.spaces, (unsigned long long)m.mapped,
            (unsigned long long)(m.table_bytes >> 10), (unsigned long long)(m.book_bytes >> 10));
}
