/*
 * virtio_blk.h — the virtio block device, driver side (virtio 1.1 §5.2),
 * over the modern PCI transport or virtio-mmio (virtio_dev.h).
 *
 * One request is one descriptor chain on queue 0 (§5.2.6):
 *     header  {type, reserved, sector}      device-readable, 16 bytes
 *     data    n x 512 bytes                 readable (write) / writable (read)
 *     status  1 byte                        device-writable: OK, IOERR, UNSUPP
 * Sectors are always 512 bytes, whatever the device's blk_size.
 */
#ifndef GUEST_VIRTIO_BLK_H
#define GUEST_VIRTIO_BLK_H

#include <stdint.h>
#include "virtio_dev.h"
#include "virtqueue.h"

#define VBLK_SECTOR 512u

/* Feature bits (§5.2.3) */
#define VIRTIO_BLK_F_RO       5 /* the disk is read-only            */
#define VIRTIO_BLK_F_BLK_SIZE 6 /* blk_size in the configuration    */
#define VIRTIO_BLK_F_FLUSH    9 /* VIRTIO_BLK_T_FLUSH is honoured   */

/* Request types and status values (§5.2.6) */
#define VIRTIO_BLK_T_IN     0 /* read  */
#define VIRTIO_BLK_T_OUT    1 /* write */
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8 /* the device's serial, 20 bytes, NUL-padded */
#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

/* Driver errors (negative; a request's own status is >= 0). */
#define VBLK_EROFS   (-2) /* a write to a read-only disk: refused here */
#define VBLK_ERANGE  (-3) /* past the end of the disk, or a bad buffer */
#define VBLK_EFULL   (-4) /* no room in the queue                      */
#define VBLK_ETIME   (-5) /* no completion in time                     */
#define VBLK_EDEVICE (-6) /* the device answered nonsense              */

struct vblk_req {
    struct virtq_desc table[3]; /* the chain, with VIRTIO_F_INDIRECT_DESC */
    struct {
        uint32_t type, reserved;
        uint64_t sector;
    } hdr;
    volatile uint8_t status;
    volatile uint8_t done;
    uint8_t in_use;   /* submitted and not yet released      */
    uint32_t written; /* bytes the device wrote (used ring len) */
} __attribute__((aligned(16)));

struct virtio_blk {
    struct vdev vd; /* the device, on its transport */
    struct virtqueue vq;
    uint64_t capacity;                  /* in 512-byte sectors           */
    uint32_t blk_size;                  /* the device's block size       */
    int irq;                            /* 8259 line, -1 if none routed  */
    int use_irq;                        /* completion by interrupt, else by polling */
    int indirect;                       /* one ring entry per request (VIRTIO_F_INDIRECT_DESC) */
    volatile uint32_t irqs, irqs_other; /* interrupts for the queue / with ISR 0 */
    volatile uint32_t inflight;
    uint32_t requests, irq_completions; /* all / completed by the handler */
    struct vblk_req *reqs;              /* one frame of request slots */
    uint32_t nreqs;
};

/* Bring the device d (vdev_find'd) up: negotiate (RO, FLUSH, BLK_SIZE,
 * EVENT_IDX when offered), queue 0, the interrupt, DRIVER_OK.  0, or -1
 * with the reason in blk->vd.err. */
int vblk_open(struct virtio_blk *blk, const struct vdev *d);
/* Reset the device and give back the memory and the interrupt line. */
void vblk_close(struct virtio_blk *blk);
/* Queue one request (no kick yet).  buf: nsect sectors, physically
 * contiguous (below the identity-map limit); for GET_ID, 20 bytes and
 * nsect is ignored.  No read-only check: that is
 * vblk_io's, so a test can see the device refuse too. */
int vblk_submit(struct virtio_blk *blk, uint32_t type, uint64_t sector, void *buf, uint32_t nsect,
                struct vblk_req **out);
/* After done: free the slot; the request's status (>= 0) or VBLK_EDEVICE
 * if the device never wrote a valid one. */
int vblk_release(struct vblk_req *r);
/* Kick the device if it wants one; returns 1 if a notification was sent. */
int vblk_kick(struct virtio_blk *blk);
/* Completion by interrupt (1: the handler reaps, the waiter sleeps) or by
 * polling (0: the device's interrupts suppressed).  Set it before
 * submitting.  Without an interrupt line it is always polling. */
void vblk_use_irq(struct virtio_blk *blk, int on);
/* Wait until nothing is in flight: 0 or VBLK_ETIME. */
int vblk_wait(struct virtio_blk *blk, uint32_t timeout_ms);
/* One synchronous request: its virtio status (>= 0) or a VBLK_E* error. */
int vblk_io(struct virtio_blk *blk, uint32_t type, uint64_t sector, void *buf, uint32_t nsect);

#endif
