/*
 * task.h — tasks and the round-robin scheduler.
 *
 * Task 0 is the kernel's "waiter": the boot thread that runs the programs
 * (ring 0, kernel page directory).  Every other task is a ring-3 task with
 * its own address space and an 8 KiB kernel stack used by its interrupts
 * and system calls.  The kernel runs with interrupts disabled; only ring 3
 * and the idle loop (sti; hlt) take interrupts, so the timer preempts ring
 * 3 code only.  task_spawn_user/task_wait/run_user are in program.h.
 */
#ifndef GUEST_TASK_H
#define GUEST_TASK_H

#include <stdint.h>
#include "trap.h"

#define MAX_TASKS   16
#define KSTACK_SIZE 8192

enum task_state { T_FREE, T_RUNNABLE, T_BLOCKED, T_ZOMBIE };

struct task {
    enum task_state state;
    int id;
    char name[16];
    uint32_t cr3;  /* page directory                         */
    uint32_t kesp; /* saved kernel stack pointer (swtch)     */
    uint32_t kstack_top;
    int exit_code;
    int wait_for;       /* id this task is blocked on             */
    uint32_t fault_eip; /* SYS_fault_handler, 0 = kill on fault   */
    uint32_t brk;       /* SYS_brk: the heap's break              */
};

extern struct task *current;

void task_init(void);
/* Start a ring-3 task at `eip` with ESP=USER_STACK_TOP in address space
 * `cr3` (taken over by the task), EAX=eax, EBX=ebx; -> id or -1. */
int task_start(const char *name, uint32_t cr3, uint32_t eip, uint32_t eax, uint32_t ebx);
/* The same with ESP = esp (a module's initial stack, uproc.h). */
int task_start_sp(const char *name, uint32_t cr3, uint32_t eip, uint32_t esp, uint32_t eax,
                  uint32_t ebx);
void task_exit(int code) __attribute__((noreturn));
void schedule(void); /* give up the CPU; returns when picked again */
/* Kill and reap every task but the waiter; returns how many there were. */
int task_reap_all(void);

#endif
