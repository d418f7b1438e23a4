/*
 * virtio_rng.c — virtio-rng fed by getrandom(2) (virtio_rng.h; virtio 1.2
 * §5.4).
 */
#include "05-io/virtio_rng.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

/* Fill the request's writable buffers; the bytes written.  getrandom(2)
 * with no flags blocks only until the host's pool is initialized (once
 * after boot) and returns up to 32 MiB per call; a short count is
 * possible for a large request, so loop (getrandom(2), "RETURN VALUE"). */
static uint32_t fill(struct virtio_rng *r, const struct virtq_req *q)
{
    uint64_t done = 0;
    for (unsigned i = 0; i < q->nin; i++) {
        for (uint32_t got = 0; got < q->in[i].len;) {
            ssize_t n = getrandom(q->in[i].p + got, q->in[i].len - got, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                r->failures++;
                return (uint32_t)(done + got);
            }
            got += (uint32_t)n;
        }
        done += q->in[i].len;
    }
    return (uint32_t)done;
}

static void notify(void *dev, struct virtio_dev *vd, unsigned n)
{
    struct virtio_rng *r = dev;
    struct virtq *q = &vd->vq[n];
    int got;
    while ((got = virtq_pop(q, &r->req)) > 0) {
        if (r->req.nout) { /* §5.4.6.1: the buffers are device-writable only */
            snprintf(q->err, sizeof q->err, "request at head %u has %u device-readable buffers",
                     r->req.head, r->req.nout);
            got = -1;
            break;
        }
        uint32_t written = fill(r, &r->req);
        r->requests++;
        r->bytes += written;
        if (virtq_push(q, &r->req, written) < 0) {
            got = -1;
            break;
        }
    }
    if (got < 0)
        virtio_fail(vd, n);
    virtio_complete(vd, n);
}

static void config_read(void *dev, unsigned off, uint8_t *buf, unsigned len)
{
    (void)dev, (void)off;
    memset(buf, 0, len); /* no configuration (config_len 0: never called) */
}

static void print_stats(const void *dev, FILE *out) { virtio_rng_print_stats(dev, out); }

const struct virtio_device_ops *virtio_rng_ops(struct virtio_rng *r)
{
    r->ops = (struct virtio_device_ops){
        .name = "virtio-rng",
        .device_id = VIRTIO_ID_RNG,
        .class_code = 0xff0000, /* unclassified: QEMU's virtio-rng-pci says the same */
        .nqueues = 1,
        .queue_size = 64,
        .config_len = 0,
        .config_read = config_read,
        .notify = notify,
        .print_stats = print_stats,
    };
    return &r->ops;
}

void virtio_rng_print_stats(const struct virtio_rng *r, FILE *out)
{
    fprintf(out, "  virtio-rng: %llu requests, %llu bytes of getrandom(2), %llu short\n",
            (unsigned long long)r->requests, (unsigned long long)r->bytes,
            (unsigned long long)r->failures);
}
