/*
 * virtio_dev.c — a virtio device over PCI or MMIO, driver side
 * (virtio_dev.h; virtio 1.1 §3.1.1, §4.1, §4.2).
 */
#include "virtio_dev.h"
#include "virtio.h"
#include "../user/format.h"
#include <stdarg.h>

int vdev_error(struct vdev *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnformat(d->err, sizeof d->err, fmt, ap);
    va_end(ap);
    return -1;
}

int vdev_probe_pci(struct vdev *d, const struct pci_dev *p)
{
    *d = (struct vdev){ .irq = -1, .where = (uint32_t)p->bus << 16 | p->dev << 8 | p->fn };
    if (virtio_pci_probe(&d->pci, p))
        return vdev_error(d, "%02x:%02x.%x: %s", p->bus, p->dev, p->fn, d->pci.err);
    /* Interrupt Line as firmware routed it (0/0xFF: nobody did). */
    if (p->irq_pin && p->irq_line && p->irq_line < 16 && p->irq_line != 2)
        d->irq = p->irq_line;
    return 0;
}

int vdev_find(struct vdev *d, uint16_t id)
{
    struct pci_dev p;
    *d = (struct vdev){ .irq = -1 };
    uint16_t pid = (uint16_t)(VIRTIO_PCI_MODERN_ID0 + id);
    if (!pci_find(VIRTIO_PCI_VENDOR, pid, pid, &p))
        return vdev_probe_pci(d, &p) ? -1 : 1;
    for (int i = 0; i < virtio_mmio_count(); i++) {
        if (virtio_mmio_probe(&d->m, i, d->err, sizeof d->err))
            return -1;
        if (d->m.device_id == id) {
            d->mmio = 1;
            d->irq = d->m.loc.irq;
            d->where = d->m.loc.base;
            return 1;
        }
    }
    return 0;
}

uint8_t vdev_status(struct vdev *d)
{
    return d->mmio ? (uint8_t)virtio_mmio_read(&d->m, VMMIO_STATUS) : virtio_pci_status(&d->pci);
}

static void set_status(struct vdev *d, uint8_t v) { virtio_mmio_write(&d->m, VMMIO_STATUS, v); }

void vdev_reset(struct vdev *d)
{
    if (!d->mmio) {
        virtio_pci_reset(&d->pci);
        return;
    }
    set_status(d, 0);
    for (int i = 0; i < 1000000 && vdev_status(d); i++) /* a broken device: no hang */
        __asm__ volatile("pause");
}

int vdev_negotiate(struct vdev *d, uint64_t wanted)
{
    if (!d->mmio) {
        int rc = virtio_pci_negotiate(&d->pci, wanted);
        d->features = d->pci.features;
        return rc ? vdev_error(d, "%s", d->pci.err) : 0;
    }
    vdev_reset(d);
    set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
    set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    uint64_t offered = 0;
    for (uint32_t sel = 0; sel < 2; sel++) {
        virtio_mmio_write(&d->m, VMMIO_DEV_FEATURES_S, sel);
        offered |= (uint64_t)virtio_mmio_read(&d->m, VMMIO_DEV_FEATURES) << (32 * sel);
    }
    if (!((offered >> VIRTIO_F_VERSION_1) & 1))
        return vdev_error(d, "device does not offer VIRTIO_F_VERSION_1 (features 0x%llx)", offered);
    d->features = offered & (wanted | 1ull << VIRTIO_F_VERSION_1);
    for (uint32_t sel = 0; sel < 2; sel++) {
        virtio_mmio_write(&d->m, VMMIO_DRV_FEATURES_S, sel);
        virtio_mmio_write(&d->m, VMMIO_DRV_FEATURES, (uint32_t)(d->features >> (32 * sel)));
    }
    uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    set_status(d, s);
    if (!(vdev_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
        set_status(d, s | VIRTIO_STATUS_FAILED);
        return vdev_error(d, "device refused features 0x%llx (FEATURES_OK not kept)", d->features);
    }
    return 0;
}

int vdev_queue(struct vdev *d, struct virtqueue *vq, uint16_t index, uint16_t max_size)
{
    if (!d->mmio)
        return virtio_pci_queue(&d->pci, vq, index, max_size) ? vdev_error(d, "%s", d->pci.err) : 0;
    if (virtio_mmio_queue(&d->m, vq, index, max_size, vdev_has(d, VIRTIO_F_EVENT_IDX)))
        return vdev_error(d, "queue %u: not available, or no memory", index);
    return 0;
}

void vdev_fail(struct vdev *d)
{
    if (!d->mmio)
        virtio_pci_fail(&d->pci);
    else
        set_status(d, (uint8_t)(vdev_status(d) | VIRTIO_STATUS_FAILED));
}

void vdev_driver_ok(struct vdev *d)
{
    if (!d->mmio)
        virtio_pci_driver_ok(&d->pci);
    else
        set_status(d, (uint8_t)(vdev_status(d) | VIRTIO_STATUS_DRIVER_OK));
}

void vdev_notify(struct vdev *d, struct virtqueue *vq)
{
    if (!d->mmio)
        virtio_pci_notify(&d->pci, vq);
    else
        virtio_mmio_write(&d->m, VMMIO_QUEUE_NOTIFY, vq->index);
}

uint8_t vdev_ack(struct vdev *d)
{
    if (!d->mmio)
        return virtio_pci_isr(&d->pci);
    uint32_t s = virtio_mmio_read(&d->m, VMMIO_INT_STATUS);
    if (s)
        virtio_mmio_write(&d->m, VMMIO_INT_ACK, s);
    return (uint8_t)(s & 3); /* the same bits as the PCI ISR */
}

int vdev_has(const struct vdev *d, int feature) { return (int)((d->features >> feature) & 1); }

const char *vdev_transport(const struct vdev *d) { return d->mmio ? "mmio" : "pci"; }

uint32_t vdev_cfg_len(const struct vdev *d)
{
    if (!d->mmio)
        return d->pci.device_cfg ? d->pci.device_cfg_len : 0;
    return d->m.loc.size > VMMIO_CONFIG ? d->m.loc.size - VMMIO_CONFIG : 0;
}

/* The configuration generation: the PCI common field, MMIO's register. */
static uint32_t generation(struct vdev *d)
{
    return d->mmio ? virtio_mmio_read(&d->m, VMMIO_CONFIG_GEN) : d->pci.common->config_generation;
}

static volatile uint8_t *cfg(struct vdev *d)
{
    return d->mmio ? d->m.regs + VMMIO_CONFIG : d->pci.device_cfg;
}

uint64_t vdev_cfg64(struct vdev *d, uint32_t off)
{
    uint32_t lo, hi, gen;
    if (off > vdev_cfg_len(d) || vdev_cfg_len(d) - off < 8)
        return 0;
    do {
        gen = generation(d);
        lo = *(volatile uint32_t *)(cfg(d) + off);
        hi = *(volatile uint32_t *)(cfg(d) + off + 4);
    } while (gen != generation(d));
    return (uint64_t)hi << 32 | lo;
}

uint32_t vdev_cfg32(struct vdev *d, uint32_t off)
{
    if (off > vdev_cfg_len(d) || vdev_cfg_len(d) - off < 4)
        return 0;
    return *(volatile uint32_t *)(cfg(d) + off);
}
