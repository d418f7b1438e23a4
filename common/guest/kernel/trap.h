/* trap.h — interrupts, exceptions and system-call entry. */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include <stdint.h>

/* What alltraps (boot/trapasm.S) leaves on the kernel stack. */
struct trapframe {
    uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax; /* pushal */
    uint32_t gs, fs, es, ds;
    uint32_t vector, err;
    uint32_t eip, cs, eflags; /* pushed by the CPU                    */
    uint32_t esp, ss;         /* ... only on a ring 3 -> 0 transition */
};

#define T_DE   0  /* divide error        */
#define T_UD   6  /* invalid opcode      */
#define T_GP   13 /* general protection  */
#define T_PF   14 /* page fault          */
#define T_IRQ0 32 /* 8259 IRQ 0 (PIT) after remapping */

void idt_init(void);
void trap(struct trapframe *tf);
const char *trap_name(uint32_t vector);
/* A device driver's handler for 8259 line `irq` (0-15), called with IF=0
 * before the EOI, so a level-triggered line (PCI INTx) must be quieted at
 * the device by then.  fn 0 removes it.  The line stays masked until
 * pic_unmask(). */
void irq_register(int irq, void (*fn)(void *arg), void *arg);

#endif
