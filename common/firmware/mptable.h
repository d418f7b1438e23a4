/*
 * mptable.h — the Intel MultiProcessor Specification 1.4 tables: how an OS
 * without ACPI (Linux with acpi=off) finds the processors, the buses, the
 * IOAPIC and the wiring of every ISA interrupt.
 *
 *   MP floating pointer "_MP_" (16 bytes, §4.1), on a 16-byte boundary in
 *   0xF0000-0xFFFFF  --->  MP configuration table "PCMP" (§4.2): header,
 *   then entries sorted by type (§4.3):
 *     0 processor      BSP, enabled, APIC ID 0 (and APs 1..n-1)
 *     1 bus            bus 0 "PCI", bus 1 "ISA"
 *     2 I/O APIC       ID FW_IOAPIC_ID, version 0x11, at 0xFEC00000
 *     3 I/O interrupt  ISA IRQ 0 -> INTIN2, IRQ 1, 3-15 -> INTIN 1, 3-15
 *                      (fw_isa_irq_to_gsi); IRQ 9, the ACPI SCI, is
 *                      level-triggered active high, the others conform
 *                      to the ISA bus (edge, active high)
 *     4 local int.     ExtINT on LINT0 (the 8259), NMI on LINT1, all CPUs
 *
 * Feature byte 2 has IMCRP clear: the 8259 reaches the BSP in virtual
 * wire mode through LINT0 (§3.6.2.2), there is no IMCR to switch.
 */
#ifndef FIRMWARE_MPTABLE_H
#define FIRMWARE_MPTABLE_H

#include <stddef.h>
#include <stdint.h>
#include "firmware/firmware.h"

#define MP_SPEC_REV   4 /* MP spec 1.4 */
#define MP_BUS_PCI    0 /* bus IDs: a PCI bus's ID is its bus number */
#define MP_BUS_ISA    1
#define MP_HEADER_LEN 44
#define MP_PROC_LEN   20
#define MP_ENTRY_LEN  8 /* every other entry type */

/* Entry types (§4.3, Table 4-3) and interrupt types (Table 4-9). */
enum { MP_PROC, MP_BUS, MP_IOAPIC, MP_IOINT, MP_LINT };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };
/* I/O interrupt flags (Table 4-10): polarity bits 1:0, trigger bits 3:2. */
#define MP_IRQ_CONFORM    0x0
#define MP_IRQ_HIGH_LEVEL 0xD /* polarity 01 active high, trigger 11 level */

/* Write the floating pointer at FW_MPFP and the configuration table at
 * FW_MPC of low memory (mem = host address of guest-physical 0, at least
 * 1 MiB).  Returns the configuration table's length. */
size_t mptable_write(uint8_t *mem, const struct firmware_config *cfg);

#endif
