/*
 * dmar_acpi.h — the ACPI DMA Remapping table (VT-d §8), how an OS learns
 * that the platform has remapping hardware and where:
 *
 *   "DMAR" header (ACPI 6.4 §5.2.6), revision 1
 *   offset 36  Host Address Width   HAW - 1 (the widest DMA address)
 *   offset 37  Flags                bit 0 INTR_REMAP: interrupt remapping
 *                                   is supported (§8.1)
 *   offset 48  remapping structures, here one DRHD (§8.3):
 *       u16 type 0, u16 length, u8 flags (bit 0 INCLUDE_PCI_ALL: every
 *       PCI device of the segment is behind this unit), u8 size (2^N
 *       pages of registers), u16 segment, u64 register base address,
 *       then device scopes (§8.3.1; none with INCLUDE_PCI_ALL here: the
 *       I/O APIC, which such a scope would name, is not remapped)
 *
 * It lives in the BIOS area with the firmware's tables (FW_EXTRA,
 * firmware/firmware.h) and is linked into the RSDT and XSDT.
 */
#ifndef PT_DMAR_ACPI_H
#define PT_DMAR_ACPI_H

#include <stddef.h>
#include <stdint.h>
#include "core/guest_ram.h"

#define DMAR_ADDR            0xF0A00u /* FW_EXTRA */
#define DMAR_LEN             64       /* header 48 + one DRHD of 16 */
#define DMAR_INTR_REMAP      0x1
#define DRHD_INCLUDE_PCI_ALL 0x1

/* Build the table for one unit at base into buf (DMAR_LEN bytes). */
void dmar_build(uint8_t *buf, uint64_t base, unsigned haw);
/* Write it at DMAR_ADDR and link it (firmware/acpi.h acpi_link_table): the
 * firmware tables must be there.  0, or -1 with a reason. */
int dmar_install(struct guest_ram *ram, uint64_t base, unsigned haw, char *err, size_t errlen);

#endif
