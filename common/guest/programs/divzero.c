/*
 * divzero.c — kernel half of the divide-by-zero microbenchmark (Adams &
 * Agesen): the round trip of an exception raised in ring 3, delivered by
 * the kernel to a user handler (SYS_fault_handler) and resumed.  In a VM
 * the #DE goes to the guest kernel directly with VT-x, but through the VMM
 * with binary translation or trap-and-emulate.
 */
#include "../kernel/program.h"

int divzero_user_main(uint32_t iters); /* divzero_user.c */

static int divzero_prog(struct prog_ctx *ctx)
{
    int rc = run_user("divzero", divzero_user_main, ctx->iters ? ctx->iters : 1);
    if (rc >= 128)
        return prog_fail(ctx, "ring-3 task killed by exception %d", rc - 128);
    if (rc != 0)
        return prog_fail(ctx, "%d divisions by zero were not delivered as #DE at the div", rc);
    return 0;
}

PROGRAM("divzero", "ring-3 #DE delivered to a user handler and resumed, n times", 200,
        divzero_prog);
