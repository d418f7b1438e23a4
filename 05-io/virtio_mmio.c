/*
 * virtio_mmio.c — the virtio-mmio transport, version 2 (virtio_mmio.h;
 * virtio 1.2 §4.2.2).
 */
#include "05-io/virtio_mmio.h"

#include <string.h>

/* The line follows InterruptStatus (§4.2.2.1: level-triggered). */
static void update_line(struct virtio_mmio *vm)
{
    bool level = vm->int_status != 0;
    if (level != vm->line) {
        vm->line = level;
        if (level)
            vm->vd.interrupts++;
        irq_line_set(&vm->irq, level);
    }
}

/* virtio_dev's interrupt: "used buffer" or "configuration change"
 * (§4.2.2.1 InterruptStatus bits 0 and 1). */
static void mmio_interrupt(struct virtio_dev *vd, int n)
{
    struct virtio_mmio *vm = (struct virtio_mmio *)vd;
    vm->int_status |= n == VIRTIO_IRQ_CONFIG ? VIRTIO_MMIO_INT_CONFIG : VIRTIO_MMIO_INT_VRING;
    update_line(vm);
}

void virtio_mmio_init(struct virtio_mmio *vm, uint64_t base, const struct guest_ram *ram,
                      const struct virtio_device_ops *ops, void *dev, struct irq_line irq,
                      FILE *log, const char *prog)
{
    memset(vm, 0, sizeof *vm);
    virtio_dev_init(&vm->vd, ram, ops, dev, log, prog, "mmio", mmio_interrupt);
    vm->base = base;
    vm->irq = irq;
}

/* The selected queue, or NULL if there is no such queue. */
static struct virtq *selected(struct virtio_mmio *vm)
{
    return vm->queue_sel < vm->vd.ops->nqueues ? &vm->vd.vq[vm->queue_sel] : NULL;
}

static uint32_t reg_read(struct virtio_mmio *vm, unsigned off)
{
    const struct virtio_dev *vd = &vm->vd;
    const struct virtq *q = selected(vm);
    switch (off) {
    case VM_MAGIC: return VIRTIO_MMIO_MAGIC;
    case VM_VERSION: return VIRTIO_MMIO_VERSION;
    case VM_DEVICE_ID: return vd->ops->device_id;
    case VM_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
    case VM_DEV_FEATURES: return virtio_device_features(vd, vm->dev_feature_sel);
    case VM_QUEUE_NUM_MAX: return q ? q->max_size : 0;
    case VM_QUEUE_READY: return q ? q->ready : 0;
    case VM_INT_STATUS: return vm->int_status;
    case VM_STATUS: return vd->status;
    case VM_CONFIG_GEN: return vd->generation;
    default: vm->bad++; return 0; /* write-only or reserved */
    }
}

/* Set the low or high half of a 64-bit ring address. */
static void half(uint64_t *addr, bool high, uint32_t v)
{
    *addr = high ? (*addr & 0xffffffffull) | (uint64_t)v << 32 : (*addr & ~0xffffffffull) | v;
}

/* QueueNum, QueueReady and the ring addresses of the selected queue; a
 * live queue's set-up is read-only (§4.2.2.2: written only while
 * QueueReady is 0). */
static void queue_write(struct virtio_mmio *vm, struct virtq *q, unsigned off, uint32_t v)
{
    if (off == VM_QUEUE_READY) {
        if (v == 0)
            q->ready = false;
        else if (!q->ready && virtq_enable(q) < 0)
            virtio_fail(&vm->vd, vm->queue_sel);
        return;
    }
    if (q->ready) {
        vm->bad++;
        return;
    }
    switch (off) {
    case VM_QUEUE_NUM: q->size = (uint16_t)(v > 0xffff ? 0 : v); break;
    case VM_QUEUE_DESC_LO:
    case VM_QUEUE_DESC_HI: half(&q->desc, off == VM_QUEUE_DESC_HI, v); break;
    case VM_QUEUE_DRIVER_LO:
    case VM_QUEUE_DRIVER_HI: half(&q->avail, off == VM_QUEUE_DRIVER_HI, v); break;
    case VM_QUEUE_DEVICE_LO:
    case VM_QUEUE_DEVICE_HI: half(&q->used, off == VM_QUEUE_DEVICE_HI, v); break;
    default: vm->bad++;
    }
}

static void reg_write(struct virtio_mmio *vm, unsigned off, uint32_t v)
{
    struct virtio_dev *vd = &vm->vd;
    switch (off) {
    case VM_DEV_FEATURES_SEL: vm->dev_feature_sel = v; return;
    case VM_DRV_FEATURES: virtio_set_driver_features(vd, vm->drv_feature_sel, v); return;
    case VM_DRV_FEATURES_SEL: vm->drv_feature_sel = v; return;
    case VM_QUEUE_SEL: vm->queue_sel = v; return;
    case VM_QUEUE_NOTIFY: virtio_kick(vd, v); return; /* v: the queue index */
    case VM_INT_ACK:
        vm->int_status &= ~v;
        update_line(vm);
        return;
    case VM_STATUS:
        if (virtio_set_status(vd, (uint8_t)v)) { /* reset: our registers too */
            vm->int_status = 0;
            vm->dev_feature_sel = vm->drv_feature_sel = vm->queue_sel = 0;
            update_line(vm);
        }
        return;
    case VM_QUEUE_NUM:
    case VM_QUEUE_READY:
    case VM_QUEUE_DESC_LO:
    case VM_QUEUE_DESC_HI:
    case VM_QUEUE_DRIVER_LO:
    case VM_QUEUE_DRIVER_HI:
    case VM_QUEUE_DEVICE_LO:
    case VM_QUEUE_DEVICE_HI:
        if (selected(vm))
            queue_write(vm, selected(vm), off, v);
        else
            vm->bad++;
        return;
    default: vm->bad++; /* read-only or reserved: ignored */
    }
}

/* Registers are 32 bits wide and accessed so (§4.2.2.2: "The driver MUST
 * only use 32 bit wide and aligned reads and writes to access the control
 * registers"); the configuration space takes any width.  Anything else is
 * counted and ignored (reads give 0). */
void virtio_mmio_io(void *dev, uint64_t off64, uint8_t size, bool is_write, uint32_t *value)
{
    struct virtio_mmio *vm = dev;
    unsigned off = (unsigned)off64;
    if (is_write)
        vm->writes++;
    else
        vm->reads++;
    if (off >= VM_CONFIG) {
        uint8_t buf[4] = { 0 };
        if (is_write) /* no writable field in our devices */
            return;
        if (off - VM_CONFIG + size <= vm->vd.ops->config_len)
            vm->vd.ops->config_read(vm->vd.dev, off - VM_CONFIG, buf, size);
        *value = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 |
                 (uint32_t)buf[3] << 24;
        return;
    }
    if (size != 4 || off % 4) {
        vm->bad++;
        if (!is_write)
            *value = 0;
        return;
    }
    if (is_write)
        reg_write(vm, off, *value);
    else
        *value = reg_read(vm, off);
}

void virtio_mmio_print_stats(const struct virtio_mmio *vm, FILE *out)
{
    const struct virtio_dev *vd = &vm->vd;
    uint64_t done = 0;
    for (unsigned i = 0; i < vd->ops->nqueues; i++)
        done += vd->vq[i].pushed;
    fprintf(out,
            "  %s: %llu register accesses (%llu reads, %llu writes; each a trap), %llu notifies, "
            "%llu requests, %llu interrupts (virtio-mmio at 0x%llx), %llu bad accesses, %llu "
            "errors\n",
            vd->ops->name, (unsigned long long)(vm->reads + vm->writes),
            (unsigned long long)vm->reads, (unsigned long long)vm->writes,
            (unsigned long long)vd->notifies, (unsigned long long)done,
            (unsigned long long)vd->interrupts, (unsigned long long)vm->base,
            (unsigned long long)vm->bad, (unsigned long long)vd->errors);
    virtio_dev_print_stats(vd, out);
}
