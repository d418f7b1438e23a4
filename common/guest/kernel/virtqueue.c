/*
 * virtqueue.c — a split virtqueue, driver side (virtio 1.1 §2.6).
 *
 * Memory ordering: the device is another processor reading and writing
 * the same memory.  x86 keeps stores in order and loads in order (SDM
 * Vol. 3A §8.2.2), so publishing a buffer needs only a compiler barrier;
 * a store followed by a load of another location may still be reordered,
 * so where the driver writes an index and then reads the device's, it
 * needs a full fence (Linux's virtio_mb()).
 */
#include "virtqueue.h"
#include "mm.h"

#define barrier() __asm__ volatile("" ::: "memory")
/* A locked instruction orders everything around it (SDM Vol. 3A §8.2.2). */
#define full_fence() __asm__ volatile("lock; addl $0,(%%esp)" ::: "memory", "cc")

/* The index fields after the rings (§2.6.7, §2.6.8). */
#define USED_EVENT(vq) ((volatile uint16_t *)&(vq)->avail->ring[(vq)->size])
#define AVAIL_EVENT(vq) \
    ((volatile uint16_t *)((volatile uint8_t *)(vq)->used + 4 + 8 * (uint32_t)(vq)->size))

int vq_init(struct virtqueue *vq, uint16_t index, uint16_t size, int event_idx)
{
    if (!size || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
        return -1;
    uint32_t d = frame_alloc(), a = frame_alloc(), u = frame_alloc();
    if (!d || !a || !u) {
        uint32_t got[3] = { d, a, u };
        for (int i = 0; i < 3; i++)
            if (got[i]) /* frame_free(0) would hand out page 0 */
                frame_free(got[i]);
        return -1;
    }
    *vq = (struct virtqueue){ .size = size, .index = index, .event_idx = event_idx };
    vq->desc = (volatile struct virtq_desc *)d;
    vq->avail = (volatile struct virtq_avail *)a;
    vq->used = (volatile struct virtq_used *)u;
    /* Free descriptors are linked through `next`. */
    for (uint16_t i = 0; i < size; i++)
        vq->desc[i].next = (uint16_t)(i + 1);
    vq->num_free = size;
    return 0;
}

void vq_free(struct virtqueue *vq)
{
    frame_free((uint32_t)vq->desc);
    frame_free((uint32_t)vq->avail);
    frame_free((uint32_t)vq->used);
    vq->desc = 0, vq->avail = 0, vq->used = 0;
}

static void fill(volatile struct virtq_desc *d, const struct vq_buf *b, int more)
{
    d->addr = b->addr;
    d->len = b->len;
    d->flags =
        (uint16_t)((b->device_writes ? VIRTQ_DESC_F_WRITE : 0) | (more ? VIRTQ_DESC_F_NEXT : 0));
}

/* Make head the next entry of the available ring, then publish it. */
static int publish(struct virtqueue *vq, uint16_t head, void *token)
{
    vq->token[head] = token;
    /* The ring entry must be visible before the index that publishes it
     * (§2.6.13.2); x86 keeps the two stores in order. */
    vq->avail->ring[vq->avail_idx & (vq->size - 1)] = head;
    barrier();
    vq->avail->idx = ++vq->avail_idx;
    return head;
}

int vq_add(struct virtqueue *vq, const struct vq_buf *bufs, int n, void *token)
{
    if (n <= 0 || n > vq->num_free)
        return -1;
    uint16_t head = vq->free_head, i = head;
    for (int k = 0; k < n; k++) {
        fill(&vq->desc[i], &bufs[k], k + 1 < n);
        i = vq->desc[i].next; /* free descriptors are already linked */
    }
    vq->free_head = i;
    vq->num_free = (uint16_t)(vq->num_free - n);
    return publish(vq, head, token);
}

int vq_add_indirect(struct virtqueue *vq, const struct vq_buf *bufs, int n,
                    struct virtq_desc *table, void *token)
{
    if (n <= 0 || !vq->num_free)
        return -1;
    for (int k = 0; k < n; k++) {
        fill(&table[k], &bufs[k], k + 1 < n);
        table[k].next = (uint16_t)(k + 1);
    }
    uint16_t head = vq->free_head;
    volatile struct virtq_desc *d = &vq->desc[head];
    vq->free_head = d->next;
    vq->num_free--;
    d->addr = (uint32_t)table;
    d->len = (uint32_t)n * sizeof *table;
    d->flags = VIRTQ_DESC_F_INDIRECT; /* never with NEXT (§2.6.5.3.1) */
    return publish(vq, head, token);
}

/*
 * With EVENT_IDX the device says "kick me when you publish entry
 * avail_event" (§2.6.13.4 vring_need_event): kick iff that entry lies in
 * what we published since the last decision.  Otherwise a flag says
 * "don't kick me at all (I am polling)".
 */
static int need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

int vq_kick_needed(struct virtqueue *vq)
{
    full_fence(); /* our avail->idx store before the device's fields are read */
    uint16_t old = vq->kicked_idx, new_idx = vq->avail_idx;
    vq->kicked_idx = new_idx;
    if (old == new_idx)
        return 0;
    int need = vq->event_idx ? need_event(*AVAIL_EVENT(vq), new_idx, old)
                             : !(vq->used->flags & VIRTQ_USED_F_NO_NOTIFY);
    if (need)
        vq->kicks++;
    else
        vq->kicks_saved++;
    return need;
}

void *vq_get_used(struct virtqueue *vq, uint32_t *len)
{
    if (vq->last_used == vq->used->idx)
        return 0;
    barrier(); /* the entry is read after the index (x86: loads in order) */
    volatile struct virtq_used_elem *e = &vq->used->ring[vq->last_used & (vq->size - 1)];
    uint32_t id = e->id;
    if (len)
        *len = e->len;
    vq->last_used++;
    if (id >= vq->size || !vq->token[id]) {
        vq->bad_used++; /* a device bug: an id we never gave it */
        return 0;
    }
    void *token = vq->token[id];
    vq->token[id] = 0;

    /* Give the chain back to the free list. */
    uint16_t i = (uint16_t)id, n = 1;
    while ((vq->desc[i].flags & VIRTQ_DESC_F_NEXT) && n < vq->size)
        i = vq->desc[i].next, n++;
    vq->desc[i].next = vq->free_head;
    vq->free_head = (uint16_t)id;
    vq->num_free = (uint16_t)(vq->num_free + n);

    /* With interrupts on, "interrupt me at the next entry" moves along. */
    if (vq->event_idx)
        *USED_EVENT(vq) = (uint16_t)(vq->last_used + (vq->irq_off ? 0x8000 : 0));
    return token;
}

/*
 * Interrupts off: the flag, or with EVENT_IDX (where the flags must stay
 * 0, §2.6.10.2) an event index half the index space ahead, which the
 * device does not reach while we keep moving it along.  On: no flag, or
 * "interrupt me when you write the next entry".
 */
int vq_interrupts(struct virtqueue *vq, int on)
{
    vq->irq_off = !on;
    if (vq->event_idx)
        *USED_EVENT(vq) = (uint16_t)(vq->last_used + (on ? 0 : 0x8000));
    else
        vq->avail->flags = on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
    full_fence(); /* our store before the re-read of used->idx */
    return vq->last_used != vq->used->idx;
}
