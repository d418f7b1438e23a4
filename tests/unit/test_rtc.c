/* test_rtc.c — the MC146818A clock on a fake VM clock (mc146818.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "devices/mc146818.h"
#include "devices/pic8259.h"

#define MS 1000000ull
#define S  1000000000ull

static uint64_t fake_now;
static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}
static const struct vclock clk = { fake_clock, NULL };

static int level, rises;
static void irq_set(void *ctx, int irq, int l)
{
    (void)ctx;
    assert_int_equal(irq, 8);
    if (l && !level)
        rises++;
    level = l;
}
static const struct irq_line irq8 = { irq_set, NULL, 8 };

static struct mc146818 r;

static void wr(uint8_t reg, uint8_t v)
{
    uint32_t x = reg;
    rtc_io(&r, 0, 1, true, &x);
    x = v;
    rtc_io(&r, 1, 1, true, &x);
}
static uint8_t rd(uint8_t reg)
{
    uint32_t x = reg;
    rtc_io(&r, 0, 1, true, &x);
    rtc_io(&r, 1, 1, false, &x);
    return (uint8_t)x;
}
/* Register C without the flag a test is not about (PF runs at 1024 Hz by
 * default, UF once a second, both whatever the enables say). */
static uint8_t rd_c_without(uint8_t flag) { return rd(RTC_REG_C) & (uint8_t)~flag; }

/* 2023-11-14 22:13:20 UTC, a Tuesday; the next update comes in 1 s. */
static int setup(void **st)
{
    (void)st;
    fake_now = 5 * S;
    level = rises = 0;
    rtc_init(&r, &clk, &irq8, 1700000000, 0);
    return 0;
}

static void test_time_from_wall_clock_bcd_and_binary(void **st)
{
    (void)st;
    assert_int_equal(rd(RTC_REG_A), 0x26);
    assert_int_equal(rd(RTC_REG_B), RTC_B_24H);
    assert_int_equal(rd(RTC_REG_D), RTC_D_VRT);
    assert_int_equal(rd(RTC_SECONDS), 0x20);
    assert_int_equal(rd(RTC_MINUTES), 0x13);
    assert_int_equal(rd(RTC_HOURS), 0x22);
    assert_int_equal(rd(RTC_DAY_OF_WEEK), 3);
    assert_int_equal(rd(RTC_DAY_OF_MONTH), 0x14);
    assert_int_equal(rd(RTC_MONTH), 0x11);
    assert_int_equal(rd(RTC_YEAR), 0x23);
    assert_int_equal(rd(RTC_CENTURY), 0x20);
    wr(RTC_REG_B, RTC_B_24H | RTC_B_DM); /* binary */
    assert_int_equal(rd(RTC_SECONDS), 20);
    assert_int_equal(rd(RTC_HOURS), 22);
    assert_int_equal(rd(RTC_MONTH), 11);
    assert_int_equal(rd(RTC_YEAR), 23);
    wr(RTC_REG_B, RTC_B_DM); /* binary, 12-hour: 10 PM */
    assert_int_equal(rd(RTC_HOURS), 0x80 | 10);
    wr(RTC_REG_B, 0); /* BCD, 12-hour */
    assert_int_equal(rd(RTC_HOURS), 0x80 | 0x10);
    wr(RTC_HOURS, 0x12); /* 12 AM = midnight */
    wr(RTC_REG_B, RTC_B_24H);
    assert_int_equal(rd(RTC_HOURS), 0x00);
}

static void test_update_ended_interrupt_once_per_second(void **st)
{
    (void)st;
    wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    fake_now += S - 1;
    rtc_update(&r);
    assert_int_equal(rises, 0);
    assert_int_equal(rd(RTC_SECONDS), 0x20);
    fake_now += 1;
    rtc_update(&r);
    assert_int_equal(rises, 1);
    assert_int_equal(rd(RTC_SECONDS), 0x21);
    assert_int_equal(rd_c_without(RTC_C_PF), RTC_C_IRQF | RTC_C_UF);
    assert_int_equal(level, 0);         /* reading C drops the line */
    assert_int_equal(rd(RTC_REG_C), 0); /* and cleared the flags  */
    for (int i = 0; i < 40; i++) {      /* 4 s in 100 ms steps    */
        fake_now += 100 * MS;
        rtc_update(&r);
        if (level)
            assert_int_equal(rd_c_without(RTC_C_PF), RTC_C_IRQF | RTC_C_UF);
    }
    assert_int_equal(rises, 5);
    assert_int_equal(rd(RTC_SECONDS), 0x25);
    assert_int_equal(r.updates, 5);
}

static void test_flags_stay_until_c_is_read(void **st)
{
    (void)st;
    wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    fake_now += 3 * S; /* C never read: one edge, not three */
    for (int i = 0; i < 3; i++)
        rtc_update(&r);
    assert_int_equal(rises, 1);
    assert_int_equal(level, 1);
    assert_int_equal(rd(RTC_SECONDS), 0x23); /* the time went on */
}

/* Count periodic interrupts over one second, stepping by step_ns. */
static int periodic_per_second(uint8_t rs, uint64_t step_ns)
{
    wr(RTC_REG_A, (uint8_t)(0x20 | rs));
    wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
    rd(RTC_REG_C);
    int n = 0;
    for (uint64_t t = 0; t < S; t += step_ns) {
        fake_now += step_ns;
        rtc_update(&r);
        if (level) {
            assert_int_equal(rd_c_without(RTC_C_UF), RTC_C_IRQF | RTC_C_PF);
            n++;
        }
    }
    return n;
}

static void test_periodic_interrupt_rates(void **st)
{
    (void)st;
    assert_int_equal(periodic_per_second(6, 100000), 1024); /* the default */
    assert_int_equal(periodic_per_second(15, MS), 2);
    assert_int_equal(periodic_per_second(1, 100000), 256);
    assert_int_equal(periodic_per_second(2, 100000), 128);
    assert_int_equal(periodic_per_second(3, 10000), 8192);
    assert_int_equal(periodic_per_second(0, MS), 0); /* RS = 0: none */
    wr(RTC_REG_A, 0x26);
    wr(RTC_REG_B, RTC_B_24H); /* PIE off: PF still set, no interrupt */
    rd(RTC_REG_C);
    fake_now += 2 * MS;
    rtc_update(&r);
    assert_int_equal(level, 0);
    assert_int_equal(rd(RTC_REG_C), RTC_C_PF);
}

static void test_periodic_deadline(void **st)
{
    (void)st;
    assert_int_equal(rtc_next_deadline(&r), UINT64_MAX); /* nothing enabled */
    wr(RTC_REG_A, 0x2f);                                 /* 2 Hz */
    wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
    uint64_t dl = rtc_next_deadline(&r);
    assert_true(dl > fake_now && dl <= fake_now + S / 2);
    fake_now = dl - 1;
    rtc_update(&r);
    assert_int_equal(level, 0);
    fake_now = dl;
    rtc_update(&r);
    assert_int_equal(level, 1);
}

static void test_uip_window(void **st)
{
    (void)st;
    uint64_t update = fake_now + S, window = RTC_UIP_BEFORE_NS + RTC_UPDATE_NS;
    fake_now = update - window - 1;
    assert_int_equal(rd(RTC_REG_A) & RTC_A_UIP, 0);
    fake_now = update - window;
    assert_int_equal(rd(RTC_REG_A) & RTC_A_UIP, RTC_A_UIP);
    assert_int_equal(rd(RTC_SECONDS), 0x20);
    fake_now = update - 1;
    assert_int_equal(rd(RTC_REG_A) & RTC_A_UIP, RTC_A_UIP);
    fake_now = update;
    assert_int_equal(rd(RTC_REG_A) & RTC_A_UIP, 0);
    assert_int_equal(rd(RTC_SECONDS), 0x21);
}

static void test_set_freezes_updates(void **st)
{
    (void)st;
    uint64_t update = fake_now + S;
    wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE | RTC_B_SET);
    assert_int_equal(rd(RTC_REG_B), RTC_B_24H | RTC_B_SET); /* SET cleared UIE */
    wr(RTC_REG_B, RTC_B_24H | RTC_B_SET | RTC_B_UIE);
    fake_now = update + 3 * S + S / 2;
    assert_int_equal(rd(RTC_REG_A) & RTC_A_UIP, 0);
    assert_int_equal(rd(RTC_SECONDS), 0x20);     /* frozen */
    assert_int_equal(rd_c_without(RTC_C_PF), 0); /* no update ended */
    wr(RTC_SECONDS, 0x59);
    wr(RTC_MINUTES, 0x59);
    wr(RTC_HOURS, 0x23);
    wr(RTC_DAY_OF_MONTH, 0x31);
    wr(RTC_MONTH, 0x12);
    wr(RTC_YEAR, 0x99);
    wr(RTC_CENTURY, 0x19);
    wr(RTC_DAY_OF_WEEK, 6); /* Friday 1999-12-31 23:59:59 */
    wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    fake_now = update + 4 * S - 1; /* the next second boundary of the divider */
    assert_int_equal(rd(RTC_SECONDS), 0x59);
    fake_now = update + 4 * S;
    rtc_update(&r);
    assert_int_equal(level, 1);
    assert_int_equal(rd(RTC_SECONDS), 0x00);
    assert_int_equal(rd(RTC_HOURS), 0x00);
    assert_int_equal(rd(RTC_DAY_OF_MONTH), 0x01);
    assert_int_equal(rd(RTC_MONTH), 0x01);
    assert_int_equal(rd(RTC_YEAR), 0x00);
    assert_int_equal(rd(RTC_CENTURY), 0x20);
    assert_int_equal(rd(RTC_DAY_OF_WEEK), 7);
}

static void test_leap_day(void **st)
{
    (void)st;
    wr(RTC_REG_B, RTC_B_24H | RTC_B_DM | RTC_B_SET);
    wr(RTC_SECONDS, 59);
    wr(RTC_MINUTES, 59);
    wr(RTC_HOURS, 23);
    wr(RTC_DAY_OF_MONTH, 28);
    wr(RTC_MONTH, 2);
    wr(RTC_YEAR, 24);
    wr(RTC_REG_B, RTC_B_24H | RTC_B_DM);
    fake_now += S;
    assert_int_equal(rd(RTC_DAY_OF_MONTH), 29);
    assert_int_equal(rd(RTC_MONTH), 2);
    wr(RTC_YEAR, 23);
    wr(RTC_DAY_OF_MONTH, 28);
    wr(RTC_HOURS, 23);
    wr(RTC_MINUTES, 59);
    wr(RTC_SECONDS, 59);
    fake_now += S;
    assert_int_equal(rd(RTC_DAY_OF_MONTH), 1);
    assert_int_equal(rd(RTC_MONTH), 3);
}

static void test_alarm_interrupt(void **st)
{
    (void)st;
    wr(RTC_SECONDS_ALARM, 0x23);
    wr(RTC_MINUTES_ALARM, 0xc0); /* don't care */
    wr(RTC_HOURS_ALARM, 0xff);
    wr(RTC_REG_B, RTC_B_24H | RTC_B_AIE);
    fake_now += 2 * S; /* 22:13:22 */
    rtc_update(&r);
    assert_int_equal(level, 0);
    assert_int_equal(rd_c_without(RTC_C_PF), RTC_C_UF); /* UF set, not enabled */
    fake_now += S;                                      /* 22:13:23 */
    rtc_update(&r);
    assert_int_equal(level, 1);
    assert_int_equal(rd_c_without(RTC_C_PF), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
    wr(RTC_HOURS_ALARM, 0x21); /* a wrong hour: no match */
    fake_now += 60 * S;
    rtc_update(&r);
    assert_int_equal(rd(RTC_REG_C) & RTC_C_AF, 0);
}

static void test_divider_reset_stops_and_restarts_half_a_second_on(void **st)
{
    (void)st;
    wr(RTC_REG_A, 0x76); /* DV = 111: divider held in reset */
    wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE | RTC_B_PIE);
    fake_now += 5 * S;
    rtc_update(&r);
    assert_int_equal(level, 0);
    assert_int_equal(rd(RTC_SECONDS), 0x20);
    assert_int_equal(rd(RTC_REG_A) & RTC_A_UIP, 0);
    wr(RTC_REG_A, 0x20); /* running, no periodic */
    fake_now += S / 2 - 1;
    rtc_update(&r);
    assert_int_equal(level, 0);
    fake_now += 1;
    rtc_update(&r);
    assert_int_equal(level, 1);
    assert_int_equal(rd(RTC_SECONDS), 0x21);
}

static void test_index_port_ram_and_read_only_registers(void **st)
{
    (void)st;
    uint32_t x = 0x80 | 0x40; /* NMI disabled, index 0x40 */
    rtc_io(&r, 0, 1, true, &x);
    assert_true(r.nmi_disabled);
    x = 0xa5;
    rtc_io(&r, 1, 1, true, &x);
    assert_int_equal(rd(0x40), 0xa5);
    assert_false(r.nmi_disabled);
    rtc_io(&r, 0, 1, false, &x);
    assert_int_equal(x, 0xff);
    wr(RTC_REG_C, 0xff);
    wr(RTC_REG_D, 0x00);
    assert_int_equal(rd(RTC_REG_C), 0);
    assert_int_equal(rd(RTC_REG_D), RTC_D_VRT);
    wr(RTC_REG_A, 0xa6); /* UIP is read-only */
    assert_int_equal(rd(RTC_REG_A), 0x26);
}

static void test_memory_size_bytes(void **st)
{
    (void)st;
    rtc_set_memory(&r, 8u << 20);
    assert_int_equal(rd(0x15) | rd(0x16) << 8, 640);
    assert_int_equal(rd(0x17) | rd(0x18) << 8, 7168);
    assert_int_equal(rd(0x30) | rd(0x31) << 8, 7168);
    assert_int_equal(rd(0x34) | rd(0x35) << 8, 0);
    unsigned sum = 0;
    for (int i = 0x10; i <= 0x2d; i++)
        sum += rd((uint8_t)i);
    assert_int_equal(rd(0x2e) << 8 | rd(0x2f), sum);
    rtc_set_memory(&r, 128u << 20);
    assert_int_equal(rd(0x17) | rd(0x18) << 8, 0xffff); /* 127 MiB does not fit */
    assert_int_equal(rd(0x34) | rd(0x35) << 8, (112u << 20) >> 16);
}

/* IRQ 8 reaches the CPU through the slave 8259 and the master's IR2. */
static void test_irq8_through_the_cascade(void **st)
{
    (void)st;
    struct pic_pair p;
    pic_init(&p);
    static const uint8_t icw[2][4] = { { 0x11, 0x20, 0x04, 0x01 }, { 0x11, 0x28, 0x02, 0x01 } };
    for (int c = 0; c < 2; c++) {
        uint32_t v = icw[c][0];
        void (*io)(void *, uint64_t, uint8_t, bool, uint32_t *) = c ? pic_slave_io : pic_master_io;
        io(&p, 0, 1, true, &v);
        for (int i = 1; i < 4; i++) {
            v = icw[c][i];
            io(&p, 1, 1, true, &v);
        }
        v = c ? 0xfe : 0xfb; /* unmask IRQ8 and the cascade */
        io(&p, 1, 1, true, &v);
    }
    struct irq_line line = { (void (*)(void *, int, int))pic_set_irq, &p, RTC_IRQ };
    rtc_init(&r, &clk, &line, 1700000000, 0);
    wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    assert_false(pic_pending(&p));
    fake_now += S;
    rtc_update(&r);
    assert_true(pic_pending(&p));
    assert_int_equal(pic_ack(&p), 0x28);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_time_from_wall_clock_bcd_and_binary, setup),
        cmocka_unit_test_setup(test_update_ended_interrupt_once_per_second, setup),
        cmocka_unit_test_setup(test_flags_stay_until_c_is_read, setup),
        cmocka_unit_test_setup(test_periodic_interrupt_rates, setup),
        cmocka_unit_test_setup(test_periodic_deadline, setup),
        cmocka_unit_test_setup(test_uip_window, setup),
        cmocka_unit_test_setup(test_set_freezes_updates, setup),
        cmocka_unit_test_setup(test_leap_day, setup),
        cmocka_unit_test_setup(test_alarm_interrupt, setup),
        cmocka_unit_test_setup(test_divider_reset_stops_and_restarts_half_a_second_on, setup),
        cmocka_unit_test_setup(test_index_port_ram_and_read_only_registers, setup),
        cmocka_unit_test_setup(test_memory_size_bytes, setup),
        cmocka_unit_test_setup(test_irq8_through_the_cascade, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
