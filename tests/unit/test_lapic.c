/* test_lapic.c — the xAPIC local APIC on a fake clock: registers, timer
 * one-shot/periodic and its current count, TPR/PPR masking, priority of
 * pending vectors, EOI (and its broadcast for level vectors), the spurious
 * vector, masked LVT entries, self-IPIs through the ICR, ESR. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "devices/lapic.h"

static uint64_t fake_now;
static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}
static const struct vclock clk = { fake_clock, NULL };

static int eoi_vectors[8], neoi;
static void on_eoi(void *ctx, int vector)
{
    (void)ctx;
    if (neoi < 8)
        eoi_vectors[neoi++] = vector;
}

static void wr(struct lapic *l, uint32_t reg, uint32_t v) { lapic_mmio(l, reg, 4, true, &v); }
static uint32_t rd(struct lapic *l, uint32_t reg)
{
    uint32_t v = 0xdeadbeef;
    lapic_mmio(l, reg, 4, false, &v);
    return v;
}

/* A software-enabled APIC (spurious vector 0xFF), TPR 0, at time 1 s. */
static void setup(struct lapic *l)
{
    fake_now = 1000000000ull;
    neoi = 0;
    lapic_init(l, &clk, on_eoi, NULL);
    wr(l, 0xF0, SVR_ENABLE | 0xFF);
}

static void test_reset_state_and_ids(void **st)
{
    (void)st;
    struct lapic l;
    fake_now = 0;
    lapic_init(&l, &clk, on_eoi, NULL);
    assert_int_equal(rd(&l, 0x30), LAPIC_VERSION);
    assert_int_equal(rd(&l, 0x30) >> 16 & 0xff, 5); /* six LVT entries */
    assert_int_equal(rd(&l, 0xF0), 0xFF);           /* software-disabled */
    assert_int_equal(rd(&l, 0xE0), 0xFFFFFFFFu);    /* flat model */
    assert_int_equal(rd(&l, 0x320), LVT_MASKED);
    assert_int_equal(rd(&l, 0x370), LVT_MASKED);
    assert_int_equal(rd(&l, 0x350), 0x700); /* LINT0: ExtINT, virtual wire */
    assert_true(lapic_lint0_extint(&l));
    /* Disabled: a fixed interrupt is not accepted, LVT masks stick. */
    lapic_accept(&l, 0x40, false);
    assert_int_equal(lapic_pending(&l), -1);
    wr(&l, 0x320, 0x30);
    assert_int_equal(rd(&l, 0x320), LVT_MASKED | 0x30);
    wr(&l, 0x20, 0x05000000);
    assert_int_equal(rd(&l, 0x20), 0x05000000);
    wr(&l, 0xD0, 0x01000000);
    assert_int_equal(rd(&l, 0xD0), 0x01000000);
    /* A narrow read gives the register's bytes. */
    uint32_t b = 0;
    lapic_mmio(&l, 0x32, 1, false, &b);
    assert_int_equal(b, 0x05);
    /* Software disable masks LINT0 too: the 8259 no longer goes through. */
    wr(&l, 0xF0, SVR_ENABLE | 0xFF);
    wr(&l, 0xF0, 0xFF);
    assert_false(lapic_lint0_extint(&l));
}

static void test_timer_one_shot_and_current_count(void **st)
{
    (void)st;
    struct lapic l;
    setup(&l);
    wr(&l, 0x3E0, 0x3);  /* divide by 16: 160 ns a count */
    wr(&l, 0x320, 0x40); /* one-shot, vector 0x40 */
    wr(&l, 0x380, 1000); /* 160 us */
    assert_int_equal(rd(&l, 0x390), 1000);
    assert_int_equal(lapic_next_deadline(&l), fake_now + 160000);
    fake_now += 16000; /* a tenth */
    assert_int_equal(rd(&l, 0x390), 900);
    assert_int_equal(lapic_pending(&l), -1);
    fake_now += 144000 - 1;
    lapic_update(&l, fake_now);
    assert_int_equal(lapic_pending(&l), -1);
    assert_int_equal(rd(&l, 0x390), 1);
    fake_now += 1;
    lapic_update(&l, fake_now);
    assert_int_equal(lapic_pending(&l), 0x40);
    assert_int_equal(rd(&l, 0x390), 0); /* stays 0 */
    assert_int_equal(lapic_ack(&l), 0x40);
    wr(&l, 0xB0, 0);
    fake_now += 1000000;
    lapic_update(&l, fake_now);
    assert_int_equal(lapic_pending(&l), -1); /* fired once */
    assert_int_equal(lapic_next_deadline(&l), UINT64_MAX);
    assert_int_equal(l.timer_fires, 1);
    wr(&l, 0x3E0, 0xB); /* a new divider does not restart an expired timer */
    assert_int_equal(lapic_next_deadline(&l), UINT64_MAX);
    lapic_update(&l, fake_now);
    assert_int_equal(lapic_pending(&l), -1);
}

static void test_timer_periodic_and_divider(void **st)
{
    (void)st;
    struct lapic l;
    setup(&l);
    wr(&l, 0x3E0, 0xB); /* 0b1011: divide by 1, 10 ns a count */
    wr(&l, 0x320, LVT_PERIODIC | 0x41);
    wr(&l, 0x380, 100000); /* 1 ms */
    uint64_t t0 = fake_now;
    for (int i = 1; i <= 3; i++) {
        fake_now = t0 + (uint64_t)i * 1000000 - 1;
        lapic_update(&l, fake_now);
        assert_int_equal(lapic_pending(&l), -1);
        fake_now++;
        lapic_update(&l, fake_now);
        assert_int_equal(lapic_pending(&l), 0x41);
        assert_int_equal(rd(&l, 0x390), 100000); /* reloaded */
        assert_int_equal(lapic_ack(&l), 0x41);
        wr(&l, 0xB0, 0);
    }
    fake_now += 250000;
    assert_int_equal(rd(&l, 0x390), 75000);
    /* Changing the divider keeps the count and slows it: by 2 = 20 ns. */
    wr(&l, 0x3E0, 0x0);
    fake_now += 200000;
    assert_int_equal(rd(&l, 0x390), 65000);
    /* Periods the VMM missed merge into one request. */
    fake_now += 10000000;
    lapic_update(&l, fake_now);
    assert_int_equal(lapic_ack(&l), 0x41);
    assert_int_equal(lapic_pending(&l), -1);
    assert_true(lapic_next_deadline(&l) > fake_now);
    /* Initial count 0 stops it. */
    wr(&l, 0x380, 0);
    assert_int_equal(lapic_next_deadline(&l), UINT64_MAX);
    assert_int_equal(rd(&l, 0x390), 0);
}

static void test_masked_lvt_timer_counts_silently(void **st)
{
    (void)st;
    struct lapic l;
    setup(&l);
    wr(&l, 0x3E0, 0xB);
    wr(&l, 0x320, LVT_MASKED | LVT_PERIODIC | 0x42);
    wr(&l, 0x380, 1000);
    assert_int_equal(lapic_next_deadline(&l), UINT64_MAX); /* nothing to wake for */
    fake_now += 25000;
    lapic_update(&l, fake_now);
    assert_int_equal(lapic_pending(&l), -1);
    assert_int_equal(rd(&l, 0x390), 500); /* but it counts */
    assert_int_equal(l.timer_fires, 0);
    wr(&l, 0x320, LVT_PERIODIC | 0x42); /* unmasked: the next expiry fires */
    fake_now += 5000;
    lapic_update(&l, fake_now);
    assert_int_equal(lapic_pending(&l), 0x42);
}

static void test_priority_tpr_and_eoi(void **st)
{
    (void)st;
    struct lapic l;
    setup(&l);
    lapic_accept(&l, 0x35, false);
    lapic_accept(&l, 0x62, false);
    /* The higher vector first. */
    assert_int_equal(rd(&l, 0x200 + 0x10), 1u << (0x35 - 32));
    assert_int_equal(rd(&l, 0x200 + 0x30), 1u << (0x62 - 96));
    assert_int_equal(lapic_pending(&l), 0x62);
    assert_int_equal(lapic_ack(&l), 0x62);
    assert_int_equal(rd(&l, 0x100 + 0x30), 1u << (0x62 - 96));
    /* In service 0x62: PPR is its class, 0x35 waits; so would 0x6f. */
    assert_int_equal(rd(&l, 0xA0), 0x60);
    assert_int_equal(lapic_pending(&l), -1);
    lapic_accept(&l, 0x6f, false);
    assert_int_equal(lapic_pending(&l), -1);
    assert_int_equal(rd(&l, 0x90), 0x60); /* APR: the pending/in-service class */
    lapic_accept(&l, 0x71, false);
    assert_int_equal(lapic_ack(&l), 0x71); /* a higher class nests */
    wr(&l, 0xB0, 0);                       /* EOI ends 0x71 (the highest ISR) */
    assert_int_equal(rd(&l, 0x100 + 0x30), 1u << (0x62 - 96));
    wr(&l, 0xB0, 0); /* ... then 0x62 */
    assert_int_equal(rd(&l, 0x100 + 0x30), 0);
    assert_int_equal(neoi, 0); /* edge vectors: no broadcast */
    /* TPR masks classes up to its own. */
    wr(&l, 0x80, 0x6f);
    assert_int_equal(rd(&l, 0xA0), 0x6f);
    assert_int_equal(lapic_pending(&l), -1);
    wr(&l, 0x80, 0x50);
    assert_int_equal(lapic_pending(&l), 0x6f);
    assert_int_equal(lapic_ack(&l), 0x6f);
    wr(&l, 0xB0, 0);
    assert_int_equal(lapic_pending(&l), -1); /* 0x35 is in class 3 <= 5 */
    wr(&l, 0x80, 0);
    assert_int_equal(lapic_ack(&l), 0x35);
}

static void test_level_eoi_broadcast_and_spurious(void **st)
{
    (void)st;
    struct lapic l;
    setup(&l);
    lapic_accept(&l, 0x51, true);
    assert_int_equal(rd(&l, 0x180 + 0x20), 1u << (0x51 - 64)); /* TMR */
    assert_int_equal(lapic_ack(&l), 0x51);
    wr(&l, 0xB0, 0);
    assert_int_equal(neoi, 1);
    assert_int_equal(eoi_vectors[0], 0x51);
    /* INTA with nothing deliverable: the SVR's vector, no ISR bit. */
    wr(&l, 0xF0, SVR_ENABLE | 0xE7);
    lapic_accept(&l, 0x52, false);
    wr(&l, 0x80, 0xF0); /* TPR raised after the request */
    assert_int_equal(lapic_ack(&l), 0xE7);
    for (int i = 0; i < 8; i++)
        assert_int_equal(rd(&l, 0x100 + 0x10 * (uint32_t)i), 0);
    assert_int_equal(l.spurious, 1);
}

static void test_self_ipi_and_esr(void **st)
{
    (void)st;
    struct lapic l;
    setup(&l);
    wr(&l, 0x310, 0);
    wr(&l, 0x300, (1u << 18) | (1u << 12) | 0x63);      /* shorthand self, fixed */
    assert_int_equal(rd(&l, 0x300), (1u << 18) | 0x63); /* delivered: status idle */
    assert_int_equal(lapic_ack(&l), 0x63);
    wr(&l, 0xB0, 0);
    wr(&l, 0x300, (3u << 18) | 0x64); /* all excluding self: nobody */
    assert_int_equal(lapic_pending(&l), -1);
    wr(&l, 0x310, 0x00000000); /* physical destination 0: us */
    wr(&l, 0x300, 0x65);
    assert_int_equal(lapic_ack(&l), 0x65);
    wr(&l, 0xB0, 0);
    wr(&l, 0x310, 0x03000000); /* APIC ID 3: not us */
    wr(&l, 0x300, 0x66);
    assert_int_equal(lapic_pending(&l), -1);
    wr(&l, 0xD0, 0x02000000); /* logical, flat: LDR bit 1 */
    wr(&l, 0x310, 0x06000000);
    wr(&l, 0x300, (1u << 11) | 0x67);
    assert_int_equal(lapic_ack(&l), 0x67);
    wr(&l, 0xB0, 0);
    /* An illegal vector: ESR shows it after a write, and LVT error fires. */
    wr(&l, 0x370, 0x68);
    wr(&l, 0x300, (1u << 18) | 0x05);
    assert_int_equal(rd(&l, 0x280), 0); /* not yet: write before read */
    wr(&l, 0x280, 0);
    assert_int_equal(rd(&l, 0x280), ESR_SEND_ILLEGAL);
    assert_int_equal(lapic_ack(&l), 0x68);
    wr(&l, 0x280, 0);
    assert_int_equal(rd(&l, 0x280), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_state_and_ids),
        cmocka_unit_test(test_timer_one_shot_and_current_count),
        cmocka_unit_test(test_timer_periodic_and_divider),
        cmocka_unit_test(test_masked_lvt_timer_counts_silently),
        cmocka_unit_test(test_priority_tpr_and_eoi),
        cmocka_unit_test(test_level_eoi_broadcast_and_spurious),
        cmocka_unit_test(test_self_ipi_and_esr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
