/*
 * pt_machine.c — stage 06's machine (pt_machine.h).
 */
#include "06-passthrough/pt_machine.h"

#include <stdlib.h>
#include <string.h>
#include "core/vm.h"
#include "06-passthrough/dmar_acpi.h"
#include "06-passthrough/vtd_dmar.h"
#include "06-passthrough/vtd_ir.h"

int pt_check_iommu(const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "on") == 0 || strcmp(v, "off") == 0)
        return 0;
    snprintf(err, errlen, "--iommu '%s': expected on or off", v);
    return -1;
}

/* A DMA access of one device: the unit translates it (core/dma.h). */
static int dma_translate(void *ctx, uint64_t iova, bool write, uint64_t *gpa, uint64_t *run)
{
    struct pt_device *d = ctx;
    struct vtd_xlate x;
    if (vtd_translate(&d->m->vtd, d->sid, iova, write, &x) != 0)
        return -1;
    *gpa = x.gpa;
    *run = x.run;
    return 0;
}

static const struct dma_space *device_dma(void *ctx, uint16_t sid)
{
    struct pt_machine *m = ctx;
    if (m->ndev == PT_MAX_DEVICES)
        return NULL;
    struct pt_device *d = &m->dev[m->ndev++];
    *d = (struct pt_device){ m, sid, { dma_translate, d } };
    return &d->dma;
}

/* A device's MSI: through interrupt remapping, then to the local APICs. */
static void device_msi(void *ctx, uint16_t sid, uint32_t addr, uint32_t data)
{
    struct pt_machine *m = ctx;
    if (vtd_ir_remap(&m->vtd, sid, &addr, &data) == 0)
        vm_msi(m->vm, addr, data);
}

static int add_dmar(void *ctx, struct guest_ram *ram, char *err, size_t errlen)
{
    (void)ctx;
    return dmar_install(ram, VTD_BASE, VTD_HAW, err, errlen);
}

/* The unit's own events are MSIs that are not remapped (§5.1.1). */
static void unit_msi(void *ctx, uint32_t addr, uint32_t data) { vm_msi(ctx, addr, data); }

int pt_machine_attach(struct vcpu *v, char *err, size_t errlen)
{
    struct pt_machine *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory for the machine");
        return -1;
    }
    v->stage_state = m;
    m->vm = v->vm;
    const char *opt = vm_engine_option(v->vm, "--iommu");
    m->iommu = !opt || strcmp(opt, "on") == 0;
    if (!m->iommu)
        return io_machine_init(&m->io, v, NULL, err, errlen);
    vtd_init(&m->vtd, vm_ram(v->vm), unit_msi, v->vm);
    m->vtd.log = stderr;
    if (vm_mmio_register(v->vm, VTD_BASE, VTD_SIZE, vtd_mmio, &m->vtd, "VT-d") < 0) {
        snprintf(err, errlen, "the VT-d registers at 0x%x overlap another device", VTD_BASE);
        return -1;
    }
    m->platform = (struct io_platform){
        .ctx = m,
        .prog = "vmm-pt",
        .dma = device_dma,
        .msi = device_msi,
        .acpi = add_dmar,
        .firmware_for_multiboot = true,
    };
    return io_machine_init(&m->io, v, &m->platform, err, errlen);
}

void pt_machine_print_stats(struct vcpu *v, FILE *out)
{
    const struct pt_machine *m = v->stage_state;
    if (!m)
        return;
    io_machine_stats(&m->io, out);
    if (!m->iommu)
        return;
    fprintf(out, "stage 06: VT-d unit at 0x%x\n", VTD_BASE);
    vtd_print_stats(&m->vtd, out);
}

void pt_machine_detach(struct vcpu *v)
{
    struct pt_machine *m = v->stage_state;
    if (!m)
        return;
    io_machine_fini(&m->io);
    free(m);
    v->stage_state = NULL;
}
