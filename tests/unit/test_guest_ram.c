/* test_guest_ram.c — the memfd-backed guest RAM. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>
#include "core/guest_ram.h"

static void test_init_zeroed_and_bounds(void **st)
{
    (void)st;
    struct guest_ram r;
    char err[128];
    assert_int_equal(guest_ram_init(&r, 2 << 20, err, sizeof err), 0);
    assert_true(r.fd >= 0);
    assert_int_equal(r.size, 2 << 20);
    assert_int_equal(r.host[0], 0);
    assert_int_equal(r.host[(2 << 20) - 1], 0);
    assert_ptr_equal(gpa_to_hva(&r, 0x1000, 16), r.host + 0x1000);
    assert_non_null(gpa_to_hva(&r, (2 << 20) - 4, 4));
    assert_null(gpa_to_hva(&r, (2 << 20) - 4, 5)); /* straddles the end */
    assert_null(gpa_to_hva(&r, 2 << 20, 1));
    assert_null(gpa_to_hva(&r, UINT64_MAX - 1, 4)); /* no wrap-around */
    guest_ram_destroy(&r);
    assert_int_equal(r.fd, -1);
}

/* The point of a memfd: another mapping of the same file sees the same
 * bytes (what the binary translator's window and KVM rely on). */
static void test_second_mapping_shares_pages(void **st)
{
    (void)st;
    struct guest_ram r;
    char err[128];
    assert_int_equal(guest_ram_init(&r, 1 << 20, err, sizeof err), 0);
    uint8_t *alias = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0x3000);
    assert_true(alias != MAP_FAILED);
    r.host[0x3010] = 0xab;
    assert_int_equal(alias[0x10], 0xab);
    alias[0x20] = 0xcd;
    assert_int_equal(r.host[0x3020], 0xcd);
    munmap(alias, 4096);
    guest_ram_destroy(&r);
}

static void test_bad_sizes_rejected(void **st)
{
    (void)st;
    struct guest_ram r;
    char err[128] = "";
    assert_int_equal(guest_ram_init(&r, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "4 KiB"));
    assert_int_equal(guest_ram_init(&r, 4097, err, sizeof err), -1);
    assert_null(r.host);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_zeroed_and_bounds),
        cmocka_unit_test(test_second_mapping_shares_pages),
        cmocka_unit_test(test_bad_sizes_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
