/*
 * virtio_rng — an entropy driver (virtio 1.1 §5.4) on whichever transport
 * the device is (kernel/virtio_dev.h): QEMU's virtio-rng-pci
 * (disable-legacy=on), or vmm-io's --rng over PCI or virtio-mmio.
 *
 * The device has one queue (requestq); the driver offers device-writable
 * buffers and the device fills them with random bytes, returning how many
 * (the used ring's len, §5.4.6).
 *  1. by interrupt: iters requests of 16 bytes, one at a time, each
 *     completed by the interrupt handler (INTx# or the virtio-mmio line,
 *     through the 8259), the cause acknowledged there;
 *  2. polled: one 64-byte request with the device's interrupts
 *     suppressed, the used ring spun on, the interrupt cause stayed 0;
 *  3. every request came back full, no two 16-byte results are equal
 *     (2^-128 by chance), and the buffers do not keep their 0xA5 fill.
 * Without an entropy device it prints SKIP and passes (test=all runs
 * anywhere); `RESULT virtio_rng device=none` tells a test.
 */
#include "../kernel/pic.h"
#include "../kernel/program.h"
#include "../kernel/timer.h"
#include "../kernel/trap.h"
#include "../kernel/virtio.h"
#include "../kernel/virtio_dev.h"
#include "../kernel/x86.h"

#define POLL_BYTES       64
#define IRQ_BYTES        16
#define MAX_IRQ_REQUESTS 64
#define TIMEOUT_MS       2000

static struct vdev dev;
static struct virtqueue vq;
static uint8_t pool[POLL_BYTES + MAX_IRQ_REQUESTS * IRQ_BYTES] __attribute__((aligned(64)));
static volatile uint32_t irqs, irq_done, other_irqs, lens_bad;

/* Take every completed request; each token is its buffer. */
static uint32_t reap(uint32_t want_len)
{
    uint32_t n = 0, len;
    while (vq_get_used(&vq, &len)) {
        lens_bad += len != want_len;
        n++;
    }
    return n;
}

static void rng_irq(void *arg)
{
    (void)arg;
    uint8_t why = vdev_ack(&dev);
    if (!(why & VIRTIO_ISR_QUEUE)) {
        other_irqs++;
        return;
    }
    irqs++;
    irq_done += reap(IRQ_BYTES);
}

/* One request for len bytes at buf; kick when the device wants it. */
static int submit(uint8_t *buf, uint32_t len)
{
    struct vq_buf b = { (uint32_t)buf, len, 1 };
    if (vq_add(&vq, &b, 1, buf) < 0)
        return -1;
    if (vq_kick_needed(&vq))
        vdev_notify(&dev, &vq);
    return 0;
}

static uint64_t deadline(void)
{
    return rdtsc() + tsc_per_tick() * (TIMEOUT_MS / (1000 / TIMER_HZ) + 1);
}

static int polled(struct prog_ctx *ctx, uint8_t *why)
{
    vq_interrupts(&vq, 0);
    vdev_ack(&dev); /* start with no cause pending */
    if (submit(pool, POLL_BYTES))
        return prog_fail(ctx, "polled: no room in the queue");
    uint64_t end = deadline();
    uint32_t got = 0;
    while (!(got = reap(POLL_BYTES)) && rdtsc() < end)
        __asm__ volatile("pause");
    if (!got)
        return prog_fail(ctx, "polled: no completion in %u ms", TIMEOUT_MS);
    *why = vdev_ack(&dev);
    return 0;
}

static int by_interrupt(struct prog_ctx *ctx, uint32_t n)
{
    vq_interrupts(&vq, 1);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t before = irq_done;
        if (submit(pool + POLL_BYTES + i * IRQ_BYTES, IRQ_BYTES))
            return prog_fail(ctx, "request %u: no room in the queue", i);
        uint64_t end = deadline();
        while (irq_done == before && rdtsc() < end)
            sti_hlt_cli(); /* the device's interrupt (or the timer's) wakes us */
        if (irq_done == before)
            return prog_fail(ctx, "request %u: no interrupt in %u ms (irq %d)", i, TIMEOUT_MS,
                             dev.irq);
    }
    return 0;
}

/* No two 16-byte results equal, no buffer left as filled. */
static uint32_t repeats(uint32_t n)
{
    uint32_t bad = 0;
    const uint8_t *r = pool + POLL_BYTES;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t fill = 0;
        for (uint32_t k = 0; k < IRQ_BYTES; k++)
            fill += r[i * IRQ_BYTES + k] == 0xA5;
        bad += fill == IRQ_BYTES;
        for (uint32_t j = 0; j < i; j++)
            bad += !__builtin_memcmp(r + i * IRQ_BYTES, r + j * IRQ_BYTES, IRQ_BYTES);
    }
    return bad;
}

static int run(struct prog_ctx *ctx)
{
    uint32_t n = ctx->iters > MAX_IRQ_REQUESTS ? MAX_IRQ_REQUESTS : ctx->iters;
    if (vdev_negotiate(&dev, 1ull << VIRTIO_F_EVENT_IDX) || vdev_queue(&dev, &vq, 0, 16))
        return prog_fail(ctx, "%s: %s", vdev_transport(&dev), dev.err);
    if (dev.irq < 0)
        return prog_fail(ctx, "%s: no interrupt line", vdev_transport(&dev));
    irq_register(dev.irq, rng_irq, 0);
    pic_unmask(dev.irq);
    vdev_driver_ok(&dev);
    if (vdev_status(&dev) & VIRTIO_STATUS_NEEDS_RESET)
        return prog_fail(ctx, "%s: device set NEEDS_RESET after DRIVER_OK", vdev_transport(&dev));
    kprintf("vmlab: virtio_rng: %s irq %d features 0x%llx queue %u\n", vdev_transport(&dev),
            dev.irq, dev.features, vq.size);
    __builtin_memset(pool, 0xA5, sizeof pool);
    uint8_t poll_why = 0;
    /* Interrupts first: QEMU interrupts on the first completion after a
     * reset whatever used_event says (its signalled_used_valid), which a
     * polled pass would see as a cause. */
    if (by_interrupt(ctx, n) || polled(ctx, &poll_why))
        return -1;
    uint32_t same = repeats(n);
    result(ctx,
           "device=virtio-rng-%s transport=%s event_idx=%d irq=%d requests=%u bytes=%u "
           "irqs=%u irq_completed=%u poll_isr=%u bad_len=%u repeats=%u bad_used=%u",
           vdev_transport(&dev), vdev_transport(&dev), vdev_has(&dev, VIRTIO_F_EVENT_IDX), dev.irq,
           n + 1, POLL_BYTES + n * IRQ_BYTES, irqs, irq_done, poll_why, lens_bad, same,
           vq.bad_used);
    if (lens_bad)
        return prog_fail(ctx, "%u requests came back with fewer bytes than asked", lens_bad);
    if (same)
        return prog_fail(ctx, "%u of %u results repeat another or are the fill", same, n);
    if (poll_why & VIRTIO_ISR_QUEUE)
        return prog_fail(ctx, "the polled request raised an interrupt (cause 0x%x)", poll_why);
    return 0;
}

static int virtio_rng_prog(struct prog_ctx *ctx)
{
    int found = vdev_find(&dev, VIRTIO_ID_RNG);
    if (found < 0)
        return prog_fail(ctx, "%s", dev.err);
    if (!found) {
        kprintf("vmlab: virtio_rng: SKIP: no entropy device (PCI 1af4:1044 or virtio-mmio ID 4)\n");
        result(ctx, "device=none skipped=1");
        return 0;
    }
    irqs = irq_done = other_irqs = lens_bad = 0;
    int rc = run(ctx);
    vdev_reset(&dev); /* the device stops using our memory */
    if (dev.irq >= 0) {
        pic_mask(dev.irq);
        irq_register(dev.irq, 0, 0);
    }
    if (vq.desc)
        vq_free(&vq);
    vq.desc = 0;
    return rc;
}

PROGRAM("virtio_rng", "virtio-rng driver (PCI or MMIO): random bytes polled and by interrupt", 16,
        virtio_rng_prog);
