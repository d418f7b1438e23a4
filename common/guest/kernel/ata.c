/*
 * ata.c — an ATA disk through a PCI IDE controller in compatibility mode
 * (ata.h): reset and signature (ATA/ATAPI-6 §9.2), IDENTIFY DEVICE
 * (§8.15), PIO data-in/data-out (§9.5, §9.6), DMA (§9.10) with the bus
 * master of SFF-8038i.
 */
#include "ata.h"
#include "mm.h"
#include "pic.h"
#include "program.h"
#include "timer.h"
#include "trap.h"
#include "x86.h"

#define CMD_BASE 0x1F0
#define CTL_PORT 0x3F6
#define IRQ      14
#define R_DATA   (CMD_BASE + 0)
#define R_ERROR  (CMD_BASE + 1) /* write: features */
#define R_NSECT  (CMD_BASE + 2)
#define R_LBAL   (CMD_BASE + 3)
#define R_LBAM   (CMD_BASE + 4)
#define R_LBAH   (CMD_BASE + 5)
#define R_DEVICE (CMD_BASE + 6)
#define R_STATUS (CMD_BASE + 7) /* write: command */

#define ST_BSY  0x80
#define ST_DRDY 0x40
#define ST_DRQ  0x08
#define ST_ERR  0x01
#define DC_NIEN 0x02
#define DC_SRST 0x04
#define DEV_LBA 0xE0 /* LBA, and the obsolete bits 7 and 5 set */

/* Bus master registers (SFF-8038i §2). */
#define BM_CMD      0
#define BM_STATUS   2
#define BM_PRD      4
#define BM_START    0x01
#define BM_TOMEM    0x08
#define BM_ACTIVE   0x01
#define BM_ERR      0x02
#define BM_INTR     0x04
#define PRD_EOT     0x80000000u
#define PRD_ENTRIES 512

#define TIMEOUT_MS 5000

/* The PRD table: dword aligned, within one 64 KiB region (SFF-8038i). */
static uint32_t prd[PRD_ENTRIES][2] __attribute__((aligned(4096)));

static uint64_t deadline(uint32_t ms)
{
    return rdtsc() + tsc_per_tick() * (ms / (1000 / TIMER_HZ) + 1);
}

/* The handler reads the status: that lowers INTRQ (§5.2.9) before the EOI. */
static void ata_irq(void *arg)
{
    struct ata_disk *disk = arg;
    disk->irq_status = inb(R_STATUS);
    disk->irqs++;
}

/* Poll the alternate status (no side effect) until BSY clears. */
static int wait_not_busy(struct ata_disk *disk, uint32_t ms)
{
    uint64_t end = deadline(ms);
    while ((disk->status = inb(CTL_PORT)) & ST_BSY)
        if (rdtsc() > end)
            return ATA_ETIME;
    return 0;
}

/* Sleep until the disk's interrupt (counted from `seen`). */
static int wait_irq(struct ata_disk *disk, uint32_t seen)
{
    uint64_t end = deadline(TIMEOUT_MS);
    while (disk->irqs == seen) {
        if (rdtsc() > end)
            return ATA_ETIME;
        sti_hlt_cli(); /* IRQ 14 (or the timer's) wakes us */
    }
    disk->status = disk->irq_status;
    if (disk->status & ST_BSY) /* an interrupt of an earlier command */
        return wait_not_busy(disk, TIMEOUT_MS);
    return 0;
}

static int device_error(struct ata_disk *disk)
{
    disk->error = inb(R_ERROR);
    return ATA_EDEVICE;
}

/* The task file of an LBA command, 48-bit when ext (each register twice,
 * the high byte first, §6.2), and the command; the interrupt count before it. */
static uint32_t issue(struct ata_disk *disk, uint8_t cmd, uint64_t lba, uint32_t n, int ext)
{
    /* An interrupt the last command raised but nobody waited for (an
     * error at a write's first block) is taken now, not as this one's. */
    sti();
    __asm__ volatile("nop");
    cli();
    if (ext) {
        outb(R_NSECT, (uint8_t)(n >> 8));
        outb(R_NSECT, (uint8_t)n);
        outb(R_LBAL, (uint8_t)(lba >> 24));
        outb(R_LBAL, (uint8_t)lba);
        outb(R_LBAM, (uint8_t)(lba >> 32));
        outb(R_LBAM, (uint8_t)(lba >> 8));
        outb(R_LBAH, (uint8_t)(lba >> 40));
        outb(R_LBAH, (uint8_t)(lba >> 16));
        outb(R_DEVICE, DEV_LBA);
    } else {
        outb(R_NSECT, (uint8_t)n);
        outb(R_LBAL, (uint8_t)lba);
        outb(R_LBAM, (uint8_t)(lba >> 8));
        outb(R_LBAH, (uint8_t)(lba >> 16));
        outb(R_DEVICE, (uint8_t)(DEV_LBA | ((lba >> 24) & 0x0F)));
    }
    uint32_t seen = disk->irqs;
    disk->commands++;
    outb(R_STATUS, cmd);
    return seen;
}

static int need48(const struct ata_disk *disk, uint64_t lba, uint32_t n)
{
    return disk->force48 || lba + n > 0x0FFFFFFFu || n > 256;
}

int ata_command(struct ata_disk *disk, uint8_t cmd, uint8_t feature, uint8_t count)
{
    outb(R_ERROR, feature);
    uint32_t seen = issue(disk, cmd, 0, count, 0);
    int rc = wait_irq(disk, seen);
    if (rc)
        return rc;
    return disk->status & ST_ERR ? device_error(disk) : 0;
}

int ata_pio(struct ata_disk *disk, int write, uint64_t lba, void *buf, uint32_t n)
{
    int ext = need48(disk, lba, n);
    if (!n || n > (ext ? 65536u : 256u))
        return ATA_ERANGE;
    uint16_t *p = buf;
    uint32_t seen =
        issue(disk, ext ? (write ? 0x34 : 0x24) : (write ? 0x30 : 0x20), lba, n & 0xFFFF, ext);
    for (uint32_t s = 0; s < n; s++, p += ATA_SECTOR / 2) {
        int rc = write && s == 0 ? wait_not_busy(disk, TIMEOUT_MS) : wait_irq(disk, seen);
        if (rc)
            return rc;
        seen = disk->irqs;
        if (disk->status & ST_ERR)
            return device_error(disk);
        if (!(disk->status & ST_DRQ))
            return ATA_EDEVICE;
        if (write)
            outsw(R_DATA, p, ATA_SECTOR / 2);
        else
            insw(R_DATA, p, ATA_SECTOR / 2);
        disk->pio_sectors++;
    }
    if (write) { /* data-out: the last block's interrupt ends the command */
        int rc = wait_irq(disk, seen);
        if (rc)
            return rc;
    } else {
        disk->status = inb(R_STATUS);
    }
    return disk->status & ST_ERR ? device_error(disk) : 0;
}

/* Start the bus master on the table at prd_addr, issue the command, wait
 * for INTRQ, stop.  0, ATA_EBUS or the device's error. */
static int dma_run(struct ata_disk *disk, uint32_t prd_addr, int write, uint64_t lba, uint32_t n)
{
    int ext = need48(disk, lba, n);
    uint16_t bm = disk->bmiba;
    uint8_t dir = write ? 0 : BM_TOMEM;
    outb((uint16_t)(bm + BM_CMD), dir); /* stopped */
    outl((uint16_t)(bm + BM_PRD), prd_addr);
    outb((uint16_t)(bm + BM_STATUS), (uint8_t)(inb((uint16_t)(bm + BM_STATUS)) | BM_ERR | BM_INTR));
    uint32_t seen =
        issue(disk, ext ? (write ? 0x35 : 0x25) : (write ? 0xCA : 0xC8), lba, n & 0xFFFF, ext);
    outb((uint16_t)(bm + BM_CMD), dir | BM_START);
    int rc = wait_irq(disk, seen);
    outb((uint16_t)(bm + BM_CMD), dir); /* stop, whatever happened */
    disk->bm_status = inb((uint16_t)(bm + BM_STATUS));
    outb((uint16_t)(bm + BM_STATUS), disk->bm_status); /* clear Error and Interrupt */
    if (rc)
        return rc;
    if (disk->bm_status & BM_ERR)
        return ATA_EBUS;
    if (disk->status & ST_ERR)
        return device_error(disk);
    if (!(disk->bm_status & BM_INTR))
        return ATA_EBUS;
    disk->dma_sectors += n;
    return 0;
}

int ata_dma(struct ata_disk *disk, int write, uint64_t lba, void *buf, uint32_t n, uint32_t split)
{
    if (!disk->bmiba)
        return ATA_ENODMA;
    uint32_t addr = (uint32_t)buf, len = n * ATA_SECTOR, k = 0;
    if (!n || n > 65536 || addr & 1 || addr + len > MM_LIMIT || addr + len < addr)
        return ATA_ERANGE;
    /* Descriptors of at most 64 KiB, none crossing a 64 KiB boundary. */
    while (len) {
        uint32_t room = 0x10000 - (addr & 0xFFFF), chunk = len < room ? len : room;
        if (split && chunk > split && k == 0)
            chunk = split;
        if (k == PRD_ENTRIES)
            return ATA_ERANGE;
        prd[k][0] = addr;
        prd[k][1] = chunk & 0xFFFF; /* 0 = 64 KiB */
        addr += chunk, len -= chunk, k++;
    }
    prd[k - 1][1] |= PRD_EOT;
    return dma_run(disk, (uint32_t)prd, write, lba, n);
}

int ata_dma_raw(struct ata_disk *disk, uint32_t prd_addr, uint64_t lba, uint32_t n)
{
    if (!disk->bmiba)
        return ATA_ENODMA;
    return dma_run(disk, prd_addr, 0, lba, n);
}

/* §9.2: SRST, then the signature: count 1, LBA low 1, LBA mid/high 0 for
 * an ATA device (14h/EBh is ATAPI). */
static int reset(struct ata_disk *disk)
{
    outb(R_DEVICE, 0xA0);
    uint8_t st = inb(R_STATUS);
    if (st == 0xFF || st == 0x00)
        return ATA_ENODEV; /* nobody drives the bus, or an empty channel */
    outb(R_NSECT, 0x55);
    outb(R_LBAL, 0xAA);
    if (inb(R_NSECT) != 0x55 || inb(R_LBAL) != 0xAA)
        return ATA_ENODEV; /* the registers hold nothing: no device 0 */
    outb(CTL_PORT, DC_SRST | DC_NIEN);
    for (volatile int i = 0; i < 1000; i++) /* >= 5 us */
        ;
    outb(CTL_PORT, DC_NIEN);
    if (wait_not_busy(disk, 3000))
        return ATA_ETIME;
    if (inb(R_LBAM) != 0 || inb(R_LBAH) != 0)
        return ATA_ENODEV; /* ATAPI or something else */
    outb(R_DEVICE, 0xA0);
    outb(CTL_PORT, 0); /* interrupts on */
    return 0;
}

static int identify(struct ata_disk *disk)
{
    static uint16_t id[256];
    int rc;
    uint32_t seen = disk->irqs; /* IDENTIFY: PIO data-in, one block */
    outb(R_DEVICE, 0xA0);
    disk->commands++;
    outb(R_STATUS, 0xEC);
    if ((rc = wait_irq(disk, seen)) != 0)
        return rc;
    if (disk->status & ST_ERR || !(disk->status & ST_DRQ))
        return ATA_ENODEV;
    insw(R_DATA, id, 256);
    disk->status = inb(R_STATUS);
    for (int i = 0; i < 20; i++) {
        disk->model[2 * i] = (char)(id[27 + i] >> 8);
        disk->model[2 * i + 1] = (char)id[27 + i];
    }
    for (int i = 39; i >= 0 && disk->model[i] == ' '; i--)
        disk->model[i] = 0;
    for (int i = 0; disk->model[i]; i++)
        if (disk->model[i] == ' ')
            disk->model[i] = '_';
    disk->lba48 = (id[83] & 0xC400) == 0x4400 && (id[86] & 0x0400);
    disk->sectors = disk->lba48 ? (uint64_t)id[100] | (uint64_t)id[101] << 16 |
                                      (uint64_t)id[102] << 32 | (uint64_t)id[103] << 48
                                : (uint64_t)id[60] | (uint64_t)id[61] << 16;
    disk->mwdma = id[63];
    disk->udma = id[53] & 4 ? id[88] : 0;
    return 0;
}

int ata_open(struct ata_disk *disk, const struct pci_dev *d)
{
    *disk = (struct ata_disk){ .pci = *d };
    if (pci_read8(d, 0x09) & 0x01)
        return ATA_ENODEV; /* primary channel in native mode: not this driver */
    /* I/O decoding, bus mastering; the primary channel's decode (PIIX IDETIM
     * bit 15) as firmware leaves it on. */
    pci_write16(d, PCI_COMMAND,
                (uint16_t)(pci_read16(d, PCI_COMMAND) | PCI_CMD_IO | PCI_CMD_MASTER));
    uint16_t idetim = pci_read16(d, 0x40);
    if (!(idetim & 0x8000))
        pci_write16(d, 0x40, (uint16_t)(idetim | 0x8000));
    struct pci_bar bar;
    if (!pci_bar_probe(d, 4, &bar) && bar.io && bar.base)
        disk->bmiba = (uint16_t)bar.base;
    irq_register(IRQ, ata_irq, disk);
    pic_unmask(IRQ);
    int rc = reset(disk);
    if (!rc)
        rc = identify(disk);
    /* Multiword DMA: the fastest mode it has (SET FEATURES 03h, 20h + n). */
    if (!rc && disk->bmiba && (disk->mwdma & 7)) {
        uint8_t mode = disk->mwdma & 4 ? 2 : disk->mwdma & 2 ? 1 : 0;
        rc = ata_command(disk, 0xEF, 0x03, (uint8_t)(0x20 | mode));
    }
    if (rc)
        ata_close(disk);
    return rc;
}

void ata_close(struct ata_disk *disk)
{
    pic_mask(IRQ);
    irq_register(IRQ, 0, 0);
    (void)disk;
}
