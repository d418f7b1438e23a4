/*
 * ctxswitch — context switches between two ring-3 tasks in different
 * address spaces (so each switch also reloads CR3).
 *
 * Part 1, ping-pong: the tasks take turns through a flag and a counter in
 * the shared user region and hand over the CPU with SYS_yield; the
 * counter must go 0, 1, 2, ... in strict alternation.  Cycles per switch.
 * Part 2, preemption: two tasks that never yield both make progress,
 * because the 100 Hz timer interrupt switches between them.
 */
#include "program.h"

int ctx_pingpong_user(uint32_t me);
int ctx_busy_user(uint32_t me);
extern volatile struct ctx_shared {
    uint32_t n, turn, count, order_bad, spurious[2];
    uint64_t t_start, t_end, deadline;
    uint32_t busy[2], seen_other[2];
} ctx_sh;

static int ctxswitch(struct prog_ctx *ctx)
{
    uint32_t n = ctx->iters;
    ctx_sh.n = n;
    ctx_sh.turn = 0;
    ctx_sh.count = 0;
    ctx_sh.order_bad = 0;
    ctx_sh.spurious[0] = ctx_sh.spurious[1] = 0;
    uint32_t tick0 = timer_ticks();
    int a = task_spawn_user("ping", ctx_pingpong_user, 0);
    int b = task_spawn_user("pong", ctx_pingpong_user, 1);
    if (a < 0 || b < 0)
        return prog_fail(ctx, "cannot spawn the ring-3 tasks");
    int ca = task_wait(a), cb = task_wait(b);
    uint32_t ticks = timer_ticks() - tick0;
    uint64_t cycles = ctx_sh.t_end - ctx_sh.t_start;
    uint32_t switches = 2 * n - 1;
    result(ctx, "mode=yield switches=%u cycles=%llu cycles_per_switch=%llu spurious=%u", switches,
           cycles, cycles / switches, ctx_sh.spurious[0] + ctx_sh.spurious[1]);
    if (ca || cb)
        return prog_fail(ctx, "ping-pong tasks exited with %d and %d", ca, cb);
    if (ctx_sh.count != 2 * n || ctx_sh.order_bad)
        return prog_fail(ctx, "counter reached %u (expected %u), %u turns out of order",
                         ctx_sh.count, 2 * n, ctx_sh.order_bad);
    /* A timer tick may preempt a task between its turn and its yield, and
     * then a yield or two come back to the same task; more than that means
     * SYS_yield did not switch to the other task.  Counted per tick, not
     * per switch: a slow engine on a loaded host sees more ticks. */
    if (ctx_sh.spurious[0] + ctx_sh.spurious[1] > 2 * ticks + 4)
        return prog_fail(ctx, "%u yields came back to the same task (%u timer ticks)",
                         ctx_sh.spurious[0] + ctx_sh.spurious[1], ticks);

    /* Preemption: both spin without yielding until each saw the other run
     * twice, which takes a few timer ticks; 500 ticks (5 s of TSC time)
     * is only a safety net for a timer that never preempts, long enough
     * for a slow engine on a loaded host, whose ticks may merge. */
    ctx_sh.busy[0] = ctx_sh.busy[1] = 0;
    ctx_sh.seen_other[0] = ctx_sh.seen_other[1] = 0;
    ctx_sh.deadline = rdtsc() + 500 * tsc_per_tick();
    a = task_spawn_user("busy0", ctx_busy_user, 0);
    b = task_spawn_user("busy1", ctx_busy_user, 1);
    if (a < 0 || b < 0)
        return prog_fail(ctx, "cannot spawn the busy tasks");
    ca = task_wait(a);
    cb = task_wait(b);
    result(ctx, "mode=preempt loops0=%u loops1=%u preemptions0=%u preemptions1=%u", ctx_sh.busy[0],
           ctx_sh.busy[1], ctx_sh.seen_other[0], ctx_sh.seen_other[1]);
    if (ca || cb)
        return prog_fail(ctx, "busy tasks exited with %d and %d", ca, cb);
    if (ctx_sh.seen_other[0] < 2 || ctx_sh.seen_other[1] < 2)
        return prog_fail(ctx, "no preemption: each busy task saw the other run %u and %u times",
                         ctx_sh.seen_other[0], ctx_sh.seen_other[1]);
    return 0;
}

PROGRAM("ctxswitch", "two ring-3 tasks: yield ping-pong (cycles per switch) and timer preemption",
        500, ctxswitch);
