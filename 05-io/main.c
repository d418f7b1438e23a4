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
#include "vmm/vmm_main.h"
#include "x86/interp.h"
#include "03-hw-assisted/vmx.h"
#include "04-memory/mem_bt.h"
#include "05-io/io_machine.h"

/* ---- an engine of an earlier stage plus the devices ------------------- */
static int attach(const struct engine_ops *e, struct vcpu *v, char *err, size_t len)
{
    if (e->init(v, err, len) < 0)
        return -1;
    if (io_machine_attach(v, err, len) < 0) {
        io_machine_detach(v);
        e->fini(v);
        return -1;
    }
    return 0;
}
static void print_stats(const struct engine_ops *e, struct vcpu *v, FILE *out)
{
    if (e->print_stats)
        e->print_stats(v, out);
    io_machine_print_stats(v, out);
}
static void fini(const struct engine_ops *e, struct vcpu *v)
{
    io_machine_detach(v);
    e->fini(v);
}
static void state_changed(const struct engine_ops *e, struct vcpu *v)
{
    if (e->state_changed)
        e->state_changed(v);
}

/* One wrapped engine: its functions and its ops. */
#define IO_ENGINE(id, inner, counts, sum) \
    static int io_##id##_init(struct vcpu *v, char *err, size_t len) \
    { \
        return attach(&inner, v, err, len); \
    } \
    static int io_##id##_run(struct vcpu *v, struct vm_exit *e) { return inner.run(v, e); } \
    static void io_##id##_changed(struct vcpu *v) { state_changed(&inner, v); } \
    static void io_##id##_stats(struct vcpu *v, FILE *out) { print_stats(&inner, v, out); } \
    static void io_##id##_fini(struct vcpu *v) { fini(&inner, v); } \
    static const struct engine_ops io_##id = { \
        .name = #id, \
        .summary = sum, \
        .counts_instructions = counts, \
        .init = io_##id##_init, \
        .run = io_##id##_run, \
        .state_changed = io_##id##_changed, \
        .print_stats = io_##id##_stats, \
        .fini = io_##id##_fini, \
    }

IO_ENGINE(bt, mem_bt_engine, true, "stage 04's binary translator (cached shadow page tables)");
IO_ENGINE(vmx, vmx_engine, true, "stage 03's software model of VT-x");
IO_ENGINE(interp, interp_engine, true, "the reference interpreter");

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
