/*
 * dirty.c — the accessed and dirty bits of a page-table entry (SDM Vol. 3A
 * §4.8): the CPU sets A in the entry the first time it translates through
 * it, and D the first time it writes through it; a read never sets D.  An
 * operating system reads D to know which pages it must write back.
 *
 * A VMM that maps guest pages itself (shadow page tables, the binary
 * translator's window) must do this for the CPU: a page whose D is clear
 * is mapped read-only even when the guest allows writes, so that the first
 * write faults into the VMM, which sets D in the guest's entry and only
 * then maps the page writable.  This probe reads a page, checks A=1 D=0,
 * writes it and checks D=1, iters times with A and D cleared (and the TLB
 * entry dropped) each time.  A probe: run by name (test=dirty), by lab 1's
 * grader among others.
 */
#include "../kernel/program.h"
#include "../kernel/mm.h"

static int dirty_prog(struct prog_ctx *ctx)
{
    /* A frame of the identity map: its page-table entry exists already
     * (pte_of without create), so no table is allocated and left behind. */
    uint32_t pa = frame_alloc();
    if (!pa)
        return prog_fail(ctx, "no free frame");
    uint32_t *pte = pte_of(read_cr3(), pa, 0);
    if (!pte || PTE_ADDR(*pte) != pa) {
        frame_free(pa);
        return prog_fail(ctx, "frame 0x%x is not identity mapped by a 4 KiB entry", pa);
    }
    uint32_t keep = *pte, no_a = 0, d_on_read = 0, no_d = 0, sum = 0;
    volatile uint32_t *page = (volatile uint32_t *)pa;
    for (uint32_t i = 0; i < ctx->iters; i++) {
        set_pte_invlpg(pte, PTE_ADDR(keep) | PTE_P | PTE_W, pa); /* A = D = 0 */
        sum += page[i & 1023];                                   /* a read   */
        uint32_t e = *pte;
        no_a += !(e & PTE_A);
        d_on_read += !!(e & PTE_D);
        page[(i + 1) & 1023] = i; /* a write: now D must be set */
        no_d += !(*pte & PTE_D);
    }
    set_pte_invlpg(pte, keep, pa);
    frame_free(pa);
    result(ctx, "rounds=%u accessed_missing=%u dirty_on_read=%u dirty_missing=%u sum=%u",
           ctx->iters, no_a, d_on_read, no_d, sum);
    if (no_d)
        return prog_fail(ctx, "%u of %u writes left the entry's dirty bit clear", no_d, ctx->iters);
    if (no_a || d_on_read)
        return prog_fail(ctx, "reads: %u without the accessed bit, %u set the dirty bit", no_a,
                         d_on_read);
    return 0;
}

PROBE("dirty", "read then write a page: A set by the read, D by the write only (probe)", 100,
      dirty_prog);
