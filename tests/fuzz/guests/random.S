/* random.S — random bytes executed as ring-0 code.
 *
 * The seed is a hash (FNV-1a) of the kernel command line, so
 * "-- seed=17" is one reproducible run.  Each round writes 256
 * pseudo-random bytes (xorshift32) to code_buf and jumps there; every
 * exception or interrupt comes back to `restart` (all 256 IDT gates point
 * there), which reloads a sane GDT, segments, stack and IDT and starts the
 * next round.  After ROUNDS rounds the guest exits with status 0.
 *
 * Whatever the random code does — faults, loops, halts, reprograms the
 * devices, turns on paging with a random CR3, writes the debug-exit port,
 * scribbles over this very code — the VMM must end with a guest status,
 * a timeout (124) or a fatal end (70) with one error line: never a crash.
 */
#include "guest.inc"
#define ROUNDS 2000

    MULTIBOOT_HEADER
    .text
    .globl _start
_start:
    mov $stack_top, %esp
    mov $2166136261, %eax           /* FNV-1a offset basis */
    testb $4, (%ebx)
    jz 2f
    mov 16(%ebx), %esi
1:  movzbl (%esi), %edx
    test %edx, %edx
    jz 2f
    xor %edx, %eax
    imul $16777619, %eax, %eax      /* FNV prime */
    inc %esi
    jmp 1b
2:  or $1, %eax                     /* xorshift state must not be 0 */
    mov %eax, seed_state
    movl $ROUNDS, rounds
    SETUP_IDT restart

restart:
    cli
    lgdt gdt_desc
    ljmp $0x08, $1f
1:  mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov $stack_top, %esp
    lidt idt_desc
    decl rounds
    jz done
    mov $code_buf, %edi
    mov $64, %ecx
    mov seed_state, %eax
3:  mov %eax, %edx                  /* xorshift32 (Marsaglia 2003) */
    shl $13, %edx
    xor %edx, %eax
    mov %eax, %edx
    shr $17, %edx
    xor %edx, %eax
    mov %eax, %edx
    shl $5, %edx
    xor %edx, %eax
    stosl
    loop 3b
    mov %eax, seed_state
    mov %eax, %ebx                  /* random-ish registers too */
    rol $7, %eax
    mov %eax, %ecx
    rol $9, %eax
    mov %eax, %edx
    mov $code_buf, %esi
    mov $code_buf + 4096, %edi
    xor %ebp, %ebp
    jmp code_buf
done:
    EXIT 0
    hlt

    .data
    .align 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff        /* 0x08: flat 32-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: flat data */
gdt_desc:
    .word 3 * 8 - 1
    .long gdt
    .align 4
seed_state: .long 0
rounds:     .long 0
    IDT_DATA
    STACK
    .bss
    .align 4096
code_buf:
    .space 8192
