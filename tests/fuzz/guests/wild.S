/* wild.S — a guest that reaches outside its RAM (run with --mem 2M: RAM
 * ends at 0x200000).  Variant = last command-line char:
 *   a  jumps to 0xF0000000        b  jumps to 0x200000 (RAM end)
 *   c  jumps to 0xFFFFFFF0        d  reads and writes 0xF0000000
 *   e  a 4-byte read straddling the end of RAM (0x1ffffe)
 *   f  a 4-byte write straddling the end of RAM
 *   g  a GDT beyond RAM (base 0xF0000000), then DS reloaded
 *   h  a GDT straddling the end of RAM, then DS reloaded from beyond it
 *   i  an IDT beyond RAM, then int $0x80
 *   j  paging on with CR3 beyond RAM
 *   k  a far jump through a GDT beyond RAM (CS reload)
 *   l  the stack beyond RAM: call
 *   m  the stack straddling the end of RAM: push
 * Any of these ends the VM with the guest's status (0 when it got through)
 * or a fatal end (70) explained in one line — never a crash of the VMM.
 */
#include "guest.inc"
#define FAR 0xF0000000

    MULTIBOOT_HEADER
    .text
    .globl _start
_start:
    mov $stack_top, %esp
    GET_MODE
    sub $'a', %al
    cmp $12, %al
    ja nomode
    movzbl %al, %eax
    jmp *table(, %eax, 4)
nomode:
    EXIT 99

v_a: mov $FAR, %eax
     jmp *%eax
v_b: mov $0x200000, %eax
     jmp *%eax
v_c: mov $0xfffffff0, %eax
     jmp *%eax
v_d: mov FAR, %eax
     mov %eax, FAR + 4
     jmp done
v_e: mov 0x1ffffe, %eax
     jmp done
v_f: movl $0x12345678, 0x1ffffe
     jmp done
v_g: lgdt gdt_far
     mov $0x10, %ax
     mov %ax, %ds
     jmp done
v_h: lgdt gdt_end
     mov $0x10, %ax
     mov %ax, %ds
     jmp done
v_i: lidt idt_far
     int $0x80
     jmp done
v_j: mov $FAR, %eax
     mov %eax, %cr3
     mov %cr0, %eax
     or $0x80000000, %eax
     mov %eax, %cr0
     jmp done
v_k: lgdt gdt_far
     ljmp $0x08, $done
v_l: mov $FAR, %esp
     call done
     jmp done
v_m: mov $0x200002, %esp
     push %eax
     jmp done
done:
     EXIT 0

    .data
    .align 4
table:
    .long v_a, v_b, v_c, v_d, v_e, v_f, v_g, v_h, v_i, v_j, v_k, v_l, v_m
gdt_far:
    .word 0xffff
    .long FAR
gdt_end:
    .word 0x17                      /* entries 0x1ffff8, 0x200000, 0x200008 */
    .long 0x1ffff8
idt_far:
    .word 0x7ff
    .long FAR
    STACK
