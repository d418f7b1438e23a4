/*
 * acpi.h — finding ACPI tables the way an OS does (ACPI 6.4 §5.2), and the
 * DMA Remapping table "DMAR" that describes a VT-d IOMMU (Intel VT-d
 * specification §8.1-§8.3).
 *
 *   RSDP "RSD PTR " on a 16-byte boundary in the first KiB of the EBDA or in
 *   0xE0000-0xFFFFF (§5.2.5.1), checksummed (§5.2.5.3)
 *    |-> RSDT (32-bit pointers, §5.2.7) or, revision >= 2, XSDT (64-bit, §5.2.8)
 *         |-> tables, each a 36-byte header "SIGN" length ... (§5.2.6)
 *
 * The kernel reads the tables in place: firmware puts them in reserved RAM
 * below MM_LIMIT, which the identity map covers.  A table outside it is
 * treated as absent.
 */
#ifndef GUEST_ACPI_H
#define GUEST_ACPI_H

#include <stdint.h>

#define ACPI_HDR_LEN 36

/* The table with this 4-character signature, checksum verified; 0 if the
 * machine has no RSDP or no such table.  *rsdp_found (may be 0) tells the
 * two apart. */
const uint8_t *acpi_find(const char sig[4], int *rsdp_found);

/* A DMA-remapping hardware unit definition, DRHD (VT-d §8.3). */
struct acpi_drhd {
    uint64_t base; /* register base address (4 KiB aligned)              */
    uint16_t segment;
    uint8_t flags;      /* bit 0 INCLUDE_PCI_ALL: every device not listed by */
                        /* another unit's scope is behind this one           */
    uint8_t haw;        /* the DMAR's host address width, in bits (N + 1)     */
    uint8_t dmar_flags; /* bit 0 INTR_REMAP, bit 1 X2APIC_OPT_OUT (§8.1)  */
};

/* The first DRHD of the DMAR table.  0 and *out filled; -1 no RSDP, -2 no
 * DMAR table, -3 a DMAR without a DRHD. */
int acpi_dmar_drhd(struct acpi_drhd *out);

#endif
