/* test_trace.c — the event ring and the VMLTRACE file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "trace/trace.h"

static char err[256];

static void test_off_records_nothing(void **st)
{
    (void)st;
    struct trace *t = malloc(sizeof *t);
    assert_int_equal(trace_init(t, NULL, "interp", err, sizeof err), 0);
    assert_false(trace_on(t));
    struct vm_exit e = { .reason = EXIT_HLT };
    trace_exit(t, &e);
    struct trace_event out[4];
    assert_int_equal(trace_read(t, out, 4), 0);
    free(t);
}

static void test_reader_sees_exits_and_irqs_in_order(void **st)
{
    (void)st;
    struct trace *t = malloc(sizeof *t);
    assert_int_equal(trace_init(t, NULL, "interp", err, sizeof err), 0);
    trace_start_reader(t);
    struct vm_exit e = { .reason = EXIT_IO_INSTRUCTION, .guest_eip = 0x101000, .cost_ns = 77 };
    e.u.io = (struct exit_io){ .port = 0x3f8, .size = 1, .in = false, .value = 'A' };
    trace_exit(t, &e);
    trace_irq(t, 0x20, 0x102000);
    struct trace_event out[4];
    assert_int_equal(trace_read(t, out, 4), 2);
    assert_int_equal(out[0].type, TRACE_EXIT);
    assert_int_equal(out[0].reason, EXIT_IO_INSTRUCTION);
    assert_int_equal(out[0].addr, 0x3f8);
    assert_int_equal(out[0].value, 'A');
    assert_int_equal(out[0].eip, 0x101000);
    assert_int_equal(out[0].cost_ns, 77);
    assert_int_equal(out[0].flags, 1 << 1); /* OUT, size 1 */
    assert_int_equal(out[1].type, TRACE_IRQ);
    assert_int_equal(out[1].reason, 0x20);
    assert_true(out[1].time_ns >= out[0].time_ns);
    assert_int_equal(trace_read(t, out, 4), 0);
    free(t);
}

static void test_page_walk_and_code_cache_events(void **st)
{
    (void)st;
    struct trace *t = malloc(sizeof *t);
    assert_int_equal(trace_init(t, NULL, "x", err, sizeof err), 0);
    trace_page_walk(t, 2, 0x5004, 0x6027, 0x00401000, 0x101234, false); /* off: dropped */
    trace_start_reader(t);
    trace_page_walk(t, 1, 0x6004, 0x7067, 0x00401000, 0x101234, true);
    trace_code_cache(t, 1, 0x100000, 23, 4096, 0x100000);
    struct trace_event ev[3];
    assert_int_equal(trace_read(t, ev, 3), 2);
    assert_int_equal(ev[0].type, TRACE_PAGE_WALK);
    assert_int_equal(ev[0].reason, 1);
    assert_int_equal(ev[0].qual, 0x6004);
    assert_int_equal(ev[0].value, 0x7067);
    assert_int_equal(ev[0].addr, 0x00401000);
    assert_int_equal(ev[0].flags, 1);
    assert_int_equal(ev[1].type, TRACE_CODE_CACHE);
    assert_int_equal(ev[1].addr, 23);
    assert_int_equal(ev[1].value, 4096);
    free(t);
}

static void test_lossy_reader_keeps_newest(void **st)
{
    (void)st;
    struct trace *t = malloc(sizeof *t);
    assert_int_equal(trace_init(t, NULL, "x", err, sizeof err), 0);
    trace_start_reader(t);
    for (int i = 0; i < TRACE_RING_EVENTS + 10; i++)
        trace_irq(t, i, 0);
    assert_int_equal(t->dropped, 10);
    struct trace_event ev;
    assert_int_equal(trace_read(t, &ev, 1), 1);
    assert_int_equal(ev.reason, 10); /* the oldest 10 were overwritten */
    free(t);
}

static void test_file_has_header_and_every_event(void **st)
{
    (void)st;
    char path[] = "/tmp/vmlab-trace-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct trace *t = malloc(sizeof *t);
    assert_int_equal(trace_init(t, path, "interp", err, sizeof err), 0);
    assert_true(trace_on(t));
    int n = 3 * TRACE_RING_EVENTS + 5; /* more than the ring: lossless */
    for (int i = 0; i < n; i++) {
        struct vm_exit e = { .reason = EXIT_HLT, .guest_eip = (uint32_t)i };
        trace_exit(t, &e);
    }
    trace_close(t);
    assert_int_equal(t->written, n);

    FILE *f = fopen(path, "rb");
    struct trace_file_header h;
    assert_int_equal(fread(&h, sizeof h, 1, f), 1);
    assert_memory_equal(h.magic, "VMLTRACE", 8);
    assert_int_equal(h.version, 1);
    assert_int_equal(h.header_size, sizeof h);
    assert_int_equal(h.event_size, sizeof(struct trace_event));
    assert_string_equal(h.engine, "interp");
    struct trace_event ev;
    int count = 0;
    while (fread(&ev, sizeof ev, 1, f) == 1) {
        assert_int_equal(ev.type, TRACE_EXIT);
        assert_int_equal(ev.eip, count); /* in order, none lost */
        count++;
    }
    assert_int_equal(count, n);
    fclose(f);
    unlink(path);
    free(t);
}

static void test_uncreatable_file_is_an_error(void **st)
{
    (void)st;
    struct trace *t = malloc(sizeof *t);
    assert_int_equal(trace_init(t, "/nonexistent-dir/x.trace", "x", err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot create trace file '/nonexistent-dir/x.trace'"));
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_records_nothing),
        cmocka_unit_test(test_reader_sees_exits_and_irqs_in_order),
        cmocka_unit_test(test_page_walk_and_code_cache_events),
        cmocka_unit_test(test_lossy_reader_keeps_newest),
        cmocka_unit_test(test_file_has_header_and_every_event),
        cmocka_unit_test(test_uncreatable_file_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
