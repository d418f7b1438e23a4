/*
 * virtio_blk.c — a virtio-blk driver (virtio 1.1 §5.2) on the modern PCI
 * transport or virtio-mmio (virtio_dev.h): initialization (§3.1.1, §5.2.5), requests as descriptor
 * chains (§5.2.6), completion by polling the used ring or by INTx.
 */
#include "virtio_blk.h"
#include "mm.h"
#include "pic.h"
#include "program.h"
#include "timer.h"
#include "trap.h"
#include "virtio.h"
#include "x86.h"

#define VBLK_QUEUE_MAX 128 /* entries we ask for (the device may offer more) */
#define BLK_CFG_CAP    0   /* device configuration: le64 capacity (§5.2.4)   */
#define BLK_CFG_BSIZE  20  /* le32 blk_size, with VIRTIO_BLK_F_BLK_SIZE      */

static void reap(struct virtio_blk *blk, int in_irq);

/*
 * INTx: reading the ISR status clears it and lowers the interrupt line
 * (§4.1.4.5), so the line is quiet before the EOI.  Then the completions
 * are reaped here, and the handler asks for the next interrupt and looks
 * once more: a completion that came while it was reaping may not have been
 * announced (§2.6.10.1).
 */
static void vblk_irq(void *arg)
{
    struct virtio_blk *blk = arg;
    uint8_t isr = vdev_ack(&blk->vd);
    if (!(isr & VIRTIO_ISR_QUEUE)) {
        blk->irqs_other += !isr; /* another device on a shared line, or spurious */
        return;
    }
    blk->irqs++;
    if (!blk->use_irq)
        return;
    do
        reap(blk, 1);
    while (blk->inflight && vq_interrupts(&blk->vq, 1));
}

int vblk_open(struct virtio_blk *blk, const struct vdev *d)
{
    *blk = (struct virtio_blk){ .irq = -1, .vd = *d };
    struct vdev *vd = &blk->vd;
    uint64_t wanted = 1ull << VIRTIO_BLK_F_RO | 1ull << VIRTIO_BLK_F_FLUSH |
                      1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_F_EVENT_IDX |
                      1ull << VIRTIO_F_INDIRECT_DESC;
    if (vdev_negotiate(vd, wanted))
        return -1;
    if (vdev_cfg_len(vd) < 8) {
        vdev_fail(vd);
        return vdev_error(vd, "device configuration too short (%u bytes)", vdev_cfg_len(vd));
    }
    blk->capacity = vdev_cfg64(vd, BLK_CFG_CAP);
    blk->blk_size = VBLK_SECTOR;
    if (vdev_has(vd, VIRTIO_BLK_F_BLK_SIZE) && vdev_cfg_len(vd) >= BLK_CFG_BSIZE + 4)
        blk->blk_size = vdev_cfg32(vd, BLK_CFG_BSIZE);
    if (vdev_queue(vd, &blk->vq, 0, VBLK_QUEUE_MAX)) {
        vdev_fail(vd);
        return -1;
    }
    if (blk->vq.size < 4) { /* a request is a chain of three */
        vblk_close(blk);
        return vdev_error(vd, "queue 0 has %u entries, a request needs 3", blk->vq.size);
    }
    blk->reqs = (struct vblk_req *)frame_alloc();
    if (!blk->reqs) {
        vblk_close(blk);
        return vdev_error(vd, "no memory for requests");
    }
    /* A read or write takes three descriptors of the ring, or one with
     * indirect descriptors. */
    blk->indirect = vdev_has(vd, VIRTIO_F_INDIRECT_DESC);
    blk->nreqs = blk->indirect ? blk->vq.size : blk->vq.size / 3u;
    if (blk->nreqs > PAGE_SIZE / sizeof(struct vblk_req))
        blk->nreqs = PAGE_SIZE / sizeof(struct vblk_req);

    /* INTx: the line firmware routed the pin to (Interrupt Line, §6.2.4),
     * or the virtio-mmio device's line; -1 if none (vdev_find). */
    if (d->irq >= 0) {
        blk->irq = d->irq;
        blk->use_irq = 1; /* the rings start with interrupts on */
        irq_register(blk->irq, vblk_irq, blk);
        pic_unmask(blk->irq);
    }
    vdev_driver_ok(vd);
    if (vdev_status(vd) & VIRTIO_STATUS_NEEDS_RESET) {
        vblk_close(blk);
        return vdev_error(vd, "device set NEEDS_RESET after DRIVER_OK");
    }
    return 0;
}

void vblk_close(struct virtio_blk *blk)
{
    /* Reset first: afterwards the device no longer touches the rings. */
    if (blk->vd.mmio ? blk->vd.m.regs != 0 : blk->vd.pci.common != 0)
        vdev_reset(&blk->vd);
    if (blk->irq >= 0) {
        pic_mask(blk->irq);
        irq_register(blk->irq, 0, 0);
        blk->irq = -1;
    }
    if (blk->vq.desc)
        vq_free(&blk->vq);
    if (blk->reqs)
        frame_free((uint32_t)blk->reqs);
    blk->reqs = 0;
}

int vblk_submit(struct virtio_blk *blk, uint32_t type, uint64_t sector, void *buf, uint32_t nsect,
                struct vblk_req **out)
{
    uint32_t len = nsect * VBLK_SECTOR, addr = (uint32_t)buf;
    if (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT) {
        if (!nsect || nsect > 0x10000 || sector + nsect > blk->capacity || addr + len > MM_LIMIT ||
            addr + len < addr)
            return VBLK_ERANGE;
    } else if (type == VIRTIO_BLK_T_GET_ID) {
        len = VIRTIO_BLK_ID_BYTES;
        if (addr + len > MM_LIMIT || addr + len < addr)
            return VBLK_ERANGE;
    } else {
        len = 0;
    }
    struct vblk_req *r = 0;
    for (uint32_t i = 0; i < blk->nreqs && !r; i++)
        if (!blk->reqs[i].in_use)
            r = &blk->reqs[i];
    if (!r)
        return VBLK_EFULL;
    r->hdr.type = type;
    r->hdr.reserved = 0;
    r->hdr.sector = sector;
    r->status = 0xFF; /* not written yet */
    r->done = 0;
    r->written = 0;
    struct vq_buf bufs[3];
    int n = 0;
    bufs[n++] = (struct vq_buf){ (uint32_t)&r->hdr, sizeof r->hdr, 0 };
    if (len)
        bufs[n++] = (struct vq_buf){ addr, len, type != VIRTIO_BLK_T_OUT };
    bufs[n++] = (struct vq_buf){ (uint32_t)&r->status, 1, 1 };
    if ((blk->indirect ? vq_add_indirect(&blk->vq, bufs, n, r->table, r)
                       : vq_add(&blk->vq, bufs, n, r)) < 0)
        return VBLK_EFULL;
    r->in_use = 1;
    blk->inflight++;
    blk->requests++;
    *out = r;
    return 0;
}

int vblk_kick(struct virtio_blk *blk)
{
    if (!vq_kick_needed(&blk->vq))
        return 0;
    vdev_notify(&blk->vd, &blk->vq);
    return 1;
}

static void reap(struct virtio_blk *blk, int in_irq)
{
    struct vblk_req *r;
    uint32_t len;
    while (blk->inflight && (r = vq_get_used(&blk->vq, &len)) != 0) {
        r->written = len;
        r->done = 1;
        blk->inflight--;
        blk->irq_completions += (uint32_t)in_irq;
    }
}

void vblk_use_irq(struct virtio_blk *blk, int on)
{
    blk->use_irq = on && blk->irq >= 0;
    if (vq_interrupts(&blk->vq, blk->use_irq))
        reap(blk, 0); /* completions from before the switch */
}

/*
 * With interrupts the waiter only sleeps: the handler completes requests.
 * Without, it spins on used->idx, the device's interrupts suppressed.
 * Interrupts come only while we sleep (the kernel runs with IF=0), so the
 * two never reap at the same time.
 */
int vblk_wait(struct virtio_blk *blk, uint32_t timeout_ms)
{
    uint64_t deadline = rdtsc() + tsc_per_tick() * (timeout_ms / (1000 / TIMER_HZ) + 1);
    while (blk->inflight) {
        if (rdtsc() > deadline)
            return VBLK_ETIME;
        if (blk->use_irq) {
            sti_hlt_cli(); /* the device's interrupt (or the timer's) wakes us */
        } else {
            reap(blk, 0);
            __asm__ volatile("pause");
        }
    }
    return 0;
}

int vblk_io(struct virtio_blk *blk, uint32_t type, uint64_t sector, void *buf, uint32_t nsect)
{
    if (type == VIRTIO_BLK_T_OUT && vdev_has(&blk->vd, VIRTIO_BLK_F_RO))
        return VBLK_EROFS;
    struct vblk_req *r;
    int rc = vblk_submit(blk, type, sector, buf, nsect, &r);
    if (rc)
        return rc;
    vblk_kick(blk);
    if ((rc = vblk_wait(blk, 5000)) != 0)
        return rc;
    return vblk_release(r);
}

int vblk_release(struct vblk_req *r)
{
    uint8_t status = r->status;
    r->in_use = 0;
    return status <= VIRTIO_BLK_S_UNSUPP ? status : VBLK_EDEVICE;
}
