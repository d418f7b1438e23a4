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
#include "vmm/vmm_main.h"
#include "x86/interp.h"
#include "03-hw-assisted/vmx.h"
#include "04-memory/mem_bt.h"
#include "06-passthrough/pt_machine.h"

static int attach(const struct engine_ops *e, struct vcpu *v, char *err, size_t len)
{
    if (e->init(v, err, len) < 0)
        return -1;
    if (pt_machine_attach(v, err, len) < 0) {
        pt_machine_detach(v);
        e->fini(v);
        return -1;
    }
    return 0;
}
static void print_stats(const struct engine_ops *e, struct vcpu *v, FILE *out)
{
    if (e->print_stats)
        e->print_stats(v, out);
    pt_machine_print_stats(v, out);
}
static void fini(const struct engine_ops *e, struct vcpu *v)
{
    pt_machine_detach(v);
    e->fini(v);
}
static void state_changed(const struct engine_ops *e, struct vcpu *v)
{
    if (e->state_changed)
        e->state_changed(v);
}

/* One wrapped engine: its functions and its ops. */
#define PT_ENGINE(id, inner, counts, sum) \
    static int pt_##id##_init(struct vcpu *v, char *err, size_t len) \
    { \
        return attach(&inner, v, err, len); \
    } \
    static int pt_##id##_run(struct vcpu *v, struct vm_exit *e) { return inner.run(v, e); } \
    static void pt_##id##_changed(struct vcpu *v) { state_changed(&inner, v); } \
    static void pt_##id##_stats(struct vcpu *v, FILE *out) { print_stats(&inner, v, out); } \
    static void pt_##id##_fini(struct vcpu *v) { fini(&inner, v); } \
    static const struct engine_ops pt_##id = { \
        .name = #id, \
        .summary = sum, \
        .counts_instructions = counts, \
        .init = pt_##id##_init, \
        .run = pt_##id##_run, \
        .state_changed = pt_##id##_changed, \
        .print_stats = pt_##id##_stats, \
        .fini = pt_##id##_fini, \
    }

PT_ENGINE(bt, mem_bt_engine, true, "stage 04's binary translator (cached shadow page tables)");
PT_ENGINE(vmx, vmx_engine, true, "stage 03's software model of VT-x");
PT_ENGINE(interp, interp_engine, true, "the reference interpreter");

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
