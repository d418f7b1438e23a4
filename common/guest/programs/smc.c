/*
 * smc.c — kernel half of `smc`, the self-modifying-code test: runs the
 * ring-3 half (smc_user.c) and reports.
 *
 * x86 guarantees that a store to code is seen by the next execution of that
 * code, even within the same basic block, without any flush instruction
 * (SDM Vol. 3A §8.1.3, "Handling Self- and Cross-Modifying Code").  A binary
 * translator must therefore notice writes to pages it has translated and
 * throw the stale translations away: this program checks that it does.
 */
#include "../kernel/program.h"

int smc_user_main(uint32_t iters); /* smc_user.c */

static int smc_prog(struct prog_ctx *ctx)
{
    int rc = run_user("smc", smc_user_main, ctx->iters ? ctx->iters : 1);
    if (rc >= 128)
        return prog_fail(ctx, "ring-3 task killed by exception %d", rc - 128);
    if (rc != 0)
        return prog_fail(ctx, "%d self-modifying-code check(s) gave stale results", rc);
    return 0;
}

PROGRAM("smc", "self-modifying code in ring 3: patched stubs, self-patching loop, same-page copies",
        1000, smc_prog);
