/*
 * timer.c — the 8254 Programmable Interval Timer.  Its 1.193182 MHz input
 * clock divided by 11932 gives an interrupt on IRQ 0 every 10 ms (100 Hz).
 * Channel 0, mode 2 (rate generator), lobyte/hibyte access (8254 datasheet,
 * "Control Word Format").
 *
 * The paravirtual kernel asks the VMM for a periodic PV timer on the same
 * vector instead (HC_SET_TIMER, include/vmlab_pv.h): no port I/O at all.
 *
 * The TSC is calibrated by counting cycles across a few timer ticks while
 * the CPU sleeps in hlt: tsc_per_tick() lets programs convert cycles to time.
 */
#include "timer.h"
#include "trap.h"
#include "pic.h"
#include "program.h"
#include "x86.h"

#define PIT_FREQ    1193182u
#define PIT_CH0     0x40
#define PIT_CMD     0x43
#define CALIB_TICKS 5

static volatile uint32_t ticks;
static uint64_t tsc_tick;

void timer_tick(void) { ticks++; }

uint32_t timer_ticks(void) { return ticks; }

uint64_t tsc_per_tick(void) { return tsc_tick; }

void timer_init(void)
{
#ifdef VMLAB_PV
    /* The PV timer: one hypercall, periodic, on the PIT's vector. */
    uint32_t us = 1000000 / TIMER_HZ;
    hypercall3(HC_SET_TIMER, us, us, T_IRQ0);
#else
    uint32_t div = (PIT_FREQ + TIMER_HZ / 2) / TIMER_HZ;
    outb(PIT_CMD, 0x34); /* channel 0, lo/hi byte, mode 2 */
    outb(PIT_CH0, (uint8_t)div);
    outb(PIT_CH0, (uint8_t)(div >> 8));
    pic_unmask(0);
#endif

    /* Calibrate: start on a tick edge, count TSC cycles over CALIB_TICKS. */
    uint32_t t = ticks;
    while (ticks == t)
        sti_hlt_cli();
    uint64_t c0 = rdtsc();
    t = ticks;
    while (ticks - t < CALIB_TICKS)
        sti_hlt_cli();
    tsc_tick = (rdtsc() - c0) / CALIB_TICKS;
    if (!tsc_tick)
        tsc_tick = 1;
}
