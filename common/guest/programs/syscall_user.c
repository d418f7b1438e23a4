/* syscall_user — the ring-3 half of `syscall`. */
#include "ulib.h"

volatile struct syscall_results {
    int32_t pid, bad_pid, write_ret, write_len, badptr_ret, badfd_ret, unknown_ret;
    uint32_t time_back;
    uint64_t cycles;
} syscall_res;

int syscall_user(uint32_t n)
{
    int pid = u_getpid();
    int bad = 0;
    uint64_t t0 = u_rdtsc();
    for (uint32_t i = 0; i < n; i++)
        bad += u_getpid() != pid;
    syscall_res.cycles = u_rdtsc() - t0;
    syscall_res.pid = pid;
    syscall_res.bad_pid = bad;

    static const char msg[] = "syscall: hello through SYS_write\n";
    syscall_res.write_len = (int32_t)sizeof msg - 1;
    syscall_res.write_ret = u_write(msg, sizeof msg - 1);
    /* The kernel image is supervisor-only: the kernel must refuse it. */
    syscall_res.badptr_ret = u_syscall(SYS_write, 1, 0x00100000u, 16);
    syscall_res.badfd_ret = u_syscall(SYS_write, 7, (uint32_t)msg, 1);
    syscall_res.unknown_ret = u_syscall(0x7777, 0, 0, 0);
    uint32_t t = u_time(), back = 0;
    for (int i = 0; i < 100; i++) {
        uint32_t t2 = u_time();
        back |= t2 < t;
        t = t2;
    }
    syscall_res.time_back = back;
    return 0;
}
