/*
 * ptemod.c — kernel half of the PTE-modification microbenchmark (Adams &
 * Agesen): the cost of changing a page-table entry (and flushing its TLB
 * entry).  Natively it is a store and an invlpg; under shadow paging the
 * VMM must trap the store to the guest page table to keep its shadow in
 * sync, which is why it was the slowest operation in their measurements.
 * The ring-3 half (ptemod_user.c) drives it through SYS_pte_toggle.
 */
#include "../kernel/program.h"

int ptemod_user_main(uint32_t iters); /* ptemod_user.c */

static int ptemod_prog(struct prog_ctx *ctx)
{
    int rc = run_user("ptemod", ptemod_user_main, ctx->iters ? ctx->iters : 1);
    if (rc >= 128)
        return prog_fail(ctx, "ring-3 task killed by exception %d", rc - 128);
    if (rc != 0)
        return prog_fail(ctx, "%d write-protection check(s) failed", rc);
    return 0;
}

PROGRAM("ptemod",
        "ring 3 toggles a heap page's R/W bit via SYS_pte_toggle; writes fault when read-only", 200,
        ptemod_prog);
