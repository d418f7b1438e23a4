/*
 * pci.h — PCI configuration space through configuration mechanism #1
 * (ports 0xCF8/0xCFC), bus 0 only, as the PC's host bridge offers it
 * (PCI Local Bus Specification 3.0 §3.2.2.3.2).
 *
 * Software finds a device by reading the Vendor ID of every device and
 * function: 0xFFFF (the master abort of an unclaimed cycle) means nobody
 * is there (§6.2.1).  A Base Address Register tells where a device's
 * registers live and, written with all ones, how large they are
 * (§6.2.5.1).  Optional features are a linked list of capabilities from
 * the pointer at 0x34 (§6.7).
 */
#ifndef GUEST_PCI_H
#define GUEST_PCI_H

#include <stdint.h>

/* Type 0 header offsets (§6.1, Figure 6-1). */
#define PCI_VENDOR_ID   0x00
#define PCI_DEVICE_ID   0x02
#define PCI_COMMAND     0x04
#define PCI_STATUS      0x06
#define PCI_HEADER_TYPE 0x0E /* bit 7: multi-function device        */
#define PCI_BAR0        0x10 /* six BARs, 0x10-0x24                 */
#define PCI_CAP_PTR     0x34 /* first capability, if Status bit 4   */
#define PCI_INT_LINE    0x3C /* the 8259 line firmware routed INTx to */
#define PCI_INT_PIN     0x3D /* 1-4 = INTA#-INTD#, 0 = none          */

#define PCI_CMD_IO         0x0001 /* decode the I/O BARs                   */
#define PCI_CMD_MEM        0x0002 /* decode the memory BARs                */
#define PCI_CMD_MASTER     0x0004 /* bus master: the device may DMA        */
#define PCI_CMD_INTX_OFF   0x0400 /* Interrupt Disable: INTx# not asserted */
#define PCI_STATUS_CAPLIST 0x0010

struct pci_dev {
    uint8_t bus, dev, fn;
    uint16_t vendor, device;
    uint8_t irq_line, irq_pin; /* irq_line 0xFF: not routed */
};

/* A BAR as the all-ones write describes it. */
struct pci_bar {
    uint64_t base; /* bus address, 0 = not assigned by firmware */
    uint64_t size; /* 0 = the BAR is not implemented            */
    int io;        /* I/O space, else memory                    */
    int mem64;     /* a 64-bit memory BAR (takes two slots)     */
};

uint32_t pci_read32(const struct pci_dev *d, uint8_t off);
uint16_t pci_read16(const struct pci_dev *d, uint8_t off);
uint8_t pci_read8(const struct pci_dev *d, uint8_t off);
void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v);
void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v);

/* Scan bus 0 for the first function with this vendor and one of the
 * device IDs in [dev_lo, dev_hi]; 0 and *out filled, or -1. */
int pci_find(uint16_t vendor, uint16_t dev_lo, uint16_t dev_hi, struct pci_dev *out);
/* Size BAR n (decoding off meanwhile); -1 if n is out of range. */
int pci_bar_probe(const struct pci_dev *d, int n, struct pci_bar *bar);
/* Give an unassigned memory BAR an address, as firmware would: a VMM
 * that boots the kernel directly runs no BIOS to do it. */
void pci_bar_assign(const struct pci_dev *d, int n, struct pci_bar *bar);
/* Offset of the next capability with ID `id` after offset `from` (0: from
 * the start of the list), 0 if none.  A list that loops or points into the
 * header ends the walk. */
uint8_t pci_cap_find(const struct pci_dev *d, uint8_t id, uint8_t from);

#endif
