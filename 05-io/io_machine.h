/*
 * io_machine.h — what stage 05 adds to the PC of the stages before it: the
 * virtio devices the command line asks for, on PCI bus 0 behind the host
 * bridge, and their description to an ACPI OS (acpi_pci.h).
 *
 *   --disk FILE[,ro]   virtio-blk (virtio_blk.h) at 00:01.0, BAR0 at
 *                      IO_BAR_BASE, INTA# on ISA IRQ 11 (GSI 11)
 *
 * Each BAR lies in one MMIO window (IO_PCI_WINDOW_*) the machine claims on
 * the MMIO bus; an access there goes to the function whose BAR0 holds it
 * now (the OS may move BARs), or reads as all ones (master abort).
 */
#ifndef IO_IO_MACHINE_H
#define IO_IO_MACHINE_H

#include <stdbool.h>
#include <stdio.h>
#include "core/dma.h"
#include "core/engine.h"
#include "vmm/options.h"
#include "05-io/virtio_blk.h"
#include "05-io/virtio_pci.h"

#define IO_PCI_WINDOW_BASE 0xE0000000u /* above any --mem (vmm/options.h) */
#define IO_PCI_WINDOW_END  0xFEBFFFFFu /* below the I/O APIC at 0xFEC00000 */
#define IO_BAR_BASE        0xFEB00000u
#define IO_BLK_SLOT        1
#define IO_BLK_IRQ         11

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

/* A device's port to the platform: the context of its MSI-X messages. */
struct io_port {
    struct io_machine *m;
    uint16_t sid;
};

struct io_machine {
    struct vm *vm;
    const struct io_platform *platform; /* NULL: stage 05's machine */
    struct io_port blk_port;
    bool has_blk;
    struct virtio_blk blk;
    struct virtio_pci blk_pci;
    uint64_t window_misses; /* accesses to the window no BAR decodes */
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

/* Build the devices of vm from its options into m, behind platform p
 * (NULL: none).  0, or -1 with a one-line reason; io_machine_fini either
 * way. */
int io_machine_init(struct io_machine *m, struct vm *vm, const struct io_platform *p, char *err,
                    size_t errlen);
void io_machine_stats(const struct io_machine *m, FILE *out);
void io_machine_fini(struct io_machine *m);

/* Stage 05's machine, kept in v->stage_state. */
int io_machine_attach(struct vcpu *v, char *err, size_t errlen);
void io_machine_print_stats(struct vcpu *v, FILE *out);
void io_machine_detach(struct vcpu *v);

#endif
