/*
 * virtqueue.c — the device side of a split virtqueue (virtqueue.h).
 */
#include "05-io/virtqueue.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Little-endian loads and stores in guest RAM (virtio 1.x is always
 * little-endian, §2.7 "le16/le32/le64"; so is the host). */
static uint16_t ld16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t ld32(const uint8_t *p) { return (uint32_t)ld16(p) | (uint32_t)ld16(p + 2) << 16; }
static uint64_t ld64(const uint8_t *p) { return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32; }
static void st16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void st32(uint8_t *p, uint32_t v)
{
    st16(p, (uint16_t)v);
    st16(p + 2, (uint16_t)(v >> 16));
}

/* Host pointer of the device's [addr, addr + len) in RAM, or NULL.  Behind
 * an IOMMU addr is an I/O virtual address, translated page by page: the
 * range must map contiguously (the rings, the descriptor tables). */
static uint8_t *ram_at(const struct virtq *q, uint64_t addr, uint64_t len, bool write)
{
    if (!q->dma)
        return gpa_to_hva(q->ram, addr, len);
    if (len == 0)
        return q->ram->host; /* no access: nothing to translate */
    uint64_t gpa, run, g;
    if (q->dma->translate(q->dma->ctx, addr, write, &gpa, &run) < 0)
        return NULL;
    for (uint64_t done = run; done < len; done += run)
        if (q->dma->translate(q->dma->ctx, addr + done, write, &g, &run) < 0 || g != gpa + done)
            return NULL;
    return gpa_to_hva(q->ram, gpa, len);
}

/* The first bytes of [addr, addr + *len) that are contiguous in RAM: their
 * host pointer, *len cut to their count; NULL if none. */
static uint8_t *run_at(const struct virtq *q, uint64_t addr, uint64_t *len, bool write)
{
    uint64_t gpa = addr, run = *len;
    if (q->dma && *len && q->dma->translate(q->dma->ctx, addr, write, &gpa, &run) < 0)
        return NULL;
    if (run < *len)
        *len = run;
    return gpa_to_hva(q->ram, gpa, *len);
}

/* What a failed address lookup means, for q->err. */
static const char *unreachable(const struct virtq *q)
{
    return q->dma ? "outside guest RAM or blocked by the IOMMU" : "outside guest RAM";
}

void virtq_init(struct virtq *q, const struct guest_ram *ram, uint16_t max_size)
{
    memset(q, 0, sizeof *q);
    q->ram = ram;
    q->max_size = max_size;
    virtq_reset(q);
}

void virtq_set_dma(struct virtq *q, const struct dma_space *dma) { q->dma = dma; }

void virtq_reset(struct virtq *q)
{
    q->size = q->max_size;
    q->ready = q->indirect = q->event_idx = false;
    q->desc = q->avail = q->used = 0;
    q->last_avail = q->used_idx = q->signalled_used = 0;
    q->err[0] = '\0';
}

/* The three areas' sizes (§2.7: "Queue Size" ... table 16*size, available
 * 6 + 2*size, used 6 + 8*size) and alignments (§2.7.2: 16, 2, 4). */
int virtq_enable(struct virtq *q)
{
    unsigned n = q->size;
    if (n == 0 || n > q->max_size || (n & (n - 1))) {
        snprintf(q->err, sizeof q->err, "queue size %u is not a power of two in 1..%u", n,
                 q->max_size);
        return -1;
    }
    static const char *const what[3] = { "descriptor table", "available ring", "used ring" };
    const uint64_t at[3] = { q->desc, q->avail, q->used };
    const uint64_t len[3] = { 16ull * n, 6 + 2ull * n, 6 + 8ull * n };
    const uint64_t align[3] = { 16, 2, 4 };
    for (int i = 0; i < 3; i++) {
        /* Behind an IOMMU the areas are looked up on each use. */
        if (at[i] % align[i] || (!q->dma && !ram_at(q, at[i], len[i], false))) {
            snprintf(q->err, sizeof q->err, "%s at 0x%llx (%llu bytes) is %s", what[i],
                     (unsigned long long)at[i], (unsigned long long)len[i],
                     at[i] % align[i] ? "misaligned" : "outside guest RAM");
            return -1;
        }
    }
    q->ready = true;
    return 0;
}

/* Where the avail_event / used_event words live (§2.7.10). */
static uint8_t *avail_ring(const struct virtq *q)
{
    return ram_at(q, q->avail, 6 + 2ull * q->size, false);
}
static uint8_t *used_ring(const struct virtq *q)
{
    return ram_at(q, q->used, 6 + 8ull * q->size, true);
}

/* One descriptor walk's state: the table in use (the queue's, or an
 * indirect one) and what has been collected so far. */
struct walk {
    const uint8_t *table;
    unsigned entries; /* descriptors in `table`               */
    bool in_indirect;
    unsigned count; /* descriptors visited, loop guard       */
};

__attribute__((format(printf, 2, 3))) static int fail(struct virtq *q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->err, sizeof q->err, fmt, ap);
    va_end(ap);
    return -1;
}

/* Add descriptor d's buffer to r. */
static int add_buffer(struct virtq *q, struct virtq_req *r, const uint8_t *d, unsigned i)
{
    uint64_t addr = ld64(d);
    uint32_t len = ld32(d + 8);
    bool write = ld16(d + 12) & VIRTQ_DESC_F_WRITE;
    if (!write && r->nin)
        return fail(q, "descriptor %u: a device-readable buffer after a writable one", i);
    /* One piece per run of memory: behind an IOMMU contiguous pages merge. */
    uint64_t done = 0;
    do {
        uint64_t n = len - done;
        uint8_t *p = run_at(q, addr + done, &n, write);
        if (!p)
            return fail(q, "descriptor %u: buffer 0x%llx+%u is %s", i, (unsigned long long)addr,
                        len, unreachable(q));
        struct virtq_iov *v = write ? r->in : r->out;
        unsigned *nv = write ? &r->nin : &r->nout;
        if (done && v[*nv - 1].p + v[*nv - 1].len == p) {
            v[*nv - 1].len += (uint32_t)n;
        } else {
            if (r->nout + r->nin >= VIRTQ_MAX_SEGS)
                return fail(q, "chain at head %u has more than %u buffers", r->head,
                            VIRTQ_MAX_SEGS);
            v[(*nv)++] = (struct virtq_iov){ p, (uint32_t)n };
        }
        done += n;
    } while (done < len);
    if (write)
        r->in_len += len;
    else
        r->out_len += len;
    return 0;
}

/* Switch the walk to the indirect table of descriptor d (§2.7.5.3). */
static int enter_indirect(struct virtq *q, struct walk *w, const uint8_t *d, unsigned i)
{
    uint64_t addr = ld64(d);
    uint32_t len = ld32(d + 8);
    uint16_t flags = ld16(d + 12);
    if (!q->indirect)
        return fail(q, "descriptor %u: INDIRECT but VIRTIO_F_INDIRECT_DESC not negotiated", i);
    if (w->in_indirect)
        return fail(q, "descriptor %u: an indirect table inside an indirect table", i);
    if (flags & VIRTQ_DESC_F_NEXT)
        return fail(q, "descriptor %u: both INDIRECT and NEXT set", i);
    if (len == 0 || len % 16 || len / 16 > VIRTQ_MAX_SEGS)
        return fail(q, "descriptor %u: indirect table of %u bytes", i, len);
    w->table = ram_at(q, addr, len, false);
    if (!w->table)
        return fail(q, "descriptor %u: indirect table of %u bytes is %s", i, len, unreachable(q));
    w->entries = len / 16;
    w->in_indirect = true;
    w->count = 0;
    return 0;
}

/* Walk the chain from r->head (§2.7.5.2, §2.7.5.3). */
static int walk_chain(struct virtq *q, struct virtq_req *r)
{
    struct walk w = { ram_at(q, q->desc, 16ull * q->size, false), q->size, false, 0 };
    unsigned i = r->head;
    if (!w.table)
        return fail(q, "descriptor table at 0x%llx is %s", (unsigned long long)q->desc,
                    unreachable(q));
    for (;;) {
        if (i >= w.entries)
            return fail(q, "descriptor index %u is past the table's %u entries", i, w.entries);
        if (++w.count > w.entries)
            return fail(q, "chain at head %u is longer than its table (%u): a loop?", r->head,
                        w.entries);
        const uint8_t *d = w.table + 16 * i;
        uint16_t flags = ld16(d + 12);
        if (flags & VIRTQ_DESC_F_INDIRECT) {
            if (enter_indirect(q, &w, d, i) < 0)
                return -1;
            i = 0;
            continue;
        }
        if (add_buffer(q, r, d, i) < 0)
            return -1;
        if (!(flags & VIRTQ_DESC_F_NEXT))
            return 0;
        i = ld16(d + 14);
    }
}

int virtq_pop(struct virtq *q, struct virtq_req *r)
{
    if (!q->ready)
        return 0;
    uint8_t *avail = avail_ring(q), *used = used_ring(q);
    if (!avail || !used)
        return fail(q, "%s ring at 0x%llx is %s", avail ? "used" : "available",
                    (unsigned long long)(avail ? q->used : q->avail), unreachable(q));
    uint16_t idx = ld16(avail + 2);
    /* Read the ring entries only after the index that publishes them
     * (§2.7.13.3: the driver's write barrier before idx; ours, the read
     * side of it). */
    atomic_thread_fence(memory_order_acquire);
    uint16_t pending = (uint16_t)(idx - q->last_avail);
    if (pending > q->size)
        return fail(q, "available index moved by %u entries, more than the queue's %u", pending,
                    q->size);
    if (pending == 0) {
        if (!q->event_idx)
            return 0;
        /* Ask to be notified of the next one (§2.7.10), then look again:
         * the driver may have added one before it could see our request. */
        st16(used + 4 + 8 * q->size, q->last_avail);
        atomic_thread_fence(memory_order_seq_cst);
        idx = ld16(avail + 2);
        atomic_thread_fence(memory_order_acquire);
        pending = (uint16_t)(idx - q->last_avail);
        if (pending == 0)
            return 0;
        if (pending > q->size)
            return fail(q, "available index moved by %u entries, more than the queue's %u", pending,
                        q->size);
    }
    uint16_t head = ld16(avail + 4 + 2 * (q->last_avail % q->size));
    memset(r, 0, offsetof(struct virtq_req, out));
    r->head = head;
    if (walk_chain(q, r) < 0)
        return -1;
    q->last_avail++;
    q->popped++;
    if (q->event_idx)
        st16(used + 4 + 8 * q->size, q->last_avail);
    return 1;
}

int virtq_push(struct virtq *q, const struct virtq_req *r, uint32_t written)
{
    uint8_t *used = used_ring(q);
    if (!used)
        return fail(q, "used ring at 0x%llx is %s", (unsigned long long)q->used, unreachable(q));
    uint8_t *e = used + 4 + 8 * (q->used_idx % q->size);
    st32(e, r->head);
    st32(e + 4, written);
    /* The element before the index that publishes it (§2.7.8.2). */
    atomic_thread_fence(memory_order_release);
    q->used_idx++;
    st16(used + 2, q->used_idx);
    q->pushed++;
    return 0;
}

/* vring_need_event of §2.7.10: has new_idx passed event since old? */
bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool virtq_should_notify(struct virtq *q)
{
    if (!q->ready)
        return false;
    atomic_thread_fence(memory_order_seq_cst); /* our used idx before their flags */
    uint8_t *avail = avail_ring(q);
    if (!avail) /* blocked: the push before failed too, and said so */
        return false;
    uint16_t old = q->signalled_used;
    q->signalled_used = q->used_idx;
    bool want = q->event_idx ? virtq_need_event(ld16(avail + 4 + 2 * q->size), q->used_idx, old)
                             : old != q->used_idx && !(ld16(avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
    q->irq_suppressed += !want && old != q->used_idx;
    return want;
}

static uint64_t copy(const struct virtq_iov *v, unsigned n, uint64_t off, uint8_t *host,
                     uint64_t len, bool to_guest)
{
    uint64_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (off >= v[i].len) {
            off -= v[i].len;
            continue;
        }
        uint64_t k = v[i].len - off;
        if (k > len - done)
            k = len - done;
        if (to_guest)
            memcpy(v[i].p + off, host + done, k);
        else
            memcpy(host + done, v[i].p + off, k);
        done += k;
        off = 0;
    }
    return done;
}

uint64_t virtq_read_out(const struct virtq_req *r, uint64_t off, void *dst, uint64_t len)
{
    return copy(r->out, r->nout, off, dst, len, false);
}

uint64_t virtq_write_in(const struct virtq_req *r, uint64_t off, const void *src, uint64_t len)
{
    return copy(r->in, r->nin, off, (uint8_t *)(uintptr_t)src, len, true);
}
