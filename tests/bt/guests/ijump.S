/* ijump.S — indirect JMP and CALL in a hot loop, for the translator's
 * inline lookup of their targets (01-binary-translation/ident_tail.c,
 * ident_tail_ijump; tests/bt/bt.sh): a switch through a jump table (JMP
 * m32 with an index), a function pointer in a register (CALL r32), one
 * in memory (CALL m32) and one on the stack (CALL [ESP+4]: the operand is
 * read before the return address is pushed).  The lookup borrows EAX and
 * the flags: CF is set before each indirect branch and read after it.
 * Ends with status 0 when EBX holds the expected sum, 1 otherwise.
 */
#include "../../fuzz/guests/guest.inc"

#define N 40000                     /* iterations */
#define EXPECT 0x157dd0            /* sum over ECX = 1..N of the cases below */

    MULTIBOOT_HEADER
    .text
    .globl _start
_start:
    mov $stack_top, %esp
    xor %ebx, %ebx
    xor %ecx, %ecx
    mov $N, %ebp
loop:
    inc %ecx
    mov %ecx, %eax
    and $3, %eax
    cmp $2, %eax                    /* CF: case 0 or 1 */
    jmp *table(, %eax, 4)
case0:
    adc $1, %ebx                    /* + 2 */
    jmp next
case1:
    adc $3, %ebx                    /* + 4 */
    jmp next
case2:
    mov $fn_add, %edx
    stc
    call *%edx                      /* + ECX & 0xff, + 1 (CF) */
    jmp next
case3:
    push $fn_two
    stc
    call *(%esp)                    /* + 2 + 1 */
    add $4, %esp
    stc
    call *fnptr                     /* + 2 + 1 */
next:
    dec %ebp
    jnz loop
    cmp $EXPECT, %ebx
    jne 1f
    EXIT 0
1:  EXIT 1

fn_add:
    movzbl %cl, %eax
    adc %eax, %ebx
    ret
fn_two:
    adc $2, %ebx
    ret

    .data
    .align 4
table:  .long case0, case1, case2, case3
fnptr:  .long fn_two
    STACK
