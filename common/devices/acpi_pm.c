/*
 * acpi_pm.c — the ACPI PM1a event and control blocks and the PM timer
 * (acpi_pm.h; ACPI 6.4 §4.8.3).
 */
#include "devices/acpi_pm.h"

#define NS_PER_S        1000000000ull
#define TMR_CARRY_SHIFT 23 /* 24-bit timer: TMR_STS on each change of bit 23 */

/* Enable and read-write control bits; the others read 0. */
#define PM1_EN_BITS (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | PM1_RTC)
#define PM1_CNT_RW  (PM1_SCI_EN | PM1_BM_RLD | PM1_SLP_TYP_MASK)

/* Ticks of the 3.579545 MHz clock since the clock's 0, without overflowing 64 bits. */
static uint64_t ticks_now(const struct acpi_pm *pm)
{
    uint64_t ns = vclock_now(pm->clock);
    return ns / NS_PER_S * ACPI_PM_TMR_HZ + ns % NS_PER_S * ACPI_PM_TMR_HZ / NS_PER_S;
}

/* Clock ns at which tick t starts (rounded up). */
static uint64_t tick_ns(uint64_t t)
{
    return t / ACPI_PM_TMR_HZ * NS_PER_S +
           (t % ACPI_PM_TMR_HZ * NS_PER_S + ACPI_PM_TMR_HZ - 1) / ACPI_PM_TMR_HZ;
}

/* The SCI is a level (§5.6.1): high while an enabled event is pending. */
static void update_sci(struct acpi_pm *pm)
{
    int level = (pm->cnt & PM1_SCI_EN) && (pm->sts & pm->en) ? 1 : 0;
    if (level != pm->sci_level) {
        pm->sci_level = level;
        irq_line_set(&pm->sci, level);
    }
}

void acpi_pm_init(struct acpi_pm *pm, const struct vclock *clock, const struct irq_line *sci)
{
    *pm = (struct acpi_pm){ .cnt = PM1_SCI_EN, .clock = clock, .sci = *sci };
    pm->ticks_seen = ticks_now(pm);
    irq_line_set(&pm->sci, 0);
}

uint32_t acpi_pm_timer(const struct acpi_pm *pm) { return (uint32_t)ticks_now(pm) & 0xffffff; }

void acpi_pm_update(struct acpi_pm *pm)
{
    uint64_t t = ticks_now(pm);
    if (t >> TMR_CARRY_SHIFT != pm->ticks_seen >> TMR_CARRY_SHIFT)
        pm->sts |= PM1_TMR; /* bit 23 changed since we last looked */
    pm->ticks_seen = t;
    update_sci(pm);
}

uint64_t acpi_pm_next_deadline(const struct acpi_pm *pm)
{
    if (!(pm->cnt & PM1_SCI_EN) || !(pm->en & PM1_TMR) || (pm->sts & PM1_TMR))
        return UINT64_MAX; /* no carry could raise the SCI (or it is up) */
    uint64_t next = ((pm->ticks_seen >> TMR_CARRY_SHIFT) + 1) << TMR_CARRY_SHIFT;
    return tick_ns(next);
}

/* PM1_CNT written.  SLP_EN starts the sleep that SLP_TYP names (§4.8.3.2.1,
 * §7.4.2): S5 is soft off; a state we do not implement (the DSDT offers
 * none) wakes at once, so an OS waiting for WAK_STS goes on. */
static void write_cnt(struct acpi_pm *pm, uint16_t v)
{
    pm->cnt = (uint16_t)((v & PM1_CNT_RW) | PM1_SCI_EN); /* SCI_EN: always ACPI mode */
    if (!(v & PM1_SLP_EN))
        return;
    if ((v & PM1_SLP_TYP_MASK) == PM1_SLP_TYP(ACPI_PM_SLP_TYP_S5)) {
        pm->poweroff = true;
        return;
    }
    pm->sleeps_refused++;
    pm->sts |= PM1_WAK_STS;
}

/* The value of the register that holds byte offset off (16 bits; the
 * timer 32). */
static uint32_t reg_read(struct acpi_pm *pm, unsigned off)
{
    if (off >= ACPI_PM_TMR_OFF)
        return acpi_pm_timer(pm);
    if (off >= ACPI_PM1_CNT_OFF + 2)
        return 0; /* 6-7: nothing decodes there */
    uint16_t r = off >= ACPI_PM1_CNT_OFF ? pm->cnt : off >= 2 ? pm->en : pm->sts;
    return r;
}

static void reg_write(struct acpi_pm *pm, unsigned off, uint16_t v)
{
    switch (off) {
    case 0: pm->sts &= (uint16_t)~v; break; /* write 1 to clear */
    case 2: pm->en = (uint16_t)(v & PM1_EN_BITS); break;
    case 4: write_cnt(pm, v); break;
    default: break; /* the timer is read-only */
    }
}

void acpi_pm_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    struct acpi_pm *pm = dev;
    acpi_pm_update(pm);
    if (!is_write) {
        /* Assemble the bytes [offset, offset+size) from their registers. */
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i++) {
            unsigned off = (unsigned)offset + i;
            unsigned base = off >= ACPI_PM_TMR_OFF ? ACPI_PM_TMR_OFF : off & ~1u;
            uint32_t byte = off < ACPI_PM_NPORTS ? reg_read(pm, off) >> (8 * (off - base)) : 0xff;
            v |= (byte & 0xff) << (8 * i);
        }
        *value = v;
        return;
    }
    /* A write reaches each 16-bit register it covers, whole: the bytes of
     * the register it does not cover keep their value (for PM1_STS: 0,
     * which clears nothing; PM1_CNT keeps no SLP_EN, so SLP_EN is set
     * only when written). */
    for (unsigned off = (unsigned)offset & ~1u; off < offset + size && off < ACPI_PM_TMR_OFF;
         off += 2) {
        uint16_t old = off == 0 ? 0 : (uint16_t)reg_read(pm, off), v = old;
        for (unsigned b = 0; b < 2; b++) {
            unsigned at = off + b;
            if (at >= offset && at < offset + size) {
                v = (uint16_t)(v & ~(0xffu << (8 * b)));
                v = (uint16_t)(v | ((*value >> (8 * (at - offset))) & 0xff) << (8 * b));
            }
        }
        reg_write(pm, off, v);
    }
    update_sci(pm);
}
