/*
 * virtio_mmio.h — the virtio-over-MMIO transport, driver side (virtio 1.1
 * §4.2, the version 2 register layout).
 *
 * A virtio-mmio device is a window of 32-bit registers (MagicValue
 * "virt", Version 2, DeviceID, features, queue set-up, QueueNotify,
 * InterruptStatus/ACK, Status, then the device configuration at 0x100)
 * and an interrupt line.  Nothing enumerates them: the platform says
 * where they are.  This kernel learns them from its command line, in
 * Linux's syntax (Documentation/admin-guide/kernel-parameters.txt):
 *
 *     virtio_mmio.device=<size>@<base>[:<irq>]     e.g. 4K@0xd0000000:11
 *
 * size in bytes with an optional K or M, base in hex (0x) or decimal, one
 * key per device (vmm-io --virtio mmio puts them there).
 */
#ifndef GUEST_VIRTIO_MMIO_H
#define GUEST_VIRTIO_MMIO_H

#include <stdint.h>
#include "virtqueue.h"

#define VIRTIO_MMIO_MAX 8

/* Register offsets (§4.2.2). */
#define VMMIO_MAGIC           0x000
#define VMMIO_VERSION         0x004
#define VMMIO_DEVICE_ID       0x008
#define VMMIO_DEV_FEATURES    0x010
#define VMMIO_DEV_FEATURES_S  0x014
#define VMMIO_DRV_FEATURES    0x020
#define VMMIO_DRV_FEATURES_S  0x024
#define VMMIO_QUEUE_SEL       0x030
#define VMMIO_QUEUE_NUM_MAX   0x034
#define VMMIO_QUEUE_NUM       0x038
#define VMMIO_QUEUE_READY     0x044
#define VMMIO_QUEUE_NOTIFY    0x050
#define VMMIO_INT_STATUS      0x060
#define VMMIO_INT_ACK         0x064
#define VMMIO_STATUS          0x070
#define VMMIO_QUEUE_DESC_LO   0x080
#define VMMIO_QUEUE_DESC_HI   0x084
#define VMMIO_QUEUE_DRIVER_LO 0x090
#define VMMIO_QUEUE_DRIVER_HI 0x094
#define VMMIO_QUEUE_DEVICE_LO 0x0a0
#define VMMIO_QUEUE_DEVICE_HI 0x0a4
#define VMMIO_CONFIG_GEN      0x0fc
#define VMMIO_CONFIG          0x100
#define VIRTIO_MMIO_MAGIC     0x74726976u /* "virt" */

/* Where a device is, as the command line said. */
struct virtio_mmio_loc {
    uint32_t base, size;
    int irq; /* -1: none given */
};

/* A `virtio_mmio.device=` value: 0, or -1 if malformed or too many. */
int virtio_mmio_add(const char *spec);
int virtio_mmio_count(void);
const struct virtio_mmio_loc *virtio_mmio_at(int i);

struct virtio_mmio {
    struct virtio_mmio_loc loc;
    volatile uint8_t *regs;
    uint32_t device_id;
};

/* Map device i and check MagicValue and Version 2.  0, or -1 (a reason
 * in err, len bytes). */
int virtio_mmio_probe(struct virtio_mmio *m, int i, char *err, uint32_t len);
uint32_t virtio_mmio_read(const struct virtio_mmio *m, uint32_t off);
void virtio_mmio_write(const struct virtio_mmio *m, uint32_t off, uint32_t v);
/* Set up queue `index` (QueueSel, QueueNum, the three addresses,
 * QueueReady, §4.2.3.2); the kick address is QueueNotify.  0, or -1 if
 * the device has no such queue or it is already live. */
int virtio_mmio_queue(struct virtio_mmio *m, struct virtqueue *vq, uint16_t index,
                      uint16_t max_size, int event_idx);

#endif
