/* divshift.S — DIV, IDIV, SHLD and SHRD run natively by the translator
 * (01-binary-translation/ident_native.c; tests/bt/bt.sh).  A #DE is a
 * host SIGFPE at the instruction, which must come back as the guest's
 * #DE at that EIP with the registers as before the instruction.  Each
 * check sets a bit of EBX when it fails:
 *
 *   1   DIV r32, DIV m32, IDIV r32 (negative), DIV r16, DIV r8: quotient
 *       and remainder
 *   2   DIV by zero and an IDIV whose quotient overflows: #DE at the
 *       instruction, EAX/EDX untouched, once each per iteration
 *   4   SHLD/SHRD with an immediate count and with CL, register and
 *       memory destinations
 *
 * Ends with status 0 when EBX = 0 after N iterations, else 1; 3 on an
 * exception other than #DE.
 */
#include "../../fuzz/guests/guest.inc"

#define N 50

    MULTIBOOT_HEADER
    .text
    .globl _start
_start:
    mov $stack_top, %esp
    SETUP_IDT unexpected
    mov $de_handler, %eax           /* IDT entry 0 (#DE) */
    mov %eax, %edx
    and $0xffff, %edx
    or $(0x08 << 16), %edx
    mov %edx, idt_table
    and $0xffff0000, %eax
    or $0x8e00, %eax
    mov %eax, idt_table + 4
    xor %ebx, %ebx
    mov $N, %ebp

loop:
    /* 1: 0x1_2345_6789 / 0x10000 = 0x12345 r 0x6789 */
    mov $1, %edx
    mov $0x23456789, %eax
    mov $0x10000, %ecx
    div %ecx
    cmp $0x12345, %eax
    jne 2f
    cmp $0x6789, %edx
    jne 2f
    xor %edx, %edx
    mov $1000, %eax
    divl seven                      /* 142 r 6 */
    cmp $142, %eax
    jne 2f
    cmp $6, %edx
    jne 2f
    mov $-1000, %eax
    cltd
    mov $7, %ecx
    idiv %ecx                       /* -142 r -6 */
    cmp $-142, %eax
    jne 2f
    cmp $-6, %edx
    jne 2f
    mov $0xdead0001, %eax           /* DX:AX = 0x0001:0x0001 = 65537 */
    mov $0xbeef0001, %edx
    mov $3, %cx
    div %cx                         /* 21845 r 2, the upper halves kept */
    cmp $0xdead5555, %eax
    jne 2f
    cmp $0xbeef0002, %edx
    jne 2f
    mov $1000, %eax
    mov $9, %cl
    div %cl                         /* AL = 111, AH = 1 */
    cmp $0x016f, %ax
    je 1f
2:  or $1, %ebx

    /* 2: #DE: division by zero, then a quotient that does not fit */
1:  mov de_count, %esi
    mov $0x11, %eax
    mov $0x22, %edx
    xor %ecx, %ecx
de1:
    div %ecx
    cmp $0x11, %eax
    jne 2f
    cmp $0x22, %edx
    jne 2f
    mov $de1, %eax
    cmp %eax, de_eip
    jne 2f
    mov $0x80000000, %eax
    cltd                            /* EDX:EAX = -2^31 ... */
    mov $-1, %ecx
de2:
    idiv %ecx                       /* ... / -1 = 2^31: #DE */
    cmp $0x80000000, %eax
    jne 2f
    mov $de2, %eax
    cmp %eax, de_eip
    jne 2f
    add $2, %esi
    cmp de_count, %esi
    je 1f
2:  or $2, %ebx

    /* 4: SHLD/SHRD */
1:  mov $0x12345678, %eax
    mov $0x9abcdef0, %edx
    shld $8, %edx, %eax             /* 0x3456789a */
    cmp $0x3456789a, %eax
    jne 2f
    mov $0x12345678, %eax
    mov $12, %cl
    shrd %cl, %edx, %eax            /* 0xef012345 */
    cmp $0xef012345, %eax
    jne 2f
    movl $0x12345678, word
    shldl $4, %edx, word            /* 0x23456789 */
    cmpl $0x23456789, word
    jne 2f
    mov $28, %cl
    shrdl %cl, %edx, word           /* 0xabcdef02 */
    cmpl $0xabcdef02, word
    je 1f
2:  or $4, %ebx

1:  dec %ebp
    jnz loop
    cmpl $2 * N, de_count
    je 1f
    or $2, %ebx
1:  test %ebx, %ebx
    jnz 1f
    EXIT 0
1:  EXIT 1

/* #DE (a fault: the return EIP is the DIV's): count it, note where, and
 * go on after the 2-byte DIV/IDIV r32. */
de_handler:
    push %eax
    mov 4(%esp), %eax
    mov %eax, de_eip
    addl $2, 4(%esp)
    incl de_count
    pop %eax
    iret

unexpected:
    EXIT 3

    .data
    .balign 4096                    /* not in a page with code */
seven:  .long 7
word:   .long 0
de_count: .long 0
de_eip: .long 0
    IDT_DATA
    STACK
