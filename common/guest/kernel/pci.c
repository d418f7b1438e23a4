/*
 * pci.c — configuration mechanism #1 and bus 0 enumeration (PCI Local Bus
 * Specification 3.0 §3.2.2.3.2, §6).
 *
 * CONFIG_ADDRESS (0xCF8, dword writes only) selects
 *     31 enable | 23:16 bus | 15:11 device | 10:8 function | 7:2 register
 * and CONFIG_DATA (0xCFC-0xCFF) then reads or writes that dword, or a
 * byte or word of it at port 0xCFC + (offset & 3).
 */
#include "pci.h"
#include "x86.h"

#define PCI_ADDR 0xCF8
#define PCI_DATA 0xCFC

/* Where pci_bar_assign() puts memory BARs firmware left at 0: the top of
 * the 32-bit space below the APICs, where PC firmware puts PCI memory. */
#define PCI_MEM_WINDOW     0xE0000000u
#define PCI_MEM_WINDOW_END 0xFEC00000u

static uint32_t mem_next = PCI_MEM_WINDOW;

static void select(const struct pci_dev *d, uint8_t off)
{
    outl(PCI_ADDR, 0x80000000u | (uint32_t)d->bus << 16 | (uint32_t)d->dev << 11 |
                       (uint32_t)d->fn << 8 | (off & 0xFCu));
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t off)
{
    select(d, off);
    return inl(PCI_DATA);
}

uint16_t pci_read16(const struct pci_dev *d, uint8_t off)
{
    select(d, off);
    return inw((uint16_t)(PCI_DATA + (off & 2)));
}

uint8_t pci_read8(const struct pci_dev *d, uint8_t off)
{
    select(d, off);
    return inb((uint16_t)(PCI_DATA + (off & 3)));
}

void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v)
{
    select(d, off);
    outl(PCI_DATA, v);
}

void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v)
{
    select(d, off);
    outw((uint16_t)(PCI_DATA + (off & 2)), v);
}

/* Is there a function at d?  Vendor 0xFFFF is the master abort; 0 is what
 * a machine without a host bridge (nobody at 0xCFC) may answer. */
static int present(struct pci_dev *d)
{
    d->vendor = pci_read16(d, PCI_VENDOR_ID);
    return d->vendor != 0xFFFF && d->vendor != 0;
}

int pci_find(uint16_t vendor, uint16_t dev_lo, uint16_t dev_hi, struct pci_dev *out)
{
    for (uint8_t dev = 0; dev < 32; dev++) {
        struct pci_dev d = { .bus = 0, .dev = dev, .fn = 0 };
        if (!present(&d))
            continue;
        /* Functions 1-7 exist only behind a multi-function device 0. */
        int nfn = (pci_read8(&d, PCI_HEADER_TYPE) & 0x80) ? 8 : 1;
        for (uint8_t fn = 0; fn < nfn; fn++) {
            d.fn = fn;
            if (!present(&d))
                continue;
            d.device = pci_read16(&d, PCI_DEVICE_ID);
            if (d.vendor != vendor || d.device < dev_lo || d.device > dev_hi)
                continue;
            d.irq_line = pci_read8(&d, PCI_INT_LINE);
            d.irq_pin = pci_read8(&d, PCI_INT_PIN);
            *out = d;
            return 0;
        }
    }
    return -1;
}

/*
 * Sizing (§6.2.5.1): write all ones, read back; the bits that stay 0 below
 * the type bits are the size's alignment, so size = ~(readback & mask) + 1.
 * Decoding is switched off meanwhile, so the BAR never claims all-ones
 * addresses on the bus.
 */
int pci_bar_probe(const struct pci_dev *d, int n, struct pci_bar *bar)
{
    if (n < 0 || n > 5)
        return -1;
    uint8_t off = (uint8_t)(PCI_BAR0 + 4 * n);
    uint16_t cmd = pci_read16(d, PCI_COMMAND);
    pci_write16(d, PCI_COMMAND, cmd & (uint16_t) ~(PCI_CMD_IO | PCI_CMD_MEM));

    uint32_t lo = pci_read32(d, off);
    pci_write32(d, off, 0xFFFFFFFFu);
    uint32_t szlo = pci_read32(d, off);
    pci_write32(d, off, lo);
    *bar = (struct pci_bar){ .io = lo & 1 };
    if (bar->io) {
        bar->base = lo & ~3u;
        bar->size = szlo ? (uint16_t)(~(szlo & ~3u) + 1) : 0;
    } else {
        bar->mem64 = ((lo >> 1) & 3) == 2 && n < 5;
        uint64_t hi = 0, szhi = 0xFFFFFFFFu;
        if (bar->mem64) {
            hi = pci_read32(d, (uint8_t)(off + 4));
            pci_write32(d, (uint8_t)(off + 4), 0xFFFFFFFFu);
            szhi = pci_read32(d, (uint8_t)(off + 4));
            pci_write32(d, (uint8_t)(off + 4), (uint32_t)hi);
        }
        uint64_t mask = szhi << 32 | (szlo & ~0xFu);
        bar->base = hi << 32 | (lo & ~0xFu);
        bar->size = (szlo & ~0xFu) ? ~mask + 1 : 0;
        if (!bar->mem64)
            bar->size &= 0xFFFFFFFFu;
    }
    pci_write16(d, PCI_COMMAND, cmd);
    return 0;
}

void pci_bar_assign(const struct pci_dev *d, int n, struct pci_bar *bar)
{
    if (bar->io || !bar->size || bar->size > 0x10000000u)
        return;
    uint32_t size = (uint32_t)bar->size;
    uint32_t base = (mem_next + size - 1) & ~(size - 1); /* naturally aligned */
    if (base < mem_next || base + size > PCI_MEM_WINDOW_END)
        return;
    mem_next = base + size;
    uint8_t off = (uint8_t)(PCI_BAR0 + 4 * n);
    pci_write32(d, off, base | (pci_read32(d, off) & 0xFu));
    if (bar->mem64)
        pci_write32(d, (uint8_t)(off + 4), 0);
    bar->base = base;
}

uint8_t pci_cap_find(const struct pci_dev *d, uint8_t id, uint8_t from)
{
    if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAPLIST))
        return 0;
    uint8_t off = from ? pci_read8(d, (uint8_t)(from + 1)) : pci_read8(d, PCI_CAP_PTR);
    /* At most 48 capabilities fit in the 192 bytes after the header. */
    for (int hops = 0; hops < 48; hops++) {
        off &= 0xFC; /* the bottom two bits are reserved (§6.7) */
        if (off < 0x40)
            return 0;
        if (pci_read8(d, off) == id)
            return off;
        off = pci_read8(d, (uint8_t)(off + 1));
    }
    return 0;
}
