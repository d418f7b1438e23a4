/*
 * task.c — tasks, context switch and a round-robin scheduler.
 *
 * A context switch is a switch of kernel stacks (swtch in trapasm.S) plus a
 * switch of address space (CR3) and of TSS.ESP0, the stack the CPU will use
 * for the next task's interrupts.  A new task's kernel stack is built to
 * look as if it had been switched away from just before returning to ring
 * 3: a trap frame for iret, topped by a swtch frame that "returns" into
 * trapret.
 */
#include "task.h"
#include "gdt.h"
#include "mm.h"
#include "console.h"
#include "program.h"
#include "vmlab_abi.h"
#include "x86.h"

struct task *current;
static struct task tasks[MAX_TASKS];
static uint8_t kstacks[MAX_TASKS][KSTACK_SIZE] __attribute__((aligned(16)));
static int next_id = 1;

void swtch(uint32_t *save_esp, uint32_t new_esp); /* trapasm.S */
extern char trapret[];
extern char u_task_start[]; /* user/ustart.S */

void task_init(void)
{
    current = &tasks[0];
    current->state = T_RUNNABLE;
    current->id = 0;
    __builtin_memcpy(current->name, "kernel", 7);
    current->cr3 = mm_kernel_cr3();
}

static void set_name(struct task *t, const char *name)
{
    int i = 0;
    for (; name && name[i] && i < (int)sizeof t->name - 1; i++)
        t->name[i] = name[i];
    t->name[i] = '\0';
}

int task_start(const char *name, uint32_t cr3, uint32_t eip, uint32_t eax, uint32_t ebx)
{
    return task_start_sp(name, cr3, eip, USER_STACK_TOP, eax, ebx);
}

int task_start_sp(const char *name, uint32_t cr3, uint32_t eip, uint32_t esp, uint32_t eax,
                  uint32_t ebx)
{
    int slot = 1;
    while (slot < MAX_TASKS && tasks[slot].state != T_FREE)
        slot++;
    if (slot == MAX_TASKS)
        return -1;
    struct task *t = &tasks[slot];
    t->id = next_id++;
    set_name(t, name);
    t->cr3 = cr3;
    t->exit_code = 0;
    t->fault_eip = 0;
    t->brk = USER_HEAP_BASE;
    t->wait_for = -1;
    t->kstack_top = (uint32_t)&kstacks[slot][KSTACK_SIZE];

    /* The trap frame iret will consume: ring-3 selectors, IF=1. */
    struct trapframe *tf = (struct trapframe *)(t->kstack_top - sizeof *tf);
    __builtin_memset(tf, 0, sizeof *tf);
    tf->ds = tf->es = tf->fs = tf->gs = tf->ss = SEL_UDATA;
    tf->cs = SEL_UCODE;
    tf->eflags = EFLAGS_IF | 0x2;
    tf->eip = eip;
    tf->esp = esp;
    tf->eax = eax;
    tf->ebx = ebx;
    /* Below it, what swtch pops: edi, esi, ebx, ebp, return address. */
    uint32_t *sp = (uint32_t *)tf;
    *--sp = (uint32_t)trapret;
    for (int i = 0; i < 4; i++)
        *--sp = 0;
    t->kesp = (uint32_t)sp;
    t->state = T_RUNNABLE;
    return t->id;
}

static void switch_to(struct task *next)
{
    struct task *prev = current;
    if (next == prev)
        return;
    current = next;
    tss_set_esp0(next->kstack_top);
    if (next->cr3 != prev->cr3)
        write_cr3(next->cr3);
    swtch(&prev->kesp, next->kesp);
}

/* Round robin: the next runnable task after the current one.  With none,
 * idle with interrupts on until an interrupt makes one runnable. */
void schedule(void)
{
    for (;;) {
        int cur = (int)(current - tasks);
        for (int n = 1; n <= MAX_TASKS; n++) {
            struct task *t = &tasks[(cur + n) % MAX_TASKS];
            if (t->state == T_RUNNABLE) {
                switch_to(t);
                return;
            }
        }
        sti_hlt_cli();
    }
}

static void wake_waiters(int id)
{
    for (int i = 0; i < MAX_TASKS; i++)
        if (tasks[i].state == T_BLOCKED && tasks[i].wait_for == id)
            tasks[i].state = T_RUNNABLE;
}

void task_exit(int code)
{
    current->exit_code = code;
    current->state = T_ZOMBIE;
    wake_waiters(current->id);
    for (;;) /* a zombie is never picked again */
        schedule();
}

static void reap(struct task *t)
{
    as_destroy(t->cr3);
    t->state = T_FREE;
}

static struct task *find(int id)
{
    for (int i = 1; i < MAX_TASKS; i++)
        if (tasks[i].state != T_FREE && tasks[i].id == id)
            return &tasks[i];
    return 0;
}

int task_wait(int id)
{
    struct task *t = find(id);
    if (!t || current != &tasks[0])
        return -1;
    while (t->state != T_ZOMBIE) {
        current->wait_for = id;
        current->state = T_BLOCKED;
        schedule();
    }
    int code = t->exit_code;
    reap(t);
    return code;
}

int task_reap_all(void)
{
    int n = 0;
    for (int i = 1; i < MAX_TASKS; i++)
        if (tasks[i].state != T_FREE) {
            if (tasks[i].state != T_ZOMBIE)
                n++;
            reap(&tasks[i]);
        }
    return n;
}

int task_spawn_user(const char *name, user_entry_t entry, uint32_t arg)
{
    uint32_t cr3 = as_create();
    if (!cr3)
        return -1;
    int id = task_start(name, cr3, (uint32_t)u_task_start, (uint32_t)entry, arg);
    if (id < 0)
        as_destroy(cr3);
    return id;
}

int run_user(const char *name, user_entry_t entry, uint32_t arg)
{
    int id = task_spawn_user(name, entry, arg);
    return id < 0 ? id : task_wait(id);
}
