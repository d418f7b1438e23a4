/*
 * lmsw.c — LMSW, the 80286's "load machine status word": it loads CR0's
 * bits 0-3 (PE, MP, EM, TS) from its operand, but can only set PE, never
 * clear it (SDM Vol. 2A "LMSW": leaving protected mode takes MOV to CR0).
 * A VMM that emulates LMSW (a VM exit when it owns one of those bits
 * through the CR0 guest/host mask, SDM Vol. 3C §26.1.3) must keep PE.
 *
 * The probe, in ring 0 with PE and PG set, runs LMSW with an operand whose
 * PE is 0 and whose TS differs from CR0's, then reads CR0: PE must still be
 * 1 and TS the operand's; then restores TS.  A probe: run by name
 * (test=lmsw), by lab 3's grader.
 */
#include "../kernel/program.h"
#include "../kernel/x86.h"

#define CR0_PE 0x1u
#define CR0_TS 0x8u

static inline void lmsw(uint16_t msw) { __asm__ volatile("lmsw %0" ::"r"(msw) : "memory"); }

static int lmsw_prog(struct prog_ctx *ctx)
{
    uint32_t cr0 = read_cr0(), pe_lost = 0, ts_wrong = 0;
    if (!(cr0 & CR0_PE))
        return prog_fail(ctx, "CR0.PE is clear before the probe (CR0 0x%x)", cr0);
    for (uint32_t i = 0; i < ctx->iters; i++) {
        uint16_t msw = (uint16_t)((cr0 & 0xe) ^ CR0_TS); /* PE 0, TS flipped */
        lmsw(msw);
        uint32_t now = read_cr0();
        lmsw((uint16_t)(cr0 & 0xf)); /* TS back (PE 1: no change) */
        pe_lost += !(now & CR0_PE);
        ts_wrong += (now & CR0_TS) != (msw & CR0_TS);
    }
    uint32_t end = read_cr0();
    result(ctx, "rounds=%u pe_cleared=%u ts_not_loaded=%u cr0=0x%x", ctx->iters, pe_lost, ts_wrong,
           end);
    if (pe_lost)
        return prog_fail(ctx, "LMSW with PE=0 cleared CR0.PE %u times (it can only set PE)",
                         pe_lost);
    if (ts_wrong || end != cr0)
        return prog_fail(ctx, "LMSW did not load TS %u times; CR0 0x%x at the end, 0x%x before",
                         ts_wrong, end, cr0);
    return 0;
}

PROBE("lmsw", "LMSW with PE=0 keeps CR0.PE (it cannot leave protected mode), loads TS (probe)", 100,
      lmsw_prog);
