/*
 * virtio_pci.h — the virtio 1.x "modern" PCI transport, driver side
 * (virtio 1.1 §4.1).
 *
 * A modern virtio PCI function describes its registers with vendor-specific
 * PCI capabilities (ID 0x09), each naming a BAR, an offset and a length
 * (§4.1.4): the common configuration (features, status, queue set-up), the
 * notification area (one address per queue to kick the device), the ISR
 * status byte (why INTx fired; reading it clears it and lowers the line)
 * and the device-specific configuration (for a block device: its size).
 * All of them are memory the driver maps; the legacy I/O BAR is not used.
 */
#ifndef GUEST_VIRTIO_PCI_H
#define GUEST_VIRTIO_PCI_H

#include <stdint.h>
#include "pci.h"
#include "virtqueue.h"

/* The common configuration structure (§4.1.4.3); 64-bit fields are
 * accessed as two 32-bit halves, low first. */
struct virtio_pci_common_cfg {
    uint32_t device_feature_select; /* which 32 bits device_feature shows */
    uint32_t device_feature;
    uint32_t driver_feature_select;
    uint32_t driver_feature;
    uint16_t config_msix_vector;
    uint16_t num_queues;
    uint8_t device_status;
    uint8_t config_generation; /* changes when the device config does */
    uint16_t queue_select;     /* the queue the fields below refer to  */
    uint16_t queue_size;
    uint16_t queue_msix_vector;
    uint16_t queue_enable;
    uint16_t queue_notify_off;
    uint32_t queue_desc_lo, queue_desc_hi;
    uint32_t queue_driver_lo, queue_driver_hi; /* the available ring */
    uint32_t queue_device_lo, queue_device_hi; /* the used ring      */
};

#define VIRTIO_ISR_QUEUE  0x1 /* a used ring moved                */
#define VIRTIO_ISR_CONFIG 0x2 /* the device configuration changed */

struct virtio_pci {
    struct pci_dev pci;
    volatile struct virtio_pci_common_cfg *common;
    volatile uint8_t *notify_base;
    uint32_t notify_len;
    uint32_t notify_mul; /* queue_notify_off x this = the queue's kick address */
    volatile uint8_t *isr;
    volatile uint8_t *device_cfg;
    uint32_t device_cfg_len;
    uint64_t bar_addr; /* the first BAR the capabilities use, for reports */
    uint64_t features; /* negotiated */
    char err[96];      /* why the last call failed */
};

/* Find the capabilities, map their BAR uncached (assigning it if firmware
 * did not), enable memory decoding and bus mastering.  0 or -1 (vp->err). */
int virtio_pci_probe(struct virtio_pci *vp, const struct pci_dev *d);
/* The initialization sequence of §3.1.1 up to FEATURES_OK: reset,
 * ACKNOWLEDGE, DRIVER, offer `wanted` & what the device offers (always
 * VERSION_1, which must be offered), FEATURES_OK, read it back. */
int virtio_pci_negotiate(struct virtio_pci *vp, uint64_t wanted);
/* Set up queue `index` with at most `max_size` entries and enable it. */
int virtio_pci_queue(struct virtio_pci *vp, struct virtqueue *vq, uint16_t index,
                     uint16_t max_size);
void virtio_pci_driver_ok(struct virtio_pci *vp);
/* Reset (status 0, §4.1.4.3.2: wait until it reads back 0); the device then
 * forgets every queue and stops using guest memory. */
void virtio_pci_reset(struct virtio_pci *vp);
void virtio_pci_fail(struct virtio_pci *vp); /* set FAILED */
uint8_t virtio_pci_status(struct virtio_pci *vp);
/* Kick: write the queue's index to its notification address (§4.1.4.4). */
void virtio_pci_notify(struct virtio_pci *vp, struct virtqueue *vq);
/* Read (and so clear) the ISR status: VIRTIO_ISR_* bits. */
uint8_t virtio_pci_isr(struct virtio_pci *vp);
/* A consistent read of a 64-bit device configuration field (§4.1.4.3.1:
 * retry while config_generation changes). */
uint64_t virtio_pci_cfg64(struct virtio_pci *vp, uint32_t off);
int virtio_pci_has(const struct virtio_pci *vp, int feature);
/* Record why something failed in vp->err; returns -1. */
int virtio_pci_error(struct virtio_pci *vp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
