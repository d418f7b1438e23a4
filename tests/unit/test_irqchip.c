/* test_irqchip.c — interrupt routing through a whole VM (core/irqchip.h):
 * the reset state keeps the 8259 reaching the CPU (virtual wire); in APIC
 * mode an ISA IRQ goes through the I/O APIC and the local APIC with the
 * vector of its redirection entry (IRQ0 on pin 2), a level-triggered one is
 * held by remote IRR until the guest's EOI at the local APIC page, and a
 * local APIC timer interrupt wakes a halted CPU; IA32_APIC_BASE turns the
 * APIC off (PIC mode) and resets it.  All accesses go where a guest's do:
 * ports through vm_pio, the APIC pages through vm_mmio (the bus every
 * engine's accesses outside RAM reach), the MSR through the CPU model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "vmm/options.h"
#include "core/irq.h"
#include "core/vm.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "x86/interp.h"

static uint64_t fake_ns;
static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_ns += 1000; /* 1 us per look */
}

static int nop_run(struct vcpu *v, struct vm_exit *e)
{
    (void)v;
    (void)e;
    return -1;
}
static const struct engine_ops nop_engine = { .name = "nop", .run = nop_run };

static struct vm *new_vm(void)
{
    struct vm_options o;
    vm_options_defaults(&o, "vmm-test");
    o.mem = 2 << 20;
    struct vm *vm;
    char err[256];
    assert_int_equal(vm_create(&vm, &o, &nop_engine, err, sizeof err), 0);
    fake_ns = 1000000000ull;
    vm_set_clock(vm, fake_clock, NULL);
    return vm;
}

static void outb(struct vm *vm, uint16_t port, uint32_t v) { vm_pio(vm, port, 1, true, &v); }
static uint32_t inb(struct vm *vm, uint16_t port)
{
    uint32_t v = 0;
    vm_pio(vm, port, 1, false, &v);
    return v & 0xff;
}
static void mmio_w(struct vm *vm, uint32_t gpa, uint32_t v)
{
    assert_true(vm_mmio(vm, gpa, 4, true, &v));
}
static uint32_t mmio_r(struct vm *vm, uint32_t gpa)
{
    uint32_t v = 0;
    assert_true(vm_mmio(vm, gpa, 4, false, &v));
    return v;
}
static void lapic_w(struct vm *vm, uint32_t reg, uint32_t v) { mmio_w(vm, LAPIC_BASE + reg, v); }
static uint32_t lapic_r(struct vm *vm, uint32_t reg) { return mmio_r(vm, LAPIC_BASE + reg); }
static void redir_w(struct vm *vm, int pin, uint32_t lo)
{
    mmio_w(vm, IOAPIC_BASE, 0x11 + 2 * (uint32_t)pin);
    mmio_w(vm, IOAPIC_BASE + 0x10, 0); /* destination: APIC ID 0 */
    mmio_w(vm, IOAPIC_BASE, 0x10 + 2 * (uint32_t)pin);
    mmio_w(vm, IOAPIC_BASE + 0x10, lo);
}
static uint32_t redir_r(struct vm *vm, int pin)
{
    mmio_w(vm, IOAPIC_BASE, 0x10 + 2 * (uint32_t)pin);
    return mmio_r(vm, IOAPIC_BASE + 0x10);
}

/* The 8259s at vectors 0x20/0x28, as the teaching guest sets them up. */
static void pic_setup(struct vm *vm, uint8_t master_mask)
{
    outb(vm, 0x20, 0x11);
    outb(vm, 0xA0, 0x11);
    outb(vm, 0x21, 0x20);
    outb(vm, 0xA1, 0x28);
    outb(vm, 0x21, 4);
    outb(vm, 0xA1, 2);
    outb(vm, 0x21, 1);
    outb(vm, 0xA1, 1);
    outb(vm, 0x21, master_mask);
    outb(vm, 0xA1, 0xff);
}

/* COM1 raises IRQ4 (THR empty, OUT2 on); reading IIR drops it. */
static void com1_raise(struct vm *vm)
{
    outb(vm, 0x3fc, 0x08);
    outb(vm, 0x3f9, 0x00);
    outb(vm, 0x3f9, 0x02);
}

static uint64_t rdmsr(struct vm *vm, uint32_t msr)
{
    uint64_t v = 0;
    assert_true(x86_msr_read(&vm_vcpu(vm)->cpu, msr, &v));
    return v;
}

static void test_reset_state_is_pic_through_virtual_wire(void **st)
{
    (void)st;
    struct vm *vm = new_vm();
    assert_int_equal(rdmsr(vm, MSR_APIC_BASE), 0xFEE00900u);
    uint32_t id[4];
    x86_cpuid(1, id);
    assert_true(id[3] & (1u << 9)); /* CPUID.1:EDX.APIC */
    assert_int_equal(lapic_r(vm, 0x30), LAPIC_VERSION);
    assert_int_equal(lapic_r(vm, 0x350), 0x700);
    pic_setup(vm, 0xff & ~(1u << 4) & ~(1u << 2));
    com1_raise(vm);
    assert_true(vm_irq_pending(vm));
    assert_int_equal(vm_irq_ack(vm), 0x24);
    vm_destroy(vm);
}

static void test_isa_irq_through_ioapic_and_lapic(void **st)
{
    (void)st;
    struct vm *vm = new_vm();
    pic_setup(vm, 0xff); /* APIC mode: every 8259 input masked */
    lapic_w(vm, 0xF0, SVR_ENABLE | 0xFF);
    lapic_w(vm, 0x350, LVT_MASKED | 0x700);
    mmio_w(vm, IOAPIC_BASE, 1);
    assert_int_equal(mmio_r(vm, IOAPIC_BASE + 0x10), IOAPIC_VERSION);
    redir_w(vm, 4, 0x54); /* COM1: fixed, edge, active high */
    com1_raise(vm);
    assert_true(vm_irq_pending(vm));
    assert_int_equal(vm_irq_ack(vm), 0x54);
    assert_false(vm_irq_pending(vm)); /* in service: class 5 blocks itself */
    lapic_w(vm, 0xB0, 0);
    assert_false(vm_irq_pending(vm)); /* edge: once */

    /* The PIT's IRQ0 comes in on pin 2 (the interrupt source override). */
    redir_w(vm, 0, 0x60);
    redir_w(vm, 2, 0x50);
    outb(vm, 0x43, 0x34); /* channel 0, mode 2, 100 us */
    outb(vm, 0x40, 119);
    outb(vm, 0x40, 0);
    bool got = false;
    for (int i = 0; i < 20000 && !got; i++)
        got = vm_irq_pending(vm);
    assert_true(got);
    assert_int_equal(vm_irq_ack(vm), 0x50);
    vm_destroy(vm);
}

static void test_level_irq_held_by_remote_irr_until_eoi(void **st)
{
    (void)st;
    struct vm *vm = new_vm();
    pic_setup(vm, 0xff);
    lapic_w(vm, 0xF0, SVR_ENABLE | 0xFF);
    redir_w(vm, 4, (uint32_t)IORED_LEVEL | 0x54);
    com1_raise(vm);
    assert_int_equal(vm_irq_ack(vm), 0x54);
    assert_true(redir_r(vm, 4) & IORED_RIRR);
    assert_int_equal(lapic_r(vm, 0x180 + 0x20), 1u << (0x54 - 64)); /* TMR */
    lapic_w(vm, 0xB0, 0); /* EOI, the UART not serviced: sent again */
    assert_true(vm_irq_pending(vm));
    assert_int_equal(vm_irq_ack(vm), 0x54);
    assert_int_equal(inb(vm, 0x3fa) & 0x0f, 0x02); /* IIR: THRE, acknowledged */
    assert_true(redir_r(vm, 4) & IORED_RIRR);      /* until the EOI */
    lapic_w(vm, 0xB0, 0);
    assert_false(redir_r(vm, 4) & IORED_RIRR);
    assert_false(vm_irq_pending(vm));
    vm_destroy(vm);
}

static void test_lapic_timer_wakes_a_halted_cpu(void **st)
{
    (void)st;
    struct vm *vm = new_vm();
    pic_setup(vm, 0xff); /* the PIT cannot wake it: masked, not counting */
    lapic_w(vm, 0xF0, SVR_ENABLE | 0xFF);
    lapic_w(vm, 0x3E0, 0xB);    /* divide by 1: 10 ns */
    lapic_w(vm, 0x320, 0x61);   /* one-shot, vector 0x61 */
    lapic_w(vm, 0x380, 500000); /* 5 ms */
    uint64_t t0 = fake_ns;
    assert_false(vm_irq_pending(vm));
    vm_vcpu(vm)->cpu.eflags |= FL_IF;
    char why[256] = "";
    assert_int_equal(vm_wait_for_interrupt(vm, why, sizeof why), 0);
    assert_true(fake_ns >= t0 + 5000000);
    assert_true(vm_irq_pending(vm));
    assert_int_equal(vm_irq_ack(vm), 0x61);
    lapic_w(vm, 0xB0, 0);
    /* One-shot: nothing left to wake it. */
    assert_int_equal(vm_wait_for_interrupt(vm, why, sizeof why), -1);
    assert_non_null(strstr(why, "sleep forever"));
    vm_destroy(vm);
}

static void test_apic_base_msr_disables_and_resets(void **st)
{
    (void)st;
    struct vm *vm = new_vm();
    struct x86_cpu *c = &vm_vcpu(vm)->cpu;
    pic_setup(vm, 0xff & ~(1u << 4) & ~(1u << 2));
    lapic_w(vm, 0xF0, SVR_ENABLE | 0xFF);
    lapic_w(vm, 0x350, LVT_MASKED | 0x700); /* LINT0 masked: the 8259 is cut off */
    com1_raise(vm);
    assert_false(vm_irq_pending(vm));
    assert_false(x86_msr_write(c, MSR_APIC_BASE, 0xFEE00D00u)); /* x2APIC: #GP */
    assert_true(x86_msr_write(c, MSR_APIC_BASE, 0xFEE00100u));  /* off: PIC mode */
    assert_true(vm_irq_pending(vm));
    assert_int_equal(vm_irq_ack(vm), 0x24);
    assert_int_equal(lapic_r(vm, 0x30), 0xffffffffu); /* no APIC there */
    assert_true(x86_msr_write(c, MSR_APIC_BASE, 0xFEE00900u));
    assert_int_equal(lapic_r(vm, 0xF0), 0xFF); /* reset: disabled, virtual wire */
    assert_int_equal(lapic_r(vm, 0x350), 0x700);
    vm_destroy(vm);
}

/* A PCI INTx# line (vm_pci_intx_line): active-low, level at the I/O APIC
 * pin the OS programs so (ACPI _PRT), active-high at the 8259. */
static void test_pci_intx_is_active_low_at_the_ioapic(void **st)
{
    (void)st;
    struct vm *vm = new_vm();
    struct irq_line line;
    vm_pci_intx_line(vm, 11, &line);
    pic_setup(vm, 0xff);
    lapic_w(vm, 0xF0, SVR_ENABLE | 0xFF);
    redir_w(vm, 11, (uint32_t)(IORED_LEVEL | IORED_LOW) | 0x5b);
    assert_false(vm_irq_pending(vm)); /* deasserted: the wire idles high */
    irq_line_set(&line, 1);
    assert_true(vm_irq_pending(vm));
    assert_int_equal(vm_irq_ack(vm), 0x5b);
    irq_line_set(&line, 0); /* the driver read the ISR */
    lapic_w(vm, 0xB0, 0);
    assert_false(redir_r(vm, 11) & IORED_RIRR);
    assert_false(vm_irq_pending(vm));
    vm_destroy(vm);
    /* PIC mode: the PIRQ router gives the 8259 an active-high edge. */
    vm = new_vm();
    vm_pci_intx_line(vm, 11, &line);
    pic_setup(vm, 0xff & ~(1u << 2));
    outb(vm, 0xA1, 0xff & ~(1u << 3));
    assert_false(vm_irq_pending(vm));
    irq_line_set(&line, 1);
    assert_true(vm_irq_pending(vm));
    assert_int_equal(vm_irq_ack(vm), 0x2b);
    vm_destroy(vm);
}

/* An MSI (vm_msi): address 0xFEE0_0000 | dest << 12, data = vector, edge. */
static void test_msi_reaches_the_local_apic(void **st)
{
    (void)st;
    struct vm *vm = new_vm();
    pic_setup(vm, 0xff);
    lapic_w(vm, 0xF0, SVR_ENABLE | 0xFF);
    vm_msi(vm, 0xFEE00000u, 0x4041); /* vector 0x41, fixed, edge */
    assert_true(vm_irq_pending(vm));
    assert_int_equal(vm_irq_ack(vm), 0x41);
    lapic_w(vm, 0xB0, 0);
    assert_int_equal(lapic_r(vm, 0x180 + 0x20), 0); /* TMR: edge */
    vm_msi(vm, 0xFEE01000u, 0x42);                  /* APIC ID 1: not ours */
    vm_msi(vm, 0xFED00000u, 0x43);                  /* not an MSI address */
    vm_msi(vm, 0xFEE00000u, 0x744);                 /* ExtINT: not a message we take */
    assert_false(vm_irq_pending(vm));
    /* The APIC off: nothing to deliver to. */
    assert_true(x86_msr_write(&vm_vcpu(vm)->cpu, MSR_APIC_BASE, 0xFEE00100u));
    vm_msi(vm, 0xFEE00000u, 0x45);
    assert_false(vm_irq_pending(vm));
    vm_destroy(vm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_state_is_pic_through_virtual_wire),
        cmocka_unit_test(test_isa_irq_through_ioapic_and_lapic),
        cmocka_unit_test(test_level_irq_held_by_remote_irr_until_eoi),
        cmocka_unit_test(test_lapic_timer_wakes_a_halted_cpu),
        cmocka_unit_test(test_apic_base_msr_disables_and_resets),
        cmocka_unit_test(test_pci_intx_is_active_low_at_the_ioapic),
        cmocka_unit_test(test_msi_reaches_the_local_apic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
