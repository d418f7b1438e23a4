/*
 * virtio_pci.c — the modern virtio PCI transport (virtio 1.1 §4.1), with
 * the device initialization sequence of §3.1.1.
 */
#include "virtio_pci.h"
#include "mm.h"
#include "virtio.h"
#include "../user/format.h"
#include <stdarg.h>

#define PCI_CAP_ID_VNDR 0x09

/* cfg_type of a virtio capability (§4.1.4) */
#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_ISR    3
#define VIRTIO_PCI_CAP_DEVICE 4

/* struct virtio_pci_cap: vndr, next, len, cfg_type, bar, id, pad[2],
 * offset, length; the notify capability adds notify_off_multiplier. */
#define CAP_TYPE     3
#define CAP_BAR      4
#define CAP_OFFSET   8
#define CAP_LENGTH   12
#define CAP_NOTIFY_M 16

int virtio_pci_error(struct virtio_pci *vp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnformat(vp->err, sizeof vp->err, fmt, ap);
    va_end(ap);
    return -1;
}

/* Map BAR n once; its virtual address, or 0 (vp->err says why). */
static volatile uint8_t *map_bar(struct virtio_pci *vp, int n, volatile uint8_t *bars[6],
                                 uint32_t sizes[6])
{
    if (bars[n])
        return bars[n];
    struct pci_bar bar;
    if (pci_bar_probe(&vp->pci, n, &bar) || !bar.size || bar.io) {
        virtio_pci_error(vp, "BAR%d is not a memory BAR", n);
        return 0;
    }
    if (!bar.base || bar.base + bar.size > 0x100000000ull)
        pci_bar_assign(&vp->pci, n, &bar); /* no firmware, or above 4 GiB */
    if (!bar.base || bar.base + bar.size > 0x100000000ull) {
        virtio_pci_error(vp, "BAR%d (%llu bytes) has no address below 4 GiB", n, bar.size);
        return 0;
    }
    bars[n] = mm_map_mmio(bar.base, (uint32_t)bar.size);
    sizes[n] = (uint32_t)bar.size;
    if (!bars[n])
        virtio_pci_error(vp, "BAR%d: the kernel's MMIO window is full", n);
    if (!vp->bar_addr)
        vp->bar_addr = bar.base;
    return bars[n];
}

int virtio_pci_probe(struct virtio_pci *vp, const struct pci_dev *d)
{
    volatile uint8_t *bars[6] = { 0 };
    uint32_t sizes[6] = { 0 };
    volatile uint8_t *found[5] = { 0 };
    uint32_t lens[5] = { 0 };
    *vp = (struct virtio_pci){ .pci = *d };

    /* Walk the vendor capabilities; the first usable one of each type wins
     * (§4.1.4.1: "the driver SHOULD use the first one it can support"). */
    for (uint8_t c = pci_cap_find(d, PCI_CAP_ID_VNDR, 0); c;
         c = pci_cap_find(d, PCI_CAP_ID_VNDR, c)) {
        uint8_t type = pci_read8(d, (uint8_t)(c + CAP_TYPE)),
                bar = pci_read8(d, (uint8_t)(c + CAP_BAR));
        uint32_t off = pci_read32(d, (uint8_t)(c + CAP_OFFSET));
        uint32_t len = pci_read32(d, (uint8_t)(c + CAP_LENGTH));
        if (type < VIRTIO_PCI_CAP_COMMON || type > VIRTIO_PCI_CAP_DEVICE || found[type] || bar > 5)
            continue;
        volatile uint8_t *base = map_bar(vp, bar, bars, sizes);
        if (!base)
            return -1;
        if (off > sizes[bar] || len > sizes[bar] - off)
            return virtio_pci_error(vp, "capability type %u: [0x%x, +0x%x) is outside BAR%u", type,
                                    off, len, bar);
        found[type] = base + off;
        lens[type] = len;
        if (type == VIRTIO_PCI_CAP_NOTIFY)
            vp->notify_mul = pci_read32(d, (uint8_t)(c + CAP_NOTIFY_M));
    }
    if (!found[VIRTIO_PCI_CAP_COMMON] || !found[VIRTIO_PCI_CAP_NOTIFY] ||
        !found[VIRTIO_PCI_CAP_ISR])
        return virtio_pci_error(
            vp, "not a modern virtio device: no common/notify/ISR capability (§4.1.4)");
    if (lens[VIRTIO_PCI_CAP_COMMON] < sizeof(struct virtio_pci_common_cfg))
        return virtio_pci_error(vp, "common configuration is %u bytes, need %u",
                                lens[VIRTIO_PCI_CAP_COMMON],
                                (uint32_t)sizeof(struct virtio_pci_common_cfg));
    vp->common = (volatile struct virtio_pci_common_cfg *)found[VIRTIO_PCI_CAP_COMMON];
    vp->notify_base = found[VIRTIO_PCI_CAP_NOTIFY];
    vp->notify_len = lens[VIRTIO_PCI_CAP_NOTIFY];
    vp->isr = found[VIRTIO_PCI_CAP_ISR];
    vp->device_cfg = found[VIRTIO_PCI_CAP_DEVICE];
    vp->device_cfg_len = lens[VIRTIO_PCI_CAP_DEVICE];

    /* Decode the memory BARs, let the device DMA (it reads and writes the
     * rings and buffers itself), let it raise INTx. */
    uint16_t cmd = pci_read16(d, PCI_COMMAND);
    cmd = (uint16_t)((cmd | PCI_CMD_MEM | PCI_CMD_MASTER) & ~PCI_CMD_INTX_OFF);
    pci_write16(d, PCI_COMMAND, cmd);
    return 0;
}

uint8_t virtio_pci_status(struct virtio_pci *vp) { return vp->common->device_status; }

static void add_status(struct virtio_pci *vp, uint8_t bits)
{
    vp->common->device_status = (uint8_t)(vp->common->device_status | bits);
}

void virtio_pci_fail(struct virtio_pci *vp) { add_status(vp, VIRTIO_STATUS_FAILED); }

void virtio_pci_reset(struct virtio_pci *vp)
{
    vp->common->device_status = 0;
    /* §4.1.4.3.2: the reset is complete when the status reads 0.  A device
     * that never says so is a broken device, not a reason to hang. */
    for (int i = 0; i < 1000000 && vp->common->device_status; i++)
        __asm__ volatile("pause");
}

int virtio_pci_has(const struct virtio_pci *vp, int feature)
{
    return (int)((vp->features >> feature) & 1);
}

int virtio_pci_negotiate(struct virtio_pci *vp, uint64_t wanted)
{
    volatile struct virtio_pci_common_cfg *c = vp->common;
    virtio_pci_reset(vp);
    if (c->device_status)
        return virtio_pci_error(vp, "device status 0x%x after reset, expected 0", c->device_status);
    add_status(vp, VIRTIO_STATUS_ACKNOWLEDGE);
    add_status(vp, VIRTIO_STATUS_DRIVER);

    uint64_t offered = 0;
    for (uint32_t sel = 0; sel < 2; sel++) {
        c->device_feature_select = sel;
        offered |= (uint64_t)c->device_feature << (32 * sel);
    }
    if (!((offered >> VIRTIO_F_VERSION_1) & 1)) {
        virtio_pci_fail(vp);
        return virtio_pci_error(vp, "device does not offer VIRTIO_F_VERSION_1 (features 0x%llx)",
                                offered);
    }
    vp->features = offered & (wanted | 1ull << VIRTIO_F_VERSION_1);
    for (uint32_t sel = 0; sel < 2; sel++) {
        c->driver_feature_select = sel;
        c->driver_feature = (uint32_t)(vp->features >> (32 * sel));
    }
    /* §3.1.1 step 5-6: the device may still refuse this subset. */
    add_status(vp, VIRTIO_STATUS_FEATURES_OK);
    if (!(c->device_status & VIRTIO_STATUS_FEATURES_OK)) {
        virtio_pci_fail(vp);
        return virtio_pci_error(vp, "device refused features 0x%llx (FEATURES_OK not kept)",
                                vp->features);
    }
    return 0;
}

int virtio_pci_queue(struct virtio_pci *vp, struct virtqueue *vq, uint16_t index, uint16_t max_size)
{
    volatile struct virtio_pci_common_cfg *c = vp->common;
    if (index >= c->num_queues)
        return virtio_pci_error(vp, "queue %u: the device has %u queues", index, c->num_queues);
    c->queue_select = index;
    uint16_t size = c->queue_size; /* the device's maximum */
    if (!size || c->queue_enable)
        return virtio_pci_error(vp, "queue %u: not available (size %u, enable %u)", index, size,
                                c->queue_enable);
    /* A smaller power of 2 is allowed (§4.1.4.3.2 "MAY write a smaller value"). */
    if (size > max_size)
        size = max_size;
    size = (uint16_t)(1u << (31 - __builtin_clz(size)));
    int event_idx = virtio_pci_has(vp, VIRTIO_F_EVENT_IDX);
    if (vq_init(vq, index, size, event_idx))
        return virtio_pci_error(vp, "queue %u: no memory for %u entries", index, size);
    c->queue_size = size;
    c->queue_desc_lo = (uint32_t)vq->desc, c->queue_desc_hi = 0;
    c->queue_driver_lo = (uint32_t)vq->avail, c->queue_driver_hi = 0;
    c->queue_device_lo = (uint32_t)vq->used, c->queue_device_hi = 0;
    /* §4.1.4.4: cap.offset + queue_notify_off * notify_off_multiplier */
    uint32_t noff = c->queue_notify_off * vp->notify_mul;
    if (noff + 2 > vp->notify_len) {
        vq_free(vq);
        return virtio_pci_error(vp, "queue %u: notify offset 0x%x outside the notify capability",
                                index, noff);
    }
    vq->notify = (volatile uint16_t *)(vp->notify_base + noff);
    c->queue_enable = 1;
    return 0;
}

void virtio_pci_driver_ok(struct virtio_pci *vp) { add_status(vp, VIRTIO_STATUS_DRIVER_OK); }

void virtio_pci_notify(struct virtio_pci *vp, struct virtqueue *vq)
{
    (void)vp;
    *vq->notify = vq->index;
}

uint8_t virtio_pci_isr(struct virtio_pci *vp) { return *vp->isr; }

uint64_t virtio_pci_cfg64(struct virtio_pci *vp, uint32_t off)
{
    uint32_t lo, hi;
    uint8_t gen;
    if (!vp->device_cfg || off > vp->device_cfg_len || vp->device_cfg_len - off < 8)
        return 0;
    do {
        gen = vp->common->config_generation;
        lo = *(volatile uint32_t *)(vp->device_cfg + off);
        hi = *(volatile uint32_t *)(vp->device_cfg + off + 4);
    } while (gen != vp->common->config_generation);
    return (uint64_t)hi << 32 | lo;
}
