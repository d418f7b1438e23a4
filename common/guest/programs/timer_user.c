/* timer_user — the ring-3 half of `timer`: watch SYS_time tick. */
#include "ulib.h"

volatile struct timer_results {
    uint32_t ticks;
    uint64_t cycles;
} timer_res;

int timer_user(uint32_t nticks)
{
    uint32_t t = u_time();
    while (u_time() == t) /* start on a tick edge */
        ;
    t = u_time();
    uint64_t c0 = u_rdtsc();
    while (u_time() - t < nticks)
        ;
    timer_res.cycles = u_rdtsc() - c0;
    timer_res.ticks = u_time() - t;
    return 0;
}
