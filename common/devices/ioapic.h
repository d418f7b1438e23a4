/*
 * ioapic.h — the Intel 82093AA I/O APIC (82093AA I/O Advanced Programmable
 * Interrupt Controller datasheet, 1996; section numbers below are its).
 *
 * It turns interrupt pins into messages to local APICs.  Two registers in
 * memory at IOAPIC_BASE (§3.0): IOREGSEL (offset 0x00) selects an internal
 * register that IOWIN (offset 0x10) reads or writes, 32 bits at a time:
 *   0x00 IOAPICID (bits 24-27), 0x01 IOAPICVER (IOAPIC_VERSION, read
 *   only: version 0x11, 24 entries), 0x02 IOAPICARB (arbitration ID, read
 *   only, loaded from the ID), 0x10 + 2n / 0x11 + 2n redirection entry n,
 *   low and high dword (§3.2.4, IOREDTBL):
 *     bits 0-7 vector, 8-10 delivery mode (000 fixed, 001 lowest priority;
 *     SMI, NMI, INIT and ExtINT are not modelled and drop the interrupt),
 *     11 destination mode (0 physical APIC ID, 1 logical), 12 delivery
 *     status (read only; 0, as a message is sent at once), 13 polarity
 *     (1 = active low), 14 remote IRR (read only), 15 trigger mode (1 =
 *     level), 16 mask, 56-63 destination.
 *
 * An input pin is driven through struct irq_line (core/irq.h) with
 * ioapic_set_irq.  Edge-triggered: the change to the active level sends
 * one message; an edge on a masked pin is lost (§3.2.4, "Interrupt Mask").
 * Level-triggered: while the pin is active and the entry unmasked, a
 * message is sent and remote IRR set; no further message until the local
 * APIC's EOI for that vector clears remote IRR (ioapic_eoi), after which a
 * still active pin sends again.  Unmasking an active level pin sends.
 * Where the message goes is the routing's business (core/irqchip.h): the
 * deliver callback gets vector, trigger and destination.
 */
#ifndef DEVICES_IOAPIC_H
#define DEVICES_IOAPIC_H

#include <stdint.h>
#include <stdbool.h>

#define IOAPIC_BASE    0xFEC00000u
#define IOAPIC_SIZE    0x20u
#define IOAPIC_PINS    24
#define IOAPIC_VERSION 0x00170011u

#define IORED_MASKED  (1ull << 16)
#define IORED_LEVEL   (1ull << 15)
#define IORED_RIRR    (1ull << 14)
#define IORED_LOW     (1ull << 13)
#define IORED_LOGICAL (1ull << 11)

struct ioapic_msg {
    int vector;
    int delivery_mode; /* 0 fixed, 1 lowest priority */
    bool logical, level;
    uint8_t dest;
};

struct ioapic {
    uint32_t regsel, id;
    uint64_t redir[IOAPIC_PINS];
    uint32_t pin_level; /* raw input levels, bit n = pin n */
    void (*deliver)(void *ctx, const struct ioapic_msg *m);
    void *ctx;
    uint64_t sent; /* statistics: messages sent */
};

void ioapic_init(struct ioapic *io, void (*deliver)(void *ctx, const struct ioapic_msg *m),
                 void *ctx);
/* Drive input pin (0-23) to level 0 or 1 (raw, before polarity). */
void ioapic_set_irq(struct ioapic *io, int pin, int level);
/* The EOI broadcast of a local APIC for vector (lapic.h). */
void ioapic_eoi(struct ioapic *io, int vector);
/* iobus handler for IOREGSEL/IOWIN; dev is the struct ioapic. */
void ioapic_mmio(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value);

#endif
