/*
 * lapic.h — the local APIC of our one CPU, in xAPIC mode (Intel SDM Vol. 3A
 * ch. 11 "Advanced Programmable Interrupt Controller (APIC)"; ch. 10 in
 * editions before 2023; section numbers below are of the newer editions).
 *
 * Where it sits (§11.4.1): a 4 KiB page of 32-bit registers, one every 16
 * bytes, at the physical address held in IA32_APIC_BASE (MSR 0x1B, §11.4.4:
 * base in bits 12-31, BSP flag bit 8, global enable bit 11).  The MSR lives
 * in the CPU model (x86_cpu.apic_base); the routing (core/irqchip.h) decides
 * from it whether the APIC exists at all.  The page is decoded at
 * LAPIC_BASE only: a guest that moves it (no OS we run does) finds nothing
 * at the new base.
 *
 * What is modelled, with the register offsets of §11.4.1 Table 11-1:
 *   0x020 ID (bits 24-31), 0x030 version LAPIC_VERSION (read only),
 *   0x080 TPR, 0x090 APR and 0x0A0 PPR (computed, §11.8.3.1), 0x0B0 EOI,
 *   0x0D0 LDR, 0x0E0 DFR (flat/cluster, §11.6.2.2), 0x0F0 SVR (spurious
 *   vector, bit 8 software enable, §11.9), 0x100-0x170 ISR, 0x180-0x1F0
 *   TMR, 0x200-0x270 IRR (256 bits each, §11.8.4), 0x280 ESR (§11.5.3:
 *   errors collect internally and become readable on the next ESR write),
 *   0x300/0x310 ICR (§11.6.1), 0x320-0x370 the six LVT entries (timer,
 *   thermal, performance counters, LINT0, LINT1, error; §11.5.1), and the
 *   timer's 0x380 initial count, 0x390 current count, 0x3E0 divide
 *   configuration (§11.5.4).
 *
 * Interrupt acceptance (§11.8.3): an accepted fixed interrupt sets its IRR
 * bit (and TMR for level-triggered ones); the highest IRR vector whose
 * priority class (vector >> 4) is above PPR's is delivered: INTA moves it
 * to ISR.  EOI clears the highest ISR bit and, if its TMR bit was set,
 * broadcasts the vector to the I/O APIC (§11.8.5), whose remote IRR it
 * clears.  An INTA that finds nothing deliverable (TPR raised in between)
 * gets the spurious vector of the SVR, and sets no ISR bit (§11.9).
 * Vectors 0-15 are illegal (§11.5.3): received, they set ESR bit 6 and are
 * dropped; sent through the ICR, bit 5.
 *
 * The timer (§11.5.4) counts down at LAPIC_BUS_HZ divided by the divide
 * configuration; its state is the clock time at which the count was last
 * loaded, so the current count is computed from the VM's clock (struct
 * vclock), never decremented per poll.  One-shot stops at 0, periodic
 * reloads; each expiry sets the timer vector in IRR unless the LVT entry is
 * masked (the count runs anyway).  Expiries the VMM did not look at in
 * time merge into one interrupt, as an IRR bit holds one request.  The
 * TSC-deadline mode is not offered (CPUID.1:ECX[24] is 0): mode bit 18 is
 * reserved.
 *
 * The ICR sends fixed (and lowest-priority) IPIs to this CPU: the
 * destination shorthands "self" and "all including self", or a
 * destination field naming our APIC ID (physical) or a bit of our LDR
 * (logical).  With one vCPU there is nobody else: INIT and start-up IPIs
 * (which wake application processors), SMI and NMI are not modelled and
 * are dropped.  LINT0 is the 8259's INTR input: its ExtINT delivery mode
 * (virtual-wire mode, MP spec §3.6.2.2) lets the PIC's interrupts through
 * (core/irqchip.h); LINT1 (NMI on a PC), the thermal and performance LVT
 * entries have no source in this machine and are registers only.
 *
 * State after reset (§11.4.7.1): all LVT entries masked and the APIC
 * software-disabled (SVR 0xFF) — except LVT LINT0, left as a BIOS does in
 * virtual-wire mode: ExtINT, unmasked (KVM and QEMU reset it so for the
 * BSP).  So a guest that never touches the APIC sees the 8259 alone.
 * Software-disabling the APIC (SVR bit 8 = 0) masks every LVT entry and
 * new fixed interrupts are not accepted (§11.4.7.2).
 *
 * Accesses: 32-bit aligned ones as the SDM requires; a narrower read gives
 * the bytes of the register, a narrower or unaligned write is dropped.
 */
#ifndef DEVICES_LAPIC_H
#define DEVICES_LAPIC_H

#include <stdint.h>
#include <stdbool.h>
#include "core/clock.h"

#define LAPIC_BASE    0xFEE00000u
#define LAPIC_SIZE    0x1000u
#define MSR_APIC_BASE 0x1Bu
#define APIC_BASE_BSP (1u << 8)
#define APIC_BASE_EN  (1u << 11)
/* IA32_APIC_BASE at reset: at LAPIC_BASE, enabled, we are the BSP. */
#define APIC_BASE_RESET (LAPIC_BASE | APIC_BASE_EN | APIC_BASE_BSP)
/* Version 0x14 (an integrated APIC of the P6/Pentium 4 families), maximum
 * LVT entry 5 (bits 16-23): the six entries listed above. */
#define LAPIC_VERSION 0x00050014u
/* The timer's input clock: 100 MHz (10 ns a tick at divide by 1).  Guests
 * measure it against the PIT, as Linux's calibrate_APIC_clock does. */
#define LAPIC_BUS_HZ 100000000u
#define LAPIC_BUS_NS 10u

/* LVT entries (§11.5.1 Figure 11-8). */
enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LAPIC_NLVT };
#define LVT_MASKED       (1u << 16)
#define LVT_PERIODIC     (1u << 17)
#define LVT_DM_SHIFT     8
#define LVT_DM_FIXED     0u
#define LVT_DM_NMI       4u
#define LVT_DM_EXTINT    7u
#define SVR_ENABLE       (1u << 8)
#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECV_ILLEGAL (1u << 6)
#define ESR_ILLEGAL_REG  (1u << 7)

struct lapic {
    const struct vclock *clock;
    uint32_t id, tpr, ldr, dfr, svr;
    uint32_t irr[8], isr[8], tmr[8]; /* bit v%32 of word v/32          */
    uint32_t esr, esr_pending;       /* readable / collected since     */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LAPIC_NLVT];
    uint32_t timer_init, timer_dcr; /* initial count, divide config   */
    uint64_t timer_start;           /* clock time the count was loaded */
    uint64_t timer_next;            /* next expiry, UINT64_MAX: idle  */
    /* EOI of a level-triggered vector: the I/O APIC clears remote IRR. */
    void (*eoi_broadcast)(void *ctx, int vector);
    void *eoi_ctx;
    uint64_t timer_fires, spurious, delivered; /* statistics */
    uint64_t eoi_writes;                       /* EOIs by a write of the register */
};

void lapic_init(struct lapic *l, const struct vclock *clock,
                void (*eoi_broadcast)(void *ctx, int vector), void *ctx);
/* Power-up state (§11.4.7.1), also after IA32_APIC_BASE disabled it. */
void lapic_reset(struct lapic *l);
/* iobus handler for the register page; dev is the struct lapic. */
void lapic_mmio(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value);
/* A fixed interrupt from the I/O APIC, an IPI or a local source. */
void lapic_accept(struct lapic *l, int vector, bool level);
/* Bring the timer to clock time now: set IRR for expiries until then. */
void lapic_update(struct lapic *l, uint64_t now);
/* Clock time of the next timer interrupt, UINT64_MAX if none can come. */
uint64_t lapic_next_deadline(const struct lapic *l);
/* The vector that would be delivered now, or -1. */
int lapic_pending(const struct lapic *l);
/* INTA: the vector (IRR -> ISR), or the spurious vector (§11.9). */
int lapic_ack(struct lapic *l);
/* Is LINT0 an unmasked ExtINT input (virtual wire: the 8259 goes through)? */
bool lapic_lint0_extint(const struct lapic *l);
/* End the highest-priority interrupt in service (§11.8.5), as a write of
 * the EOI register does: for a paravirtual EOI the VMM performs. */
void lapic_eoi(struct lapic *l);
/* Is vector v the only one in service, edge-triggered (no I/O APIC
 * broadcast to come), with nothing requested behind it?  KVM's condition
 * for a paravirtual EOI (arch/x86/kvm/lapic.c, apic_sync_pv_eoi_to_guest). */
bool lapic_alone_in_service(const struct lapic *l, int v);
/* PPR (§11.8.3.1), for the register and for tests. */
uint32_t lapic_ppr(const struct lapic *l);

#endif
