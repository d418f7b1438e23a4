/*
 * pic8259.c — 8259A PIC pair (Intel 8259A datasheet; modelled like QEMU's
 * hw/intc/i8259.c).
 *
 * Priorities: IR0 is highest unless rotated; priority_add holds the IR
 * that currently has the highest priority.  An IR in IRR, not masked in
 * IMR, interrupts the CPU when its priority is higher than anything in ISR
 * (fully nested mode).  The slave's INT output is wired to the master's IR2,
 * so a slave interrupt appears to the master as IRQ2.
 */
#include <string.h>
#include "devices/pic8259.h"

/* Priority (0 = highest) of the best bit in mask, or 8 if none. */
static int get_priority(const struct pic8259 *s, uint8_t mask)
{
    if (mask == 0)
        return 8;
    int prio = 0;
    while (!(mask & (1 << ((prio + s->priority_add) & 7))))
        prio++;
    return prio;
}

/* The IR this chip would present to the CPU now, or -1. */
static int chip_get_irq(const struct pic8259 *s, bool is_master)
{
    int prio = get_priority(s, s->irr & ~s->imr);
    if (prio == 8)
        return -1;
    uint8_t isr = s->isr;
    if (s->special_mask) /* special mask mode: masked IRs don't block */
        isr &= ~s->imr;
    /* Special fully nested mode (master): the cascade input may interrupt
     * its own service routine, so a higher slave IRQ can nest. */
    if (is_master && s->special_fully_nested)
        isr &= ~(1 << PIC_CASCADE_IRQ);
    int cur = get_priority(s, isr);
    if (prio < cur)
        return (prio + s->priority_add) & 7;
    return -1;
}

/* Propagate the slave's INT output into the master's IR2 (level). */
static void update_cascade(struct pic_pair *p)
{
    struct pic8259 *m = &p->chip[0];
    if (chip_get_irq(&p->chip[1], false) >= 0)
        m->irr |= 1 << PIC_CASCADE_IRQ;
    else
        m->irr &= ~(1 << PIC_CASCADE_IRQ);
}

static void chip_reset(struct pic8259 *s)
{
    memset(s, 0, sizeof *s); /* ICW1 clears IMR, ISR, IRR and rotation */
}

void pic_init(struct pic_pair *p)
{
    memset(p, 0, sizeof *p);
    /* Until the guest programs them (ICW2), vectors as the PC BIOS leaves
     * them: 0x08 and 0x70.  Everything is masked. */
    p->chip[0].vector_base = 0x08;
    p->chip[1].vector_base = 0x70;
    p->chip[0].imr = p->chip[1].imr = 0xff;
}

static void chip_set_irq(struct pic8259 *s, int irq, int level)
{
    uint8_t mask = 1 << irq;
    if (s->elcr & mask) { /* level-triggered: IRR follows the line */
        if (level)
            s->irr |= mask;
        else
            s->irr &= ~mask;
    } else { /* edge-triggered: a rising edge latches */
        if (level && !(s->last_level & mask))
            s->irr |= mask; /* latched until INTA, even if the line drops */
    }
    if (level)
        s->last_level |= mask;
    else
        s->last_level &= ~mask;
}

void pic_set_irq(struct pic_pair *p, int irq, int level)
{
    if (irq < 0 || irq > 15)
        return;
    chip_set_irq(&p->chip[irq >> 3], irq & 7, level);
    update_cascade(p);
}

bool pic_pending(struct pic_pair *p) { return chip_get_irq(&p->chip[0], true) >= 0; }

/* INTA on one chip for IR irq: IRR -> ISR (or auto-EOI). */
static void chip_ack(struct pic8259 *s, int irq)
{
    uint8_t mask = 1 << irq;
    if (s->auto_eoi) {
        if (s->rotate_on_aeoi)
            s->priority_add = (irq + 1) & 7;
    } else {
        s->isr |= mask;
    }
    if (!(s->elcr & mask)) /* edge: the request is consumed */
        s->irr &= ~mask;
}

int pic_ack(struct pic_pair *p)
{
    struct pic8259 *m = &p->chip[0], *sl = &p->chip[1];
    int irq = chip_get_irq(m, true);
    int vector;
    if (irq < 0) { /* request went away: spurious IRQ7 */
        p->spurious++;
        return m->vector_base + 7;
    }
    if (irq == PIC_CASCADE_IRQ) {
        int irq2 = chip_get_irq(sl, false);
        if (irq2 >= 0) {
            chip_ack(sl, irq2);
            vector = sl->vector_base + irq2;
        } else { /* spurious on the slave: IRQ15's vector */
            p->spurious++;
            vector = sl->vector_base + 7;
        }
    } else {
        vector = m->vector_base + irq;
    }
    chip_ack(m, irq);
    update_cascade(p);
    return vector;
}

/* OCW2 (command port, bits 4:3 = 00): EOI and rotation commands. */
static void chip_ocw2(struct pic8259 *s, uint8_t v)
{
    int cmd = v >> 5;
    switch (cmd) {
    case 0: /* rotate in auto-EOI mode: clear */
    case 4: /* rotate in auto-EOI mode: set */ s->rotate_on_aeoi = cmd == 4; break;
    case 1: /* non-specific EOI */
    case 5: /* rotate on non-specific EOI */ {
        int prio = get_priority(s, s->isr);
        if (prio != 8) {
            int irq = (prio + s->priority_add) & 7;
            s->isr &= ~(1 << irq);
            if (cmd == 5)
                s->priority_add = (irq + 1) & 7;
        }
        break;
    }
    case 3: /* specific EOI */ s->isr &= ~(1 << (v & 7)); break;
    case 6: /* set priority: IR (v&7) becomes the lowest */ s->priority_add = (v + 1) & 7; break;
    case 7: /* rotate on specific EOI */
        s->isr &= ~(1 << (v & 7));
        s->priority_add = (v + 1) & 7;
        break;
    default: /* 2: no operation */ break;
    }
}

static void chip_write(struct pic8259 *s, unsigned port, uint8_t v)
{
    if (port == 0) {
        if (v & 0x10) { /* ICW1: start initialisation */
            chip_reset(s);
            s->init_state = 1;
            s->icw4_needed = v & 1;
            s->single = v & 2;
            s->elcr = (v & 0x08) ? 0xff : 0; /* LTIM: level-triggered inputs */
        } else if (v & 0x08) {               /* OCW3 */
            if (v & 0x04)
                s->poll = true;
            if (v & 0x02)
                s->read_isr = v & 1;
            if (v & 0x40)
                s->special_mask = (v >> 5) & 1;
        } else { /* OCW2 */
            chip_ocw2(s, v);
        }
        return;
    }
    switch (s->init_state) {
    case 0: /* OCW1: the mask */ s->imr = v; break;
    case 1: /* ICW2: vector base, low 3 bits ignored */
        s->vector_base = v & 0xf8;
        s->init_state = s->single ? (s->icw4_needed ? 3 : 0) : 2;
        break;
    case 2: /* ICW3: cascade wiring */
        s->icw3 = v;
        s->init_state = s->icw4_needed ? 3 : 0;
        break;
    case 3: /* ICW4 */
        s->auto_eoi = v & 2;
        s->special_fully_nested = v & 0x10;
        s->init_state = 0;
        break;
    }
}

/* Poll command: like INTA but through a read (bit 7 = request present). */
static uint8_t chip_poll(struct pic_pair *p, int which)
{
    struct pic8259 *s = &p->chip[which];
    int irq = chip_get_irq(s, which == 0);
    s->poll = false;
    if (irq < 0)
        return 0;
    chip_ack(s, irq); /* (a cascaded slave is polled separately) */
    update_cascade(p);
    return 0x80 | irq;
}

static void pic_io(struct pic_pair *p, int which, uint64_t offset, bool is_write, uint32_t *value)
{
    struct pic8259 *s = &p->chip[which];
    unsigned port = offset & 1;
    if (is_write) {
        chip_write(s, port, (uint8_t)*value);
        update_cascade(p);
        return;
    }
    if (s->poll)
        *value = chip_poll(p, which);
    else if (port == 0)
        *value = s->read_isr ? s->isr : s->irr;
    else
        *value = s->imr;
}

void pic_master_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    (void)size;
    pic_io(dev, 0, offset, is_write, value);
}

void pic_slave_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    (void)size;
    pic_io(dev, 1, offset, is_write, value);
}
