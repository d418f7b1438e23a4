/*
 * ata.h — an ATA disk on an IDE channel, backed by a file: the device side
 * of the task file interface (ATA/ATAPI-6, T13/1410D, §6 "Register
 * description", §8 commands, §9 protocols).
 *
 * The host talks to the disk through two register blocks (§6.1):
 *
 *   command block (0x1F0-0x1F7 on the primary channel)
 *     0 data        16 bits (32 on a PIIX): the PIO data, a word per access
 *     1 error (R) / features (W)
 *     2 sector count      3 LBA low      4 LBA mid      5 LBA high
 *     6 device      bit 6 LBA, bit 4 DEV (0: device 0; device 1 is absent)
 *     7 status (R) / command (W)
 *   control block (0x3F6)
 *     alternate status (R): the status without clearing the interrupt
 *     device control (W): bit 1 nIEN (interrupt off), bit 2 SRST (software
 *       reset), bit 7 HOB (read the previous value of a 48-bit register)
 *
 * Status: BSY 0x80, DRDY 0x40, DSC 0x10, DRQ 0x08 (a data block is ready
 * at the data port), ERR 0x01 (the error register says why: ABRT 0x04
 * command aborted, IDNF 0x10 address not found, UNC 0x40 uncorrectable).
 * Reading the status register clears INTRQ (§5.2.9).  The LBA and count
 * registers are two deep for the 48-bit commands (§6.2): a write pushes
 * the old value back, the EXT commands use both.
 *
 * Commands: IDENTIFY DEVICE (0xEC: the 256 words Linux reads: model,
 * serial, LBA28 and LBA48 capacity, PIO/multiword DMA/Ultra DMA modes,
 * write cache, FLUSH CACHE); READ/WRITE SECTORS (0x20/0x30) and EXT
 * (0x24/0x34) by PIO, one sector per DRQ block, an interrupt per block;
 * READ/WRITE DMA (0xC8/0xCA) and EXT (0x25/0x35), the data moved by the
 * bus master (ata_bmdma.h) through ata_dma_transfer; FLUSH CACHE
 * (0xE7/0xEA: fsync); SET FEATURES (0xEF: transfer mode, write cache);
 * EXECUTE DEVICE DIAGNOSTIC, the power commands, INITIALIZE DEVICE
 * PARAMETERS, READ VERIFY.  Anything else, a write to a read-only disk
 * (--ata FILE,ro) or a bad SET FEATURES is aborted (ERR, ABRT); an
 * address past the end is IDNF; a host read or write error UNC or ABRT.
 */
#ifndef IO_ATA_H
#define IO_ATA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define ATA_SECTOR 512u

/* Status (§6.2.11) and error (§6.2.7) bits. */
#define ATA_BSY  0x80
#define ATA_DRDY 0x40
#define ATA_DSC  0x10
#define ATA_DRQ  0x08
#define ATA_ERR  0x01
#define ATA_UNC  0x40
#define ATA_IDNF 0x10
#define ATA_ABRT 0x04

/* Device control (§6.2.6) and device register (§6.2.8) bits. */
#define ATA_NIEN 0x02
#define ATA_SRST 0x04
#define ATA_HOB  0x80
#define ATA_LBA  0x40
#define ATA_DEV  0x10

/* Command block register offsets. */
enum {
    ATA_REG_DATA,
    ATA_REG_ERROR,
    ATA_REG_NSECT,
    ATA_REG_LBAL,
    ATA_REG_LBAM,
    ATA_REG_LBAH,
    ATA_REG_DEVICE,
    ATA_REG_STATUS,
};

/* Command codes (§8). */
#define ATA_CMD_READ          0x20
#define ATA_CMD_READ_EXT      0x24
#define ATA_CMD_READ_DMA_EXT  0x25
#define ATA_CMD_WRITE         0x30
#define ATA_CMD_WRITE_EXT     0x34
#define ATA_CMD_WRITE_DMA_EXT 0x35
#define ATA_CMD_VERIFY        0x40
#define ATA_CMD_VERIFY_EXT    0x42
#define ATA_CMD_DIAGNOSE      0x90
#define ATA_CMD_INIT_PARAMS   0x91
#define ATA_CMD_READ_DMA      0xC8
#define ATA_CMD_WRITE_DMA     0xCA
#define ATA_CMD_CHECK_POWER   0xE5
#define ATA_CMD_FLUSH         0xE7
#define ATA_CMD_FLUSH_EXT     0xEA
#define ATA_CMD_IDENTIFY      0xEC
#define ATA_CMD_SET_FEATURES  0xEF

/* SET FEATURES subcommands (§8.37). */
#define ATA_SF_WCACHE_ON  0x02
#define ATA_SF_XFER_MODE  0x03
#define ATA_SF_WCACHE_OFF 0x82

/* Who listens to the disk: the controller (ata_bmdma.h). */
struct ata_hooks {
    /* INTRQ as the channel's interrupt line sees it (nIEN applied). */
    void (*irq)(void *ctx, int level);
    /* A DMA command is waiting for the bus master (ata_dma_pending). */
    void (*dma_ready)(void *ctx);
    void *ctx;
};

enum ata_xfer { ATA_XFER_NONE, ATA_XFER_PIO_IN, ATA_XFER_PIO_OUT, ATA_XFER_DMA };

struct ata {
    /* the back end */
    int fd;
    bool ro;
    uint64_t sectors; /* the file's size / 512 */
    uint16_t identify[256];
    bool wcache; /* write cache enabled (IDENTIFY word 85 bit 5) */
    struct ata_hooks hooks;
    /* the task file: [0] the value last written, [1] the one before (HOB) */
    uint8_t feature[2], nsect[2], lbal[2], lbam[2], lbah[2];
    uint8_t device, status, error, control, command;
    bool intrq; /* the device asserts INTRQ       */
    bool line;  /* what the channel's line is now */
    /* the data transfer of the command in progress */
    enum ata_xfer xfer;
    bool xfer_disk; /* PIO: the blocks come from / go to the disk */
    bool dma_write; /* DMA: memory to disk                     */
    uint64_t lba;   /* the next sector                         */
    uint32_t left;  /* sectors still to move                   */
    uint8_t buf[ATA_SECTOR];
    unsigned pos; /* bytes of buf moved                      */
    /* --stats */
    uint64_t data_accesses, reg_accesses, commands, aborted;
    uint64_t pio_sectors_in, pio_sectors_out, dma_sectors_in, dma_sectors_out, flushes;
    uint64_t interrupts;
};

/* Parse "FILE[,ro]" (option names the option in messages). */
int ata_parse(const char *option, const char *spec, char *path, size_t len, bool *ro, char *err,
              size_t errlen);
/* Open the back end ("FILE[,ro]") and reset the disk.  0, or -1 with a
 * one-line reason. */
int ata_open(struct ata *a, const char *spec, const struct ata_hooks *hooks, char *err,
             size_t errlen);
void ata_close(struct ata *a);
/* Hardware reset (power on): the diagnostic signature of an ATA device. */
void ata_reset(struct ata *a);
/* A command block access: reg 0-7 (ATA_REG_*), size 1 (2 or 4 at the data
 * port). */
void ata_cmd_io(struct ata *a, unsigned reg, uint8_t size, bool is_write, uint32_t *value);
/* The control block: alternate status (read), device control (write). */
void ata_ctl_io(struct ata *a, bool is_write, uint32_t *value);

/* ---- for the bus master --------------------------------------------- */
/* Is a DMA command waiting for data?  *to_memory: it reads the disk. */
bool ata_dma_pending(const struct ata *a, bool *to_memory);
/* Move up to len bytes between p and the disk at the command's position:
 * the bytes moved (fewer when the command needs fewer), or -1 after a host
 * I/O error (the command then ended with ERR). */
long ata_dma_transfer(struct ata *a, uint8_t *p, uint32_t len);
/* End the DMA command: with error bits (ABRT: the bus master could not
 * reach memory), or 0 = done (every sector moved) with INTRQ, or, when
 * the bus master ran out of descriptors first, ended without INTRQ
 * (short is true), as QEMU's PIIX does. */
void ata_dma_end(struct ata *a, uint8_t error, bool short_prd);

/* After SET FEATURES: the mode (and write cache) IDENTIFY reports
 * (ata_identify.c). */
void ata_identify_mode(struct ata *a, uint8_t mode);

void ata_print_stats(const struct ata *a, FILE *out);

#endif
