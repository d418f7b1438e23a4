/*
 * virtio_dev.c — a virtio device's transport-independent side
 * (virtio_dev.h; virtio 1.2 §2, §3.1).
 */
#include "05-io/virtio_dev.h"

#include <string.h>

void virtio_dev_init(struct virtio_dev *vd, const struct guest_ram *ram,
                     const struct virtio_device_ops *ops, void *dev, FILE *log, const char *prog,
                     const char *transport, void (*interrupt)(struct virtio_dev *, int))
{
    memset(vd, 0, sizeof *vd);
    vd->ops = ops;
    vd->dev = dev;
    vd->log = log;
    vd->prog = prog;
    vd->transport = transport;
    vd->interrupt = interrupt;
    for (unsigned i = 0; i < ops->nqueues; i++)
        virtq_init(&vd->vq[i], ram, ops->queue_size);
}

void virtio_dev_set_dma(struct virtio_dev *vd, const struct dma_space *dma)
{
    for (unsigned i = 0; i < vd->ops->nqueues; i++)
        virtq_set_dma(&vd->vq[i], dma);
    vd->platform_features = dma ? 1ull << VIRTIO_F_ACCESS_PLATFORM : 0;
}

uint64_t virtio_offered(const struct virtio_dev *vd)
{
    return vd->ops->features | vd->platform_features | 1ull << VIRTIO_F_VERSION_1 |
           1ull << VIRTIO_F_INDIRECT_DESC | 1ull << VIRTIO_F_EVENT_IDX;
}

uint32_t virtio_device_features(const struct virtio_dev *vd, unsigned sel)
{
    return sel < 2 ? (uint32_t)(virtio_offered(vd) >> (32 * sel)) : 0;
}

void virtio_set_driver_features(struct virtio_dev *vd, unsigned sel, uint32_t v)
{
    if (sel >= 2 || (vd->status & VIRTIO_S_FEATURES_OK))
        return;
    unsigned sh = 32 * sel;
    vd->driver_features = (vd->driver_features & ~(0xffffffffull << sh)) | (uint64_t)v << sh;
}

static void reset(struct virtio_dev *vd)
{
    vd->status = 0;
    vd->driver_features = 0;
    for (unsigned i = 0; i < vd->ops->nqueues; i++)
        virtq_reset(&vd->vq[i]);
    if (vd->ops->reset)
        vd->ops->reset(vd->dev);
}

/* FEATURES_OK (§2.2.2, §3.1.1 step 5): accepted only if the driver took
 * VERSION_1 and nothing we did not offer. */
bool virtio_set_status(struct virtio_dev *vd, uint8_t v)
{
    if (v == 0) {
        reset(vd);
        return true;
    }
    if ((v & VIRTIO_S_FEATURES_OK) && !(vd->status & VIRTIO_S_FEATURES_OK)) {
        uint64_t g = vd->driver_features;
        if (!(g >> VIRTIO_F_VERSION_1 & 1) || (g & ~virtio_offered(vd)))
            v &= (uint8_t)~VIRTIO_S_FEATURES_OK;
        for (unsigned i = 0; i < vd->ops->nqueues; i++) {
            vd->vq[i].indirect = g >> VIRTIO_F_INDIRECT_DESC & 1;
            vd->vq[i].event_idx = g >> VIRTIO_F_EVENT_IDX & 1;
        }
    }
    vd->status = (uint8_t)(v | (vd->status & VIRTIO_S_NEEDS_RESET));
    return false;
}

void virtio_kick(struct virtio_dev *vd, unsigned n)
{
    vd->notifies++;
    if (n < vd->ops->nqueues && vd->vq[n].ready && (vd->status & VIRTIO_S_DRIVER_OK) &&
        !(vd->status & VIRTIO_S_NEEDS_RESET)) {
        uint64_t before = vd->vq[n].popped;
        vd->ops->notify(vd->dev, vd, n);
        vd->kicks_with_work += vd->vq[n].popped != before;
    }
}

void virtio_complete(struct virtio_dev *vd, unsigned n)
{
    if (virtq_should_notify(&vd->vq[n]))
        vd->interrupt(vd, (int)n);
}

void virtio_fail(struct virtio_dev *vd, unsigned n)
{
    vd->errors++;
    if (vd->log)
        fprintf(vd->log, "%s: %s: queue %u: %s; device needs reset\n", vd->prog, vd->ops->name, n,
                vd->vq[n].err);
    vd->vq[n].ready = false;
    vd->status |= VIRTIO_S_NEEDS_RESET;
    if (vd->status & VIRTIO_S_DRIVER_OK)
        vd->interrupt(vd, VIRTIO_IRQ_CONFIG);
}

void virtio_dev_print_stats(const struct virtio_dev *vd, FILE *out)
{
    uint64_t popped = 0, kicks = vd->kicks_with_work, quiet = 0;
    for (unsigned i = 0; i < vd->ops->nqueues; i++) {
        popped += vd->vq[i].popped;
        quiet += vd->vq[i].irq_suppressed;
    }
    fprintf(out,
            "  %s: suppressed: %llu interrupts (the driver did not ask for them), %llu "
            "notifies (requests behind another's doorbell)\n",
            vd->ops->name, (unsigned long long)quiet,
            (unsigned long long)(popped > kicks ? popped - kicks : 0));
    if (vd->ops->print_stats)
        vd->ops->print_stats(vd->dev, out);
}
