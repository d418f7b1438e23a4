/*
 * virtio_mmio.c — the virtio-mmio transport, driver side (virtio_mmio.h;
 * virtio 1.1 §4.2).
 */
#include "virtio_mmio.h"
#include "mm.h"
#include "../user/format.h"

#include <stdarg.h>

static struct virtio_mmio_loc devices[VIRTIO_MMIO_MAX];

static void say(char *err, uint32_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnformat(err, len, fmt, ap);
    va_end(ap);
}
static int ndevices;

/* A number: 0x hex or decimal; *end after it.  -1 on no digit. */
static int64_t number(const char *s, const char **end)
{
    uint64_t v = 0;
    int base = 10, digits = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, s += 2;
    for (;; s++, digits++) {
        int d = *s >= '0' && *s <= '9'                 ? *s - '0'
                : base == 16 && *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
                : base == 16 && *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
                                                       : -1;
        if (d < 0 || v > 0xFFFFFFFFull)
            break;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *end = s;
    return digits && v <= 0xFFFFFFFFull ? (int64_t)v : -1;
}

int virtio_mmio_add(const char *spec)
{
    const char *s;
    int64_t size = number(spec, &s), base, irq = -1;
    if (size < 0 || ndevices >= VIRTIO_MMIO_MAX)
        return -1;
    if (*s == 'K' || *s == 'k')
        size <<= 10, s++;
    else if (*s == 'M' || *s == 'm')
        size <<= 20, s++;
    if (*s++ != '@' || (base = number(s, &s)) < 0 || size < 0x100 || size > 0x100000)
        return -1;
    if (*s == ':' && ((irq = number(s + 1, &s)) < 0 || irq > 15))
        return -1;
    if (*s) /* a device ID after a second ':' is Linux's too; not used here */
        return -1;
    devices[ndevices++] = (struct virtio_mmio_loc){ (uint32_t)base, (uint32_t)size, (int)irq };
    return 0;
}

int virtio_mmio_count(void) { return ndevices; }
const struct virtio_mmio_loc *virtio_mmio_at(int i) { return &devices[i]; }

uint32_t virtio_mmio_read(const struct virtio_mmio *m, uint32_t off)
{
    return *(volatile uint32_t *)(m->regs + off);
}
void virtio_mmio_write(const struct virtio_mmio *m, uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(m->regs + off) = v;
}

int virtio_mmio_probe(struct virtio_mmio *m, int i, char *err, uint32_t len)
{
    *m = (struct virtio_mmio){ .loc = devices[i] };
    m->regs = mm_map_mmio(m->loc.base, m->loc.size);
    if (!m->regs) {
        say(err, len, "virtio-mmio 0x%x: the kernel's MMIO window is full", m->loc.base);
        return -1;
    }
    uint32_t magic = virtio_mmio_read(m, VMMIO_MAGIC), version = virtio_mmio_read(m, VMMIO_VERSION);
    if (magic != VIRTIO_MMIO_MAGIC || version != 2) {
        say(err, len, "virtio-mmio 0x%x: magic 0x%x version %u (want 0x%x, 2)", m->loc.base, magic,
            version, VIRTIO_MMIO_MAGIC);
        return -1;
    }
    m->device_id = virtio_mmio_read(m, VMMIO_DEVICE_ID);
    return 0;
}

int virtio_mmio_queue(struct virtio_mmio *m, struct virtqueue *vq, uint16_t index,
                      uint16_t max_size, int event_idx)
{
    virtio_mmio_write(m, VMMIO_QUEUE_SEL, index);
    uint32_t size = virtio_mmio_read(m, VMMIO_QUEUE_NUM_MAX);
    if (!size || virtio_mmio_read(m, VMMIO_QUEUE_READY))
        return -1;
    if (size > max_size)
        size = max_size;
    size = 1u << (31 - __builtin_clz(size)); /* a power of 2 */
    if (vq_init(vq, index, (uint16_t)size, event_idx))
        return -1;
    virtio_mmio_write(m, VMMIO_QUEUE_NUM, size);
    virtio_mmio_write(m, VMMIO_QUEUE_DESC_LO, (uint32_t)vq->desc);
    virtio_mmio_write(m, VMMIO_QUEUE_DESC_HI, 0);
    virtio_mmio_write(m, VMMIO_QUEUE_DRIVER_LO, (uint32_t)vq->avail);
    virtio_mmio_write(m, VMMIO_QUEUE_DRIVER_HI, 0);
    virtio_mmio_write(m, VMMIO_QUEUE_DEVICE_LO, (uint32_t)vq->used);
    virtio_mmio_write(m, VMMIO_QUEUE_DEVICE_HI, 0);
    /* The doorbell: a 32-bit write of the queue index (§4.2.3.3); the
     * ring's notify pointer is 16-bit, so the transport kicks itself. */
    vq->notify = 0;
    virtio_mmio_write(m, VMMIO_QUEUE_READY, 1);
    return 0;
}
