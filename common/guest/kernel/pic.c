/*
 * pic.c — the 8259A Programmable Interrupt Controller pair (master at
 * 0x20/0x21, slave at 0xA0/0xA1 on IRQ 2).  At reset they deliver IRQs on
 * vectors 8-15, which collide with CPU exceptions, so we reprogram them
 * with the ICW1-ICW4 sequence (8259A datasheet, "Initialization Command
 * Words") to use vectors 32-47.
 */
#include "pic.h"
#include "x86.h"

#define PIC1_CMD      0x20
#define PIC1_DATA     0x21
#define PIC2_CMD      0xA0
#define PIC2_DATA     0xA1
#define PIC_EOI       0x20
#define OCW3_READ_ISR 0x0B

#ifdef VMLAB_PV
/* The paravirtual kernel programs no interrupt controller: its one
 * interrupt, the PV timer (timer.c), comes straight from the VMM and needs
 * no EOI. */
void pic_init(void) {}
void pic_unmask(int irq) { (void)irq; }
void pic_mask(int irq) { (void)irq; }
int pic_eoi(int irq)
{
    (void)irq;
    return 1;
}
#else
static uint16_t mask = 0xFFFF;

static void set_mask(void)
{
    outb(PIC1_DATA, (uint8_t)mask);
    outb(PIC2_DATA, (uint8_t)(mask >> 8));
}

/*
 * A local APIC, if the CPU has one, passes the 8259's INTR on only when its
 * LINT0 entry is unmasked with delivery mode ExtINT ("virtual wire mode",
 * SDM Vol. 3A §11.5.1; MP spec §3.6.2.2).  SeaBIOS sets that up, qboot (QEMU
 * microvm) does not, so we do it here, before paging (the APIC registers are
 * memory mapped at the physical base in IA32_APIC_BASE).
 */
static void lapic_virtual_wire(void)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    if (!(d & (1u << 9))) /* CPUID.1:EDX.APIC: no local APIC */
        return;
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x1B));
    if (!(lo & (1u << 11))) /* globally disabled: INTR goes direct */
        return;
    volatile uint32_t *apic = (volatile uint32_t *)(lo & 0xFFFFF000u);
    apic[0xF0 / 4] = 0x100 | 0x2F; /* SVR: software enable, spurious vector 47 */
    apic[0x350 / 4] = 0x700;       /* LVT LINT0: ExtINT, unmasked */
    apic[0x360 / 4] = 0x400;       /* LVT LINT1: NMI */
}

void pic_init(void)
{
    lapic_virtual_wire();
    outb(PIC1_CMD, 0x11); /* ICW1: edge triggered, cascade, ICW4 follows */
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, 32); /* ICW2: vector offset                          */
    outb(PIC2_DATA, 40);
    outb(PIC1_DATA, 1 << 2); /* ICW3: master has the slave on IRQ 2          */
    outb(PIC2_DATA, 2);      /*       slave's cascade identity               */
    outb(PIC1_DATA, 0x01);   /* ICW4: 8086 mode, normal EOI                  */
    outb(PIC2_DATA, 0x01);
    mask = 0xFFFF & ~(1u << 2); /* everything masked except the cascade    */
    set_mask();
}

void pic_unmask(int irq)
{
    mask &= (uint16_t) ~(1u << irq);
    set_mask();
}

void pic_mask(int irq)
{
    mask |= (uint16_t)(1u << irq);
    set_mask();
}

int pic_eoi(int irq)
{
    /* IRQ 7/15 may be spurious: then the In-Service bit is clear and no EOI
     * must be sent to that chip. */
    if (irq == 7 || irq == 15) {
        uint16_t cmd = irq == 7 ? PIC1_CMD : PIC2_CMD;
        outb(cmd, OCW3_READ_ISR);
        if (!(inb(cmd) & 0x80)) {
            if (irq == 15)
                outb(PIC1_CMD, PIC_EOI); /* the master did see IRQ 2 */
            return 0;
        }
    }
    if (irq >= 8)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
    return 1;
}
#endif
