/*
 * mc146818.h — the CMOS real-time clock (Motorola MC146818A) at 0x70/0x71.
 *
 * The PC/AT's battery-backed clock and 128 bytes of CMOS RAM, reached
 * through an index port and a data port:
 *
 *     0x70  write: index (bits 6:0) | bit 7 = NMI disabled (the AT wires
 *           bit 7 of this port to the NMI mask; read: nobody, 0xFF)
 *     0x71  the register the index selects
 *
 * Registers (MC146818A datasheet, "Address map", Table 2 and Figure 3):
 *     0x00 seconds   0x01 seconds alarm   0x02 minutes  0x03 minutes alarm
 *     0x04 hours     0x05 hours alarm     0x06 day of week (1 = Sunday)
 *     0x07 day of month  0x08 month  0x09 year (00-99)
 *     0x0A A: bit 7 UIP (read-only), 6:4 DV divider (010 = 32.768 kHz
 *          time base running; 11x = divider held in reset), 3:0 RS rate
 *     0x0B B: bit 7 SET, 6 PIE, 5 AIE, 4 UIE, 3 SQWE, 2 DM (1 = binary,
 *          0 = BCD), 1 24/12 (1 = 24-hour), 0 DSE
 *     0x0C C: bit 7 IRQF, 6 PF, 5 AF, 4 UF; read-only, cleared by a read
 *     0x0D D: bit 7 VRT (valid RAM and time: the battery is good)
 *     0x0E-0x7F RAM, of which the PC BIOS convention (IBM AT Technical
 *          Reference, "CMOS RAM address map") defines 0x15-0x16 base
 *          memory in KiB, 0x17-0x18 and 0x30-0x31 memory above 1 MiB in
 *          KiB (at most 0xFFFF), 0x2E-0x2F the checksum of 0x10-0x2D, 0x32
 *          the century (as QEMU and ACPI's FADT CENTURY use it), and
 *          0x34-0x35 memory above 16 MiB in 64 KiB blocks (the SeaBIOS and
 *          QEMU convention): a BIOS-less OS may read them.
 *
 * Time.  The clock starts from the host's wall-clock time (UTC) and
 * advances on the VM's clock (struct vclock), so a unit test runs it on a
 * fake clock.  Once a second an update cycle increments the time
 * registers (in the format DM and 24/12 choose; a value the guest wrote
 * is kept as written and carried from there, as the chip does), checks
 * the alarm (an alarm byte with bits 7:6 set is "don't care") and sets UF
 * (and AF).  UIP reads 1 from 244 us before the update to its end (the
 * update itself lasts 1984 us): software that reads the time while UIP
 * is 0 has at least 244 us to do it (datasheet, "Update cycle").  SET
 * freezes the time registers (an update in progress is abandoned and UIE
 * cleared) so software can write them; the divider keeps its phase, so
 * the next update comes at the next second boundary after SET is
 * cleared.  A divider taken out of reset (DV 11x -> 010) makes the first
 * update come 500 ms later.
 *
 * Periodic interrupt: RS selects a rate from the 32.768 kHz time base,
 * period = 2^(RS-1) cycles for RS 3-15 (8192 Hz down to 2 Hz), 128 and
 * 256 cycles for RS 1 and 2 (256 Hz, 128 Hz), none for RS 0 (datasheet
 * Table 3); PF is set each period, whatever PIE says.
 *
 * Interrupts: IRQF = PF&PIE | AF&AIE | UF&UIE, and the IRQ output follows
 * IRQF; on a PC it is IRQ 8, the slave 8259's IR0.  The flags stay set
 * until register C is read, so a guest that never reads C gets one
 * interrupt and no more (the PC's edge-triggered IRQ 8 sees no new edge).
 *
 * Device time advances when the VM calls rtc_update() (the run loop, the
 * HLT wait, core/vm.c) and on every access, like the 8254 model
 * (pit8254.h); rtc_next_deadline() tells a halted CPU when to wake.
 */
#ifndef DEVICES_MC146818_H
#define DEVICES_MC146818_H

#include <stdbool.h>
#include <stdint.h>
#include "core/clock.h"
#include "core/irq.h"

#define RTC_BASE   0x70
#define RTC_NPORTS 2
#define RTC_IRQ    8

enum {
    RTC_SECONDS = 0x00,
    RTC_SECONDS_ALARM = 0x01,
    RTC_MINUTES = 0x02,
    RTC_MINUTES_ALARM = 0x03,
    RTC_HOURS = 0x04,
    RTC_HOURS_ALARM = 0x05,
    RTC_DAY_OF_WEEK = 0x06,
    RTC_DAY_OF_MONTH = 0x07,
    RTC_MONTH = 0x08,
    RTC_YEAR = 0x09,
    RTC_REG_A = 0x0A,
    RTC_REG_B = 0x0B,
    RTC_REG_C = 0x0C,
    RTC_REG_D = 0x0D,
    RTC_CENTURY = 0x32,
};
#define RTC_A_UIP  0x80
#define RTC_B_SET  0x80
#define RTC_B_PIE  0x40
#define RTC_B_AIE  0x20
#define RTC_B_UIE  0x10
#define RTC_B_DM   0x04 /* binary */
#define RTC_B_24H  0x02
#define RTC_C_IRQF 0x80
#define RTC_C_PF   0x40
#define RTC_C_AF   0x20
#define RTC_C_UF   0x10
#define RTC_D_VRT  0x80

#define RTC_UIP_BEFORE_NS 244000u  /* UIP rises this long before an update */
#define RTC_UPDATE_NS     1984000u /* the update cycle itself               */

/* The time registers, in binary (hour 0-23), whatever the guest's format. */
struct rtc_time {
    int sec, min, hour, wday, mday, mon, year; /* wday 1-7, mon 1-12, year 4 digits */
};

struct mc146818 {
    uint8_t cmos[128]; /* RAM; also the alarm bytes as written      */
    uint8_t index;     /* selected by port 0x70                     */
    bool nmi_disabled; /* bit 7 of the last index write             */
    uint8_t a, b, c;
    struct rtc_time t;
    const struct vclock *clock;
    struct irq_line irq;
    uint64_t next_update;       /* vclock ns at which the next update ends  */
    uint64_t periodic_base;     /* the divider's phase for PF               */
    uint64_t next_periodic;     /* next PF, or UINT64_MAX (RS = 0)          */
    uint64_t updates, periodic; /* statistics                           */
};

/* Start the clock at wall-clock time wall_s + wall_ns (seconds since
 * 1970-01-01 UTC: the host's CLOCK_REALTIME, or a fixed time in a test),
 * reg A = 0x26 (running, 1024 Hz), B = 24-hour BCD as a PC BIOS leaves
 * it, D = VRT.  irq may be NULL. */
void rtc_init(struct mc146818 *r, const struct vclock *clock, const struct irq_line *irq,
              int64_t wall_s, uint32_t wall_ns);
/* The memory-size bytes and the checksum for a guest of ram_bytes. */
void rtc_set_memory(struct mc146818 *r, uint64_t ram_bytes);
/* Bring the clock, the flags and the IRQ line up to the VM clock's now. */
void rtc_update(struct mc146818 *r);
/* vclock ns of the next event that could raise IRQ 8 (an enabled periodic,
 * update or alarm interrupt), or UINT64_MAX if none can. */
uint64_t rtc_next_deadline(const struct mc146818 *r);
/* iobus handler for 0x70-0x71. */
void rtc_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value);

#endif
