/*
 * firmware.h — what a PC BIOS leaves in memory for an operating system: the
 * Intel MultiProcessor table (mptable.h) and the ACPI tables (acpi.h), at
 * fixed addresses of the BIOS area, where an OS searches for them.
 *
 * vm_create (core/vm.c) calls firmware_install() after a Linux boot
 * (boot_info.linux); the teaching guest's Multiboot boot gets no tables
 * (it looks for none).
 * The loader's e820 map must not report 0xE0000-0xFFFFF as usable RAM
 * (Linux itself never uses 0xA0000-0xFFFFF as RAM either).
 *
 * Memory layout (common/firmware/README.md draws it):
 *
 *   0xF0000  RSDP "RSD PTR "   36 bytes   ACPI 6.4 §5.2.5
 *   0xF0040  MP floating ptr   16 bytes   MP spec 1.4 §4.1
 *   0xF0100  MP config table   PCMP       MP spec 1.4 §4.2-4.3
 *   0xF0400  FACS              64 bytes   ACPI 6.4 §5.2.10 (64-byte aligned)
 *   0xF0440  DSDT              \_S5 only  ACPI 6.4 §5.2.11.1
 *   0xF0640  FADT "FACP"       rev 3      ACPI 6.4 §5.2.9
 *   0xF0740  MADT "APIC"                  ACPI 6.4 §5.2.12
 *   0xF0900  RSDT, 0xF0940 XSDT           ACPI 6.4 §5.2.7, §5.2.8
 */
#ifndef FIRMWARE_FIRMWARE_H
#define FIRMWARE_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/guest_ram.h"

#define FW_AREA_BASE 0xE0000u /* the BIOS area an OS scans: 0xE0000-0xFFFFF */
#define FW_AREA_END  0x100000u
#define FW_RSDP      0xF0000u
#define FW_MPFP      0xF0040u
#define FW_MPC       0xF0100u
#define FW_FACS      0xF0400u
#define FW_DSDT      0xF0440u
#define FW_FADT      0xF0640u
#define FW_MADT      0xF0740u
#define FW_RSDT      0xF0900u
#define FW_XSDT      0xF0940u
#define FW_END       0xF0A00u /* the tables end below here */
#define FW_EXTRA     0xF0A00u /* a stage's own tables, linked by acpi_link_table */
#define FW_EXTRA_END 0xF1000u

/* The interrupt hardware both table families describe (their users: the
 * local APIC and IOAPIC devices must answer at these addresses with these
 * IDs and versions). */
#define FW_LAPIC_ADDR    0xFEE00000u /* SDM Vol. 3A §10.4.1, default base */
#define FW_LAPIC_VERSION 0x14        /* integrated APIC (P6 family)       */
#define FW_IOAPIC_ADDR   0xFEC00000u /* 82093AA default                   */
#define FW_IOAPIC_ID     1           /* after the CPUs' APIC IDs 0..n-1   */
#define FW_IOAPIC_VER    0x11        /* 82093AA version register          */
#define FW_IOAPIC_PINS   24          /* INTIN0-23, GSI 0-23               */
#define FW_MAX_CPUS      8

/* The ISA IRQ -> IOAPIC pin (GSI) wiring, the one both tables give:
 * identity, except IRQ0 (the PIT) on pin 2, as on every PC since the MP
 * spec's default configurations (§5.1): pin 0 is left to the 8259's INTR,
 * and IRQ2 (the 8259 cascade) has no pin of its own.  So GSI 2 = IRQ0 and
 * GSI n = IRQ n for n = 1, 3..15. */
static inline int fw_isa_irq_to_gsi(int irq) { return irq == 0 ? 2 : irq == 2 ? -1 : irq; }

struct firmware_config {
    unsigned ncpus;         /* processors, APIC IDs 0..ncpus-1 (BSP: 0)   */
    uint32_t cpu_signature; /* CPUID.1:EAX (family/model/stepping)        */
    uint32_t cpu_features;  /* CPUID.1:EDX                                */
    uint16_t pm_base;       /* the ACPI PM block (devices/acpi_pm.h)       */
    uint8_t sci_irq;        /* ISA IRQ of the SCI                          */
};

/* One CPU, CPUID of the CPU model (x86/interp.h), the PM block of
 * devices/acpi_pm.h. */
void firmware_config_default(struct firmware_config *cfg);

/* Write the MP table and the ACPI tables into guest RAM at the addresses
 * above.  0, or -1 and a message in err (RAM too small, bad config). */
int firmware_install(struct guest_ram *ram, const struct firmware_config *cfg, char *err,
                     size_t errlen);

/* The byte that makes [p, p+n) sum to 0 mod 256 when it replaces a zero
 * byte in it: the checksum rule of both specifications. */
static inline uint8_t fw_checksum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return (uint8_t)-s;
}

/* Little-endian stores into a table being built. */
static inline void fw_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void fw_put32(uint8_t *p, uint32_t v)
{
    fw_put16(p, (uint16_t)v);
    fw_put16(p + 2, (uint16_t)(v >> 16));
}
static inline void fw_put64(uint8_t *p, uint64_t v)
{
    fw_put32(p, (uint32_t)v);
    fw_put32(p + 4, (uint32_t)(v >> 32));
}

#endif
