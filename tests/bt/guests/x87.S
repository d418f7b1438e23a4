/* x87.S — the guest's x87 state in the host's x87 under identical
 * translation (01-binary-translation/bt_x87.c, ident_x87.c), for
 * tests/bt/bt.sh.  Translated code runs x87 instructions natively on a
 * stack that stays in the host's x87 across blocks; every way out of
 * translated code must store it and every way in load it.  Each check
 * sets a bit of EBX when it fails:
 *
 *   1   a computation across a chained block boundary and a CALL-class
 *       instruction (XCHG: the guest state is spilled to call its handler)
 *   2   FNSTENV (its handler, on struct x86_fpu) after a native FADD m64:
 *       FIP, FOP and FDP are the guest's (SDM Vol. 1 §8.1.9), not the
 *       host's addresses
 *   4   an unmasked zero divide: #MF at the next waiting x87 instruction
 *       (host SIGFPE there), delivered once per iteration at that EIP
 *   8   a store into the page that holds this code (the translator bails
 *       out to the interpreter) while the stack is live: it survives
 *  16   FXSAVE (handler) sees the stack native code built, FXRSTOR gives
 *       it back to native code
 *
 * Ends with status 0 when EBX = 0 after N iterations (translated, then
 * chained), else 1; 3 on an unexpected exception.
 */
#include "../../fuzz/guests/guest.inc"

#define N 50

    MULTIBOOT_HEADER
    .text
    .globl _start
_start:
    mov $stack_top, %esp
    SETUP_IDT unexpected
    /* IDT entry 16 (#MF) -> mf_handler */
    mov $mf_handler, %eax
    mov %eax, %edx
    and $0xffff, %edx
    or $(0x08 << 16), %edx
    mov %edx, idt_table + 16 * 8
    and $0xffff0000, %eax
    or $0x8e00, %eax
    mov %eax, idt_table + 16 * 8 + 4
    mov %cr0, %eax                  /* EM = TS = 0, MP = NE = 1: #MF, not IRQ13 */
    and $~0xc, %eax
    or $0x22, %eax
    mov %eax, %cr0
    xor %ebx, %ebx
    mov $N, %ebp

loop:
    /* 1: (3 * 4) + 5 across a block boundary and a CALL-class XCHG */
    fninit
    fildl three
    fildl four
    jmp 1f
1:  fmulp
    xchg %eax, %edx
    xchg %eax, %edx
    fildl five
    faddp
    fistpl result
    cmpl $17, result
    je 1f
    or $1, %ebx

    /* 2: the pointers FNSTENV reports after a native FADD m64 */
1:  fninit
    fld1
    mov $dval - 8, %esi
fadd_at:
    faddl 8(%esi)                   /* DC /0: FOP = 0x405 (ModRM 0x46) */
    fnstenv env
    cmpl $fadd_at, env + 12
    jne 2f
    movzwl env + 18, %eax
    and $0x7ff, %eax
    cmp $0x446, %eax
    jne 2f
    cmpl $dval, env + 20
    je 1f
2:  or $2, %ebx

    /* 4: 1 / 0 with ZE unmasked, #MF at the next FLD1 */
1:  fninit
    fldcw cw_zm
    fld1
    fldz
    .byte 0xde, 0xf9                /* FDIVP ST(1), ST(0): 1 / 0: ZE, ES */
    mov mf_count, %ecx
mf_at:
    fld1                            /* waiting: #MF here, then again after FNCLEX */
    inc %ecx
    cmp mf_count, %ecx
    jne 2f
    cmpl $mf_at, mf_eip
    je 1f
2:  or $4, %ebx

    /* 8: a store into this code page with a live stack: (7 + 2) */
1:  fninit
    fildl seven
    fildl two
    fistl codevar                   /* into the page of this code: bail out */
    faddp
    fistpl result
    cmpl $9, result
    je 1f
    or $8, %ebx

    /* 16: FXSAVE / FNINIT / FXRSTOR between native instructions */
1:  fninit
    fildl three
    fildl five
    fxsave fxarea
    fninit
    fxrstor fxarea
    faddp
    fistpl result
    cmpl $8, result
    je 1f
    or $16, %ebx

1:  dec %ebp
    jnz loop
    cmpl $N, mf_count
    je 1f
    or $4, %ebx
1:  test %ebx, %ebx
    jnz 1f
    EXIT 0
1:  EXIT 1

    .balign 4
codevar:
    .long 0

/* #MF: count it, note where, clear the exception, retry (no error code). */
mf_handler:
    push %eax
    mov 4(%esp), %eax
    mov %eax, mf_eip
    incl mf_count
    fnclex
    pop %eax
    iret

unexpected:
    EXIT 3

    .data
    .align 8
dval:   .double 2.5
three:  .long 3
four:   .long 4
five:   .long 5
seven:  .long 7
two:    .long 2
cw_zm:  .word 0x037b                /* default, ZM (bit 2) unmasked */
    .align 4
result: .long 0
mf_count: .long 0
mf_eip: .long 0
env:    .space 28
    .align 16
fxarea: .space 512
    IDT_DATA
    STACK
