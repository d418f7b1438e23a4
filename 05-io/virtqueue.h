/*
 * virtqueue.h — the device side of a split virtqueue (virtio 1.2 §2.7).
 *
 * The driver (guest) and the device (us) share three areas of guest RAM:
 *
 *   descriptor table  size x 16 bytes, 16-byte aligned (§2.7.5):
 *                     le64 addr | le32 len | le16 flags | le16 next
 *                     flags: NEXT (chain goes on at `next`), WRITE (the
 *                     device writes this buffer), INDIRECT (addr/len is a
 *                     table of descriptors, §2.7.5.3)
 *   available ring    written by the driver, 2-byte aligned (§2.7.6):
 *                     le16 flags | le16 idx | le16 ring[size] | le16 used_event
 *   used ring         written by the device, 4-byte aligned (§2.7.8):
 *                     le16 flags | le16 idx | {le32 id, le32 len}[size] |
 *                     le16 avail_event
 *
 * The indices are free-running 16-bit counters; ring slot = idx % size
 * (size is a power of two), so they wrap at 65536 by themselves.  The
 * device pops a chain head from avail->ring[last_avail % size], walks the
 * chain, does the request, and pushes {head, bytes written} to the used
 * ring.  Whether it then interrupts the driver is decided by
 * VIRTQ_AVAIL_F_NO_INTERRUPT or, with VIRTIO_F_EVENT_IDX negotiated, by
 * used_event (§2.7.10); symmetrically the device asks for notifications
 * with avail_event.
 *
 * Behind an IOMMU (virtq_set_dma) every address is an I/O virtual address,
 * translated on each access (the rings too): a buffer is split where its
 * pages are not contiguous in memory, a ring must be; a blocked access
 * is an error like one outside RAM.
 *
 * Nothing the guest wrote is trusted: every address is checked against
 * guest RAM, chains are bounded by the queue size (a loop is an error, not
 * a hang), lengths may not wrap, device-writable buffers must follow the
 * readable ones (§2.7.4.2).  A violation makes virtq_pop return -1 with a
 * one-line reason in q->err: the transport then sets DEVICE_NEEDS_RESET
 * (§2.1.2), the VMM goes on.
 */
#ifndef IO_VIRTQUEUE_H
#define IO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include "core/dma.h"
#include "core/guest_ram.h"

#define VIRTQ_DESC_F_NEXT          1
#define VIRTQ_DESC_F_WRITE         2
#define VIRTQ_DESC_F_INDIRECT      4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

/* Feature bits of the ring itself (§6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29

#define VIRTQ_MAX_SIZE 256 /* the largest queue our devices offer */
#define VIRTQ_MAX_SEGS 256 /* buffers in one chain, indirect included */

/* One buffer of a chain: a host pointer into guest RAM, checked (a
 * descriptor's buffer may become several behind an IOMMU). */
struct virtq_iov {
    uint8_t *p;
    uint32_t len;
};

/* One request: the chain starting at descriptor `head`, split into what
 * the device reads (out) and what it writes (in), in chain order. */
struct virtq_req {
    uint16_t head;
    unsigned nout, nin;
    uint64_t out_len, in_len; /* total bytes of each side */
    struct virtq_iov out[VIRTQ_MAX_SEGS], in[VIRTQ_MAX_SEGS];
};

struct virtq {
    const struct guest_ram *ram;
    const struct dma_space *dma; /* NULL: addresses are guest-physical (core/dma.h) */
    uint16_t max_size;           /* what the device offers (queue_size after reset) */
    uint16_t size;               /* what the driver chose                           */
    bool ready;                  /* queue_enable = 1 and the rings checked          */
    bool indirect;               /* VIRTIO_F_INDIRECT_DESC negotiated               */
    bool event_idx;              /* VIRTIO_F_EVENT_IDX negotiated                   */
    uint64_t desc, avail, used;  /* guest-physical addresses of the areas */
    uint16_t last_avail;         /* next available entry to take           */
    uint16_t used_idx;           /* our copy of used->idx                  */
    uint16_t signalled_used;     /* used->idx at the last interrupt check  */
    uint64_t popped, pushed;     /* requests taken and completed           */
    uint64_t irq_suppressed;     /* used entries pushed, no interrupt wanted */
    char err[160];               /* why the last call failed               */
};

/* A queue of at most max_size entries (a power of two <= VIRTQ_MAX_SIZE),
 * in the reset state: not ready, size = max_size, addresses 0. */
void virtq_init(struct virtq *q, const struct guest_ram *ram, uint16_t max_size);
/* The device's DMA goes through dma from now on (core/dma.h); NULL: to
 * guest RAM directly. */
void virtq_set_dma(struct virtq *q, const struct dma_space *dma);
/* Back to the reset state (device reset, §2.1). */
void virtq_reset(struct virtq *q);
/* queue_enable = 1: check size (a power of two, 1..max_size) and that the
 * three areas lie in RAM with their alignment (behind an IOMMU only the
 * alignment: the areas are looked up when used).  0, or -1 with q->err. */
int virtq_enable(struct virtq *q);
/* Take the next available chain into *r: 1 got one, 0 the ring is empty
 * (or the queue not ready), -1 the driver broke the rules (q->err). */
int virtq_pop(struct virtq *q, struct virtq_req *r);
/* Return request r to the driver with `written` bytes written into its
 * device-writable buffers (the used ring's len, §2.7.8).  0, or -1 if the
 * used ring cannot be reached (an IOMMU blocked it; q->err). */
int virtq_push(struct virtq *q, const struct virtq_req *r, uint32_t written);
/* After pushing: does the driver want an interrupt now (§2.7.10)?  With
 * EVENT_IDX: used_event was crossed since the last check; without: the
 * driver did not set VIRTQ_AVAIL_F_NO_INTERRUPT. */
bool virtq_should_notify(struct virtq *q);
/* vring_need_event (§2.7.10): did the index move from old to new_idx
 * past `event` (event in [old, new_idx), all modulo 65536)? */
bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old);

/* Copy between a request's buffers and the VMM, from byte `off` of the
 * readable (out) or writable (in) side; the bytes actually copied. */
uint64_t virtq_read_out(const struct virtq_req *r, uint64_t off, void *dst, uint64_t len);
uint64_t virtq_write_in(const struct virtq_req *r, uint64_t off, const void *src, uint64_t len);

#endif
