/*
 * virtio_mmio.h — the virtio-over-MMIO transport (virtio 1.2 §4.2), the
 * "version 2" (modern) register layout.
 *
 * No bus, no enumeration: a device is a 512-byte window of 32-bit
 * registers at an address the platform tells the OS (a device tree node,
 * an ACPI device with _HID "LNRO0005", or Linux's command line
 * `virtio_mmio.device=<size>@<base>:<irq>`), and one interrupt line.
 *
 *   0x000 MagicValue         R  0x74726976 ("virt")
 *   0x004 Version            R  2 (1 was the legacy layout)
 *   0x008 DeviceID           R  virtio device ID (§5), 0 = none here
 *   0x00c VendorID           R
 *   0x010 DeviceFeatures     R  32 bits of the offered features, chosen by
 *   0x014 DeviceFeaturesSel  W    this (0: bits 0-31, 1: 32-63)
 *   0x020 DriverFeatures     W  and the driver's, chosen by
 *   0x024 DriverFeaturesSel  W
 *   0x030 QueueSel           W  the queue the next registers are about
 *   0x034 QueueNumMax        R  its largest size (0: no such queue)
 *   0x038 QueueNum           W  the size the driver chose
 *   0x044 QueueReady         RW 1 = live (the rings are checked then)
 *   0x050 QueueNotify        W  the doorbell: the queue's index
 *   0x060 InterruptStatus    R  bit 0 used buffers, bit 1 config change
 *   0x064 InterruptACK       W  clears those bits
 *   0x070 Status             RW device status (§2.1), 0 resets
 *   0x080 QueueDescLow/High  W  the descriptor table (0x080, 0x084)
 *   0x090 QueueDriverLow/High W the available ring (0x090, 0x094)
 *   0x0a0 QueueDeviceLow/High W the used ring (0x0a0, 0x0a4)
 *   0x0fc ConfigGeneration   R
 *   0x100 Config             RW device-specific configuration
 *
 * The interrupt line is level-triggered: asserted while InterruptStatus
 * is not 0; the driver reads it, writes the bits to InterruptACK, and the
 * line drops.  Here it is wired like a PCI INTx# (active-low at the I/O
 * APIC, through an inverter to the 8259, core/irqchip.h) so the ACPI
 * description can say "level, active-low, shared" as for PCI.
 */
#ifndef IO_VIRTIO_MMIO_H
#define IO_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/irq.h"
#include "05-io/virtio_dev.h"

#define VIRTIO_MMIO_MAGIC   0x74726976u
#define VIRTIO_MMIO_VERSION 2
#define VIRTIO_MMIO_VENDOR  0x1AF4 /* any value; the PCI vendor ID of virtio */
#define VIRTIO_MMIO_SIZE    0x200  /* registers and configuration */

enum {
    VM_MAGIC = 0x000,
    VM_VERSION = 0x004,
    VM_DEVICE_ID = 0x008,
    VM_VENDOR_ID = 0x00c,
    VM_DEV_FEATURES = 0x010,
    VM_DEV_FEATURES_SEL = 0x014,
    VM_DRV_FEATURES = 0x020,
    VM_DRV_FEATURES_SEL = 0x024,
    VM_QUEUE_SEL = 0x030,
    VM_QUEUE_NUM_MAX = 0x034,
    VM_QUEUE_NUM = 0x038,
    VM_QUEUE_READY = 0x044,
    VM_QUEUE_NOTIFY = 0x050,
    VM_INT_STATUS = 0x060,
    VM_INT_ACK = 0x064,
    VM_STATUS = 0x070,
    VM_QUEUE_DESC_LO = 0x080,
    VM_QUEUE_DESC_HI = 0x084,
    VM_QUEUE_DRIVER_LO = 0x090,
    VM_QUEUE_DRIVER_HI = 0x094,
    VM_QUEUE_DEVICE_LO = 0x0a0,
    VM_QUEUE_DEVICE_HI = 0x0a4,
    VM_CONFIG_GEN = 0x0fc,
    VM_CONFIG = 0x100,
};

#define VIRTIO_MMIO_INT_VRING  1
#define VIRTIO_MMIO_INT_CONFIG 2

struct virtio_mmio {
    struct virtio_dev vd; /* status, features, queues, the back end */
    uint64_t base;        /* where the window is (for messages)     */
    struct irq_line irq;
    bool line; /* asserted now */
    uint32_t int_status;
    uint32_t dev_feature_sel, drv_feature_sel, queue_sel;
    uint64_t reads, writes, bad; /* --stats; bad: accesses to no register */
};

/* A device at base (the machine puts it on the MMIO bus with
 * virtio_mmio_io), interrupting on irq. */
void virtio_mmio_init(struct virtio_mmio *vm, uint64_t base, const struct guest_ram *ram,
                      const struct virtio_device_ops *ops, void *dev, struct irq_line irq,
                      FILE *log, const char *prog);
/* An access at off in the window (an iobus handler; dev = vm). */
void virtio_mmio_io(void *dev, uint64_t off, uint8_t size, bool is_write, uint32_t *value);
void virtio_mmio_print_stats(const struct virtio_mmio *vm, FILE *out);

#endif
