/* test_ioapic.c — the 82093AA I/O APIC: registers through IOREGSEL/IOWIN,
 * edge vs level pins, remote IRR holding a level pin until the EOI
 * broadcast, masked pins, polarity; driven through struct irq_line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "core/irq.h"
#include "devices/ioapic.h"

static struct ioapic_msg msgs[16];
static int nmsg;
static void deliver(void *ctx, const struct ioapic_msg *m)
{
    (void)ctx;
    assert_true(nmsg < 16);
    msgs[nmsg++] = *m;
}

static void sel_write(struct ioapic *io, uint32_t reg, uint32_t v)
{
    uint32_t r = reg;
    ioapic_mmio(io, 0x00, 4, true, &r);
    ioapic_mmio(io, 0x10, 4, true, &v);
}
static uint32_t sel_read(struct ioapic *io, uint32_t reg)
{
    uint32_t r = reg, v = 0xdeadbeef;
    ioapic_mmio(io, 0x00, 4, true, &r);
    ioapic_mmio(io, 0x10, 4, false, &v);
    return v;
}
static void set_entry(struct ioapic *io, int pin, uint64_t e)
{
    sel_write(io, 0x11 + 2 * (uint32_t)pin, (uint32_t)(e >> 32));
    sel_write(io, 0x10 + 2 * (uint32_t)pin, (uint32_t)e);
}
static void pin_set(void *ctx, int irq, int level) { ioapic_set_irq(ctx, irq, level); }

static void setup(struct ioapic *io)
{
    nmsg = 0;
    memset(msgs, 0, sizeof msgs);
    ioapic_init(io, deliver, NULL);
}

static void test_registers(void **st)
{
    (void)st;
    struct ioapic io;
    setup(&io);
    assert_int_equal(sel_read(&io, 0x01), IOAPIC_VERSION);
    assert_int_equal((sel_read(&io, 0x01) >> 16 & 0xff) + 1, 24);
    sel_write(&io, 0x00, 0x0a000000);
    assert_int_equal(sel_read(&io, 0x00), 0x0a000000);
    assert_int_equal(sel_read(&io, 0x02), 0x0a000000); /* arbitration ID */
    sel_write(&io, 0x01, 0);                           /* read only */
    assert_int_equal(sel_read(&io, 0x01), IOAPIC_VERSION);
    for (int pin = 0; pin < IOAPIC_PINS; pin++) /* masked after reset */
        assert_int_equal(sel_read(&io, 0x10 + 2 * (uint32_t)pin), IORED_MASKED);
    /* Entry 23, both halves; remote IRR and delivery status are read only. */
    set_entry(&io, 23, 0x0300000000000000ull | IORED_MASKED | IORED_RIRR | (1u << 12) | 0x931);
    assert_int_equal(sel_read(&io, 0x10 + 46), (uint32_t)IORED_MASKED | 0x931);
    assert_int_equal(sel_read(&io, 0x11 + 46), 0x03000000);
    uint32_t sel = 0;
    ioapic_mmio(&io, 0x00, 4, false, &sel);
    assert_int_equal(sel, 0x11 + 46);
}

static void test_edge_pin(void **st)
{
    (void)st;
    struct ioapic io;
    setup(&io);
    struct irq_line line = { pin_set, &io, 4 };
    set_entry(&io, 4, 0x31); /* fixed, physical dest 0, edge, high */
    irq_line_set(&line, 1);
    assert_int_equal(nmsg, 1);
    assert_int_equal(msgs[0].vector, 0x31);
    assert_false(msgs[0].level);
    irq_line_set(&line, 1); /* no new edge */
    assert_int_equal(nmsg, 1);
    irq_line_set(&line, 0);
    irq_line_pulse(&line);
    assert_int_equal(nmsg, 2);
    assert_false(sel_read(&io, 0x10 + 8) & IORED_RIRR);
    /* Destination and modes reach the message. */
    set_entry(&io, 4, 0x0500000000000000ull | IORED_LOGICAL | (1u << 8) | 0x32);
    irq_line_pulse(&line);
    assert_int_equal(nmsg, 3);
    assert_int_equal(msgs[2].dest, 5);
    assert_true(msgs[2].logical);
    assert_int_equal(msgs[2].delivery_mode, 1);
}

static void test_level_pin_remote_irr_until_eoi(void **st)
{
    (void)st;
    struct ioapic io;
    setup(&io);
    struct irq_line line = { pin_set, &io, 10 };
    set_entry(&io, 10, IORED_LEVEL | 0x41);
    irq_line_set(&line, 1);
    assert_int_equal(nmsg, 1);
    assert_true(msgs[0].level);
    assert_true(sel_read(&io, 0x10 + 20) & IORED_RIRR);
    irq_line_set(&line, 0); /* the line wiggles: remote IRR blocks */
    irq_line_set(&line, 1);
    assert_int_equal(nmsg, 1);
    ioapic_eoi(&io, 0x42); /* another vector's EOI: nothing */
    assert_int_equal(nmsg, 1);
    ioapic_eoi(&io, 0x41); /* still active: sent again */
    assert_int_equal(nmsg, 2);
    assert_true(sel_read(&io, 0x10 + 20) & IORED_RIRR);
    irq_line_set(&line, 0); /* the device was serviced */
    ioapic_eoi(&io, 0x41);
    assert_int_equal(nmsg, 2);
    assert_false(sel_read(&io, 0x10 + 20) & IORED_RIRR);
}

static void test_masked_pins(void **st)
{
    (void)st;
    struct ioapic io;
    setup(&io);
    struct irq_line edge = { pin_set, &io, 1 }, level = { pin_set, &io, 11 };
    set_entry(&io, 1, IORED_MASKED | 0x21);
    set_entry(&io, 11, IORED_MASKED | IORED_LEVEL | 0x2b);
    irq_line_pulse(&edge);
    irq_line_set(&level, 1);
    assert_int_equal(nmsg, 0);
    set_entry(&io, 1, 0x21); /* a masked edge is lost */
    assert_int_equal(nmsg, 0);
    set_entry(&io, 11, IORED_LEVEL | 0x2b); /* an active level is not */
    assert_int_equal(nmsg, 1);
    assert_int_equal(msgs[0].vector, 0x2b);
}

static void test_polarity(void **st)
{
    (void)st;
    struct ioapic io;
    setup(&io);
    struct irq_line line = { pin_set, &io, 9 };
    irq_line_set(&line, 1); /* idle high, as an active-low line */
    set_entry(&io, 9, IORED_LOW | IORED_LEVEL | 0x39);
    assert_int_equal(nmsg, 0);
    irq_line_set(&line, 0); /* asserted */
    assert_int_equal(nmsg, 1);
    irq_line_set(&line, 1);
    ioapic_eoi(&io, 0x39);
    assert_int_equal(nmsg, 1);
    /* Edge, active low: the falling edge requests. */
    set_entry(&io, 9, IORED_LOW | 0x3a);
    irq_line_set(&line, 0);
    assert_int_equal(nmsg, 2);
    assert_int_equal(msgs[1].vector, 0x3a);
    irq_line_set(&line, 1);
    assert_int_equal(nmsg, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registers),
        cmocka_unit_test(test_edge_pin),
        cmocka_unit_test(test_level_pin_remote_irr_until_eoi),
        cmocka_unit_test(test_masked_pins),
        cmocka_unit_test(test_polarity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
