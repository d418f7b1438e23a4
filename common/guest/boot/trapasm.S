/*
 * trapasm.S — interrupt entry/exit and the context switch.
 *
 * Every vector enters through a tiny stub that pushes a dummy error code
 * when the CPU does not push one (SDM Vol. 3A §6.13, Table 6-1), then the
 * vector number, and jumps to `alltraps`, which saves the rest of the
 * registers into a `struct trapframe` (kernel/trap.h) and calls trap().
 */
        .text
        .code32

.macro STUB_NOERR n
        .globl vec\n
vec\n:  pushl   $0
        pushl   $\n
        jmp     alltraps
.endm
.macro STUB_ERR n                              /* the CPU pushed an error code */
        .globl vec\n
vec\n:  pushl   $\n
        jmp     alltraps
.endm

STUB_NOERR 0
STUB_NOERR 1
STUB_NOERR 2
STUB_NOERR 3
STUB_NOERR 4
STUB_NOERR 5
STUB_NOERR 6
STUB_NOERR 7
STUB_ERR   8
STUB_NOERR 9
STUB_ERR   10
STUB_ERR   11
STUB_ERR   12
STUB_ERR   13
STUB_ERR   14
STUB_NOERR 15
STUB_NOERR 16
STUB_ERR   17
STUB_NOERR 18
STUB_NOERR 19
STUB_NOERR 20
STUB_ERR   21
STUB_NOERR 22
STUB_NOERR 23
STUB_NOERR 24
STUB_NOERR 25
STUB_NOERR 26
STUB_NOERR 27
STUB_NOERR 28
STUB_ERR   29
STUB_ERR   30
STUB_NOERR 31
/* 8259 IRQs 0-15 remapped to vectors 32-47 */
STUB_NOERR 32
STUB_NOERR 33
STUB_NOERR 34
STUB_NOERR 35
STUB_NOERR 36
STUB_NOERR 37
STUB_NOERR 38
STUB_NOERR 39
STUB_NOERR 40
STUB_NOERR 41
STUB_NOERR 42
STUB_NOERR 43
STUB_NOERR 44
STUB_NOERR 45
STUB_NOERR 46
STUB_NOERR 47
STUB_NOERR 128                                 /* int $0x80: system call */

        .globl alltraps
alltraps:
        push    %ds
        push    %es
        push    %fs
        push    %gs
        pushal
        mov     $0x10, %ax                     /* kernel data selector */
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %fs
        mov     %ax, %gs
#ifdef VMLAB_PV
        /* The paravirtual kernel's virtual IF (kernel/pv.h) follows the
         * real one across a ring change: off on the way in from ring 3
         * (the gate cleared IF), on for the way back (ring 3 runs with
         * IF=1).  60(%esp) is the trap frame's CS. */
        testl   $3, 60(%esp)
        jz      1f
        movl    $0, pv_shared
1:
#endif
        push    %esp                           /* struct trapframe *   */
        call    trap
        add     $4, %esp
        .globl trapret
trapret:
#ifdef VMLAB_PV
        testl   $3, 60(%esp)
        jz      1f
        movl    $1, pv_shared
1:
#endif
        popal
        pop     %gs
        pop     %fs
        pop     %es
        pop     %ds
        add     $8, %esp                       /* vector and error code */
        iret

/*
 * void swtch(uint32_t *save_esp, uint32_t new_esp)
 * Saves the callee-saved registers on the current kernel stack, stores the
 * stack pointer in *save_esp, loads new_esp and pops the other task's
 * registers: returning "into" the other task where it called swtch().
 */
        .globl swtch
swtch:
        mov     4(%esp), %eax
        mov     8(%esp), %edx
        push    %ebp
        push    %ebx
        push    %esi
        push    %edi
        mov     %esp, (%eax)
        mov     %edx, %esp
        pop     %edi
        pop     %esi
        pop     %ebx
        pop     %ebp
        ret

/* void gdt_load(const void *gdtr): lgdt + reload every segment register. */
        .globl gdt_load
gdt_load:
#ifndef VMLAB_PV /* the paravirtual kernel loaded GDTR with a hypercall (gdt.c) */
        mov     4(%esp), %eax
        lgdt    (%eax)
#endif
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %fs
        mov     %ax, %gs
        mov     %ax, %ss
        ljmp    $0x08, $1f
1:      ret
