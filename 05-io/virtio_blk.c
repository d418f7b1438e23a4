/*
 * virtio_blk.c — virtio-blk over a file (virtio_blk.h; virtio 1.2 §5.2).
 */
#include "05-io/virtio_blk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECTOR 512u

int virtio_blk_parse(const char *spec, char *path, size_t len, bool *ro, char *err, size_t errlen)
{
    const char *comma = strchr(spec, ',');
    size_t n = comma ? (size_t)(comma - spec) : strlen(spec);
    *ro = false;
    if (comma && strcmp(comma + 1, "ro") != 0) {
        snprintf(err, errlen, "--disk '%s': expected FILE or FILE,ro", spec);
        return -1;
    }
    *ro = comma != NULL;
    if (n == 0 || n >= len) {
        snprintf(err, errlen, "--disk '%s': %s", spec, n ? "file name too long" : "no file name");
        return -1;
    }
    memcpy(path, spec, n);
    path[n] = '\0';
    return 0;
}

void virtio_blk_close(struct virtio_blk *b)
{
    if (b->fd >= 0)
        close(b->fd);
    b->fd = -1;
}

int virtio_blk_open(struct virtio_blk *b, const char *spec, char *err, size_t errlen)
{
    char path[4096];
    memset(b, 0, sizeof *b);
    b->fd = -1;
    if (virtio_blk_parse(spec, path, sizeof path, &b->ro, err, errlen) < 0)
        return -1;
    b->fd = open(path, (b->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    struct stat st;
    if (b->fd < 0 || fstat(b->fd, &st) < 0) {
        snprintf(err, errlen, "cannot open disk '%s'%s: %s", path, b->ro ? "" : " for writing",
                 strerror(errno));
        virtio_blk_close(b);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "disk '%s' is not a regular file", path);
        virtio_blk_close(b);
        return -1;
    }
    b->sectors = (uint64_t)st.st_size / SECTOR;
    const char *base = strrchr(path, '/');
    /* The serial number: "vmlab-" and the file's name, cut at 20 bytes. */
    const char *name = base ? base + 1 : path;
    size_t k = strlen(name) < VIRTIO_BLK_ID_BYTES - 6 ? strlen(name) : VIRTIO_BLK_ID_BYTES - 6;
    memcpy(b->id, "vmlab-", 6);
    memcpy(b->id + 6, name, k);
    b->id[6 + k] = '\0';
    return 0;
}

/* ---- configuration space (§5.2.4) ---------------------------------- */

#define CFG_LEN 24 /* capacity, size_max, seg_max, geometry, blk_size */

static void config_read(void *dev, unsigned off, uint8_t *buf, unsigned len)
{
    const struct virtio_blk *b = dev;
    uint8_t c[CFG_LEN] = { 0 };
    for (unsigned i = 0; i < 8; i++) /* le64 capacity */
        c[i] = (uint8_t)(b->sectors >> (8 * i));
    c[12] = VIRTIO_BLK_SEG_MAX; /* le32 seg_max */
    c[21] = SECTOR >> 8;        /* le32 blk_size = 512 */
    for (unsigned i = 0; i < len; i++)
        buf[i] = off + i < CFG_LEN ? c[off + i] : 0;
}

/* ---- requests (§5.2.6) --------------------------------------------- */

/* Read or write `len` bytes at byte `pos` of the file through the request's
 * buffers, starting at byte `off` of its writable (read) or readable
 * (write) side.  0, or -1 on an I/O error. */
static int transfer(struct virtio_blk *b, const struct virtq_req *r, bool write, uint64_t off,
                    uint64_t len, uint64_t pos)
{
    const struct virtq_iov *v = write ? r->out : r->in;
    unsigned n = write ? r->nout : r->nin;
    for (unsigned i = 0; i < n && len; i++) {
        if (off >= v[i].len) {
            off -= v[i].len;
            continue;
        }
        uint64_t k = v[i].len - off;
        if (k > len)
            k = len;
        for (uint64_t done = 0; done < k;) {
            ssize_t got = write ? pwrite(b->fd, v[i].p + off + done, k - done, (off_t)(pos + done))
                                : pread(b->fd, v[i].p + off + done, k - done, (off_t)(pos + done));
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                return -1;
            done += (uint64_t)got;
        }
        pos += k;
        len -= k;
        off = 0;
    }
    return len ? -1 : 0;
}

/* Do one request; the status byte, and *written = data bytes written. */
static uint8_t do_request(struct virtio_blk *b, const struct virtq_req *r, uint32_t *written)
{
    uint8_t hdr[16];
    *written = 0;
    if (virtq_read_out(r, 0, hdr, sizeof hdr) < sizeof hdr)
        return VIRTIO_BLK_S_IOERR;
    uint32_t type = (uint32_t)(hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (uint32_t)hdr[3] << 24);
    uint64_t sector = 0;
    for (int i = 7; i >= 0; i--)
        sector = sector << 8 | hdr[8 + i];
    uint64_t in_data = r->in_len - 1, out_data = r->out_len - sizeof hdr;
    switch (type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT: {
        bool write = type == VIRTIO_BLK_T_OUT;
        uint64_t len = write ? out_data : in_data;
        if (write)
            b->nwrite++;
        else
            b->nread++;
        if (write && b->ro)
            return VIRTIO_BLK_S_IOERR;
        if (len % SECTOR || sector > b->sectors || len / SECTOR > b->sectors - sector)
            return VIRTIO_BLK_S_IOERR;
        if (transfer(b, r, write, write ? sizeof hdr : 0, len, sector * SECTOR) < 0)
            return VIRTIO_BLK_S_IOERR;
        if (write)
            b->bytes_written += len;
        else
            b->bytes_read += len;
        *written = write ? 0 : (uint32_t)len;
        return VIRTIO_BLK_S_OK;
    }
    case VIRTIO_BLK_T_FLUSH:
        b->nflush++;
        return fsync(b->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
    case VIRTIO_BLK_T_GET_ID: {
        b->nother++;
        uint8_t id[VIRTIO_BLK_ID_BYTES] = { 0 };
        memcpy(id, b->id, strlen(b->id)); /* NUL-padded, not terminated if 20 */
        uint64_t n = in_data < sizeof id ? in_data : sizeof id;
        *written = (uint32_t)virtq_write_in(r, 0, id, n);
        return VIRTIO_BLK_S_OK;
    }
    default: b->nother++; return VIRTIO_BLK_S_UNSUPP;
    }
}

static void notify(void *dev, struct virtio_dev *vd, unsigned n)
{
    struct virtio_blk *b = dev;
    struct virtq *q = &vd->vq[n];
    int got;
    while ((got = virtq_pop(q, &b->req)) > 0) {
        struct virtq_req *r = &b->req;
        if (r->out_len < 16 || r->in_len < 1) {
            snprintf(q->err, sizeof q->err,
                     "request at head %u: %llu readable, %llu writable bytes (need a 16-byte "
                     "header and a status byte)",
                     r->head, (unsigned long long)r->out_len, (unsigned long long)r->in_len);
            got = -1;
            break;
        }
        uint32_t written;
        uint8_t status = do_request(b, r, &written);
        if (status == VIRTIO_BLK_S_IOERR)
            b->ioerr++;
        virtq_write_in(r, r->in_len - 1, &status, 1);
        if (virtq_push(q, r, written + 1) < 0) {
            got = -1;
            break;
        }
    }
    if (got < 0)
        virtio_fail(vd, n);
    virtio_complete(vd, n);
}

static void print_stats(const void *dev, FILE *out) { virtio_blk_print_stats(dev, out); }

const struct virtio_device_ops *virtio_blk_ops(struct virtio_blk *b)
{
    b->ops = (struct virtio_device_ops){
        .name = "virtio-blk",
        .device_id = VIRTIO_ID_BLOCK,
        .class_code = 0x018000, /* mass storage, other */
        .features = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_FLUSH |
                    (b->ro ? 1ull << VIRTIO_BLK_F_RO : 0),
        .nqueues = 1,
        .queue_size = 128,
        .config_len = CFG_LEN,
        .config_read = config_read,
        .notify = notify,
        .print_stats = print_stats,
    };
    return &b->ops;
}

void virtio_blk_print_stats(const struct virtio_blk *b, FILE *out)
{
    fprintf(out,
            "  virtio-blk: %llu reads (%llu KiB), %llu writes (%llu KiB), %llu flushes, %llu "
            "other, %llu I/O errors\n",
            (unsigned long long)b->nread, (unsigned long long)(b->bytes_read >> 10),
            (unsigned long long)b->nwrite, (unsigned long long)(b->bytes_written >> 10),
            (unsigned long long)b->nflush, (unsigned long long)b->nother,
            (unsigned long long)b->ioerr);
}
