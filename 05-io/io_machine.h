/*
 * io_machine.h — what stage 05 adds to the PC of the stages before it: the
 * virtio devices the command line asks for, on PCI bus 0 behind the host
 * bridge or as virtio-mmio windows, and their description to the OS
 * (acpi_pci.h).
 *
 *   --disk FILE[,ro]      virtio-blk (virtio_blk.h)
 *   --rng getrandom       virtio-rng (virtio_rng.h)
 *   --console-out FILE    virtio-console (virtio_console.h), output to FILE
 *   --virtio pci|mmio     the transport of all of them (default pci)
 *   --ata FILE[,ro]       an ATA disk on a PIIX3 IDE controller (ata_bmdma.h)
 *                         at 00:07.0: ports 0x1F0-0x1F7/0x3F6, ISA IRQ 14,
 *                         the bus master registers (BAR4) at IO_ATA_BMIBA in
 *                         the PCI I/O window IO_PIO_WINDOW_*
 *
 *              PCI (virtio_pci.h)               MMIO (virtio_mmio.h)
 *   blk        00:01.0 BAR0 0xFEB00000          0xD0000000
 *   rng        00:02.0 BAR0 0xFEB04000          0xD0001000
 *   console    00:03.0 BAR0 0xFEB08000          0xD0002000
 *              INTA#/the line: IRQ 11 (blk), 10 (rng), 5 (console)
 *
 * PCI BARs lie in one MMIO window (IO_PCI_WINDOW_*) the machine claims on
 * the MMIO bus; an access there goes to the function whose BAR0 holds it
 * now (the OS may move BARs), or reads as all ones (master abort).
 * virtio-mmio devices are found through the DSDT (Linux: _HID
 * "LNRO0005", the ACPI ID drivers/virtio/virtio_mmio.c matches) or, for a
 * Multiboot guest (no ACPI), on its command line in Linux's syntax:
 * `virtio_mmio.device=4K@0xd0000000:11`, one per device.
 */
#ifndef IO_IO_MACHINE_H
#define IO_IO_MACHINE_H

#include <stdbool.h>
#include <stdio.h>
#include "core/dma.h"
#include "core/engine.h"
#include "vmm/options.h"
#include "05-io/ata_bmdma.h"
#include "05-io/virtio_blk.h"
#include "05-io/virtio_console.h"
#include "05-io/virtio_mmio.h"
#include "05-io/virtio_pci.h"
#include "05-io/virtio_rng.h"

#define IO_PCI_WINDOW_BASE 0xE0000000u /* above any --mem (vmm/options.h) */
#define IO_PCI_WINDOW_END  0xFEBFFFFFu /* below the I/O APIC at 0xFEC00000 */
#define IO_BAR_BASE        0xFEB00000u
#define IO_MMIO_BASE       0xD0000000u /* above any --mem, below the PCI window */
#define IO_BLK_SLOT        1
#define IO_BLK_IRQ         11
#define IO_ATA_SLOT        7
#define IO_ATA_BMIBA       0xC000u
#define IO_PIO_WINDOW_BASE 0xC000u /* PCI I/O BARs: above the PC's ISA ports */
#define IO_PIO_WINDOW_LEN  0x4000u

/* The virtio devices, in the order of the table above. */
enum { IO_BLK, IO_RNG, IO_CONSOLE, IO_NDEV };

/* What a later stage puts between the devices and the platform (stage
 * 06's IOMMU); a NULL member keeps stage 05's direct path.  sid is the
 * device's PCI source-id, bus << 8 | devfn. */
struct io_platform {
    void *ctx;
    const char *prog; /* the VMM's name in the devices' messages */
    /* The device's DMA address space (core/dma.h); NULL: guest RAM. */
    const struct dma_space *(*dma)(void *ctx, uint16_t sid);
    /* The device's MSI write: the chipset's path to the local APICs. */
    void (*msi)(void *ctx, uint16_t sid, uint32_t addr, uint32_t data);
    /* More ACPI tables, once the firmware's and the DSDT are in place
     * (firmware/acpi.h acpi_link_table).  0, or -1 with a reason. */
    int (*acpi)(void *ctx, struct guest_ram *ram, char *err, size_t errlen);
    /* Give a Multiboot guest the firmware tables too (a Linux boot always
     * has them), so that it can find the ones acpi adds. */
    bool firmware_for_multiboot;
};

/* A PCI device's port to the platform: the context of its MSI-X messages. */
struct io_port {
    struct io_machine *m;
    uint16_t sid;
};

struct io_virtio {
    bool on;
    struct virtio_pci pci;   /* --virtio pci */
    struct virtio_mmio mmio; /* --virtio mmio */
    struct io_port port;     /* --virtio pci */
};

struct io_machine {
    struct vm *vm;
    const struct io_platform *platform; /* NULL: stage 05's machine */
    bool mmio;                          /* --virtio mmio */
    struct virtio_blk blk;
    struct virtio_rng rng;
    struct virtio_console con;
    struct io_virtio dev[IO_NDEV];
    uint64_t window_misses; /* accesses to the window no BAR decodes */
    struct piix_ide *ide;   /* --ata, or NULL */
};

/* The options, for a stage's engine table. */
int io_check_disk(const char *v, char *err, size_t errlen);
int io_check_virtio(const char *v, char *err, size_t errlen);
int io_check_rng(const char *v, char *err, size_t errlen);
#define IO_DISK_OPTION \
    { \
        "--disk", "FILE[,ro]", \
            "a virtio-blk disk backed by FILE (read-write; ,ro:\nread-only), /dev/vda under " \
            "Linux", \
            io_check_disk \
    }
#define IO_VIRTIO_OPTIONS \
    { "--virtio", "pci|mmio", "the virtio transport (default pci)", io_check_virtio }, \
        { "--rng", "getrandom", "a virtio-rng fed by getrandom(2), /dev/hwrng under Linux", \
          io_check_rng }, \
    { \
        "--console-out", "FILE", \
            "a virtio-console whose output goes to FILE (-: stdout),\n" \
            "/dev/hvc0 under Linux", \
            NULL \
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

/* Build the devices of v's VM from its options into m, behind platform p
 * (NULL: none); v's registers hold the Multiboot information.  0, or -1
 * with a one-line reason; io_machine_fini either way. */
int io_machine_init(struct io_machine *m, struct vcpu *v, const struct io_platform *p, char *err,
                    size_t errlen);
void io_machine_stats(const struct io_machine *m, FILE *out);
void io_machine_fini(struct io_machine *m);

/* Stage 05's machine, kept in v->stage_state. */
int io_machine_attach(struct vcpu *v, char *err, size_t errlen);
void io_machine_print_stats(struct vcpu *v, FILE *out);
void io_machine_detach(struct vcpu *v);

#endif
