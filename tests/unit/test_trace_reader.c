/* test_trace_reader.c — VMLTRACE files written by trace.c, read back by
 * trace_reader.c: every event type round-trips; bad files are rejected
 * with one clear line; fields appended by a later writer are skipped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "trace/trace.h"
#include "trace/trace_reader.h"

static char err[512];
static char path[64];

static int setup(void **st)
{
    (void)st;
    strcpy(path, "/tmp/vmlab-trace-reader-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    unlink(path);
    return 0;
}

static void write_bytes(const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void *read_all(size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    void *p = malloc(*n + 1);
    assert_int_equal(fread(p, 1, *n, f), *n);
    fclose(f);
    return p;
}

/* One exit of each kind the trace keeps details for. */
static struct vm_exit exits[8];
static int nexits;

static void make_exits(void)
{
    nexits = 0;
    struct vm_exit *e = &exits[nexits++];
    *e = (struct vm_exit){ .reason = EXIT_IO_INSTRUCTION, .guest_eip = 0x101000, .cost_ns = 77 };
    e->u.io = (struct exit_io){ .port = 0x3f8, .size = 1, .in = false, .value = 'A' };
    e = &exits[nexits++];
    *e = (struct vm_exit){ .reason = EXIT_IO_INSTRUCTION, .guest_eip = 0x101010, .cost_ns = 5 };
    e->u.io = (struct exit_io){
        .port = 0x40, .size = 2, .in = true, .string = true, .rep = true, .value = 0x1234
    };
    e = &exits[nexits++];
    *e = (struct vm_exit){ .reason = EXIT_EXCEPTION_NMI, .guest_eip = 0x102000, .cost_ns = 9 };
    e->u.exc = (struct exit_exception){
        .vector = 14, .has_error = true, .error_code = 6, .cr2 = 0xbfffeffc
    };
    e = &exits[nexits++];
    *e =
        (struct vm_exit){ .reason = EXIT_CR_ACCESS, .guest_eip = 0x103000, .qualification = 0x303 };
    e->u.cr = (struct exit_cr){ .cr = 3, .access = 0, .gpr = 3, .value = 0x131000 };
    e = &exits[nexits++];
    *e = (struct vm_exit){ .reason = EXIT_WRMSR, .guest_eip = 0x104000 };
    e->u.msr = 0x174;
    e = &exits[nexits++];
    *e = (struct vm_exit){ .reason = EXIT_INVLPG, .guest_eip = 0x105000 };
    e->u.address = 0x40001000;
    e = &exits[nexits++];
    *e =
        (struct vm_exit){ .reason = EXIT_EPT_VIOLATION, .guest_eip = 0x106000, .qualification = 2 };
    e->u.ept = (struct exit_ept){ .gpa = 0x123456789ull, .gla = 0x401000, .qual = 2 };
    e = &exits[nexits++];
    *e = (struct vm_exit){ .reason = EXIT_HLT, .guest_eip = 0x107000, .cost_ns = 1000 };
}

/* Write every event type through the real producer (trace.c). */
static void write_trace(void)
{
    struct trace *t = malloc(sizeof *t);
    assert_int_equal(trace_init(t, path, "interp", err, sizeof err), 0);
    make_exits();
    for (int i = 0; i < nexits; i++)
        trace_exit(t, &exits[i]);
    trace_irq(t, 0x20, 0x108000);
    trace_page_walk(t, 2, 0x131800, 0x111027, 0x80000000u, 0x109000, false);
    trace_page_walk(t, 1, 0x111000, 0x222067, 0x80000000u, 0x109000, false);
    trace_page_walk_result(t, 0x80000000u, true, 0x222000, 0, false, 0x109000, false);
    trace_page_walk(t, 2, 0x131004, 0x400087, 0x00400123, 0x109000, false);
    trace_page_walk_result(t, 0x00400123, true, 0x400123, 0, true, 0x109000, false);
    trace_page_walk(t, 2, 0x131bfc, 0, 0xbfffeffc, 0x10a000, false);
    trace_page_walk_result(t, 0xbfffeffc, false, 0, 6, false, 0x10a000, false);
    trace_page_walk(t, 4, 0x5000, 0x6007, 0x131000, 0x10b000, true);
    trace_code_cache(t, 1, 0x100000, 23, 4096, 0x100000);
    trace_code_cache(t, 3, 0, 0, 0, 0x100010);
    trace_close(t);
    assert_int_equal(t->written, nexits + 11);
    free(t);
}

static void next(struct trace_reader *r, struct trace_event *ev)
{
    int rc = trace_reader_next(r, ev, err, sizeof err);
    if (rc != 1)
        fail_msg("trace_reader_next: %d (%s)", rc, err);
}

static void expect_line(const struct trace_event *ev, const char *needle)
{
    char line[512];
    int n = trace_event_format(ev, line, sizeof line);
    assert_int_equal(n, (int)strlen(line));
    if (!strstr(line, needle))
        fail_msg("line \"%s\" does not contain \"%s\"", line, needle);
    assert_null(strchr(line, '\n'));
}

static void test_round_trip_every_event_type(void **st)
{
    (void)st;
    write_trace();
    struct trace_reader r;
    struct trace_event ev;
    assert_int_equal(trace_reader_open(&r, path, err, sizeof err), 0);
    assert_int_equal(r.info.version, TRACE_VERSION);
    assert_int_equal(r.info.header_size, 40);
    assert_int_equal(r.info.event_size, 48);
    assert_string_equal(r.info.engine, "interp");
    assert_int_equal(r.info.nevents, nexits + 11);

    /* Exits: back to the same struct vm_exit fields. */
    uint64_t t_prev = 0;
    for (int i = 0; i < nexits; i++) {
        struct vm_exit back;
        next(&r, &ev);
        assert_int_equal(ev.type, TRACE_EXIT);
        assert_true(ev.time_ns >= t_prev);
        t_prev = ev.time_ns;
        trace_event_to_exit(&ev, &back);
        assert_int_equal(back.reason, exits[i].reason);
        assert_int_equal(back.guest_eip, exits[i].guest_eip);
        assert_int_equal(back.qualification, exits[i].qualification);
        assert_int_equal(back.cost_ns, exits[i].cost_ns);
        switch (back.reason) {
        case EXIT_IO_INSTRUCTION:
            assert_int_equal(back.u.io.port, exits[i].u.io.port);
            assert_int_equal(back.u.io.size, exits[i].u.io.size);
            assert_int_equal(back.u.io.in, exits[i].u.io.in);
            assert_int_equal(back.u.io.string, exits[i].u.io.string);
            assert_int_equal(back.u.io.rep, exits[i].u.io.rep);
            assert_int_equal(back.u.io.value, exits[i].u.io.value);
            break;
        case EXIT_EXCEPTION_NMI:
            assert_memory_equal(&back.u.exc, &exits[i].u.exc, sizeof back.u.exc);
            break;
        case EXIT_CR_ACCESS:
            assert_memory_equal(&back.u.cr, &exits[i].u.cr, sizeof back.u.cr);
            break;
        case EXIT_WRMSR: assert_int_equal(back.u.msr, 0x174); break;
        case EXIT_INVLPG: assert_int_equal(back.u.address, 0x40001000); break;
        case EXIT_EPT_VIOLATION:
            assert_int_equal(back.u.ept.gpa, 0x123456789ull);
            assert_int_equal(back.u.ept.gla, 0x401000);
            assert_int_equal(back.u.ept.qual, 2);
            break;
        }
        /* The text is exit_format's, as in the crash history. */
        char want[256];
        exit_format(&exits[i], want, sizeof want);
        expect_line(&ev, want);
        expect_line(&ev, " exit  eip=0x001");
    }
    next(&r, &ev);
    assert_int_equal(ev.type, TRACE_IRQ);
    assert_int_equal(ev.reason, 0x20);
    expect_line(&ev, "irq   eip=0x00108000 interrupt delivered vector=0x20");

    next(&r, &ev);
    assert_int_equal(ev.type, TRACE_PAGE_WALK);
    assert_int_equal(ev.reason, 2);
    assert_int_equal(ev.qual, 0x131800);
    assert_int_equal(ev.value, 0x111027);
    assert_int_equal(ev.addr, 0x80000000u);
    expect_line(&ev, "lin=0x80000000 PDE @0x00131800 = 0x00111027 [P W U A]");
    next(&r, &ev);
    expect_line(&ev, "PTE @0x00111000 = 0x00222067 [P W U A D]");
    next(&r, &ev);
    assert_int_equal(ev.flags, TRACE_F_WALK_RESULT);
    assert_int_equal(ev.qual, 0x222000);
    expect_line(&ev, "lin=0x80000000 -> phys 0x00222000");
    next(&r, &ev);
    expect_line(&ev, "PDE @0x00131004 = 0x00400087 [P W U PS]");
    next(&r, &ev);
    assert_true(ev.flags & TRACE_F_WALK_LARGE);
    expect_line(&ev, "-> phys 0x00400123 (4 MiB page)");
    next(&r, &ev);
    expect_line(&ev, "PDE @0x00131bfc = 0x00000000 [-]");
    next(&r, &ev);
    assert_true(ev.flags & TRACE_F_WALK_FAULT);
    assert_int_equal(ev.value, 6);
    expect_line(&ev, "lin=0xbfffeffc -> #PF error=0x6 (not present, write, user)");
    next(&r, &ev);
    assert_int_equal(ev.flags, TRACE_F_WALK_EPT);
    expect_line(&ev, "EPT lin=0x00131000 row=page PML4E @0x5000 = 0x6007");

    next(&r, &ev);
    assert_int_equal(ev.type, TRACE_CODE_CACHE);
    expect_line(&ev, "cache eip=0x00100000 decode gpa=0x00100000 size=23 occupancy=4096");
    next(&r, &ev);
    expect_line(&ev, "flush");

    assert_int_equal(trace_reader_next(&r, &ev, err, sizeof err), 0);
    assert_int_equal(trace_reader_next(&r, &ev, err, sizeof err), 0);
    trace_reader_close(&r);
}

static void expect_open_error(const char *needle)
{
    struct trace_reader r;
    err[0] = 0;
    assert_int_equal(trace_reader_open(&r, path, err, sizeof err), -1);
    if (!strstr(err, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
    assert_non_null(strstr(err, path)); /* names the file */
    assert_null(strchr(err, '\n'));     /* one line */
}

static void test_bad_files_are_rejected(void **st)
{
    (void)st;
    write_trace();
    size_t n;
    unsigned char *good = read_all(&n);
    assert_int_equal(n, 40 + 48 * (size_t)(nexits + 11));

    write_bytes(good, n - 5); /* cut inside the last event */
    expect_open_error("truncated: the last event has 43 of 48 bytes");
    write_bytes(good, 30); /* cut inside the header */
    expect_open_error("truncated: the header has 30 of 40 bytes");
    write_bytes(good, 0);
    expect_open_error("empty file");
    write_bytes("#!/bin/sh\necho hello, not a trace\n", 34);
    expect_open_error("not a vmlab trace file");

    unsigned char *bad = malloc(n);
    memcpy(bad, good, n);
    bad[8] = 2; /* version 2 */
    write_bytes(bad, n);
    expect_open_error("trace format version 2 is not supported");
    memcpy(bad, good, n);
    bad[16] = 8; /* event_size 8 < 48 */
    write_bytes(bad, n);
    expect_open_error("corrupt header");
    memcpy(bad, good, n);
    bad[12] = 0;
    bad[13] = 0;
    bad[14] = 0;
    bad[15] = 0x10; /* header_size 256 MiB */
    write_bytes(bad, n);
    expect_open_error("corrupt header");
    free(bad);

    unlink(path);
    expect_open_error("cannot open: No such file or directory");
    free(good);
}

/* A later writer appended 8 bytes to the header and 8 to every event:
 * same version, the reader uses the sizes to skip what it does not know. */
static void test_appended_fields_are_skipped(void **st)
{
    (void)st;
    unsigned char buf[48 + 3 * 56];
    memset(buf, 0xee, sizeof buf);
    memcpy(buf, "VMLTRACE", 8);
    uint32_t words[4] = { 1, 48, 56, 0 };
    memcpy(buf + 8, words, 16); /* test host is little-endian (x86) */
    memcpy(buf + 24, "future\0\0\0\0\0\0\0\0\0\0", 16);
    for (int i = 0; i < 3; i++) {
        struct trace_event ev = { .time_ns = 100u + (unsigned)i,
                                  .type = TRACE_IRQ,
                                  .reason = 0x20u + (unsigned)i,
                                  .eip = 0x1000u * (unsigned)i };
        memcpy(buf + 48 + 56 * i, &ev, sizeof ev);
    }
    write_bytes(buf, sizeof buf);
    struct trace_reader r;
    assert_int_equal(trace_reader_open(&r, path, err, sizeof err), 0);
    assert_int_equal(r.info.nevents, 3);
    assert_string_equal(r.info.engine, "future");
    struct trace_event ev;
    for (int i = 0; i < 3; i++) {
        next(&r, &ev);
        assert_int_equal(ev.type, TRACE_IRQ);
        assert_int_equal(ev.reason, 0x20 + i);
        assert_int_equal(ev.time_ns, 100 + i);
        assert_int_equal(ev.eip, 0x1000 * i);
    }
    assert_int_equal(trace_reader_next(&r, &ev, err, sizeof err), 0);
    trace_reader_close(&r);
}

/* Read from a pipe (vmm-bt --trace /dev/stdout | vmtrace /dev/stdin): no
 * size is known up front, so a record cut short shows up while reading. */
static void test_partial_record_from_a_pipe(void **st)
{
    (void)st;
    write_trace();
    size_t n;
    unsigned char *good = read_all(&n);
    char fifo[80];
    snprintf(fifo, sizeof fifo, "%s.fifo", path);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* writer: header, 1 event, 10 bytes */
        FILE *w = fopen(fifo, "wb");
        fwrite(good, 1, 40 + 48 + 10, w);
        fclose(w);
        _exit(0);
    }
    struct trace_reader r;
    assert_int_equal(trace_reader_open(&r, fifo, err, sizeof err), 0);
    assert_int_equal(r.info.nevents, -1); /* unknown for a pipe */
    struct trace_event ev;
    next(&r, &ev);
    assert_int_equal(ev.type, TRACE_EXIT);
    assert_int_equal(trace_reader_next(&r, &ev, err, sizeof err), -1);
    assert_non_null(strstr(err, "truncated: event 2 has 10 of 48 bytes"));
    trace_reader_close(&r);
    waitpid(pid, NULL, 0);
    unlink(fifo);
    free(good);
}

static void test_unknown_type_is_shown_raw(void **st)
{
    (void)st;
    struct trace_event ev = { .type = 9, .reason = 1, .qual = 2, .addr = 3, .value = 4 };
    expect_line(&ev, "type9 eip=0x00000000 reason=1 qual=0x2 addr=0x3 value=0x4");
    assert_string_equal(trace_type_name(TRACE_PAGE_WALK), "walk");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_every_event_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files_are_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_appended_fields_are_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_record_from_a_pipe, setup, teardown),
        cmocka_unit_test(test_unknown_type_is_shown_raw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
