/* strings.S — MOVS, STOS, CMPS and SCAS, with and without REP, for the
 * translator's window loops (01-binary-translation/ident_string.c;
 * tests/bt/bt.sh).  Each check sets a bit of EBX when it fails:
 *
 *   1   REP MOVSB forward, checked byte by byte with plain MOVs
 *   2   REP MOVSD backward (STD), overlapping, as memmove does
 *   4   REP STOSW: the stored words and the final EDI, ECX
 *   8   REPE CMPSB stopping at a difference, REPNE SCASB finding a byte
 *       and not finding one: ECX, ESI/EDI and ZF/CF as the SDM says
 *  16   ECX = 0: nothing done, the flags (CF, ZF) left alone
 *  32   8 MiB REP STOSD and REP MOVSB, long enough that the poller
 *       interrupts them (the interpreter goes on from that iteration)
 *  64   REP STOSB into the page that holds this code (a bail-out in the
 *       middle of the instruction)
 * 128   MOVSB, STOSD, CMPSB and SCASB without REP: one element each
 *
 * Ends with status 0 when EBX = 0 after N iterations, else 1.
 */
#include "../../fuzz/guests/guest.inc"

#define N   8
#define BIG (8 << 20)               /* bytes */
#define SRC 0x1000000
#define DST 0x2000000

    MULTIBOOT_HEADER
    .text
    .globl _start
_start:
    mov $stack_top, %esp
    xor %ebx, %ebx
    mov $N, %ebp
    cld
    /* src[i] = i * 7 */
    xor %ecx, %ecx
1:  mov %ecx, %eax
    imul $7, %eax
    mov %al, src(%ecx)
    inc %ecx
    cmp $1024, %ecx
    jne 1b

loop:
    /* 1: REP MOVSB forward */
    mov $src, %esi
    mov $dst, %edi
    mov $1000, %ecx
    rep movsb
    cmp $src + 1000, %esi
    jne 2f
    cmp $dst + 1000, %edi
    jne 2f
    test %ecx, %ecx
    jne 2f
    xor %ecx, %ecx
3:  mov %ecx, %eax
    imul $7, %eax
    cmp %al, dst(%ecx)
    jne 2f
    inc %ecx
    cmp $1000, %ecx
    jne 3b
    jmp 1f
2:  or $1, %ebx

    /* 2: REP MOVSD backward, dst = src + 8 (overlapping): dwords 0..63 */
1:  mov $src, %esi
    mov $ovl, %edi
    mov $64, %ecx
    cld
    rep movsl                       /* ovl[0..63] = src dwords */
    lea ovl + 63 * 4, %esi
    lea ovl + 65 * 4, %edi
    mov $64, %ecx
    std
    rep movsl                       /* ovl[2..65] = old ovl[0..63] */
    cld
    cmp $ovl - 4, %esi
    jne 2f
    cmp $ovl + 4, %edi
    jne 2f
    mov src, %eax
    cmp %eax, ovl + 8
    jne 2f
    mov src + 63 * 4, %eax
    cmp %eax, ovl + 65 * 4
    je 1f
2:  or $2, %ebx

    /* 4: REP STOSW */
1:  mov $0xbeef, %eax
    mov $dst, %edi
    mov $100, %ecx
    rep stosw
    cmp $dst + 200, %edi
    jne 2f
    test %ecx, %ecx
    jne 2f
    cmpw $0xbeef, dst
    jne 2f
    cmpw $0xbeef, dst + 198
    jne 2f
    mov $200, %eax
    imul $7, %eax
    cmp %al, dst + 200
    je 1f
2:  or $4, %ebx

    /* 8: REPE CMPSB to a difference at 37; REPNE SCASB found / not found */
1:  mov $src, %esi
    mov $cmpbuf, %edi
    mov $100, %ecx
    rep movsb                       /* cmpbuf = src[0..99] */
    incb cmpbuf + 37                /* src[37] < cmpbuf[37]: CF */
    mov $src, %esi
    mov $cmpbuf, %edi
    mov $100, %ecx
    repe cmpsb
    jz 2f                           /* a difference: ZF = 0 */
    jnc 2f                          /* src[37] - cmpbuf[37] borrows */
    cmp $100 - 38, %ecx
    jne 2f
    cmp $src + 38, %esi
    jne 2f
    mov $50 * 7 & 0xff, %eax
    mov $src, %edi
    mov $100, %ecx
    repne scasb                     /* first i with i * 7 & 0xff = 0x5e: 50 */
    jnz 2f
    cmp $src + 51, %edi
    jne 2f
    cmp $100 - 51, %ecx
    jne 2f
    mov $1, %eax                    /* i * 7 & 0xff = 1 first at i = 183 */
    mov $src, %edi
    mov $100, %ecx
    repne scasb
    jz 2f
    test %ecx, %ecx
    jne 2f
    cmp $src + 100, %edi
    je 1f
2:  or $8, %ebx

    /* 16: ECX = 0 leaves everything, the flags too */
1:  xor %ecx, %ecx
    mov $src, %esi
    mov $dst, %edi
    mov $1, %eax
    cmp $0, %eax                    /* ZF = 0, CF = 0 */
    stc                             /* CF = 1 */
    rep movsb
    repe cmpsb
    repne scasb
    rep stosb
    jnc 2f
    jz 2f
    cmp $src, %esi
    jne 2f
    cmp $dst, %edi
    je 1f
2:  or $16, %ebx

    /* 32: 8 MiB: REP STOSD a pattern, REP MOVSB it */
1:  mov %ebp, %eax
    mov $SRC, %edi
    mov $BIG / 4, %ecx
    rep stosl
    mov $SRC, %esi
    mov $DST, %edi
    mov $BIG, %ecx
    rep movsb
    cmp $DST + BIG, %edi
    jne 2f
    test %ecx, %ecx
    jne 2f
    cmp %ebp, DST
    jne 2f
    cmp %ebp, DST + BIG - 4
    jne 2f
    cmp %ebp, DST + BIG / 2 + 4
    je 1f
2:  or $32, %ebx

    /* 64: REP STOSB into this code page */
1:  mov $0x5a, %eax
    mov $codevar, %edi
    mov $4, %ecx
    rep stosb
    cmpl $0x5a5a5a5a, codevar
    jne 2f
    cmp $codevar + 4, %edi
    je 1f
2:  or $64, %ebx
    /* 128: one element each */
1:  mov $src + 10, %esi
    mov $dst, %edi
    movsb
    mov $0x12345678, %eax
    stosl
    cmp $src + 11, %esi
    jne 2f
    cmp $dst + 5, %edi
    jne 2f
    cmpl $0x12345678, dst + 1
    jne 2f
    mov $src + 10, %esi
    mov $src + 10, %edi
    cmpsb
    jnz 2f
    mov $10 * 7, %eax
    mov $src + 10, %edi
    scasb
    jnz 2f
    cmp $src + 11, %edi
    je 1f
2:  or $128, %ebx

1:  dec %ebp
    jnz loop
    test %ebx, %ebx
    jnz 1f
    EXIT 0
1:  EXIT 1

    .balign 4
codevar:
    .long 0

    .bss
    .balign 4096                    /* not in a page with code: no bail-outs */
src:    .space 1024
dst:    .space 1024
ovl:    .space 66 * 4
cmpbuf: .space 128
    STACK
