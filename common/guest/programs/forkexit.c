/*
 * forkexit — address spaces built and torn down, one after another: the
 * kernel spawns a ring-3 task (a new page directory; kernel and user image
 * shared, heap and stack private and demand-zero), the task touches a few
 * heap pages and exits, the kernel frees its frames and tables; N times.
 * It stands for fork + exit + wait (the native column of
 * tests/bench/shadow.sh).  Under shadow paging every new address space is
 * a shadow to build, and every freed table one to stop write-protecting
 * (04-memory/README.md).  Cycles per spawn; no frame may leak.
 */
#include "program.h"
#include "mm.h"

int forkexit_user(uint32_t i); /* forkexit_user.c */

static int forkexit(struct prog_ctx *ctx)
{
    uint32_t n = ctx->iters, bad = 0, free0 = mm_free_frames();
    uint64_t t0 = rdtsc();
    for (uint32_t i = 0; i < n; i++)
        bad += run_user("child", forkexit_user, i) != (int)(i & 0x3f);
    uint64_t cycles = rdtsc() - t0;
    uint32_t leaked = free0 - mm_free_frames();
    result(ctx, "spawns=%u cycles=%llu cycles_per_spawn=%llu", n, cycles, cycles / n);
    if (bad)
        return prog_fail(ctx, "%u of %u children exited with the wrong code", bad, n);
    if (leaked)
        return prog_fail(ctx, "%u frames not freed after %u address spaces", leaked, n);
    return 0;
}

PROGRAM("forkexit", "ring-3 tasks spawned, run and reaped in turn (address spaces built and freed)",
        100, forkexit);
