/*
 * ata_bmdma.h — a PIIX3 IDE controller: the PCI function that puts an ATA
 * disk (ata.h) on the primary channel at the PC's legacy ports, and its
 * bus master DMA engine (Intel 82371SB PIIX3 datasheet §2.3 and §2.7;
 * SFF-8038i "Bus Master Programming Interface for IDE ATA Controllers").
 *
 *   PCI 8086:7010, class 01 01 80: mass storage, IDE, prog-if 80h = bus
 *   master capable, both channels in compatibility mode: the primary
 *   channel at ports 0x1F0-0x1F7 and 0x3F6 on ISA IRQ 14 (edge, active
 *   high), no BAR0-3.  IDETIM (config 0x40/0x42) bit 15 enables a channel's
 *   decode: the primary's is set as firmware leaves it, the secondary's
 *   clear (no channel there).  The Command register's I/O Space Enable
 *   gates the legacy ports and the bus master registers alike.
 *
 *   BAR4 (BMIBA): 16 bytes of I/O, the bus master registers, primary at +0
 *   (the secondary's at +8 hold values and do nothing):
 *     +0 BMICOM  bit 0 Start/Stop, bit 3 direction (1: write to memory)
 *     +2 BMISTA  bit 0 Active (RO), bit 1 Error (W1C), bit 2 Interrupt
 *                (W1C: set when the channel's INTRQ rises), bits 5-6 drive
 *                DMA capable (RW), bit 7 simplex (0)
 *     +4 BMIDTP  the physical address of the PRD table, dword aligned
 *   A PRD (physical region descriptor) is 8 bytes: le32 buffer address
 *   (even), le16 byte count (even, 0 = 64 KiB), bit 15 of the last word =
 *   end of table.
 *
 * The transfer is done when both the disk has a DMA command (READ/WRITE
 * DMA) and Start is set, whichever comes second, in one go: PRD by PRD
 * between guest RAM and the file.  Then (SFF-8038i §3.1):
 *   PRDs exactly the transfer's size: Active 0, Interrupt 1;
 *   PRDs larger: Active stays 1, Interrupt 1;
 *   PRDs smaller: Active 0, Interrupt 0, the command ends without INTRQ;
 *   a PRD table or buffer outside guest RAM, or a direction opposite to
 *   the command's: Error 1, Active 0, and the disk aborts the command (ERR,
 *   ABRT, INTRQ).
 * Behind an IOMMU (dma set, core/dma.h) the PRD table's and the buffers'
 * addresses are I/O virtual addresses, translated page by page; a blocked
 * access is a master abort like one outside RAM, after the pages before
 * it moved.
 */
#ifndef IO_ATA_BMDMA_H
#define IO_ATA_BMDMA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/dma.h"
#include "core/guest_ram.h"
#include "core/irq.h"
#include "devices/pci_host.h"
#include "05-io/ata.h"

#define PIIX_IDE_VENDOR 0x8086
#define PIIX_IDE_DEVICE 0x7010
#define PIIX_IDE_CLASS  0x010180
#define ATA_PRIMARY_CMD 0x1F0
#define ATA_PRIMARY_CTL 0x3F6
#define ATA_PRIMARY_IRQ 14
#define PIIX_IDETIM     0x40 /* primary; 0x42 secondary: bit 15 decode enable */
#define BMDMA_SIZE      16

/* BMICOM / BMISTA bits. */
#define BM_START     0x01
#define BM_TO_MEMORY 0x08
#define BM_ACTIVE    0x01
#define BM_ERROR     0x02
#define BM_INTR      0x04
#define PRD_EOT      0x80000000u

struct piix_ide {
    struct ata disk;
    struct pci_function *fn;
    struct guest_ram *ram;
    const struct dma_space *dma; /* the bus master's addresses; NULL: guest-physical */
    struct irq_line irq;
    uint8_t bm_cmd, bm_status;
    uint32_t bm_prd;
    uint8_t bm2[8]; /* the secondary channel's bus master registers */
    /* --stats */
    uint64_t bm_accesses, transfers, bm_errors;
};

/* Open the disk (spec "FILE[,ro]") and put the function on bus at devfn
 * with BAR4 at bmiba (I/O, as firmware would leave it) and I/O decoding
 * on.  0, or -1 with a one-line reason. */
int piix_ide_init(struct piix_ide *p, struct pci_host *bus, unsigned devfn, uint16_t bmiba,
                  struct guest_ram *ram, struct irq_line irq, const char *spec, char *err,
                  size_t errlen);
void piix_ide_close(struct piix_ide *p);
/* iobus handlers: 0x1F0-0x1F7 and 0x3F6 (dev = the struct piix_ide). */
void piix_ide_cmd_io(void *dev, uint64_t off, uint8_t size, bool is_write, uint32_t *value);
void piix_ide_ctl_io(void *dev, uint64_t off, uint8_t size, bool is_write, uint32_t *value);
/* Does BAR4 decode port (I/O enabled)?  *off: the offset in the block. */
bool piix_ide_decodes(const struct piix_ide *p, uint16_t port, unsigned *off);
/* An access to the bus master block at off (0-15). */
void piix_ide_bm_io(struct piix_ide *p, unsigned off, uint8_t size, bool is_write, uint32_t *value);
void piix_ide_print_stats(const struct piix_ide *p, FILE *out);

#endif
