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
 * Device initialization (§3.1.1) as the device sees it: reset (status 0),
 * ACKNOWLEDGE, DRIVER, features read and written, FEATURES_OK (kept only
 * if the driver accepted VIRTIO_F_VERSION_1 and nothing we did not offer),
 * queues set up and enabled, DRIVER_OK.  A driver that breaks a virtqueue's
 * rules gets DEVICE_NEEDS_RESET (§2.1.2) and a configuration-change
 * interrupt; the VMM says why in one line and goes on.
 */
#ifndef IO_VIRTIO_PCI_H
#define IO_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/irq.h"
#include "devices/pci_host.h"
#include "05-io/msix.h"
#include "05-io/virtqueue.h"

#define VIRTIO_PCI_VENDOR   0x1AF4
#define VIRTIO_PCI_DEVICE0  0x1040 /* + the virtio device ID (§4.1.2.1) */
#define VIRTIO_PCI_BAR_SIZE 0x4000
#define VIRTIO_MAX_QUEUES   4

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

/* Device status bits (§2.1). */
#define VIRTIO_S_ACKNOWLEDGE 1
#define VIRTIO_S_DRIVER      2
#define VIRTIO_S_DRIVER_OK   4
#define VIRTIO_S_FEATURES_OK 8
#define VIRTIO_S_NEEDS_RESET 64
#define VIRTIO_S_FAILED      128

#define VIRTIO_F_VERSION_1       32
#define VIRTIO_F_ACCESS_PLATFORM 33 /* the device's DMA is translated (§6) */

struct virtio_pci;

/* What a device type (virtio_blk.h, ...) gives the transport. */
struct virtio_device_ops {
    const char *name;    /* "virtio-blk", in messages                    */
    uint16_t device_id;  /* virtio device ID (§5): 2 = block             */
    uint32_t class_code; /* PCI class << 16 | subclass << 8 | prog-if    */
    uint64_t features;   /* device-type feature bits offered             */
    unsigned nqueues;    /* 1..VIRTIO_MAX_QUEUES                         */
    uint16_t queue_size; /* entries offered per queue (power of two)     */
    unsigned config_len; /* bytes of device-specific configuration       */
    /* Read len bytes of the device configuration at off (< config_len). */
    void (*config_read)(void *dev, unsigned off, uint8_t *buf, unsigned len);
    /* The driver kicked queue n: take its requests, complete them with
     * virtio_pci_complete; a broken request ends with virtio_pci_fail. */
    void (*notify)(void *dev, struct virtio_pci *vp, unsigned n);
    void (*reset)(void *dev); /* the driver reset the device; may be NULL */
};

struct virtio_pci {
    const struct virtio_device_ops *ops;
    void *dev;
    struct pci_function *pci;
    struct irq_line irq; /* INTA# as an ISA line of the board */
    FILE *log;           /* where NEEDS_RESET is explained (stderr) */
    const char *prog;    /* "vmm-io", in that line */
    uint64_t driver_features;
    uint32_t dev_feature_sel, drv_feature_sel;
    uint8_t status, isr, generation;
    bool line; /* INTx asserted now */
    uint16_t queue_sel;
    struct virtq vq[VIRTIO_MAX_QUEUES];
    uint64_t platform_features; /* offered besides the device's: ACCESS_PLATFORM */
    struct msix msix;           /* with virtio_pci_enable_msix; else f == NULL */
    uint16_t config_vector, queue_vector[VIRTIO_MAX_QUEUES]; /* MSI-X entries */
    /* What --stats shows: each register access is a trap (an EPT
     * misconfiguration exit under VT-x), a notify is the doorbell. */
    uint64_t reads, writes, notifies, interrupts, isr_reads, errors;
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
/* The device sits behind an IOMMU: its queues' DMA goes through dma
 * (core/dma.h), and it offers VIRTIO_F_ACCESS_PLATFORM (virtio 1.2 §6.1:
 * the driver must then give it the addresses the IOMMU maps for it). */
void virtio_pci_set_dma(struct virtio_pci *vp, const struct dma_space *dma);
/* Does vp decode guest-physical address gpa now (memory space on, inside
 * BAR0)?  Then *off is the offset in BAR0. */
bool virtio_pci_decodes(const struct virtio_pci *vp, uint64_t gpa, uint64_t *off);
/* An access to BAR0 at off (an iobus handler's shape; dev = vp). */
void virtio_pci_bar_io(void *dev, uint64_t off, uint8_t size, bool is_write, uint32_t *value);
/* Queue n used some buffers: interrupt the driver if it wants one. */
void virtio_pci_complete(struct virtio_pci *vp, unsigned n);
/* Queue n is broken (its err says why): DEVICE_NEEDS_RESET, one line on
 * the log, a configuration-change interrupt once the driver is up. */
void virtio_pci_fail(struct virtio_pci *vp, unsigned n);
/* The features both sides agreed on. */
static inline bool virtio_has(const struct virtio_pci *vp, unsigned bit)
{
    return vp->driver_features >> bit & 1;
}
/* --stats: one line of counts. */
void virtio_pci_print_stats(const struct virtio_pci *vp, FILE *out);

#endif
