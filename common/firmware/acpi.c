/*
 * acpi.c — RSDP, RSDT, XSDT, FADT, FACS, DSDT and MADT (acpi.h; ACPI 6.4
 * §5.2).  Each table is written at its FW_* address, then checksummed.
 */
#include "firmware/acpi.h"

#include <string.h>
#include "devices/acpi_pm.h"

// clang-format off
const uint8_t acpi_dsdt_aml[14] = {
    0x08,                   /* NameOp                                     */
    '_', 'S', '5', '_',     /* NameSeg "_S5_"                             */
    0x12,                   /* PackageOp                                  */
    0x08,                   /* PkgLength: 8 bytes from here to the end    */
    0x04,                   /* NumElements                                */
    0x0A, ACPI_PM_SLP_TYP_S5, /* BytePrefix 5: SLP_TYPa                   */
    0x0A, ACPI_PM_SLP_TYP_S5, /* BytePrefix 5: SLP_TYPb                   */
    0x00,                   /* ZeroOp: reserved                           */
    0x00,                   /* ZeroOp: reserved                           */
};
// clang-format on

/* The System Description Table Header (§5.2.6); the checksum is set last,
 * by finish(). */
static uint8_t *header(uint8_t *mem, uint32_t at, const char sig[5], uint32_t len, uint8_t rev)
{
    uint8_t *t = mem + at;
    memset(t, 0, len);
    memcpy(t, sig, 4);
    fw_put32(t + 4, len);
    t[8] = rev;
    memcpy(t + 10, ACPI_OEM_ID, 6);
    memcpy(t + 16, ACPI_OEM_TABLE, 8);
    fw_put32(t + 24, 1);       /* OEM revision     */
    memcpy(t + 28, "VMLB", 4); /* creator ID       */
    fw_put32(t + 32, 1);       /* creator revision */
    return t;
}

static void finish(uint8_t *t) { t[9] = fw_checksum(t, t[4] | t[5] << 8 | t[6] << 16); }

/* A Generic Address Structure (§5.2.3.2) for an I/O port block. */
static void put_gas_io(uint8_t *p, uint16_t port, uint8_t len)
{
    p[0] = 1;                  /* SystemIO       */
    p[1] = (uint8_t)(len * 8); /* bit width */
    p[2] = 0;                  /* bit offset     */
    p[3] = 0;                  /* access size: undefined (legacy) */
    fw_put64(p + 4, port);
}

static void write_fadt(uint8_t *mem, const struct firmware_config *cfg)
{
    uint8_t *f = header(mem, FW_FADT, "FACP", ACPI_FADT_LEN, ACPI_FADT_REV);
    uint16_t evt = (uint16_t)(cfg->pm_base + ACPI_PM1_EVT_OFF);
    uint16_t cnt = (uint16_t)(cfg->pm_base + ACPI_PM1_CNT_OFF);
    uint16_t tmr = (uint16_t)(cfg->pm_base + ACPI_PM_TMR_OFF);
    fw_put32(f + FADT_FIRMWARE_CTRL, FW_FACS);
    fw_put32(f + FADT_DSDT, FW_DSDT);
    fw_put16(f + FADT_SCI_INT, cfg->sci_irq);
    fw_put32(f + FADT_SMI_CMD, 0); /* no SMI: ACPI mode only, SCI_EN stays 1 */
    fw_put32(f + FADT_PM1A_EVT_BLK, evt);
    fw_put32(f + FADT_PM1A_CNT_BLK, cnt);
    fw_put32(f + FADT_PM_TMR_BLK, tmr);
    f[FADT_PM1_EVT_LEN] = ACPI_PM1_EVT_LEN;
    f[FADT_PM1_CNT_LEN] = ACPI_PM1_CNT_LEN;
    f[FADT_PM_TMR_LEN] = ACPI_PM_TMR_LEN;
    fw_put16(f + 96, 101);  /* P_LVL2_LAT > 100: no C2 */
    fw_put16(f + 98, 1001); /* P_LVL3_LAT > 1000: no C3 */
    f[108] = 0x32;          /* CENTURY: the MC146818's CMOS byte 0x32 */
    fw_put16(f + FADT_BOOT_ARCH, FADT_LEGACY_DEVICES | FADT_8042);
    /* Not hardware-reduced, C1 (HLT) only, 24-bit timer, no fixed power
     * or sleep button, no reset register (the VMM cannot reset a machine
     * yet: a reboot ends in the OS's fallbacks). */
    fw_put32(f + FADT_FLAGS, FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON);
    fw_put64(f + FADT_X_FACS, FW_FACS);
    fw_put64(f + FADT_X_DSDT, FW_DSDT);
    put_gas_io(f + FADT_X_PM1A_EVT, evt, ACPI_PM1_EVT_LEN);
    put_gas_io(f + FADT_X_PM1A_CNT, cnt, ACPI_PM1_CNT_LEN);
    put_gas_io(f + FADT_X_PM_TMR, tmr, ACPI_PM_TMR_LEN);
    finish(f);
}

/* FACS (§5.2.10): no checksum; the OS's waking vector and global lock. */
static void write_facs(uint8_t *mem)
{
    uint8_t *f = mem + FW_FACS;
    memset(f, 0, ACPI_FACS_LEN);
    memcpy(f, "FACS", 4);
    fw_put32(f + 4, ACPI_FACS_LEN);
    f[32] = 1; /* version: ACPI 2.0 (X_Firmware_Waking_Vector) */
}

static void write_dsdt(uint8_t *mem)
{
    uint8_t *d = header(mem, FW_DSDT, "DSDT", ACPI_HDR_LEN + sizeof acpi_dsdt_aml, 2);
    memcpy(d + ACPI_HDR_LEN, acpi_dsdt_aml, sizeof acpi_dsdt_aml);
    finish(d);
}

/* An interrupt source override (§5.2.12.5): ISA IRQ src is GSI gsi. */
static uint8_t *put_iso(uint8_t *p, uint8_t src, uint32_t gsi, uint16_t flags)
{
    p[0] = MADT_ISO;
    p[1] = 10;
    p[2] = 0; /* bus: ISA */
    p[3] = src;
    fw_put32(p + 4, gsi);
    fw_put16(p + 8, flags);
    return p + 10;
}

static void write_madt(uint8_t *mem, const struct firmware_config *cfg)
{
    uint8_t *m = header(mem, FW_MADT, "APIC", FW_RSDT - FW_MADT, 1), *p = m + 44;
    fw_put32(m + 36, FW_LAPIC_ADDR);
    fw_put32(m + 40, MADT_PCAT_COMPAT);
    for (unsigned id = 0; id < cfg->ncpus; id++, p += 8) { /* §5.2.12.2 */
        p[0] = MADT_LAPIC;
        p[1] = 8;
        p[2] = (uint8_t)id; /* ACPI processor UID */
        p[3] = (uint8_t)id; /* APIC ID            */
        fw_put32(p + 4, 1); /* enabled            */
    }
    p[0] = MADT_IOAPIC; /* §5.2.12.3 */
    p[1] = 12;
    p[2] = FW_IOAPIC_ID;
    p[3] = 0;
    fw_put32(p + 4, FW_IOAPIC_ADDR);
    fw_put32(p + 8, 0); /* GSI base */
    p += 12;
    p = put_iso(p, 0, (uint32_t)fw_isa_irq_to_gsi(0), 0); /* flags 0: conforms (edge, high) */
    p = put_iso(p, cfg->sci_irq, (uint32_t)fw_isa_irq_to_gsi(cfg->sci_irq), MADT_HIGH_LEVEL);
    p[0] = MADT_LAPIC_NMI; /* §5.2.12.7: every processor (UID 0xFF), LINT1 */
    p[1] = 6;
    p[2] = 0xFF;
    fw_put16(p + 3, 0);
    p[5] = 1;
    p += 6;
    fw_put32(m + 4, (uint32_t)(p - m));
    finish(m);
}

/* RSDT and XSDT: the same two pointers, 32 and 64 bits wide. */
static void write_roots(uint8_t *mem)
{
    static const uint32_t tables[] = { FW_FADT, FW_MADT };
    const int n = sizeof tables / sizeof tables[0];
    uint8_t *r = header(mem, FW_RSDT, "RSDT", ACPI_HDR_LEN + 4 * n, 1);
    uint8_t *x = header(mem, FW_XSDT, "XSDT", ACPI_HDR_LEN + 8 * n, 1);
    for (int i = 0; i < n; i++) {
        fw_put32(r + ACPI_HDR_LEN + 4 * i, tables[i]);
        fw_put64(x + ACPI_HDR_LEN + 8 * i, tables[i]);
    }
    finish(r);
    finish(x);
}

int acpi_link_table(uint8_t *mem, uint32_t at)
{
    uint8_t *r = mem + FW_RSDT, *x = mem + FW_XSDT;
    uint32_t rlen = r[4] | r[5] << 8, xlen = x[4] | x[5] << 8;
    if (memcmp(r, "RSDT", 4) != 0 || memcmp(x, "XSDT", 4) != 0 || FW_RSDT + rlen + 4 > FW_XSDT ||
        FW_XSDT + xlen + 8 > FW_END)
        return -1;
    fw_put32(r + rlen, at);
    fw_put32(r + 4, rlen + 4);
    fw_put64(x + xlen, at);
    fw_put32(x + 4, xlen + 8);
    r[9] = x[9] = 0;
    finish(r);
    finish(x);
    return 0;
}

/* RSDP (§5.2.5.3): checksum of the first 20 bytes (ACPI 1.0), extended
 * checksum of all 36. */
static void write_rsdp(uint8_t *mem)
{
    uint8_t *p = mem + FW_RSDP;
    memset(p, 0, ACPI_RSDP_LEN);
    memcpy(p, "RSD PTR ", 8);
    memcpy(p + 9, ACPI_OEM_ID, 6);
    p[15] = 2; /* revision: ACPI 2.0+ */
    fw_put32(p + 16, FW_RSDT);
    fw_put32(p + 20, ACPI_RSDP_LEN);
    fw_put64(p + 24, FW_XSDT);
    p[8] = fw_checksum(p, ACPI_RSDP_V1_LEN);
    p[32] = fw_checksum(p, ACPI_RSDP_LEN);
}

void acpi_write(uint8_t *mem, const struct firmware_config *cfg)
{
    write_facs(mem);
    write_dsdt(mem);
    write_fadt(mem, cfg);
    write_madt(mem, cfg);
    write_roots(mem);
    write_rsdp(mem);
}
