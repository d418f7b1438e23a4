/* test_options.c — the shared stage command line (docs/ARCHITECTURE.md §6). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "core/options.h"

static char err[512];

static int parse(struct vm_options *o, const char **args)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "vmm-test";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    vm_options_defaults(o, "vmm-test");
    err[0] = 0;
    return vm_options_parse(o, argc, argv, err, sizeof err);
}

static void test_defaults_and_image(void **st)
{
    (void)st;
    struct vm_options o;
    assert_int_equal(parse(&o, (const char *[]){ "guest.elf", NULL }), OPTIONS_OK);
    assert_string_equal(o.image, "guest.elf");
    assert_string_equal(o.engine, "interp");
    assert_int_equal(o.mem, 64ull << 20);
    assert_string_equal(o.cmdline, "");
    assert_false(o.stats);
    assert_true(o.timeout_s == 0);
    vm_options_free(&o);
}

static void test_all_options(void **st)
{
    (void)st;
    struct vm_options o;
    assert_int_equal(parse(&o, (const char *[]){ "--engine", "bt", "--mem=128M", "--module", "a.elf",
        "--module=b.bin", "--trace", "t.bin", "--viz", "--step", "--timeout", "2.5", "--stats",
        "k.elf", "--", "test=all", "iters=10", "--mem", NULL }), OPTIONS_OK);
    assert_string_equal(o.engine, "bt");
    assert_int_equal(o.mem, 128ull << 20);
    assert_int_equal(o.nmodules, 2);
    assert_string_equal(o.modules[0], "a.elf");
    assert_string_equal(o.modules[1], "b.bin");
    assert_string_equal(o.trace_file, "t.bin");
    assert_true(o.viz && o.step && o.stats);
    assert_true(o.timeout_s == 2.5);
    assert_string_equal(o.image, "k.elf");
    /* Everything after -- belongs to the guest, even things that look like options. */
    assert_string_equal(o.cmdline, "test=all iters=10 --mem");
    assert_null(o.bt_mode);
    vm_options_free(&o);
    assert_int_equal(parse(&o, (const char *[]){ "--bt-mode", "threaded", "k.elf", NULL }), OPTIONS_OK);
    assert_string_equal(o.bt_mode, "threaded");
    vm_options_free(&o);
    assert_int_equal(parse(&o, (const char *[]){ "--bt-mode=identical", "k.elf", NULL }), OPTIONS_OK);
    assert_string_equal(o.bt_mode, "identical");
    vm_options_free(&o);
}

static void test_dot_and_walk(void **st)
{
    (void)st;
    struct vm_options o;
    assert_int_equal(parse(&o, (const char *[]){ "k.elf", NULL }), OPTIONS_OK);
    assert_null(o.dot_file);
    assert_false(o.walk_set);
    vm_options_free(&o);
    assert_int_equal(parse(&o, (const char *[]){ "--dot", "w.dot", "--walk", "0x80001234",
                                                 "k.elf", NULL }), OPTIONS_OK);
    assert_string_equal(o.dot_file, "w.dot");
    assert_true(o.walk_set);
    assert_int_equal(o.walk_addr, 0x80001234u);
    vm_options_free(&o);
    assert_int_equal(parse(&o, (const char *[]){ "--walk=4096", "--dot=x.dot", "k.elf", NULL }),
                     OPTIONS_OK);
    assert_int_equal(o.walk_addr, 4096);
    assert_string_equal(o.dot_file, "x.dot");
    vm_options_free(&o);
}

static void test_sizes(void **st)
{
    (void)st;
    uint64_t v;
    assert_int_equal(parse_size("64M", &v), 0);   assert_int_equal(v, 64ull << 20);
    assert_int_equal(parse_size("64", &v), 0);    assert_int_equal(v, 64ull << 20);
    assert_int_equal(parse_size("1G", &v), 0);    assert_int_equal(v, 1ull << 30);
    assert_int_equal(parse_size("4096k", &v), 0); assert_int_equal(v, 4ull << 20);
    assert_int_equal(parse_size("2MiB", &v), 0);  assert_int_equal(v, 2ull << 20);
    assert_int_equal(parse_size("8192B", &v), 0); assert_int_equal(v, 8192);
    assert_int_equal(parse_size("12Q", &v), -1);
    assert_int_equal(parse_size("", &v), -1);
    assert_int_equal(parse_size("-5M", &v), -1);
    assert_int_equal(parse_size("M", &v), -1);
}

static void expect_error(const char **args, const char *needle)
{
    struct vm_options o;
    assert_int_equal(parse(&o, args), OPTIONS_ERROR);
    if (!strstr(err, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
    assert_null(strchr(err, '\n'));               /* one line */
    vm_options_free(&o);
}

static void test_errors_are_one_clear_line(void **st)
{
    (void)st;
    expect_error((const char *[]){ "--frobnicate", "k", NULL }, "unknown option '--frobnicate'");
    expect_error((const char *[]){ "k", "--mem", NULL }, "--mem needs a value");
    expect_error((const char *[]){ "--mem", "lots", "k", NULL }, "not a size");
    expect_error((const char *[]){ "--mem", "1M", "k", NULL }, "out of range");
    expect_error((const char *[]){ "--mem", "8G", "k", NULL }, "out of range");
    expect_error((const char *[]){ "--mem", "2049K", "k", NULL }, "4 KiB");
    expect_error((const char *[]){ "--timeout", "soon", "k", NULL }, "seconds");
    expect_error((const char *[]){ "--timeout", "-1", "k", NULL }, "seconds");
    expect_error((const char *[]){ "--stats=yes", "k", NULL }, "takes no value");
    expect_error((const char *[]){ "a.elf", "b.elf", NULL }, "unexpected argument 'b.elf'");
    expect_error((const char *[]){ "--stats", NULL }, "no guest image");
    expect_error((const char *[]){ "--engine", "", "k", NULL }, "engine name");
    expect_error((const char *[]){ "--dot", NULL }, "--dot needs a value");
    expect_error((const char *[]){ "--dot=", "k", NULL }, "--dot needs a file name");
    expect_error((const char *[]){ "--dot", "d", "--walk", "0x100000000", "k", NULL },
                 "not a 32-bit linear address");
    expect_error((const char *[]){ "--dot", "d", "--walk", "high", "k", NULL },
                 "not a 32-bit linear address");
    expect_error((const char *[]){ "--walk", "0x1000", "k", NULL }, "give --dot too");
    expect_error((const char *[]){ "--bt-mode", "fast", "k", NULL }, "expected 'identical' or 'threaded'");
    expect_error((const char *[]){ "--bt-mode", NULL }, "--bt-mode needs a value");
    expect_error((const char *[]){ "--module", "1", "--module", "2", "--module", "3",
                                   "--module", "4", "--module", "5", "k", NULL }, "at most 4");
}

static void test_help(void **st)
{
    (void)st;
    struct vm_options o;
    assert_int_equal(parse(&o, (const char *[]){ "--help", NULL }), OPTIONS_HELP);
    assert_int_equal(parse(&o, (const char *[]){ "--mem", "64M", "-h", NULL }), OPTIONS_HELP);
    char buf[4096];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    vm_options_usage(f, "vmm-test", "  interp  x\n");
    fclose(f);
    assert_non_null(strstr(buf, "usage: vmm-test"));
    assert_non_null(strstr(buf, "--timeout SECONDS"));
    assert_non_null(strstr(buf, "--dot FILE"));
    assert_non_null(strstr(buf, "--walk ADDR"));
    assert_non_null(strstr(buf, "--bt-mode MODE"));
    assert_non_null(strstr(buf, "--step             --viz in step mode"));   /* implies --viz */
    assert_non_null(strstr(buf, "interp"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_image),
        cmocka_unit_test(test_all_options),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_dot_and_walk),
        cmocka_unit_test(test_errors_are_one_clear_line),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
