/*
 * ticks.c — lost-tick policy: deliver the PIT periods the chip merged (ticks.h).
 */
#include <string.h>
#include "core/ticks.h"
#include "core/irqchip.h"

void ticks_init(struct lost_ticks *t) { memset(t, 0, sizeof *t); }

uint64_t ticks_cap(const struct pit8254 *pit)
{
    uint64_t n = PIT_HZ / pit->ch[0].reload;
    return n ? n : 1;
}

/* Channel 0's period in ns. */
static uint64_t period_ns(const struct pit8254 *pit)
{
    return (uint64_t)pit->ch[0].reload * 1000000000u / PIT_HZ;
}

static uint64_t max3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t m = a > b ? a : b;
    return m > c ? m : c;
}

/* When the next owed tick may come: half a period after the previous
 * IRQ0 edge was due, an eighth of a period after it was raised, and two
 * periods after the previous owed one (ticks.h). */
static uint64_t owed_at(const struct lost_ticks *t, const struct pit8254 *pit)
{
    uint64_t p = period_ns(pit);
    return max3(t->last_ns + p / 2, t->raised_ns + p / 8, t->owed_ns + 2 * p);
}

enum irq0_path ticks_pic_path(const struct pic8259 *m)
{
    if ((m->imr | m->elcr) & 1)
        return IRQ0_CLOSED;
    return (m->irr | m->isr) & 1 ? IRQ0_BUSY : IRQ0_FREE;
}

uint64_t ticks_deadline(const struct lost_ticks *t, const struct pit8254 *pit, struct irqchip *ic)
{
    if (!t->backlog || irqchip_irq0_path(ic) != IRQ0_FREE)
        return UINT64_MAX;
    return owed_at(t, pit);
}

static void drop(struct lost_ticks *t, uint64_t n)
{
    t->dropped += n;
    t->backlog -= n;
}

/* Can an owed tick reach the CPU?  Channel 0 periodic and counting, and
 * IRQ0's path open (an unmasked edge-triggered input). */
static bool deliverable(const struct pit8254 *pit, enum irq0_path path)
{
    const struct pit_channel *c = &pit->ch[0];
    bool periodic = c->mode == 2 || c->mode == 3;
    return periodic && c->armed && c->gate && path != IRQ0_CLOSED;
}

void ticks_update(struct lost_ticks *t, struct pit8254 *pit, struct irqchip *ic)
{
    const struct pit_channel *c = &pit->ch[0];
    uint64_t now = vclock_now(pit->clock);
    pit_update(pit);
    enum irq0_path path = irqchip_irq0_path(ic); /* after the edge pit_update raised */
    if (pit->irq0_pulses != t->seen_edges) {     /* the chip raised one */
        t->seen_edges = pit->irq0_pulses;
        t->last_ns = pit_last_edge_ns(pit); /* when it was due: polls may be sparse */
        t->raised_ns = now;
    }
    if (c->reload != t->reload || c->mode != t->mode) { /* reprogrammed */
        drop(t, t->backlog);
        t->reload = c->reload;
        t->mode = c->mode;
    }
    t->backlog += pit_take_missed(pit);
    if (!t->backlog)
        return;
    if (!deliverable(pit, path)) {
        drop(t, t->backlog);
        return;
    }
    uint64_t cap = ticks_cap(pit);
    if (t->backlog > cap)
        drop(t, t->backlog - cap);
    /* The previous IRQ0 not yet taken (IRR) or not yet ended (ISR): a new
     * edge now would merge with it or be held behind it. */
    if (path != IRQ0_FREE || now < owed_at(t, pit))
        return;
    t->backlog--;
    t->reinjected++;
    t->last_ns = t->raised_ns = t->owed_ns = now;
    irq_line_pulse(&pit->irq0);
}
