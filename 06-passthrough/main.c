/*
 * vmm-pt — the stage 06 VMM: device passthrough, first the IOMMU.
 *
 * Stage 05's machine (every device of common/devices, the firmware tables,
 * virtio-blk with --disk) with a VT-d DMA-remapping unit in front of its
 * PCI devices (pt_machine.h): the registers at 0xFED90000, the ACPI DMAR
 * table, the disk's DMA translated by the unit and its MSIs remapped.
 * `--iommu off` is stage 05's machine.  The engines are the earlier
 * stages', each wrapped so that its VM gets the machine; see README.md.
 */
#include <stdio.h>
#include "vmm/engine_wrap.h"
#include "vmm/vmm_main.h"
#include "x86/interp.h"
#include "03-hw-assisted/vmx.h"
#include "04-memory/mem_bt.h"
#include "06-passthrough/pt_machine.h"

/* Each engine of an earlier stage, with the devices around it. */
static const struct stage_machine machine = { pt_machine_attach, pt_machine_print_stats,
                                              pt_machine_detach };
WRAPPED_ENGINE(pt_bt, bt, mem_bt_engine, machine, true,
               "stage 04's binary translator (cached shadow page tables)");
WRAPPED_ENGINE(pt_vmx, vmx, vmx_engine, machine, true, "stage 03's software model of VT-x");
WRAPPED_ENGINE(pt_interp, interp, interp_engine, machine, true, "the reference interpreter");

static const struct engine_option pt_options[] = {
    IO_DISK_OPTION, IO_VIRTIO_OPTIONS, IO_ATA_OPTION, PT_IOMMU_OPTION, { NULL }
};

static const struct engine_entry engines[] = {
    { "bt", &pt_bt, NULL, pt_options },
    { "vmx", &pt_vmx, NULL, pt_options },
    { "interp", &pt_interp, NULL, pt_options },
    { "kvm", NULL, "stage 05's KVM side (ioeventfd/irqfd) is not built yet", NULL },
};

int main(int argc, char **argv)
{
    static const struct vmm_stage stage = {
        .prog = "vmm-pt",
        .engines = engines,
        .nengines = (int)(sizeof engines / sizeof engines[0]),
        .default_engine = "bt",
    };
    return vmm_main(&stage, argc, argv);
}
