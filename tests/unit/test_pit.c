/* test_pit.c — 8254 modes, count readback, IRQ0 timing on a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "devices/pit8254.h"
#include "devices/pic8259.h"

static uint64_t fake_now;
static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}
static const struct vclock clk = { fake_clock, NULL };

struct irqrec {
    int rises, level;
};
static void irq_set(void *ctx, int irq, int level)
{
    struct irqrec *r = ctx;
    assert_int_equal(irq, 0);
    if (level && !r->level)
        r->rises++;
    r->level = level;
}

/* ns for t ticks of the 1.193182 MHz input clock (rounded up). */
static uint64_t ticks_ns(uint64_t t) { return (t * 1000000000ull + PIT_HZ - 1) / PIT_HZ; }

static void out(struct pit8254 *p, int port, uint8_t v)
{
    uint32_t x = v;
    pit_io(p, port - 0x40, 1, true, &x);
}
static uint8_t in(struct pit8254 *p, int port)
{
    uint32_t x = 0;
    pit_io(p, port - 0x40, 1, false, &x);
    return (uint8_t)x;
}
static uint16_t latch_read(struct pit8254 *p, int ch)
{
    out(p, 0x43, (uint8_t)(ch << 6)); /* counter latch command */
    uint8_t lo = in(p, 0x40 + ch);
    return (uint16_t)(lo | in(p, 0x40 + ch) << 8);
}

static void test_mode2_rate_generator_irq_timing(void **st)
{
    (void)st;
    struct pit8254 p;
    struct irqrec r = { 0 };
    struct irq_line l = { irq_set, &r, 0 };
    fake_now = ticks_ns(1193); /* start on a tick of the 1.19 MHz clock */
    pit_init(&p, &clk, &l);
    out(&p, 0x43, 0x34);         /* ch0, lo/hi, mode 2 */
    out(&p, 0x40, 11932 & 0xff); /* 100 Hz */
    out(&p, 0x40, 11932 >> 8);
    const uint64_t t0 = 1193; /* in ticks */
    assert_int_equal(pit_next_deadline(&p), ticks_ns(t0 + 11932));
    fake_now = ticks_ns(t0 + 11932) - 1; /* just before the period ends */
    pit_update(&p);
    assert_int_equal(r.rises, 0);
    fake_now = ticks_ns(t0 + 11932);
    pit_update(&p);
    assert_int_equal(r.rises, 1);
    pit_update(&p);
    assert_int_equal(r.rises, 1); /* one edge per period, not per call */
    assert_int_equal(pit_next_deadline(&p), ticks_ns(t0 + 2 * 11932));
    fake_now = ticks_ns(t0 + 5 * 11932); /* 4 periods later, seen at once */
    pit_update(&p);
    assert_int_equal(r.rises, 2);
    assert_int_equal(p.irq0_missed, 3);
    assert_int_equal(pit_take_missed(&p), 3); /* reported once, for the VMM */
    assert_int_equal(pit_take_missed(&p), 0);
}

static void test_count_readback_and_latch(void **st)
{
    (void)st;
    struct pit8254 p;
    fake_now = 0;
    pit_init(&p, &clk, NULL);
    out(&p, 0x43, 0x34);
    out(&p, 0x40, 0x00);
    out(&p, 0x40, 0x10); /* N = 0x1000 */
    fake_now = ticks_ns(0x100);
    assert_int_equal(latch_read(&p, 0), 0x1000 - 0x100);
    /* The latch holds its value while time moves on. */
    fake_now = ticks_ns(0x200);
    out(&p, 0x43, 0x00);
    uint8_t lo = in(&p, 0x40);
    fake_now = ticks_ns(0x300);
    uint8_t hi = in(&p, 0x40);
    assert_int_equal(lo | hi << 8, 0x1000 - 0x200);
    /* Unlatched reads see the live counter. */
    assert_int_equal(pit_count(&p, 0), 0x1000 - 0x300);
    fake_now = ticks_ns(0x1000 + 0x10); /* mode 2 reloads: N - (e mod N) */
    assert_int_equal(pit_count(&p, 0), 0x1000 - 0x10);
}

static void test_mode0_one_shot(void **st)
{
    (void)st;
    struct pit8254 p;
    struct irqrec r = { 0 };
    struct irq_line l = { irq_set, &r, 0 };
    fake_now = 0;
    pit_init(&p, &clk, &l);
    out(&p, 0x43, 0x30);                    /* ch0, lo/hi, mode 0 */
    assert_int_equal(pit_output(&p, 0), 0); /* control word: OUT low */
    out(&p, 0x40, 100);
    out(&p, 0x40, 0);
    fake_now = ticks_ns(99);
    assert_int_equal(pit_output(&p, 0), 0);
    pit_update(&p);
    assert_int_equal(r.rises, 0);
    fake_now = ticks_ns(100);
    assert_int_equal(pit_output(&p, 0), 1);
    pit_update(&p);
    assert_int_equal(r.rises, 1);
    assert_int_equal(pit_next_deadline(&p), UINT64_MAX);
    fake_now = ticks_ns(1000);
    pit_update(&p);
    assert_int_equal(r.rises, 1);                               /* one shot only */
    assert_int_equal(pit_count(&p, 0), (uint16_t)(100 - 1000)); /* keeps counting, wrapped */
}

static void test_mode3_square_wave(void **st)
{
    (void)st;
    struct pit8254 p;
    fake_now = 0;
    pit_init(&p, &clk, NULL);
    out(&p, 0x43, 0x36); /* ch0, lo/hi, mode 3 */
    out(&p, 0x40, 100);
    out(&p, 0x40, 0);
    fake_now = ticks_ns(10);
    assert_int_equal(pit_output(&p, 0), 1);
    assert_int_equal(pit_count(&p, 0), 80); /* counts down by two */
    fake_now = ticks_ns(60);
    assert_int_equal(pit_output(&p, 0), 0); /* second half: low */
    fake_now = ticks_ns(100);
    assert_int_equal(pit_output(&p, 0), 1);
    assert_int_equal(pit_next_deadline(&p), ticks_ns(100));
}

static void test_access_modes_lobyte_hibyte(void **st)
{
    (void)st;
    struct pit8254 p;
    fake_now = 0;
    pit_init(&p, &clk, NULL);
    out(&p, 0x43, 0x54); /* ch1, LSB only, mode 2 */
    out(&p, 0x41, 0x80);
    assert_int_equal(p.ch[1].reload, 0x80);
    fake_now = ticks_ns(0x10);
    assert_int_equal(in(&p, 0x41), 0x70);
    out(&p, 0x43, 0x64); /* ch1, MSB only, mode 2 */
    out(&p, 0x41, 0x02);
    assert_int_equal(p.ch[1].reload, 0x200);
    assert_int_equal(in(&p, 0x41), 0x02);
    out(&p, 0x43, 0x74); /* lo/hi, count 0 = 65536 */
    out(&p, 0x41, 0);
    out(&p, 0x41, 0);
    assert_int_equal(p.ch[1].reload, 65536);
}

static void test_readback_status(void **st)
{
    (void)st;
    struct pit8254 p;
    fake_now = 0;
    pit_init(&p, &clk, NULL);
    out(&p, 0x43, 0x36); /* ch0 lo/hi mode 3 */
    out(&p, 0x43, 0xe2); /* read-back: status only, ch0 */
    uint8_t s = in(&p, 0x40);
    assert_int_equal(s & 0x3f, 0x36); /* rw=3, mode 3, binary */
    assert_true(s & 0x40);            /* null count: no count yet */
    out(&p, 0x40, 4);
    out(&p, 0x40, 0);
    out(&p, 0x43, 0xc2); /* status and count */
    s = in(&p, 0x40);
    assert_false(s & 0x40);
    assert_true(s & 0x80); /* mode 3 starts high */
    uint8_t lo = in(&p, 0x40), hi = in(&p, 0x40);
    assert_int_equal(lo | hi << 8, 4);
}

static void test_port61_gate_and_out2(void **st)
{
    (void)st;
    struct pit8254 p;
    uint32_t v;
    fake_now = 0;
    pit_init(&p, &clk, NULL);
    out(&p, 0x43, 0xb0); /* ch2 lo/hi mode 0 */
    out(&p, 0x42, 50);
    out(&p, 0x42, 0);
    fake_now = ticks_ns(1000);
    assert_int_equal(pit_count(&p, 2), 50); /* gate low: not counting */
    v = 1;
    pit_port_b_io(&p, 0, 1, true, &v); /* gate 2 on */
    fake_now = ticks_ns(1000 + 49);
    pit_port_b_io(&p, 0, 1, false, &v);
    assert_false(v & 0x20);
    fake_now = ticks_ns(1000 + 50);
    pit_port_b_io(&p, 0, 1, false, &v);
    assert_true(v & 0x20); /* OUT2 reached terminal count */
    assert_int_equal(v & 1, 1);
}

/* Modes 1 and 5 are hardware-triggered (8254 datasheet, "Mode 1" and
 * "Mode 5"): loading a count does not start them; a rising edge on GATE
 * does.  Until then OUT stays high. */
static void test_modes_1_and_5_wait_for_a_gate_trigger(void **st)
{
    (void)st;
    struct pit8254 p;
    uint32_t v;
    fake_now = ticks_ns(1000);
    pit_init(&p, &clk, NULL);
    out(&p, 0x43, 0xb2);                    /* ch2 lo/hi mode 1, gate 2 low */
    assert_int_equal(pit_output(&p, 2), 1); /* mode 1: OUT starts high */
    out(&p, 0x42, 100);
    out(&p, 0x42, 0);
    assert_int_equal(pit_output(&p, 2), 1);
    fake_now = ticks_ns(1500);
    assert_int_equal(pit_output(&p, 2), 1); /* no trigger yet */
    v = 1;
    pit_port_b_io(&p, 0, 1, true, &v); /* gate rises: one shot starts */
    assert_int_equal(pit_output(&p, 2), 0);
    fake_now = ticks_ns(1500 + 99);
    assert_int_equal(pit_output(&p, 2), 0);
    fake_now = ticks_ns(1500 + 100);
    assert_int_equal(pit_output(&p, 2), 1); /* N ticks after the trigger */

    out(&p, 0x43, 0xb2); /* again, gate already high */
    out(&p, 0x42, 100);
    out(&p, 0x42, 0);
    fake_now = ticks_ns(1600 + 50);
    assert_int_equal(pit_output(&p, 2), 1); /* a high level is not an edge */

    out(&p, 0x43, 0xba); /* ch2 lo/hi mode 5 */
    out(&p, 0x42, 100);
    out(&p, 0x42, 0);
    fake_now = ticks_ns(1650 + 100);
    assert_int_equal(pit_output(&p, 2), 1); /* not triggered: no strobe */
    v = 0;
    pit_port_b_io(&p, 0, 1, true, &v);
    v = 1;
    pit_port_b_io(&p, 0, 1, true, &v); /* trigger */
    fake_now = ticks_ns(1750 + 100);
    assert_int_equal(pit_output(&p, 2), 0); /* the strobe, N ticks later */
}

/* PIT channel 0 -> PIC IRQ0 -> vector, as wired in a VM. */
static void pic_irq(void *ctx, int irq, int level) { pic_set_irq(ctx, irq, level); }
static void test_irq0_reaches_pic(void **st)
{
    (void)st;
    struct pic_pair pic;
    struct pit8254 p;
    struct irq_line l = { pic_irq, &pic, 0 };
    uint32_t v;
    pic_init(&pic);
    v = 0x11;
    pic_master_io(&pic, 0, 1, true, &v);
    v = 0x20;
    pic_master_io(&pic, 1, 1, true, &v);
    v = 0x04;
    pic_master_io(&pic, 1, 1, true, &v);
    v = 0x01;
    pic_master_io(&pic, 1, 1, true, &v);
    v = 0xfe;
    pic_master_io(&pic, 1, 1, true, &v);
    fake_now = 0;
    pit_init(&p, &clk, &l);
    out(&p, 0x43, 0x34);
    out(&p, 0x40, 0x9c);
    out(&p, 0x40, 0x2e); /* 11932 */
    pit_update(&p);
    assert_false(pic_pending(&pic));
    fake_now = 10000000; /* 10 ms: 11931.8 ticks, not yet */
    pit_update(&p);
    assert_false(pic_pending(&pic));
    fake_now = 10001000; /* 11932 ticks */
    pit_update(&p);
    assert_true(pic_pending(&pic));
    assert_int_equal(pic_ack(&pic), 0x20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode2_rate_generator_irq_timing),
        cmocka_unit_test(test_count_readback_and_latch),
        cmocka_unit_test(test_mode0_one_shot),
        cmocka_unit_test(test_mode3_square_wave),
        cmocka_unit_test(test_access_modes_lobyte_hibyte),
        cmocka_unit_test(test_readback_status),
        cmocka_unit_test(test_port61_gate_and_out2),
        cmocka_unit_test(test_modes_1_and_5_wait_for_a_gate_trigger),
        cmocka_unit_test(test_irq0_reaches_pic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
