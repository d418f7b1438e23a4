/*
 * window.c — the 4 GiB guest window (see window.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include "core/lab.h"
#include "x86/paging.h"
#include "01-binary-translation/window.h"

#define WIN_SIZE  (1ull << 32)
#define WIN_PAGES (1u << 20)

static int reserve(uint8_t *at, uint64_t len)
{
    void *p = mmap(at, len, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (at ? MAP_FIXED : 0), -1, 0);
    return p == MAP_FAILED ? -1 : 0;
}

int win_create(struct window *w, struct guest_ram *ram, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    w->ram = ram;
    for (int v = 0; v < WIN_VIEWS; v++) {
        void *p =
            mmap(NULL, WIN_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        w->mapped[v] = calloc(WIN_PAGES / 8, 1);
        if (p == MAP_FAILED || !w->mapped[v]) {
            snprintf(err, errlen, "window: cannot reserve 4 GiB of address space: %s",
                     strerror(errno));
            if (p != MAP_FAILED)
                munmap(p, WIN_SIZE);
            win_destroy(w);
            return -1;
        }
        w->base[v] = p;
    }
    w->wmapped = calloc((ram->size >> 12) / 8 + 1, 1);
    if (!w->wmapped) {
        snprintf(err, errlen, "window: out of memory");
        win_destroy(w);
        return -1;
    }
    return 0;
}

void win_destroy(struct window *w)
{
    for (int v = 0; v < WIN_VIEWS; v++) {
        if (w->base[v])
            munmap(w->base[v], WIN_SIZE);
        free(w->mapped[v]);
        w->base[v] = NULL;
        w->mapped[v] = NULL;
    }
    free(w->wmapped);
    w->wmapped = NULL;
}

static void set_mapped(struct window *w, int v, uint32_t lin, bool on)
{
    uint32_t pn = lin >> 12;
    if (on)
        w->mapped[v][pn >> 3] |= (uint8_t)(1u << (pn & 7));
    else
        w->mapped[v][pn >> 3] &= (uint8_t) ~(1u << (pn & 7));
}
bool win_is_mapped(const struct window *w, int v, uint32_t lin)
{
    uint32_t pn = lin >> 12;
    return w->mapped[v][pn >> 3] & (1u << (pn & 7));
}

/* The hidden-fault handler: the window is a shadow page table kept by the
 * host MMU.  A guest access through an unmapped window page faults (SIGSEGV,
 * bt_engine.c) and lands here.  With guest paging on, walk the guest's
 * tables (pt_walk, x86/paging.h) with the access's rights (ACC_W for a
 * write, ACC_U in the user view): a failed walk is the guest's own #PF
 * (WIN_TRUE, error code in *pfec); else map the 4 KiB guest-physical page
 * from the RAM memfd (w->ram->fd, offset = gpa) at w->base[view] + page,
 * MAP_SHARED|MAP_FIXED, writable only if the guest allows the write in
 * this view (CR0.WP for the kernel) AND the entry is already dirty (so the
 * first write walks again and sets D), and never if the page holds code
 * (w->is_code).  A fault that mapped the page without the guest noticing
 * is a hidden fault: count it.  Keep w->walk/w->walked and the stats
 * (walks, true_faults, hidden, walk_hidden) and the two bitmaps
 * (set_mapped, w->wmapped) up to date: invlpg, flushes and SMC use them. */
int win_fault(struct window *w, int view, struct x86_cpu *cpu, uint32_t lin, bool write,
              uint32_t *pfec)
{
    /* LAB 1 BEGIN: walk the guest page tables and map the page into the window (win_fault) */
    /* LAB 1 STUB: (void)w; (void)view; (void)cpu; (void)lin; (void)write; (void)pfec; */
    uint32_t page = lin & 0xfffff000u, gpa;
    bool writable = true;
    w->walked = false;
    if (cpu->cr0 & CR0_PG) {
        struct pt_walk walk;
        unsigned acc = (write ? ACC_W : 0) | (view == WIN_USER ? ACC_U : 0);
        bool ok = pt_walk(w->ram, cpu->cr0, cpu->cr3, cpu->cr4, lin, acc, &walk);
        w->walk = walk;
        w->walked = true;
        w->st.walks++;
        if (!ok) {
            *pfec = walk.error_code;
            w->st.true_faults++;
            return WIN_TRUE;
        }
        gpa = walk.gpa & 0xfffff000u;
        /* Writable in the shadow only when the guest allows it for this
         * view AND the entry is already dirty (else the write must walk). */
        bool allowed =
            view == WIN_USER ? walk.user && walk.writable : walk.writable || !(cpu->cr0 & CR0_WP);
        writable = allowed && walk.dirty;
    } else {
        gpa = page;
    }
    if (!gpa_to_hva(w->ram, gpa, 0x1000))
        return WIN_MMIO;
    int ret = WIN_HIDDEN;
    if (writable && w->is_code && w->is_code(w->ctx, gpa))
        writable = false;
    if (write && !writable)
        ret = WIN_CODE; /* allowed, but it must go through the VMM */
    if (ret == WIN_CODE && win_is_mapped(w, view, page))
        return ret; /* already mapped read-only: keep it (an mmap
                                             shoots down every CPU's TLB) */
    void *p = mmap(w->base[view] + page, 0x1000, PROT_READ | (writable ? PROT_WRITE : 0),
                   MAP_SHARED | MAP_FIXED, w->ram->fd, gpa);
    if (p == MAP_FAILED)
        return WIN_ERROR;
    set_mapped(w, view, page, true);
    if (writable)
        w->wmapped[gpa >> 15] |= (uint8_t)(1u << ((gpa >> 12) & 7));
    if (ret == WIN_HIDDEN) {
        w->st.hidden++;
        w->st.walk_hidden += w->walked;
    }
    return ret;
    /* LAB 1 END */
}

void win_code_page(struct window *w, uint32_t gpa)
{
    if (gpa < w->ram->size && (w->wmapped[gpa >> 15] & (1u << ((gpa >> 12) & 7))))
        win_flush(w);
}

void win_mapped_large(struct window *w, int view, uint32_t lin)
{
    w->large[view][lin >> 27] |= 1u << ((lin >> 22) & 31);
}

/* INVLPG drops the translation of the page holding lin: for a 4 MiB guest
 * page that is every 4 KiB piece of it the window mapped. */
void win_invlpg(struct window *w, uint32_t lin)
{
    for (int v = 0; v < WIN_VIEWS; v++) {
        uint32_t page = lin & 0xfffff000u, n = 1;
        uint32_t *large = &w->large[v][lin >> 27], bit = 1u << ((lin >> 22) & 31);
        if (*large & bit) {
            *large &= ~bit;
            page = lin & 0xffc00000u;
            n = 1024;
        }
        for (uint32_t i = 0; i < n; i++, page += 0x1000)
            if (win_is_mapped(w, v, page)) {
                reserve(w->base[v] + page, 0x1000);
                set_mapped(w, v, page, false);
            }
    }
    w->st.invlpg++;
}

void win_flush(struct window *w)
{
    for (int v = 0; v < WIN_VIEWS; v++) {
        reserve(w->base[v], WIN_SIZE);
        memset(w->mapped[v], 0, WIN_PAGES / 8);
        memset(w->large[v], 0, sizeof w->large[v]);
    }
    memset(w->wmapped, 0, (w->ram->size >> 12) / 8 + 1);
    w->st.flushes++;
}
