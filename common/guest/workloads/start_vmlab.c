/*
 * start_vmlab.c — the module build's platform: the entry point and three
 * system calls of the teaching guest's module ABI (common/guest/README.md,
 * "The tiny ABI"): write, brk and clock_gettime, with Linux's numbers.
 *
 * The kernel starts a module the way Linux starts a process: ESP points
 * at argc, then argv[], a NULL and an empty environment (System V ABI,
 * Intel386 supplement, "Process Initialization").
 */
#include "wl.h"
#include "vmlab_abi.h"

static int32_t sys(uint32_t nr, uint32_t a, uint32_t b, uint32_t c)
{
    int32_t r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

void wl_write(const char *s, size_t n) { sys(SYS_write, 1, (uint32_t)s, n); }

void *wl_sbrk(uint32_t n)
{
    uint32_t old = (uint32_t)sys(SYS_brk, 0, 0, 0);
    if ((uint32_t)sys(SYS_brk, old + n, 0, 0) != old + n)
        return 0;
    return (void *)old;
}

uint64_t wl_now_ns(void)
{
    uint32_t ts[2];
    if (sys(SYS_clock_gettime, CLOCK_MONOTONIC, (uint32_t)ts, 0))
        return 0;
    return (uint64_t)ts[0] * 1000000000u + ts[1];
}

void wl_start(uint32_t *sp) __attribute__((noreturn, used));
void wl_start(uint32_t *sp)
{
    int code = wl_main((int)sp[0], (char **)(sp + 1));
    sys(SYS_exit, (uint32_t)code, 0, 0);
    for (;;)
        ;
}

/* _start: pass the initial ESP (where argc is) and keep the stack 16-byte
 * aligned at the call, as the i386 psABI expects. */
__asm__(".text\n"
        ".globl _start\n"
        "_start:\n\t"
        "mov %esp, %eax\n\t"
        "and $-16, %esp\n\t"
        "sub $12, %esp\n\t"
        "push %eax\n\t"
        "call wl_start\n");
