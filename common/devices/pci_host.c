/*
 * pci_host.c — PCI configuration mechanism #1 and bus 0 (pci_host.h).
 */
#include "devices/pci_host.h"

#include <stddef.h>
#include <string.h>

uint32_t pci_cfg_get(const struct pci_function *f, unsigned reg, unsigned len)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < len && reg + i < 256; i++)
        v |= (uint32_t)f->cfg[reg + i] << (8 * i);
    return v;
}

void pci_cfg_set(struct pci_function *f, unsigned reg, unsigned len, uint32_t v)
{
    for (unsigned i = 0; i < len && reg + i < 256; i++)
        f->cfg[reg + i] = (uint8_t)(v >> (8 * i));
}

static void set_mask(uint8_t *m, unsigned reg, unsigned len, uint32_t v)
{
    for (unsigned i = 0; i < len; i++)
        m[reg + i] = (uint8_t)(v >> (8 * i));
}

static const struct pci_function_ops host_bridge_ops = { .name = "host bridge" };

void pci_host_init(struct pci_host *h)
{
    memset(h, 0, sizeof *h);
    /* 82441FX PMC (440FX datasheet §3.2): class 06 00 00, host bridge. */
    struct pci_function *f =
        pci_register(h, 0, PCI_DEVFN(0, 0), &host_bridge_ops, h, 0x8086, 0x1237, 0x060000, 0x02);
    pci_cfg_set(f, PCI_COMMAND, 2, 0x0006); /* memory space, bus master  */
    pci_cfg_set(f, PCI_STATUS, 2, 0x0280);  /* fast back-to-back, DEVSEL medium */
}

struct pci_function *pci_register(struct pci_host *h, unsigned bus, unsigned devfn,
                                  const struct pci_function_ops *ops, void *dev, uint16_t vendor,
                                  uint16_t device, uint32_t class_code, uint8_t revision)
{
    if (bus != 0 || devfn >= PCI_NFUNCS || h->fn[devfn].present)
        return NULL;
    struct pci_function *f = &h->fn[devfn];
    memset(f, 0, sizeof *f);
    f->present = true;
    f->ops = ops;
    f->dev = dev;
    pci_cfg_set(f, PCI_VENDOR_ID, 2, vendor);
    pci_cfg_set(f, PCI_DEVICE_ID, 2, device);
    pci_cfg_set(f, PCI_REVISION, 4, class_code << 8 | revision);
    /* Command (§6.2.2): I/O, memory, bus master, parity, SERR#, INTx
     * disable.  Status (§6.2.3): its error bits are write-1-to-clear. */
    set_mask(f->wmask, PCI_COMMAND, 2, 0x0547);
    set_mask(f->w1c, PCI_STATUS, 2, 0xf900);
    set_mask(f->wmask, PCI_CACHE_LINE, 2, 0xffff); /* and latency timer */
    f->wmask[PCI_INT_LINE] = 0xff;                 /* for the driver only */
    if ((devfn & 7) != 0 && h->fn[devfn & ~7u].present)
        h->fn[devfn & ~7u].cfg[PCI_HEADER_TYPE] |= 0x80;
    if ((devfn & 7) == 0)
        for (unsigned fn = 1; fn < 8; fn++)
            if (h->fn[devfn + fn].present)
                f->cfg[PCI_HEADER_TYPE] |= 0x80;
    return f;
}

void pci_bar(struct pci_function *f, int n, uint32_t size, uint32_t flags)
{
    unsigned reg = PCI_BAR0 + 4 * (unsigned)n;
    uint32_t type = (flags & PCI_BAR_IO) ? PCI_BAR_IO : (flags & PCI_BAR_PREF);
    pci_cfg_set(f, reg, 4, type);
    set_mask(f->wmask, reg, 4, ~(size - 1) & ((flags & PCI_BAR_IO) ? ~3u : ~15u));
}

uint32_t pci_bar_address(const struct pci_function *f, int n)
{
    uint32_t v = pci_cfg_get(f, PCI_BAR0 + 4 * (unsigned)n, 4);
    return v & ((v & PCI_BAR_IO) ? ~3u : ~15u);
}

/* The function CONFIG_ADDRESS selects, or NULL: disabled, another bus
 * (nothing behind us: no PCI-to-PCI bridge), or an empty slot. */
static struct pci_function *selected(struct pci_host *h)
{
    uint32_t a = h->config_address;
    if (!(a & PCI_ENABLE) || ((a >> 16) & 0xff) != 0)
        return NULL;
    struct pci_function *f = &h->fn[(a >> 8) & 0xff];
    return f->present ? f : NULL;
}

static void config_data(struct pci_host *h, unsigned byte, unsigned len, bool is_write,
                        uint32_t *value)
{
    struct pci_function *f = selected(h);
    unsigned reg = (h->config_address & 0xfc) + byte;
    if (!f) { /* master abort: reads all ones, writes go nowhere */
        if (!is_write)
            *value = len >= 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
        return;
    }
    if (!is_write) {
        if (f->ops && f->ops->config_read)
            f->ops->config_read(f->dev, f, reg, len);
        *value = pci_cfg_get(f, reg, len);
        return;
    }
    for (unsigned i = 0; i < len; i++) {
        uint8_t v = (uint8_t)(*value >> (8 * i)), m = f->wmask[reg + i];
        f->cfg[reg + i] = (uint8_t)((f->cfg[reg + i] & ~m) | (v & m));
        f->cfg[reg + i] &= (uint8_t) ~(v & f->w1c[reg + i]);
    }
    if (f->ops && f->ops->config_write)
        f->ops->config_write(f->dev, f, reg, len);
}

void pci_host_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    struct pci_host *h = dev;
    unsigned off = (unsigned)offset;
    if (off >= 4) {
        unsigned len = size;
        if (off + len > 8) /* an access may not run past 0xCFF */
            len = 8 - off;
        config_data(h, off - 4, len, is_write, value);
        return;
    }
    if (off == 0 && size == 4) { /* CONFIG_ADDRESS: dword accesses only */
        if (is_write)
            h->config_address = *value & 0x80fffffcu; /* 30:24, 1:0 read 0 */
        else
            *value = h->config_address;
        return;
    }
    if (!is_write) /* bytes/words at 0xCF8-0xCFB: not ours */
        *value = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}
