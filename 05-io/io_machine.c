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

/* A disk's file: there, a regular file, writable unless ro. */
static int check_file(const char *path, bool ro, char *err, size_t errlen)
{
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

int io_check_disk(const char *v, char *err, size_t errlen)
{
    char path[4096];
    bool ro;
    if (virtio_blk_parse(v, path, sizeof path, &ro, err, errlen) < 0)
        return -1;
    return check_file(path, ro, err, errlen);
}

int io_check_ata(const char *v, char *err, size_t errlen)
{
    char path[4096];
    bool ro;
    if (ata_parse("--ata", v, path, sizeof path, &ro, err, errlen) < 0)
        return -1;
    return check_file(path, ro, err, errlen);
}

/* The PCI I/O window: route a port access to the I/O BAR that holds it. */
static void pio_window_io(void *dev, uint64_t off, uint8_t size, bool is_write, uint32_t *value)
{
    struct io_machine *m = dev;
    unsigned bar_off;
    if (m->ide && piix_ide_decodes(m->ide, (uint16_t)(IO_PIO_WINDOW_BASE + off), &bar_off)) {
        piix_ide_bm_io(m->ide, bar_off, size, is_write, value);
        return;
    }
    m->window_misses++;
    if (!is_write)
        *value = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* --ata: the PIIX3 IDE function, its legacy ports, the I/O window. */
static int attach_ata(struct io_machine *m, const char *spec, char *err, size_t errlen)
{
    struct irq_line irq;
    m->ide = calloc(1, sizeof *m->ide);
    if (!m->ide) {
        snprintf(err, errlen, "out of memory for the IDE controller");
        return -1;
    }
    vm_isa_irq_line(m->vm, ATA_PRIMARY_IRQ, &irq);
    if (piix_ide_init(m->ide, vm_pci_host(m->vm), PCI_DEVFN(IO_ATA_SLOT, 0), IO_ATA_BMIBA,
                      vm_ram(m->vm), irq, spec, err, errlen) < 0) {
        free(m->ide);
        m->ide = NULL;
        return -1;
    }
    if (vm_pio_register(m->vm, ATA_PRIMARY_CMD, 8, piix_ide_cmd_io, m->ide, "ata") < 0 ||
        vm_pio_register(m->vm, ATA_PRIMARY_CTL, 1, piix_ide_ctl_io, m->ide, "ata-ctl") < 0 ||
        vm_pio_register(m->vm, IO_PIO_WINDOW_BASE, IO_PIO_WINDOW_LEN, pio_window_io, m,
                        "PCI I/O window") < 0) {
        snprintf(err, errlen, "the IDE ports overlap another device");
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
 * describe the host bridge and its slots there. */
static int describe(struct io_machine *m, char *err, size_t errlen)
{
    struct guest_ram *ram = vm_ram(m->vm);
    const uint8_t *dsdt = gpa_to_hva(ram, FW_DSDT, 4);
    if (!dsdt || memcmp(dsdt, "DSDT", 4) != 0)
        return 0; /* a Multiboot guest: no tables */
    struct acpi_pci_root root = { .mem_base = IO_PCI_WINDOW_BASE, .mem_end = IO_PCI_WINDOW_END };
    if (m->has_blk) {
        root.route[root.nslots].slot = IO_BLK_SLOT;
        root.route[root.nslots++].gsi = IO_BLK_IRQ;
    }
    return acpi_pci_install(ram, &root, err, errlen);
}

/* MSI-X messages go to the VM's local APIC. */
static void send_msi(void *ctx, uint32_t addr, uint32_t data) { vm_msi(ctx, addr, data); }

/* --disk: virtio-blk on virtio-pci, and the MMIO window of its BAR. */
static int attach_blk(struct io_machine *m, const char *disk, char *err, size_t errlen)
{
    if (virtio_blk_open(&m->blk, disk, err, errlen) < 0)
        return -1;
    m->has_blk = true;
    struct irq_line irq;
    vm_pci_intx_line(m->vm, IO_BLK_IRQ, &irq);
    if (virtio_pci_init(&m->blk_pci, vm_pci_host(m->vm), PCI_DEVFN(IO_BLK_SLOT, 0), IO_BAR_BASE,
                        vm_ram(m->vm), virtio_blk_ops(&m->blk), &m->blk, irq, stderr,
                        "vmm-io") < 0) {
        snprintf(err, errlen, "PCI slot %d is taken", IO_BLK_SLOT);
        return -1;
    }
    virtio_pci_enable_msix(&m->blk_pci, send_msi, m->vm);
    if (vm_mmio_register(m->vm, IO_PCI_WINDOW_BASE,
                         (uint64_t)IO_PCI_WINDOW_END - IO_PCI_WINDOW_BASE + 1, window_io, m,
                         "PCI memory window") < 0) {
        snprintf(err, errlen, "the PCI memory window overlaps another device");
        return -1;
    }
    return 0;
}

int io_machine_attach(struct vcpu *v, char *err, size_t errlen)
{
    struct io_machine *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory for the I/O devices");
        return -1;
    }
    m->vm = v->vm;
    v->stage_state = m;
    const char *ata = vm_engine_option(v->vm, "--ata");
    if (ata && attach_ata(m, ata, err, errlen) < 0)
        return -1;
    const char *disk = vm_engine_option(v->vm, "--disk");
    if (disk && attach_blk(m, disk, err, errlen) < 0)
        return -1;
    if (!ata && !disk) /* no device: the machine of the stages before */
        return 0;
    return describe(m, err, errlen);
}

void io_machine_print_stats(struct vcpu *v, FILE *out)
{
    const struct io_machine *m = v->stage_state;
    if (!m || (!m->has_blk && !m->ide))
        return;
    fprintf(out, "stage 05 devices:\n");
    if (m->ide)
        piix_ide_print_stats(m->ide, out);
    if (!m->has_blk)
        return;
    virtio_pci_print_stats(&m->blk_pci, out);
    virtio_blk_print_stats(&m->blk, out);
}

void io_machine_detach(struct vcpu *v)
{
    struct io_machine *m = v->stage_state;
    if (!m)
        return;
    if (m->has_blk)
        virtio_blk_close(&m->blk);
    if (m->ide)
        piix_ide_close(m->ide);
    free(m->ide);
    free(m);
    v->stage_state = NULL;
}
