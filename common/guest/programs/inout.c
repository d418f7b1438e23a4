/*
 * inout.c — the in/out microbenchmark of Adams & Agesen (ASPLOS 2006):
 * the cost of a port I/O instruction.  On bare metal it is a slow bus
 * cycle; in a VM every in/out must reach the VMM's device model (a VM exit
 * with VT-x, a callout from translated code with BT).  The pairs go to the
 * UART's scratch register, which stores a byte and does nothing else, so
 * each read-back also checks that the write arrived.
 *
 * Measured twice: a loop in ring 0 (this file) and the same loop behind
 * one system call from ring 3 (inout_user.c, SYS_inout).
 */
#include "../kernel/program.h"
#include "../kernel/x86.h"
#include "../compute/div64.h"

/* The 16550's scratch register (COM1 base 0x3F8 + 7): a byte of storage
 * with no side effect, so a write followed by a read must give it back. */
#define UART_SCRATCH_PORT 0x3FF

int inout_user_main(uint32_t iters); /* inout_user.c */

/* n pairs "out (uint8_t)i -> scratch; in scratch"; returns the number of
 * read-backs that differ from the byte written.  (SYS_inout runs the same
 * pattern in the kernel's syscall.c and returns the last byte read.) */
static uint32_t inout_pairs(uint32_t n)
{
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; i++) {
        outb(UART_SCRATCH_PORT, (uint8_t)i);
        bad += inb(UART_SCRATCH_PORT) != (uint8_t)i;
    }
    return bad;
}

static int inout_prog(struct prog_ctx *ctx)
{
    uint32_t n = ctx->iters ? ctx->iters : 1;
    uint64_t t0 = rdtsc();
    uint32_t bad = inout_pairs(n);
    uint64_t cycles = rdtsc() - t0;
    result(ctx, "ring=0 pairs=%u mismatches=%u cycles=%llu cycles_per_pair=%llu", n, bad, cycles,
           udiv64_32(cycles, n));
    if (bad)
        return prog_fail(ctx, "%u of %u scratch-register read-backs differ", bad, n);

    int rc = run_user("inout", inout_user_main, n);
    if (rc >= 128)
        return prog_fail(ctx, "ring-3 task killed by exception %d", rc - 128);
    if (rc != 0)
        return prog_fail(ctx, "SYS_inout from ring 3 gave a wrong read-back");
    return 0;
}

PROGRAM("inout", "in/out pairs on the UART scratch register: ring-0 loop and via SYS_inout", 1000,
        inout_prog);
