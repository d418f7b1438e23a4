/* pitpic.S — the 8254 PIT and 8259A PIC programmed wrongly, then
 * "sti; hlt" waiting for timer interrupts.  The variant is the last
 * character of the kernel command line ("-- a").  Each must end the VM
 * with a status — never a VMM crash, never a VMM that sleeps forever:
 *
 *   a  PIT count 0 (= 65536, 18.2 Hz); master PIC given ICW1 only (half
 *      initialised: IMR cleared, vector base 0); the handler sends no EOI
 *      -> IRQ0 stays in service, nothing can wake the second HLT: 70
 *   b  PIT count 0; PIC initialised, IRQ0 masked: 70
 *   c  PIT mode 2 with count 1 (illegal: OUT never rises): 70
 *   d  PIT mode 3 with count 2 (a 600 kHz interrupt storm), EOI each: 0
 *   e  PIT lo/hi access, only the low byte written (no count loaded): 70
 *   f  PIC ICW1 with LTIM (level-triggered inputs): the PIT's IRQ0 is an
 *      edge, a level-triggered IR0 never latches it: 70
 *   g  PIC initialised, the handler never sends EOI: 70
 *   h  PIC in auto-EOI mode (ICW4 bit 1), no EOI needed, PIT count 0: 0
 *   i  vectors at 0xF8 (IRQ7 is vector 0xFF), special mask mode, a poll
 *      command and a PIT read-back before waiting: 0
 */
#include "guest.inc"
#define TICKS_WANTED 3

    MULTIBOOT_HEADER
    .text
    .globl _start
_start:
    mov $stack_top, %esp
    GET_MODE
    mov %al, mode
    SETUP_IDT handler
    movl $TICKS_WANTED, wanted
    movl $1, do_eoi
    movb mode, %al
    cmp $'a', %al
    je mode_a
    cmp $'b', %al
    je mode_b
    cmp $'c', %al
    je mode_c
    cmp $'d', %al
    je mode_d
    cmp $'e', %al
    je mode_e
    cmp $'f', %al
    je mode_f
    cmp $'g', %al
    je mode_g
    cmp $'h', %al
    je mode_h
    cmp $'i', %al
    je mode_i
    EXIT 99                         /* no such variant */

mode_a:
    call pit_count0
    mov $0x11, %al                  /* ICW1 ... and nothing more */
    out %al, $0x20
    movl $0, do_eoi
    jmp wait
mode_b:
    call pit_count0
    mov $0x11, %bl
    mov $0x00, %bh
    call pic_init
    mov $0xff, %al                  /* everything masked */
    out %al, $0x21
    jmp wait
mode_c:
    mov $0x34, %al                  /* ch0, lo/hi, mode 2 */
    out %al, $0x43
    mov $1, %al
    out %al, $0x40
    mov $0, %al
    out %al, $0x40
    mov $0x11, %bl
    mov $0x01, %bh
    call pic_init
    jmp wait
mode_d:
    mov $0x36, %al                  /* ch0, lo/hi, mode 3 */
    out %al, $0x43
    mov $2, %al
    out %al, $0x40
    mov $0, %al
    out %al, $0x40
    movl $20000, wanted
    mov $0x11, %bl
    mov $0x01, %bh
    call pic_init
    jmp wait
mode_e:
    mov $0x30, %al                  /* ch0, lo/hi, mode 0 */
    out %al, $0x43
    mov $0x10, %al                  /* the low byte only */
    out %al, $0x40
    mov $0x11, %bl
    mov $0x01, %bh
    call pic_init
    jmp wait
mode_f:
    call pit_100hz
    mov $0x19, %bl                  /* ICW1 | LTIM */
    mov $0x01, %bh
    call pic_init
    jmp wait
mode_g:
    call pit_100hz
    mov $0x11, %bl
    mov $0x01, %bh
    call pic_init
    movl $0, do_eoi
    jmp wait
mode_h:
    call pit_count0
    mov $0x11, %bl
    mov $0x03, %bh                  /* ICW4: 8086 mode, auto-EOI */
    call pic_init
    movl $0, do_eoi
    jmp wait
mode_i:
    call pit_100hz
    mov $0x11, %al
    out %al, $0x20
    mov $0xf8, %al                  /* ICW2: IR0 -> vector 0xF8 */
    out %al, $0x21
    mov $0x04, %al
    out %al, $0x21
    mov $0x01, %al
    out %al, $0x21
    mov $0xfe, %al
    out %al, $0x21
    mov $0x68, %al                  /* OCW3: set special mask mode */
    out %al, $0x20
    mov $0x0c, %al                  /* OCW3: poll */
    out %al, $0x20
    in $0x20, %al
    mov $0xe2, %al                  /* PIT read-back: count and status of ch0 */
    out %al, $0x43
    in $0x40, %al
    in $0x40, %al
    in $0x40, %al
    in $0x40, %al
    jmp wait

/* Wait for `wanted` interrupts, one HLT at a time. */
wait:
    sti
    hlt
    cli
    mov irq_count, %eax
    cmp wanted, %eax
    jb wait
    EXIT 0

/* PIT channel 0, mode 2, count 0 (= 65536: 18.2 Hz). */
pit_count0:
    mov $0x34, %al
    out %al, $0x43
    xor %al, %al
    out %al, $0x40
    out %al, $0x40
    ret
/* PIT channel 0, mode 2, 100 Hz (count 11932). */
pit_100hz:
    mov $0x34, %al
    out %al, $0x43
    mov $(11932 & 0xff), %al
    out %al, $0x40
    mov $(11932 >> 8), %al
    out %al, $0x40
    ret
/* Both PICs: ICW1 = %bl, vectors 0x20 / 0x28, cascade on IR2, ICW4 = %bh;
 * then only IRQ0 unmasked. */
pic_init:
    mov %bl, %al
    out %al, $0x20
    out %al, $0xa0
    mov $0x20, %al
    out %al, $0x21
    mov $0x28, %al
    out %al, $0xa1
    mov $0x04, %al
    out %al, $0x21
    mov $0x02, %al
    out %al, $0xa1
    mov %bh, %al
    out %al, $0x21
    out %al, $0xa1
    mov $0xfe, %al
    out %al, $0x21
    mov $0xff, %al
    out %al, $0xa1
    ret

/* Every vector: count, EOI unless told not to. */
handler:
    push %eax
    incl irq_count
    cmpl $0, do_eoi
    je 1f
    mov $0x20, %al                  /* OCW2: non-specific EOI */
    out %al, $0x20
1:  pop %eax
    iret

    .data
mode:      .byte 0
    .align 4
irq_count: .long 0
wanted:    .long 0
do_eoi:    .long 0
    IDT_DATA
    STACK
