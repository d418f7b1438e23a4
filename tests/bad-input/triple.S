/* triple.S — a guest that triple-faults: load an empty IDT, then int3.
 * #BP finds no IDT entry -> #GP, which finds none -> #DF, which finds none
 * -> shutdown (SDM Vol. 3A §6.15, "Interrupt 8 — Double Fault"). */
    .section .multiboot, "a"
    .align 4
    .long 0x1BADB002, 0, -0x1BADB002      /* magic, flags, checksum */

    .text
    .globl _start
_start:
    lidt idt_empty
    int3
1:  jmp 1b

    .data
idt_empty:
    .word 0                               /* limit 0: no vector is valid */
    .long 0
