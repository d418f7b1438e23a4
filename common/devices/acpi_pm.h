/*
 * acpi_pm.h — the ACPI power-management registers of our PC ("fixed
 * hardware", ACPI 6.4 §4.8): where an ACPI OS powers the machine off and
 * reads the PM timer.
 *
 * One 12-port block at ACPI_PM_BASE (the FADT of common/firmware/acpi.c
 * points at it; the address is QEMU's PIIX4 one):
 *
 *   +0  PM1a_EVT_BLK  PM1_STS (16 bits, write 1 to clear)   §4.8.3.1.1
 *   +2                PM1_EN  (16 bits)                     §4.8.3.1.2
 *   +4  PM1a_CNT_BLK  PM1_CNT (16 bits)                     §4.8.3.2.1
 *   +8  PM_TMR_BLK    PM_TMR  (32 bits, 24 counting)        §4.8.3.3
 *
 * Power-off: the OS reads the SLP_TYP value of S5 from the DSDT's \_S5
 * package (ACPI_PM_SLP_TYP_S5), writes it to PM1_CNT.SLP_TYP, then writes
 * it again with SLP_EN set (§7.4.2, §16.1.5).  The second write turns the
 * machine off: poweroff becomes true and the VM ends with status 0.
 *
 * The PM timer counts at 3.579545 MHz from the VM's clock (core/clock.h),
 * from its 0 (a value at reset the OS cannot rely on, §4.8.3.3);
 * FADT.TMR_VAL_EXT is clear so it is 24 bits wide and PM1_STS.TMR_STS is
 * set each time bit 23 changes.  The SCI (IRQ 9, level, active high) is
 * asserted while SCI_EN and a status bit and its enable bit are all set.
 */
#ifndef DEVICES_ACPI_PM_H
#define DEVICES_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>
#include "core/clock.h"
#include "core/irq.h"

#define ACPI_PM_BASE     0x600 /* PM1a_EVT_BLK; the other blocks follow */
#define ACPI_PM_NPORTS   12
#define ACPI_PM1_EVT_OFF 0 /* PM1_STS at +0, PM1_EN at +2 */
#define ACPI_PM1_CNT_OFF 4
#define ACPI_PM_TMR_OFF  8
#define ACPI_PM1_EVT_LEN 4 /* FADT PM1_EVT_LEN, PM1_CNT_LEN, PM_TMR_LEN */
#define ACPI_PM1_CNT_LEN 2
#define ACPI_PM_TMR_LEN  4
#define ACPI_PM_SCI_IRQ  9 /* FADT SCI_INT: ISA IRQ 9, GSI 9 */

#define ACPI_PM_TMR_HZ 3579545 /* §4.8.3.3: 3.579545 MHz */

/* PM1_STS / PM1_EN bits (ACPI 6.4 Tables 4.16, 4.17). */
#define PM1_TMR     (1u << 0)  /* timer carry (bit 23 changed)   */
#define PM1_BM_STS  (1u << 4)  /* bus master activity (status)   */
#define PM1_GBL     (1u << 5)  /* global lock release            */
#define PM1_PWRBTN  (1u << 8)  /* power button                   */
#define PM1_SLPBTN  (1u << 9)  /* sleep button                   */
#define PM1_RTC     (1u << 10) /* RTC alarm                      */
#define PM1_WAK_STS (1u << 15) /* woken from a sleeping state    */
/* PM1_CNT bits (Table 4.18). */
#define PM1_SCI_EN       (1u << 0) /* SCI, not SMI, for power events */
#define PM1_BM_RLD       (1u << 1)
#define PM1_GBL_RLS      (1u << 2)             /* write-only                     */
#define PM1_SLP_TYP(v)   ((unsigned)(v) << 10) /* bits 10-12          */
#define PM1_SLP_TYP_MASK PM1_SLP_TYP(7)
#define PM1_SLP_EN       (1u << 13) /* write-only: enter SLP_TYP      */

/* The SLP_TYP values of our chipset, which the DSDT's \_Sx packages give
 * the OS (ACPI 6.4 §7.4.2).  Only S5 (soft off) is offered. */
#define ACPI_PM_SLP_TYP_S5 5

struct acpi_pm {
    uint16_t sts, en, cnt; /* PM1_STS, PM1_EN, PM1_CNT (SLP_EN reads 0) */
    const struct vclock *clock;
    uint64_t ticks_seen; /* clock ticks (since the clock's 0) when TMR_STS
                                was last brought up to date                 */
    struct irq_line sci;
    int sci_level;
    bool poweroff;           /* SLP_EN written with SLP_TYP = S5           */
    unsigned sleeps_refused; /* SLP_EN with a SLP_TYP we do not implement */
};

/* SCI_EN is set: there is no SMI handler to hand over from (FADT SMI_CMD
 * is 0, the machine is always in ACPI mode, §5.2.9). */
void acpi_pm_init(struct acpi_pm *pm, const struct vclock *clock, const struct irq_line *sci);
/* The iobus handler of the whole block (offset 0..11, any size 1/2/4). */
void acpi_pm_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value);
/* The PM timer now: 24 bits at 3.579545 MHz. */
uint32_t acpi_pm_timer(const struct acpi_pm *pm);
/* Bring TMR_STS and the SCI up to date with the clock (also done on every
 * access); a run loop that wants timely timer-carry SCIs calls it when
 * acpi_pm_next_deadline() has passed. */
void acpi_pm_update(struct acpi_pm *pm);
/* When the SCI may next rise on its own (a timer carry with TMR_EN and
 * SCI_EN set), in clock ns; UINT64_MAX if never. */
uint64_t acpi_pm_next_deadline(const struct acpi_pm *pm);

#endif
