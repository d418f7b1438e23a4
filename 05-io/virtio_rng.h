/*
 * virtio_rng.h — the entropy device (virtio 1.2 §5.4): device ID 4.
 *
 * One queue (requestq, queue 0) and no configuration, no feature bits.
 * The driver offers device-writable buffers; the device fills each with
 * random bytes — here from the host kernel's getrandom(2) — and returns it
 * with the number of bytes written (§5.4.6).  Linux's driver
 * (drivers/char/hw_random/virtio-rng.c) registers a hwrng named
 * "virtio_rng.N": /dev/hwrng reads from it.
 */
#ifndef IO_VIRTIO_RNG_H
#define IO_VIRTIO_RNG_H

#include <stdint.h>
#include <stdio.h>
#include "05-io/virtio_dev.h"

#define VIRTIO_ID_RNG 4

struct virtio_rng {
    struct virtio_device_ops ops;
    struct virtq_req req;               /* the request being done */
    uint64_t requests, bytes, failures; /* --stats; failures: getrandom gave nothing */
};

/* The transport's view of r. */
const struct virtio_device_ops *virtio_rng_ops(struct virtio_rng *r);
void virtio_rng_print_stats(const struct virtio_rng *r, FILE *out);

#endif
