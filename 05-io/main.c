/*
 * vmm-io — the stage 05 VMM: I/O virtualization.
 *
 * The machine of the stages before it (every device of common/devices, the
 * firmware tables for Linux) plus virtio devices on PCI (io_machine.h):
 * `--disk FILE[,ro]` is a virtio-blk (virtio_blk.h) over the modern
 * virtio-pci transport (virtio_pci.h), its requests in split virtqueues
 * (virtqueue.h) that the guest's driver shares with us in its RAM.  The
 * engines are the earlier stages', each wrapped so that its VM gets the
 * devices: bt is stage 04's (the translator on cached shadow page tables),
 * vmx stage 03's VMX model, interp the reference interpreter.  The back
 * end runs in the vCPU thread, on the notify access (QEMU without
 * iothreads); see README.md.
 */
#include <stdio.h>
#include "vmm/engine_wrap.h"
#include "vmm/vmm_main.h"
#include "x86/interp.h"
#include "03-hw-assisted/vmx.h"
#include "04-memory/mem_bt.h"
#include "05-io/io_machine.h"

/* Each engine of an earlier stage, with the devices around it. */
static const struct stage_machine machine = { io_machine_attach, io_machine_print_stats,
                                              io_machine_detach };
WRAPPED_ENGINE(io_bt, bt, mem_bt_engine, machine, true,
               "stage 04's binary translator (cached shadow page tables)");
WRAPPED_ENGINE(io_vmx, vmx, vmx_engine, machine, true, "stage 03's software model of VT-x");
WRAPPED_ENGINE(io_interp, interp, interp_engine, machine, true, "the reference interpreter");

static const struct engine_option io_options[] = {
    IO_DISK_OPTION, IO_VIRTIO_OPTIONS, IO_ATA_OPTION, { NULL }
};

static const struct engine_entry engines[] = {
    { "bt", &io_bt, NULL, io_options },
    { "vmx", &io_vmx, NULL, io_options },
    { "interp", &io_interp, NULL, io_options },
    { "kvm", NULL, "stage 05's KVM side (ioeventfd/irqfd) is not built yet", NULL },
};

int main(int argc, char **argv)
{
    static const struct vmm_stage stage = {
        .prog = "vmm-io",
        .engines = engines,
        .nengines = (int)(sizeof engines / sizeof engines[0]),
        .default_engine = "bt",
    };
    return vmm_main(&stage, argc, argv);
}
