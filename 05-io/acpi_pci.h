/*
 * acpi_pci.h — the PCI host bridge described to an ACPI operating system.
 *
 * An ACPI OS finds PCI buses only in the namespace: Linux on x86 with ACPI
 * on scans no bus by itself (pci_acpi_init takes over from the legacy
 * probe) but binds a PCI root bridge to every device whose _HID is
 * PNP0A03 (ACPI 6.4 §6.1.5, "PCI Express / PCI host bridge").  Stage 05
 * puts PCI devices on bus 0, so it replaces the firmware's DSDT
 * (firmware/acpi.h: only \_S5) by one with the bridge:
 *
 *   DefinitionBlock ("", "DSDT", 2, "VMLAB ", "VMLABPC ", 1) {
 *     Name (_S5, Package (4) { 5, 5, 0, 0 })
 *     Scope (\_SB) {
 *       Device (PCI0) {
 *         Name (_HID, EisaId ("PNP0A03"))
 *         Name (_UID, Zero)
 *         Name (_CRS, ResourceTemplate () {      // what the bridge decodes
 *           WordBusNumber (..., 0x00, 0xFF, ...)    // buses 0-255
 *           WordIO (..., 0x0000, 0x0CF7, ...)      // all ports but
 *           WordIO (..., 0x0D00, 0xFFFF, ...)      //   0xCF8-0xCFF
 *           DWordMemory (..., mem_base, mem_end, ...)  // the BAR window
 *         })
 *         Name (_PRT, Package () {                // INTA# of each slot
 *           Package () { 0xSSSSFFFF, 0, 0, GSI }, ...
 *         })
 *       }
 *     }
 *   }
 *
 * virtio-mmio devices (virtio 1.2 §4.2) have no bus to be found on: each
 * is a device of \_SB with the _HID Linux's virtio_mmio driver matches
 * ("LNRO0005", drivers/virtio/virtio_mmio.c virtio_mmio_acpi_match) and
 * its window and interrupt in _CRS:
 *
 *       Device (VIO0) {
 *         Name (_HID, "LNRO0005")
 *         Name (_UID, 0)
 *         Name (_CRS, ResourceTemplate () {
 *           Memory32Fixed (ReadWrite, base, len)
 *           Interrupt (ResourceConsumer, Level, ActiveLow, Shared) { gsi }
 *         })
 *       }
 *
 * The _PRT entries use the "GSI" form (ACPI 6.4 §6.2.13: Source 0, the
 * Source Index is the global system interrupt), which means level-
 * triggered, active-low, shareable: how PCI INTx# is wired
 * (core/irqchip.h, irqchip_pci_intx).  The AML is hand-assembled (ACPI 6.4
 * §20.2 grammar; resource descriptors §6.4.3.5).
 */
#ifndef IO_ACPI_PCI_H
#define IO_ACPI_PCI_H

#include <stddef.h>
#include <stdint.h>
#include "core/guest_ram.h"

#define ACPI_PCI_MAX_SLOTS 8
#define ACPI_MMIO_MAX      4

struct acpi_pci_root {
    uint32_t mem_base, mem_end; /* the memory window BARs are placed in */
    unsigned nslots;
    struct {
        uint8_t slot; /* PCI device number on bus 0        */
        uint8_t gsi;  /* where its INTA# goes (GSI = ISA IRQ) */
    } route[ACPI_PCI_MAX_SLOTS];
    unsigned nmmio; /* virtio-mmio devices (virtio_mmio.h), \_SB.VIOn */
    struct {
        uint32_t base, len;
        uint8_t gsi; /* level, active-low, shared: wired as a PCI INTx# */
    } mmio[ACPI_MMIO_MAX];
};

/* Build the DSDT into buf (at most len bytes): its size, or 0 if it does
 * not fit. */
size_t acpi_pci_dsdt(uint8_t *buf, size_t len, const struct acpi_pci_root *root);
/* Replace the DSDT firmware_install wrote (firmware/firmware.h, FW_DSDT)
 * by acpi_pci_dsdt's.  0, or -1 with a reason in err. */
int acpi_pci_install(struct guest_ram *ram, const struct acpi_pci_root *root, char *err,
                     size_t errlen);

#endif
