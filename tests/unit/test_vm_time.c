/* test_vm_time.c — how device time advances (core/vm.h): vm_irq_pending's
 * throttle reads the clock at most once per 16 dense polls and at every
 * poll when polls are sparse; vm_advance_time reads it every time and
 * raises a PIT edge that is due.  A fake clock counts its reads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vmm/options.h"
#include "core/vm.h"

static uint64_t fake_ns = 1000000000; /* the clock: moved by the test only */
static unsigned reads;                /* how often anyone looked at it     */

static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    reads++;
    return fake_ns;
}

static const struct engine_ops no_engine = { .name = "none" };
static struct vm_options opts;

static void outb(struct vm *vm, uint16_t port, uint8_t v)
{
    uint32_t x = v;
    assert_true(vm_pio(vm, port, 1, true, &x));
}

/* A VM with no guest, on the fake clock, its PIC with only IRQ0 unmasked
 * (vectors 0x20..) and PIT channel 0 at 100 Hz (rate generator). */
static int setup(void **st)
{
    vm_options_defaults(&opts, "vmm-test");
    opts.mem = 2 << 20;
    struct vm *vm;
    char err[256];
    assert_int_equal(vm_create(&vm, &opts, &no_engine, err, sizeof err), 0);
    vm_set_clock(vm, fake_clock, NULL);
    static const uint8_t pic[][2] = {
        { 0x20, 0x11 }, { 0x21, 0x20 }, { 0x21, 0x04 }, { 0x21, 0x01 }, { 0x21, 0xfe }
    };
    for (size_t i = 0; i < sizeof pic / sizeof pic[0]; i++)
        outb(vm, pic[i][0], pic[i][1]);
    outb(vm, 0x43, 0x34);
    outb(vm, 0x40, 0x9c); /* 11932 = 0x2e9c: 10 ms */
    outb(vm, 0x40, 0x2e);
    *st = vm;
    return 0;
}

static int teardown(void **st)
{
    vm_destroy(*st);
    return 0;
}

/* One poll dt ns after the previous one: did it look at the clock? */
static bool poll_reads_clock(struct vm *vm, uint64_t dt)
{
    fake_ns += dt;
    unsigned before = reads;
    vm_irq_pending(vm);
    return reads != before;
}

/* A fast engine polls every microsecond: the clock is read at most once
 * per 16 polls (it costs more than the poll). */
static void test_dense_polls_read_the_clock_once_per_16(void **st)
{
    struct vm *vm = *st;
    unsigned looked = 0;
    for (int i = 0; i < 1600; i++)
        looked += poll_reads_clock(vm, 1000);
    assert_true(looked >= 1600 / 16 - 1);
    assert_true(looked <= 1600 / 16);
}

/* A slow engine polls every 2 ms: within 5 reads (16 -> 8 -> 4 -> 2 -> 1
 * polls apart) every poll reads the clock, so no 10 ms period is merged;
 * dense polls again make it back off. */
static void test_sparse_polls_adapt_to_every_poll(void **st)
{
    struct vm *vm = *st;
    int polls = 0, looked = 0;
    while (looked < 5) {
        looked += poll_reads_clock(vm, 2000000);
        assert_true(++polls <= 16 + 8 + 4 + 2 + 1);
    }
    for (int i = 0; i < 50; i++)
        assert_true(poll_reads_clock(vm, 2000000));
    looked = 0;
    for (int i = 0; i < 1600; i++)
        looked += poll_reads_clock(vm, 1000);
    assert_true(looked <= 1600 / 16 + 4); /* backs off to 16 within 4 reads */
}

/* vm_advance_time reads the clock at every call and raises a due IRQ0 at
 * once, where a throttled poll would not have looked yet. */
static void test_advance_reads_the_clock_and_raises_a_due_edge(void **st)
{
    struct vm *vm = *st;
    for (int i = 0; i < 160; i++) /* dense: the throttle at 16, just read */
        poll_reads_clock(vm, 1000);
    assert_false(vm_irq_pending(vm)); /* no edge yet */
    fake_ns += 15000000;              /* past the first edge at 10 ms */
    unsigned before = reads;
    assert_false(vm_irq_pending(vm)); /* 2nd of 16 polls: not looked */
    assert_int_equal(reads, before);
    assert_true(vm_advance_time(vm));
    assert_true(reads > before);
    assert_true(vm_irq_pending(vm));
    assert_int_equal(vm_irq_ack(vm), 0x20);
    for (int i = 0; i < 10; i++) { /* every call looks; nothing new is due */
        before = reads;
        assert_false(vm_advance_time(vm));
        assert_true(reads > before);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dense_polls_read_the_clock_once_per_16, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sparse_polls_adapt_to_every_poll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_advance_reads_the_clock_and_raises_a_due_edge, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
