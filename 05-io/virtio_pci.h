/*
 * virtio_pci.h — the modern virtio-over-PCI transport (virtio 1.2 §4.1).
 *
 * A virtio device is a PCI function with vendor 0x1AF4 and device ID
 * 0x1040 + its virtio device ID (§4.1.2: 0x1042 is a block device),
 * revision 1 (modern only, no legacy I/O interface).  Its registers sit in
 * one 16 KiB memory BAR (BAR0), found by the driver through vendor-specific
 * PCI capabilities (cap ID 0x09, §4.1.4), one per structure:
 *
 *   BAR0 + 0x0000  common configuration (§4.1.4.3): features, status,
 *                  queue select / size / enable / ring addresses
 *   BAR0 + 0x1000  ISR status (§4.1.4.5): bit 0 a queue was used, bit 1 the
 *                  configuration changed; a read returns it and clears it,
 *                  which deasserts INTx
 *   BAR0 + 0x2000  device-specific configuration (§4.1.4.6)
 *   BAR0 + 0x3000  notifications (§4.1.4.4): queue n at
 *                  n * notify_off_multiplier (4), a write of n kicks it
 *
 * A fifth capability (§4.1.4.9, PCI configuration access) is a window on
 * BAR0 through configuration space, for drivers that cannot map the BAR.
 *
 * The interrupt is MSI-X where the VMM enables it (virtio_pci_enable_msix:
 * a vector for configuration changes and one per queue, chosen by the
 * driver through config_msix_vector and queue_msix_vector, §4.1.5.1.2),
 * and INTx otherwise (PCI INTA#, pin 1; a driver without MSI-X falls back
 * to it, Linux: vp_find_vqs_intx; so does Linux without an APIC).  The line
 * is level-triggered: asserted while the ISR is not 0 (and the Command
 * register's Interrupt Disable bit is clear), mirrored in the PCI Status
 * register's Interrupt Status bit (PCI 3.0 §6.2.3).
 *
 * Status, features and queues are the transport-independent virtio_dev
 * (virtio_dev.h); this is where they sit in BAR0 and how INTx/MSI-X go.
 */
#ifndef IO_VIRTIO_PCI_H
#define IO_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/irq.h"
#include "devices/pci_host.h"
#include "05-io/msix.h"
#include "05-io/virtio_dev.h"

#define VIRTIO_PCI_VENDOR   0x1AF4
#define VIRTIO_PCI_DEVICE0  0x1040 /* + the virtio device ID (§4.1.2.1) */
#define VIRTIO_PCI_BAR_SIZE 0x4000

/* Where each structure sits in BAR0. */
#define VP_COMMON_OFF        0x0000
#define VP_COMMON_LEN        0x38 /* struct virtio_pci_common_cfg, §4.1.4.3 */
#define VP_ISR_OFF           0x1000
#define VP_DEVICE_OFF        0x2000
#define VP_NOTIFY_OFF        0x3000
#define VP_NOTIFY_MULT       4
#define VP_MSIX_TABLE        0x3800 /* MSI-X table (msix.h), if enabled */
#define VP_MSIX_PBA          0x3C00 /* and its pending bits */
#define VIRTIO_MSI_NO_VECTOR 0xFFFF

struct virtio_pci {
    struct virtio_dev vd; /* status, features, queues, the back end */
    struct pci_function *pci;
    struct irq_line irq; /* INTA# as an ISA line of the board */
    uint32_t dev_feature_sel, drv_feature_sel;
    uint8_t isr;
    bool line; /* INTx asserted now */
    uint16_t queue_sel;
    struct msix msix; /* with virtio_pci_enable_msix; else f == NULL */
    uint16_t config_vector, queue_vector[VIRTIO_MAX_QUEUES]; /* MSI-X entries */
    /* What --stats shows: each register access is a trap (an EPT
     * misconfiguration exit under VT-x), a notify is the doorbell. */
    uint64_t reads, writes, isr_reads;
};

/* Put device ops/dev on bus at devfn, its BAR0 at bar0 (as firmware would
 * assign it) and INTA# on irq (irq.irq is written to Interrupt Line).
 * 0, or -1 (slot taken). */
int virtio_pci_init(struct virtio_pci *vp, struct pci_host *bus, unsigned devfn, uint32_t bar0,
                    const struct guest_ram *ram, const struct virtio_device_ops *ops, void *dev,
                    struct irq_line irq, FILE *log, const char *prog);
/* Offer MSI-X (msix.h) with a vector per queue and one for configuration
 * changes; send delivers a message (core/vm.h vm_msi). */
void virtio_pci_enable_msix(struct virtio_pci *vp,
                            void (*send)(void *ctx, uint32_t addr, uint32_t data), void *ctx);
/* Does vp decode guest-physical address gpa now (memory space on, inside
 * BAR0)?  Then *off is the offset in BAR0. */
bool virtio_pci_decodes(const struct virtio_pci *vp, uint64_t gpa, uint64_t *off);
/* An access to BAR0 at off (an iobus handler's shape; dev = vp). */
void virtio_pci_bar_io(void *dev, uint64_t off, uint8_t size, bool is_write, uint32_t *value);
/* --stats: one line of counts. */
void virtio_pci_print_stats(const struct virtio_pci *vp, FILE *out);

#endif
