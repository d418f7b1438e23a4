/* spin.S — a guest that never ends (jmp .), to check --timeout.
 * Built with -DBIG_BSS it also has a 16 MiB .bss, to check --mem. */
    .section .multiboot, "a"
    .align 4
    .long 0x1BADB002, 0, -0x1BADB002

    .text
    .globl _start
_start:
    jmp _start

#ifdef BIG_BSS
    .bss
    .space 16 << 20
#endif
