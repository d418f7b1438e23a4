/*
 * pagefault — demand-zero paging.  A ring-3 task touches N fresh heap pages
 * (each first touch is a not-present #PF the kernel answers with a zeroed
 * frame), checks they read as zero and that what it writes persists, and
 * times the faults (Adams & Agesen's page-fault microbenchmark).  The
 * kernel checks the fault count and that every frame comes back when the
 * task exits; a second task touching memory outside heap and stack must be
 * killed with 128 + 14.
 */
#include "program.h"
#include "mm.h"

int pagefault_user(uint32_t n);
int pagefault_wild_user(uint32_t addr);
extern volatile struct pf_results {
    uint32_t nonzero, lost, stack_bad;
    uint64_t fault_cycles;
} pf_res;

static int pagefault(struct prog_ctx *ctx)
{
    uint32_t n = ctx->iters;
    uint32_t free0 = mm_free_frames(), faults0 = mm_demand_faults();
    int code = run_user("pagefault", pagefault_user, n);
    uint32_t faults = mm_demand_faults() - faults0;
    uint32_t leaked = free0 - mm_free_frames();
    result(ctx, "pages=%u faults=%u fault_cycles=%llu cycles_per_fault=%llu", n, faults,
           pf_res.fault_cycles, pf_res.fault_cycles / n);
    if (code != 0)
        return prog_fail(ctx, "ring-3 task exited with %d", code);
    if (pf_res.nonzero || pf_res.lost || pf_res.stack_bad)
        return prog_fail(ctx, "%u pages not zero-filled, %u lost their contents, stack bad=%u",
                         pf_res.nonzero, pf_res.lost, pf_res.stack_bad);
    if (faults < n)
        return prog_fail(ctx, "only %u demand faults for %u fresh pages", faults, n);
    if (leaked)
        return prog_fail(ctx, "%u frames not freed when the task exited", leaked);

    /* A true fault: the heap ends at USER_HEAP_END. */
    code = run_user("pf-wild", pagefault_wild_user, 0x80000000u);
    result(ctx, "wild_access=0x80000000 exit=%d", code);
    if (code != 128 + 14)
        return prog_fail(ctx, "access beyond the heap: exit %d, expected 142 (killed by #PF)",
                         code);
    return 0;
}

PROGRAM("pagefault", "demand-zero heap pages touched from ring 3, cycles per fault", 256,
        pagefault);
