/* test_ticks.c — lost-tick policy: merged PIT periods become late IRQ0s. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/irqchip.h"
#include "core/ticks.h"

static uint64_t fake_now;
static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}
static const struct vclock clk = { fake_clock, NULL };

#define PERIOD 11932u /* 100 Hz */

/* ns for t ticks of the 1.193182 MHz input clock (rounded up). */
static uint64_t ticks_ns(uint64_t t) { return (t * 1000000000ull + PIT_HZ - 1) / PIT_HZ; }

static void pic_out(struct pic_pair *p, uint16_t port, uint8_t v)
{
    uint32_t x = v;
    pic_master_io(p, port - 0x20, 1, true, &x);
}
static void pit_out(struct pit8254 *p, int port, uint8_t v)
{
    uint32_t x = v;
    pit_io(p, port - 0x40, 1, true, &x);
}

/* A PC's interrupt controllers (core/irqchip.h) and its PIT. */
struct machine {
    struct pic_pair pic;
    struct irqchip ic;
    uint32_t apic_base; /* IA32_APIC_BASE: 0, the APIC off (PIC mode) */
    struct pit8254 pit;
    struct lost_ticks t;
    int vector; /* the vector IRQ0 arrives with */
};

/* Master PIC at vector 0x20 (IRQ0 unmasked unless masked), channel 0 in
 * mode (2 or 3 periodic, 0 one-shot) at 100 Hz, started at tick 0. */
static void setup(struct machine *m, uint8_t mode, uint8_t imr)
{
    struct irq_line irq0 = { irqchip_isa_irq, &m->ic, PIT_IRQ };
    fake_now = 0;
    m->apic_base = 0;
    m->vector = 0x20;
    pic_init(&m->pic);
    irqchip_init(&m->ic, &m->pic, &m->apic_base, &clk);
    pic_out(&m->pic, 0x20, 0x11); /* ICW1: edge, cascade, ICW4 */
    pic_out(&m->pic, 0x21, 0x20); /* ICW2 */
    pic_out(&m->pic, 0x21, 0x04); /* ICW3 */
    pic_out(&m->pic, 0x21, 0x01); /* ICW4: 8086, normal EOI */
    pic_out(&m->pic, 0x21, imr);  /* OCW1 */
    pit_init(&m->pit, &clk, &irq0);
    ticks_init(&m->t);
    pit_out(&m->pit, 0x43, (uint8_t)(0x30 | mode << 1));
    pit_out(&m->pit, 0x40, PERIOD & 0xff);
    pit_out(&m->pit, 0x40, PERIOD >> 8);
}

/* A guest that services every IRQ0 (INTA, handler, EOI) and polls for
 * interrupts every 1/16 period until the clock reaches end.  Returns the
 * number of IRQ0 interrupts taken. */
static void eoi(struct machine *m)
{
    uint32_t zero = 0;
    if (m->apic_base)
        lapic_mmio(&m->ic.lapic, 0xb0, 4, true, &zero); /* local APIC EOI */
    else
        pic_out(&m->pic, 0x20, 0x20); /* non-specific EOI */
}
static int run_until(struct machine *m, uint64_t end)
{
    int n = 0;
    for (;;) {
        ticks_update(&m->t, &m->pit, &m->ic);
        if (irqchip_pending(&m->ic)) {
            assert_int_equal(irqchip_ack(&m->ic), m->vector);
            n++;
            ticks_update(&m->t, &m->pit, &m->ic);  /* in the handler, before EOI */
            assert_false(irqchip_pending(&m->ic)); /* the previous tick is in service */
            eoi(m);
            ticks_update(&m->t, &m->pit, &m->ic); /* right after: spaced, not yet */
            assert_false(irqchip_pending(&m->ic));
            continue;
        }
        if (fake_now >= end)
            return n;
        fake_now += ticks_ns(PERIOD / 16);
    }
}

static void test_merged_periods_delivered_one_per_ack(void **st)
{
    (void)st;
    struct machine m;
    setup(&m, 2, 0xfe);
    fake_now = ticks_ns(5 * PERIOD); /* 5 periods, nobody looked */
    assert_int_equal(run_until(&m, fake_now), 1);
    assert_int_equal(m.pit.irq0_pulses, 1); /* the chip merged them ... */
    assert_int_equal(m.pit.irq0_missed, 4);
    assert_int_equal(m.t.backlog, 4); /* ... the policy owes 4 */
    uint64_t half = (uint64_t)PERIOD * 1000000000u / PIT_HZ / 2;
    assert_int_equal(ticks_deadline(&m.t, &m.pit, &m.ic), fake_now + half);
    /* The 4 late ticks come half a period after an edge, two periods
     * apart (at 5.5, 7.5, 9.5, 11.5), between the 8 on time: 13 interrupts
     * for 13 periods. */
    assert_int_equal(run_until(&m, ticks_ns(8 * PERIOD)), 5);
    assert_int_equal(m.t.reinjected, 2);
    assert_int_equal(run_until(&m, ticks_ns(13 * PERIOD)), 7);
    assert_int_equal(m.t.reinjected, 4);
    assert_int_equal(m.t.backlog, 0);
    assert_int_equal(m.pit.irq0_pulses, 9);
    assert_int_equal(ticks_deadline(&m.t, &m.pit, &m.ic), UINT64_MAX);
}

/* A busy host: the VMM runs for a moment every 1.75 periods, so each of
 * its looks at the PIT finds a new edge, often two merged.  Owed ticks are
 * timed from when edges were due, not seen, so they still come. */
static void test_sparse_polls_still_catch_up(void **st)
{
    (void)st;
    struct machine m;
    setup(&m, 2, 0xfe);
    int n = 0;
    for (uint64_t i = 1; i <= 16; i++) {
        fake_now = ticks_ns(i * PERIOD * 7 / 4);
        n += run_until(&m, fake_now);
        fake_now += ticks_ns(PERIOD / 4); /* and once more a bit later */
        n += run_until(&m, fake_now);
    }
    /* 28 periods: every one an interrupt taken, or still owed. */
    assert_true(m.pit.irq0_missed >= 6);
    assert_true(m.t.reinjected * 2 >= m.pit.irq0_missed); /* 1.5x the rate */
    assert_int_equal(m.t.dropped, 0);
    assert_int_equal(n + (int)m.t.backlog, 28);
}

static void test_square_wave_also_reinjected(void **st)
{
    (void)st;
    struct machine m;
    setup(&m, 3, 0xfe);
    fake_now = ticks_ns(3 * PERIOD);
    assert_int_equal(run_until(&m, ticks_ns(6 * PERIOD)), 6);
    assert_int_equal(m.t.reinjected, 2);
}

static void test_backlog_capped_at_one_second(void **st)
{
    (void)st;
    struct machine m;
    setup(&m, 2, 0xfe);
    uint64_t cap = ticks_cap(&m.pit);
    assert_int_equal(cap, PIT_HZ / PERIOD); /* 99 at 100 Hz */
    fake_now = ticks_ns(1000ull * PERIOD);  /* ~10 s stopped */
    assert_int_equal(run_until(&m, fake_now), 1);
    assert_int_equal(m.t.backlog, cap);
    assert_int_equal(m.t.dropped, 999 - cap);
    /* Caught up at one late tick every two periods, besides the 10 on
     * time: never a burst. */
    assert_int_equal(run_until(&m, ticks_ns(1010ull * PERIOD)), 10 + 5);
    assert_int_equal(m.t.backlog, cap - 5);
}

static void test_masked_irq0_gets_no_late_ticks(void **st)
{
    (void)st;
    struct machine m;
    setup(&m, 2, 0xff);
    fake_now = ticks_ns(5 * PERIOD);
    ticks_update(&m.t, &m.pit, &m.ic);
    assert_false(pic_pending(&m.pic));
    pic_out(&m.pic, 0x21, 0xfe); /* unmasked later: the owed ticks are gone */
    assert_int_equal(run_until(&m, ticks_ns(5 * PERIOD + PERIOD / 2)), 1); /* the latched edge */
    assert_int_equal(m.t.reinjected, 0);
    assert_int_equal(m.t.dropped, 4);
}

static void test_one_shot_gets_no_late_ticks(void **st)
{
    (void)st;
    struct machine m;
    setup(&m, 0, 0xfe);
    fake_now = ticks_ns(5 * PERIOD);
    assert_int_equal(run_until(&m, ticks_ns(7 * PERIOD)), 1); /* mode 0: one terminal count */
    assert_int_equal(m.t.reinjected, 0);
}

static void test_reprogramming_drops_the_backlog(void **st)
{
    (void)st;
    struct machine m;
    setup(&m, 2, 0xfe);
    fake_now = ticks_ns(5 * PERIOD);
    ticks_update(&m.t, &m.pit, &m.ic);
    assert_int_equal(pic_ack(&m.pic), 0x20); /* taken, not yet ended */
    pit_out(&m.pit, 0x43, 0x34);             /* new rate: the old periods are not owed */
    pit_out(&m.pit, 0x40, 0x00);
    pit_out(&m.pit, 0x40, 0x80); /* 32768: about 27 ms */
    pic_out(&m.pic, 0x20, 0x20);
    assert_int_equal(run_until(&m, ticks_ns(5 * PERIOD + PERIOD)), 0);
    assert_int_equal(m.t.reinjected, 0);
    assert_int_equal(m.t.dropped, 4);
}

/* APIC mode, as Linux runs it: IRQ0 masked at the 8259 and routed through
 * I/O APIC pin 2 (vector 0x30, edge) to the local APIC, EOI to the local
 * APIC.  Merged periods are owed and delivered the same way. */
static void apic_mode(struct machine *m)
{
    uint32_t v;
    m->apic_base = 0xfee00900u; /* base, global enable, BSP */
    v = 0x1ff;                  /* SVR: APIC software enabled */
    lapic_mmio(&m->ic.lapic, 0xf0, 4, true, &v);
    v = 0x10 + 2 * 2; /* IOREGSEL: redirection entry of pin 2, low dword */
    ioapic_mmio(&m->ic.ioapic, 0x00, 4, true, &v);
    v = 0x30; /* fixed, physical, edge, unmasked, vector 0x30 */
    ioapic_mmio(&m->ic.ioapic, 0x10, 4, true, &v);
    m->vector = 0x30;
}
static void test_apic_mode_merged_periods_delivered(void **st)
{
    (void)st;
    struct machine m;
    setup(&m, 2, 0xff); /* IRQ0 masked at the 8259 */
    apic_mode(&m);
    assert_int_equal(irqchip_irq0_path(&m.ic), IRQ0_FREE);
    fake_now = ticks_ns(5 * PERIOD);
    assert_int_equal(run_until(&m, fake_now), 1);
    assert_int_equal(m.t.backlog, 4);
    assert_int_equal(run_until(&m, ticks_ns(13 * PERIOD)), 12);
    assert_int_equal(m.t.reinjected, 4);
    assert_int_equal(m.t.dropped, 0);
    /* Masked at the I/O APIC: closed, the owed ticks go. */
    fake_now = ticks_ns(20 * PERIOD);
    uint32_t v = 0x10 + 2 * 2;
    ioapic_mmio(&m.ic.ioapic, 0x00, 4, true, &v);
    v = 0x10030;
    ioapic_mmio(&m.ic.ioapic, 0x10, 4, true, &v);
    assert_int_equal(irqchip_irq0_path(&m.ic), IRQ0_CLOSED);
    ticks_update(&m.t, &m.pit, &m.ic);
    assert_int_equal(m.t.backlog, 0);
    assert_int_equal(m.t.dropped, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merged_periods_delivered_one_per_ack),
        cmocka_unit_test(test_sparse_polls_still_catch_up),
        cmocka_unit_test(test_square_wave_also_reinjected),
        cmocka_unit_test(test_backlog_capped_at_one_second),
        cmocka_unit_test(test_masked_irq0_gets_no_late_ticks),
        cmocka_unit_test(test_one_shot_gets_no_late_ticks),
        cmocka_unit_test(test_reprogramming_drops_the_backlog),
        cmocka_unit_test(test_apic_mode_merged_periods_delivered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
