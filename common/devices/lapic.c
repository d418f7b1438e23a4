/*
 * lapic.c — the xAPIC local APIC (see lapic.h; Intel SDM Vol. 3A ch. 11).
 *
 * IRR, ISR and TMR are 256-bit vectors kept as eight 32-bit words, the way
 * the register page shows them (word n at offset base + 0x10 * n).
 */
#include <string.h>
#include "devices/lapic.h"

enum {
    R_ID = 0x020,
    R_VERSION = 0x030,
    R_TPR = 0x080,
    R_APR = 0x090,
    R_PPR = 0x0A0,
    R_EOI = 0x0B0,
    R_RRD = 0x0C0,
    R_LDR = 0x0D0,
    R_DFR = 0x0E0,
    R_SVR = 0x0F0,
    R_ISR = 0x100,
    R_TMR = 0x180,
    R_IRR = 0x200,
    R_ESR = 0x280,
    R_ICR_LO = 0x300,
    R_ICR_HI = 0x310,
    R_LVT = 0x320, /* .. 0x370, LAPIC_NLVT entries */
    R_TIMER_INIT = 0x380,
    R_TIMER_CUR = 0x390,
    R_TIMER_DCR = 0x3E0,
};

/* Writable bits of each LVT entry (§11.5.1 Figure 11-8): vector, delivery
 * mode, polarity and trigger (LINT only), mask, timer mode (periodic). */
static const uint32_t lvt_bits[LAPIC_NLVT] = {
    [LVT_TIMER] = 0x300ff, [LVT_THERMAL] = 0x107ff, [LVT_PERF] = 0x107ff,
    [LVT_LINT0] = 0x1a7ff, [LVT_LINT1] = 0x1a7ff,   [LVT_ERROR] = 0x100ff,
};

static void set_bit256(uint32_t *v, int n) { v[n >> 5] |= 1u << (n & 31); }
static void clr_bit256(uint32_t *v, int n) { v[n >> 5] &= ~(1u << (n & 31)); }
static bool get_bit256(const uint32_t *v, int n) { return v[n >> 5] >> (n & 31) & 1; }

/* Highest set bit of a 256-bit register, or -1. */
static int highest(const uint32_t *v)
{
    for (int w = 7; w >= 0; w--)
        if (v[w])
            return w * 32 + 31 - __builtin_clz(v[w]);
    return -1;
}

static bool sw_enabled(const struct lapic *l) { return l->svr & SVR_ENABLE; }

void lapic_reset(struct lapic *l)
{
    const struct vclock *clock = l->clock;
    void (*eoi)(void *, int) = l->eoi_broadcast;
    void *ctx = l->eoi_ctx;
    memset(l, 0, sizeof *l);
    l->clock = clock;
    l->eoi_broadcast = eoi;
    l->eoi_ctx = ctx;
    l->dfr = 0xffffffffu; /* flat model */
    l->svr = 0xff;        /* software-disabled, spurious vector 0xFF */
    for (int i = 0; i < LAPIC_NLVT; i++)
        l->lvt[i] = LVT_MASKED;
    l->lvt[LVT_LINT0] = LVT_DM_EXTINT << LVT_DM_SHIFT; /* virtual wire (lapic.h) */
    l->timer_next = UINT64_MAX;
}

void lapic_init(struct lapic *l, const struct vclock *clock,
                void (*eoi_broadcast)(void *ctx, int vector), void *ctx)
{
    l->clock = clock;
    l->eoi_broadcast = eoi_broadcast;
    l->eoi_ctx = ctx;
    lapic_reset(l);
}

/* An error of §11.5.3: collected, and signalled through LVT error. */
static void error(struct lapic *l, uint32_t bit)
{
    l->esr_pending |= bit;
    uint32_t lvt = l->lvt[LVT_ERROR];
    if (!(lvt & LVT_MASKED) && (lvt & 0xff) >= 16)
        lapic_accept(l, (int)(lvt & 0xff), false);
}

void lapic_accept(struct lapic *l, int vector, bool level)
{
    if (!sw_enabled(l)) /* §11.4.7.2: not accepted while disabled */
        return;
    if (vector < 16) {
        error(l, ESR_RECV_ILLEGAL);
        return;
    }
    set_bit256(l->irr, vector);
    if (level)
        set_bit256(l->tmr, vector);
    else
        clr_bit256(l->tmr, vector);
}

/* --- priorities (§11.8.3.1) ------------------------------------------- */

uint32_t lapic_ppr(const struct lapic *l)
{
    int isrv = highest(l->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

/* APR: the priority this CPU would arbitrate with (§11.8.3.1, Figure 11-15
 * "Arbitration Priority"): TPR unless a pending or in-service class is higher. */
static uint32_t apr(const struct lapic *l)
{
    int irrv = highest(l->irr), isrv = highest(l->isr);
    uint32_t c = (uint32_t)(irrv > isrv ? irrv : isrv);
    c = (irrv < 0 && isrv < 0) ? 0 : c & 0xf0;
    return (l->tpr & 0xf0) >= c ? l->tpr & 0xff : c;
}

int lapic_pending(const struct lapic *l)
{
    int v = highest(l->irr);
    if (v < 0 || ((uint32_t)v & 0xf0) <= (lapic_ppr(l) & 0xf0))
        return -1;
    return v;
}

int lapic_ack(struct lapic *l)
{
    int v = lapic_pending(l);
    if (v < 0) {
        l->spurious++;
        return (int)(l->svr & 0xff);
    }
    clr_bit256(l->irr, v);
    set_bit256(l->isr, v);
    l->delivered++;
    return v;
}

void lapic_eoi(struct lapic *l)
{
    int v = highest(l->isr);
    if (v < 0)
        return;
    clr_bit256(l->isr, v);
    if (get_bit256(l->tmr, v) && l->eoi_broadcast)
        l->eoi_broadcast(l->eoi_ctx, v);
}

bool lapic_alone_in_service(const struct lapic *l, int v)
{
    if (v < 0 || v > 255 || get_bit256(l->tmr, v) || highest(l->irr) >= 0)
        return false;
    for (int w = 0; w < 8; w++)
        if (l->isr[w] != (w == v >> 5 ? 1u << (v & 31) : 0))
            return false;
    return true;
}

bool lapic_lint0_extint(const struct lapic *l)
{
    uint32_t lvt = l->lvt[LVT_LINT0];
    return !(lvt & LVT_MASKED) && (lvt >> LVT_DM_SHIFT & 7) == LVT_DM_EXTINT;
}

/* --- the timer (§11.5.4) ---------------------------------------------- */

/* Divide configuration bits 0, 1, 3: 0b111 is 1, else 2^(value + 1). */
static uint64_t tick_ns(const struct lapic *l)
{
    uint32_t d = (l->timer_dcr & 3) | (l->timer_dcr >> 1 & 4);
    return (uint64_t)LAPIC_BUS_NS << (d == 7 ? 0 : d + 1);
}

static bool periodic(const struct lapic *l) { return l->lvt[LVT_TIMER] & LVT_PERIODIC; }

static uint32_t current_count(const struct lapic *l, uint64_t now)
{
    if (!l->timer_init || now < l->timer_start)
        return l->timer_init;
    uint64_t ticks = (now - l->timer_start) / tick_ns(l);
    if (periodic(l))
        return l->timer_init - (uint32_t)(ticks % l->timer_init);
    return ticks >= l->timer_init ? 0 : l->timer_init - (uint32_t)ticks;
}

/* (Re)start counting from `count` at time now. */
static void timer_load(struct lapic *l, uint32_t count, uint64_t now)
{
    uint64_t t = tick_ns(l);
    l->timer_start = now - (uint64_t)(l->timer_init - count) * t;
    l->timer_next = l->timer_init && count ? now + (uint64_t)count * t : UINT64_MAX;
}

void lapic_update(struct lapic *l, uint64_t now)
{
    if (now < l->timer_next)
        return;
    if (!(l->lvt[LVT_TIMER] & LVT_MASKED)) {
        lapic_accept(l, (int)(l->lvt[LVT_TIMER] & 0xff), false);
        l->timer_fires++;
    }
    if (!periodic(l)) {
        l->timer_next = UINT64_MAX;
        return;
    }
    /* Periodic: the next expiry after now (merged ones are one request). */
    uint64_t period = (uint64_t)l->timer_init * tick_ns(l);
    l->timer_start = now - (now - l->timer_start) % period;
    l->timer_next = l->timer_start + period;
}

uint64_t lapic_next_deadline(const struct lapic *l)
{
    return (l->lvt[LVT_TIMER] & LVT_MASKED) ? UINT64_MAX : l->timer_next;
}

/* --- the ICR (§11.6.1) ------------------------------------------------ */

/* Does destination field dest (ICR bits 56-63) name this APIC? */
static bool is_dest(const struct lapic *l, uint32_t dest, bool logical)
{
    if (!logical) /* physical: our ID, or 0xFF broadcast */
        return dest == 0xff || dest == (l->id >> 24);
    uint32_t ldr = l->ldr >> 24;
    if ((l->dfr >> 28) == 0xf) /* flat model: one bit per APIC */
        return (dest & ldr) != 0;
    /* cluster model: cluster in bits 4-7, member bits 0-3 (§11.6.2.2) */
    return dest == 0xff || ((dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf));
}

static void send_ipi(struct lapic *l)
{
    uint32_t lo = l->icr_lo, mode = lo >> 8 & 7, shorthand = lo >> 18 & 3;
    int vector = (int)(lo & 0xff);
    bool to_me = shorthand == 1 || shorthand == 2 ||
                 (shorthand == 0 && is_dest(l, l->icr_hi >> 24, lo & (1u << 11)));
    if (mode > 1) /* SMI, NMI, INIT, SIPI: not modelled (lapic.h) */
        return;
    if (vector < 16) {
        error(l, ESR_SEND_ILLEGAL);
        return;
    }
    if (to_me)
        lapic_accept(l, vector, false);
}

/* --- the register page ------------------------------------------------ */

static uint32_t reg_read(struct lapic *l, uint32_t r, uint64_t now)
{
    if (r >= R_ISR && r < R_ISR + 0x80)
        return l->isr[(r - R_ISR) >> 4];
    if (r >= R_TMR && r < R_TMR + 0x80)
        return l->tmr[(r - R_TMR) >> 4];
    if (r >= R_IRR && r < R_IRR + 0x80)
        return l->irr[(r - R_IRR) >> 4];
    if (r >= R_LVT && r < R_LVT + 0x10 * LAPIC_NLVT)
        return l->lvt[(r - R_LVT) >> 4];
    switch (r) {
    case R_ID: return l->id;
    case R_VERSION: return LAPIC_VERSION;
    case R_TPR: return l->tpr;
    case R_APR: return apr(l);
    case R_PPR: return lapic_ppr(l);
    case R_EOI:
    case R_RRD: return 0;
    case R_LDR: return l->ldr;
    case R_DFR: return l->dfr;
    case R_SVR: return l->svr;
    case R_ESR: return l->esr;
    case R_ICR_LO: return l->icr_lo; /* delivery status 0: sent at once */
    case R_ICR_HI: return l->icr_hi;
    case R_TIMER_INIT: return l->timer_init;
    case R_TIMER_CUR: return current_count(l, now);
    case R_TIMER_DCR: return l->timer_dcr;
    default: error(l, ESR_ILLEGAL_REG); return 0;
    }
}

static void lvt_write(struct lapic *l, int i, uint32_t v, uint64_t now)
{
    bool was_periodic = periodic(l);
    l->lvt[i] = v & lvt_bits[i];
    if (!sw_enabled(l)) /* masks stay set while disabled (§11.4.7.2) */
        l->lvt[i] |= LVT_MASKED;
    if (i == LVT_TIMER && was_periodic != periodic(l) && l->timer_init)
        timer_load(l, current_count(l, now), now); /* mode change: keep the count */
}

static void svr_write(struct lapic *l, uint32_t v)
{
    l->svr = v & 0x3ff; /* vector, enable, focus check */
    if (!sw_enabled(l))
        for (int i = 0; i < LAPIC_NLVT; i++)
            l->lvt[i] |= LVT_MASKED;
}

static void reg_write(struct lapic *l, uint32_t r, uint32_t v, uint64_t now)
{
    if (r >= R_LVT && r < R_LVT + 0x10 * LAPIC_NLVT) {
        lvt_write(l, (int)((r - R_LVT) >> 4), v, now);
        return;
    }
    switch (r) {
    case R_ID: l->id = v & 0xff000000u; break;
    case R_TPR: l->tpr = v & 0xff; break;
    case R_EOI:
        l->eoi_writes++;
        lapic_eoi(l);
        break;
    case R_LDR: l->ldr = v & 0xff000000u; break;
    case R_DFR: l->dfr = v | 0x0fffffffu; break;
    case R_SVR: svr_write(l, v); break;
    case R_ESR: /* write-before-read (§11.5.3) */
        l->esr = l->esr_pending;
        l->esr_pending = 0;
        break;
    case R_ICR_LO:
        l->icr_lo = v & 0x000ccfffu; /* delivery status (12) reads 0 */
        send_ipi(l);
        break;
    case R_ICR_HI: l->icr_hi = v & 0xff000000u; break;
    case R_TIMER_INIT:
        l->timer_init = v;
        timer_load(l, v, now);
        break;
    case R_TIMER_DCR: {
        uint32_t cur = current_count(l, now);
        l->timer_dcr = v & 0xb;
        if (l->timer_init)
            timer_load(l, cur, now); /* count on from here at the new rate */
        break;
    }
    case R_VERSION:
    case R_APR:
    case R_PPR:
    case R_RRD:
    case R_TIMER_CUR: break; /* read only */
    default:
        if (!(r >= R_ISR && r < R_IRR + 0x80))
            error(l, ESR_ILLEGAL_REG);
        break;
    }
}

void lapic_mmio(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    struct lapic *l = dev;
    uint64_t now = vclock_now(l->clock);
    uint32_t r = (uint32_t)offset & 0xff0, byte = (uint32_t)offset & 0xf;
    lapic_update(l, now);
    if (is_write) {
        if (size == 4 && byte == 0)
            reg_write(l, r, *value, now);
        return;
    }
    uint32_t v = byte < 4 ? reg_read(l, r, now) >> (8 * byte) : 0;
    *value = size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}
