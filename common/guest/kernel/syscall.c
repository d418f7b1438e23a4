/*
 * syscall.c — system calls: `int $0x80` with EAX = number and EBX, ECX,
 * EDX = arguments (the Linux i386 convention), result in EAX.
 */
#include "syscall.h"
#include "console.h"
#include "mm.h"
#include "program.h"
#include "task.h"
#include "uproc.h"
#include "vmlab_abi.h"
#include "x86.h"

#define UART_SCRATCH 0x3FF /* COM1 scratch register: harmless to poke */

__attribute__((weak)) int sensitive_probe(uint32_t what, uint32_t out_user_ptr)
{
    (void)what;
    (void)out_user_ptr;
    return -2;
}

static int32_t sys_write(uint32_t fd, uint32_t buf, uint32_t len)
{
    if ((fd != 1 && fd != 2) || !mm_user_ok(current->cr3, buf, len, 0))
        return -1;
    console_write((const char *)buf, len);
    return (int32_t)len;
}

/* Flip R/W of the PTE that maps `va` (a private page: demand-zero pages
 * are mapped first).  Returns 1 if the page is now writable, 0 if now
 * read-only, -1 if `va` is not a private user page. */
/* Flip the R/W bit of va's PTE and flush its TLB entry: INVLPG, or (how 1)
 * a reload of the same CR3, which flushes every non-global entry (SDM Vol.
 * 3A §4.10.4.1) — what Linux does after write-protecting for fork. */
static int32_t sys_pte_toggle(uint32_t va, uint32_t how)
{
    if (va < USER_ELF_MIN || va >= USER_TOP || !mm_user_ok(current->cr3, va, 1, 0))
        return -1;
    uint32_t *pte = pte_of(current->cr3, va, 0);
    if (how == 1) { /* store, then reload CR3 (a hypercall in the PV kernel) */
        *pte ^= PTE_W;
        write_cr3(current->cr3);
    } else {
        set_pte_invlpg(pte, *pte ^ PTE_W, va);
    }
    return (*pte & PTE_W) ? 1 : 0;
}

static int32_t sys_inout(uint32_t n)
{
    uint8_t v = 0;
    for (uint32_t i = 0; i < n; i++) {
        outb(UART_SCRATCH, (uint8_t)i);
        v = inb(UART_SCRATCH);
    }
    return v;
}

int32_t syscall(struct trapframe *tf)
{
    uint32_t a = tf->ebx, b = tf->ecx, c = tf->edx;
    switch (tf->eax) {
    case SYS_exit: task_exit((int)a);
    case SYS_write: return sys_write(a, b, c);
    case SYS_time: return (int32_t)timer_ticks();
    case SYS_getpid: return current->id;
    case SYS_yield: schedule(); return 0;
    case SYS_fault_handler: current->fault_eip = a; return 0;
    case SYS_rdtsc_ok: return 1;
    case SYS_probe: return sensitive_probe(a, b);
    case SYS_pte_toggle: return sys_pte_toggle(a, b);
    case SYS_inout: return sys_inout(a);
    case SYS_brk: return sys_brk(a);
    case SYS_clock_gettime: return sys_clock_gettime(a, b);
    case SYS_tsc_hz: return sys_tsc_hz(a);
    default: return -2;
    }
}
