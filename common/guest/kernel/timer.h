/* timer.h — the 8254 PIT at 100 Hz and the TSC calibrated against it.
 * timer_ticks() and tsc_per_tick() are declared in program.h. */
#ifndef GUEST_TIMER_H
#define GUEST_TIMER_H

#include <stdint.h>

#define TIMER_HZ 100

void timer_init(void); /* program the PIT, unmask IRQ 0, calibrate the TSC */
void timer_tick(void); /* called from the IRQ 0 handler                     */

#endif
