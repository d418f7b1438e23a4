/*
 * virtio_dev.h — a virtio device whatever its transport, driver side:
 * the initialization sequence of §3.1.1, queues, the doorbell and the
 * interrupt's cause, over the modern PCI transport (virtio_pci.h) or
 * virtio-mmio (virtio_mmio.h).  A driver written against this (the
 * entropy driver, virtio_rng.h) runs on either.
 */
#ifndef GUEST_VIRTIO_DEV_H
#define GUEST_VIRTIO_DEV_H

#include <stdint.h>
#include "virtio_mmio.h"
#include "virtio_pci.h"
#include "virtqueue.h"

struct vdev {
    int mmio; /* 1: virtio-mmio, 0: PCI */
    struct virtio_pci pci;
    struct virtio_mmio m;
    int irq;           /* 8259 line, -1 if none */
    uint32_t where;    /* PCI: bus << 16 | dev << 8 | fn; MMIO: the base */
    uint64_t features; /* negotiated */
    char err[96];
};

/* The first device with virtio device ID `id`: PCI bus 0 first (modern
 * ID 0x1040 + id), then the command line's virtio-mmio devices.  1 found
 * (and probed), 0 none, -1 found but unusable (d->err). */
int vdev_find(struct vdev *d, uint16_t id);
/* The PCI function p (a transitional ID, say): 0 or -1 (d->err). */
int vdev_probe_pci(struct vdev *d, const struct pci_dev *p);
/* Reset, ACKNOWLEDGE, DRIVER, features (wanted & offered, always
 * VERSION_1), FEATURES_OK read back.  0 or -1 (d->err). */
int vdev_negotiate(struct vdev *d, uint64_t wanted);
int vdev_queue(struct vdev *d, struct virtqueue *vq, uint16_t index, uint16_t max_size);
void vdev_driver_ok(struct vdev *d);
void vdev_reset(struct vdev *d);
void vdev_fail(struct vdev *d); /* set FAILED: the driver gives up */
uint8_t vdev_status(struct vdev *d);
/* Kick queue vq (QueueNotify, or the PCI notify address). */
void vdev_notify(struct vdev *d, struct virtqueue *vq);
/* Why the line is up, acknowledged: VIRTIO_ISR_QUEUE / VIRTIO_ISR_CONFIG
 * (the PCI ISR read clears it; virtio-mmio's InterruptStatus is written
 * back to InterruptACK, §4.2.3.4). */
uint8_t vdev_ack(struct vdev *d);
int vdev_has(const struct vdev *d, int feature);
/* Bytes of device-specific configuration (PCI: the capability's length;
 * MMIO: what the window holds past 0x100). */
uint32_t vdev_cfg_len(const struct vdev *d);
/* A consistent read of a 32- or 64-bit configuration field (retried
 * while the configuration generation changes, §2.4.1); 0 if out of range. */
uint32_t vdev_cfg32(struct vdev *d, uint32_t off);
uint64_t vdev_cfg64(struct vdev *d, uint32_t off);
/* Record why something failed in d->err; returns -1. */
int vdev_error(struct vdev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *vdev_transport(const struct vdev *d);

#endif
