/*
 * mc146818.c — the CMOS real-time clock (mc146818.h).
 *
 * Time is kept as binary fields (struct rtc_time) and shown in the format
 * register B asks for at each read; a write is taken in that format.  The
 * update cycles and periodic flags are computed from the VM clock on
 * demand, like the 8254's counts (pit8254.c): idle costs nothing.
 */
#include "devices/mc146818.h"

#include <string.h>
#include <time.h>

#define NS_PER_S 1000000000ull
#define XTAL_HZ  32768u /* the time base: DV = 010 */

static bool running(const struct mc146818 *r) { return (r->a & 0x70) == 0x20; }

/* Periodic rate in 32.768 kHz cycles for RS (datasheet Table 3), 0 if none. */
static uint64_t period_cycles(const struct mc146818 *r)
{
    unsigned rs = r->a & 0x0f;
    if (rs == 0)
        return 0;
    if (rs <= 2) /* 256 Hz and 128 Hz: as RS 8 and 9 */
        rs += 7;
    return 1ull << (rs - 1);
}

static uint64_t cycles_to_ns(uint64_t cyc) /* rounded up: an edge is never early */
{
    return cyc / XTAL_HZ * NS_PER_S + ((cyc % XTAL_HZ) * NS_PER_S + XTAL_HZ - 1) / XTAL_HZ;
}

static uint64_t ns_to_cycles(uint64_t ns)
{
    return ns / NS_PER_S * XTAL_HZ + (ns % NS_PER_S) * XTAL_HZ / NS_PER_S;
}

/* The first periodic edge after now (on the divider's phase), or UINT64_MAX. */
static uint64_t next_periodic(const struct mc146818 *r, uint64_t now)
{
    uint64_t p = period_cycles(r);
    if (!p || !running(r))
        return UINT64_MAX;
    if (now < r->periodic_base)
        return r->periodic_base;
    uint64_t k = ns_to_cycles(now - r->periodic_base) / p + 1;
    uint64_t at = r->periodic_base + cycles_to_ns(k * p);
    return at > now ? at : at + cycles_to_ns(p); /* rounding: strictly after */
}

static int days_in_month(int mon, int year)
{
    static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (mon == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return (mon >= 1 && mon <= 12) ? d[mon - 1] : 31;
}

/* One update cycle's increment, with the carries of a calendar. */
static void tick(struct rtc_time *t)
{
    if (++t->sec < 60)
        return;
    t->sec = 0;
    if (++t->min < 60)
        return;
    t->min = 0;
    if (++t->hour < 24)
        return;
    t->hour = 0;
    t->wday = t->wday % 7 + 1;
    if (++t->mday <= days_in_month(t->mon, t->year))
        return;
    t->mday = 1;
    if (++t->mon <= 12)
        return;
    t->mon = 1;
    t->year++;
}

static uint8_t enc(const struct mc146818 *r, int v)
{
    if (r->b & RTC_B_DM)
        return (uint8_t)v;
    return (uint8_t)((v / 10 % 10) << 4 | v % 10);
}

static int dec(const struct mc146818 *r, uint8_t v)
{
    return (r->b & RTC_B_DM) ? v : (v >> 4) * 10 + (v & 0x0f);
}

/* Hours: in 12-hour mode 1-12 with bit 7 = PM (datasheet Table 2). */
static uint8_t enc_hour(const struct mc146818 *r, int h)
{
    if (r->b & RTC_B_24H)
        return enc(r, h);
    return (uint8_t)(enc(r, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0));
}

static int dec_hour(const struct mc146818 *r, uint8_t v)
{
    if (r->b & RTC_B_24H)
        return dec(r, v);
    return dec(r, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0);
}

/* An alarm byte matches when equal to the time, or "don't care" (11xxxxxx). */
static bool alarm_matches(const struct mc146818 *r)
{
    const uint8_t *c = r->cmos;
    return (c[RTC_SECONDS_ALARM] >= 0xc0 || c[RTC_SECONDS_ALARM] == enc(r, r->t.sec)) &&
           (c[RTC_MINUTES_ALARM] >= 0xc0 || c[RTC_MINUTES_ALARM] == enc(r, r->t.min)) &&
           (c[RTC_HOURS_ALARM] >= 0xc0 || c[RTC_HOURS_ALARM] == enc_hour(r, r->t.hour));
}

/* IRQF and the IRQ output follow the enabled flags. */
static void update_irq(struct mc146818 *r)
{
    uint8_t on = r->c & r->b & (RTC_C_PF | RTC_C_AF | RTC_C_UF); /* same bit positions */
    if (on)
        r->c |= RTC_C_IRQF;
    else
        r->c &= (uint8_t)~RTC_C_IRQF;
    irq_line_set(&r->irq, on != 0);
}

void rtc_update(struct mc146818 *r)
{
    uint64_t now = vclock_now(r->clock);
    if (running(r) && now >= r->next_update) {
        uint64_t n = (now - r->next_update) / NS_PER_S + 1;
        r->next_update += n * NS_PER_S;
        if (!(r->b & RTC_B_SET)) { /* SET inhibits updates; the phase goes on */
            for (uint64_t i = 0; i < n; i++) {
                tick(&r->t);
                if (alarm_matches(r))
                    r->c |= RTC_C_AF;
            }
            r->c |= RTC_C_UF;
            r->updates += n;
        }
    }
    if (now >= r->next_periodic) {
        r->c |= RTC_C_PF;
        r->periodic++;
        r->next_periodic = next_periodic(r, now);
    }
    update_irq(r);
}

uint64_t rtc_next_deadline(const struct mc146818 *r)
{
    uint64_t dl = UINT64_MAX;
    if ((r->b & RTC_B_PIE) && !(r->c & RTC_C_PF))
        dl = r->next_periodic;
    if ((r->b & (RTC_B_UIE | RTC_B_AIE)) && running(r) && !(r->b & RTC_B_SET) &&
        r->next_update < dl)
        dl = r->next_update;
    return dl;
}

/* The divider's phase: updates at next_update, PF edges on the same grid
 * (every rate divides a second). */
static void set_phase(struct mc146818 *r, uint64_t next_update, uint64_t now)
{
    r->next_update = next_update;
    r->periodic_base = next_update % NS_PER_S;
    r->next_periodic = next_periodic(r, now);
}

void rtc_init(struct mc146818 *r, const struct vclock *clock, const struct irq_line *irq,
              int64_t wall_s, uint32_t wall_ns)
{
    memset(r, 0, sizeof *r);
    r->clock = clock;
    if (irq)
        r->irq = *irq;
    time_t s = (time_t)wall_s;
    struct tm tm;
    gmtime_r(&s, &tm);
    r->t = (struct rtc_time){ tm.tm_sec,  tm.tm_min,     tm.tm_hour,       tm.tm_wday + 1,
                              tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900 };
    if (r->t.sec > 59) /* a leap second: the chip has none */
        r->t.sec = 59;
    r->a = 0x26; /* 32.768 kHz, 1024 Hz periodic rate */
    r->b = RTC_B_24H;
    uint64_t now = vclock_now(clock);
    set_phase(r, now + (NS_PER_S - wall_ns % NS_PER_S), now);
}

void rtc_set_memory(struct mc146818 *r, uint64_t ram)
{
    uint64_t kib = ram >= (1u << 20) ? (ram >> 10) - 1024 : 0;
    uint64_t blocks = ram > (16u << 20) ? (ram - (16u << 20)) >> 16 : 0;
    if (kib > 0xffff)
        kib = 0xffff;
    if (blocks > 0xffff)
        blocks = 0xffff;
    r->cmos[0x15] = 640 & 0xff; /* base memory: 640 KiB */
    r->cmos[0x16] = 640 >> 8;
    r->cmos[0x17] = r->cmos[0x30] = (uint8_t)kib;
    r->cmos[0x18] = r->cmos[0x31] = (uint8_t)(kib >> 8);
    r->cmos[0x34] = (uint8_t)blocks;
    r->cmos[0x35] = (uint8_t)(blocks >> 8);
    unsigned sum = 0;
    for (int i = 0x10; i <= 0x2d; i++)
        sum += r->cmos[i];
    r->cmos[0x2e] = (uint8_t)(sum >> 8);
    r->cmos[0x2f] = (uint8_t)sum;
}

static bool in_uip_window(const struct mc146818 *r)
{
    uint64_t now = vclock_now(r->clock);
    return running(r) && !(r->b & RTC_B_SET) &&
           r->next_update - now <= RTC_UIP_BEFORE_NS + RTC_UPDATE_NS;
}

static uint8_t reg_read(struct mc146818 *r, unsigned i)
{
    switch (i) {
    case RTC_SECONDS: return enc(r, r->t.sec);
    case RTC_MINUTES: return enc(r, r->t.min);
    case RTC_HOURS: return enc_hour(r, r->t.hour);
    case RTC_DAY_OF_WEEK: return enc(r, r->t.wday);
    case RTC_DAY_OF_MONTH: return enc(r, r->t.mday);
    case RTC_MONTH: return enc(r, r->t.mon);
    case RTC_YEAR: return enc(r, r->t.year % 100);
    case RTC_CENTURY: return enc(r, r->t.year / 100);
    case RTC_REG_A: return (uint8_t)(r->a | (in_uip_window(r) ? RTC_A_UIP : 0));
    case RTC_REG_B: return r->b;
    case RTC_REG_C: {
        uint8_t c = r->c; /* reading C clears every flag (datasheet) */
        r->c = 0;
        update_irq(r);
        return c;
    }
    case RTC_REG_D: return RTC_D_VRT;
    default: return r->cmos[i];
    }
}

static void write_a(struct mc146818 *r, uint8_t v)
{
    bool was = running(r);
    uint64_t now = vclock_now(r->clock);
    r->a = v & 0x7f;        /* UIP is read-only */
    if (running(r) && !was) /* out of divider reset: first update 500 ms on */
        set_phase(r, now + NS_PER_S / 2, now);
    else
        r->next_periodic = next_periodic(r, now);
}

static void reg_write(struct mc146818 *r, unsigned i, uint8_t v)
{
    struct rtc_time *t = &r->t;
    switch (i) {
    case RTC_SECONDS: t->sec = dec(r, v); break;
    case RTC_MINUTES: t->min = dec(r, v); break;
    case RTC_HOURS: t->hour = dec_hour(r, v); break;
    case RTC_DAY_OF_WEEK: t->wday = dec(r, v); break;
    case RTC_DAY_OF_MONTH: t->mday = dec(r, v); break;
    case RTC_MONTH: t->mon = dec(r, v); break;
    case RTC_YEAR: t->year = t->year / 100 * 100 + dec(r, v); break;
    case RTC_CENTURY: t->year = dec(r, v) * 100 + t->year % 100; break;
    case RTC_REG_A: write_a(r, v); break;
    case RTC_REG_B:
        if (v & RTC_B_SET) /* SET clears UIE (datasheet, register B) */
            v &= (uint8_t)~RTC_B_UIE;
        r->b = v;
        break;
    case RTC_REG_C:
    case RTC_REG_D: break; /* read-only */
    default: r->cmos[i] = v; break;
    }
    update_irq(r);
}

void rtc_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    struct mc146818 *r = dev;
    (void)size; /* an 8-bit device */
    if (offset == 0) {
        if (is_write) {
            r->index = *value & 0x7f;
            r->nmi_disabled = *value & 0x80;
        } else {
            *value = 0xff; /* the index register is write-only */
        }
        return;
    }
    rtc_update(r);
    if (is_write)
        reg_write(r, r->index, (uint8_t)*value);
    else
        *value = reg_read(r, r->index);
}
