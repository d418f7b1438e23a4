/*
 * uproc.c — the process services of the module ABI (README.md, "The tiny
 * ABI"): the initial stack with the command line, brk, the clock.
 *
 * The initial stack is the one of the System V ABI, Intel386 supplement,
 * "Process Initialization" (Figure 3-31), which Linux builds too: ESP
 * points at argc, followed by argv[0..argc-1], NULL, envp[] (empty here),
 * NULL, and the auxiliary vector (only AT_NULL); the strings lie above.
 * A `_start` written for Linux therefore finds its arguments here as well.
 *
 * brk follows Linux's system call (not libc's wrapper): brk(addr) moves
 * the break to addr and returns it; an address outside the heap leaves it
 * where it is and returns it (brk(0) reads it).  The heap range stays
 * demand-zero as a whole, as it always was for the built-in programs;
 * lowering the break frees the pages wholly above it, so memory given back
 * and taken again reads as zero, as on Linux.
 *
 * The clock is the TSC, whose rate the kernel measured against the PIT at
 * boot (timer.c): CLOCK_MONOTONIC = TSC / rate, with the resolution of one
 * TSC cycle.
 */
#include "uproc.h"
#include "mm.h"
#include "program.h"
#include "task.h"
#include "timer.h"
#include "vmlab_abi.h"

static uint64_t tsc_rate(void) { return tsc_per_tick() * TIMER_HZ; }

/* The strings of the initial stack, copied down from the top of its page. */
struct strings {
    char *base, *top; /* the page (identity mapped), the lowest string  */
    uint32_t va;      /* the page's user address                       */
    uint32_t argv[UPROC_MAX_ARGS];
    int argc;
};

/* Copy every space-separated word of `s` and record its user address. */
static int push_words(struct strings *st, const char *s)
{
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        uint32_t n = 0;
        while (s[n] && s[n] != ' ' && s[n] != '\t')
            n++;
        if (!n)
            return 0;
        if (st->argc == UPROC_MAX_ARGS || st->top - n - 1 < st->base + PAGE_SIZE / 2)
            return -1;
        st->top -= n + 1;
        __builtin_memcpy(st->top, s, n);
        st->top[n] = '\0';
        st->argv[st->argc++] = st->va + (uint32_t)(st->top - st->base);
        s += n;
    }
}

int uproc_stack(uint32_t cr3, const char *argv0, const char *args, uint32_t *esp)
{
    uint32_t page = USER_STACK_TOP - PAGE_SIZE, pa = frame_alloc();
    if (!pa || mm_map(cr3, page, pa, PTE_W | PTE_U)) {
        if (pa)
            frame_free(pa);
        return -1;
    }
    /* The frame is identity mapped: write it through its physical address
     * (on failure it goes with the address space). */
    struct strings st = { .base = (char *)pa, .top = (char *)pa + PAGE_SIZE, .va = page };
    if (push_words(&st, argv0) || push_words(&st, args ? args : ""))
        return -1;
    /* argc, argv[argc], NULL, envp NULL, AT_NULL (2 words), 16-aligned. */
    uint32_t words = 1 + (uint32_t)st.argc + 1 + 1 + 2;
    uint32_t *sp = (uint32_t *)(((uint32_t)st.top - words * 4) & ~15u), *p = sp;
    *p++ = (uint32_t)st.argc;
    for (int i = 0; i < st.argc; i++)
        *p++ = st.argv[i];
    *p++ = 0; /* end of argv   */
    *p++ = 0; /* empty envp    */
    *p++ = 0; /* AT_NULL ...   */
    *p++ = 0; /* ... its value */
    *esp = page + (uint32_t)((char *)sp - st.base);
    return 0;
}

int32_t sys_brk(uint32_t addr)
{
    uint32_t old = current->brk;
    if (addr < USER_HEAP_BASE || addr > USER_HEAP_END)
        return (int32_t)old;
    uint32_t keep = (addr + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    for (uint32_t va = keep; va < old; va += PAGE_SIZE) {
        uint32_t *pte = pte_of(current->cr3, va, 0);
        if (pte && (*pte & PTE_P)) {
            frame_free(PTE_ADDR(*pte));
            set_pte_invlpg(pte, 0, va);
        }
    }
    current->brk = addr;
    return (int32_t)addr;
}

int32_t sys_clock_gettime(uint32_t clk, uint32_t ts)
{
    if (clk != CLOCK_MONOTONIC || !mm_user_ok(current->cr3, ts, 8, 1))
        return -1;
    uint64_t c = rdtsc();
    uint64_t hz = tsc_rate();
    uint32_t *out = (uint32_t *)ts;
    out[0] = (uint32_t)(c / hz);                        /* tv_sec  */
    out[1] = (uint32_t)((c % hz) * 1000000000ull / hz); /* tv_nsec */
    return 0;
}

int32_t sys_tsc_hz(uint32_t out)
{
    if (!mm_user_ok(current->cr3, out, 8, 1))
        return -1;
    *(uint64_t *)out = tsc_rate();
    return 0;
}
