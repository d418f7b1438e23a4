/*
 * virtio_console.c — virtio-console port 0 to a file (virtio_console.h;
 * virtio 1.2 §5.3).
 */
#include "05-io/virtio_console.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define CFG_LEN 12 /* cols, rows, max_nr_ports, emerg_wr */

int virtio_console_open(struct virtio_console *c, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (strcmp(path, "-") == 0) {
        c->fd = STDOUT_FILENO;
        return 0;
    }
    c->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (c->fd < 0) {
        snprintf(err, errlen, "cannot create console output '%s': %s", path, strerror(errno));
        return -1;
    }
    c->own_fd = true;
    return 0;
}

void virtio_console_close(struct virtio_console *c)
{
    if (c->own_fd && c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* Write the request's readable buffers to the output, all of them. */
static void transmit(struct virtio_console *c, const struct virtq_req *r)
{
    for (unsigned i = 0; i < r->nout; i++) {
        for (uint32_t done = 0; done < r->out[i].len;) {
            ssize_t n = write(c->fd, r->out[i].p + done, r->out[i].len - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                c->ioerr++; /* the output is gone (a closed pipe): the guest goes on */
                return;
            }
            done += (uint32_t)n;
        }
        c->bytes += r->out[i].len;
    }
    c->writes++;
}

static void notify(void *dev, struct virtio_dev *vd, unsigned n)
{
    struct virtio_console *c = dev;
    if (n != VCON_TRANSMITQ) /* receiveq: buffers for input we do not have */
        return;
    struct virtq *q = &vd->vq[n];
    int got;
    while ((got = virtq_pop(q, &c->req)) > 0) {
        transmit(c, &c->req);
        if (virtq_push(q, &c->req, 0) < 0) { /* §5.3.6.2: nothing written back */
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
    (void)dev;
    for (unsigned i = 0; i < len; i++)
        buf[i] = 0; /* no F_SIZE, no F_MULTIPORT, no F_EMERG_WRITE */
    (void)off;
}

static void print_stats(const void *dev, FILE *out) { virtio_console_print_stats(dev, out); }

const struct virtio_device_ops *virtio_console_ops(struct virtio_console *c)
{
    c->ops = (struct virtio_device_ops){
        .name = "virtio-console",
        .device_id = VIRTIO_ID_CONSOLE,
        .class_code = 0x078000, /* simple communication controller, other */
        .nqueues = 2,
        .queue_size = 64,
        .config_len = CFG_LEN,
        .config_read = config_read,
        .notify = notify,
        .print_stats = print_stats,
    };
    return &c->ops;
}

void virtio_console_print_stats(const struct virtio_console *c, FILE *out)
{
    fprintf(out, "  virtio-console: %llu writes, %llu bytes out, %llu output errors\n",
            (unsigned long long)c->writes, (unsigned long long)c->bytes,
            (unsigned long long)c->ioerr);
}
