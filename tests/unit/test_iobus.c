/* test_iobus.c — range registration, overlap, dispatch, floating bus. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "core/iobus.h"
#include "devices/pc_ports.h"

struct dev {
    uint64_t last_off;
    uint8_t last_size;
    bool last_write;
    uint32_t last_val;
    int calls;
};
static void h(void *d, uint64_t off, uint8_t size, bool w, uint32_t *v)
{
    struct dev *x = d;
    x->last_off = off;
    x->last_size = size;
    x->last_write = w;
    x->calls++;
    if (w)
        x->last_val = *v;
    else
        *v = 0x1000 + (uint32_t)off;
}

static void test_dispatch_gives_offset_inside_range(void **st)
{
    (void)st;
    struct iobus b;
    memset(&b, 0, sizeof b);
    struct dev a = { 0 }, c = { 0 };
    assert_int_equal(iobus_register(&b, 0x3f8, 8, h, &a, "com1"), 0);
    assert_int_equal(iobus_register(&b, 0x40, 4, h, &c, "pit"), 0);
    uint32_t v = 0x41;
    assert_true(iobus_access(&b, 0x3fd, 1, true, &v));
    assert_int_equal(a.last_off, 5);
    assert_true(a.last_write);
    assert_int_equal(a.last_val, 0x41);
    assert_true(iobus_access(&b, 0x43, 2, false, &v));
    assert_int_equal(v, 0x1003);
    assert_int_equal(c.last_size, 2);
    assert_int_equal(a.calls, 1);
    assert_string_equal(iobus_find(&b, 0x3ff)->name, "com1");
    assert_null(iobus_find(&b, 0x400));
    assert_null(iobus_find(&b, 0x3f7));
}

static void test_overlap_rejected(void **st)
{
    (void)st;
    struct iobus b;
    memset(&b, 0, sizeof b);
    struct dev a = { 0 };
    assert_int_equal(iobus_register(&b, 0x20, 2, h, &a, "pic"), 0);
    assert_int_equal(iobus_register(&b, 0x21, 1, h, &a, "x"), -1);
    assert_int_equal(iobus_register(&b, 0x1f, 2, h, &a, "x"), -1);
    assert_int_equal(iobus_register(&b, 0x10, 0x20, h, &a, "x"), -1);
    assert_int_equal(iobus_register(&b, 0x22, 1, h, &a, "ok"), 0); /* adjacent is fine */
    assert_int_equal(iobus_register(&b, 0x1f, 1, h, &a, "ok"), 0);
    assert_int_equal(iobus_register(&b, 0x30, 0, h, &a, "empty"), -1);
    assert_int_equal(b.n, 3);
}

static void test_unclaimed_reads_all_ones(void **st)
{
    (void)st;
    struct iobus b;
    memset(&b, 0, sizeof b);
    uint32_t v = 0;
    assert_false(iobus_access(&b, 0x80, 1, false, &v));
    assert_int_equal(v, 0xff);
    assert_false(iobus_access(&b, 0x80, 2, false, &v));
    assert_int_equal(v, 0xffff);
    assert_false(iobus_access(&b, 0x80, 4, false, &v));
    assert_int_equal(v, 0xffffffffu);
    v = 7;
    assert_false(iobus_access(&b, 0x80, 1, true, &v)); /* write dropped */
    assert_int_equal(v, 7);
}

static void test_bus_full(void **st)
{
    (void)st;
    struct iobus b;
    memset(&b, 0, sizeof b);
    struct dev a = { 0 };
    for (int i = 0; i < IOBUS_MAX_RANGES; i++)
        assert_int_equal(iobus_register(&b, (uint64_t)i * 16, 16, h, &a, "d"), 0);
    assert_int_equal(iobus_register(&b, 0x10000, 1, h, &a, "one too many"), -1);
}

/* The PC's port map (devices/pc_ports.h): the PC/AT addresses, first and
 * last port of each range, nothing between them, no overlap. */
static void test_pc_port_map(void **st)
{
    (void)st;
    static const struct {
        uint16_t port;
        const char *name;
    } at[] = {
        { 0x20, "pic-master" }, { 0x21, "pic-master" }, { 0x22, NULL },
        { 0x1f, NULL },         { 0x40, "pit" },        { 0x43, "pit" },
        { 0x44, NULL },         { 0x61, "port-b" },     { 0x60, "kbd-data" },
        { 0x62, NULL },         { 0x64, "kbd-cmd" },    { 0x65, NULL },
        { 0x70, "rtc" },        { 0x71, "rtc" },        { 0x72, NULL },
        { 0xcf8, "pci" },       { 0xcff, "pci" },       { 0xcf7, NULL },
        { 0xd00, NULL },        { 0xa0, "pic-slave" },  { 0xa1, "pic-slave" },
        { 0xf4, "debug-exit" }, { 0xf7, "debug-exit" }, { 0xf8, NULL },
        { 0x3f8, "com1" },      { 0x3ff, "com1" },      { 0x3f7, NULL },
        { 0x400, NULL },        { 0xffff, NULL },       { 0, NULL },
    };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        const struct pc_port_range *r = pc_port_find(at[i].port);
        if (!at[i].name)
            assert_null(r);
        else
            assert_string_equal(r->name, at[i].name);
    }
    assert_string_equal(pc_ports[PC_COM1].device, "16550 UART COM1");
    struct iobus bus = { .n = 0 }; /* the ranges register without overlap */
    struct dev d = { 0 };
    for (int i = 0; i < PC_NPORT_DEVS; i++) {
        assert_non_null(pc_ports[i].name);
        assert_non_null(pc_ports[i].device);
        assert_int_equal(
            iobus_register(&bus, pc_ports[i].base, pc_ports[i].count, h, &d, pc_ports[i].name), 0);
        if (i)
            assert_true(pc_ports[i].base > pc_ports[i - 1].base); /* in port order */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dispatch_gives_offset_inside_range),
        cmocka_unit_test(test_overlap_rejected),
        cmocka_unit_test(test_unclaimed_reads_all_ones),
        cmocka_unit_test(test_bus_full),
        cmocka_unit_test(test_pc_port_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
