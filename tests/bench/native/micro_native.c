/*
 * micro_native.c — the native column of the microbenchmark table
 * (tests/bench/micro.sh, docs/ARCHITECTURE.md §9): the operations of Adams & Agesen's
 * Table 1 (ASPLOS 2006) done by a 32-bit Linux process on the host, which
 * is what the guest's programs measure inside a VM.
 *
 *   build/bench/micro.linux32 BENCH N
 *
 * BENCH            what one operation is (the guest program it stands for)
 *   syscall        int $0x80 getpid (eax = 20, the i386 ABI)     (syscall)
 *   vsyscall       getpid the way glibc makes it: through the vDSO's
 *                  __kernel_vsyscall (sysenter/syscall), for comparison
 *   callret        call of a one-instruction leaf and its ret    (callret)
 *   divzero        divl by zero -> SIGFPE -> handler -> resume   (divzero)
 *   pagefault      first write to a fresh MAP_ANONYMOUS page     (pagefault)
 *   ptemod         mprotect toggling one page RW <-> RO, + a read (ptemod)
 *   ctxswitch      sched_yield ping-pong of two processes pinned
 *                  to one CPU; counted as in the guest: 2N-1     (ctxswitch)
 *   forkexit       fork, the child touches four fresh heap pages and
 *                  exits, the parent waits                        (forkexit)
 *   tsc            measures the host TSC rate against CLOCK_MONOTONIC
 *   gsbase         x86-64 only: a write of the gs base the way the binary
 *                  translator switches windows (01-binary-translation/
 *                  bt_engine.c): WRGSBASE if the kernel allows it, else
 *                  arch_prctl(ARCH_SET_GS) (tests/bench/shadow.sh)
 *
 * Prints "RESULT native BENCH ops=N ns=T ns_per_op=X" (time from
 * CLOCK_MONOTONIC around the measured loop only) or, for tsc,
 * "RESULT native tsc mhz=F".  Exit status 0 iff every operation did what
 * it should (the answers are checked, as in the guest), 1 otherwise,
 * 2 on bad usage.  in/out has no native equivalent: a process may not
 * touch I/O ports (and on bare metal it is a slow bus cycle to a device).
 *
 * Also built as x86-64 (build/bench/micro.linux64) for hosts whose kernel
 * cannot run 32-bit processes (no IA32 emulation): the same operations,
 * with the 64-bit system-call instruction for syscall.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define PAGE 4096u
#ifdef __x86_64__
#define PROG "micro.linux64"
#else
#define PROG "micro.linux32"
#endif

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static void report(const char *name, uint32_t ops, uint64_t ns)
{
    printf("RESULT native %s ops=%u ns=%llu ns_per_op=%.2f\n", name, ops, (unsigned long long)ns,
           (double)ns / ops);
}

/* ---- syscall: the i386 system-call gate, int $0x80 ---------------------- */
static int bench_syscall(uint32_t n)
{
    int32_t pid = (int32_t)getpid(), bad = 0;
    uint64_t t0 = now_ns();
    for (uint32_t i = 0; i < n; i++) {
        int32_t r;
#ifdef __x86_64__
        /* The x86-64 build (a host without IA32 emulation): the SYSCALL
         * instruction, __NR_getpid = 39 in the x86-64 ABI. */
        __asm__ volatile("syscall" : "=a"(r) : "a"(39) : "rcx", "r11", "memory");
#else
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20) : "memory"); /* __NR_getpid */
#endif
        bad += r != pid;
    }
    report("syscall", n, now_ns() - t0);
    if (bad)
        fprintf(stderr, PROG ": syscall: %d wrong getpid answers\n", bad);
    return bad != 0;
}

/* glibc's own path on i386: syscall() calls __kernel_vsyscall in the vDSO,
 * which uses sysenter (or syscall) instead of the interrupt gate. */
static int bench_vsyscall(uint32_t n)
{
    long pid = getpid(), bad = 0;
    uint64_t t0 = now_ns();
    for (uint32_t i = 0; i < n; i++)
        bad += syscall(SYS_getpid) != pid;
    report("vsyscall", n, now_ns() - t0);
    if (bad)
        fprintf(stderr, PROG ": vsyscall: %ld wrong getpid answers\n", bad);
    return bad != 0;
}

/* ---- call/ret: the same loop as the guest's callret_user.c --------------- */
uint32_t native_callret_loop(uint32_t n);
#ifdef __x86_64__
#define ARG0 "    mov %edi, %ecx\n" /* SysV x86-64: first argument in EDI */
#else
#define ARG0 "    mov 4(%esp), %ecx\n"
#endif
__asm__(".text\n"
        ".globl native_callret_loop\n"
        "native_callret_loop:\n" ARG0 "    xor %eax, %eax\n"
        "1:  call native_callret_leaf\n"
        "    dec %ecx\n"
        "    jnz 1b\n"
        "    ret\n"
        "native_callret_leaf:\n"
        "    add %ecx, %eax\n"
        "    ret\n");

static int bench_callret(uint32_t n)
{
    uint32_t want = (n % 2 == 0) ? (n / 2) * (n + 1) : n * ((n + 1) / 2);
    uint64_t t0 = now_ns();
    uint32_t sum = native_callret_loop(n);
    report("callret", n, now_ns() - t0);
    if (sum != want)
        fprintf(stderr, PROG ": callret: sum 0x%08x, expected 0x%08x\n", sum, want);
    return sum != want;
}

/* ---- divide by zero: #DE becomes SIGFPE; the handler resumes after ------- */
/* The kernel's round trip: exception, signal frame, handler, sigreturn —
 * the native counterpart of the guest kernel's delivery to a ring-3
 * handler (SYS_fault_handler). */
void native_div_loop(uint32_t n);
extern char native_div_insn[], native_div_resume[];
__asm__(".text\n"
        ".globl native_div_loop, native_div_insn, native_div_resume\n"
        "native_div_loop:\n"
#ifdef __x86_64__
        "    push %rsi\n"
        "    mov %edi, %esi\n"
#else
        "    push %esi\n"
        "    mov 8(%esp), %esi\n"
#endif
        "1:  mov $1, %eax\n"
        "    xor %edx, %edx\n"
        "    xor %ecx, %ecx\n"
        "native_div_insn:\n"
        "    divl %ecx\n"
        "native_div_resume:\n"
        "    dec %esi\n"
        "    jnz 1b\n"
#ifdef __x86_64__
        "    pop %rsi\n"
#else
        "    pop %esi\n"
#endif
        "    ret\n");

static volatile uint32_t div_good, div_bad;

static void on_sigfpe(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    (void)sig;
    if (si->si_code == FPE_INTDIV && si->si_addr == (void *)native_div_insn)
        div_good++;
    else
        div_bad++;
#ifdef __x86_64__
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)native_div_resume;
#else
    uc->uc_mcontext.gregs[REG_EIP] = (greg_t)(uintptr_t)native_div_resume;
#endif
}

static int bench_divzero(uint32_t n)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigfpe;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGFPE, &sa, NULL) != 0) {
        perror(PROG ": sigaction");
        return 1;
    }
    uint64_t t0 = now_ns();
    native_div_loop(n);
    report("divzero", n, now_ns() - t0);
    if (div_good != n || div_bad)
        fprintf(stderr, PROG ": divzero: %u of %u delivered at the div, %u wrong\n", div_good, n,
                div_bad);
    return div_good != n || div_bad;
}

/* ---- page fault: first touch of fresh anonymous memory ------------------- */
/* A write, so the kernel allocates and zeroes a frame, as the guest
 * kernel does for every demand-zero fault (a Linux read fault would only
 * map the shared zero page).  Transparent huge pages off, so each 4 KiB
 * page faults once. */
static int bench_pagefault(uint32_t n)
{
    volatile uint32_t *p =
        mmap(NULL, (size_t)n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror(PROG ": mmap");
        return 1;
    }
    madvise((void *)p, (size_t)n * PAGE, MADV_NOHUGEPAGE);
    uint64_t t0 = now_ns();
    for (uint32_t i = 0; i < n; i++)
        p[i * (PAGE / 4)] = i ^ 0x5A5A0000u;
    report("pagefault", n, now_ns() - t0);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; i++)
        bad += p[i * (PAGE / 4)] != (i ^ 0x5A5A0000u) || p[i * (PAGE / 4) + 1] != 0;
    munmap((void *)p, (size_t)n * PAGE);
    if (bad)
        fprintf(stderr, PROG ": pagefault: %u pages lost their data\n", bad);
    return bad != 0;
}

/* ---- PTE modification: mprotect flips the R/W bit and flushes the TLB ---- */
static int bench_ptemod(uint32_t n)
{
    n += n & 1; /* even: ends writable, as the guest */
    volatile uint32_t *page =
        mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        perror(PROG ": mmap");
        return 1;
    }
    *page = 0x600DF00Du;
    uint32_t sum = 0, bad = 0;
    uint64_t t0 = now_ns();
    for (uint32_t i = 0; i < n; i++) {
        int prot = (i & 1) ? PROT_READ | PROT_WRITE : PROT_READ;
        bad += mprotect((void *)page, PAGE, prot) != 0;
        sum += *page; /* a read through the new PTE */
    }
    report("ptemod", n, now_ns() - t0);
    *page = 1; /* writable again, or SIGSEGV */
    munmap((void *)page, PAGE);
    if (bad || sum != n * 0x600DF00Du)
        fprintf(stderr, PROG ": ptemod: %u mprotect failures, sum 0x%x\n", bad, sum);
    return bad || sum != n * 0x600DF00Du;
}

/* ---- context switch: the guest's ping-pong, two processes, one CPU ------- */
struct pingpong {
    volatile uint32_t turn, count, spurious;
    volatile uint64_t t_start, t_end;
};

static void pingpong(struct pingpong *s, uint32_t me, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        while (s->turn != me) { /* not our turn: hand over */
            sched_yield();
            if (s->turn != me)
                s->spurious++;
        }
        if (s->count == 0)
            s->t_start = now_ns();
        if (++s->count == 2 * n)
            s->t_end = now_ns();
        __atomic_store_n(&s->turn, 1 - me, __ATOMIC_SEQ_CST);
        if (s->count < 2 * n)
            sched_yield();
    }
}

static int bench_ctxswitch(uint32_t n)
{
    struct pingpong *s =
        mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) {
        perror(PROG ": mmap");
        return 1;
    }
    /* Both processes on the CPU we run on now: each yield is a switch. */
    cpu_set_t one;
    CPU_ZERO(&one);
    int cpu = sched_getcpu();
    CPU_SET(cpu < 0 ? 0 : cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) {
        fprintf(stderr, PROG ": ctxswitch: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
        return 1;
    }
    pid_t child = fork(); /* inherits the affinity */
    if (child < 0) {
        perror(PROG ": fork");
        return 1;
    }
    if (child == 0) {
        pingpong(s, 1, n);
        _exit(0);
    }
    pingpong(s, 0, n);
    int st = 0;
    waitpid(child, &st, 0);
    uint32_t switches = 2 * n - 1;
    report("ctxswitch", switches, s->t_end - s->t_start);
    printf("RESULT native ctxswitch cpu=%d spurious=%u\n", cpu, s->spurious);
    if (!WIFEXITED(st) || WEXITSTATUS(st) || s->count != 2 * n) {
        fprintf(stderr, PROG ": ctxswitch: counter %u of %u, child status 0x%x\n", s->count, 2 * n,
                st);
        return 1;
    }
    return 0;
}

/* ---- forkexit: an address space built and torn down ------------------- */
static int bench_forkexit(uint32_t n)
{
    uint32_t bad = 0;
    uint64_t t0 = now_ns();
    for (uint32_t i = 0; i < n; i++) {
        pid_t child = fork();
        if (child < 0) {
            perror(PROG ": fork");
            return 1;
        }
        if (child == 0) { /* the guest's child: four demand-zero pages */
            volatile uint32_t *p =
                mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if ((void *)p == MAP_FAILED)
                _exit(0x40);
            for (uint32_t k = 0; k < 4; k++)
                p[k * PAGE / 4] = i + k;
            _exit((int)(i & 0x3f));
        }
        int st = 0;
        waitpid(child, &st, 0);
        bad += !WIFEXITED(st) || WEXITSTATUS(st) != (int)(i & 0x3f);
    }
    report("forkexit", n, now_ns() - t0);
    if (bad)
        fprintf(stderr, PROG ": forkexit: %u children exited wrong\n", bad);
    return bad != 0;
}

/* ---- the host TSC rate, to convert guest cycles when a guest has none ---- */
static int bench_tsc(void)
{
    uint64_t t0 = now_ns(), c0 = rdtsc(), t1, c1;
    do {
        t1 = now_ns();
        c1 = rdtsc();
    } while (t1 - t0 < 50000000u); /* 50 ms */
    printf("RESULT native tsc mhz=%.1f\n", (double)(c1 - c0) * 1000.0 / (double)(t1 - t0));
    return 0;
}

#ifdef __x86_64__
#include <asm/prctl.h>
#include <sys/auxv.h>
static int bench_gsbase(uint32_t n)
{
    int fsgsbase = (getauxval(AT_HWCAP2) & 2) != 0; /* HWCAP2_FSGSBASE */
    uint64_t t0 = now_ns();
    for (uint32_t i = 0; i < n; i++) {
        unsigned long base = (i & 1) ? 0x100000000ul : 0x200000000ul;
        if (fsgsbase)
            __asm__ volatile("wrgsbase %0" : : "r"(base) : "memory");
        else
            syscall(SYS_arch_prctl, ARCH_SET_GS, base);
    }
    report(fsgsbase ? "gsbase wrgsbase" : "gsbase arch_prctl", n, now_ns() - t0);
    syscall(SYS_arch_prctl, ARCH_SET_GS, 0ul);
    return 0;
}
#endif

int main(int argc, char **argv)
{
    char *end = NULL;
    unsigned long n = 0;
    if (argc == 2 && strcmp(argv[1], "tsc") == 0)
        return bench_tsc();
    if (argc != 3 || (n = strtoul(argv[2], &end, 10)) == 0 || *end || n > 100000000ul) {
        fprintf(stderr,
                "usage: %s syscall|vsyscall|callret|divzero|pagefault|ptemod|ctxswitch|forkexit N  "
                "(1 <= N "
                "<= 1e8)\n"
                "       %s tsc\n",
                argv[0], argv[0]);
        return 2;
    }
    const char *b = argv[1];
    if (!strcmp(b, "syscall"))
        return bench_syscall((uint32_t)n);
    if (!strcmp(b, "vsyscall"))
        return bench_vsyscall((uint32_t)n);
    if (!strcmp(b, "callret"))
        return bench_callret((uint32_t)n);
    if (!strcmp(b, "divzero"))
        return bench_divzero((uint32_t)n);
    if (!strcmp(b, "pagefault"))
        return bench_pagefault((uint32_t)n);
    if (!strcmp(b, "ptemod"))
        return bench_ptemod((uint32_t)n);
    if (!strcmp(b, "ctxswitch"))
        return bench_ctxswitch((uint32_t)n);
    if (!strcmp(b, "forkexit"))
        return bench_forkexit((uint32_t)n);
#ifdef __x86_64__
    if (!strcmp(b, "gsbase"))
        return bench_gsbase((uint32_t)n);
#endif
    fprintf(stderr, PROG ": unknown benchmark '%s'\n", b);
    return 2;
}
