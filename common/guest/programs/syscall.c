/*
 * syscall — the "null" system call: a ring-3 loop of SYS_getpid, timed in
 * TSC cycles per call (Adams & Agesen's syscall microbenchmark).  Also
 * checks the answers of write/time and of bad calls.
 */
#include "program.h"

int syscall_user(uint32_t n);
extern volatile struct syscall_results {
    int32_t pid, bad_pid, write_ret, write_len, badptr_ret, badfd_ret, unknown_ret;
    uint32_t time_back;
    uint64_t cycles;
} syscall_res;

static int syscall_prog(struct prog_ctx *ctx)
{
    int id = task_spawn_user("syscall", syscall_user, ctx->iters);
    if (id < 0)
        return prog_fail(ctx, "cannot spawn the ring-3 task");
    int code = task_wait(id);
    result(ctx, "calls=%u cycles=%llu cycles_per_call=%llu", ctx->iters, syscall_res.cycles,
           syscall_res.cycles / ctx->iters);
    if (code != 0)
        return prog_fail(ctx, "ring-3 task exited with %d", code);
    if (syscall_res.pid != id || syscall_res.bad_pid)
        return prog_fail(ctx, "getpid returned %d (task id %d), %d wrong answers in the loop",
                         syscall_res.pid, id, syscall_res.bad_pid);
    if (syscall_res.write_ret != syscall_res.write_len)
        return prog_fail(ctx, "write returned %d, expected its length %d", syscall_res.write_ret,
                         syscall_res.write_len);
    if (syscall_res.badptr_ret != -1 || syscall_res.badfd_ret != -1)
        return prog_fail(ctx, "write of a kernel buffer returned %d, to fd 7 %d (expected -1)",
                         syscall_res.badptr_ret, syscall_res.badfd_ret);
    if (syscall_res.unknown_ret != -2)
        return prog_fail(ctx, "unknown system call returned %d, expected -2",
                         syscall_res.unknown_ret);
    if (syscall_res.time_back)
        return prog_fail(ctx, "SYS_time went backwards");
    return 0;
}

PROGRAM("syscall", "null system call (SYS_getpid) from ring 3, cycles per call", 10000,
        syscall_prog);
