/*
 * dmar_acpi.c — the DMAR table (dmar_acpi.h).
 */
#include "06-passthrough/dmar_acpi.h"

#include <stdio.h>
#include <string.h>
#include "firmware/acpi.h"
#include "firmware/firmware.h"

void dmar_build(uint8_t *t, uint64_t base, unsigned haw)
{
    memset(t, 0, DMAR_LEN);
    memcpy(t, "DMAR", 4);
    fw_put32(t + 4, DMAR_LEN);
    t[8] = 1; /* revision */
    memcpy(t + 10, ACPI_OEM_ID, 6);
    memcpy(t + 16, ACPI_OEM_TABLE, 8);
    fw_put32(t + 24, 1);
    memcpy(t + 28, "VMLB", 4);
    fw_put32(t + 32, 1);
    t[36] = (uint8_t)(haw - 1);
    t[37] = DMAR_INTR_REMAP;
    uint8_t *d = t + 48; /* the DRHD */
    fw_put16(d, 0);
    fw_put16(d + 2, 16);
    d[4] = DRHD_INCLUDE_PCI_ALL;
    d[5] = 0; /* 2^0 = one page of registers */
    fw_put16(d + 6, 0);
    fw_put64(d + 8, base);
    t[9] = fw_checksum(t, DMAR_LEN);
}

int dmar_install(struct guest_ram *ram, uint64_t base, unsigned haw, char *err, size_t errlen)
{
    uint8_t *mem = gpa_to_hva(ram, 0, FW_EXTRA_END);
    if (!mem) {
        snprintf(err, errlen, "no RAM for the DMAR table at 0x%x", DMAR_ADDR);
        return -1;
    }
    dmar_build(mem + DMAR_ADDR, base, haw);
    if (acpi_link_table(mem, DMAR_ADDR) < 0) {
        snprintf(err, errlen, "no room in the RSDT/XSDT for the DMAR table");
        return -1;
    }
    return 0;
}
