/* test_options.c — the shared stage command line (docs/ARCHITECTURE.md §6). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>
#include "vmm/options.h"

static char err[512];

/* A stage with two engines; "fast" has options of its own, like stage 01's
 * bt (--bt-mode, --check) or stage 03's vmx (--vmx-controls). */
static int check_mode(const char *v, char *e, size_t len)
{
    if (strcmp(v, "identical") && strcmp(v, "threaded")) {
        snprintf(e, len, "--fast-mode '%s': expected 'identical' or 'threaded'", v);
        return -1;
    }
    return 0;
}
static const struct engine_option fast_options[] = {
    { "--fast-mode", "MODE", "how fast\nsecond line of help", check_mode },
    { "--ref", "ENGINE", "a reference", NULL },
    { NULL },
};
static const struct engine_ops slow_ops = { .name = "slow", .summary = "the slow one" };
static const struct engine_ops fast_ops = { .name = "fast", .summary = "the fast one" };
static const struct engine_entry engines[] = {
    { "slow", &slow_ops, NULL, NULL },
    { "fast", &fast_ops, NULL, fast_options },
    { "later", NULL, "stage 09", NULL },
};
#define NENGINES 3

static const char *engine_opt(const struct vm_options *o, const char *name)
{
    for (int i = 0; i < o->nengine_opts; i++)
        if (!strcmp(o->engine_opt[i].name, name))
            return o->engine_opt[i].value;
    return NULL;
}

static int parse(struct vm_options *o, const char **args)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "vmm-test";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    vm_options_defaults(o, "vmm-test");
    err[0] = 0;
    return vm_options_parse(o, engines, NENGINES, argc, argv, err, sizeof err);
}

static void test_defaults_and_image(void **st)
{
    (void)st;
    struct vm_options o;
    assert_int_equal(parse(&o, (const char *[]){ "guest.elf", NULL }), OPTIONS_OK);
    assert_string_equal(o.image, "guest.elf");
    assert_null(o.engine); /* the stage's default applies */
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
    assert_int_equal(parse(&o, (const char *[]){ "--engine",  "bt",    "--mem=128M",
                                                 "--module",  "a.elf", "--module=b.bin",
                                                 "--initrd",  "rd.gz", "--trace",
                                                 "t.bin",     "--viz", "--step",
                                                 "--timeout", "2.5",   "--stats",
                                                 "k.elf",     "--",    "test=all",
                                                 "iters=10",  "--mem", NULL }),
                     OPTIONS_OK);
    assert_string_equal(o.engine, "bt");
    assert_int_equal(o.mem, 128ull << 20);
    assert_int_equal(o.nmodules, 2);
    assert_string_equal(o.modules[0], "a.elf");
    assert_string_equal(o.modules[1], "b.bin");
    assert_string_equal(o.initrd, "rd.gz");
    assert_string_equal(o.trace_file, "t.bin");
    assert_true(o.viz && o.step && o.stats);
    assert_true(o.timeout_s == 2.5);
    assert_string_equal(o.image, "k.elf");
    /* Everything after -- belongs to the guest, even things that look like options. */
    assert_string_equal(o.cmdline, "test=all iters=10 --mem");
    assert_int_equal(o.nengine_opts, 0);
    vm_options_free(&o);
}

static void test_engine_options(void **st)
{
    (void)st;
    struct vm_options o;
    assert_int_equal(parse(&o, (const char *[]){ "--fast-mode", "threaded", "k.elf", NULL }),
                     OPTIONS_OK);
    assert_string_equal(engine_opt(&o, "--fast-mode"), "threaded");
    assert_null(engine_opt(&o, "--ref"));
    /* Checked against the engine once it is chosen: only "fast" has them. */
    assert_int_equal(vm_options_check_engine(&o, engines, NENGINES, &engines[1], err, sizeof err),
                     0);
    assert_int_equal(vm_options_check_engine(&o, engines, NENGINES, &engines[0], err, sizeof err),
                     -1);
    assert_string_equal(err, "option --fast-mode is an option of --engine fast, "
                             "not of --engine slow");
    vm_options_free(&o);
    /* --name=value, twice (the last one counts), with another one. */
    assert_int_equal(parse(&o, (const char *[]){ "--fast-mode=identical", "--ref", "slow",
                                                 "--fast-mode", "threaded", "k.elf", NULL }),
                     OPTIONS_OK);
    assert_int_equal(o.nengine_opts, 2);
    assert_string_equal(engine_opt(&o, "--fast-mode"), "threaded");
    assert_string_equal(engine_opt(&o, "--ref"), "slow");
    vm_options_free(&o);
    /* No engine option: any engine is fine. */
    assert_int_equal(parse(&o, (const char *[]){ "k.elf", NULL }), OPTIONS_OK);
    assert_int_equal(vm_options_check_engine(&o, engines, NENGINES, &engines[0], err, sizeof err),
                     0);
    vm_options_free(&o);
    /* A binary without those engines does not know their options. */
    vm_options_defaults(&o, "vmm-other");
    char *argv[] = { "vmm-other", "--fast-mode", "threaded", "k.elf", NULL };
    assert_int_equal(vm_options_parse(&o, engines, 1, 4, argv, err, sizeof err), OPTIONS_ERROR);
    assert_non_null(strstr(err, "unknown option '--fast-mode' (not an option of vmm-other"));
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
    assert_int_equal(
        parse(&o, (const char *[]){ "--dot", "w.dot", "--walk", "0x80001234", "k.elf", NULL }),
        OPTIONS_OK);
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
    assert_int_equal(parse_size("64M", &v), 0);
    assert_int_equal(v, 64ull << 20);
    assert_int_equal(parse_size("64", &v), 0);
    assert_int_equal(v, 64ull << 20);
    assert_int_equal(parse_size("1G", &v), 0);
    assert_int_equal(v, 1ull << 30);
    assert_int_equal(parse_size("4096k", &v), 0);
    assert_int_equal(v, 4ull << 20);
    assert_int_equal(parse_size("2MiB", &v), 0);
    assert_int_equal(v, 2ull << 20);
    assert_int_equal(parse_size("8192B", &v), 0);
    assert_int_equal(v, 8192);
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
    assert_null(strchr(err, '\n')); /* one line */
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
    expect_error((const char *[]){ "--fast-mode", "quick", "k", NULL },
                 "--fast-mode 'quick': expected 'identical' or 'threaded'");
    expect_error((const char *[]){ "--fast-mode", NULL }, "--fast-mode needs a value");
    expect_error((const char *[]){ "--initrd=", "k", NULL }, "--initrd needs a file name");
    expect_error((const char *[]){ "--ref=", "k", NULL }, "--ref needs a value");
    expect_error((const char *[]){ "--frobnicate=1", "k", NULL }, "not an option of vmm-test");
    expect_error((const char *[]){ "--module", "1", "--module", "2", "--module", "3", "--module",
                                   "4", "--module", "5", "k", NULL },
                 "at most 4");
}

static void test_help(void **st)
{
    (void)st;
    struct vm_options o;
    assert_int_equal(parse(&o, (const char *[]){ "--help", NULL }), OPTIONS_HELP);
    assert_int_equal(parse(&o, (const char *[]){ "--mem", "64M", "-h", NULL }), OPTIONS_HELP);
    char buf[8192] = "";
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    vm_options_usage(f, "vmm-test", engines, NENGINES, "fast");
    fclose(f);
    assert_non_null(strstr(buf, "usage: vmm-test"));
    assert_non_null(strstr(buf, "--timeout SECONDS"));
    assert_non_null(strstr(buf, "--dot FILE"));
    assert_non_null(strstr(buf, "--walk ADDR"));
    assert_non_null(strstr(buf, "--initrd FILE      a Linux bzImage's initial RAM disk"));
    assert_non_null(
        strstr(buf, "--module FILE      load FILE as a Multiboot module (up to 4 times)"));
    assert_non_null(strstr(buf, "--step             --viz in step mode")); /* implies --viz */
    assert_non_null(strstr(buf, "130 stopped"));
    /* Each engine with its summary, the default starred, its own options
     * under it (continuation lines in the help column). */
    assert_non_null(strstr(buf, "\n  slow     the slow one\n* fast     the fast one\n"
                                "    --fast-mode MODE   how fast\n"
                                "                       second line of help\n"
                                "    --ref ENGINE       a reference\n"
                                "  later    stage 09 [not built yet]\n"));
    /* The shared options come before the engines: the engine options are
     * listed once, under their engine. */
    assert_ptr_equal(strstr(buf, "--fast-mode"), strstr(buf, "    --fast-mode MODE") + 4);
    assert_true(strstr(buf, "--stats") < strstr(buf, "  slow "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_image),
        cmocka_unit_test(test_all_options),
        cmocka_unit_test(test_engine_options),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_dot_and_walk),
        cmocka_unit_test(test_errors_are_one_clear_line),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
