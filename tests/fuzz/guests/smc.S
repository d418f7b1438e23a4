/* smc.S — a guest that writes its own code in a tight loop.  Variant =
 * last command-line char; each checks its result (status 0 right, 1 wrong):
 *   a  each iteration patches the imm32 of an instruction a few bytes
 *      ahead in the same basic block (SDM Vol. 3A §11.6: a write to code
 *      about to run must take effect), 100000 times; the sum must match
 *   b  rep movsb copies a 64-byte code block over itself (same bytes) and
 *      then runs it, 20000 times: a REP store into the code being run
 *   c  two functions written alternately into one buffer and called,
 *      50000 times: every call must run the version just written
 */
#include "guest.inc"

    MULTIBOOT_HEADER
    .text
    .globl _start
_start:
    mov $stack_top, %esp
    GET_MODE
    cld
    cmp $'a', %al
    je mode_a
    cmp $'b', %al
    je mode_b
    cmp $'c', %al
    je mode_c
    EXIT 99

mode_a:
    mov $100000, %ecx
    xor %ebx, %ebx
1:  mov %ecx, patch + 1             /* the imm32 of the mov below */
patch:
    mov $0, %edx                    /* BA imm32 */
    add %edx, %ebx
    loop 1b
    cmp $(100000 * 100001 / 2) & 0xffffffff, %ebx
    jne bad
    EXIT 0

mode_b:
    mov $20000, %ebp
    xor %ebx, %ebx
2:  mov $selfcopy, %esi
    mov %esi, %edi
    mov $64, %ecx
    rep movsb                       /* rewrites selfcopy..+64, and itself? no: */
    call selfcopy                   /* ... the block it is about to call */
    dec %ebp
    jnz 2b
    cmp $20000, %ebx
    jne bad
    EXIT 0

mode_c:
    mov $50000, %ebp
    xor %ebx, %ebx                  /* sum of results: f1 adds 1, f2 adds 2 */
3:  mov $f1, %esi
    test $1, %ebp
    jz 4f
    mov $f2, %esi
4:  mov $code_buf, %edi
    mov $(f_end - f1) / 2, %ecx
    rep movsb
    call code_buf
    dec %ebp
    jnz 3b
    cmp $(25000 * 1 + 25000 * 2), %ebx
    jne bad
    EXIT 0

bad:
    EXIT 1

    .align 64
selfcopy:
    inc %ebx
    ret
    .fill 61, 1, 0x90

/* Two functions of the same size, copied to code_buf. */
f1: add $1, %ebx
    ret
f2: add $2, %ebx
    ret
f_end:

    STACK
    .bss
    .align 64
code_buf:
    .space 64
