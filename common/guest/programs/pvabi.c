/*
 * pvabi — the paravirtual ABI from the guest's side (PV build only,
 * include/vmlab_pv.h): every hypercall with bad arguments must come back
 * with its documented error and leave the kernel running; a hypercall from
 * ring 3 is refused; and the virtual IF in the shared page really holds
 * interrupts back until the kernel re-enables it (lguest's pending check);
 * the PV timer stops, fires once, and ticks again.
 */
#ifdef VMLAB_PV
#include "program.h"
#include "mm.h"
#include "trap.h"

int pvabi_user(uint32_t arg);

static uint32_t scratch[1024] __attribute__((aligned(4096))); /* a stand-in page table */

static int expect(struct prog_ctx *ctx, int *bad, const char *what, int32_t got, int32_t want)
{
    if (got != want && !*bad) {
        prog_fail(ctx, "%s: got %d, expected %d", what, got, want);
        *bad = 1;
    }
    return got;
}

static void bad_arguments(struct prog_ctx *ctx, int *bad)
{
    const uint32_t far = 0xF0000000u; /* far beyond RAM */
    expect(ctx, bad, "version", hypercall0(HC_VERSION), PV_VERSION);
    expect(ctx, bad, "unknown number", hypercall0(HC_MAX + 1), -PV_ENOSYS);
    expect(ctx, bad, "wild number", hypercall0(0xdeadbeefu), -PV_ENOSYS);
    expect(ctx, bad, "console outside RAM", hypercall3(HC_CONSOLE_WRITE, far, 4, 0), -PV_EFAULT);
    expect(ctx, bad, "console too long", hypercall3(HC_CONSOLE_WRITE, 0x100000, 4096, 0),
           -PV_E2BIG);
    expect(ctx, bad, "console empty", hypercall3(HC_CONSOLE_WRITE, far, 0, 0), 0);
    uint32_t sp = (uint32_t)&pv_shared;
    expect(ctx, bad, "shared page unaligned", hypercall1(HC_SHARED_PAGE, sp + 4), -PV_EINVAL);
    expect(ctx, bad, "shared page 0", hypercall1(HC_SHARED_PAGE, 0), -PV_EINVAL);
    expect(ctx, bad, "shared page outside RAM", hypercall1(HC_SHARED_PAGE, far), -PV_EINVAL);
    expect(ctx, bad, "shared page again", hypercall1(HC_SHARED_PAGE, sp), 0);
    expect(ctx, bad, "cr3 outside RAM", hypercall1(HC_LOAD_CR3, far), -PV_EINVAL);
    expect(ctx, bad, "cr3 reserved bits", hypercall1(HC_LOAD_CR3, pv_cr3 | 1), -PV_EINVAL);
    expect(ctx, bad, "shutdown status 256", hypercall1(HC_SHUTDOWN, 256), -PV_EINVAL);
    expect(ctx, bad, "gdt outside RAM", hypercall3(HC_LOAD_GDT, far, 0x2f, 0), -PV_EINVAL);
    expect(ctx, bad, "idt limit over 64 KiB", hypercall3(HC_LOAD_IDT, 0x100000, 0x10000, 0),
           -PV_EINVAL);
}

/* HC_MMU_UPDATE: a good batch is done whole, a bad entry stops it there. */
static void mmu_batches(struct prog_ctx *ctx, int *bad)
{
    uint32_t frame = (uint32_t)scratch; /* a frame of our own RAM */
    struct pv_mmu_update u[3] = {
        { (uint32_t)&scratch[0], frame | PTE_P, PV_NO_INVLPG },
        { (uint32_t)&scratch[1], 0xF0000000u | PTE_P, PV_NO_INVLPG }, /* not ours */
        { (uint32_t)&scratch[2], frame | PTE_P, PV_NO_INVLPG },
    };
    expect(ctx, bad, "mmu: too many", hypercall3(HC_MMU_UPDATE, (uint32_t)u, PV_MMU_MAX + 1, 0),
           -PV_E2BIG);
    expect(ctx, bad, "mmu: batch outside RAM", hypercall3(HC_MMU_UPDATE, 0xFFFFF000u, 2, 0),
           -PV_EFAULT);
    expect(ctx, bad, "mmu: foreign frame", hypercall3(HC_MMU_UPDATE, (uint32_t)u, 3, 0),
           -PV_EINVAL);
    expect(ctx, bad, "mmu: entry before it done", (int32_t)scratch[0], (int32_t)(frame | PTE_P));
    expect(ctx, bad, "mmu: entry after it untouched", (int32_t)scratch[2], 0);
    u[1].ptr = (uint32_t)&scratch[1] + 1;
    u[1].val = 0;
    expect(ctx, bad, "mmu: unaligned entry", hypercall3(HC_MMU_UPDATE, (uint32_t)&u[1], 1, 0),
           -PV_EFAULT);
    u[1].ptr = (uint32_t)&scratch[1];
    expect(ctx, bad, "mmu: good batch", hypercall3(HC_MMU_UPDATE, (uint32_t)u, 1, 0), 1);
    expect(ctx, bad, "mmu: not-present entry", hypercall3(HC_MMU_UPDATE, (uint32_t)&u[1], 1, 0), 1);
}

/* Spin (virtual IF as it is) until *flag reaches want or about a second
 * passes: a loaded host may leave the VMM descheduled for many ticks, so
 * the checks wait for what must happen and count what must not. */
static int wait_for(volatile uint32_t *flag, uint32_t want)
{
    uint64_t c0 = rdtsc(), limit = 100 * tsc_per_tick();
    while (*flag < want)
        if (rdtsc() - c0 > limit)
            return 0;
    return 1;
}
static void spin_ticks(uint32_t n)
{
    uint64_t c0 = rdtsc(), wait = n * tsc_per_tick();
    while (rdtsc() - c0 < wait)
        ;
}
static volatile uint32_t tick_now;
static int ticks_reach(uint32_t n) /* with interrupts on */
{
    uint64_t c0 = rdtsc(), limit = 100 * tsc_per_tick();
    while ((tick_now = timer_ticks()) < n)
        if (rdtsc() - c0 > limit)
            return 0;
    return 1;
}

/* Virtual IF off: the timer's interrupts wait (pending set, no tick,
 * however long); on again: the one hypercall lets them in. */
static void virtual_if(struct prog_ctx *ctx, int *bad, uint32_t *held_ticks)
{
    hypercall0(HC_BLOCK); /* IF=1 from here, as after any idle wait */
    pv_cli();
    uint32_t t0 = timer_ticks();
    int seen = wait_for(&pv_shared.pending, 1);
    spin_ticks(2);
    *held_ticks = timer_ticks() - t0;
    expect(ctx, bad, "ticks while virtual IF=0", (int32_t)*held_ticks, 0);
    expect(ctx, bad, "pending set while virtual IF=0", seen, 1);
    pv_sti();
    int came = ticks_reach(t0 + 1);
    pv_cli();
    expect(ctx, bad, "a tick after the virtual IF came back on", came, 1);
}

/* The PV timer: bad arguments, stopped, one-shot, then periodic again. */
static void pv_timer(struct prog_ctx *ctx, int *bad, uint32_t *oneshot)
{
    expect(ctx, bad, "timer: vector below 32", hypercall3(HC_SET_TIMER, 1000, 0, 5), -PV_EINVAL);
    expect(ctx, bad, "timer: period too short",
           hypercall3(HC_SET_TIMER, 1000, PV_TIMER_MIN_US - 1, T_IRQ0), -PV_EINVAL);
    expect(ctx, bad, "timer: stop", hypercall3(HC_SET_TIMER, 0, 0, T_IRQ0), 0);
    uint32_t t0 = timer_ticks();
    pv_sti();
    spin_ticks(3);
    expect(ctx, bad, "timer: ticks while stopped", (int32_t)(timer_ticks() - t0), 0);
    expect(ctx, bad, "timer: one-shot", hypercall3(HC_SET_TIMER, 1000, 0, T_IRQ0), 0);
    expect(ctx, bad, "timer: the one-shot fires", ticks_reach(t0 + 1), 1);
    spin_ticks(3);
    *oneshot = timer_ticks() - t0;
    expect(ctx, bad, "timer: one-shot ticks", (int32_t)*oneshot, 1);
    expect(ctx, bad, "timer: periodic again", hypercall3(HC_SET_TIMER, 10000, 10000, T_IRQ0), 0);
    expect(ctx, bad, "timer: periodic ticks again", ticks_reach(timer_ticks() + 2), 1);
    pv_cli();
}

static int pvabi(struct prog_ctx *ctx)
{
    int bad = 0;
    uint32_t held = 0;
    bad_arguments(ctx, &bad);
    mmu_batches(ctx, &bad);
    int ring3 = run_user("pvabi", pvabi_user, 0);
    expect(ctx, &bad, "hypercall from ring 3", ring3, PV_EPERM);
    virtual_if(ctx, &bad, &held);
    uint32_t oneshot = 0;
    pv_timer(ctx, &bad, &oneshot);
    result(ctx, "ring3=%d ticks_held=%u pending_seen=1 oneshot_ticks=%u", ring3, held, oneshot);
    return bad ? -1 : 0;
}

PROGRAM("pvabi", "hypercalls with bad arguments, from ring 3, and the virtual IF (PV only)", 1,
        pvabi);
#endif
