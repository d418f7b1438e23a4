/*
 * pvirq — the virtual interrupt flag, from the guest's side (PV build only,
 * a probe: lab 2's grader runs it by name).  The kernel's cli is a store
 * of 0 to vif in the shared page (include/vmlab_pv.h); the VMM must hold
 * interrupts back while it is 0 and say so in pending, and HC_IRQ_ENABLE
 * must turn vif on and let the held interrupt in (lguest's
 * LHCALL_SEND_INTERRUPTS, Xen's xen_irq_enable).  Each round:
 *   vif = 0, spin until pending is set (no tick may come in meanwhile);
 *   HC_IRQ_ENABLE (even rounds after vif = 1, odd rounds without: the call
 *   alone is the sti) -> 1, pending 0, vif 1, and the held tick comes in;
 *   HC_IRQ_ENABLE again with nothing pending -> 0.
 * Every check is counted, not timed: the spins end on an event, bounded by
 * 200 timer periods (a safety net a correct VMM never reaches, as the
 * grader's --timeout).  The RESULT line gives the count of each failure.
 */
#ifdef VMLAB_PV
#include "program.h"

#define ROUNDS 20

/* Spin until *flag is nonzero or the tick count leaves t0; 1 if the tick
 * count moved, 0 if only the flag was set, -1 after the safety bound. */
static int spin(volatile uint32_t *flag, uint32_t t0)
{
    uint64_t c0 = rdtsc(), limit = 200 * tsc_per_tick();
    while (!*flag && timer_ticks() == t0)
        if (rdtsc() - c0 > limit)
            return -1;
    return timer_ticks() != t0;
}

static int pvirq(struct prog_ctx *ctx)
{
    static volatile uint32_t never;
    uint32_t rounds = 0, leaked = 0, no_pending = 0, not_one = 0, pending_left = 0;
    uint32_t vif_off = 0, no_tick = 0, idle_not_zero = 0;
    hypercall0(HC_BLOCK); /* IF=1 from here on, as after any idle wait */
    for (int i = 0; i < ROUNDS; i++) {
        pv_cli();
        uint32_t t0 = timer_ticks();
        int w = spin(&pv_shared.pending, t0);
        if (w != 0) { /* a tick through vif = 0, or no pending at all */
            w > 0 ? leaked++ : no_pending++;
            break;
        }
        if (i % 2 == 0)
            pv_shared.vif = 1;
        int32_t r = hypercall0(HC_IRQ_ENABLE);
        not_one += r != 1;
        pending_left += pv_shared.pending != 0;
        vif_off += pv_shared.vif != 1;
        pv_shared.vif = 1;
        if (spin(&never, t0) < 0) { /* the held tick must come in now */
            no_tick++;
            break;
        }
        /* vif is 1: the VMM holds nothing back, so nothing is pending. */
        idle_not_zero += hypercall0(HC_IRQ_ENABLE) != 0;
        rounds++;
    }
    pv_cli();
    result(ctx,
           "rounds=%u leaked=%u no_pending=%u not_one=%u pending_left=%u vif_off=%u "
           "no_tick=%u idle_not_zero=%u",
           rounds, leaked, no_pending, not_one, pending_left, vif_off, no_tick, idle_not_zero);
    if (rounds != ROUNDS || not_one || pending_left || vif_off || idle_not_zero)
        return prog_fail(ctx, "the virtual IF: %u of %d rounds ran, a check failed (RESULT)",
                         rounds, ROUNDS);
    return 0;
}

PROBE("pvirq", "the virtual IF: held while off, let in by HC_IRQ_ENABLE (PV only)", 1, pvirq);
#endif
