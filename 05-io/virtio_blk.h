/*
 * virtio_blk.h — a virtio block device (virtio 1.2 §5.2) backed by a file.
 *
 * One request queue (requestq, queue 0).  Each request is one descriptor
 * chain (§5.2.6):
 *
 *   device-readable   le32 type | le32 reserved | le64 sector   (16 bytes)
 *                     then, for a write, the data
 *   device-writable   for a read or get-id, the data
 *                     u8 status: 0 OK, 1 IOERR, 2 UNSUPP (the last byte)
 *
 * Sectors are 512 bytes whatever the block size.  Types done: IN (0) pread,
 * OUT (1) pwrite, FLUSH (4) fsync(2) (offered as VIRTIO_BLK_F_FLUSH, so the
 * driver knows the device has a write cache and sends flushes: a write is
 * on the disk only after a flush completed OK), GET_ID (8) the serial
 * number, up to 20 bytes.  Anything else is UNSUPP.  A read-only disk
 * (--disk FILE,ro) advertises VIRTIO_BLK_F_RO and answers every write with
 * IOERR; a request past the end of the disk is IOERR too.
 *
 * Configuration space (§5.2.4): le64 capacity (in 512-byte sectors), le32
 * size_max, le32 seg_max (VIRTIO_BLK_F_SEG_MAX), geometry, le32 blk_size.
 */
#ifndef IO_VIRTIO_BLK_H
#define IO_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include "05-io/virtio_dev.h"

#define VIRTIO_ID_BLOCK 2

/* Feature bits (§5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO      5
#define VIRTIO_BLK_F_FLUSH   9

/* Request types and status (§5.2.6). */
#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20

#define VIRTIO_BLK_SEG_MAX 126 /* data buffers per request we accept */

struct virtio_blk {
    int fd;
    bool ro;
    uint64_t sectors; /* capacity: the file's size / 512 */
    char id[VIRTIO_BLK_ID_BYTES + 1];
    struct virtio_device_ops ops;
    struct virtq_req req; /* the request being done */
    /* --stats */
    uint64_t nread, nwrite, nflush, nother, bytes_read, bytes_written, ioerr;
};

/* Parse "FILE[,ro]" into path (len bytes) and *ro.  0, or -1 with a
 * one-line reason in err. */
int virtio_blk_parse(const char *spec, char *path, size_t len, bool *ro, char *err, size_t errlen);
/* Open the back end: spec as above.  0, or -1 with a one-line reason. */
int virtio_blk_open(struct virtio_blk *b, const char *spec, char *err, size_t errlen);
/* The transport's view of b (after virtio_blk_open). */
const struct virtio_device_ops *virtio_blk_ops(struct virtio_blk *b);
void virtio_blk_close(struct virtio_blk *b);
void virtio_blk_print_stats(const struct virtio_blk *b, FILE *out);

#endif
