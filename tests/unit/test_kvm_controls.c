/* test_kvm_controls.c — parsing --kvm-controls (03-hw-assisted/
 * kvm_controls.c) without /dev/kvm: good lists set the experiments, bad
 * ones are one line naming the item and what is expected. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "03-hw-assisted/kvm_controls.h"

static void test_good_lists(void **st)
{
    (void)st;
    struct kvm_controls c;
    char err[200] = "";
    assert_int_equal(kvm_controls_parse(NULL, &c, err, sizeof err), 0);
    assert_false(c.hlt_guest);
    assert_false(c.step);
    assert_int_equal(kvm_controls_parse("hlt=guest", &c, err, sizeof err), 0);
    assert_true(c.hlt_guest);
    assert_false(c.step);
    assert_int_equal(kvm_controls_parse("step,hlt=guest", &c, err, sizeof err), 0);
    assert_true(c.hlt_guest && c.step);
    assert_int_equal(kvm_controls_parse("hlt=guest,hlt=exit", &c, err, sizeof err), 0);
    assert_false(c.hlt_guest); /* the last one wins */

    char out[64];
    FILE *f = fmemopen(out, sizeof out, "w");
    kvm_controls_parse("step,hlt=guest", &c, err, sizeof err);
    kvm_controls_print(&c, f);
    fclose(f);
    assert_string_equal(out, "hlt=guest,step");
}

static void bad(const char *list, const char *want)
{
    struct kvm_controls c;
    char err[200] = "";
    assert_int_equal(kvm_controls_parse(list, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, want));
    assert_null(strchr(err, '\n'));
}

static void test_bad_lists(void **st)
{
    (void)st;
    const char *expect = "expected hlt=exit, hlt=guest or step";
    bad("hlt=off", "--kvm-controls: 'hlt=off': ");
    bad("hlt=off", expect);
    bad("step,bogus", "'bogus'");
    bad("hlt", "'hlt'");
    bad("", "''");
    bad("step,", "''");
    bad("hlt=guestx", "'hlt=guestx'");
    bad("ste", "'ste'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_lists),
        cmocka_unit_test(test_bad_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
