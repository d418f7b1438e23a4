/*
 * virtio.h — what every virtio device shares, whatever its transport
 * (Virtual I/O Device (VIRTIO) Version 1.1, OASIS, §2.1 device status,
 * §6 reserved feature bits).  virtio_pci.h is the PCI transport,
 * virtqueue.h the split virtqueue, virtio_blk.h the block device.
 */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H

/* Device status (§2.1): the driver sets these bits one after the other
 * (§3.1.1); writing 0 resets the device. */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01 /* the OS found the device        */
#define VIRTIO_STATUS_DRIVER      0x02 /* ... and has a driver for it    */
#define VIRTIO_STATUS_DRIVER_OK   0x04 /* the driver is ready to go      */
#define VIRTIO_STATUS_FEATURES_OK 0x08 /* feature negotiation is over    */
#define VIRTIO_STATUS_NEEDS_RESET 0x40 /* the device gave up (set by it) */
#define VIRTIO_STATUS_FAILED      0x80 /* the driver gave up             */

/* Feature bits of the transport and the rings (§6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29 /* used_event / avail_event (§2.6.7, §2.6.10) */
#define VIRTIO_F_VERSION_1     32 /* a virtio 1.x device, not legacy 0.9.5      */

/* PCI identity (§4.1.2): vendor 0x1AF4, device 0x1040 + the virtio device
 * ID for a modern-only device, 0x1000-0x103F for a transitional one. */
#define VIRTIO_PCI_VENDOR     0x1AF4
#define VIRTIO_PCI_MODERN_ID0 0x1040
#define VIRTIO_ID_BLOCK       2 /* §5: device IDs */
#define VIRTIO_ID_CONSOLE     3
#define VIRTIO_ID_RNG         4

#endif
