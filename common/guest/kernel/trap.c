/*
 * trap.c — the Interrupt Descriptor Table and the one C entry point for
 * every interrupt, exception and system call.
 *
 * All gates are interrupt gates (IF cleared on entry), so the kernel never
 * nests interrupts.  Only vector 0x80 has DPL 3: ring 3 may `int $0x80`,
 * any other `int n` from ring 3 raises #GP (SDM Vol. 3A §6.12.1.1).
 */
#include "trap.h"
#include "console.h"
#include "mm.h"
#include "pic.h"
#include "program.h"
#include "syscall.h"
#include "task.h"
#include "timer.h"
#include "vmlab_abi.h"
#include "x86.h"

struct kfault kfault;

struct gate {
    uint16_t off_lo, sel;
    uint8_t zero, type;
    uint16_t off_hi;
} __attribute__((packed));
static struct gate idt[256];

extern char vec0[], vec1[], vec2[], vec3[], vec4[], vec5[], vec6[], vec7[], vec8[], vec9[], vec10[],
    vec11[], vec12[], vec13[], vec14[], vec15[], vec16[], vec17[], vec18[], vec19[], vec20[],
    vec21[], vec22[], vec23[], vec24[], vec25[], vec26[], vec27[], vec28[], vec29[], vec30[],
    vec31[], vec32[], vec33[], vec34[], vec35[], vec36[], vec37[], vec38[], vec39[], vec40[],
    vec41[], vec42[], vec43[], vec44[], vec45[], vec46[], vec47[], vec128[];
static char *const stubs[48] = { vec0,  vec1,  vec2,  vec3,  vec4,  vec5,  vec6,  vec7,
                                 vec8,  vec9,  vec10, vec11, vec12, vec13, vec14, vec15,
                                 vec16, vec17, vec18, vec19, vec20, vec21, vec22, vec23,
                                 vec24, vec25, vec26, vec27, vec28, vec29, vec30, vec31,
                                 vec32, vec33, vec34, vec35, vec36, vec37, vec38, vec39,
                                 vec40, vec41, vec42, vec43, vec44, vec45, vec46, vec47 };

static void set_gate(int v, const char *handler, int dpl)
{
    uint32_t off = (uint32_t)handler;
    idt[v] = (struct gate){ (uint16_t)off, SEL_KCODE, 0,
                            (uint8_t)(0x8E | (dpl << 5)), /* P=1, 32-bit interrupt gate */
                            (uint16_t)(off >> 16) };
}

void idt_init(void)
{
    for (int v = 0; v < 48; v++)
        set_gate(v, stubs[v], 0);
    set_gate(VMLAB_SYSCALL_VECTOR, vec128, 3);
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) idtr = { sizeof idt - 1, (uint32_t)idt };
#ifdef VMLAB_PV
    hypercall3(HC_LOAD_IDT, idtr.base, idtr.limit, 0);
#else
    __asm__ volatile("lidt %0" ::"m"(idtr));
#endif
}

const char *trap_name(uint32_t v)
{
    static const char *const names[32] = { "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                           "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "?",
                                           "#MF", "#AC", "#MC", "#XM", "#VE", "#CP" };
    return v < 32 && names[v] ? names[v] : "?";
}

static struct {
    void (*fn)(void *arg);
    void *arg;
} irq_handlers[16];

void irq_register(int n, void (*fn)(void *arg), void *arg)
{
    if (n > 0 && n < 16) { /* line 0 is the timer's */
        irq_handlers[n].fn = fn;
        irq_handlers[n].arg = arg;
    }
}

static void irq(struct trapframe *tf)
{
    int n = (int)tf->vector - T_IRQ0;
    if (n == 0)
        timer_tick();
    else if (irq_handlers[n].fn)
        irq_handlers[n].fn(irq_handlers[n].arg);
    if (!pic_eoi(n))
        return;
    /* Preemption: a timer tick in ring 3 ends the task's time slice. */
    if (n == 0 && (tf->cs & 3) == 3)
        schedule();
}

static void exception(struct trapframe *tf)
{
    uint32_t cr2 = tf->vector == T_PF ? read_cr2() : 0;

    /* Demand-zero heap and stack: a not-present fault (error bit 0 = 0) on
     * a page that should exist gets a fresh zeroed frame and the faulting
     * instruction is restarted.  Also from ring 0 (a syscall reading a
     * user buffer). */
    if (tf->vector == T_PF && !(tf->err & 1) && mm_demand_fault(read_cr3(), cr2))
        return;

    if ((tf->cs & 3) == 0) {
        if (kfault.armed) { /* a program provoked it on purpose */
            kfault.vector = tf->vector;
            kfault.error = tf->err;
            kfault.cr2 = cr2;
            kfault.eip = tf->eip;
            tf->eip = kfault.resume;
            return;
        }
        kprintf("vmlab: panic: exception %u at EIP 0x%08x CR2 0x%08x (%s, error 0x%x, task %s)\n",
                tf->vector, tf->eip, cr2, trap_name(tf->vector), tf->err,
                current ? current->name : "boot");
        debug_exit(EXIT_PANIC);
    }

    /* Ring 3: the task's own handler, or death with 128 + vector. */
    if (current->fault_eip) {
        tf->ebx = tf->eip;
        tf->eax = tf->vector;
        tf->edx = tf->err;
        tf->ecx = cr2;
        tf->eip = current->fault_eip;
        return;
    }
    kprintf("vmlab: task %d (%s) killed: exception %u (%s) at EIP 0x%08x CR2 0x%08x error 0x%x\n",
            current->id, current->name, tf->vector, trap_name(tf->vector), tf->eip, cr2, tf->err);
    task_exit(128 + (int)tf->vector);
}

void trap(struct trapframe *tf)
{
    if (tf->vector == VMLAB_SYSCALL_VECTOR)
        tf->eax = (uint32_t)syscall(tf);
    else if (tf->vector >= T_IRQ0 && tf->vector < T_IRQ0 + 16)
        irq(tf);
    else
        exception(tf);
}
