/*
 * test_vtd_acpi.c — the DMAR table (06-passthrough/dmar_acpi.c; VT-d §8)
 * linked into the firmware's RSDT and XSDT (firmware/acpi.h
 * acpi_link_table): where an OS looks for it, with valid checksums, and
 * read back by ACPICA's disassembler (iasl) as one DRHD at 0xFED90000.
 */
#include <stdio.h>
#include "vtd_harness.h"
#include "06-passthrough/dmar_acpi.h"
#include "firmware/acpi.h"
#include "firmware/firmware.h"

static uint32_t get32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static void install(struct h *h)
{
    struct firmware_config fw;
    char err[128];
    firmware_config_default(&fw);
    assert_int_equal(firmware_install(&h->ram, &fw, err, sizeof err), 0);
    assert_int_equal(dmar_install(&h->ram, VTD_BASE, VTD_HAW, err, sizeof err), 0);
}

static void test_linked_and_valid(void **st)
{
    struct h *h = *st;
    install(h);
    const uint8_t *mem = h->ram.host, *r = mem + FW_RSDT, *x = mem + FW_XSDT;
    assert_int_equal(get32(r + 4), ACPI_HDR_LEN + 3 * 4);
    assert_int_equal(get32(x + 4), ACPI_HDR_LEN + 3 * 8);
    assert_int_equal(sum(r, get32(r + 4)), 0);
    assert_int_equal(sum(x, get32(x + 4)), 0);
    assert_int_equal(get32(r + ACPI_HDR_LEN + 8), DMAR_ADDR);
    assert_int_equal(get32(x + ACPI_HDR_LEN + 16), DMAR_ADDR);
    assert_int_equal(get32(r + ACPI_HDR_LEN), FW_FADT); /* the others kept */
    const uint8_t *d = mem + DMAR_ADDR;
    assert_memory_equal(d, "DMAR", 4);
    assert_int_equal(get32(d + 4), DMAR_LEN);
    assert_int_equal(sum(d, DMAR_LEN), 0);
    assert_int_equal(d[36], VTD_HAW - 1);
    assert_int_equal(d[37] & DMAR_INTR_REMAP, DMAR_INTR_REMAP);
    assert_int_equal(d[48] | d[49] << 8, 0);  /* DRHD */
    assert_int_equal(d[50] | d[51] << 8, 16); /* its length */
    assert_int_equal(d[52], DRHD_INCLUDE_PCI_ALL);
    assert_int_equal(get32(d + 56), VTD_BASE);
    assert_int_equal(get32(d + 60), 0);
    /* RSDP untouched: its checksums still hold */
    assert_int_equal(sum(mem + FW_RSDP, ACPI_RSDP_V1_LEN), 0);
    assert_int_equal(sum(mem + FW_RSDP, ACPI_RSDP_LEN), 0);
}

/* The RSDT has room for 7 pointers: a table too many is an error. */
static void test_full(void **st)
{
    struct h *h = *st;
    install(h);
    for (int i = 0; i < 4; i++)
        assert_int_equal(acpi_link_table(h->ram.host, DMAR_ADDR), 0);
    assert_int_equal(acpi_link_table(h->ram.host, DMAR_ADDR), -1);
    memset(h->ram.host + FW_RSDT, 0, 4);
    assert_int_equal(acpi_link_table(h->ram.host, DMAR_ADDR), -1);
}

/* ACPICA's disassembler reads what we meant. */
static void test_iasl_reads_it(void **st)
{
    (void)st;
    if (system("command -v iasl >/dev/null 2>&1") != 0) {
        skip(); /* acpica-tools not installed (make deps installs it) */
        return;
    }
    char dir[] = "/tmp/vmlab-dmar-XXXXXX", path[600], cmd[1400];
    assert_non_null(mkdtemp(dir));
    uint8_t buf[DMAR_LEN];
    dmar_build(buf, VTD_BASE, VTD_HAW);
    snprintf(path, sizeof path, "%s/dmar.dat", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, sizeof buf, f), sizeof buf);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cd '%s' && iasl -d dmar.dat >iasl.log 2>&1", dir);
    assert_int_equal(system(cmd), 0);
    static char text[1 << 14];
    snprintf(path, sizeof path, "%s/dmar.dsl", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    text[fread(text, 1, sizeof text - 1, f)] = 0;
    fclose(f);
    static const char *const want[] = {
        "Signature : \"DMAR\"",
        "Host Address Width : 26",
        "Subtable Type : 0000 [Hardware Unit Definition]",
        "Register Base Address : 00000000FED90000",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i]))
            fail_msg("iasl's DMAR has no \"%s\":\n%s", want[i], text);
    if (strstr(text, "Invalid") || strstr(text, "Incorrect checksum"))
        fail_msg("iasl complains:\n%s", text);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_linked_and_valid, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_full, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_iasl_reads_it, h_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
