/*
 * vm_irq.c — device time and interrupts of one VM: what the engines poll
 * (vm_irq_pending, vm_irq_ack), what advances the devices' clocks (the
 * PIT and its lost-tick policy, the RTC, the UART, the local APIC timer),
 * and the sleep of a halted CPU until one of them has an interrupt
 * (vm_wait_for_interrupt).  The rest of the VM is vm.c.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include "core/vm.h"
#include "core/vm_int.h"
#include "core/vm_report.h"

/* The devices besides the PIT that raise interrupts as time passes: the
 * RTC's update and periodic flags (IRQ 8), the UART's typed input and
 * receive timeout (IRQ 4).  With device time (below), at every exit the
 * run loop handles and in the HLT wait; both also catch up at each
 * access to their ports. */
void vm_poll_devices(struct vm *vm)
{
    rtc_update(&vm->rtc);
    if (vm->cin) { /* typed input, as fast as the receiver takes it */
        uint8_t b[UART_RX_FIFO];
        int n = console_in_take(vm->cin, b, uart_rx_room(&vm->uart));
        for (int i = 0; i < n; i++)
            uart_receive(&vm->uart, b[i]);
    }
    uart_update(&vm->uart);
}

/* Device time read at now: restart the throttle, raise due PIT edges
 * and the other devices' timed interrupts. */
static bool advance_time(struct vm *vm, uint64_t now)
{
    vm->poll_count = 0;
    vm->poll_ns = now;
    ticks_update(&vm->ticks, &vm->pit, &vm->irqchip);
    vm_poll_devices(vm);
    return irqchip_pending(&vm->irqchip);
}

static bool controller_pending(struct vm *vm)
{
    /* Reading the clock costs ~20 ns; polled at every block boundary that
     * would dominate a fast engine, so device time advances every 16th
     * poll (a few microseconds late at most, against a 10 ms tick).  A
     * slow engine (bt under --check, a ring-3 loop of system calls, whose
     * kernel half runs with IF=0 and is not polled) can take milliseconds
     * for 16 polls: the PIT would merge periods (one edge for several,
     * pit8254.h) and the guest lose ticks because its host is slow.  So
     * the interval adapts: halved while reads are over 1 ms apart, doubled
     * back while they are under 100 us apart.  Periods merged anyway (the
     * VMM descheduled) are delivered late by the lost-tick policy
     * (ticks.h).  An engine that returns rarely uses vm_advance_time. */
    if (++vm->poll_count >= vm->poll_every) {
        uint64_t now = vclock_now(&vm->clock), gap = now - vm->poll_ns;
        if (gap > 1000000 && vm->poll_every > 1)
            vm->poll_every /= 2;
        else if (gap < 100000 && vm->poll_every < 16)
            vm->poll_every *= 2;
        return advance_time(vm, now);
    }
    return irqchip_pending(&vm->irqchip);
}

/* The stage's own interrupt (vm.h), at the time device time was last read. */
static int stage_due(struct vm *vm)
{
    const struct vm_irq_source *s = vm->irq_src;
    return s && s->due ? s->due(vm->irq_src_ctx, vm->poll_ns) : -1;
}

bool vm_irq_pending(struct vm *vm)
{
    if (!controller_pending(vm) && stage_due(vm) < 0)
        return false;
    const struct vm_irq_source *s = vm->irq_src;
    return !s || !s->gate || s->gate(vm->irq_src_ctx, &vm->vcpu);
}

void vm_set_irq_source(struct vm *vm, const struct vm_irq_source *src, void *ctx)
{
    vm->irq_src = src;
    vm->irq_src_ctx = ctx;
}

void vm_set_apic_pv(struct vm *vm, const struct irqchip_pv_ops *ops, void *ctx)
{
    irqchip_set_pv(&vm->irqchip, ops, ctx);
}

void vm_apic_eoi_counts(const struct vm *vm, uint64_t *by_write, uint64_t *by_pv)
{
    *by_write = vm->irqchip.lapic.eoi_writes;
    *by_pv = vm->irqchip.pv_eois;
}

uint64_t vm_clock_ns(struct vm *vm) { return vclock_now(&vm->clock); }

bool vm_advance_time(struct vm *vm) { return advance_time(vm, vclock_now(&vm->clock)); }

int vm_irq_ack(struct vm *vm)
{
    int vector = stage_due(vm);
    if (vector >= 0 && vm->irq_src->ack)
        vm->irq_src->ack(vm->irq_src_ctx, vm->poll_ns);
    else
        vector = irqchip_ack(&vm->irqchip);
    vm->irqs++;
    trace_irq(&vm->trace, vector, vm->vcpu.cpu.eip);
    return vector;
}

/* HLT with IF=1: sleep until the PIT's next edge, an interrupt, or a stop.
 * Returns 0, or -1 if nothing can ever wake the CPU (message in why). */
int vm_wait_for_interrupt(struct vm *vm, char *why, size_t len)
{
    /* A halted guest has said all it will say for now: what it printed
     * without a newline (a shell's prompt, the echo of a typed key) is
     * shown before the sleep, not at the next newline. */
    fflush(stdout);
    for (;;) {
        ticks_update(&vm->ticks, &vm->pit, &vm->irqchip);
        vm_poll_devices(vm);
        uint64_t apic = irqchip_deadline(&vm->irqchip); /* the LAPIC timer */
        const struct vm_irq_source *s = vm->irq_src;    /* and the stage's (vm.h) */
        uint64_t stage = s && s->deadline ? s->deadline(vm->irq_src_ctx) : UINT64_MAX;
        if (irqchip_pending(&vm->irqchip) || vm_stop_requested(vm))
            return 0;
        uint64_t now = vclock_now(&vm->clock);
        if (stage <= now) {
            vm->poll_ns = now; /* what stage_due looks at */
            return 0;
        }
        uint64_t dl = pit_next_deadline(&vm->pit);
        uint64_t owed = ticks_deadline(&vm->ticks, &vm->pit, &vm->irqchip);
        uint64_t rtc = rtc_next_deadline(&vm->rtc); /* IRQ 8 may wake it too */
        /* And typed input, if the guest takes it on IRQ 4: looked at every
         * 10 ms below. */
        const struct uart16550 *u = &vm->uart;
        if (vm->cin && console_in_live(vm->cin) && (u->ier & UART_IER_RDI) &&
            (u->mcr & UART_MCR_OUT2) && rtc > now + 10000000)
            rtc = now + 10000000;
        /* Besides them and the local APIC timer (irqchip.h), the PIT is
         * the source of interrupts while the CPU sleeps, so IRQ0 must be
         * able to reach it.  Besides a mask, a wrongly
         * programmed master PIC blocks it for ever (found by
         * tests/fuzz/guests/pitpic.S; these used to sleep until killed):
         *  - ICW1 with LTIM: a level-triggered IR0 never latches the PIT's
         *    edges (8259A datasheet, "Edge and level triggered modes");
         *  - IRQ0 already requested but not delivered: an interrupt of
         *    equal or higher priority is in service and only the (halted)
         *    CPU could end it with an EOI. */
        const struct pic8259 *m = &vm->pic.chip[0];
        const char *irq0 = (m->imr & 1)    ? "masked"
                           : (m->elcr & 1) ? "level-triggered by ICW1 LTIM, so the PIT's edges "
                                             "never latch"
                           : (m->irr & 1)  ? "requested but blocked by an interrupt still in "
                                             "service, no EOI sent"
                                           : NULL;
        if (irq0 && irqchip_irq0_via_ioapic(&vm->irqchip))
            irq0 = NULL; /* APIC mode: the PIT comes through the I/O APIC */
        uint64_t other = rtc < apic ? rtc : apic; /* wakers besides the PIT */
        if (stage < other)
            other = stage;
        if ((dl == UINT64_MAX || irq0) && other == UINT64_MAX) {
            snprintf(why, len,
                     "guest halted with no interrupt that could wake it "
                     "(PIT %s; at the PIC IRQ0 is %s): it would sleep forever",
                     dl == UINT64_MAX ? "not counting" : "counting", irq0 ? irq0 : "unmasked");
            return -1;
        }
        if (owed < dl) /* a late tick (ticks.h) comes first */
            dl = owed;
        if (other < dl || irq0)
            dl = other;
        uint64_t wait = dl > now ? dl - now : 0;
        if (wait > 10000000) /* re-check the stop flag every 10 ms */
            wait = 10000000;
        if (wait) {
            struct timespec ts = { 0, (long)wait };
            uint64_t t0 = host_monotonic_ns(NULL);
            nanosleep(&ts, NULL);
            vm->idle_ns += host_monotonic_ns(NULL) - t0;
        }
    }
}
