/*
 * acpi.h — the ACPI tables of our PC (ACPI 6.4 §5.2), as few as an OS
 * needs to find the APICs and to power the machine off:
 *
 *   RSDP "RSD PTR " rev 2 (§5.2.5), on a 16-byte boundary in 0xE0000-0xFFFFF
 *    |-> RSDT (§5.2.7, 32-bit pointers) and XSDT (§5.2.8, 64-bit), each:
 *         |-> FADT "FACP" rev 3 (§5.2.9): SCI on IRQ 9, SMI_CMD 0 (always
 *         |     in ACPI mode), PM1a event/control blocks and the PM timer
 *         |     of devices/acpi_pm.h, no GPE blocks, not hardware-reduced
 *         |     |-> FACS (§5.2.10)
 *         |     |-> DSDT (§5.2.11.1): AML of Name (_S5, Package ...) only
 *         |-> MADT "APIC" (§5.2.12): local APIC address, PCAT_COMPAT, one
 *               processor local APIC per CPU, the IOAPIC (GSI base 0), the
 *               interrupt source overrides IRQ0 -> GSI 2 and IRQ9 (SCI)
 *               level/high, and the local APIC NMI on LINT1
 *
 * FADT revision 3 (ACPI 2.0, 244 bytes) with each 32-bit block address and
 * its 64-bit "X_" Generic Address Structure equal: what ACPICA (Linux's
 * drivers/acpi/acpica/tbfadt.c) expects of a non-hardware-reduced PC; it
 * warns when the two disagree.
 */
#ifndef FIRMWARE_ACPI_H
#define FIRMWARE_ACPI_H

#include <stddef.h>
#include <stdint.h>
#include "firmware/firmware.h"

#define ACPI_HDR_LEN     36 /* the System Description Table Header, §5.2.6 */
#define ACPI_RSDP_LEN    36 /* revision 2; the first 20 bytes are ACPI 1.0's */
#define ACPI_RSDP_V1_LEN 20
#define ACPI_FADT_LEN    244 /* revision 3 */
#define ACPI_FADT_REV    3
#define ACPI_FACS_LEN    64
#define ACPI_OEM_ID      "VMLAB "
#define ACPI_OEM_TABLE   "VMLABPC "

/* FADT fields we test (offsets, §5.2.9 Table 5.9). */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT          40
#define FADT_SCI_INT       46
#define FADT_SMI_CMD       48
#define FADT_PM1A_EVT_BLK  56
#define FADT_PM1A_CNT_BLK  64
#define FADT_PM_TMR_BLK    76
#define FADT_PM1_EVT_LEN   88
#define FADT_PM1_CNT_LEN   89
#define FADT_PM_TMR_LEN    91
#define FADT_BOOT_ARCH     109
#define FADT_FLAGS         112
#define FADT_X_FACS        132
#define FADT_X_DSDT        140
#define FADT_X_PM1A_EVT    148
#define FADT_X_PM1A_CNT    172
#define FADT_X_PM_TMR      208
/* FADT flags (Table 5.10). */
#define FADT_WBINVD      (1u << 0)
#define FADT_PROC_C1     (1u << 2)
#define FADT_PWR_BUTTON  (1u << 4) /* 1: no fixed-feature power button */
#define FADT_SLP_BUTTON  (1u << 5)
#define FADT_TMR_VAL_EXT (1u << 8) /* 1: 32-bit PM timer; ours is 24   */
#define FADT_HW_REDUCED  (1u << 20)
/* IA-PC boot architecture flags (Table 5.11). */
#define FADT_LEGACY_DEVICES 0x1
#define FADT_8042           0x2

/* MADT (§5.2.12): entry types and the flags we use. */
#define MADT_PCAT_COMPAT 1 /* dual 8259s present: the OS masks them */
enum { MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_LAPIC_NMI = 4 };
#define MADT_HIGH_LEVEL 0xD /* MPS INTI flags: active high, level (Table 5.26) */

/* The DSDT's AML, hand-assembled (ACPI 6.4 §20.2):
 *     DefinitionBlock ("", "DSDT", 2, "VMLAB ", "VMLABPC ", 1) {
 *         Name (_S5, Package (0x04) { 0x05, 0x05, Zero, Zero })
 *     }
 * {SLP_TYPa, SLP_TYPb, reserved, reserved}: ACPI_PM_SLP_TYP_S5. */
extern const uint8_t acpi_dsdt_aml[14];

/* Link one more table, already written at `at` (FW_EXTRA and up: a
 * stage's own, like 06-passthrough's DMAR), into the RSDT and XSDT after
 * acpi_write: both grow by one pointer and get their checksums again.
 * 0, or -1 if they are full or absent. */
int acpi_link_table(uint8_t *mem, uint32_t at);

/* Write every ACPI table at its FW_* address of low memory (mem = host
 * address of guest-physical 0, at least 1 MiB). */
void acpi_write(uint8_t *mem, const struct firmware_config *cfg);

#endif
