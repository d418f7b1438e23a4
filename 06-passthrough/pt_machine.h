/*
 * pt_machine.h — stage 06's machine: stage 05's PC and devices
 * (05-io/io_machine.h) with a VT-d IOMMU (vtd.h) between the PCI devices
 * and the platform:
 *
 *   - its registers at VTD_BASE (0xFED90000) on the MMIO bus;
 *   - the ACPI DMAR table (dmar_acpi.h) next to the firmware's tables,
 *     which a Multiboot guest gets too, so that any OS can find the unit;
 *   - every DMA of a PCI device (the virtio-pci devices' rings and
 *     buffers, the IDE bus master's PRD tables and buffers) through the
 *     unit's translation with the device's source-id (00:01.0 is 0x0008,
 *     the IDE's 00:07.0 0x0038), so that once the guest sets GSTS.TES the
 *     device reaches only what its domain's tables map, and faults are
 *     recorded for the rest; the virtio devices offer
 *     VIRTIO_F_ACCESS_PLATFORM.  virtio-mmio devices (no source-id) are
 *     not behind the unit;
 *   - every MSI of a PCI device through interrupt remapping.
 *
 *   --iommu on (default)  the unit is there
 *   --iommu off           stage 05's machine exactly (no unit, no tables
 *                         for a Multiboot guest)
 */
#ifndef PT_PT_MACHINE_H
#define PT_PT_MACHINE_H

#include <stdbool.h>
#include <stdio.h>
#include "core/dma.h"
#include "core/engine.h"
#include "05-io/io_machine.h"
#include "06-passthrough/vtd.h"

#define PT_MAX_DEVICES 4 /* stage 05's PCI devices: three virtio, the IDE */

/* One device's view of memory through the unit. */
struct pt_device {
    struct pt_machine *m;
    uint16_t sid;
    struct dma_space dma;
};

struct pt_machine {
    struct vm *vm;
    bool iommu;
    struct vtd vtd;
    struct io_platform platform;
    struct pt_device dev[PT_MAX_DEVICES];
    unsigned ndev;
    struct io_machine io;
};

/* The --iommu option, for the engine table. */
int pt_check_iommu(const char *v, char *err, size_t errlen);
#define PT_IOMMU_OPTION \
    { \
        "--iommu", "on|off", "a VT-d IOMMU in front of the PCI devices (on: the\ndefault)", \
            pt_check_iommu \
    }

/* Build the machine of v's VM from its options; kept in v->stage_state.
 * 0, or -1 with a one-line reason. */
int pt_machine_attach(struct vcpu *v, char *err, size_t errlen);
void pt_machine_print_stats(struct vcpu *v, FILE *out);
void pt_machine_detach(struct vcpu *v);

#endif
