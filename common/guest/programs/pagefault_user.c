/* pagefault_user — the ring-3 half of `pagefault`. */
#include "ulib.h"

volatile struct pf_results {
    uint32_t nonzero, lost, stack_bad;
    uint64_t fault_cycles;
} pf_res;

#define PAGE 4096u

/* Uses 32 KiB of stack: eight more demand-zero stack pages. */
static __attribute__((noinline)) uint32_t stack_pages(void)
{
    volatile uint32_t big[8 * PAGE / 4];
    uint32_t bad = 0;
    for (uint32_t i = 0; i < 8; i++)
        big[i * PAGE / 4] = i + 1;
    for (uint32_t i = 0; i < 8; i++)
        bad += big[i * PAGE / 4] != i + 1;
    return bad;
}

int pagefault_user(uint32_t n)
{
    uint64_t fault = 0;
    uint32_t nonzero = 0, lost = 0;
    for (uint32_t i = 0; i < n; i++) {
        volatile uint32_t *p = (volatile uint32_t *)(USER_HEAP_BASE + i * PAGE);
        uint64_t t0 = u_rdtsc();
        uint32_t first = p[0]; /* the demand-zero fault */
        fault += u_rdtsc() - t0;
        uint32_t any = first;
        for (uint32_t w = 1; w < PAGE / 4; w++)
            any |= p[w];
        nonzero += any != 0;
        p[0] = i ^ 0x5A5A0000u;
        p[PAGE / 4 - 1] = ~i;
    }
    u_yield(); /* let other tasks run in between */
    for (uint32_t i = 0; i < n; i++) {
        volatile uint32_t *p = (volatile uint32_t *)(USER_HEAP_BASE + i * PAGE);
        lost += p[0] != (i ^ 0x5A5A0000u) || p[PAGE / 4 - 1] != ~i;
    }
    pf_res.fault_cycles = fault;
    pf_res.nonzero = nonzero;
    pf_res.lost = lost;
    pf_res.stack_bad = stack_pages();
    return 0;
}

int pagefault_wild_user(uint32_t addr)
{
    return (int)*(volatile uint32_t *)addr; /* never returns: #PF kills us */
}
