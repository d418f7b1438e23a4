/*
 * program.h — how a built-in guest program plugs into the teaching kernel.
 *
 * A program is a ring-0 `run` function chosen by `test=NAME` on the kernel
 * command line.  It usually starts one or more ring-3 tasks whose code lives
 * in programs/NAME_user.c (every object whose name ends in _user.o, and all
 * of common/guest/user/, is linked into the user-accessible region), waits
 * for them, and reports.  Output follows the line protocol of docs/ARCHITECTURE.md §5:
 *
 *     RESULT <name> key=value ...
 *     PASS <name>            or      FAIL <name> <reason>
 *
 * The kernel prints PASS/FAIL from run()'s return value; a program only
 * prints RESULT lines (with result()) and, on failure, sets a reason.
 */
#ifndef GUEST_PROGRAM_H
#define GUEST_PROGRAM_H

#include <stdint.h>

struct prog_ctx {
    const char *name; /* the program's name                          */
    uint32_t iters;   /* iters=N from the command line, else default */
    char reason[128]; /* why it failed (set with prog_fail)        */
};

struct program {
    const char *name;
    const char *summary; /* one line, shown by test=list            */
    uint32_t default_iters;
    int (*run)(struct prog_ctx *ctx); /* 0 = PASS, else FAIL        */
    int probe;                        /* run by name only, never by test=all (PROBE) */
};

/* Register a program: the kernel finds it in the .programs section. */
#define PROGRAM(pname, psummary, piters, pfn) \
    static const struct program prog_##pfn \
        __attribute__((used, section(".programs"), aligned(4))) = { \
            .name = (pname), .summary = (psummary), .default_iters = (piters), .run = (pfn) \
        }

/* Register a probe: a program that checks one architectural rule a VMM
 * must emulate (a lab's grader runs it by name, e.g. test=dirty).  It is
 * listed by test=list as "PROBE name ..." and is not part of test=all, the
 * workload every engine and suite runs. */
#define PROBE(pname, psummary, piters, pfn) \
    static const struct program prog_##pfn \
        __attribute__((used, section(".programs"), aligned(4))) = { .name = (pname), \
                                                                    .summary = (psummary), \
                                                                    .default_iters = (piters), \
                                                                    .run = (pfn), \
                                                                    .probe = 1 }

/* --- services the kernel gives to programs (ring 0) ------------------- */

/* Console (COM1).  printf subset: %d %i %u %x %X %s %c %p %%, with l/ll
 * length modifiers and 0/width, e.g. "%08x", "%llu". */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "RESULT <ctx->name> " followed by the formatted text and "\n". */
void result(struct prog_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets ctx->reason and returns -1, so a program can `return prog_fail(...)`. */
int prog_fail(struct prog_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* Ring-3 tasks.  Each task gets a fresh address space (kernel and the user
 * image shared, heap and stack private and demand-zero).  `entry` is a
 * function in a *_user.c file; it receives `arg` as its only argument and
 * its return value is the exit code (or it calls u_exit()).  */
typedef int (*user_entry_t)(uint32_t arg);
int task_spawn_user(const char *name, user_entry_t entry, uint32_t arg); /* -> task id, <0 error */
/* Run the scheduler until task `id` has exited; returns its exit code
 * (or 128+vector if the kernel killed it for an unhandled exception). */
int task_wait(int id);
/* Convenience: spawn one task and wait for it. */
int run_user(const char *name, user_entry_t entry, uint32_t arg);

/* Time. */
uint32_t timer_ticks(void);  /* PIT ticks since boot, 100 Hz       */
uint64_t tsc_per_tick(void); /* calibrated TSC cycles per tick     */

/* Ring-0 fault recovery, for programs that provoke exceptions in the
 * kernel itself: while armed, an exception in ring 0 resumes at `resume`
 * instead of panicking, and the vector/error code are recorded. */
struct kfault {
    volatile uint32_t armed, resume, vector, error, cr2, eip;
};
extern struct kfault kfault;

/* Paging services used by the memory programs. */
uint32_t *pte_of(uint32_t cr3, uint32_t vaddr, int create); /* NULL if none */
#ifdef VMLAB_PV
#include "pv.h" /* the paravirtual kernel: hypercalls (kernel/pv.h) */
static inline void invlpg(uint32_t va) { pv_invlpg(va); }
static inline uint32_t read_cr3(void) { return pv_cr3; }
/* Store a page-table entry of the current address space and drop va's
 * TLB entry: one hypercall in the PV kernel. */
static inline void set_pte_invlpg(uint32_t *pte, uint32_t val, uint32_t va)
{
    pv_set_pte(pte, val, va);
}
/* Tell the VMM pd is (1) or is no longer (0) a page directory: its tables
 * may then never be mapped writable (HC_PIN_TABLE).  0 or -PV_E*. */
static inline int32_t pin_table(uint32_t pd, int pin)
{
    return hypercall3(HC_PIN_TABLE, pd, pin, 0);
}
#else
static inline int32_t pin_table(uint32_t pd, int pin)
{
    (void)pd, (void)pin;
    return 0; /* the VMM of an unmodified kernel finds them by itself */
}
static inline void invlpg(uint32_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }
static inline uint32_t read_cr3(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr3,%0" : "=r"(v));
    return v;
}
static inline void set_pte_invlpg(uint32_t *pte, uint32_t val, uint32_t va)
{
    *pte = val;
    invlpg(va);
}
#endif

#endif
