/*
 * virtio_pci.c — the modern virtio-pci transport (virtio_pci.h; virtio 1.2
 * §4.1).
 */
#include "05-io/virtio_pci.h"

#include <string.h>

#define PCI_CAP_PTR      0x34  /* Capabilities Pointer, PCI 3.0 §6.7 */
#define PCI_STATUS_INTX  0x08  /* Status: Interrupt Status           */
#define PCI_STATUS_CAPS  0x10  /* Status: Capabilities List          */
#define PCI_CMD_MEMORY   0x02  /* Command: Memory Space              */
#define PCI_CMD_INTX_OFF 0x400 /* Command: Interrupt Disable       */
#define PCI_CAP_VENDOR   0x09

/* virtio_pci_cap.cfg_type (§4.1.4). */
enum {
    VP_CAP_COMMON = 1,
    VP_CAP_NOTIFY = 2,
    VP_CAP_ISR = 3,
    VP_CAP_DEVICE = 4,
    VP_CAP_PCI_CFG = 5
};

/* The PCI configuration access capability (§4.1.4.9) at 0x84: the driver
 * writes bar, offset and length, then reads or writes pci_cfg_data, which
 * is that access to the BAR, for a driver that cannot map the BAR. */
#define CFG_CAP      0x84
#define CFG_CAP_BAR  (CFG_CAP + 4)
#define CFG_CAP_OFF  (CFG_CAP + 8)
#define CFG_CAP_LEN  (CFG_CAP + 12)
#define CFG_CAP_DATA (CFG_CAP + 16)

/* Common configuration field offsets (§4.1.4.3, struct virtio_pci_common_cfg). */
enum {
    CC_DFSELECT = 0x00, /* le32 device_feature_select */
    CC_DF = 0x04,       /* le32 device_feature (RO)   */
    CC_GFSELECT = 0x08, /* le32 driver_feature_select */
    CC_GF = 0x0C,       /* le32 driver_feature        */
    CC_MSIX = 0x10,     /* le16 config_msix_vector    */
    CC_NUMQ = 0x12,     /* le16 num_queues (RO)       */
    CC_STATUS = 0x14,   /* u8 device_status           */
    CC_GEN = 0x15,      /* u8 config_generation (RO)  */
    CC_Q_SELECT = 0x16, /* le16 queue_select          */
    CC_Q_SIZE = 0x18,   /* le16 queue_size            */
    CC_Q_MSIX = 0x1A,   /* le16 queue_msix_vector     */
    CC_Q_ENABLE = 0x1C, /* le16 queue_enable          */
    CC_Q_NOFF = 0x1E,   /* le16 queue_notify_off (RO) */
    CC_Q_DESC = 0x20,   /* le64 queue_desc            */
    CC_Q_DRIVER = 0x28, /* le64 queue_driver (avail)  */
    CC_Q_DEVICE = 0x30, /* le64 queue_device (used)   */
};

static void put(uint8_t *p, unsigned len, uint64_t v)
{
    for (unsigned i = 0; i < len; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get(const uint8_t *p, unsigned len)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < len; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* ---- INTx ------------------------------------------------------------ */

/* The line follows the ISR (level-triggered), gated by Interrupt Disable. */
static void update_line(struct virtio_pci *vp)
{
    bool pending = vp->isr != 0;
    uint16_t status = (uint16_t)pci_cfg_get(vp->pci, PCI_STATUS, 2);
    status = pending ? status | PCI_STATUS_INTX : status & ~PCI_STATUS_INTX;
    pci_cfg_set(vp->pci, PCI_STATUS, 2, status);
    bool level = pending && !(pci_cfg_get(vp->pci, PCI_COMMAND, 2) & PCI_CMD_INTX_OFF) &&
                 !msix_enabled(&vp->msix); /* MSI-X on: INTx# is off (§6.8.2) */
    if (level != vp->line) {
        vp->line = level;
        if (level)
            vp->vd.interrupts++;
        irq_line_set(&vp->irq, level);
    }
}

static void raise(struct virtio_pci *vp, uint8_t bits)
{
    vp->isr |= bits;
    update_line(vp);
}

/* Interrupt the driver: the vector's message with MSI-X on (none for
 * VIRTIO_MSI_NO_VECTOR), else the ISR bit and INTx#. */
static void interrupt_driver(struct virtio_pci *vp, uint16_t vector, uint8_t isr_bit)
{
    if (!msix_enabled(&vp->msix)) {
        raise(vp, isr_bit);
        return;
    }
    if (vector != VIRTIO_MSI_NO_VECTOR) {
        vp->vd.interrupts++;
        msix_notify(&vp->msix, vector);
    }
}

/* virtio_dev's interrupt: a queue's vector and ISR bit 0, or the
 * configuration vector and ISR bit 1 (§4.1.4.5). */
static void pci_interrupt(struct virtio_dev *vd, int n)
{
    struct virtio_pci *vp = (struct virtio_pci *)vd;
    if (n == VIRTIO_IRQ_CONFIG)
        interrupt_driver(vp, vp->config_vector, 2);
    else
        interrupt_driver(vp, vp->queue_vector[n], 1);
}

/* ---- PCI configuration space --------------------------------------- */

/* The BAR access pci_cfg_data stands for, or false if the driver set up
 * none we do (§4.1.4.9.1: BAR0, length 1, 2 or 4, offset aligned to it). */
static bool cfg_window(const struct pci_function *f, unsigned *off, unsigned *len)
{
    *off = pci_cfg_get(f, CFG_CAP_OFF, 4);
    *len = pci_cfg_get(f, CFG_CAP_LEN, 4);
    return f->cfg[CFG_CAP_BAR] == 0 && (*len == 1 || *len == 2 || *len == 4) && *off % *len == 0 &&
           *off < VIRTIO_PCI_BAR_SIZE;
}

static bool touches_data(unsigned reg, unsigned len)
{
    return reg < CFG_CAP_DATA + 4 && reg + len > CFG_CAP_DATA;
}

static void config_write(void *dev, struct pci_function *f, unsigned reg, unsigned len)
{
    struct virtio_pci *vp = dev;
    unsigned off, n;
    update_line(vp); /* Interrupt Disable or MSI-X Enable may have changed */
    msix_config_write(&vp->msix, reg, len);
    if (touches_data(reg, len) && cfg_window(f, &off, &n)) {
        uint32_t v = pci_cfg_get(f, CFG_CAP_DATA, n);
        virtio_pci_bar_io(dev, off, (uint8_t)n, true, &v);
    }
}

static void config_read(void *dev, struct pci_function *f, unsigned reg, unsigned len)
{
    unsigned off, n;
    if (touches_data(reg, len) && cfg_window(f, &off, &n)) {
        uint32_t v = 0;
        virtio_pci_bar_io(dev, off, (uint8_t)n, false, &v);
        pci_cfg_set(f, CFG_CAP_DATA, 4, v);
    }
}

static const struct pci_function_ops vp_pci_ops = {
    .name = "virtio",
    .config_write = config_write,
    .config_read = config_read,
};

/* A vendor capability at `at` (§4.1.4 struct virtio_pci_cap); returns it. */
static unsigned add_cap(struct pci_function *f, unsigned at, unsigned next, uint8_t type,
                        uint32_t off, uint32_t len, unsigned caplen)
{
    f->cfg[at] = PCI_CAP_VENDOR;
    f->cfg[at + 1] = (uint8_t)next;
    f->cfg[at + 2] = (uint8_t)caplen;
    f->cfg[at + 3] = type;
    f->cfg[at + 4] = 0; /* bar: BAR0 */
    pci_cfg_set(f, at + 8, 4, off);
    pci_cfg_set(f, at + 12, 4, len);
    return at;
}

int virtio_pci_init(struct virtio_pci *vp, struct pci_host *bus, unsigned devfn, uint32_t bar0,
                    const struct guest_ram *ram, const struct virtio_device_ops *ops, void *dev,
                    struct irq_line irq, FILE *log, const char *prog)
{
    memset(vp, 0, sizeof *vp);
    virtio_dev_init(&vp->vd, ram, ops, dev, log, prog, "pci", pci_interrupt);
    vp->irq = irq;
    /* Non-transitional: revision 1, subsystem ID >= 0x40 (§4.1.2.1). */
    struct pci_function *f =
        pci_register(bus, 0, devfn, &vp_pci_ops, vp, VIRTIO_PCI_VENDOR,
                     (uint16_t)(VIRTIO_PCI_DEVICE0 + ops->device_id), ops->class_code, 1);
    if (!f)
        return -1;
    vp->pci = f;
    pci_cfg_set(f, PCI_SUBSYS_VENDOR, 2, VIRTIO_PCI_VENDOR);
    pci_cfg_set(f, PCI_SUBSYS_ID, 2, 0x40 + ops->device_id);
    pci_bar(f, 0, VIRTIO_PCI_BAR_SIZE, 0);
    pci_cfg_set(f, PCI_BAR0, 4, bar0); /* assigned as a BIOS would */
    f->cfg[PCI_INT_PIN] = 1;           /* INTA# */
    f->cfg[PCI_INT_LINE] = (uint8_t)irq.irq;
    pci_cfg_set(f, PCI_STATUS, 2, PCI_STATUS_CAPS);
    /* The capability list: common -> ISR -> device -> notify -> PCI cfg. */
    f->cfg[PCI_CAP_PTR] = 0x40;
    add_cap(f, 0x40, 0x50, VP_CAP_COMMON, VP_COMMON_OFF, VP_COMMON_LEN, 16);
    /* No device-specific configuration (virtio-rng): no capability for it,
     * as QEMU does (Linux's driver refuses a zero-length one). */
    add_cap(f, 0x50, ops->config_len ? 0x60 : 0x70, VP_CAP_ISR, VP_ISR_OFF, 4, 16);
    if (ops->config_len)
        add_cap(f, 0x60, 0x70, VP_CAP_DEVICE, VP_DEVICE_OFF, ops->config_len, 16);
    add_cap(f, 0x70, CFG_CAP, VP_CAP_NOTIFY, VP_NOTIFY_OFF, VP_NOTIFY_MULT * ops->nqueues, 20);
    pci_cfg_set(f, 0x70 + 16, 4, VP_NOTIFY_MULT); /* notify_off_multiplier */
    add_cap(f, CFG_CAP, 0x00, VP_CAP_PCI_CFG, 0, 0, 20);
    f->wmask[CFG_CAP_BAR] = 0xff;
    memset(f->wmask + CFG_CAP_OFF, 0xff, 12); /* offset, length, pci_cfg_data */
    vp->config_vector = VIRTIO_MSI_NO_VECTOR;
    for (unsigned i = 0; i < ops->nqueues; i++)
        vp->queue_vector[i] = VIRTIO_MSI_NO_VECTOR;
    return 0;
}

void virtio_pci_enable_msix(struct virtio_pci *vp,
                            void (*send)(void *ctx, uint32_t addr, uint32_t data), void *ctx)
{
    const unsigned cap = CFG_CAP + 20; /* after the PCI configuration access one */
    msix_init(&vp->msix, vp->pci, cap, 0, vp->vd.ops->nqueues + 1, VP_MSIX_TABLE, VP_MSIX_PBA, send,
              ctx);
    vp->pci->cfg[CFG_CAP + 1] = (uint8_t)cap;
}

bool virtio_pci_decodes(const struct virtio_pci *vp, uint64_t gpa, uint64_t *off)
{
    uint32_t base = pci_bar_address(vp->pci, 0);
    if (!(pci_cfg_get(vp->pci, PCI_COMMAND, 2) & PCI_CMD_MEMORY) || base == 0 || gpa < base ||
        gpa - base >= VIRTIO_PCI_BAR_SIZE)
        return false;
    *off = gpa - base;
    return true;
}

/* ---- the common configuration structure ---------------------------- */

/* The transport's half of a reset (virtio_dev did the rest). */
static void device_reset(struct virtio_pci *vp)
{
    vp->isr = 0;
    vp->dev_feature_sel = vp->drv_feature_sel = 0;
    vp->queue_sel = 0;
    vp->config_vector = VIRTIO_MSI_NO_VECTOR;
    for (unsigned i = 0; i < vp->vd.ops->nqueues; i++)
        vp->queue_vector[i] = VIRTIO_MSI_NO_VECTOR;
    update_line(vp);
}

/* The structure as the driver reads it now, for queue_select. */
static void common_image(const struct virtio_pci *vp, uint8_t *c)
{
    memset(c, 0, VP_COMMON_LEN);
    const struct virtio_dev *vd = &vp->vd;
    put(c + CC_DFSELECT, 4, vp->dev_feature_sel);
    put(c + CC_DF, 4, virtio_device_features(vd, vp->dev_feature_sel));
    put(c + CC_GFSELECT, 4, vp->drv_feature_sel);
    put(c + CC_GF, 4,
        vp->drv_feature_sel < 2 ? vd->driver_features >> (32 * vp->drv_feature_sel) : 0);
    put(c + CC_MSIX, 2, vp->config_vector);
    put(c + CC_NUMQ, 2, vd->ops->nqueues);
    c[CC_STATUS] = vd->status;
    c[CC_GEN] = vd->generation;
    put(c + CC_Q_SELECT, 2, vp->queue_sel);
    put(c + CC_Q_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
    if (vp->queue_sel < vd->ops->nqueues) { /* else size 0: no such queue */
        const struct virtq *q = &vd->vq[vp->queue_sel];
        put(c + CC_Q_MSIX, 2, vp->queue_vector[vp->queue_sel]);
        put(c + CC_Q_SIZE, 2, q->size);
        put(c + CC_Q_ENABLE, 2, q->ready);
        put(c + CC_Q_NOFF, 2, vp->queue_sel);
        put(c + CC_Q_DESC, 8, q->desc);
        put(c + CC_Q_DRIVER, 8, q->avail);
        put(c + CC_Q_DEVICE, 8, q->used);
    }
}

/* A vector the driver asks for, or NO_VECTOR if we have no such entry
 * (§4.1.5.1.2: the driver reads it back to know). */
static uint16_t vector(const struct virtio_pci *vp, uint16_t v)
{
    return vp->msix.f && v < vp->msix.nvec ? v : VIRTIO_MSI_NO_VECTOR;
}

static bool touched(unsigned off, unsigned size, unsigned field, unsigned len)
{
    return off < field + len && off + size > field;
}

/* Apply a write of `size` bytes at off: the image holds the new bytes. */
static void common_write(struct virtio_pci *vp, unsigned off, unsigned size, const uint8_t *c)
{
    if (touched(off, size, CC_DFSELECT, 4))
        vp->dev_feature_sel = (uint32_t)get(c + CC_DFSELECT, 4);
    if (touched(off, size, CC_GFSELECT, 4))
        vp->drv_feature_sel = (uint32_t)get(c + CC_GFSELECT, 4);
    if (touched(off, size, CC_GF, 4))
        virtio_set_driver_features(&vp->vd, vp->drv_feature_sel, (uint32_t)get(c + CC_GF, 4));
    if (touched(off, size, CC_Q_SELECT, 2))
        vp->queue_sel = (uint16_t)get(c + CC_Q_SELECT, 2);
    if (touched(off, size, CC_STATUS, 1) && virtio_set_status(&vp->vd, c[CC_STATUS]))
        device_reset(vp);
    if (touched(off, size, CC_MSIX, 2))
        vp->config_vector = vector(vp, (uint16_t)get(c + CC_MSIX, 2));
    if (vp->queue_sel >= vp->vd.ops->nqueues)
        return;
    unsigned n = vp->queue_sel;
    if (touched(off, size, CC_Q_MSIX, 2))
        vp->queue_vector[n] = vector(vp, (uint16_t)get(c + CC_Q_MSIX, 2));
    struct virtq *q = &vp->vd.vq[n];
    if (q->ready) /* a live queue's set-up is read-only (§4.1.4.3.2) */
        return;
    if (touched(off, size, CC_Q_SIZE, 2))
        q->size = (uint16_t)get(c + CC_Q_SIZE, 2);
    if (touched(off, size, CC_Q_DESC, 8))
        q->desc = get(c + CC_Q_DESC, 8);
    if (touched(off, size, CC_Q_DRIVER, 8))
        q->avail = get(c + CC_Q_DRIVER, 8);
    if (touched(off, size, CC_Q_DEVICE, 8))
        q->used = get(c + CC_Q_DEVICE, 8);
    if (touched(off, size, CC_Q_ENABLE, 2) && get(c + CC_Q_ENABLE, 2) == 1 && virtq_enable(q) < 0)
        virtio_fail(&vp->vd, n);
}

/* ---- BAR0 ------------------------------------------------------------ */

void virtio_pci_bar_io(void *dev, uint64_t off64, uint8_t size, bool is_write, uint32_t *value)
{
    struct virtio_pci *vp = dev;
    unsigned off = (unsigned)off64;
    uint8_t buf[64];
    if (is_write)
        vp->writes++;
    else
        vp->reads++;
    if (off + size <= VP_COMMON_LEN) {
        common_image(vp, buf);
        if (!is_write) {
            *value = (uint32_t)get(buf + off, size);
            return;
        }
        put(buf + off, size, *value);
        common_write(vp, off, size, buf);
    } else if (off == VP_ISR_OFF && !is_write) {
        *value = vp->isr; /* read to clear (§4.1.4.5.1) */
        vp->isr = 0;
        vp->isr_reads++;
        update_line(vp);
    } else if (off >= VP_DEVICE_OFF && off + size <= VP_DEVICE_OFF + vp->vd.ops->config_len) {
        if (!is_write) { /* writes: no writable field in our devices */
            vp->vd.ops->config_read(vp->vd.dev, off - VP_DEVICE_OFF, buf, size);
            *value = (uint32_t)get(buf, size);
        }
    } else if (vp->msix.f && off >= VP_MSIX_TABLE && off < VP_MSIX_TABLE + 16 * vp->msix.nvec) {
        msix_table_io(&vp->msix, off - VP_MSIX_TABLE, size, is_write, value);
    } else if (vp->msix.f && off >= VP_MSIX_PBA && off < VP_MSIX_PBA + 8) {
        msix_pba_io(&vp->msix, off - VP_MSIX_PBA, size, is_write, value);
    } else if (off >= VP_NOTIFY_OFF && off < VP_NOTIFY_OFF + VP_NOTIFY_MULT * vp->vd.ops->nqueues) {
        /* The value is the queue index again (no VIRTIO_F_NOTIFICATION_DATA). */
        if (is_write)
            virtio_kick(&vp->vd, (off - VP_NOTIFY_OFF) / VP_NOTIFY_MULT);
        else
            *value = 0;
    } else if (!is_write) {
        *value = 0; /* reserved: reads as zero */
    }
}

void virtio_pci_print_stats(const struct virtio_pci *vp, FILE *out)
{
    const struct virtio_dev *vd = &vp->vd;
    uint64_t done = 0;
    for (unsigned i = 0; i < vd->ops->nqueues; i++)
        done += vd->vq[i].pushed;
    fprintf(out,
            "  %s: %llu register accesses (%llu reads, %llu writes; each a trap), %llu notifies, "
            "%llu requests, %llu interrupts (%llu MSI-X messages), %llu ISR reads, %llu errors\n",
            vd->ops->name, (unsigned long long)(vp->reads + vp->writes),
            (unsigned long long)vp->reads, (unsigned long long)vp->writes,
            (unsigned long long)vd->notifies, (unsigned long long)done,
            (unsigned long long)vd->interrupts, (unsigned long long)vp->msix.sent,
            (unsigned long long)vp->isr_reads, (unsigned long long)vd->errors);
    virtio_dev_print_stats(vd, out);
}
