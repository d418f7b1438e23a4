/*
 * irqchip.h — how ISA interrupts reach the CPU: the 8259 pair, the I/O APIC
 * and the local APIC wired as on a PC with an APIC (MP spec 1.4 §3.6;
 * Intel SDM Vol. 3A §11.1).
 *
 *   ISA IRQ n ──┬── 8259 pair (pic8259.h) ── INTR ──┬── CPU         (PIC mode)
 *               │                                   └── LINT0 ExtINT (virtual wire)
 *               └── I/O APIC pin n, IRQ0 -> pin 2 ── message ── local APIC ── CPU
 *
 * Every ISA line goes to both controllers; the guest decides which one
 * listens by masking the other.  The I/O APIC pin of ISA IRQ n is n, except
 * IRQ0 (the PIT), which is wired to pin 2 (pin 0 being the 8259's INTR on
 * a real board): the "interrupt source override" of every PC with an I/O
 * APIC, which our MP table and ACPI MADT describe (IRQ_TO_IOAPIC_PIN).
 *
 * PIC mode: IA32_APIC_BASE bit 11 is clear (the guest turned the APIC
 * off): the 8259's INTR is the CPU's interrupt line, as before APICs.
 * With the APIC on (the reset state), the 8259 reaches the CPU through
 * LINT0 as long as LVT LINT0 is an unmasked ExtINT entry (lapic.h: so it
 * is after reset), and its vector comes from the 8259's INTA cycle;
 * otherwise only the local APIC's interrupts (I/O APIC messages, its timer,
 * self-IPIs) are delivered, by priority.  An ExtINT interrupt is taken
 * before those, like KVM's kvm_cpu_get_interrupt.  A guest that never
 * touches the APIC (our teaching guest, Linux with `noapic nolapic`) runs
 * on the 8259 exactly as without this module.
 *
 * Disabling the APIC through IA32_APIC_BASE resets it (SDM Vol. 3A
 * §11.4.3); its register page then reads as nothing (all ones).  The lost
 * tick policy (ticks.h) follows IRQ0 on whichever path reaches the CPU
 * (irqchip_irq0_path).
 */
#ifndef CORE_IRQCHIP_H
#define CORE_IRQCHIP_H

#include <stdint.h>
#include <stdbool.h>
#include "core/clock.h"
#include "core/iobus.h"
#include "core/ticks.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/pic8259.h"

#define IRQ_TO_IOAPIC_PIN(irq) ((irq) == 0 ? 2 : (irq))

/* A paravirtual EOI (KVM's PV EOI, Linux Documentation/virt/kvm/x86/
 * msr.rst, MSR_KVM_PV_EOI_EN; stage 02 offers it, 02-paravirt/kvm_pv.h).
 * When the local APIC delivers a vector whose EOI nobody but the APIC
 * needs (lapic_alone_in_service: KVM's rule), the VMM sets a flag in guest
 * memory; the guest's handler clears it instead of writing the EOI
 * register (an MMIO exit), and the VMM, which looks at the flag before it
 * looks at the APIC (every poll, INTA and register access), does the EOI
 * itself.  Before another delivery or a register access a flag still set
 * is withdrawn, and the guest then writes the register, so the flag only
 * ever stands for the one vector in service (KVM syncs the same way at
 * every exit and entry: apic_sync_pv_eoi_from_guest / _to_guest).  The
 * guest's memory is the stage's business: */
struct irqchip_pv_ops {
    /* A vector of the local APIC was just delivered; may_skip: the rule
     * above holds.  Set the guest's flag and return true, or return false
     * (the guest has not enabled PV EOI).  Called at every delivery: also
     * the stage's moment for other per-interrupt work (steal time). */
    bool (*delivered)(void *ctx, int vector, bool may_skip);
    bool (*flag)(void *ctx);     /* is the guest's flag still set?    */
    void (*withdraw)(void *ctx); /* clear it: the register EOI is due */
};

struct irqchip {
    struct pic_pair *pic;
    struct ioapic ioapic;
    struct lapic lapic;
    const uint32_t *apic_base; /* the CPU's IA32_APIC_BASE (x86/cpu.h) */
    const struct vclock *clock;
    bool apic_was_on;
    unsigned polls;                  /* polls since the LAPIC timer was brought to now */
    const struct irqchip_pv_ops *pv; /* NULL: no paravirtual EOI */
    void *pv_ctx;
    bool pv_offered;  /* the guest's flag is set for the vector in service */
    uint64_t pv_eois; /* EOIs the guest signalled through the flag */
};

void irqchip_init(struct irqchip *ic, struct pic_pair *pic, const uint32_t *apic_base,
                  const struct vclock *clock);
/* Put the APIC page and the I/O APIC on the MMIO bus; 0 or -1. */
int irqchip_attach(struct irqchip *ic, struct iobus *mmio);
/* Offer the paravirtual EOI above (NULL: stop). */
void irqchip_set_pv(struct irqchip *ic, const struct irqchip_pv_ops *ops, void *ctx);
/* The irq_line callback of every ISA device (ctx = the irqchip). */
void irqchip_isa_irq(void *ctx, int irq, int level);
/* The irq_line callback of a PCI INTx# pin routed to ISA IRQ irq, level
 * 1 = asserted.  PCI interrupts are active-low, level-triggered, shareable
 * (PCI 3.0 §2.2.6): the I/O APIC pin sees the wire itself (low while
 * asserted; the OS programs the pin active-low, level, as ACPI's _PRT says
 * for a GSI, ACPI 6.4 §6.2.13), the 8259 input sees it through the
 * chipset's PIRQ router, which inverts it (active high, as ISA). */
void irqchip_pci_intx(void *ctx, int irq, int level);
/* A message-signalled interrupt: the write of data to addr by a PCI
 * function.  Address 0xFEExxxxx: bits 19:12 destination APIC ID, bit 2
 * logical destination mode; data: bits 7:0 vector, 10:8 delivery mode
 * (fixed or lowest priority), edge-triggered (Intel SDM Vol. 3A §11.11).
 * Ignored while the APIC is off or for another address. */
void irqchip_msi(struct irqchip *ic, uint32_t addr, uint32_t data);
/* Does an interrupt wait for the CPU?  Cheap: polled at every block. */
bool irqchip_pending(struct irqchip *ic);
/* INTA: the vector, from the 8259 (PIC mode, ExtINT) or the local APIC. */
int irqchip_ack(struct irqchip *ic);
/* Bring the LAPIC timer to now; the clock time of its next interrupt, or
 * UINT64_MAX (for a halted CPU's sleep). */
uint64_t irqchip_deadline(struct irqchip *ic);
/* Can ISA IRQ0 reach the CPU through the I/O APIC (pin unmasked, APIC on)? */
bool irqchip_irq0_via_ioapic(struct irqchip *ic);
/* IRQ0's path to the CPU now (ticks.h): the I/O APIC's pin 2 when it is
 * unmasked, else the 8259 when its INTR reaches the CPU, else closed. */
enum irq0_path irqchip_irq0_path(struct irqchip *ic);

#endif
