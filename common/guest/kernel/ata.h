/*
 * ata.h — an ATA disk behind a PCI IDE controller in compatibility mode
 * (a PIIX3, 8086:7010, as on QEMU's pc machine or vmm-io --ata), driver
 * side: the task file at the legacy ports 0x1F0-0x1F7/0x3F6 and IRQ 14
 * (ATA/ATAPI-6 §6, §9), PIO data through the data port, DMA through the
 * bus master's PRD table (SFF-8038i) at BAR4.
 *
 * Only device 0 of the primary channel.  Every command runs to its end
 * before the call returns; completions come by interrupt (INTRQ on IRQ 14,
 * nIEN clear): the handler reads the status, which lowers INTRQ.
 */
#ifndef GUEST_ATA_H
#define GUEST_ATA_H

#include <stdint.h>
#include "pci.h"

#define ATA_SECTOR 512u

/* Driver errors (negative); a device error is ATA_EDEVICE with the error
 * register in disk->error. */
#define ATA_ENODEV  (-1) /* no ATA device on the primary channel   */
#define ATA_ETIME   (-2) /* no interrupt / BSY never cleared in time */
#define ATA_EDEVICE (-3) /* status ERR: disk->error says why         */
#define ATA_EBUS    (-4) /* the bus master reported an error         */
#define ATA_ERANGE  (-5) /* bad buffer or count                      */
#define ATA_ENODMA  (-6) /* no bus master (BAR4 unassigned)           */

struct ata_disk {
    struct pci_dev pci;
    uint16_t bmiba; /* bus master base (BAR4), 0 = none */
    char model[41];
    uint64_t sectors; /* capacity: LBA48 words 100-103, else 60-61 */
    int lba48;
    uint16_t mwdma, udma;  /* IDENTIFY words 63 and 88 */
    uint8_t status, error; /* after the last command */
    uint8_t bm_status;     /* the bus master's, after the last DMA */
    int force48;           /* use the EXT commands even where 28 bits do */
    volatile uint32_t irqs;
    volatile uint8_t irq_status; /* status read by the interrupt handler */
    uint32_t pio_sectors, dma_sectors, commands;
};

/* Find the controller's primary master: PCI function d; resets the
 * channel (SRST), checks the signature, reads IDENTIFY DEVICE, selects
 * the fastest multiword DMA mode, takes IRQ 14.  0 or ATA_E*. */
int ata_open(struct ata_disk *disk, const struct pci_dev *d);
void ata_close(struct ata_disk *disk);
/* n sectors at lba by PIO (READ/WRITE SECTORS, EXT when lba or n need 48
 * bits), n <= 256 (65536 with 48 bits). */
int ata_pio(struct ata_disk *disk, int write, uint64_t lba, void *buf, uint32_t n);
/* The same through the bus master (READ/WRITE DMA [EXT]): buf physically
 * contiguous below the identity-map limit; the PRD table cuts it at every
 * 64 KiB boundary, and at `split` bytes if not 0 (a descriptor ending in
 * the middle of a sector). */
int ata_dma(struct ata_disk *disk, int write, uint64_t lba, void *buf, uint32_t n, uint32_t split);
/* A command without data (FLUSH CACHE, or any other): its completion. */
int ata_command(struct ata_disk *disk, uint8_t cmd, uint8_t feature, uint8_t count);
/* A command with the PRD table at prd_addr as given (bad programming on
 * purpose, for a test): the bus master's status after it. */
int ata_dma_raw(struct ata_disk *disk, uint32_t prd_addr, uint64_t lba, uint32_t n);

#endif
