/*
 * pit8254.c — Intel 8254 PIT (datasheet "8254 Programmable Interval Timer").
 *
 * Modes, with N the count loaded and OUT the counter's output:
 *   0  interrupt on terminal count: OUT low, goes high N ticks after loading
 *      and stays high; the counter keeps wrapping below 0.
 *   2  rate generator: OUT high, low for one tick every N ticks (period N).
 *   3  square wave: OUT high for ceil(N/2) ticks, low for floor(N/2).
 *   4  software strobe: OUT high, low for one tick when the count reaches 0.
 *   1, 5 are the hardware-triggered versions of 0 and 4: a loaded count
 *      waits (OUT high) until a rising edge on GATE starts it; only
 *      channel 2 has a usable gate on a PC.
 * All of this is computed from e = ticks elapsed since loading, so the
 * emulation costs nothing while nobody looks.  The PIC input is
 * edge-triggered: each rising edge of OUT0 is one IRQ0 request.
 */
#include <string.h>
#include "devices/pit8254.h"

static uint64_t ns_to_ticks(uint64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * PIT_HZ / 1000000000u);
}

static uint64_t ticks_to_ns_ceil(uint64_t t)
{
    return (uint64_t)(((unsigned __int128)t * 1000000000u + PIT_HZ - 1) / PIT_HZ);
}

static uint64_t now_ns(const struct pit8254 *p) { return vclock_now(p->clock); }

/* The input clock is a free-running oscillator: tick k happens at time
 * k / PIT_HZ.  A counter counts the ticks since it was loaded (held while
 * its gate is low). */
static uint64_t elapsed(const struct pit_channel *c, uint64_t now)
{
    if (!c->armed || c->wait_trigger)
        return 0;
    if (!c->gate)
        return c->frozen;
    uint64_t t = ns_to_ticks(now);
    return t > c->load_tick ? t - c->load_tick : 0;
}

static int out_at(const struct pit_channel *c, uint64_t e)
{
    uint64_t n = c->reload;
    switch (c->mode) {
    case 0: return c->armed && e >= n;
    case 1: /* high until triggered, then low for N */
        return !c->armed || c->wait_trigger || e >= n;
    case 2:
        if (!c->armed || !c->gate || n < 2)
            return 1;
        return e % n != n - 1;
    case 3:
        if (!c->armed || !c->gate || n < 2)
            return 1;
        return e % n < (n + 1) / 2;
    default: /* 4, 5 */ return !(c->armed && !c->wait_trigger && e == n);
    }
}

/* Rising edges of OUT in ticks [0, e]. */
static uint64_t edges_at(const struct pit_channel *c, uint64_t e)
{
    uint64_t n = c->reload;
    if (!c->armed || c->wait_trigger)
        return 0;
    switch (c->mode) {
    case 0:
    case 1: return e >= n;
    case 2:
    case 3: return n < 2 ? 0 : e / n;
    default: return e >= n + 1;
    }
}

/* Tick at which the next rising edge happens, or UINT64_MAX. */
static uint64_t next_edge_tick(const struct pit_channel *c)
{
    uint64_t n = c->reload;
    if (!c->armed || c->wait_trigger || !c->gate)
        return UINT64_MAX;
    switch (c->mode) {
    case 0:
    case 1: return c->edges ? UINT64_MAX : n;
    case 2:
    case 3: return n < 2 ? UINT64_MAX : (c->edges + 1) * n;
    default: return c->edges ? UINT64_MAX : n + 1;
    }
}

static uint16_t count_at(const struct pit_channel *c, uint64_t e)
{
    uint64_t n = c->reload;
    if (!c->armed)
        return c->cr;
    switch (c->mode) {
    case 2: return (uint16_t)(n - e % n);
    case 3: { /* counts down by 2, reloading each half */
        uint64_t pos = e % n, h1 = (n + 1) / 2;
        uint64_t in_half = pos < h1 ? pos : pos - h1;
        return (uint16_t)((n & ~1ull) - 2 * in_half);
    }
    default: /* 0, 1, 4, 5: wraps through 0xffff */ return (uint16_t)(n - e);
    }
}

uint16_t pit_count(const struct pit8254 *p, int channel)
{
    const struct pit_channel *c = &p->ch[channel];
    return count_at(c, elapsed(c, now_ns(p)));
}

int pit_output(const struct pit8254 *p, int channel)
{
    const struct pit_channel *c = &p->ch[channel];
    return out_at(c, elapsed(c, now_ns(p)));
}

void pit_init(struct pit8254 *p, const struct vclock *clock, const struct irq_line *irq0)
{
    memset(p, 0, sizeof *p);
    p->clock = clock;
    if (irq0)
        p->irq0 = *irq0;
    for (int i = 0; i < 3; i++) {
        p->ch[i].rw = 3;
        p->ch[i].reload = 65536;
        p->ch[i].gate = i != 2; /* gates 0, 1 are tied high on a PC */
    }
}

void pit_update(struct pit8254 *p)
{
    struct pit_channel *c = &p->ch[0];
    if (!c->armed)
        return;
    uint64_t e = edges_at(c, elapsed(c, now_ns(p)));
    if (e > c->edges) {
        p->irq0_missed += e - c->edges - 1;
        p->late += e - c->edges - 1;
        c->edges = e;
        p->irq0_pulses++;
        irq_line_pulse(&p->irq0);
    }
}

uint64_t pit_take_missed(struct pit8254 *p)
{
    uint64_t n = p->late;
    p->late = 0;
    return n;
}

uint64_t pit_last_edge_ns(const struct pit8254 *p)
{
    const struct pit_channel *c = &p->ch[0];
    return ticks_to_ns_ceil(c->load_tick + c->edges * c->reload);
}

uint64_t pit_next_deadline(const struct pit8254 *p)
{
    const struct pit_channel *c = &p->ch[0];
    uint64_t t = next_edge_tick(c);
    if (t == UINT64_MAX)
        return UINT64_MAX;
    return ticks_to_ns_ceil(c->load_tick + t);
}

/* The counting element starts over with the count register's value. */
static void load_count(struct pit8254 *p, struct pit_channel *c)
{
    c->reload = c->cr ? c->cr : 65536;
    c->armed = true;
    c->wait_trigger = c->mode == 1 || c->mode == 5;
    c->load_tick = ns_to_ticks(now_ns(p));
    c->frozen = 0;
    c->edges = 0;
    if (c == &p->ch[0]) /* periods of the old count are not owed */
        p->late = 0;
}

static void latch_count(struct pit8254 *p, struct pit_channel *c)
{
    if (c->latch_left) /* a second latch before reading: ignored */
        return;
    c->latch = pit_count(p, (int)(c - p->ch));
    c->latch_left = c->rw == 3 ? 2 : 1;
}

static void latch_status(struct pit8254 *p, struct pit_channel *c)
{
    if (c->status_latched)
        return;
    c->status = (uint8_t)(pit_output(p, (int)(c - p->ch)) << 7 |
                          (!c->armed || c->wait_trigger) << 6 | c->rw << 4 | c->mode << 1 | c->bcd);
    c->status_latched = true;
}

static void write_control(struct pit8254 *p, uint8_t v)
{
    int sc = v >> 6;
    if (sc == 3) { /* read-back command */
        for (int i = 0; i < 3; i++) {
            if (!(v & (2 << i)))
                continue;
            if (!(v & 0x20))
                latch_count(p, &p->ch[i]);
            if (!(v & 0x10))
                latch_status(p, &p->ch[i]);
        }
        return;
    }
    struct pit_channel *c = &p->ch[sc];
    int rw = (v >> 4) & 3;
    if (rw == 0) { /* counter latch command */
        latch_count(p, c);
        return;
    }
    c->rw = (uint8_t)rw;
    c->mode = (v >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4; /* 6, 7 = 2, 3 */
    c->bcd = v & 1;
    c->write_msb = c->read_msb = false;
    c->armed = false; /* OUT to its initial level, wait for a count */
    c->edges = 0;
    if (sc == 0)
        p->late = 0;
}

static void write_counter(struct pit8254 *p, struct pit_channel *c, uint8_t v)
{
    switch (c->rw) {
    case 1: c->cr = v; break;
    case 2: c->cr = (uint16_t)(v << 8); break;
    default:
        if (!c->write_msb) {
            c->cr = (c->cr & 0xff00) | v;
            c->write_msb = true;
            if (c->mode == 0) /* mode 0: the first byte stops counting */
                c->armed = false;
            return;
        }
        c->cr = (uint16_t)((c->cr & 0x00ff) | v << 8);
        c->write_msb = false;
        break;
    }
    load_count(p, c);
}

static uint8_t read_counter(struct pit8254 *p, struct pit_channel *c)
{
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    uint16_t v;
    if (c->latch_left) {
        v = c->latch;
        bool msb = c->rw == 2 || (c->rw == 3 && c->latch_left == 1);
        c->latch_left--;
        return msb ? v >> 8 : v & 0xff;
    }
    v = pit_count(p, (int)(c - p->ch));
    switch (c->rw) {
    case 1: return v & 0xff;
    case 2: return v >> 8;
    default: c->read_msb = !c->read_msb; return c->read_msb ? v & 0xff : v >> 8;
    }
}

void pit_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    struct pit8254 *p = dev;
    (void)size;
    pit_update(p);
    if (offset == 3) {
        if (is_write)
            write_control(p, (uint8_t)*value);
        else
            *value = 0xff; /* the control word register is write-only */
        return;
    }
    struct pit_channel *c = &p->ch[offset & 3];
    if (is_write)
        write_counter(p, c, (uint8_t)*value);
    else
        *value = read_counter(p, c);
}

void pit_set_gate(struct pit8254 *p, int channel, bool level)
{
    struct pit_channel *c = &p->ch[channel];
    uint64_t now = now_ns(p);
    if (level == c->gate)
        return;
    if (!level) { /* falling: freeze the count */
        c->frozen = elapsed(c, now);
        c->gate = false;
        return;
    }
    c->gate = true;
    if (!c->armed)
        return;
    uint64_t t = ns_to_ticks(now);
    if (c->mode == 0 || c->mode == 4) { /* resume where it stopped */
        c->load_tick = t > c->frozen ? t - c->frozen : 0;
    } else { /* 1, 2, 3, 5: a rising gate reloads */
        c->load_tick = t;
        c->edges = 0;
        c->wait_trigger = false;
    }
}

void pit_port_b_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    struct pit8254 *p = dev;
    (void)offset;
    (void)size;
    if (is_write) {
        p->port_b = *value & 3;
        pit_set_gate(p, 2, *value & 1);
        return;
    }
    p->refresh = !p->refresh; /* DRAM refresh toggle, used for delays */
    *value = p->port_b | (p->refresh ? 0x10 : 0) | (pit_output(p, 2) ? 0x20 : 0);
}
