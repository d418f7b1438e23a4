/*
 * virtio_dev.h — what a virtio device is whatever its transport (virtio
 * 1.2 §2, §3): device status, feature negotiation, virtqueues, and the
 * back end (virtio_blk.h, virtio_rng.h, virtio_console.h) that serves
 * them.  A transport — PCI (virtio_pci.h) or MMIO (virtio_mmio.h) — only
 * says where the registers are and how the device interrupts; the rules
 * of §2 and §3 live here once.
 *
 * Device initialization (§3.1.1) as the device sees it: reset (status 0),
 * ACKNOWLEDGE, DRIVER, features read and written, FEATURES_OK (kept only
 * if the driver accepted VIRTIO_F_VERSION_1 and nothing we did not offer),
 * queues set up and enabled, DRIVER_OK.  A driver that breaks a
 * virtqueue's rules gets DEVICE_NEEDS_RESET (§2.1.2) and a configuration-
 * change interrupt; the VMM says why in one line and goes on.
 */
#ifndef IO_VIRTIO_DEV_H
#define IO_VIRTIO_DEV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/dma.h"
#include "05-io/virtqueue.h"

#define VIRTIO_MAX_QUEUES 4

/* Device status bits (§2.1). */
#define VIRTIO_S_ACKNOWLEDGE 1
#define VIRTIO_S_DRIVER      2
#define VIRTIO_S_DRIVER_OK   4
#define VIRTIO_S_FEATURES_OK 8
#define VIRTIO_S_NEEDS_RESET 64
#define VIRTIO_S_FAILED      128

#define VIRTIO_F_VERSION_1       32
#define VIRTIO_F_ACCESS_PLATFORM 33 /* the device's DMA is translated (§6.1) */

/* The interrupt "queue" number of a configuration change. */
#define VIRTIO_IRQ_CONFIG (-1)

struct virtio_dev;

/* What a device type gives the transports. */
struct virtio_device_ops {
    const char *name;    /* "virtio-blk", in messages                    */
    uint16_t device_id;  /* virtio device ID (§5): 2 block, 3 console, 4 rng */
    uint32_t class_code; /* PCI class << 16 | subclass << 8 | prog-if    */
    uint64_t features;   /* device-type feature bits offered             */
    unsigned nqueues;    /* 1..VIRTIO_MAX_QUEUES                         */
    uint16_t queue_size; /* entries offered per queue (power of two)     */
    unsigned config_len; /* bytes of device-specific configuration       */
    /* Read len bytes of the device configuration at off (< config_len). */
    void (*config_read)(void *dev, unsigned off, uint8_t *buf, unsigned len);
    /* The driver kicked queue n: take its requests, complete them with
     * virtio_complete; a broken request ends with virtio_fail. */
    void (*notify)(void *dev, struct virtio_dev *vd, unsigned n);
    void (*reset)(void *dev);                        /* the driver reset the device; may be NULL */
    void (*print_stats)(const void *dev, FILE *out); /* --stats; may be NULL */
};

/* The transport-independent state, first member of each transport. */
struct virtio_dev {
    const struct virtio_device_ops *ops;
    void *dev;
    FILE *log;        /* where NEEDS_RESET is explained (stderr) */
    const char *prog; /* "vmm-io", in that line */
    const char *transport;
    uint64_t platform_features; /* offered besides the type's: ACCESS_PLATFORM */
    uint64_t driver_features;
    uint8_t status, generation;
    struct virtq vq[VIRTIO_MAX_QUEUES];
    /* The transport's interrupt: queue n used buffers, or VIRTIO_IRQ_CONFIG. */
    void (*interrupt)(struct virtio_dev *vd, int n);
    uint64_t notifies, interrupts, errors; /* --stats */
    uint64_t kicks_with_work;              /* notifies that found a request */
};

void virtio_dev_init(struct virtio_dev *vd, const struct guest_ram *ram,
                     const struct virtio_device_ops *ops, void *dev, FILE *log, const char *prog,
                     const char *transport, void (*interrupt)(struct virtio_dev *, int));
/* The device sits behind an IOMMU: its queues' DMA goes through dma
 * (core/dma.h), and it offers VIRTIO_F_ACCESS_PLATFORM (virtio 1.2 §6.1:
 * the driver must then give it the addresses the IOMMU maps for it). */
void virtio_dev_set_dma(struct virtio_dev *vd, const struct dma_space *dma);
/* The features offered: the device type's, VERSION_1, the ring's and the
 * platform's. */
uint64_t virtio_offered(const struct virtio_dev *vd);
/* A write of the device status (§2.1, §3.1.1): 0 resets (queues, the back
 * end; the transport resets its own registers), FEATURES_OK is dropped
 * unless the features are acceptable.  Returns true on a reset. */
bool virtio_set_status(struct virtio_dev *vd, uint8_t v);
/* The driver's features, 32 bits at a time (ignored after FEATURES_OK). */
void virtio_set_driver_features(struct virtio_dev *vd, unsigned sel, uint32_t v);
uint32_t virtio_device_features(const struct virtio_dev *vd, unsigned sel);
/* The driver kicked queue n (if it is live, the back end runs). */
void virtio_kick(struct virtio_dev *vd, unsigned n);
/* Queue n used some buffers: interrupt the driver if it wants one. */
void virtio_complete(struct virtio_dev *vd, unsigned n);
/* Queue n is broken (its err says why): DEVICE_NEEDS_RESET, one line on
 * the log, a configuration-change interrupt once the driver is up. */
void virtio_fail(struct virtio_dev *vd, unsigned n);
/* The features both sides agreed on. */
static inline bool virtio_has(const struct virtio_dev *vd, unsigned bit)
{
    return vd->driver_features >> bit & 1;
}
/* --stats: what the queues saved — interrupts the driver did not want,
 * requests that came without a doorbell of their own. */
void virtio_dev_print_stats(const struct virtio_dev *vd, FILE *out);

#endif
