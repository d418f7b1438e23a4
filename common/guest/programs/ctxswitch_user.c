/* ctxswitch_user — the ring-3 half of `ctxswitch`.  `ctx_sh` lives in the
 * user region, the one piece of memory both tasks (and the kernel) see. */
#include "ulib.h"

volatile struct ctx_shared {
    uint32_t n, turn, count, order_bad, spurious[2];
    uint64_t t_start, t_end, deadline;
    uint32_t busy[2], seen_other[2];
} ctx_sh;

int ctx_pingpong_user(uint32_t me)
{
    for (uint32_t i = 0; i < ctx_sh.n; i++) {
        while (ctx_sh.turn != me) { /* not our turn: hand over */
            u_yield();
            if (ctx_sh.turn != me)
                ctx_sh.spurious[me]++;
        }
        if (ctx_sh.count != 2 * i + me) /* strict alternation */
            ctx_sh.order_bad++;
        if (ctx_sh.count == 0)
            ctx_sh.t_start = u_rdtsc();
        if (++ctx_sh.count == 2 * ctx_sh.n)
            ctx_sh.t_end = u_rdtsc();
        ctx_sh.turn = 1 - me;
        if (ctx_sh.count < 2 * ctx_sh.n)
            u_yield();
    }
    return 0;
}

int ctx_busy_user(uint32_t me)
{
    uint32_t other = 1 - me, last = ctx_sh.busy[other];
    /* Until both saw the other run twice: the ticks decide when, not the
     * host's speed; the deadline only ends a run without preemption. */
    while ((ctx_sh.seen_other[0] < 2 || ctx_sh.seen_other[1] < 2) && u_rdtsc() < ctx_sh.deadline) {
        ctx_sh.busy[me]++;
        if (ctx_sh.busy[other] != last) { /* the other ran since we looked */
            ctx_sh.seen_other[me]++;
            last = ctx_sh.busy[other];
        }
    }
    return 0;
}
