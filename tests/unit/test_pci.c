/* test_pci.c — PCI configuration mechanism #1 and bus 0 (PCI LB 3.0 §3.2.2.3.2). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "devices/pci_host.h"

static struct pci_host h;

static void out32(unsigned port, uint32_t v) { pci_host_io(&h, port - 0xCF8, 4, true, &v); }
static void out(unsigned port, unsigned size, uint32_t v)
{
    pci_host_io(&h, port - 0xCF8, (uint8_t)size, true, &v);
}
static uint32_t in(unsigned port, unsigned size)
{
    uint32_t v = 0x12345678;
    pci_host_io(&h, port - 0xCF8, (uint8_t)size, false, &v);
    return v;
}
static uint32_t addr(unsigned dev, unsigned fn, unsigned reg)
{
    return PCI_ENABLE | dev << 11 | fn << 8 | reg;
}
static uint32_t cfg_read(unsigned dev, unsigned fn, unsigned reg)
{
    out32(0xCF8, addr(dev, fn, reg));
    return in(0xCFC, 4);
}

static int setup(void **st)
{
    (void)st;
    pci_host_init(&h);
    return 0;
}

static void test_host_bridge_ids(void **st)
{
    (void)st;
    assert_int_equal(cfg_read(0, 0, 0x00), 0x12378086);        /* 82441FX */
    assert_int_equal(cfg_read(0, 0, 0x08), 0x06000002);        /* class 0600, rev 2 */
    assert_int_equal(cfg_read(0, 0, 0x0C) >> 16 & 0xff, 0x00); /* type 0, single */
    assert_int_equal(cfg_read(0, 0, 0x04), 0x02800006);
}

static void test_absent_functions_read_all_ones(void **st)
{
    (void)st;
    assert_int_equal(cfg_read(1, 0, 0), 0xffffffffu);
    assert_int_equal(cfg_read(0, 1, 0), 0xffffffffu);
    assert_int_equal(cfg_read(31, 7, 0x3C), 0xffffffffu);
    out32(0xCF8, PCI_ENABLE | 1u << 16); /* bus 1: nothing behind us */
    assert_int_equal(in(0xCFC, 4), 0xffffffffu);
    assert_int_equal(in(0xCFE, 2), 0xffff);
    out(0xCFC, 4, 0); /* a write there goes nowhere, does not crash */
}

static void test_config_address_latch(void **st)
{
    (void)st;
    out32(0xCF8, 0xffffffffu);
    assert_int_equal(in(0xCF8, 4), 0x80fffffcu); /* reserved and 1:0 read 0 */
    out32(0xCF8, 0x80000000u);                   /* Linux's pci_check_type1 */
    out(0xCFB, 1, 0x01);                         /* a byte there is not ours */
    assert_int_equal(in(0xCF8, 4), 0x80000000u);
    assert_int_equal(in(0xCF8, 1), 0xff);
    assert_int_equal(in(0xCF8, 2), 0xffff);
}

static void test_disabled_config_address_is_plain_io(void **st)
{
    (void)st;
    out32(0xCF8, 0x00000000u); /* bit 31 clear: 00:00.0 register 0 not selected */
    assert_int_equal(in(0xCFC, 4), 0xffffffffu);
    assert_int_equal(in(0xCFC, 1), 0xff);
    out(0xCFC, 2, 0x0000); /* not a configuration write */
    assert_int_equal(cfg_read(0, 0, 0x04) & 0xffff, 0x0006);
}

static void test_partial_width_accesses(void **st)
{
    (void)st;
    out32(0xCF8, addr(0, 0, 0x00));
    assert_int_equal(in(0xCFC, 1), 0x86);
    assert_int_equal(in(0xCFD, 1), 0x80);
    assert_int_equal(in(0xCFE, 1), 0x37);
    assert_int_equal(in(0xCFF, 1), 0x12);
    assert_int_equal(in(0xCFC, 2), 0x8086);
    assert_int_equal(in(0xCFE, 2), 0x1237);
    assert_int_equal(in(0xCFD, 2), 0x3780); /* unaligned word */
    out32(0xCF8, addr(0, 0, 0x0C));
    out(0xCFD, 1, 0x40); /* latency timer, byte 0x0D */
    out(0xCFC, 1, 0x10); /* cache line size, 0x0C    */
    assert_int_equal(cfg_read(0, 0, 0x0C) & 0xffff, 0x4010);
    out32(0xCF8, addr(0, 0, 0x00));
    out(0xCFC, 4, 0); /* IDs are read-only */
    assert_int_equal(cfg_read(0, 0, 0x00), 0x12378086);
}

static int writes;
static unsigned last_reg;
static void on_write(void *dev, struct pci_function *f, unsigned reg, unsigned len)
{
    (void)f;
    (void)len;
    assert_ptr_equal(dev, &h);
    writes++;
    last_reg = reg;
}
static const struct pci_function_ops test_ops = { .name = "test", .config_write = on_write };

static void test_bar_sizing(void **st)
{
    (void)st;
    struct pci_function *f =
        pci_register(&h, 0, PCI_DEVFN(3, 0), &test_ops, &h, 0x1234, 0x5678, 0x020000, 1);
    assert_non_null(f);
    assert_null(pci_register(&h, 0, PCI_DEVFN(3, 0), &test_ops, &h, 1, 2, 3, 4)); /* taken */
    assert_null(pci_register(&h, 1, PCI_DEVFN(3, 0), &test_ops, &h, 1, 2, 3, 4)); /* bus 1 */
    pci_bar(f, 0, 0x1000, PCI_BAR_PREF); /* 4 KiB prefetchable memory */
    pci_bar(f, 1, 0x20, PCI_BAR_IO);     /* 32 ports */
    assert_int_equal(cfg_read(3, 0, 0x00), 0x56781234);
    assert_int_equal(cfg_read(3, 0, 0x10), PCI_BAR_PREF);
    out32(0xCF8, addr(3, 0, 0x10));
    out(0xCFC, 4, 0xffffffffu);
    assert_int_equal(writes, 1);
    assert_int_equal(last_reg, 0x10);
    assert_int_equal(in(0xCFC, 4), 0xfffff008u); /* size mask | prefetchable */
    out(0xCFC, 4, 0xfebf1234u);                  /* assign an address */
    assert_int_equal(in(0xCFC, 4), 0xfebf1008u);
    assert_int_equal(pci_bar_address(f, 0), 0xfebf1000u);
    out32(0xCF8, addr(3, 0, 0x14));
    out(0xCFC, 4, 0xffffffffu);
    assert_int_equal(in(0xCFC, 4), 0xffffffe1u); /* I/O: 32 ports */
    out(0xCFC, 4, 0xc000);
    assert_int_equal(pci_bar_address(f, 1), 0xc000);
    assert_int_equal(cfg_read(3, 0, 0x18), 0); /* unimplemented BAR: hardwired 0 */
    out32(0xCF8, addr(3, 0, 0x18));
    out(0xCFC, 4, 0xffffffffu);
    assert_int_equal(in(0xCFC, 4), 0);
}

static void test_status_write_one_to_clear_and_multifunction(void **st)
{
    (void)st;
    struct pci_function *f = pci_register(&h, 0, PCI_DEVFN(5, 0), NULL, NULL, 1, 2, 0, 0);
    pci_cfg_set(f, PCI_STATUS, 2, 0x2010); /* received master abort, cap list */
    out32(0xCF8, addr(5, 0, 0x04));
    out(0xCFE, 2, 0x2010); /* clears the error bit only */
    assert_int_equal(in(0xCFE, 2), 0x0010);
    assert_int_equal(cfg_read(5, 0, 0x0C) >> 16 & 0x80, 0);
    assert_non_null(pci_register(&h, 0, PCI_DEVFN(5, 2), NULL, NULL, 1, 3, 0, 0));
    assert_int_equal(cfg_read(5, 0, 0x0C) >> 16 & 0x80, 0x80);
    assert_int_equal(cfg_read(5, 2, 0x00), 0x00030001);
    assert_int_equal(cfg_read(5, 1, 0x00), 0xffffffffu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_host_bridge_ids, setup),
        cmocka_unit_test_setup(test_absent_functions_read_all_ones, setup),
        cmocka_unit_test_setup(test_config_address_latch, setup),
        cmocka_unit_test_setup(test_disabled_config_address_is_plain_io, setup),
        cmocka_unit_test_setup(test_partial_width_accesses, setup),
        cmocka_unit_test_setup(test_bar_sizing, setup),
        cmocka_unit_test_setup(test_status_write_one_to_clear_and_multifunction, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
