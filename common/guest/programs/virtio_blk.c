/*
 * virtio_blk — the teaching kernel's virtio-blk driver (kernel/virtio_blk.c)
 * against whatever virtio-blk device the machine has: QEMU's own PCI one
 * (-device virtio-blk-pci,disable-legacy=on) or a VMM's, on PCI or
 * virtio-mmio (the command line's virtio_mmio.device=, kernel/virtio_mmio.h).
 *
 *  0. asks the device for its serial (GET_ID, §5.2.6);
 *  1. reads sectors 0..N-1 (N = iters) in batches, one kick per batch,
 *     sleeping until the device's interrupt (INTx through the 8259), and
 *     checks the pattern the host wrote into the image: 32-bit word w of
 *     sector s is HOST_WORD(s, w);
 *  2. reads them again by polling the used ring with the device's
 *     interrupts suppressed (a flag, or the event index with
 *     VIRTIO_F_EVENT_IDX), and checks that the ISR status stayed 0;
 *  3. writes 8 sectors at sector N with GUEST_WORD(s, w), flushes, reads
 *     them back; the host then finds them in the image.  On a read-only
 *     disk (VIRTIO_BLK_F_RO) the driver refuses the write itself, and the
 *     device must refuse it too (status IOERR or UNSUPP, §5.2.6.1).
 * Without a virtio-blk device it prints a SKIP line and passes, so
 * test=all runs anywhere; `RESULT virtio_blk device=none` tells a test.
 */
#include "../kernel/pci.h"
#include "../kernel/program.h"
#include "../kernel/virtio.h"
#include "../kernel/virtio_blk.h"
#include "../user/format.h"
#include <stdarg.h>

#define HOST_WORD(s, w)  (0xB1000000u | ((s)&0xFFFFu) << 8 | (w))
#define GUEST_WORD(s, w) (0x6E000000u | ((s)&0xFFFFu) << 8 | (w))
#define WORDS            (VBLK_SECTOR / 4)
#define CHUNK            8  /* sectors per request (4 KiB)   */
#define BATCH            16 /* requests per kick             */
#define WRITE_SECTORS    8
#define TIMEOUT_MS       5000

static struct virtio_blk blk;
static char id[VIRTIO_BLK_ID_BYTES + 1];
static uint32_t buf[BATCH * CHUNK * WORDS] __attribute__((aligned(4096)));

struct stats {
    uint32_t requests, kicks, bad_words, bad_status;
};

/* Sector s of the buffer against the pattern of sector `sector`. */
static uint32_t check_sector(const uint32_t *p, uint32_t sector, int guest)
{
    uint32_t bad = 0;
    for (uint32_t w = 0; w < WORDS; w++)
        bad += p[w] != (guest ? GUEST_WORD(sector, w) : HOST_WORD(sector, w));
    return bad;
}

/* The device's serial (GET_ID), as a RESULT value: no spaces. */
static int get_id(struct prog_ctx *ctx)
{
    __builtin_memset(id, 0, sizeof id);
    int rc = vblk_io(&blk, VIRTIO_BLK_T_GET_ID, 0, id, 0);
    if (rc == VIRTIO_BLK_S_UNSUPP) {
        __builtin_memcpy(id, "unsupported", 12);
        return 0;
    }
    if (rc != VIRTIO_BLK_S_OK)
        return prog_fail(ctx, "GET_ID: status %d", rc);
    for (int i = 0; i < VIRTIO_BLK_ID_BYTES && id[i]; i++)
        if (id[i] <= ' ' || id[i] > '~')
            id[i] = '_';
    if (!id[0])
        __builtin_memcpy(id, "none", 5);
    return 0;
}

/* Read sectors [0, n) in batches: sector 0 alone, then CHUNK at a time. */
static int read_all(struct prog_ctx *ctx, uint32_t n, int use_irq, struct stats *st)
{
    uint32_t s = 0;
    vblk_use_irq(&blk, use_irq); /* before the device completes anything */
    while (s < n) {
        struct vblk_req *req[BATCH];
        uint32_t first[BATCH], count[BATCH], k = 0, at = 0;
        while (k < BATCH && k < blk.nreqs && s < n) {
            count[k] = s == 0 ? 1 : (n - s < CHUNK ? n - s : CHUNK);
            first[k] = s;
            int rc = vblk_submit(&blk, VIRTIO_BLK_T_IN, s, &buf[at * WORDS], count[k], &req[k]);
            if (rc)
                return prog_fail(ctx, "submit read of sector %u: error %d", s, rc);
            at += count[k], s += count[k], k++;
        }
        st->kicks += (uint32_t)vblk_kick(&blk);
        st->requests += k;
        int rc = vblk_wait(&blk, TIMEOUT_MS);
        if (rc)
            return prog_fail(ctx, "%s: %u request(s) not completed in %u ms (used idx %u)",
                             use_irq ? "interrupt" : "polling", blk.inflight, TIMEOUT_MS,
                             blk.vq.used->idx);
        at = 0;
        for (uint32_t i = 0; i < k; i++) {
            int status = vblk_release(req[i]);
            if (status != VIRTIO_BLK_S_OK || req[i]->written != count[i] * VBLK_SECTOR + 1)
                st->bad_status++;
            for (uint32_t j = 0; j < count[i]; j++, at++)
                st->bad_words += check_sector(&buf[at * WORDS], first[i] + j, 0);
        }
    }
    if (st->bad_status || st->bad_words)
        return prog_fail(ctx,
                         "%s reads: %u bad status/length, %u words differ from the host's pattern",
                         use_irq ? "interrupt" : "polled", st->bad_status, st->bad_words);
    return 0;
}

/* Write WRITE_SECTORS at sector n, flush, read back. */
static int write_flush(struct prog_ctx *ctx, uint32_t n, const char **what)
{
    for (uint32_t i = 0; i < WRITE_SECTORS; i++)
        for (uint32_t w = 0; w < WORDS; w++)
            buf[i * WORDS + w] = GUEST_WORD(n + i, w);
    int rc = vblk_io(&blk, VIRTIO_BLK_T_OUT, n, buf, WRITE_SECTORS);
    if (vdev_has(&blk.vd, VIRTIO_BLK_F_RO)) {
        if (rc != VBLK_EROFS)
            return prog_fail(ctx, "read-only disk: the driver did not refuse the write (%d)", rc);
        /* The device must refuse it as well: submit it past the driver. */
        struct vblk_req *r;
        if ((rc = vblk_submit(&blk, VIRTIO_BLK_T_OUT, n, buf, WRITE_SECTORS, &r)) != 0)
            return prog_fail(ctx, "submit of the refused write: error %d", rc);
        vblk_kick(&blk);
        if ((rc = vblk_wait(&blk, TIMEOUT_MS)) != 0)
            return prog_fail(ctx, "read-only disk: the write got no answer (%d)", rc);
        rc = vblk_release(r);
        if (rc != VIRTIO_BLK_S_IOERR && rc != VIRTIO_BLK_S_UNSUPP)
            return prog_fail(ctx, "read-only disk: the device answered a write with status %d", rc);
        *what = rc == VIRTIO_BLK_S_IOERR ? "refused-ioerr" : "refused-unsupp";
        return 0;
    }
    if (rc != VIRTIO_BLK_S_OK)
        return prog_fail(ctx, "write of sectors %u-%u: status %d", n, n + WRITE_SECTORS - 1, rc);
    if (vdev_has(&blk.vd, VIRTIO_BLK_F_FLUSH) &&
        (rc = vblk_io(&blk, VIRTIO_BLK_T_FLUSH, 0, 0, 0)) != VIRTIO_BLK_S_OK)
        return prog_fail(ctx, "flush: status %d", rc);
    __builtin_memset(buf, 0, WRITE_SECTORS * VBLK_SECTOR);
    if ((rc = vblk_io(&blk, VIRTIO_BLK_T_IN, n, buf, WRITE_SECTORS)) != VIRTIO_BLK_S_OK)
        return prog_fail(ctx, "read-back of sectors %u-%u: status %d", n, n + WRITE_SECTORS - 1,
                         rc);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < WRITE_SECTORS; i++)
        bad += check_sector(&buf[i * WORDS], n + i, 1);
    if (bad)
        return prog_fail(ctx, "read-back: %u words differ from what was written", bad);
    *what = "ok";
    return 0;
}

__attribute__((format(printf, 3, 4))) static void kformat(char *out, uint32_t len, const char *fmt,
                                                          ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnformat(out, len, fmt, ap);
    va_end(ap);
}

/* Where the device is, for messages and the RESULT line:
 * "pci=BB:DD.F" or "mmio=0xADDR". */
static void where(char *out, uint32_t len, const struct vdev *d)
{
    uint32_t w = d->where;
    if (d->mmio)
        kformat(out, len, "mmio=0x%x", w);
    else
        kformat(out, len, "pci=%02x:%02x.%x", w >> 16, w >> 8 & 0xff, w & 0xff);
}

static int run(struct prog_ctx *ctx, const struct vdev *d)
{
    uint32_t n = ctx->iters;
    char loc[32];
    where(loc, sizeof loc, d);
    if (vblk_open(&blk, d))
        return prog_fail(ctx, "%s: %s", loc, blk.vd.err);
    kprintf("vmlab: virtio_blk: %s irq %d features 0x%llx capacity %llu sectors queue %u\n", loc,
            blk.irq, blk.vd.features, blk.capacity, blk.vq.size);
    if (blk.capacity < (uint64_t)n + WRITE_SECTORS)
        return prog_fail(ctx, "disk has %llu sectors, need %u (iters=%u + %u to write)",
                         blk.capacity, n + WRITE_SECTORS, n, WRITE_SECTORS);
    if (blk.irq < 0)
        return prog_fail(ctx, "%s: no interrupt line routed", loc);

    struct stats irq = { 0 }, poll = { 0 };
    if (get_id(ctx))
        return -1;
    uint32_t irqs0 = blk.irqs, by_irq0 = blk.irq_completions;
    if (read_all(ctx, n, 1, &irq))
        return -1;
    uint32_t irqs = blk.irqs - irqs0, by_irq = blk.irq_completions - by_irq0;
    if (by_irq != irq.requests)
        return prog_fail(ctx,
                         "interrupt mode: %u of %u requests completed by the interrupt handler",
                         by_irq, irq.requests);

    vdev_ack(&blk.vd); /* start with a clear ISR */
    if (read_all(ctx, n, 0, &poll))
        return -1;
    uint8_t poll_isr = vdev_ack(&blk.vd);
    if (poll_isr & VIRTIO_ISR_QUEUE)
        return prog_fail(ctx, "polled reads with interrupts suppressed still raised ISR 0x%x",
                         poll_isr);

    const char *wrote = "none";
    vblk_use_irq(&blk, 1);
    if (write_flush(ctx, n, &wrote))
        return -1;
    result(ctx,
           "device=virtio-blk-%s %s id=%s event_idx=%d indirect=%d ro=%d flush=%d "
           "capacity=%llu "
           "sectors=%u irq_requests=%u irq_kicks=%u irqs=%u irq_completed=%u poll_requests=%u "
           "poll_kicks=%u "
           "poll_isr=%u kicks_saved=%u write=%s wsector=%u wcount=%u bad_used=%u",
           vdev_transport(d), loc, id, vdev_has(&blk.vd, VIRTIO_F_EVENT_IDX), blk.indirect,
           vdev_has(&blk.vd, VIRTIO_BLK_F_RO), vdev_has(&blk.vd, VIRTIO_BLK_F_FLUSH), blk.capacity,
           n, irq.requests, irq.kicks, irqs, by_irq, poll.requests, poll.kicks, poll_isr,
           blk.vq.kicks_saved, wrote, n, WRITE_SECTORS, blk.vq.bad_used);
    return 0;
}

static int virtio_blk_prog(struct prog_ctx *ctx)
{
    static struct vdev d;
    struct pci_dev p;
    int found = vdev_find(&d, VIRTIO_ID_BLOCK);
    if (found == 0 && !pci_find(VIRTIO_PCI_VENDOR, 0x1001, 0x1001, &p)) /* transitional */
        found = vdev_probe_pci(&d, &p) ? -1 : 1;
    if (found < 0)
        return prog_fail(ctx, "%s", d.err);
    if (!found) {
        kprintf("vmlab: virtio_blk: SKIP: no virtio-blk PCI device on bus 0 "
                "(vendor 0x1af4, device 0x1042 or 0x1001), nor on virtio-mmio\n");
        result(ctx, "device=none skipped=1");
        return 0;
    }
    int rc = run(ctx, &d);
    vblk_close(&blk);
    return rc;
}

PROGRAM("virtio_blk",
        "virtio-blk driver: read the host's pattern (interrupt and polled), write, flush", 64,
        virtio_blk_prog);
