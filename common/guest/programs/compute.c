/*
 * compute.c — kernel half of the compute benchmark: runs the ring-3 half
 * (compute_user.c) and turns its exit code into PASS/FAIL.
 *
 * The work itself is the shared core in common/guest/compute/: the same
 * source is built as a native Linux i386 program (build/bench/compute.linux32)
 * so an engine's speed on compute-bound code can be compared with the real
 * CPU, and its checksums with the real CPU's (tests/guest/native.sh).
 */
#include "../kernel/program.h"

int compute_user_main(uint32_t iters); /* compute_user.c */

static int compute_prog(struct prog_ctx *ctx)
{
    int rc = run_user("compute", compute_user_main, ctx->iters ? ctx->iters : 1);
    if (rc == 1)
        return prog_fail(ctx, "wrong checksums (see the RESULT line)");
    if (rc >= 128)
        return prog_fail(ctx, "ring-3 task killed by exception %d", rc - 128);
    if (rc != 0)
        return prog_fail(ctx, "ring-3 task exited with %d", rc);
    return 0;
}

PROGRAM("compute", "compute-bound ring-3 benchmark: crc32, list sort, matmul, tokenizer", 5,
        compute_prog);
