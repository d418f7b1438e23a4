/*
 * test_ata.c — the PIIX3 IDE controller and its ATA disk (05-io/ata.h,
 * 05-io/ata_bmdma.h), driven through the ports the way a driver does
 * (ATA/ATAPI-6 §9 protocols, SFF-8038i): the PCI function and BAR4, the
 * reset signature, IDENTIFY DEVICE, PIO reads and writes (28- and 48-bit),
 * DMA through PRD tables, FLUSH, SET FEATURES, nIEN and the absent device
 * 1; and bad programming: an address past the end, an unknown command, a
 * write to a read-only disk, a PRD table outside RAM, too short and too
 * long PRD tables, bus mastering off; and the bus master behind an IOMMU.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "05-io/ata_bmdma.h"

#define RAM_SIZE (1u << 20)
#define BMIBA    0xC000u
#define PRD      0x1000u
#define DATA     0x10000u
#define SECTORS  128
#define DISK     (SECTORS * 512)

struct fix {
    struct guest_ram ram;
    struct pci_host bus;
    struct piix_ide ide;
    char path[64];
    int level, rises; /* ISA IRQ 14 */
};

static void set_line(void *ctx, int irq, int level)
{
    struct fix *f = ctx;
    assert_int_equal(irq, ATA_PRIMARY_IRQ);
    f->rises += level && !f->level;
    f->level = level;
}

/* Byte b of the disk as the test wrote it. */
static uint8_t pat(unsigned b) { return (uint8_t)(b / 512 * 7 + b); }

static uint32_t in(struct fix *f, unsigned reg, uint8_t size)
{
    uint32_t v = 0;
    piix_ide_cmd_io(&f->ide, reg, size, false, &v);
    return v;
}
static void out(struct fix *f, unsigned reg, uint32_t v)
{
    piix_ide_cmd_io(&f->ide, reg, 1, true, &v);
}
static uint8_t alt(struct fix *f)
{
    uint32_t v = 0;
    piix_ide_ctl_io(&f->ide, 0, 1, false, &v);
    return (uint8_t)v;
}
static void ctl(struct fix *f, uint32_t v) { piix_ide_ctl_io(&f->ide, 0, 1, true, &v); }
static uint32_t bm_rd(struct fix *f, unsigned off, uint8_t size)
{
    uint32_t v = 0;
    piix_ide_bm_io(&f->ide, off, size, false, &v);
    return v;
}
static void bm_wr(struct fix *f, unsigned off, uint8_t size, uint32_t v)
{
    piix_ide_bm_io(&f->ide, off, size, true, &v);
}

static struct fix *make(bool ro)
{
    struct fix *f = calloc(1, sizeof *f);
    char err[256];
    assert_int_equal(guest_ram_init(&f->ram, RAM_SIZE, err, sizeof err), 0);
    pci_host_init(&f->bus);
    strcpy(f->path, "/tmp/vmlab-ata.XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    uint8_t *img = malloc(DISK);
    for (unsigned i = 0; i < DISK; i++)
        img[i] = pat(i);
    assert_int_equal(write(fd, img, DISK), DISK);
    free(img);
    close(fd);
    char spec[80];
    snprintf(spec, sizeof spec, "%s%s", f->path, ro ? ",ro" : "");
    struct irq_line irq = { set_line, f, ATA_PRIMARY_IRQ };
    assert_int_equal(piix_ide_init(&f->ide, &f->bus, PCI_DEVFN(7, 0), BMIBA, &f->ram, irq, spec,
                                   err, sizeof err),
                     0);
    pci_cfg_set(f->ide.fn, PCI_COMMAND, 2, 0x0005); /* I/O space, bus master */
    return f;
}

static int setup(void **state)
{
    *state = make(false);
    return 0;
}
static int setup_ro(void **state)
{
    *state = make(true);
    return 0;
}
static int teardown(void **state)
{
    struct fix *f = *state;
    piix_ide_close(&f->ide);
    unlink(f->path);
    guest_ram_destroy(&f->ram);
    free(f);
    return 0;
}

/* The task file of a 28-bit command (device 0, LBA) and the command. */
static void cmd28(struct fix *f, uint8_t cmd, uint32_t lba, uint8_t count)
{
    out(f, ATA_REG_NSECT, count);
    out(f, ATA_REG_LBAL, lba & 0xFF);
    out(f, ATA_REG_LBAM, lba >> 8 & 0xFF);
    out(f, ATA_REG_LBAH, lba >> 16 & 0xFF);
    out(f, ATA_REG_DEVICE, ATA_LBA | (lba >> 24 & 0x0F));
    out(f, ATA_REG_STATUS, cmd);
}

/* A 48-bit command: each register written twice, high byte first. */
static void cmd48(struct fix *f, uint8_t cmd, uint64_t lba, uint16_t count)
{
    out(f, ATA_REG_NSECT, count >> 8);
    out(f, ATA_REG_NSECT, count & 0xFF);
    for (unsigned r = 0; r < 3; r++) {
        out(f, ATA_REG_LBAL + r, (uint32_t)(lba >> (24 + 8 * r)) & 0xFF);
        out(f, ATA_REG_LBAL + r, (uint32_t)(lba >> (8 * r)) & 0xFF);
    }
    out(f, ATA_REG_DEVICE, ATA_LBA);
    out(f, ATA_REG_STATUS, cmd);
}

/* Read one 512-byte block at the data port into p (16-bit accesses). */
static void pio_in(struct fix *f, uint8_t *p)
{
    for (unsigned i = 0; i < 256; i++) {
        uint32_t w = in(f, ATA_REG_DATA, 2);
        p[2 * i] = (uint8_t)w, p[2 * i + 1] = (uint8_t)(w >> 8);
    }
}

static void test_pci_identity(void **state)
{
    struct fix *f = *state;
    struct pci_function *fn = f->ide.fn;
    assert_int_equal(pci_cfg_get(fn, PCI_VENDOR_ID, 2), 0x8086);
    assert_int_equal(pci_cfg_get(fn, PCI_DEVICE_ID, 2), 0x7010);
    assert_int_equal(pci_cfg_get(fn, PCI_REVISION + 1, 1), 0x80); /* compatibility, bus master */
    assert_int_equal(pci_cfg_get(fn, PCI_REVISION + 2, 2), 0x0101);
    assert_int_equal(pci_bar_address(fn, 4), BMIBA);
    assert_int_equal(pci_cfg_get(fn, PCI_BAR0, 4), 0); /* no BAR0-3 in compatibility mode */
    /* BAR4 sizing: 16 bytes of I/O. */
    pci_host_io(&f->bus, 0, 4, true, &(uint32_t){ PCI_ENABLE | PCI_DEVFN(7, 0) << 8 | 0x20 });
    uint32_t v = 0xFFFFFFFFu;
    pci_host_io(&f->bus, 4, 4, true, &v);
    pci_host_io(&f->bus, 4, 4, false, &v);
    assert_int_equal(v, 0xFFFFFFF1u);
    pci_cfg_set(fn, PCI_BAR0 + 16, 4, BMIBA | 1);
    unsigned off;
    assert_true(piix_ide_decodes(&f->ide, BMIBA + 2, &off));
    assert_int_equal(off, 2);
    assert_false(piix_ide_decodes(&f->ide, BMIBA + 16, &off));
    assert_int_equal(pci_cfg_get(fn, PIIX_IDETIM, 2), 0x8000);
    assert_int_equal(bm_rd(f, 2, 1), 0x20); /* drive 0 DMA capable */
    /* I/O space off: the legacy ports float, BAR4 decodes nothing. */
    pci_cfg_set(fn, PCI_COMMAND, 2, 0);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), 0xFF);
    assert_false(piix_ide_decodes(&f->ide, BMIBA, &off));
    pci_cfg_set(fn, PCI_COMMAND, 2, 1);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC);
    pci_cfg_set(fn, PIIX_IDETIM, 2, 0); /* the channel's decode off */
    assert_int_equal(in(f, ATA_REG_STATUS, 1), 0xFF);
}

/* §9.2: SRST set -> BSY; cleared -> the signature, no interrupt. */
static void test_reset_signature(void **state)
{
    struct fix *f = *state;
    out(f, ATA_REG_NSECT, 0x55);
    ctl(f, ATA_SRST);
    assert_int_equal(alt(f) & ATA_BSY, ATA_BSY);
    ctl(f, 0);
    assert_int_equal(alt(f), ATA_DRDY | ATA_DSC);
    assert_int_equal(in(f, ATA_REG_NSECT, 1), 1);
    assert_int_equal(in(f, ATA_REG_LBAL, 1), 1);
    assert_int_equal(in(f, ATA_REG_LBAM, 1), 0);
    assert_int_equal(in(f, ATA_REG_LBAH, 1), 0);
    assert_int_equal(in(f, ATA_REG_ERROR, 1), 1);
    assert_int_equal(f->level, 0);
    /* Device 1 is absent: its registers read 0, it ignores commands. */
    out(f, ATA_REG_DEVICE, ATA_DEV);
    out(f, ATA_REG_NSECT, 0x55);
    assert_int_equal(in(f, ATA_REG_NSECT, 1), 0);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), 0);
    out(f, ATA_REG_STATUS, ATA_CMD_IDENTIFY);
    assert_int_equal(f->ide.disk.commands, 0);
    out(f, ATA_REG_DEVICE, 0);
    assert_int_equal(in(f, ATA_REG_NSECT, 1), 0x55); /* the shared register file */
}

static void test_identify(void **state)
{
    struct fix *f = *state;
    uint16_t w[256];
    out(f, ATA_REG_DEVICE, 0);
    out(f, ATA_REG_STATUS, ATA_CMD_IDENTIFY);
    assert_int_equal(f->level, 1);
    assert_int_equal(bm_rd(f, 2, 1) & BM_INTR, BM_INTR); /* the rise is seen by the bus master */
    assert_int_equal(alt(f), ATA_DRDY | ATA_DSC | ATA_DRQ);
    assert_int_equal(f->level, 1); /* alternate status does not clear INTRQ */
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC | ATA_DRQ);
    assert_int_equal(f->level, 0);
    pio_in(f, (uint8_t *)w);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC);
    assert_int_equal(w[0], 0x0040);
    assert_int_equal(w[49] & 0x0300, 0x0300); /* LBA, DMA */
    assert_int_equal(w[60] | w[61] << 16, SECTORS);
    assert_int_equal(w[83] & 0xC400, 0x4400); /* 48-bit, valid */
    assert_int_equal(w[100] | w[101] << 16, SECTORS);
    assert_int_equal(w[63] & 7, 7);
    assert_int_equal(w[85] & 0x20, 0x20); /* write cache on */
    char model[41];
    for (int i = 0; i < 20; i++)
        model[2 * i] = (char)(w[27 + i] >> 8), model[2 * i + 1] = (char)w[27 + i];
    model[40] = 0;
    assert_memory_equal(model, "VMLAB ATA DISK      ", 20);
    uint8_t sum = 0;
    for (int i = 0; i < 256; i++)
        sum = (uint8_t)(sum + (w[i] & 0xFF) + (w[i] >> 8));
    assert_int_equal(w[255] & 0xFF, 0xA5);
    assert_int_equal(sum, 0);
    /* SET FEATURES: multiword DMA 1 selected; a mode it lacks aborted. */
    out(f, ATA_REG_ERROR, ATA_SF_XFER_MODE);
    out(f, ATA_REG_NSECT, 0x21);
    out(f, ATA_REG_STATUS, ATA_CMD_SET_FEATURES);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC);
    assert_int_equal(f->ide.disk.identify[63], 0x0207);
    out(f, ATA_REG_ERROR, ATA_SF_XFER_MODE);
    out(f, ATA_REG_NSECT, 0x23);
    out(f, ATA_REG_STATUS, ATA_CMD_SET_FEATURES);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC | ATA_ERR);
    assert_int_equal(in(f, ATA_REG_ERROR, 1), ATA_ABRT);
}

static void test_pio_read(void **state)
{
    struct fix *f = *state;
    uint8_t buf[512];
    cmd28(f, ATA_CMD_READ, 5, 2);
    for (unsigned s = 5; s < 7; s++) {
        assert_int_equal(f->level, 1); /* an interrupt per block */
        assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC | ATA_DRQ);
        pio_in(f, buf);
        for (unsigned i = 0; i < 512; i++)
            assert_int_equal(buf[i], pat(s * 512 + i));
    }
    assert_int_equal(f->level, 0); /* data-in: none after the last block */
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC);
    /* 32-bit accesses (PIIX) and a 48-bit read of the last sector. */
    cmd48(f, ATA_CMD_READ_EXT, SECTORS - 1, 1);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC | ATA_DRQ);
    uint32_t d = in(f, ATA_REG_DATA, 4);
    unsigned b = (SECTORS - 1) * 512;
    assert_int_equal(d, pat(b) | pat(b + 1) << 8 | pat(b + 2) << 16 | (uint32_t)pat(b + 3) << 24);
    for (unsigned i = 1; i < 128; i++)
        in(f, ATA_REG_DATA, 4);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC);
    /* HOB: the previous value of a 48-bit register. */
    cmd48(f, ATA_CMD_VERIFY_EXT, 0x0000AB000010ull, 1);
    ctl(f, ATA_HOB);
    assert_int_equal(in(f, ATA_REG_LBAL, 1), 0xAB);
    ctl(f, 0);
    assert_int_equal(in(f, ATA_REG_LBAL, 1), 0x10);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC | ATA_ERR); /* past the end */
    assert_int_equal(in(f, ATA_REG_ERROR, 1), ATA_IDNF);
}

static void test_pio_write_flush(void **state)
{
    struct fix *f = *state;
    cmd48(f, ATA_CMD_WRITE_EXT, 9, 2);
    assert_int_equal(f->level, 0); /* data-out: the first block without interrupt */
    for (unsigned s = 0; s < 2; s++) {
        assert_int_equal(alt(f), ATA_DRDY | ATA_DSC | ATA_DRQ);
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t w = 0xA000 + i;
            piix_ide_cmd_io(&f->ide, ATA_REG_DATA, 2, true, &w);
        }
        assert_int_equal(f->level, 1);
        in(f, ATA_REG_STATUS, 1);
    }
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC);
    out(f, ATA_REG_STATUS, ATA_CMD_FLUSH_EXT);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC);
    assert_int_equal(f->ide.disk.flushes, 1);
    FILE *fp = fopen(f->path, "rb");
    uint8_t buf[1024];
    fseek(fp, 9 * 512, SEEK_SET);
    assert_int_equal(fread(buf, 1, sizeof buf, fp), sizeof buf);
    fclose(fp);
    for (unsigned i = 0; i < 1024; i += 2)
        assert_int_equal(buf[i] | buf[i + 1] << 8, 0xA000 + (i % 512) / 2);
}

/* One PRD at entry i. */
static void prd(struct fix *f, unsigned i, uint32_t addr, uint32_t len, bool eot)
{
    uint8_t *e = gpa_to_hva(&f->ram, PRD + 8 * i, 8);
    uint32_t w[2] = { addr, (len & 0xFFFF) | (eot ? PRD_EOT : 0) };
    memcpy(e, w, 8);
}

/* Program the bus master, issue the command, start: Linux's order. */
static void dma(struct fix *f, uint8_t cmd, uint32_t lba, uint8_t count, bool to_memory)
{
    bm_wr(f, 4, 4, PRD);
    bm_wr(f, 0, 1, to_memory ? BM_TO_MEMORY : 0);
    bm_wr(f, 2, 1, bm_rd(f, 2, 1) | BM_INTR | BM_ERROR); /* clear both, keep bits 5-6 */
    cmd28(f, cmd, lba, count);
    bm_wr(f, 0, 1, (to_memory ? BM_TO_MEMORY : 0) | BM_START);
}

static void test_dma_read(void **state)
{
    struct fix *f = *state;
    uint8_t *ram = gpa_to_hva(&f->ram, 0, RAM_SIZE);
    /* Three sectors over two PRDs that split the second sector. */
    prd(f, 0, DATA, 700, false);
    prd(f, 1, DATA + 0x4000, 3 * 512 - 700, true);
    dma(f, ATA_CMD_READ_DMA, 20, 3, true);
    assert_int_equal(bm_rd(f, 2, 1), 0x20 | BM_INTR); /* exactly: Active 0, Interrupt 1 */
    assert_int_equal(f->level, 1);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC);
    for (unsigned i = 0; i < 3 * 512; i++)
        assert_int_equal(ram[i < 700 ? DATA + i : DATA + 0x4000 + i - 700], pat(20 * 512 + i));
    bm_wr(f, 0, 1, BM_TO_MEMORY);
    /* A PRD larger than the transfer: Active stays set; start before
     * the command works too. */
    memset(ram + DATA, 0, 4096);
    prd(f, 0, DATA, 4096, true);
    bm_wr(f, 2, 1, 0x20 | BM_INTR);
    bm_wr(f, 0, 1, BM_TO_MEMORY | BM_START);
    cmd48(f, ATA_CMD_READ_DMA_EXT, 1, 1);
    assert_int_equal(bm_rd(f, 2, 1), 0x20 | BM_INTR | BM_ACTIVE);
    assert_int_equal(ram[DATA + 3], pat(512 + 3));
    assert_int_equal(ram[DATA + 512], 0);
    bm_wr(f, 0, 1, 0);
    assert_int_equal(bm_rd(f, 2, 1) & BM_ACTIVE, 0);
    assert_int_equal(f->ide.disk.dma_sectors_in, 4);
}

static void test_dma_write(void **state)
{
    struct fix *f = *state;
    uint8_t *ram = gpa_to_hva(&f->ram, 0, RAM_SIZE);
    for (unsigned i = 0; i < 1024; i++)
        ram[DATA + i] = (uint8_t)(i * 3 + 1);
    prd(f, 0, DATA, 1024, true);
    dma(f, ATA_CMD_WRITE_DMA, 40, 2, false);
    assert_int_equal(bm_rd(f, 2, 1), 0x20 | BM_INTR);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC);
    FILE *fp = fopen(f->path, "rb");
    uint8_t buf[1024];
    fseek(fp, 40 * 512, SEEK_SET);
    assert_int_equal(fread(buf, 1, sizeof buf, fp), sizeof buf);
    fclose(fp);
    assert_memory_equal(buf, ram + DATA, 1024);
}

/* Bad programming: the right status, never a crash. */
static void test_dma_errors(void **state)
{
    struct fix *f = *state;
    /* The PRD table outside guest RAM: Error, the command aborted. */
    bm_wr(f, 4, 4, 0xFFFF0000u);
    bm_wr(f, 0, 1, BM_TO_MEMORY);
    cmd28(f, ATA_CMD_READ_DMA, 0, 1);
    bm_wr(f, 0, 1, BM_TO_MEMORY | BM_START);
    assert_int_equal(bm_rd(f, 2, 1), 0x20 | BM_ERROR | BM_INTR);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC | ATA_ERR);
    assert_int_equal(in(f, ATA_REG_ERROR, 1), ATA_ABRT);
    bm_wr(f, 0, 1, 0);
    /* A buffer past the end of RAM. */
    prd(f, 0, RAM_SIZE - 256, 512, true);
    dma(f, ATA_CMD_READ_DMA, 0, 1, true);
    assert_int_equal(bm_rd(f, 2, 1) & BM_ERROR, BM_ERROR);
    assert_int_equal(in(f, ATA_REG_ERROR, 1), ATA_ABRT);
    bm_wr(f, 0, 1, 0);
    /* PRDs shorter than the transfer: Active 0, Interrupt 0, no INTRQ. */
    in(f, ATA_REG_STATUS, 1);
    prd(f, 0, DATA, 512, true);
    dma(f, ATA_CMD_READ_DMA, 0, 2, true);
    assert_int_equal(bm_rd(f, 2, 1), 0x20);
    assert_int_equal(f->level, 0);
    assert_int_equal(alt(f), ATA_DRDY | ATA_DSC);
    bm_wr(f, 0, 1, 0);
    /* The direction opposite to the command's; bus mastering off. */
    prd(f, 0, DATA, 512, true);
    dma(f, ATA_CMD_READ_DMA, 0, 1, false);
    assert_int_equal(bm_rd(f, 2, 1) & BM_ERROR, BM_ERROR);
    bm_wr(f, 0, 1, 0);
    pci_cfg_set(f->ide.fn, PCI_COMMAND, 2, 0x0001);
    dma(f, ATA_CMD_READ_DMA, 0, 1, true);
    assert_int_equal(bm_rd(f, 2, 1) & BM_ERROR, BM_ERROR);
    assert_int_equal(f->ide.bm_errors, 4);
    /* A DMA read past the end: IDNF at the command, nothing moved. */
    pci_cfg_set(f->ide.fn, PCI_COMMAND, 2, 0x0005);
    bm_wr(f, 0, 1, 0);
    uint64_t before = f->ide.disk.dma_sectors_in; /* 1: the short table's */
    dma(f, ATA_CMD_READ_DMA, SECTORS - 1, 2, true);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC | ATA_ERR);
    assert_int_equal(in(f, ATA_REG_ERROR, 1), ATA_IDNF);
    assert_int_equal(f->ide.disk.dma_sectors_in, before);
    assert_int_equal(before, 1);
}

/* A stand-in IOMMU for the bus master (core/dma.h): I/O virtual pages
 * IOVA..IOVA+3 map to scattered pages of RAM, backwards; the rest is
 * blocked.  It counts what it saw. */
#define IOVA 0x40000000u
static unsigned iova_page_gpa(unsigned p) { return DATA + 0x3000u * (3 - p); }
struct fake_iommu {
    unsigned reads, writes, blocked;
};
static int fake_translate(void *ctx, uint64_t iova, bool write, uint64_t *gpa, uint64_t *run)
{
    struct fake_iommu *u = ctx;
    if (iova < IOVA || iova >= IOVA + 0x4000u) {
        u->blocked++;
        return -1;
    }
    *(write ? &u->writes : &u->reads) += 1;
    unsigned p = (unsigned)(iova - IOVA) / 0x1000u, off = (unsigned)iova & 0xFFFu;
    *gpa = iova_page_gpa(p) + off;
    *run = 0x1000u - off;
    return 0;
}

/* Behind an IOMMU the PRD table and the buffers are I/O virtual
 * addresses, translated page by page: a buffer across a page boundary
 * lands in two places; a blocked one is a bus error. */
static void test_dma_iommu(void **state)
{
    struct fix *f = *state;
    struct fake_iommu u = { 0 };
    const struct dma_space space = { fake_translate, &u };
    f->ide.dma = &space;
    uint8_t *ram = gpa_to_hva(&f->ram, 0, RAM_SIZE);
    /* The PRD table on I/O page 3; three sectors from 0x200 before the
     * end of page 0 into page 1. */
    uint32_t w[2] = { IOVA + 0xE00, 3 * 512 | PRD_EOT };
    memcpy(ram + iova_page_gpa(3), w, 8);
    bm_wr(f, 4, 4, IOVA + 0x3000);
    bm_wr(f, 0, 1, BM_TO_MEMORY);
    cmd28(f, ATA_CMD_READ_DMA, 20, 3);
    bm_wr(f, 0, 1, BM_TO_MEMORY | BM_START);
    assert_int_equal(bm_rd(f, 2, 1), 0x20 | BM_INTR);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC);
    for (unsigned i = 0; i < 3 * 512; i++) {
        unsigned at = i < 0x200 ? iova_page_gpa(0) + 0xE00 + i : iova_page_gpa(1) + i - 0x200;
        assert_int_equal(ram[at], pat(20 * 512 + i));
    }
    assert_int_equal(u.reads, 1);  /* the PRD */
    assert_int_equal(u.writes, 2); /* two pages of the buffer */
    assert_int_equal(u.blocked, 0);
    bm_wr(f, 0, 1, 0);
    /* A buffer the IOMMU blocks: Error, the command aborted. */
    w[0] = 0x10000;
    memcpy(ram + iova_page_gpa(3), w, 8);
    bm_wr(f, 2, 1, 0x20 | BM_INTR | BM_ERROR);
    cmd28(f, ATA_CMD_READ_DMA, 0, 1);
    bm_wr(f, 0, 1, BM_TO_MEMORY | BM_START);
    assert_int_equal(bm_rd(f, 2, 1) & BM_ERROR, BM_ERROR);
    assert_int_equal(in(f, ATA_REG_ERROR, 1), ATA_ABRT);
    assert_int_equal(u.blocked, 1);
    f->ide.dma = NULL;
}

static void test_errors_and_nien(void **state)
{
    struct fix *f = *state;
    out(f, ATA_REG_STATUS, 0x00); /* NOP: not supported */
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC | ATA_ERR);
    assert_int_equal(in(f, ATA_REG_ERROR, 1), ATA_ABRT);
    cmd28(f, ATA_CMD_READ, SECTORS, 1); /* one past the end */
    assert_int_equal(in(f, ATA_REG_ERROR, 1), ATA_IDNF);
    cmd28(f, ATA_CMD_READ, 0x0FFFFFFF, 0); /* 256 sectors far away */
    assert_int_equal(in(f, ATA_REG_ERROR, 1), ATA_IDNF);
    /* nIEN: INTRQ is kept from the line, and comes back with nIEN clear. */
    ctl(f, ATA_NIEN);
    unsigned rises = (unsigned)f->rises;
    cmd28(f, ATA_CMD_READ, 0, 1);
    assert_int_equal(f->level, 0);
    ctl(f, 0);
    assert_int_equal(f->level, 1);
    assert_int_equal(f->rises, rises + 1);
    uint8_t buf[512];
    in(f, ATA_REG_STATUS, 1);
    pio_in(f, buf);
    assert_int_equal(buf[1], pat(1));
    /* A dword access across the end of a block moves only its first word
     * (never past the sector buffer). */
    cmd28(f, ATA_CMD_READ, 2, 2);
    in(f, ATA_REG_STATUS, 1);
    for (unsigned i = 0; i < 255; i++)
        in(f, ATA_REG_DATA, 2);
    uint32_t last = in(f, ATA_REG_DATA, 4);
    assert_int_equal(last, pat(2 * 512 + 510) | pat(2 * 512 + 511) << 8);     /* upper half 0 */
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC | ATA_DRQ); /* sector 3 */
    assert_int_equal(in(f, ATA_REG_DATA, 2), pat(3 * 512) | pat(3 * 512 + 1) << 8);
    for (unsigned i = 1; i < 256; i++)
        in(f, ATA_REG_DATA, 2);
    /* Data port accesses with no data to move change nothing. */
    assert_int_equal(in(f, ATA_REG_DATA, 2), 0xFFFF);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC);
}

static void test_read_only(void **state)
{
    struct fix *f = *state;
    cmd28(f, ATA_CMD_WRITE, 0, 1);
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC | ATA_ERR);
    assert_int_equal(in(f, ATA_REG_ERROR, 1), ATA_ABRT);
    prd(f, 0, DATA, 512, true);
    dma(f, ATA_CMD_WRITE_DMA, 0, 1, false);
    assert_int_equal(in(f, ATA_REG_ERROR, 1), ATA_ABRT);
    assert_int_equal(f->ide.disk.dma_sectors_out, 0);
    cmd28(f, ATA_CMD_READ, 3, 1); /* reads still work */
    uint8_t buf[512];
    assert_int_equal(in(f, ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC | ATA_DRQ);
    pio_in(f, buf);
    assert_int_equal(buf[7], pat(3 * 512 + 7));
}

static void test_bad_spec(void **state)
{
    (void)state;
    struct ata a;
    char err[256];
    assert_int_equal(ata_open(&a, "/nonexistent/x.img", NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open disk '/nonexistent/x.img' for writing"));
    assert_int_equal(ata_open(&a, "x.img,rw", NULL, err, sizeof err), -1);
    assert_string_equal(err, "--ata 'x.img,rw': expected FILE or FILE,ro");
    assert_int_equal(ata_open(&a, "/tmp,ro", NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "is not a regular file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pci_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pio_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pio_write_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_iommu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_and_nien, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only, setup_ro, teardown),
        cmocka_unit_test(test_bad_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
