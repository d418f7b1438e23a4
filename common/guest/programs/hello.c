/*
 * hello — the smallest program: a greeting from ring 0, then one from a
 * ring-3 task (programs/hello_user.c) through SYS_write, whose exit code
 * comes back to the kernel.
 */
#include "program.h"

int hello_user(uint32_t arg);

static int hello(struct prog_ctx *ctx)
{
    kprintf("Hello from the vmlab guest kernel (ring 0)!\n");
    int code = run_user("hello", hello_user, 42);
    result(ctx, "user_exit=%d", code);
    if (code != 42)
        return prog_fail(ctx, "ring-3 task exited with %d, expected 42", code);
    return 0;
}

PROGRAM("hello", "print a greeting from ring 0 and from a ring-3 task", 1, hello);
