/*
 * irq.h — an interrupt request line from a device to an interrupt controller.
 *
 * On a PC, ISA devices drive numbered IRQ lines into the 8259 PIC pair
 * (IRQ0 = PIT channel 0, IRQ4 = COM1, ...).  A device holds one struct
 * irq_line and sets its level; it does not know who listens.  An unwired
 * line (set == NULL) is allowed, e.g. a UART tested on its own.
 */
#ifndef CORE_IRQ_H
#define CORE_IRQ_H

struct irq_line {
    void (*set)(void *ctx, int irq, int level); /* level 0 or 1 */
    void *ctx;
    int irq;
};

static inline void irq_line_set(const struct irq_line *l, int level)
{
    if (l->set)
        l->set(l->ctx, l->irq, level);
}

/* An edge-triggered pulse: 0 -> 1 -> 0 (how the PIT's OUT0 edge reaches the PIC). */
static inline void irq_line_pulse(const struct irq_line *l)
{
    irq_line_set(l, 1);
    irq_line_set(l, 0);
}

#endif
