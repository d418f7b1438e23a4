/* test_acpi.c — the ACPI tables, installed into a fake guest RAM and read
 * back as an OS does (Linux drivers/acpi/acpica/tbxfroot.c, tbutils.c,
 * tbfadt.c): search for "RSD PTR " on 16-byte boundaries of
 * 0xE0000-0xFFFFF, checksums, RSDT and XSDT, FADT, FACS, DSDT's \_S5, MADT;
 * and the MADT's interrupt routing against the MP table's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "devices/acpi_pm.h"
#include "firmware/acpi.h"
#include "firmware/firmware.h"
#include "firmware/mptable.h"

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }
static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

static uint64_t zero_clock(void *ctx)
{
    (void)ctx;
    return 0;
}

static struct guest_ram ram;
static const uint8_t *mem;

static int setup(void **st)
{
    (void)st;
    char err[200];
    struct firmware_config cfg;
    firmware_config_default(&cfg);
    assert_int_equal(guest_ram_init(&ram, 2 << 20, err, sizeof err), 0);
    memset(ram.host + 0xE0000, 0xA5, 0x20000); /* the tables must not rely on zeroed RAM */
    assert_int_equal(firmware_install(&ram, &cfg, err, sizeof err), 0);
    mem = ram.host;
    return 0;
}
static int teardown(void **st)
{
    (void)st;
    guest_ram_destroy(&ram);
    return 0;
}

/* ACPI 6.4 §5.2.5.1: the RSDP on a 16-byte boundary of the BIOS area. */
static const uint8_t *find_rsdp(void)
{
    const uint8_t *found = NULL;
    for (uint32_t a = 0xE0000; a < 0x100000; a += 16)
        if (memcmp(mem + a, "RSD PTR ", 8) == 0 && sum(mem + a, 20) == 0) {
            assert_null(found);
            found = mem + a;
        }
    assert_non_null(found);
    return found;
}

/* A table at gpa with its signature, a length in the BIOS area and a sum of 0. */
static const uint8_t *table(uint64_t gpa, const char *sig)
{
    assert_true(gpa >= 0xE0000 && gpa < 0x100000);
    const uint8_t *t = mem + gpa;
    assert_memory_equal(t, sig, 4);
    uint32_t len = get32(t + 4);
    assert_true(len >= ACPI_HDR_LEN && gpa + len <= 0x100000);
    assert_int_equal(sum(t, len), 0);
    assert_memory_equal(t + 10, "VMLAB ", 6);
    return t;
}

static const uint8_t *fadt(void)
{
    const uint8_t *r = find_rsdp();
    return table(get32(table(get32(r + 16), "RSDT") + ACPI_HDR_LEN), "FACP");
}

static void test_rsdp_rsdt_xsdt(void **st)
{
    (void)st;
    const uint8_t *r = find_rsdp();
    assert_int_equal(r[15], 2);          /* revision 2: ACPI 2.0+ */
    assert_int_equal(get32(r + 20), 36); /* length */
    assert_int_equal(sum(r, 36), 0);     /* extended checksum */
    const uint8_t *rsdt = table(get32(r + 16), "RSDT");
    const uint8_t *xsdt = table(get64(r + 24), "XSDT");
    int n = (int)(get32(rsdt + 4) - ACPI_HDR_LEN) / 4;
    assert_int_equal(n, 2);
    assert_int_equal((get32(xsdt + 4) - ACPI_HDR_LEN) / 8, n);
    const char *want[] = { "FACP", "APIC" };
    for (int i = 0; i < n; i++) {
        uint32_t a = get32(rsdt + ACPI_HDR_LEN + 4 * i);
        assert_int_equal(get64(xsdt + ACPI_HDR_LEN + 8 * i), a); /* same tables */
        table(a, want[i]);
    }
}

/* One GAS (§5.2.3.2) for an I/O block: SystemIO, width, the same port. */
static void check_gas(const uint8_t *g, uint32_t port, int len)
{
    assert_int_equal(g[0], 1);
    assert_int_equal(g[1], len * 8);
    assert_int_equal(g[2], 0);
    assert_int_equal(get64(g + 4), port);
}

static void test_fadt_facs_pm_blocks(void **st)
{
    (void)st;
    const uint8_t *f = fadt();
    assert_int_equal(get32(f + 4), 244);
    assert_int_equal(f[8], 3);
    assert_int_equal(get16(f + FADT_SCI_INT), 9);
    assert_int_equal(get32(f + FADT_SMI_CMD), 0);
    uint32_t evt = get32(f + FADT_PM1A_EVT_BLK), cnt = get32(f + FADT_PM1A_CNT_BLK);
    uint32_t tmr = get32(f + FADT_PM_TMR_BLK);
    assert_int_equal(evt, ACPI_PM_BASE);
    assert_int_equal(cnt, ACPI_PM_BASE + 4);
    assert_int_equal(tmr, ACPI_PM_BASE + 8);
    assert_int_equal(f[FADT_PM1_EVT_LEN], 4);
    assert_int_equal(f[FADT_PM1_CNT_LEN], 2);
    assert_int_equal(f[FADT_PM_TMR_LEN], 4);
    assert_int_equal(get32(f + 60), 0); /* no PM1b blocks */
    assert_int_equal(get32(f + 68), 0);
    check_gas(f + FADT_X_PM1A_EVT, evt, 4);
    check_gas(f + FADT_X_PM1A_CNT, cnt, 2);
    check_gas(f + FADT_X_PM_TMR, tmr, 4);
    uint32_t flags = get32(f + FADT_FLAGS);
    assert_int_equal(flags & FADT_HW_REDUCED, 0);
    assert_int_equal(flags & FADT_TMR_VAL_EXT, 0); /* 24-bit PM timer */
    assert_int_equal(get16(f + FADT_BOOT_ARCH) & FADT_8042, FADT_8042);
    /* FACS: 64-byte aligned, no checksum; the same in both pointer widths. */
    uint32_t facs = get32(f + FADT_FIRMWARE_CTRL);
    assert_int_equal(get64(f + FADT_X_FACS), facs);
    assert_int_equal(facs % 64, 0);
    assert_memory_equal(mem + facs, "FACS", 4);
    assert_int_equal(get32(mem + facs + 4), 64);
    assert_int_equal(get64(f + FADT_X_DSDT), get32(f + FADT_DSDT));
}

/* Evaluate an AML integer (ZeroOp, OneOp, BytePrefix, WordPrefix). */
static int aml_int(const uint8_t **p)
{
    const uint8_t *q = *p;
    switch (q[0]) {
    case 0x00: *p = q + 1; return 0;
    case 0x01: *p = q + 1; return 1;
    case 0x0A: *p = q + 2; return q[1];
    case 0x0B: *p = q + 3; return get16(q + 1);
    default: fail_msg("AML opcode 0x%02x is not an integer", q[0]); return -1;
    }
}

/* Linux's poweroff finds \_S5 (acpi_get_sleep_type_data): a package whose
 * first two integers are SLP_TYPa/b, which the PM device must take as S5. */
static void test_dsdt_s5_package(void **st)
{
    (void)st;
    const uint8_t *d = table(get32(fadt() + FADT_DSDT), "DSDT");
    const uint8_t *p = d + ACPI_HDR_LEN, *end = d + get32(d + 4);
    assert_int_equal(p[0], 0x08); /* NameOp */
    assert_memory_equal(p + 1, "_S5_", 4);
    assert_int_equal(p[5], 0x12); /* PackageOp */
    int pkglen = p[6];
    assert_int_equal(pkglen & 0xC0, 0); /* one-byte PkgLength */
    assert_ptr_equal(p + 6 + pkglen, end);
    int n = p[7];
    assert_true(n >= 2);
    const uint8_t *e = p + 8;
    int typ_a = aml_int(&e), typ_b = aml_int(&e);
    for (int i = 2; i < n; i++)
        aml_int(&e);
    assert_ptr_equal(e, end);
    assert_int_equal(typ_a, ACPI_PM_SLP_TYP_S5);
    assert_int_equal(typ_b, ACPI_PM_SLP_TYP_S5);
    /* What the OS then writes (ACPICA's hwsleep.c: SLP_TYP, then SLP_TYP
     * with SLP_EN) at the FADT's PM1a control block powers the device off. */
    struct acpi_pm pm;
    static const struct vclock clk = { zero_clock, NULL };
    static const struct irq_line none = { NULL, NULL, 0 };
    acpi_pm_init(&pm, &clk, &none);
    uint32_t off = get32(fadt() + FADT_PM1A_CNT_BLK) - ACPI_PM_BASE, v = 0;
    acpi_pm_io(&pm, off, 2, false, &v);
    v = (v & ~PM1_SLP_TYP_MASK) | PM1_SLP_TYP(typ_a);
    acpi_pm_io(&pm, off, 2, true, &v);
    assert_false(pm.poweroff);
    v |= PM1_SLP_EN;
    acpi_pm_io(&pm, off, 2, true, &v);
    assert_true(pm.poweroff);
}

/* MADT: the APICs, and the interrupt routing the MP table gives too. */
static void test_madt_matches_mp_table(void **st)
{
    (void)st;
    const uint8_t *r = find_rsdp();
    const uint8_t *m = table(get32(table(get32(r + 16), "RSDT") + ACPI_HDR_LEN + 4), "APIC");
    assert_int_equal(get32(m + 36), 0xFEE00000u);
    assert_int_equal(get32(m + 40) & MADT_PCAT_COMPAT, MADT_PCAT_COMPAT);
    int gsi[16], flags[16], nlapic = 0, nioapic = 0, nnmi = 0;
    for (int i = 0; i < 16; i++)
        gsi[i] = i, flags[i] = 0; /* no override: identity, conforming */
    const uint8_t *p = m + 44, *end = m + get32(m + 4);
    while (p < end) {
        assert_true(p[1] >= 2 && p + p[1] <= end);
        switch (p[0]) {
        case MADT_LAPIC:
            assert_int_equal(p[1], 8);
            assert_int_equal(p[3], 0); /* APIC ID of the BSP */
            assert_int_equal(get32(p + 4) & 1, 1);
            nlapic++;
            break;
        case MADT_IOAPIC:
            assert_int_equal(p[1], 12);
            assert_int_equal(p[2], FW_IOAPIC_ID);
            assert_int_equal(get32(p + 4), 0xFEC00000u);
            assert_int_equal(get32(p + 8), 0);
            nioapic++;
            break;
        case MADT_ISO:
            assert_int_equal(p[1], 10);
            assert_int_equal(p[2], 0); /* ISA */
            gsi[p[3]] = (int)get32(p + 4);
            flags[p[3]] = get16(p + 8);
            break;
        case MADT_LAPIC_NMI:
            assert_int_equal(p[1], 6);
            assert_int_equal(p[2], 0xFF);
            assert_int_equal(p[5], 1); /* LINT1 */
            nnmi++;
            break;
        default: fail_msg("unexpected MADT entry type %d", p[0]);
        }
        p += p[1];
    }
    assert_int_equal(nlapic, 1);
    assert_int_equal(nioapic, 1);
    assert_int_equal(nnmi, 1);
    assert_int_equal(gsi[0], 2);
    assert_int_equal(flags[9], MADT_HIGH_LEVEL);
    /* The MP table routes every ISA IRQ to the same pin with the same flags. */
    const uint8_t *mpc = mem + get32(mem + FW_MPFP + 4);
    const uint8_t *e = mpc + 44;
    int seen = 0;
    for (int i = 0; i < get16(mpc + 34); i++) {
        if (e[0] == MP_IOINT) {
            assert_int_equal(e[7], gsi[e[5]]);
            assert_int_equal(get16(e + 2), flags[e[5]]);
            seen++;
        }
        e += e[0] == MP_PROC ? 20 : 8;
    }
    assert_int_equal(seen, 15);
}

/* The dump of `iasl -d NAME.dat` in dir, NUL-terminated (static). */
static const char *disassemble(const char *dir, const char *name, const uint8_t *t)
{
    static char text[1 << 16];
    char path[512], cmd[1200];
    snprintf(path, sizeof path, "%s/%s.dat", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(t, 1, get32(t + 4), f), get32(t + 4));
    fclose(f);
    snprintf(cmd, sizeof cmd, "cd '%s' && iasl -d %s.dat >iasl.log 2>&1", dir, name);
    if (system(cmd) != 0) {
        snprintf(cmd, sizeof cmd, "cat '%s/iasl.log' >&2", dir);
        (void)system(cmd);
        fail_msg("iasl -d %s.dat failed", name);
    }
    snprintf(path, sizeof path, "%s/%s.dsl", dir, name);
    f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    return text;
}

/* A second opinion: ACPICA's own disassembler (iasl, Debian's
 * acpica-tools) decodes our FADT, MADT and DSDT to what we meant. */
static void test_iasl_reads_the_tables(void **st)
{
    (void)st;
    if (system("command -v iasl >/dev/null 2>&1") != 0) {
        skip(); /* acpica-tools not installed (make deps installs it) */
        return;
    }
    char dir[] = "/tmp/vmlab-acpi-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const uint8_t *f = fadt();
    const char *s = disassemble(dir, "facp", f);
    assert_non_null(strstr(s, "Revision : 03"));
    assert_non_null(strstr(s, "PM1A Control Block Address : 00000604"));
    assert_non_null(strstr(s, "PM Timer Block Address : 00000608"));
    assert_non_null(strstr(s, "32-bit PM Timer (V1) : 0"));
    assert_non_null(strstr(s, "Hardware Reduced (V5) : 0"));
    s = disassemble(dir, "dsdt", mem + get32(f + FADT_DSDT));
    assert_non_null(strstr(s, "Name (_S5, Package (0x04)"));
    s = disassemble(dir, "apic", mem + get32(mem + FW_RSDT + ACPI_HDR_LEN + 4));
    assert_non_null(strstr(s, "Local Apic Address : FEE00000"));
    assert_non_null(strstr(s, "Subtable Type : 01 [I/O APIC]"));
    assert_non_null(strstr(s, "Subtable Type : 02 [Interrupt Source Override]"));
    assert_non_null(strstr(s, "Interrupt Input LINT : 01"));
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsdp_rsdt_xsdt),        cmocka_unit_test(test_fadt_facs_pm_blocks),
        cmocka_unit_test(test_dsdt_s5_package),       cmocka_unit_test(test_madt_matches_mp_table),
        cmocka_unit_test(test_iasl_reads_the_tables),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
