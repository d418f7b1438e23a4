/*
 * ticks.h — lost-tick policy for the PIT's IRQ0: missed ticks are delivered late.
 *
 * The 8254 is a free-running counter: if nobody looks at it for several
 * periods, a real chip has still raised one OUT0 edge per period, but the
 * VMM's model (devices/pit8254.h) only notices when device time advances,
 * and then raises one edge for all of them — the 8259A latches an edge,
 * not a count, so merged edges are one interrupt.  A descheduled VMM or a
 * slow engine then makes the guest's clock (jiffies) run slow.
 *
 * The remedy of real VMMs (KVM's in-kernel PIT reinjects missed ticks;
 * QEMU calls it lost_tick_policy=delay): keep a backlog of the periods the
 * chip merged and raise one more IRQ0 edge each time the guest has taken
 * the previous one — IRQ0 neither requested (IRR) nor in service (ISR) at
 * the master PIC, i.e. acknowledged by INTA and ended by EOI (or auto-EOI).
 * Each owed tick is therefore its own interrupt, and a guest that counts
 * interrupts ends up with the right number of them.  Owed ticks are also
 * spread out: one comes half a period after the previous IRQ0 edge was
 * due, an eighth of a period after it was raised, and two periods after
 * the previous owed one, so the guest catches up at 1.5 times the rate.
 * A guest that sleeps in HLT still wakes once per tick (not twice, the
 * second right after the first one's IRET), and one that times a few
 * ticks against the TSC sees at most ~150 Hz for 100, not a burst, when it
 * starts measuring with ticks still owed.  Timing from when edges were due
 * keeps this working when the VMM only runs now and then (a busy host):
 * each of its looks at the PIT then finds a new edge.
 *
 * IRQ0 reaches the CPU by one of two paths (core/irqchip.h): the master
 * 8259A (PIC mode, or the APIC's LINT0 virtual wire), or I/O APIC pin 2
 * and the local APIC (APIC mode, where the guest masks IRQ0 at the 8259).
 * The irqchip says which, and whether the previous IRQ0 is still with the
 * CPU there: requested or in service at the 8259, or its vector's bit set
 * in the local APIC's IRR or ISR (an edge-triggered vector is ended by the
 * EOI to the local APIC, SDM Vol. 3A §11.8.4-5).
 *
 * Only for a periodic timer (modes 2, 3) whose IRQ0 reaches the CPU: the
 * backlog is dropped when IRQ0 is masked or level-triggered on its path,
 * channel 0 is one-shot or stopped, or its mode or count changes.  It is capped at one
 * second of ticks so that a long stop (SIGSTOP, a debugger) does not end in
 * an interrupt storm; the rest are dropped.
 */
#ifndef CORE_TICKS_H
#define CORE_TICKS_H

#include <stdint.h>
#include "devices/pic8259.h"
#include "devices/pit8254.h"

struct irqchip;

struct lost_ticks {
    uint64_t backlog;    /* IRQ0 edges owed to the guest               */
    uint32_t reload;     /* channel 0's count and mode the backlog is  */
    uint8_t mode;        /* of: a change makes it stale                */
    uint64_t seen_edges; /* the PIT's irq0_pulses at the last update   */
    uint64_t last_ns;    /* clock time of the last IRQ0 edge (when due) */
    uint64_t raised_ns;  /* ... when it was raised                      */
    uint64_t owed_ns;    /* ... and of the last owed one               */
    uint64_t reinjected; /* statistics: late edges delivered          */
    uint64_t dropped;    /* statistics: owed edges given up           */
};

/* IRQ0's path to the CPU, as the interrupt controllers have it now. */
enum irq0_path {
    IRQ0_CLOSED, /* masked or level-triggered: owed ticks cannot arrive  */
    IRQ0_BUSY,   /* open, the previous IRQ0 not yet taken and ended      */
    IRQ0_FREE    /* open, and a new edge would be a new interrupt        */
};
/* The path through the master 8259A (its IMR, ELCR, IRR and ISR bit 0). */
enum irq0_path ticks_pic_path(const struct pic8259 *master);

void ticks_init(struct lost_ticks *t);
/* Advance the PIT to now, take the periods it merged into the backlog and,
 * if the guest has taken the previous IRQ0 (irqchip_irq0_path FREE), raise
 * one owed edge. */
void ticks_update(struct lost_ticks *t, struct pit8254 *pit, struct irqchip *ic);
/* Clock time (ns) at which an owed tick may be raised: a halted CPU sleeps
 * no longer than this.  UINT64_MAX if none is owed, or if the path is not
 * FREE (only the CPU can end the previous IRQ0). */
uint64_t ticks_deadline(const struct lost_ticks *t, const struct pit8254 *pit, struct irqchip *ic);
/* The most edges the backlog holds for the current count (1 s of ticks). */
uint64_t ticks_cap(const struct pit8254 *pit);

#endif
