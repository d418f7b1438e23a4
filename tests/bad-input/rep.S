/* rep.S — a guest in one endless REP string instruction: LODSB with
 * ECX = 2^32-1 (reading past the end of RAM reads all ones), again and
 * again.  A VMM must still stop it at once (--timeout, Ctrl-C, a hang-up):
 * engines pause a REP every few thousand iterations, EIP left on it, as a
 * CPU taking an interrupt mid-string (SDM Vol. 2B "REP"). */
    .section .multiboot, "a"
    .align 4
    .long 0x1BADB002, 0, -0x1BADB002

    .text
    .globl _start
_start:
    cld
    xorl %esi, %esi
    movl $0xffffffff, %ecx
    rep lodsb
    jmp _start
