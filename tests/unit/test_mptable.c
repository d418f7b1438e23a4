/* test_mptable.c — the MP spec 1.4 tables, installed into a fake guest RAM
 * and read back as an OS does (Linux arch/x86/kernel/mpparse.c): search for
 * "_MP_" on 16-byte boundaries of 0xF0000-0xFFFFF, checksums, then every
 * entry of the configuration table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "firmware/firmware.h"
#include "firmware/mptable.h"
#include "x86/interp.h"
#include "vmm/options.h"
#include "core/vm.h"

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/* The OS's search (MP spec §4): the one valid floating pointer, or NULL. */
static const uint8_t *find_mpfp(const uint8_t *mem, uint32_t from, uint32_t to)
{
    const uint8_t *found = NULL;
    for (uint32_t a = from; a < to; a += 16)
        if (memcmp(mem + a, "_MP_", 4) == 0 && mem[a + 8] == 1 && sum(mem + a, 16) == 0) {
            assert_null(found); /* exactly one */
            found = mem + a;
        }
    return found;
}

struct parsed {
    int nproc, nbus, nioapic, nioint, nlint, bsp;
    int isa_bus, pci_bus;
    int irq_pin[16]; /* ISA IRQ -> IOAPIC pin (-1: none)  */
    int irq_flags[16];
    int lint_type[2]; /* LINT0, LINT1 */
    const uint8_t *proc[FW_MAX_CPUS], *ioapic;
};

/* Validate the configuration table and walk its entries. */
static void parse(const uint8_t *mem, struct parsed *r)
{
    memset(r, 0, sizeof *r);
    memset(r->irq_pin, -1, sizeof r->irq_pin);
    r->isa_bus = r->pci_bus = r->bsp = -1;
    const uint8_t *f = find_mpfp(mem, 0xF0000, 0x100000);
    assert_non_null(f);
    assert_int_equal((f - mem) % 16, 0);
    assert_int_equal(f[9], 4);         /* spec rev 1.4 */
    assert_int_equal(f[11], 0);        /* feature byte 1: a table, not a default config */
    assert_int_equal(f[12] & 0x80, 0); /* IMCRP clear: virtual wire */
    uint32_t at = get32(f + 4);
    assert_true(at >= 0xF0000 && at < 0x100000);
    const uint8_t *h = mem + at;
    assert_memory_equal(h, "PCMP", 4);
    uint16_t len = get16(h + 4);
    assert_int_equal(sum(h, len), 0);
    assert_int_equal(h[6], 4);
    assert_int_equal(get32(h + 36), 0xFEE00000u);
    assert_int_equal(get16(h + 40), 0); /* no extended table */
    const uint8_t *p = h + 44, *end = h + len;
    int last_type = 0;
    for (int i = 0; i < get16(h + 34); i++) {
        assert_true(p < end);
        assert_true(p[0] >= last_type && p[0] <= MP_LINT); /* sorted by type */
        last_type = p[0];
        switch (p[0]) {
        case MP_PROC:
            assert_true(r->nproc < FW_MAX_CPUS);
            r->proc[r->nproc++] = p;
            if (p[3] & 2) {
                assert_int_equal(r->bsp, -1); /* one BSP */
                r->bsp = p[1];
            }
            p += 20;
            continue;
        case MP_BUS:
            r->nbus++;
            if (memcmp(p + 2, "ISA   ", 6) == 0)
                r->isa_bus = p[1];
            if (memcmp(p + 2, "PCI   ", 6) == 0)
                r->pci_bus = p[1];
            break;
        case MP_IOAPIC:
            r->nioapic++;
            r->ioapic = p;
            break;
        case MP_IOINT:
            r->nioint++;
            assert_int_equal(p[1], MP_INT);
            assert_int_equal(p[4], r->isa_bus);
            assert_true(p[5] < 16);
            assert_int_equal(r->irq_pin[p[5]], -1); /* one entry per IRQ */
            assert_int_equal(p[6], r->ioapic[1]);
            r->irq_pin[p[5]] = p[7];
            r->irq_flags[p[5]] = get16(p + 2);
            break;
        case MP_LINT:
            assert_int_equal(p[6], 0xFF); /* every local APIC */
            assert_true(p[7] < 2);
            r->lint_type[p[7]] = p[1];
            r->nlint++;
            break;
        }
        p += 8;
    }
    assert_ptr_equal(p, end); /* the count and the length agree */
}

static void install(struct guest_ram *ram, const struct firmware_config *cfg)
{
    char err[200];
    assert_int_equal(guest_ram_init(ram, 2 << 20, err, sizeof err), 0);
    assert_int_equal(firmware_install(ram, cfg, err, sizeof err), 0);
}

static void test_os_finds_one_cpu_isa_pci_ioapic(void **st)
{
    (void)st;
    struct firmware_config cfg;
    firmware_config_default(&cfg);
    struct guest_ram ram;
    install(&ram, &cfg);
    struct parsed r;
    parse(ram.host, &r);
    assert_int_equal(r.nproc, 1);
    assert_int_equal(r.bsp, 0);
    const uint8_t *c = r.proc[0];
    assert_int_equal(c[1], 0); /* APIC ID  */
    assert_int_equal(c[2], FW_LAPIC_VERSION);
    assert_int_equal(c[3], 3); /* EN | BP  */
    uint32_t id[4];
    x86_cpuid(1, id); /* the CPUID the VMM reports */
    assert_int_equal(get32(c + 4), id[0]);
    assert_int_equal(get32(c + 8), id[3]);
    assert_int_equal((get32(c + 4) >> 8) & 0xf, 6); /* family 6 */
    assert_int_equal(r.nbus, 2);
    assert_int_equal(r.pci_bus, 0);
    assert_int_equal(r.isa_bus, 1);
    assert_int_equal(r.nioapic, 1);
    assert_int_equal(r.ioapic[1], FW_IOAPIC_ID);
    assert_int_equal(r.ioapic[2], 0x11);
    assert_int_equal(r.ioapic[3] & 1, 1);
    assert_int_equal(get32(r.ioapic + 4), 0xFEC00000u);
    assert_int_not_equal(r.ioapic[1], 0); /* not a CPU's APIC ID */
    assert_int_equal(r.nlint, 2);
    assert_int_equal(r.lint_type[0], MP_EXTINT);
    assert_int_equal(r.lint_type[1], MP_NMI);
    guest_ram_destroy(&ram);
}

/* IRQ0 -> pin 2, IRQ2 (cascade) none, the rest identity; IRQ9 (SCI) level. */
static void test_isa_irq_routing(void **st)
{
    (void)st;
    struct firmware_config cfg;
    firmware_config_default(&cfg);
    struct guest_ram ram;
    install(&ram, &cfg);
    struct parsed r;
    parse(ram.host, &r);
    assert_int_equal(r.nioint, 15);
    assert_int_equal(r.irq_pin[0], 2);
    assert_int_equal(r.irq_pin[2], -1);
    bool used[24] = { false };
    for (int irq = 0; irq < 16; irq++) {
        if (irq != 0 && irq != 2)
            assert_int_equal(r.irq_pin[irq], irq);
        assert_int_equal(r.irq_pin[irq], fw_isa_irq_to_gsi(irq));
        if (r.irq_pin[irq] >= 0) {
            assert_false(used[r.irq_pin[irq]]); /* no pin shared */
            used[r.irq_pin[irq]] = true;
        }
        assert_int_equal(r.irq_flags[irq], irq == 9 ? MP_IRQ_HIGH_LEVEL : MP_IRQ_CONFORM);
    }
    assert_false(used[0]); /* pin 0: the 8259's INTR */
    guest_ram_destroy(&ram);
}

static void test_more_cpus_and_bad_configs(void **st)
{
    (void)st;
    struct firmware_config cfg;
    firmware_config_default(&cfg);
    cfg.ncpus = 4;
    struct guest_ram ram;
    install(&ram, &cfg);
    struct parsed r;
    parse(ram.host, &r);
    assert_int_equal(r.nproc, 4);
    assert_int_equal(r.bsp, 0);
    for (int i = 1; i < 4; i++) {
        assert_int_equal(r.proc[i][1], i);
        assert_int_equal(r.proc[i][3], 1); /* enabled application processor */
    }
    char err[200];
    cfg.ncpus = 0;
    assert_int_equal(firmware_install(&ram, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "0 processors"));
    cfg.ncpus = 1;
    cfg.sci_irq = 2;
    assert_int_equal(firmware_install(&ram, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "IRQ 2"));
    guest_ram_destroy(&ram);
    /* RAM that does not reach the BIOS area. */
    assert_int_equal(guest_ram_init(&ram, 512 << 10, err, sizeof err), 0);
    firmware_config_default(&cfg);
    assert_int_equal(firmware_install(&ram, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "does not reach the BIOS area"));
    guest_ram_destroy(&ram);
}

/* The teaching guest's VM gets no tables: only a Linux boot installs them. */
static void test_plain_vm_has_no_tables(void **st)
{
    (void)st;
    static const struct engine_ops none = { .name = "none" };
    struct vm_options o;
    vm_options_defaults(&o, "vmm-test");
    o.mem = 2 << 20;
    struct vm *vm;
    char err[200];
    assert_int_equal(vm_create(&vm, &o, &none, err, sizeof err), 0);
    assert_null(find_mpfp(vm_ram(vm)->host, 0xF0000, 0x100000));
    vm_destroy(vm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_os_finds_one_cpu_isa_pci_ioapic),
        cmocka_unit_test(test_isa_irq_routing),
        cmocka_unit_test(test_more_cpus_and_bad_configs),
        cmocka_unit_test(test_plain_vm_has_no_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
