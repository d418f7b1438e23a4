/*
 * ata.c — an ATA disk: the task file, the commands, PIO data (ata.h;
 * ATA/ATAPI-6 §6, §8, §9).
 *
 * Every command is done synchronously, at the write of the command
 * register: the status the host reads next is already the end of it (or
 * DRQ for the first PIO block), so BSY is never seen set except during a
 * software reset.
 */
#include "05-io/ata.h"

#include <string.h>
#include <unistd.h>

#define IDLE (ATA_DRDY | ATA_DSC)

/* The channel's line: INTRQ driven by the selected device 0 while nIEN is
 * clear (§5.2.9: device 1 is absent, nobody drives it for device 1). */
static void update_line(struct ata *a)
{
    bool line = a->intrq && !(a->control & ATA_NIEN) && !(a->device & ATA_DEV);
    if (line == a->line)
        return;
    a->line = line;
    a->interrupts += line;
    if (a->hooks.irq)
        a->hooks.irq(a->hooks.ctx, line);
}

static void set_intrq(struct ata *a, bool on)
{
    a->intrq = on;
    update_line(a);
}

/* The signature of an ATA device after a reset or a diagnostic (§9.1,
 * §9.12): count 1, LBA 1, 0, 0; error 01h, device 0 passed. */
static void signature(struct ata *a)
{
    a->nsect[0] = a->lbal[0] = 1;
    a->lbam[0] = a->lbah[0] = 0;
    a->device = 0;
    a->error = 0x01;
    a->status = IDLE;
    a->xfer = ATA_XFER_NONE;
}

void ata_reset(struct ata *a)
{
    memset(a->feature, 0, sizeof a->feature);
    memset(a->nsect, 0, sizeof a->nsect);
    memset(a->lbal, 0, sizeof a->lbal);
    memset(a->lbam, 0, sizeof a->lbam);
    memset(a->lbah, 0, sizeof a->lbah);
    a->control = 0;
    signature(a);
    set_intrq(a, false);
}

/* End a command: status, error, and the interrupt. */
static void finish(struct ata *a, uint8_t error)
{
    a->xfer = ATA_XFER_NONE;
    a->error = error;
    a->status = error ? IDLE | ATA_ERR : IDLE;
    a->aborted += (error & ATA_ABRT) != 0;
    set_intrq(a, true);
}

/* ---- the address of a read or write ------------------------------------ */

/* The command's first sector and count (§6.2: 28-bit LBA, or CHS with the
 * geometry of IDENTIFY words 3 and 6; 48-bit from both register layers).
 * false if any of it is past the end of the disk. */
static bool address(struct ata *a, bool ext, uint64_t *lba, uint32_t *count)
{
    if (ext) {
        *lba = (uint64_t)a->lbah[1] << 40 | (uint64_t)a->lbam[1] << 32 |
               (uint64_t)a->lbal[1] << 24 | (uint64_t)a->lbah[0] << 16 | (uint64_t)a->lbam[0] << 8 |
               a->lbal[0];
        *count = (uint32_t)a->nsect[1] << 8 | a->nsect[0];
        if (!*count)
            *count = 65536;
    } else {
        if (a->device & ATA_LBA) {
            *lba = (uint64_t)(a->device & 0x0F) << 24 | (uint64_t)a->lbah[0] << 16 |
                   (uint64_t)a->lbam[0] << 8 | a->lbal[0];
        } else {
            uint32_t cyl = (uint32_t)a->lbah[0] << 8 | a->lbam[0], head = a->device & 0x0F;
            uint32_t sect = a->lbal[0], heads = a->identify[3], spt = a->identify[6];
            if (!sect || sect > spt || head >= heads)
                return false;
            *lba = ((uint64_t)cyl * heads + head) * spt + sect - 1;
        }
        *count = a->nsect[0] ? a->nsect[0] : 256;
    }
    return *lba <= a->sectors && *count <= a->sectors - *lba;
}

/* pread/pwrite all of len bytes at sector lba; false on a host error. */
static bool disk_io(struct ata *a, bool write, uint8_t *p, size_t len, uint64_t lba)
{
    off_t off = (off_t)(lba * ATA_SECTOR);
    size_t done = 0;
    while (done < len) {
        ssize_t k = write ? pwrite(a->fd, p + done, len - done, off + (off_t)done)
                          : pread(a->fd, p + done, len - done, off + (off_t)done);
        if (k < 0)
            return false;
        if (k == 0) { /* the file shrank under us: zeros past its end */
            if (write)
                return false;
            memset(p + done, 0, len - done);
            break;
        }
        done += (size_t)k;
    }
    return true;
}

/* ---- PIO (§9.5 PIO data-in, §9.6 PIO data-out) ------------------------ */

/* A block is ready at the data port: DRQ, and for data-in an interrupt. */
static void pio_block(struct ata *a)
{
    a->pos = 0;
    if (a->xfer == ATA_XFER_PIO_IN && a->xfer_disk) {
        if (!disk_io(a, false, a->buf, ATA_SECTOR, a->lba)) {
            finish(a, ATA_UNC);
            return;
        }
    }
    a->status = IDLE | ATA_DRQ;
    if (a->xfer == ATA_XFER_PIO_IN)
        set_intrq(a, true);
}

/* The host has moved the whole block at the data port. */
static void pio_block_done(struct ata *a)
{
    if (a->xfer == ATA_XFER_PIO_OUT) {
        if (!disk_io(a, true, a->buf, ATA_SECTOR, a->lba)) {
            finish(a, ATA_ABRT);
            return;
        }
        a->pio_sectors_out++;
    } else if (a->xfer_disk) {
        a->pio_sectors_in++;
    }
    a->lba++;
    if (--a->left == 0) {
        if (a->xfer == ATA_XFER_PIO_OUT)
            finish(a, 0); /* data-out: the interrupt ends the command */
        else
            a->xfer = ATA_XFER_NONE, a->status = IDLE; /* data-in: no interrupt */
        return;
    }
    if (a->xfer == ATA_XFER_PIO_OUT)
        set_intrq(a, true); /* the next block may be written */
    pio_block(a);
}

/* One access of size bytes (2, or 4 = two words) at the data port. */
static void data_io(struct ata *a, uint8_t size, bool is_write, uint32_t *value)
{
    bool in = a->xfer == ATA_XFER_PIO_IN, out = a->xfer == ATA_XFER_PIO_OUT;
    if (!(a->status & ATA_DRQ) || (is_write ? !out : !in) || (a->device & ATA_DEV)) {
        if (!is_write)
            *value = 0xFFFFFFFFu; /* nothing to transfer: the bus floats */
        return;
    }
    unsigned n = size < 2 ? 2 : size; /* a byte access moves a word (its low byte) */
    if (n > ATA_SECTOR - a->pos)
        n = ATA_SECTOR - a->pos; /* a dword across the block's end: its first word */
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        if (is_write)
            a->buf[a->pos + i] = (uint8_t)(*value >> (8 * i));
        else
            v |= (uint32_t)a->buf[a->pos + i] << (8 * i);
    }
    if (!is_write)
        *value = v;
    a->pos += n;
    if (a->pos >= ATA_SECTOR)
        pio_block_done(a);
}

/* ---- commands ------------------------------------------------------------ */

static void rw_command(struct ata *a, bool ext, bool write, bool dma)
{
    uint64_t lba;
    uint32_t count;
    if (write && a->ro) {
        finish(a, ATA_ABRT); /* write protected */
        return;
    }
    if (!address(a, ext, &lba, &count)) {
        finish(a, ATA_IDNF);
        return;
    }
    a->lba = lba;
    a->left = count;
    a->pos = 0;
    if (dma) {
        a->xfer = ATA_XFER_DMA;
        a->dma_write = write;
        a->status = IDLE | ATA_DRQ; /* waiting for the bus master */
        if (a->hooks.dma_ready)
            a->hooks.dma_ready(a->hooks.ctx);
        return;
    }
    a->xfer = write ? ATA_XFER_PIO_OUT : ATA_XFER_PIO_IN;
    a->xfer_disk = true;
    pio_block(a);
}

/* SET FEATURES (§8.37): a transfer mode IDENTIFY offers, or the write cache. */
static void set_features(struct ata *a)
{
    uint8_t mode = a->nsect[0];
    switch (a->feature[0]) {
    case ATA_SF_WCACHE_ON:
    case ATA_SF_WCACHE_OFF: a->wcache = a->feature[0] == ATA_SF_WCACHE_ON; break;
    case ATA_SF_XFER_MODE:
        if (mode > 0x01 && !((mode & 0xF8) == 0x08 && (mode & 7) <= 4) &&
            !((mode & 0xF8) == 0x20 && (mode & 7) <= 2) &&
            !((mode & 0xF8) == 0x40 && (mode & 7) <= 5)) {
            finish(a, ATA_ABRT); /* PIO 0-4, multiword DMA 0-2, Ultra DMA 0-5 */
            return;
        }
        break;
    case 0x55: /* read look-ahead off/on, reverting to defaults: nothing to do */
    case 0xAA:
    case 0x66:
    case 0xCC: break;
    default: finish(a, ATA_ABRT); return;
    }
    ata_identify_mode(a, a->feature[0] == ATA_SF_XFER_MODE ? mode : 0);
    finish(a, 0);
}

static void command(struct ata *a, uint8_t cmd)
{
    a->command = cmd;
    a->commands++;
    a->xfer = ATA_XFER_NONE;
    set_intrq(a, false);
    switch (cmd) {
    case ATA_CMD_READ:
    case ATA_CMD_READ + 1: rw_command(a, false, false, false); break;
    case ATA_CMD_READ_EXT: rw_command(a, true, false, false); break;
    case ATA_CMD_WRITE:
    case ATA_CMD_WRITE + 1: rw_command(a, false, true, false); break;
    case ATA_CMD_WRITE_EXT: rw_command(a, true, true, false); break;
    case ATA_CMD_READ_DMA:
    case ATA_CMD_READ_DMA + 1: rw_command(a, false, false, true); break;
    case ATA_CMD_READ_DMA_EXT: rw_command(a, true, false, true); break;
    case ATA_CMD_WRITE_DMA:
    case ATA_CMD_WRITE_DMA + 1: rw_command(a, false, true, true); break;
    case ATA_CMD_WRITE_DMA_EXT: rw_command(a, true, true, true); break;
    case ATA_CMD_VERIFY:
    case ATA_CMD_VERIFY + 1:
    case ATA_CMD_VERIFY_EXT: {
        uint64_t lba;
        uint32_t count;
        finish(a, address(a, cmd == ATA_CMD_VERIFY_EXT, &lba, &count) ? 0 : ATA_IDNF);
        break;
    }
    case ATA_CMD_FLUSH:
    case ATA_CMD_FLUSH_EXT:
        a->flushes++;
        finish(a, a->ro || fsync(a->fd) == 0 ? 0 : ATA_ABRT);
        break;
    case ATA_CMD_IDENTIFY:
        for (int i = 0; i < 256; i++) {
            a->buf[2 * i] = (uint8_t)a->identify[i];
            a->buf[2 * i + 1] = (uint8_t)(a->identify[i] >> 8);
        }
        a->xfer = ATA_XFER_PIO_IN;
        a->xfer_disk = false;
        a->left = 1;
        pio_block(a);
        break;
    case ATA_CMD_SET_FEATURES: set_features(a); break;
    case ATA_CMD_DIAGNOSE:
        signature(a);
        set_intrq(a, true);
        break;
    case ATA_CMD_CHECK_POWER:
        a->nsect[0] = 0xFF; /* active or idle */
        finish(a, 0);
        break;
    case ATA_CMD_INIT_PARAMS: /* the CHS geometry stays 16/63: LBA is what counts */
    case 0xE0:                /* STANDBY IMMEDIATE, IDLE IMMEDIATE, STANDBY, IDLE: */
    case 0xE1:                /* a file never spins down */
    case 0xE2:
    case 0xE3: finish(a, 0); break;
    default:
        if ((cmd & 0xF0) == 0x10) { /* RECALIBRATE (obsolete) */
            finish(a, 0);
            break;
        }
        finish(a, ATA_ABRT);
    }
}

/* ---- the register blocks ------------------------------------------------ */

static uint8_t *shadow(struct ata *a, unsigned reg)
{
    switch (reg) {
    case ATA_REG_ERROR: return a->feature;
    case ATA_REG_NSECT: return a->nsect;
    case ATA_REG_LBAL: return a->lbal;
    case ATA_REG_LBAM: return a->lbam;
    case ATA_REG_LBAH: return a->lbah;
    default: return 0;
    }
}

static uint32_t reg_read(struct ata *a, unsigned reg)
{
    if (a->device & ATA_DEV)
        return 0; /* device 1 is absent: device 0 answers 00h for it (QEMU does too) */
    int hob = (a->control & ATA_HOB) != 0;
    switch (reg) {
    case ATA_REG_ERROR: return a->error;
    case ATA_REG_DEVICE: return a->device;
    case ATA_REG_STATUS: set_intrq(a, false); return a->status;
    default: return shadow(a, reg)[hob];
    }
}

static void reg_write(struct ata *a, unsigned reg, uint8_t v)
{
    a->control &= (uint8_t)~ATA_HOB; /* a command block write clears HOB (§6.2.6) */
    if (reg == ATA_REG_STATUS) {
        if (a->device & ATA_DEV)
            return; /* for the absent device 1 */
        if (!(a->status & ATA_BSY))
            command(a, v);
        return;
    }
    if (a->status & (ATA_BSY | ATA_DRQ) && reg != ATA_REG_DEVICE)
        return; /* the registers are the device's until the command ends */
    if (reg == ATA_REG_DEVICE) {
        a->device = v;
        update_line(a); /* INTRQ follows the selected device */
        return;
    }
    uint8_t *r = shadow(a, reg);
    r[1] = r[0];
    r[0] = v;
}

void ata_cmd_io(struct ata *a, unsigned reg, uint8_t size, bool is_write, uint32_t *value)
{
    if (reg == ATA_REG_DATA) {
        a->data_accesses++;
        data_io(a, size, is_write, value);
        return;
    }
    a->reg_accesses++;
    if (is_write)
        reg_write(a, reg, (uint8_t)*value);
    else
        *value = reg_read(a, reg);
}

void ata_ctl_io(struct ata *a, bool is_write, uint32_t *value)
{
    a->reg_accesses++;
    if (!is_write) {
        *value = a->device & ATA_DEV ? 0 : a->status;
        return;
    }
    uint8_t old = a->control, v = (uint8_t)*value;
    a->control = v;
    if (v & ATA_SRST) { /* §9.2: BSY while SRST is set */
        a->status = ATA_BSY;
        a->xfer = ATA_XFER_NONE;
        set_intrq(a, false);
    } else if (old & ATA_SRST) {
        signature(a);
    }
    update_line(a);
}

/* ---- the bus master's side ----------------------------------------------- */

bool ata_dma_pending(const struct ata *a, bool *to_memory)
{
    *to_memory = !a->dma_write;
    return a->xfer == ATA_XFER_DMA && a->left > 0;
}

long ata_dma_transfer(struct ata *a, uint8_t *p, uint32_t len)
{
    long moved = 0;
    while (len && a->left) {
        if (a->pos == 0 && len >= ATA_SECTOR) { /* whole sectors: straight to the file */
            uint32_t n = len / ATA_SECTOR < a->left ? len / ATA_SECTOR : a->left;
            if (!disk_io(a, a->dma_write, p, (size_t)n * ATA_SECTOR, a->lba)) {
                finish(a, a->dma_write ? ATA_ABRT : ATA_UNC);
                return -1;
            }
            *(a->dma_write ? &a->dma_sectors_out : &a->dma_sectors_in) += n;
            a->lba += n, a->left -= n;
            p += n * ATA_SECTOR, len -= n * ATA_SECTOR, moved += n * ATA_SECTOR;
            continue;
        }
        /* A descriptor boundary inside a sector: through the sector buffer. */
        if (a->pos == 0 && !a->dma_write && !disk_io(a, false, a->buf, ATA_SECTOR, a->lba)) {
            finish(a, ATA_UNC);
            return -1;
        }
        uint32_t k = ATA_SECTOR - a->pos < len ? ATA_SECTOR - a->pos : len;
        if (a->dma_write)
            memcpy(a->buf + a->pos, p, k);
        else
            memcpy(p, a->buf + a->pos, k);
        a->pos += k, p += k, len -= k, moved += k;
        if (a->pos < ATA_SECTOR)
            continue;
        if (a->dma_write && !disk_io(a, true, a->buf, ATA_SECTOR, a->lba)) {
            finish(a, ATA_ABRT);
            return -1;
        }
        *(a->dma_write ? &a->dma_sectors_out : &a->dma_sectors_in) += 1;
        a->pos = 0, a->lba++, a->left--;
    }
    return moved;
}

void ata_dma_end(struct ata *a, uint8_t error, bool short_prd)
{
    if (a->xfer != ATA_XFER_DMA)
        return;
    if (short_prd && !error) { /* QEMU: "the PRDs were too short" — no interrupt */
        a->xfer = ATA_XFER_NONE;
        a->status = IDLE;
        return;
    }
    finish(a, error);
}

void ata_print_stats(const struct ata *a, FILE *out)
{
    fprintf(
        out,
        "  ata: %llu data port accesses, %llu other register accesses (each a trap), %llu "
        "commands (%llu aborted), PIO %llu KiB in / %llu KiB out, DMA %llu KiB in / %llu "
        "KiB out, %llu flushes, %llu interrupts\n",
        (unsigned long long)a->data_accesses, (unsigned long long)a->reg_accesses,
        (unsigned long long)a->commands, (unsigned long long)a->aborted,
        (unsigned long long)(a->pio_sectors_in / 2), (unsigned long long)(a->pio_sectors_out / 2),
        (unsigned long long)(a->dma_sectors_in / 2), (unsigned long long)(a->dma_sectors_out / 2),
        (unsigned long long)a->flushes, (unsigned long long)a->interrupts);
}
