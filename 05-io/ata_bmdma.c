/*
 * ata_bmdma.c — the PIIX3 IDE function and its bus master (ata_bmdma.h;
 * SFF-8038i, 82371SB PIIX3 datasheet §2.3, §2.7).
 */
#include "05-io/ata_bmdma.h"

#include <string.h>

#define CMD_IO     0x01 /* Command: I/O Space Enable (IOSE)  */
#define CMD_MASTER 0x04 /* Command: Bus Master Enable (BME)  */
#define IDE_DECODE 0x8000
#define PRD_MAX    8192 /* a PRD table may not cross 64 KiB: 8192 entries at most */

static bool io_on(const struct piix_ide *p) { return pci_cfg_get(p->fn, PCI_COMMAND, 2) & CMD_IO; }

/* Do the primary channel's legacy ports decode (IOSE and IDETIM bit 15)? */
static bool legacy_on(const struct piix_ide *p)
{
    return io_on(p) && (pci_cfg_get(p->fn, PIIX_IDETIM, 2) & IDE_DECODE);
}

static uint32_t rd32(const uint8_t *b)
{
    return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The first bytes of the bus master's [addr, addr + *len) contiguous in
 * RAM: their host pointer, *len cut to their count; NULL if unreachable
 * (outside RAM, or blocked by the IOMMU, which recorded why). */
static uint8_t *bus_at(const struct piix_ide *p, uint64_t addr, uint32_t *len, bool write)
{
    uint64_t gpa = addr, run = *len;
    if (p->dma && p->dma->translate(p->dma->ctx, addr, write, &gpa, &run) < 0)
        return NULL;
    if (run < *len)
        *len = (uint32_t)run;
    return gpa_to_hva(p->ram, gpa, *len);
}

/* One PRD's buffer, run by run of memory, while the disk wants data: the
 * bytes moved, -1 a host I/O error (the disk ended the command), -2 a
 * buffer the bus cannot reach.  Without an IOMMU the whole buffer is one
 * run: an unreachable one moves nothing. */
static long move_prd(struct piix_ide *p, uint32_t addr, uint32_t len, bool to_memory)
{
    long moved = 0;
    bool pending = true, dir;
    while ((uint32_t)moved < len && pending) {
        uint32_t n = len - (uint32_t)moved;
        uint8_t *buf = bus_at(p, (uint64_t)addr + (uint64_t)moved, &n, to_memory);
        if (!buf)
            return -2;
        long got = ata_dma_transfer(&p->disk, buf, n);
        if (got < 0)
            return -1;
        moved += got;
        if ((uint32_t)got < n)
            break;
        pending = ata_dma_pending(&p->disk, &dir);
    }
    return moved;
}

/* The bus master's transfer: PRD by PRD, as long as the disk wants data. */
static void run_dma(struct piix_ide *p)
{
    bool to_memory;
    if (!(p->bm_cmd & BM_START) || !ata_dma_pending(&p->disk, &to_memory))
        return;
    uint32_t prd = p->bm_prd;
    bool bus_error = !(pci_cfg_get(p->fn, PCI_COMMAND, 2) & CMD_MASTER) ||
                     to_memory != ((p->bm_cmd & BM_TO_MEMORY) != 0);
    p->transfers++;
    for (int i = 0; !bus_error && i < PRD_MAX; i++, prd += 8) {
        uint32_t elen = 8; /* dword aligned: never across a page */
        const uint8_t *e = bus_at(p, prd, &elen, false);
        if (!e || elen < 8) {
            bus_error = true; /* the PRD table is not in RAM: master abort */
            break;
        }
        uint32_t addr = rd32(e) & ~1u, flags = rd32(e + 4), len = flags & 0xFFFE;
        if (!len)
            len = 0x10000;
        long moved = move_prd(p, addr, len, to_memory);
        if (moved == -2) {
            bus_error = true;
            break;
        }
        if (moved < 0) { /* a host I/O error: the disk ended the command */
            p->bm_status &= (uint8_t)~BM_ACTIVE;
            return;
        }
        if (!ata_dma_pending(&p->disk, &to_memory)) { /* the disk has all it wants */
            if ((uint32_t)moved == len && (flags & PRD_EOT))
                p->bm_status &= (uint8_t)~BM_ACTIVE; /* exactly: Active cleared */
            ata_dma_end(&p->disk, 0, false);
            return;
        }
        if (flags & PRD_EOT) { /* the table ran out first */
            p->bm_status &= (uint8_t)~BM_ACTIVE;
            ata_dma_end(&p->disk, 0, true);
            return;
        }
    }
    /* An unreachable table or buffer, or one that never ends. */
    p->bm_errors++;
    p->bm_status = (uint8_t)((p->bm_status | BM_ERROR) & ~BM_ACTIVE);
    ata_dma_end(&p->disk, ATA_ABRT, false);
}

/* The disk's INTRQ: ISA IRQ 14, and BMISTA's Interrupt bit on its rise. */
static void disk_irq(void *ctx, int level)
{
    struct piix_ide *p = ctx;
    if (level)
        p->bm_status |= BM_INTR;
    irq_line_set(&p->irq, level);
}

static void disk_dma_ready(void *ctx) { run_dma(ctx); }

void piix_ide_bm_io(struct piix_ide *p, unsigned off, uint8_t size, bool is_write, uint32_t *value)
{
    p->bm_accesses++;
    uint8_t regs[8];
    regs[0] = p->bm_cmd, regs[1] = 0, regs[2] = p->bm_status, regs[3] = 0;
    for (int i = 0; i < 4; i++)
        regs[4 + i] = (uint8_t)(p->bm_prd >> (8 * i));
    if (off >= 8) { /* the secondary channel: registers that do nothing */
        for (unsigned i = 0; i < size && off - 8 + i < 8; i++) {
            if (is_write)
                p->bm2[off - 8 + i] = (uint8_t)(*value >> (8 * i));
            else
                *value = (i ? *value : 0) | (uint32_t)p->bm2[off - 8 + i] << (8 * i);
        }
        return;
    }
    if (!is_write) {
        uint32_t v = 0;
        for (unsigned i = 0; i < size && off + i < 8; i++)
            v |= (uint32_t)regs[off + i] << (8 * i);
        *value = v;
        return;
    }
    for (unsigned i = 0; i < size && off + i < 8; i++) {
        uint8_t v = (uint8_t)(*value >> (8 * i));
        switch (off + i) {
        case 0: {
            uint8_t was = p->bm_cmd;
            p->bm_cmd = v & (BM_START | BM_TO_MEMORY);
            if ((v & BM_START) && !(was & BM_START)) {
                p->bm_status |= BM_ACTIVE;
                run_dma(p);
            } else if (!(v & BM_START)) {
                p->bm_status &= (uint8_t)~BM_ACTIVE; /* stop: abandons a transfer */
            }
            break;
        }
        case 2:
            p->bm_status =
                (uint8_t)((p->bm_status & ~0x60 & ~(v & (BM_ERROR | BM_INTR))) | (v & 0x60));
            break;
        case 4: p->bm_prd = (p->bm_prd & ~0xFFu) | (v & 0xFCu); break;
        case 5:
        case 6:
        case 7: {
            unsigned sh = 8 * (off + i - 4);
            p->bm_prd = (p->bm_prd & ~(0xFFu << sh)) | (uint32_t)v << sh;
            break;
        }
        default: break;
        }
    }
}

bool piix_ide_decodes(const struct piix_ide *p, uint16_t port, unsigned *off)
{
    uint32_t base = pci_bar_address(p->fn, 4);
    if (!io_on(p) || base == 0 || port < base || port - base >= BMDMA_SIZE)
        return false;
    *off = port - base;
    return true;
}

void piix_ide_cmd_io(void *dev, uint64_t off, uint8_t size, bool is_write, uint32_t *value)
{
    struct piix_ide *p = dev;
    if (!legacy_on(p)) {
        if (!is_write)
            *value = size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
        return;
    }
    ata_cmd_io(&p->disk, (unsigned)off, size, is_write, value);
    if (!is_write && off != ATA_REG_DATA)
        *value &= 0xFF;
    else if (!is_write && size < 4)
        *value &= (1u << (8 * size)) - 1;
}

void piix_ide_ctl_io(void *dev, uint64_t off, uint8_t size, bool is_write, uint32_t *value)
{
    struct piix_ide *p = dev;
    (void)off;
    if (!legacy_on(p)) {
        if (!is_write)
            *value = size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
        return;
    }
    ata_ctl_io(&p->disk, is_write, value);
}

static const struct pci_function_ops piix_ops = { .name = "PIIX3 IDE" };

int piix_ide_init(struct piix_ide *p, struct pci_host *bus, unsigned devfn, uint16_t bmiba,
                  struct guest_ram *ram, struct irq_line irq, const char *spec, char *err,
                  size_t errlen)
{
    memset(p, 0, sizeof *p);
    struct ata_hooks hooks = { .irq = disk_irq, .dma_ready = disk_dma_ready, .ctx = p };
    if (ata_open(&p->disk, spec, &hooks, err, errlen) < 0)
        return -1;
    p->ram = ram;
    p->irq = irq;
    p->fn = pci_register(bus, 0, devfn, &piix_ops, p, PIIX_IDE_VENDOR, PIIX_IDE_DEVICE,
                         PIIX_IDE_CLASS, 0);
    if (!p->fn) {
        snprintf(err, errlen, "PCI slot %u is taken", devfn >> 3);
        ata_close(&p->disk);
        return -1;
    }
    pci_bar(p->fn, 4, BMDMA_SIZE, PCI_BAR_IO);
    pci_cfg_set(p->fn, PCI_BAR0 + 16, 4, (uint32_t)bmiba | PCI_BAR_IO);
    pci_cfg_set(p->fn, PCI_COMMAND, 2, CMD_IO);
    for (unsigned r = PIIX_IDETIM; r < 0x4C; r++) /* IDETIM, SIDETIM, UDMACTL, UDMATIM */
        p->fn->wmask[r] = 0xFF;
    pci_cfg_set(p->fn, PIIX_IDETIM, 2, IDE_DECODE);
    p->bm_status = 0x20; /* drive 0 DMA capable, as firmware sets it */
    return 0;
}

void piix_ide_close(struct piix_ide *p) { ata_close(&p->disk); }

void piix_ide_print_stats(const struct piix_ide *p, FILE *out)
{
    ata_print_stats(&p->disk, out);
    fprintf(out,
            "  ata bus master: %llu register accesses (each a trap), %llu transfers, %llu "
            "bus errors\n",
            (unsigned long long)p->bm_accesses, (unsigned long long)p->transfers,
            (unsigned long long)p->bm_errors);
}
