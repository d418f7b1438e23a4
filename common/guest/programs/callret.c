/*
 * callret.c — kernel half of the call/ret microbenchmark (Adams & Agesen):
 * runs callret_user.c in ring 3.  call/ret costs nothing special on real
 * hardware or with VT-x, but a binary translator must map every return
 * address (a guest address) to translated code: ret becomes an indirect
 * jump through a lookup.
 */
#include "../kernel/program.h"

int callret_user_main(uint32_t iters); /* callret_user.c */

static int callret_prog(struct prog_ctx *ctx)
{
    int rc = run_user("callret", callret_user_main, ctx->iters ? ctx->iters : 1);
    if (rc >= 128)
        return prog_fail(ctx, "ring-3 task killed by exception %d", rc - 128);
    if (rc != 0)
        return prog_fail(ctx, "the call/ret loop computed a wrong sum");
    return 0;
}

PROGRAM("callret", "call/ret pairs in ring 3, checked by the sum they compute", 100000,
        callret_prog);
