/*
 * abi_user_elf.c — checks the module ABI's process services from the
 * module's side (README.md, "The tiny ABI"); tests/guest/interp.sh runs it
 * as a boot module with arguments and reads what it prints:
 *
 *   ABI argc=<n> argv=<a,b,...> envp=empty align=16     the initial stack
 *   ABI brk=ok                                           brk's semantics
 *   ABI clock_res_ns=<n> tick2_ns=<n> tsc_hz=<n>          the clock
 *
 * Each failed check prints "ABI FAIL <what>" and sets the exit code to the
 * check's number.  With the arguments "exit N" it only exits with code N
 * (the exit code is the verdict the kernel reports).
 */
#include <stdint.h>
#include "vmlab_abi.h"

static int32_t sys(uint32_t nr, uint32_t a, uint32_t b, uint32_t c)
{
    int32_t r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

static uint32_t len(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void out(const char *s) { sys(SYS_write, 1, (uint32_t)s, len(s)); }

static void out_u(uint64_t v)
{
    char d[24], *p = d + sizeof d;
    *--p = '\0';
    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    out(p);
}

static int code;

static void check(int ok, int num, const char *what)
{
    if (ok)
        return;
    out("ABI FAIL ");
    out(what);
    out("\n");
    if (!code)
        code = num;
}

static uint64_t now_ns(void)
{
    uint32_t ts[2] = { 0, 0 };
    check(sys(SYS_clock_gettime, CLOCK_MONOTONIC, (uint32_t)ts, 0) == 0, 20, "clock_gettime");
    check(ts[1] < 1000000000u, 21, "tv_nsec out of range");
    return (uint64_t)ts[0] * 1000000000u + ts[1];
}

static void stack(uint32_t *sp)
{
    uint32_t argc = sp[0];
    char **argv = (char **)(sp + 1);
    out("ABI argc=");
    out_u(argc);
    out(" argv=");
    for (uint32_t i = 0; i < argc; i++) {
        out(i ? "," : "");
        out(argv[i]);
        check((uint32_t)argv[i] > (uint32_t)sp && (uint32_t)argv[i] < USER_STACK_TOP, 1,
              "argv string outside the stack");
    }
    check(argv[argc] == 0, 2, "argv not NULL-terminated");
    check(argv[argc + 1] == 0, 3, "envp not empty");
    check(argv[argc + 2] == 0, 4, "auxv not AT_NULL");
    out(argv[argc + 1] ? " envp=?" : " envp=empty");
    out(((uint32_t)sp & 15) ? " align=no\n" : " align=16\n");
}

static void brk(void)
{
    const uint32_t base = USER_HEAP_BASE, page = 4096;
    volatile uint8_t *p = (volatile uint8_t *)(base + 2 * page + 5);
    check((uint32_t)sys(SYS_brk, 0, 0, 0) == base, 10, "brk(0) is not USER_HEAP_BASE");
    check((uint32_t)sys(SYS_brk, base + 3 * page + 100, 0, 0) == base + 3 * page + 100, 11,
          "brk did not grow");
    *p = 0xAB;
    check((uint32_t)sys(SYS_brk, base + page, 0, 0) == base + page, 12, "brk did not shrink");
    check((uint32_t)sys(SYS_brk, USER_HEAP_END + page, 0, 0) == base + page, 13,
          "brk beyond the heap moved the break");
    check((uint32_t)sys(SYS_brk, 0x1000, 0, 0) == base + page, 14,
          "brk below the heap moved the break");
    check((uint32_t)sys(SYS_brk, base + 3 * page, 0, 0) == base + 3 * page, 15, "brk regrow");
    check(*p == 0, 16, "memory given back by brk and taken again is not zero");
    out(code ? "ABI brk=bad\n" : "ABI brk=ok\n");
}

static void clock(void)
{
    uint32_t ts[2];
    uint64_t hz = 0;
    check(sys(SYS_clock_gettime, 0, (uint32_t)ts, 0) == -1, 22, "clock 0 accepted");
    check(sys(SYS_clock_gettime, CLOCK_MONOTONIC, 0, 0) == -1, 23, "NULL timespec accepted");
    check(sys(SYS_tsc_hz, (uint32_t)&hz, 0, 0) == 0 && hz > 1000000, 24, "SYS_tsc_hz");
    check(sys(SYS_tsc_hz, 0, 0, 0) == -1, 25, "SYS_tsc_hz(NULL) accepted");
    /* Resolution: the smallest step between two reads that differ. */
    uint64_t res = ~0ull;
    for (int i = 0; i < 20; i++) {
        uint64_t a = now_ns(), b;
        while ((b = now_ns()) == a)
            ;
        check(b > a, 26, "clock went backwards");
        res = b - a < res ? b - a : res;
    }
    /* Two PIT periods, edge to edge, are 20 ms of the same machine's time.
     * Loose bounds, 2-200 ms: on a loaded host the two clocks drift apart
     * (the calibration too), while a wrong unit or rate is off by 100x. */
    uint32_t t = (uint32_t)sys(SYS_time, 0, 0, 0);
    while ((uint32_t)sys(SYS_time, 0, 0, 0) == t)
        ;
    uint64_t c0 = now_ns();
    t = (uint32_t)sys(SYS_time, 0, 0, 0);
    while ((uint32_t)sys(SYS_time, 0, 0, 0) - t < 2)
        ;
    uint64_t span = now_ns() - c0;
    check(res < 1000000, 27, "clock resolution is not below 1 ms");
    check(span > 2000000 && span < 200000000, 28, "2 ticks are not ~20 ms of the clock");
    out("ABI clock_res_ns=");
    out_u(res);
    out(" tick2_ns=");
    out_u(span);
    out(" tsc_hz=");
    out_u(hz);
    out("\n");
}

static int is(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

void abi_main(uint32_t *sp) __attribute__((noreturn, used));
void abi_main(uint32_t *sp)
{
    char **argv = (char **)(sp + 1);
    if (sp[0] == 3 && is(argv[1], "exit")) { /* "exit N": the verdict */
        uint32_t n = 0;
        for (const char *c = argv[2]; *c >= '0' && *c <= '9'; c++)
            n = n * 10 + (uint32_t)(*c - '0');
        sys(SYS_exit, n, 0, 0);
    }
    stack(sp);
    brk();
    clock();
    sys(SYS_exit, (uint32_t)code, 0, 0);
    for (;;)
        ;
}

__asm__(".text\n.globl _start\n_start:\n\tmov %esp, %eax\n\tpush %eax\n\tcall abi_main\n");
