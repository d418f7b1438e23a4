/* uart.S — the 16550 UART driven hard.  Variant = last command-line char:
 *   a  divisor latch 0 (DLAB=1, DLL=DLM=0: no baud rate at all), then
 *      rep outsb of 1 MiB (the guest's RAM from 1 MiB) to COM1: 0
 *   b  rep insb of 1 MiB from COM1 (nothing to receive) into RAM: 0
 *   c  rep outsb with ECX = 0xffffffff from 1 MiB: runs off the end of
 *      guest RAM (source addresses beyond --mem) or past --timeout
 *   d  THR-empty interrupts (IER.THRI, MCR.OUT2, IRQ4 unmasked): each
 *      interrupt writes the next byte, 20000 interrupts, then 0
 *   e  loopback mode: 64 bytes into a 16-byte receive FIFO (overrun),
 *      every register read and written: 0
 */
#include "guest.inc"
#define COM1 0x3f8

    MULTIBOOT_HEADER
    .text
    .globl _start
_start:
    mov $stack_top, %esp
    GET_MODE
    mov %al, %bl
    SETUP_IDT handler
    cld
    mov $COM1, %dx
    cmp $'a', %bl
    je mode_a
    cmp $'b', %bl
    je mode_b
    cmp $'c', %bl
    je mode_c
    cmp $'d', %bl
    je mode_d
    cmp $'e', %bl
    je mode_e
    EXIT 99

mode_a:
    mov $COM1 + 3, %dx
    mov $0x80, %al                  /* LCR: DLAB */
    out %al, %dx
    mov $COM1, %dx
    xor %al, %al
    out %al, %dx                    /* DLL = 0 */
    inc %dx
    out %al, %dx                    /* DLM = 0 */
    mov $COM1 + 3, %dx
    mov $0x03, %al                  /* 8N1, DLAB off */
    out %al, %dx
    mov $COM1, %dx
    mov $0x100000, %esi
    mov $(1 << 20), %ecx
    rep outsb
    EXIT 0
mode_b:
    mov $0x200000, %edi
    mov $(1 << 20), %ecx
    rep insb
    EXIT 0
mode_c:
    mov $0x100000, %esi
    mov $0xffffffff, %ecx
    rep outsb
    EXIT 0
mode_d:
    mov $0x11, %al                  /* PIC: vectors 0x20.., only IRQ4 unmasked */
    out %al, $0x20
    mov $0x20, %al
    out %al, $0x21
    mov $0x04, %al
    out %al, $0x21
    mov $0x01, %al
    out %al, $0x21
    mov $0xef, %al
    out %al, $0x21
    mov $COM1 + 4, %dx
    mov $0x08, %al                  /* MCR.OUT2: the IRQ reaches the PIC */
    out %al, %dx
    mov $COM1 + 1, %dx
    mov $0x02, %al                  /* IER: THR empty */
    out %al, %dx
1:  sti
    nop
    cli
    cmpl $20000, irq_count
    jb 1b
    EXIT 0
mode_e:
    mov $COM1 + 4, %dx
    mov $0x1f, %al                  /* MCR: loopback, all modem outputs */
    out %al, %dx
    mov $COM1, %dx
    mov $64, %ecx
1:  mov %cl, %al
    out %al, %dx
    loop 1b
    mov $COM1, %dx                  /* read and write all eight registers */
    mov $8, %ecx
2:  in %dx, %al
    out %al, %dx
    in %dx, %al
    inc %dx
    loop 2b
    mov $COM1 + 2, %dx
    mov $0xc7, %al                  /* FCR: enable and clear FIFOs */
    out %al, %dx
    mov $COM1 + 4, %dx
    xor %al, %al
    out %al, %dx
    EXIT 0

/* IRQ4: acknowledge (read IIR), send one more byte (the next THR-empty
 * interrupt follows at once: the handler runs back to back), EOI. */
handler:
    push %eax
    push %edx
    incl irq_count
    mov $COM1 + 2, %dx
    in %dx, %al
    cmpl $20000, irq_count
    jb 1f
    mov $COM1 + 1, %dx              /* enough: IER = 0, no more interrupts */
    xor %al, %al
    out %al, %dx
    jmp 2f
1:  mov $COM1, %dx                  /* THR: empty again at once, next IRQ */
    mov $'.', %al
    out %al, %dx
2:
    mov $0x20, %al
    out %al, $0x20
    pop %edx
    pop %eax
    iret

    .data
    .align 4
irq_count: .long 0
    IDT_DATA
    STACK
