/* farjump.S — a hot loop whose branches all cross into other pages, for
 * the translator's far exits (tests/bt/bt.sh).  A direct branch within a
 * page is chained block to block; one into another page is looked up
 * inline (01-binary-translation/ident_tail.c, far_exit) and must neither
 * return to the run loop every time nor disturb the guest's flags or ECX,
 * which that lookup borrows.  Every kind of far exit: a Jcc taken and not
 * taken, a JMP, a CALL (and its RET), and a block that runs off the end
 * of its page.  Flags set on one page are read on the next.  Ends with
 * status 0 when EBX holds the expected sum, 1 otherwise.
 */
#include "../../fuzz/guests/guest.inc"

#define N 50000                     /* iterations */
#define T 25000                     /* below: the Jcc is taken */
#define EXPECT 0x4a83031f           /* sum over ECX = 1..N of (ECX < T ? 2 : 1) + ECX */

    MULTIBOOT_HEADER
    .text
    .globl _start
_start:
    mov $stack_top, %esp
    xor %ebx, %ebx
    xor %ecx, %ecx
    mov $N, %ebp
    jmp loop

    .balign 4096
loop:                               /* page A */
    inc %ecx
    cmp $T, %ecx                    /* CF: ECX < T, read on page B or C */
    jb far_b
    jmp far_c
back:
    call far_fn
    dec %ebp
    jnz loop
    cmp $EXPECT, %ebx
    jne 1f
    cmp $N, %ecx
    jne 1f
    EXIT 0
1:  EXIT 1

    .balign 4096
far_b:                              /* page B: CF = 1, adds 2 */
    adc $1, %ebx
    jmp back

    .balign 4096
    .skip 4096 - 3
far_c:                              /* the last 3 bytes of page C: CF = 0, adds 1 */
    adc $1, %ebx
    jmp back                        /* first bytes of page D: a fall-through into it */

    .balign 4096
far_fn:                             /* page E */
    add %ecx, %ebx
    ret

    STACK
