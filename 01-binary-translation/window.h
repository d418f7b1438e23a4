/*
 * window.h — the 4 GiB guest window: the translator's shadow page table.
 *
 * Translated code will address guest memory as gs:[32-bit address] (the
 * 0x67 prefix makes the address wrap at 4 GiB exactly as the guest's does),
 * with gs based at a 4 GiB host reservation.  The reservation starts empty
 * (PROT_NONE): the first access to a page faults (SIGSEGV), the VMM walks
 * the guest page tables and maps the guest-physical page of the RAM memfd
 * there — a *hidden* fault, invisible to the guest — or, when the guest's
 * own tables say no, injects #PF with CR2 — a *true* fault.  The mapping is
 * exactly a shadow page table entry (docs/ARCHITECTURE.md §4, Adams & Agesen §3.2):
 *
 *   - read-only until the guest PTE is dirty and writable, so the first
 *     write faults again and the walk sets D as the hardware would;
 *   - INVLPG unmaps one page, a CR3 write unmaps everything (the expensive
 *     lesson of shadow paging that stage 04 improves on);
 *   - two views, kernel (CPL 0-2) and user (CPL 3), so ring 3 can never
 *     reach a supervisor page through a mapping made for ring 0.
 */
#ifndef BT_WINDOW_H
#define BT_WINDOW_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "core/guest_ram.h"
#include "x86/cpu.h"
#include "x86/paging.h"

enum { WIN_KERNEL, WIN_USER, WIN_VIEWS };
enum { WIN_HIDDEN = 0, WIN_TRUE = 1, WIN_MMIO = 2, WIN_CODE = 3, WIN_ERROR = -1 };

struct win_stats {
    uint64_t hidden;      /* faults resolved by mapping a page         */
    uint64_t true_faults; /* faults the guest sees (#PF)               */
    uint64_t flushes;     /* whole window dropped (CR3 write, ...)     */
    uint64_t invlpg;      /* single pages dropped                      */
    uint64_t walks;       /* faults that walked the guest page tables  */
    uint64_t walk_hidden; /* of those, resolved as hidden faults       */
};

struct window {
    uint8_t *base[WIN_VIEWS];   /* 4 GiB each                          */
    uint8_t *mapped[WIN_VIEWS]; /* bitmap: linear pages mapped         */
    uint8_t *wmapped;           /* bitmap: guest-physical pages mapped
                                      writable somewhere (since the last flush) */
    struct guest_ram *ram;
    /* Does guest-physical page gpa hold translated code?  Such a page is
     * never mapped writable: a store to it must go through the VMM, which
     * invalidates the translations (self-modifying code).  May be NULL. */
    bool (*is_code)(void *ctx, uint32_t gpa);
    void *ctx;
    struct win_stats st;
    /* The guest page-table walk of the last win_fault (walked = false when
     * paging was off: no walk), for the trace (bt_engine.c). */
    struct pt_walk walk;
    bool walked;
    /* bitmap per view: 4 MiB regions holding a page mapped from a 4 MiB
     * guest page (INVLPG drops the whole region, SDM Vol. 3A §4.10.4.1). */
    uint32_t large[WIN_VIEWS][1024 / 32];
};

int win_create(struct window *w, struct guest_ram *ram, char *err, size_t errlen);
void win_destroy(struct window *w);

/* An access to linear address lin in view (write or not) faulted.  Walk the
 * guest tables of cpu (or use lin as the physical address when paging is
 * off) and map the page (WIN_HIDDEN), or return WIN_TRUE with the #PF
 * error code in *pfec (the caller injects it, CR2 = lin), WIN_MMIO when
 * the page is not RAM, WIN_CODE for a write to a page holding code (mapped
 * read-only; the caller emulates these accesses).  WIN_ERROR: mmap failed. */
int win_fault(struct window *w, int view, struct x86_cpu *cpu, uint32_t lin, bool write,
              uint32_t *pfec);
bool win_is_mapped(const struct window *w, int view, uint32_t lin);
/* The page just mapped at lin in view came from a 4 MiB guest page
 * (w->walk.large after win_fault): INVLPG of any address in it drops all. */
void win_mapped_large(struct window *w, int view, uint32_t lin);
void win_invlpg(struct window *w, uint32_t lin); /* both views */
void win_flush(struct window *w);                /* both views */
/* Guest-physical page gpa now holds code: no writable mapping may stay. */
void win_code_page(struct window *w, uint32_t gpa);

#endif
