/*
 * virtqueue.h — the driver's half of a split virtqueue (virtio 1.1 §2.6).
 *
 * Three areas in guest memory, shared with the device:
 *   descriptor table  size x {addr, len, flags, next}: the buffers, chained
 *   available ring    the driver's queue: heads of chains it offers
 *   used ring         the device's queue: heads it is done with, + bytes written
 * The driver adds a chain and publishes it by bumping avail->idx; the
 * device consumes it, fills the used ring and bumps used->idx.  Each side
 * tells the other only when asked: the device's notification (the
 * "kick", an MMIO write) and the driver's interrupt are both suppressible
 * (§2.6.7, §2.6.10), with flags or, with VIRTIO_F_EVENT_IDX, with an
 * index: "tell me when you get past this entry".
 *
 * This side is transport-independent: virtio_pci.c says where the areas
 * are and writes the notification.
 */
#ifndef GUEST_VIRTQUEUE_H
#define GUEST_VIRTQUEUE_H

#include <stdint.h>

#define VIRTQ_DESC_F_NEXT     1 /* the chain goes on in `next`        */
#define VIRTQ_DESC_F_WRITE    2 /* the device writes this buffer      */
#define VIRTQ_DESC_F_INDIRECT 4 /* addr is a table of descriptors     */

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1 /* driver: don't interrupt me (no EVENT_IDX) */
#define VIRTQ_USED_F_NO_NOTIFY     1 /* device: don't kick me (no EVENT_IDX)      */

/* Each area in one 4 KiB frame: 16 x 256 descriptors fill it. */
#define VIRTQ_MAX_SIZE 256

struct virtq_desc {
    uint64_t addr; /* guest-physical */
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;    /* where the driver puts the next entry (mod size) */
    uint16_t ring[]; /* then, with EVENT_IDX: uint16_t used_event      */
};

struct virtq_used_elem {
    uint32_t id;  /* head of the chain                              */
    uint32_t len; /* bytes the device wrote into its WRITE buffers  */
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[]; /* then, with EVENT_IDX: uint16_t avail_event */
};

/* One buffer of a chain. */
struct vq_buf {
    uint32_t addr; /* guest-physical (the kernel is identity mapped) */
    uint32_t len;
    int device_writes;
};

struct virtqueue {
    uint16_t size, index;
    int event_idx; /* VIRTIO_F_EVENT_IDX was negotiated      */
    int irq_off;   /* vq_interrupts(vq, 0): the driver polls  */
    volatile struct virtq_desc *desc;
    volatile struct virtq_avail *avail;
    volatile struct virtq_used *used;
    uint16_t free_head, num_free;
    uint16_t avail_idx;          /* our copy of avail->idx                       */
    uint16_t kicked_idx;         /* avail_idx when we last decided about a kick  */
    uint16_t last_used;          /* next used entry to consume                    */
    void *token[VIRTQ_MAX_SIZE]; /* what each chain head belongs to         */
    uint32_t kicks, kicks_saved; /* notifications sent / suppressed        */
    uint32_t bad_used;           /* used entries naming no chain of ours   */
    volatile uint16_t *notify;   /* where the transport kicks (its own)    */
};

/* Allocate the three areas (size: a power of 2 up to VIRTQ_MAX_SIZE);
 * 0, or -1 if out of memory or a bad size. */
int vq_init(struct virtqueue *vq, uint16_t index, uint16_t size, int event_idx);
void vq_free(struct virtqueue *vq);
/* Add a chain: bufs[0..n) in order (device-readable ones first, §2.6.4.2).
 * Returns the head, or -1 if there are not n free descriptors. */
int vq_add(struct virtqueue *vq, const struct vq_buf *bufs, int n, void *token);
/* The same chain as one ring descriptor pointing at `table` (n entries,
 * filled here; it must stay put until the chain is used), with
 * VIRTIO_F_INDIRECT_DESC (§2.6.5.3): a request then takes one entry of the
 * ring whatever its length.  Returns the head or -1. */
int vq_add_indirect(struct virtqueue *vq, const struct vq_buf *bufs, int n,
                    struct virtq_desc *table, void *token);
/* Publish what was added and say whether the device wants a kick now. */
int vq_kick_needed(struct virtqueue *vq);
/* The next completed chain's token (and *len), or 0 if none yet. */
void *vq_get_used(struct virtqueue *vq, uint32_t *len);
/* Ask for an interrupt at the next completion (1) or none at all (0).
 * Returns 1 if completions arrived meanwhile (§2.6.10.1: check again). */
int vq_interrupts(struct virtqueue *vq, int on);

#endif
