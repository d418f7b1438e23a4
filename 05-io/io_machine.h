/*
 * io_machine.h — what stage 05 adds to the PC of the stages before it: the
 * virtio devices the command line asks for, on PCI bus 0 behind the host
 * bridge, and their description to an ACPI OS (acpi_pci.h).
 *
 *   --disk FILE[,ro]   virtio-blk (virtio_blk.h) at 00:01.0, BAR0 at
 *                      IO_BAR_BASE, INTA# on ISA IRQ 11 (GSI 11)
 *   --ata FILE[,ro]    an ATA disk on a PIIX3 IDE controller (ata_bmdma.h)
 *                      at 00:07.0: ports 0x1F0-0x1F7/0x3F6, ISA IRQ 14,
 *                      the bus master registers (BAR4) at IO_ATA_BMIBA in
 *                      the PCI I/O window IO_PIO_WINDOW_*
 *
 * Each BAR lies in one MMIO window (IO_PCI_WINDOW_*) the machine claims on
 * the MMIO bus; an access there goes to the function whose BAR0 holds it
 * now (the OS may move BARs), or reads as all ones (master abort).
 */
#ifndef IO_IO_MACHINE_H
#define IO_IO_MACHINE_H

#include <stdbool.h>
#include <stdio.h>
#include "core/engine.h"
#include "vmm/options.h"
#include "05-io/ata_bmdma.h"
#include "05-io/virtio_blk.h"
#include "05-io/virtio_pci.h"

#define IO_PCI_WINDOW_BASE 0xE0000000u /* above any --mem (vmm/options.h) */
#define IO_PCI_WINDOW_END  0xFEBFFFFFu /* below the I/O APIC at 0xFEC00000 */
#define IO_BAR_BASE        0xFEB00000u
#define IO_BLK_SLOT        1
#define IO_BLK_IRQ         11
#define IO_ATA_SLOT        7
#define IO_ATA_BMIBA       0xC000u
#define IO_PIO_WINDOW_BASE 0xC000u /* PCI I/O BARs: above the PC's ISA ports */
#define IO_PIO_WINDOW_LEN  0x4000u

struct io_machine {
    struct vm *vm;
    bool has_blk;
    struct virtio_blk blk;
    struct virtio_pci blk_pci;
    uint64_t window_misses; /* accesses to the window no BAR decodes */
    struct piix_ide *ide;   /* --ata, or NULL */
};

/* The --disk option, for a stage's engine table. */
int io_check_disk(const char *v, char *err, size_t errlen);
#define IO_DISK_OPTION \
    { \
        "--disk", "FILE[,ro]", \
            "a virtio-blk disk backed by FILE (read-write; ,ro:\nread-only), /dev/vda under " \
            "Linux", \
            io_check_disk \
    }

/* The --ata option. */
int io_check_ata(const char *v, char *err, size_t errlen);
#define IO_ATA_OPTION \
    { \
        "--ata", "FILE[,ro]", \
            "an ATA disk backed by FILE on a PIIX3 IDE\ncontroller (,ro: read-only), /dev/sda " \
            "under Linux", \
            io_check_ata \
    }

/* Build the devices of v's VM from its options; kept in v->stage_state.
 * 0, or -1 with a one-line reason. */
int io_machine_attach(struct vcpu *v, char *err, size_t errlen);
void io_machine_print_stats(struct vcpu *v, FILE *out);
void io_machine_detach(struct vcpu *v);

#endif
