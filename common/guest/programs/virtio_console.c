/*
 * virtio_console — a console driver (virtio 1.1 §5.3), port 0 only (no
 * VIRTIO_CONSOLE_F_MULTIPORT), on either transport (kernel/virtio_dev.h):
 * vmm-io's --console-out over PCI or virtio-mmio, or QEMU's virtconsole.
 *
 * Port 0 has two queues (§5.3.2): receiveq (0), buffers the driver gives
 * for input, and transmitq (1), buffers of output.  The program offers
 * receive buffers as §5.3.6.1 asks, then sends iters lines, each one
 * device-readable buffer on transmitq, polled to completion (the console
 * of a kernel that may have no interrupts yet: Linux's hvc does the
 * same, busy-waiting in put_chars).  The host finds the lines in the
 * device's output; the RESULT line counts them.  Without a console device
 * it prints SKIP and passes.
 */
#include "../kernel/program.h"
#include "../kernel/timer.h"
#include "../kernel/virtio.h"
#include "../kernel/virtio_dev.h"
#include "../user/format.h"
#include <stdarg.h>

#define RX_BUFS    4
#define RX_BYTES   64
#define LINE_MAX   80
#define TIMEOUT_MS 2000

static struct vdev dev;
static struct virtqueue rxq, txq;
static uint8_t rx[RX_BUFS][RX_BYTES];
static char line[LINE_MAX];

__attribute__((format(printf, 3, 4))) static void kformat(char *out, uint32_t len, const char *fmt,
                                                          ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnformat(out, len, fmt, ap);
    va_end(ap);
}

/* Send one line on transmitq and spin until the device used it. */
static int send(struct prog_ctx *ctx, uint32_t i, uint32_t n, uint32_t *bytes)
{
    kformat(line, sizeof line, "vmlab: virtio_console: line %u of %u over %s\n", i, n,
            vdev_transport(&dev));
    uint32_t len = (uint32_t)__builtin_strlen(line), used;
    struct vq_buf b = { (uint32_t)line, len, 0 };
    if (vq_add(&txq, &b, 1, line) < 0)
        return prog_fail(ctx, "line %u: transmitq full", i);
    if (vq_kick_needed(&txq))
        vdev_notify(&dev, &txq);
    uint64_t end = rdtsc() + tsc_per_tick() * (TIMEOUT_MS / (1000 / TIMER_HZ) + 1);
    while (!vq_get_used(&txq, &used))
        if (rdtsc() > end)
            return prog_fail(ctx, "line %u: not transmitted in %u ms", i, TIMEOUT_MS);
    *bytes += len;
    return 0;
}

static int run(struct prog_ctx *ctx)
{
    if (vdev_negotiate(&dev, 0) || vdev_queue(&dev, &rxq, 0, 16) || vdev_queue(&dev, &txq, 1, 16))
        return prog_fail(ctx, "%s: %s", vdev_transport(&dev), dev.err);
    vq_interrupts(&rxq, 0);
    vq_interrupts(&txq, 0);
    for (int i = 0; i < RX_BUFS; i++) { /* §5.3.6.1: receive buffers first */
        struct vq_buf b = { (uint32_t)rx[i], RX_BYTES, 1 };
        vq_add(&rxq, &b, 1, rx[i]);
    }
    vdev_driver_ok(&dev);
    if (vq_kick_needed(&rxq))
        vdev_notify(&dev, &rxq);
    if (vdev_status(&dev) & VIRTIO_STATUS_NEEDS_RESET)
        return prog_fail(ctx, "%s: device set NEEDS_RESET", vdev_transport(&dev));
    uint32_t n = ctx->iters, bytes = 0;
    for (uint32_t i = 1; i <= n; i++)
        if (send(ctx, i, n, &bytes))
            return -1;
    result(ctx, "device=virtio-console-%s transport=%s lines=%u bytes=%u bad_used=%u",
           vdev_transport(&dev), vdev_transport(&dev), n, bytes, txq.bad_used);
    return 0;
}

static int virtio_console_prog(struct prog_ctx *ctx)
{
    int found = vdev_find(&dev, VIRTIO_ID_CONSOLE);
    if (found < 0)
        return prog_fail(ctx, "%s", dev.err);
    if (!found) {
        kprintf("vmlab: virtio_console: SKIP: no console device (PCI 1af4:1043 or virtio-mmio "
                "ID 3)\n");
        result(ctx, "device=none skipped=1");
        return 0;
    }
    int rc = run(ctx);
    vdev_reset(&dev); /* the device lets go of our buffers */
    if (rxq.desc)
        vq_free(&rxq);
    if (txq.desc)
        vq_free(&txq);
    rxq.desc = txq.desc = 0;
    return rc;
}

PROGRAM("virtio_console", "virtio-console driver (PCI or MMIO): lines out on port 0", 3,
        virtio_console_prog);
