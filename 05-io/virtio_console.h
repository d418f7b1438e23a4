/*
 * virtio_console.h — the console device (virtio 1.2 §5.3): device ID 3.
 *
 * Without VIRTIO_CONSOLE_F_MULTIPORT it is one port, port 0, with two
 * queues (§5.3.2): receiveq (queue 0), device-writable buffers the device
 * fills with input, and transmitq (queue 1), device-readable buffers of
 * output.  Linux's driver (drivers/char/virtio_console.c) makes port 0 a
 * hvc console: /dev/hvc0, and `console=hvc0` puts the kernel's messages
 * there.  Configuration (§5.3.4): le16 cols, le16 rows, le32
 * max_nr_ports, le32 emerg_wr, valid only with the features that name
 * them; none is offered here.
 *
 * Output goes to a file descriptor (--console-out FILE, "-" for the VMM's
 * stdout) byte for byte; there is no input yet (receive buffers stay with
 * the device until reset).
 */
#ifndef IO_VIRTIO_CONSOLE_H
#define IO_VIRTIO_CONSOLE_H

#include <stdint.h>
#include <stdio.h>
#include "05-io/virtio_dev.h"

#define VIRTIO_ID_CONSOLE 3
#define VCON_RECEIVEQ     0
#define VCON_TRANSMITQ    1

struct virtio_console {
    int fd;      /* where port 0's output goes */
    bool own_fd; /* opened here (closed by virtio_console_close) */
    struct virtio_device_ops ops;
    struct virtq_req req;
    uint64_t writes, bytes, ioerr; /* --stats */
};

/* Output to path ("-": stdout), created or truncated.  0, or -1 with a
 * one-line reason. */
int virtio_console_open(struct virtio_console *c, const char *path, char *err, size_t errlen);
const struct virtio_device_ops *virtio_console_ops(struct virtio_console *c);
void virtio_console_close(struct virtio_console *c);
void virtio_console_print_stats(const struct virtio_console *c, FILE *out);

#endif
