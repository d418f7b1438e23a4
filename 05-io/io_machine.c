/*
 * io_machine.c — stage 05's devices on the PC (io_machine.h).
 */
#include "05-io/io_machine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/irq.h"
#include "core/vm.h"
#include "firmware/firmware.h"
#include "05-io/acpi_pci.h"

int io_check_disk(const char *v, char *err, size_t errlen)
{
    char path[4096];
    bool ro;
    if (virtio_blk_parse(v, path, sizeof path, &ro, err, errlen) < 0)
        return -1;
    struct stat st;
    if (access(path, ro ? R_OK : R_OK | W_OK) < 0 || stat(path, &st) < 0) {
        snprintf(err, errlen, "cannot open disk '%s'%s: %s", path, ro ? "" : " for writing",
                 strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "disk '%s' is not a regular file", path);
        return -1;
    }
    return 0;
}

/* The PCI memory window: route an access to the BAR that holds it. */
static void window_io(void *dev, uint64_t off, uint8_t size, bool is_write, uint32_t *value)
{
    struct io_machine *m = dev;
    uint64_t gpa = IO_PCI_WINDOW_BASE + off, bar_off;
    if (m->has_blk && virtio_pci_decodes(&m->blk_pci, gpa, &bar_off)) {
        virtio_pci_bar_io(&m->blk_pci, bar_off, size, is_write, value);
        return;
    }
    m->window_misses++;
    if (!is_write) /* master abort */
        *value = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* After a Linux boot the firmware left ACPI tables (firmware/firmware.h):
 * describe the host bridge and its slots there, then the platform adds
 * its own tables. */
static int describe(struct io_machine *m, char *err, size_t errlen)
{
    struct guest_ram *ram = vm_ram(m->vm);
    const uint8_t *dsdt = gpa_to_hva(ram, FW_DSDT, 4);
    bool tables = dsdt && memcmp(dsdt, "DSDT", 4) == 0;
    if (!tables && m->platform && m->platform->firmware_for_multiboot) {
        struct firmware_config fw;
        firmware_config_default(&fw);
        if (firmware_install(ram, &fw, err, errlen) < 0)
            return -1;
        tables = true;
    }
    if (!tables)
        return 0; /* a Multiboot guest: no tables */
    struct acpi_pci_root root = { .mem_base = IO_PCI_WINDOW_BASE, .mem_end = IO_PCI_WINDOW_END };
    if (m->has_blk) {
        root.route[root.nslots].slot = IO_BLK_SLOT;
        root.route[root.nslots++].gsi = IO_BLK_IRQ;
    }
    if (acpi_pci_install(ram, &root, err, errlen) < 0)
        return -1;
    return m->platform && m->platform->acpi ? m->platform->acpi(m->platform->ctx, ram, err, errlen)
                                            : 0;
}

/* MSI-X messages go to the VM's local APICs, through the platform's path
 * if it has one. */
static void send_msi(void *ctx, uint32_t addr, uint32_t data)
{
    const struct io_port *port = ctx;
    const struct io_platform *p = port->m->platform;
    if (p && p->msi)
        p->msi(p->ctx, port->sid, addr, data);
    else
        vm_msi(port->m->vm, addr, data);
}

int io_machine_init(struct io_machine *m, struct vm *vm, const struct io_platform *p, char *err,
                    size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->vm = vm;
    m->platform = p;
    const char *disk = vm_engine_option(vm, "--disk");
    if (disk) {
        if (virtio_blk_open(&m->blk, disk, err, errlen) < 0)
            return -1;
        m->has_blk = true;
        struct irq_line irq;
        vm_pci_intx_line(vm, IO_BLK_IRQ, &irq);
        if (virtio_pci_init(&m->blk_pci, vm_pci_host(vm), PCI_DEVFN(IO_BLK_SLOT, 0), IO_BAR_BASE,
                            vm_ram(vm), virtio_blk_ops(&m->blk), &m->blk, irq, stderr,
                            p && p->prog ? p->prog : "vmm-io") < 0) {
            snprintf(err, errlen, "PCI slot %d is taken", IO_BLK_SLOT);
            return -1;
        }
        m->blk_port = (struct io_port){ m, PCI_DEVFN(IO_BLK_SLOT, 0) }; /* bus 0 */
        virtio_pci_enable_msix(&m->blk_pci, send_msi, &m->blk_port);
        const struct dma_space *dma = p && p->dma ? p->dma(p->ctx, m->blk_port.sid) : NULL;
        if (dma)
            virtio_pci_set_dma(&m->blk_pci, dma);
        if (vm_mmio_register(vm, IO_PCI_WINDOW_BASE,
                             (uint64_t)IO_PCI_WINDOW_END - IO_PCI_WINDOW_BASE + 1, window_io, m,
                             "PCI memory window") < 0) {
            snprintf(err, errlen, "the PCI memory window overlaps another device");
            return -1;
        }
    } else if (!p) { /* no device: the machine of the stages before */
        return 0;
    }
    return describe(m, err, errlen);
}

void io_machine_stats(const struct io_machine *m, FILE *out)
{
    if (!m->has_blk)
        return;
    fprintf(out, "stage 05 devices:\n");
    virtio_pci_print_stats(&m->blk_pci, out);
    virtio_blk_print_stats(&m->blk, out);
}

void io_machine_fini(struct io_machine *m)
{
    if (m->has_blk)
        virtio_blk_close(&m->blk);
    m->has_blk = false;
}

int io_machine_attach(struct vcpu *v, char *err, size_t errlen)
{
    struct io_machine *m = malloc(sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory for the I/O devices");
        return -1;
    }
    v->stage_state = m;
    return io_machine_init(m, v->vm, NULL, err, errlen);
}

void io_machine_print_stats(struct vcpu *v, FILE *out)
{
    if (v->stage_state)
        io_machine_stats(v->stage_state, out);
}

void io_machine_detach(struct vcpu *v)
{
    struct io_machine *m = v->stage_state;
    if (!m)
        return;
    io_machine_fini(m);
    free(m);
    v->stage_state = NULL;
}
