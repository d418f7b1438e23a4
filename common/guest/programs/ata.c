/*
 * ata — the teaching kernel's ATA driver (kernel/ata.c) against whatever
 * IDE disk the machine has: QEMU's own (-drive if=ide on the pc machine's
 * PIIX3) or a VMM's (vmm-io --ata).
 *
 *  0. finds the PIIX3 IDE function (8086:7010), resets the primary channel,
 *     reads IDENTIFY DEVICE (model, capacity, LBA48, DMA modes);
 *  1. reads sectors 0..N-1 (N = iters) by PIO, 16 a command, and checks
 *     the host's pattern: 32-bit word w of sector s is HOST_WORD(s, w)
 *     (tests/io/pattern.sh);
 *  2. reads them again by DMA, 100 a command, the first descriptor ending
 *     in the middle of a sector, and checks them;
 *  3. reads by the 48-bit commands (READ SECTORS EXT, READ DMA EXT);
 *  4. writes 8 sectors at N by PIO and 8 at N+8 by DMA with GUEST_WORD,
 *     FLUSH CACHE, reads each back the other way; a read-only disk must
 *     refuse both (ERR, ABRT);
 *  5. a read past the end and an unknown command end in ERR (IDNF or
 *     ABRT), and the disk reads again afterwards.
 * Without the controller or a disk on it, it prints a SKIP line and
 * passes, so test=all runs anywhere; `RESULT ata device=none` tells a test.
 */
#include "../kernel/ata.h"
#include "../kernel/pci.h"
#include "../kernel/program.h"

#define HOST_WORD(s, w)  (0xB1000000u | ((s)&0xFFFFu) << 8 | (w))
#define GUEST_WORD(s, w) (0x6E000000u | ((s)&0xFFFFu) << 8 | (w))
#define WORDS            (ATA_SECTOR / 4)
#define PIO_CHUNK        16
#define DMA_CHUNK        100
#define WRITE_SECTORS    8
#define ERR_IDNF         0x10
#define ERR_ABRT         0x04

static struct ata_disk disk;
static uint32_t buf[DMA_CHUNK * WORDS] __attribute__((aligned(4096)));

static uint32_t check(uint32_t first, uint32_t n, int guest)
{
    uint32_t bad = 0;
    for (uint32_t s = 0; s < n; s++)
        for (uint32_t w = 0; w < WORDS; w++)
            bad +=
                buf[s * WORDS + w] != (guest ? GUEST_WORD(first + s, w) : HOST_WORD(first + s, w));
    return bad;
}

static void fill(uint32_t first, uint32_t n)
{
    for (uint32_t s = 0; s < n; s++)
        for (uint32_t w = 0; w < WORDS; w++)
            buf[s * WORDS + w] = GUEST_WORD(first + s, w);
}

/* Read [first, first + n) in chunks by PIO or DMA and check the pattern. */
static int read_check(struct prog_ctx *ctx, int dma, uint32_t first, uint32_t n, int guest)
{
    uint32_t chunk = dma ? DMA_CHUNK : PIO_CHUNK;
    for (uint32_t s = first; s < first + n; s += chunk) {
        uint32_t k = first + n - s < chunk ? first + n - s : chunk;
        __builtin_memset(buf, 0, k * ATA_SECTOR);
        int rc =
            dma ? ata_dma(&disk, 0, s, buf, k, s == first ? 700 : 0) : ata_pio(&disk, 0, s, buf, k);
        if (rc)
            return prog_fail(ctx,
                             "%s read of sectors %u-%u: error %d (status 0x%x error 0x%x "
                             "bus master 0x%x)",
                             dma ? "DMA" : "PIO", s, s + k - 1, rc, disk.status, disk.error,
                             disk.bm_status);
        uint32_t bad = check(s, k, guest);
        if (bad)
            return prog_fail(ctx, "%s read of sectors %u-%u: %u words differ from the %s pattern",
                             dma ? "DMA" : "PIO", s, s + k - 1, bad, guest ? "guest's" : "host's");
    }
    return 0;
}

/* Step 4: the writes, or their refusal; *what says which. */
static int write_flush(struct prog_ctx *ctx, uint32_t n, const char **what)
{
    fill(n, WRITE_SECTORS);
    int rc = ata_pio(&disk, 1, n, buf, WRITE_SECTORS);
    if (rc == ATA_EDEVICE && (disk.error & ERR_ABRT)) { /* a read-only disk */
        fill(n + WRITE_SECTORS, WRITE_SECTORS);
        rc = ata_dma(&disk, 1, n + WRITE_SECTORS, buf, WRITE_SECTORS, 0);
        if (rc != ATA_EDEVICE || !(disk.error & ERR_ABRT))
            return prog_fail(ctx, "PIO write refused but the DMA write gave %d", rc);
        *what = "refused-abrt";
        return 0;
    }
    if (rc)
        return prog_fail(ctx, "PIO write of sectors %u-%u: error %d (error 0x%x)", n,
                         n + WRITE_SECTORS - 1, rc, disk.error);
    fill(n + WRITE_SECTORS, WRITE_SECTORS);
    if ((rc = ata_dma(&disk, 1, n + WRITE_SECTORS, buf, WRITE_SECTORS, 0)) != 0)
        return prog_fail(ctx, "DMA write of sectors %u-%u: error %d (error 0x%x)",
                         n + WRITE_SECTORS, n + 2 * WRITE_SECTORS - 1, rc, disk.error);
    if ((rc = ata_command(&disk, 0xE7, 0, 0)) != 0) /* FLUSH CACHE */
        return prog_fail(ctx, "FLUSH CACHE: error %d (error 0x%x)", rc, disk.error);
    if (read_check(ctx, 1, n, WRITE_SECTORS, 1) ||
        read_check(ctx, 0, n + WRITE_SECTORS, WRITE_SECTORS, 1))
        return -1;
    *what = "ok";
    return 0;
}

/* Step 5: bad requests end in ERR with the right bit; *what names them. */
static int bad_requests(struct prog_ctx *ctx, const char **past, const char **unknown)
{
    int rc = ata_pio(&disk, 0, disk.sectors, buf, 1);
    if (rc != ATA_EDEVICE || !(disk.error & (ERR_IDNF | ERR_ABRT)))
        return prog_fail(ctx, "a read past the end gave %d (error 0x%x)", rc, disk.error);
    *past = disk.error & ERR_IDNF ? "idnf" : "abrt";
    rc = ata_command(&disk, 0x8F, 0, 0); /* no such command (ATA/ATAPI-6 Table 22) */
    if (rc != ATA_EDEVICE || !(disk.error & ERR_ABRT))
        return prog_fail(ctx, "an unknown command gave %d (error 0x%x)", rc, disk.error);
    *unknown = "abrt";
    return read_check(ctx, 0, 1, 1, 0); /* and the disk still works */
}

static int run(struct prog_ctx *ctx, const struct pci_dev *d)
{
    uint32_t n = ctx->iters;
    int rc = ata_open(&disk, d);
    if (rc == ATA_ENODEV) {
        kprintf("vmlab: ata: SKIP: no ATA disk on the primary channel of %02x:%02x.%x\n", d->bus,
                d->dev, d->fn);
        result(ctx, "device=piix-ide disk=none skipped=1");
        return 0;
    }
    if (rc)
        return prog_fail(ctx, "%02x:%02x.%x: open: error %d (status 0x%x)", d->bus, d->dev, d->fn,
                         rc, disk.status);
    kprintf("vmlab: ata: %02x:%02x.%x bus master 0x%x model %s sectors %llu lba48 %d mwdma 0x%x "
            "udma 0x%x\n",
            d->bus, d->dev, d->fn, disk.bmiba, disk.model, disk.sectors, disk.lba48, disk.mwdma,
            disk.udma);
    if (disk.sectors < (uint64_t)n + 2 * WRITE_SECTORS)
        return prog_fail(ctx, "disk has %llu sectors, need %u (iters=%u + %u to write)",
                         disk.sectors, n + 2 * WRITE_SECTORS, n, 2 * WRITE_SECTORS);
    if (!disk.bmiba)
        return prog_fail(ctx, "no bus master: BAR4 is not assigned");
    if (read_check(ctx, 0, 0, n, 0) || read_check(ctx, 1, 0, n, 0))
        return -1;
    int ext = 0;
    if (disk.lba48) { /* the 48-bit commands on the last sectors read */
        disk.force48 = 1;
        rc = read_check(ctx, 0, n - 3, 3, 0) || read_check(ctx, 1, n - 5, 5, 0);
        disk.force48 = 0;
        if (rc)
            return -1;
        ext = 1;
    }
    const char *wrote = "none", *past = "none", *unknown = "none";
    if (write_flush(ctx, n, &wrote) || bad_requests(ctx, &past, &unknown))
        return -1;
    result(ctx,
           "device=piix-ide pci=%02x:%02x.%x model=%s sectors=%llu lba48=%d ext=%d mwdma=0x%x "
           "checked=%u pio_sectors=%u dma_sectors=%u commands=%u irqs=%u write=%s wsector=%u "
           "wcount=%u past_end=%s unknown=%s",
           d->bus, d->dev, d->fn, disk.model, disk.sectors, disk.lba48, ext, disk.mwdma, n,
           disk.pio_sectors, disk.dma_sectors, disk.commands, disk.irqs, wrote, n,
           2 * WRITE_SECTORS, past, unknown);
    return 0;
}

static int ata_prog(struct prog_ctx *ctx)
{
    struct pci_dev d;
    if (pci_find(0x8086, 0x7010, 0x7010, &d)) {
        kprintf("vmlab: ata: SKIP: no PIIX3 IDE controller on bus 0 (8086:7010)\n");
        result(ctx, "device=none skipped=1");
        return 0;
    }
    int rc = run(ctx, &d);
    ata_close(&disk);
    return rc;
}

PROGRAM("ata", "ATA disk on a PIIX3 IDE: IDENTIFY, PIO and DMA reads and writes, errors", 64,
        ata_prog);
