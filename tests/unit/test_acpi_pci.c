/*
 * test_acpi_pci.c — the DSDT with the PCI root bridge (05-io/acpi_pci.h):
 * a valid table (length, checksum, the firmware's \_S5 kept) that ACPICA's
 * own disassembler (iasl) reads back as the PNP0A03 device with its _CRS
 * windows and _PRT routes, installed over the firmware's DSDT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "05-io/acpi_pci.h"
#include "firmware/acpi.h"
#include "firmware/firmware.h"

static const struct acpi_pci_root two = {
    .mem_base = 0xE0000000u,
    .mem_end = 0xFEBFFFFFu,
    .nslots = 2,
    .route = { { 1, 11 }, { 3, 10 } },
};

/* virtio-mmio devices as vmm-io --virtio mmio describes them. */
static const struct acpi_pci_root mmio = {
    .mem_base = 0xE0000000u,
    .mem_end = 0xFEBFFFFFu,
    .nmmio = 3,
    .mmio = { { 0xD0000000u, 0x1000, 11 },
              { 0xD0001000u, 0x1000, 10 },
              { 0xD0002000u, 0x1000, 5 } },
};

static uint32_t get32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_table_is_valid(void **st)
{
    (void)st;
    uint8_t buf[512];
    size_t n = acpi_pci_dsdt(buf, sizeof buf, &two);
    assert_true(n > ACPI_HDR_LEN + sizeof acpi_dsdt_aml);
    assert_memory_equal(buf, "DSDT", 4);
    assert_int_equal(get32(buf + 4), n);
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + buf[i]);
    assert_int_equal(sum, 0);
    /* The firmware's \_S5 comes first, unchanged. */
    assert_memory_equal(buf + ACPI_HDR_LEN, acpi_dsdt_aml, sizeof acpi_dsdt_aml);
    /* Too small a buffer, too many slots: 0, nothing half-written used. */
    assert_int_equal(acpi_pci_dsdt(buf, 100, &two), 0);
    struct acpi_pci_root many = two;
    many.nslots = ACPI_PCI_MAX_SLOTS + 1;
    assert_int_equal(acpi_pci_dsdt(buf, sizeof buf, &many), 0);
    many = mmio;
    many.nmmio = ACPI_MMIO_MAX + 1;
    assert_int_equal(acpi_pci_dsdt(buf, sizeof buf, &many), 0);
    /* Three slots and three windows at once fit where the DSDT goes. */
    many = mmio;
    many.nslots = 3;
    memcpy(many.route, (uint8_t[][2]){ { 1, 11 }, { 2, 10 }, { 3, 5 } }, sizeof many.route[0] * 3);
    assert_true(acpi_pci_dsdt(buf, sizeof buf, &many) <= FW_FADT - FW_DSDT);
    assert_true(acpi_pci_dsdt(buf, sizeof buf, &many) > 0);
}

static void test_install(void **st)
{
    (void)st;
    struct guest_ram ram;
    char err[128];
    assert_int_equal(guest_ram_init(&ram, 2u << 20, err, sizeof err), 0);
    struct firmware_config cfg;
    firmware_config_default(&cfg);
    assert_int_equal(firmware_install(&ram, &cfg, err, sizeof err), 0);
    assert_int_equal(acpi_pci_install(&ram, &two, err, sizeof err), 0);
    uint8_t want[512];
    size_t n = acpi_pci_dsdt(want, sizeof want, &two);
    assert_memory_equal(ram.host + FW_DSDT, want, n);
    assert_true(FW_DSDT + n <= FW_FADT); /* the FADT after it is untouched */
    assert_memory_equal(ram.host + FW_FADT, "FACP", 4);
    guest_ram_destroy(&ram);
}

/* ACPICA's disassembler reads what we meant. */
/* The DSDT of root as iasl -d prints it, in text (static). */
static const char *iasl(const struct acpi_pci_root *root)
{
    char dir[] = "/tmp/vmlab-acpi-pci-XXXXXX", path[600], cmd[1400];
    assert_non_null(mkdtemp(dir));
    uint8_t buf[512];
    size_t n = acpi_pci_dsdt(buf, sizeof buf, root);
    assert_true(n > 0);
    snprintf(path, sizeof path, "%s/dsdt.dat", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cd '%s' && iasl -d dsdt.dat >iasl.log 2>&1", dir);
    assert_int_equal(system(cmd), 0);
    static char text[1 << 15];
    snprintf(path, sizeof path, "%s/dsdt.dsl", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    text[fread(text, 1, sizeof text - 1, f)] = 0;
    fclose(f);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return text;
}

static void test_iasl_reads_it(void **st)
{
    (void)st;
    if (system("command -v iasl >/dev/null 2>&1") != 0) {
        skip(); /* acpica-tools not installed (make deps installs it) */
        return;
    }
    const char *text = iasl(&two);
    static const char *const want[] = {
        "Name (_S5, Package (0x04)",
        "Scope (\\_SB)",
        "Device (PCI0)",
        "Name (_HID, EisaId (\"PNP0A03\")",
        "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode",
        "0x0CF7,             // Range Maximum",
        "0x0D00,             // Range Minimum",
        "DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite",
        "0xE0000000,         // Range Minimum",
        "0xFEBFFFFF,         // Range Maximum",
        "Name (_PRT, Package (0x02)",
        "0x0001FFFF,",
        "0x0003FFFF,",
        "0x0B",
        "0x0A",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i]))
            fail_msg("iasl's DSDT has no \"%s\"", want[i]);
}

/* The virtio-mmio windows: LNRO0005 devices with their memory and a
 * level, active-low, shared interrupt. */
static void test_iasl_reads_mmio(void **st)
{
    (void)st;
    if (system("command -v iasl >/dev/null 2>&1") != 0) {
        skip();
        return;
    }
    const char *text = iasl(&mmio);
    static const char *const want[] = {
        "Device (PCI0)",
        "Device (VIO0)",
        "Device (VIO2)",
        "Name (_HID, \"LNRO0005\")",
        "Memory32Fixed (ReadWrite,",
        "0xD0001000,         // Address Base",
        "0x00001000,         // Address Length",
        "Interrupt (ResourceConsumer, Level, ActiveLow, Shared, ,, )",
        "0x0000000B,",
        "0x00000005,",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i]))
            fail_msg("iasl's DSDT has no \"%s\":\n%s", want[i], text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_valid),
        cmocka_unit_test(test_install),
        cmocka_unit_test(test_iasl_reads_it),
        cmocka_unit_test(test_iasl_reads_mmio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
