/*
 * irqchip.c — ISA IRQs to the 8259 pair and the I/O APIC, and the CPU's
 * interrupt line from the 8259 or the local APIC (see irqchip.h).
 */
#include "core/irqchip.h"
#include <stddef.h>

/* The local APIC's timer is brought to the clock's time every this many
 * polls while it counts (as vm_irq_pending does for the PIT: reading the
 * clock at every block boundary would cost more than the guest's work). */
#define TIMER_POLL_EVERY 8

/* The I/O APIC's message: with one CPU, for us if its destination names
 * our local APIC (physical ID or logical LDR bit; MP spec §3.6.3). */
static void ioapic_deliver(void *ctx, const struct ioapic_msg *m)
{
    struct irqchip *ic = ctx;
    const struct lapic *l = &ic->lapic;
    bool mine;
    if (!m->logical)
        mine = m->dest == 0xff || (m->dest & 0xf) == (l->id >> 24 & 0xf);
    else if ((l->dfr >> 28) == 0xf)
        mine = (m->dest & (l->ldr >> 24)) != 0;
    else
        mine = m->dest == 0xff ||
               ((m->dest >> 4) == (l->ldr >> 28) && (m->dest & (l->ldr >> 24) & 0xf));
    if (mine) /* lowest priority among one CPU: that CPU */
        lapic_accept(&ic->lapic, m->vector, m->level);
}

static void lapic_eoi_broadcast(void *ctx, int vector) { ioapic_eoi(ctx, vector); }

void irqchip_init(struct irqchip *ic, struct pic_pair *pic, const uint32_t *apic_base,
                  const struct vclock *clock)
{
    ic->pic = pic;
    ic->apic_base = apic_base;
    ic->clock = clock;
    ic->apic_was_on = true;
    ic->polls = 0;
    ic->pv = NULL; /* no paravirtual EOI until stage 02 offers it */
    ic->pv_ctx = NULL;
    ic->pv_offered = false;
    ioapic_init(&ic->ioapic, ioapic_deliver, ic);
    lapic_init(&ic->lapic, clock, lapic_eoi_broadcast, &ic->ioapic);
}

void irqchip_set_pv(struct irqchip *ic, const struct irqchip_pv_ops *ops, void *ctx)
{
    ic->pv = ops;
    ic->pv_ctx = ctx;
    ic->pv_offered = false;
}

/* Fold in a paravirtual EOI (irqchip.h): the guest cleared its flag, so
 * the vector it stood for ends now.  withdraw: the flag, still set, may no
 * longer stand (another vector comes, or the guest looks at the APIC). */
static void pv_sync(struct irqchip *ic, bool withdraw)
{
    if (!ic->pv_offered)
        return;
    if (!ic->pv->flag(ic->pv_ctx)) {
        ic->pv_offered = false;
        ic->pv_eois++;
        lapic_eoi(&ic->lapic);
    } else if (withdraw) {
        ic->pv->withdraw(ic->pv_ctx);
        ic->pv_offered = false;
    }
}

/* Is the local APIC globally enabled (IA32_APIC_BASE bit 11)?  Turning it
 * off resets it (SDM Vol. 3A §11.4.3), noticed here, lazily: while off
 * nothing of it is visible. */
static bool apic_on(struct irqchip *ic)
{
    bool on = *ic->apic_base & APIC_BASE_EN;
    if (!on && ic->apic_was_on) {
        pv_sync(ic, true);
        lapic_reset(&ic->lapic);
    }
    ic->apic_was_on = on;
    return on;
}

static void lapic_page(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    struct irqchip *ic = dev;
    if (!apic_on(ic)) { /* no APIC: a floating bus */
        if (!is_write)
            *value = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
        return;
    }
    pv_sync(ic, true);
    lapic_mmio(&ic->lapic, offset, size, is_write, value);
}

int irqchip_attach(struct irqchip *ic, struct iobus *mmio)
{
    if (iobus_register(mmio, LAPIC_BASE, LAPIC_SIZE, lapic_page, ic, "lapic") < 0)
        return -1;
    return iobus_register(mmio, IOAPIC_BASE, IOAPIC_SIZE, ioapic_mmio, &ic->ioapic, "ioapic");
}

void irqchip_isa_irq(void *ctx, int irq, int level)
{
    struct irqchip *ic = ctx;
    pic_set_irq(ic->pic, irq, level);
    ioapic_set_irq(&ic->ioapic, IRQ_TO_IOAPIC_PIN(irq), level);
}

void irqchip_pci_intx(void *ctx, int irq, int level)
{
    struct irqchip *ic = ctx;
    pic_set_irq(ic->pic, irq, level);
    ioapic_set_irq(&ic->ioapic, IRQ_TO_IOAPIC_PIN(irq), !level);
}

void irqchip_msi(struct irqchip *ic, uint32_t addr, uint32_t data)
{
    if ((addr & 0xfff00000u) != 0xfee00000u || !apic_on(ic) || ((data >> 8) & 7) > 1)
        return;
    struct ioapic_msg m = {
        .vector = (int)(data & 0xff),
        .delivery_mode = (int)(data >> 8 & 7),
        .logical = addr & 4,
        .level = false,
        .dest = (uint8_t)(addr >> 12),
    };
    ioapic_deliver(ic, &m); /* the same destination rules as the I/O APIC's */
}

/* Does the 8259's INTR reach the CPU (PIC mode or virtual wire)? */
static bool extint(struct irqchip *ic) { return !apic_on(ic) || lapic_lint0_extint(&ic->lapic); }

bool irqchip_pending(struct irqchip *ic)
{
    if (extint(ic) && pic_pending(ic->pic))
        return true;
    if (!apic_on(ic))
        return false;
    pv_sync(ic, false);
    if (ic->lapic.timer_next != UINT64_MAX && ++ic->polls >= TIMER_POLL_EVERY) {
        ic->polls = 0;
        lapic_update(&ic->lapic, vclock_now(ic->clock));
    }
    return lapic_pending(&ic->lapic) >= 0;
}

int irqchip_ack(struct irqchip *ic)
{
    if (extint(ic) && pic_pending(ic->pic))
        return pic_ack(ic->pic);
    if (!apic_on(ic))
        return pic_ack(ic->pic); /* nothing pending: the 8259's spurious IR7 */
    pv_sync(ic, true);
    uint64_t before = ic->lapic.delivered;
    int v = lapic_ack(&ic->lapic);
    if (ic->pv && ic->lapic.delivered != before) /* not the spurious vector */
        ic->pv_offered = ic->pv->delivered(ic->pv_ctx, v, lapic_alone_in_service(&ic->lapic, v));
    return v;
}

uint64_t irqchip_deadline(struct irqchip *ic)
{
    if (!apic_on(ic))
        return UINT64_MAX;
    lapic_update(&ic->lapic, vclock_now(ic->clock));
    return lapic_next_deadline(&ic->lapic);
}

bool irqchip_irq0_via_ioapic(struct irqchip *ic)
{
    return apic_on(ic) && !(ic->ioapic.redir[IRQ_TO_IOAPIC_PIN(0)] & IORED_MASKED);
}

enum irq0_path irqchip_irq0_path(struct irqchip *ic)
{
    if (irqchip_irq0_via_ioapic(ic)) {
        uint64_t e = ic->ioapic.redir[IRQ_TO_IOAPIC_PIN(0)];
        int v = e & 0xff; /* the vector the message carries (IOREDTBL[7:0]) */
        uint32_t bit = 1u << (v % 32);
        if (e & IORED_LEVEL)
            return IRQ0_CLOSED;
        return (ic->lapic.irr[v / 32] | ic->lapic.isr[v / 32]) & bit ? IRQ0_BUSY : IRQ0_FREE;
    }
    if (extint(ic))
        return ticks_pic_path(&ic->pic->chip[0]);
    return IRQ0_CLOSED;
}
