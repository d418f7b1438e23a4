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
#include "core/loader.h"
#include "core/vm.h"
#include "firmware/firmware.h"
#include "05-io/acpi_pci.h"

/* Where each device goes (io_machine.h's table). */
static const struct {
    unsigned slot, irq;
} place[IO_NDEV] = {
    [IO_BLK] = { IO_BLK_SLOT, IO_BLK_IRQ }, [IO_RNG] = { 2, 10 }, [IO_CONSOLE] = { 3, 5 }
};
#define PCI_BAR_STRIDE VIRTIO_PCI_BAR_SIZE
#define MMIO_STRIDE    0x1000u /* one page per device; registers in the first 0x200 */
#define BAR_OF(i)      (IO_BAR_BASE + (uint32_t)(i)*PCI_BAR_STRIDE)
#define MMIO_OF(i)     (IO_MMIO_BASE + (uint32_t)(i)*MMIO_STRIDE)

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

int io_check_virtio(const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "pci") == 0 || strcmp(v, "mmio") == 0)
        return 0;
    snprintf(err, errlen, "--virtio '%s': expected pci or mmio", v);
    return -1;
}

int io_check_rng(const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "getrandom") == 0)
        return 0;
    snprintf(err, errlen, "--rng '%s': the only source is getrandom", v);
    return -1;
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
    for (int i = 0; i < IO_NDEV; i++) {
        if (m->dev[i].on && !m->mmio && virtio_pci_decodes(&m->dev[i].pci, gpa, &bar_off)) {
            virtio_pci_bar_io(&m->dev[i].pci, bar_off, size, is_write, value);
            return;
        }
    }
    m->window_misses++;
    if (!is_write) /* master abort */
        *value = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* After a Linux boot the firmware left ACPI tables (firmware/firmware.h):
 * describe the host bridge and its slots, or the virtio-mmio devices,
 * there, then the platform adds its own tables. */
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
    for (int i = 0; i < IO_NDEV; i++) {
        if (!m->dev[i].on)
            continue;
        if (m->mmio) {
            root.mmio[root.nmmio].base = MMIO_OF(i);
            root.mmio[root.nmmio].len = MMIO_STRIDE;
            root.mmio[root.nmmio++].gsi = (uint8_t)place[i].irq;
        } else {
            root.route[root.nslots].slot = (uint8_t)place[i].slot;
            root.route[root.nslots++].gsi = (uint8_t)place[i].irq;
        }
    }
    if (acpi_pci_install(ram, &root, err, errlen) < 0)
        return -1;
    return m->platform && m->platform->acpi ? m->platform->acpi(m->platform->ctx, ram, err, errlen)
                                            : 0;
}

/* A Multiboot guest (the teaching OS) has no ACPI tables: its command line
 * names the virtio-mmio devices, in Linux's syntax, before the rest.  The loader left the
 * Multiboot information at EBX (EAX = the boot magic) and its strings after
 * it in a zeroed area up to LOADER_INFO_END (core/loader.h): the longer
 * command line goes after the last byte in use, and the information's
 * cmdline field (offset 16, Multiboot 0.6.96 §3.3) points to it. */
static int tell_multiboot(struct io_machine *m, const struct vcpu *v, char *err, size_t errlen)
{
    struct guest_ram *ram = vm_ram(m->vm);
    uint32_t info = v->cpu.gpr[R_EBX];
    uint8_t *mbi = gpa_to_hva(ram, info, 32);
    if (v->cpu.gpr[R_EAX] != MB_BOOTLOADER_MAGIC || !m->mmio || !mbi || info >= LOADER_INFO_END ||
        !(mbi[0] & MBI_CMDLINE))
        return 0;
    uint8_t *area = gpa_to_hva(ram, info, LOADER_INFO_END - info);
    uint32_t old = (uint32_t)(mbi[16] | mbi[17] << 8 | mbi[18] << 16 | (uint32_t)mbi[19] << 24);
    char line[1024];
    const char *was = old >= info && old < LOADER_INFO_END ? (const char *)area + (old - info) : "";
    /* First, so that a "--" in the old line (the module's arguments) still
     * ends the kernel's part. */
    int n = 0;
    for (int i = 0; i < IO_NDEV; i++)
        if (m->dev[i].on)
            n += snprintf(line + n, sizeof line - (size_t)n, "virtio_mmio.device=4K@0x%x:%u ",
                          MMIO_OF(i), place[i].irq);
    n += snprintf(line + n, sizeof line - (size_t)n, "%.*s",
                  (int)strnlen(was, LOADER_INFO_END - old), was);
    uint32_t used = LOADER_INFO_END - info;
    while (used > 0 && area[used - 1] == 0)
        used--;
    uint32_t at = (used + 4) & ~3u; /* keep the last string's NUL */
    if (n >= (int)sizeof line || at + (uint32_t)n + 1 > LOADER_INFO_END - info) {
        snprintf(err, errlen, "no room for the virtio-mmio devices on the guest's command line");
        return -1;
    }
    memcpy(area + at, line, (size_t)n + 1);
    uint32_t gpa = info + at;
    for (int i = 0; i < 4; i++)
        mbi[16 + i] = (uint8_t)(gpa >> (8 * i));
    return 0;
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

/* The DMA address space of the PCI device at devfn on bus 0 (NULL: RAM). */
static const struct dma_space *pci_dma(const struct io_machine *m, unsigned devfn)
{
    const struct io_platform *p = m->platform;
    return p && p->dma ? p->dma(p->ctx, (uint16_t)devfn) : NULL;
}

static const char *prog(const struct io_machine *m)
{
    return m->platform && m->platform->prog ? m->platform->prog : "vmm-io";
}

/* Device i with its back end's ops, on the chosen transport.  Only a PCI
 * device has a source-id, and so the platform's DMA and MSI paths. */
static int plug(struct io_machine *m, int i, const struct virtio_device_ops *ops, void *dev,
                char *err, size_t errlen)
{
    struct io_virtio *d = &m->dev[i];
    struct irq_line irq;
    vm_pci_intx_line(m->vm, (int)place[i].irq, &irq);
    d->on = true;
    if (m->mmio) {
        virtio_mmio_init(&d->mmio, MMIO_OF(i), vm_ram(m->vm), ops, dev, irq, stderr, prog(m));
        if (vm_mmio_register(m->vm, MMIO_OF(i), MMIO_STRIDE, virtio_mmio_io, &d->mmio, ops->name) <
            0) {
            snprintf(err, errlen, "%s at 0x%x overlaps another device", ops->name, MMIO_OF(i));
            return -1;
        }
        return 0;
    }
    unsigned devfn = PCI_DEVFN(place[i].slot, 0);
    if (virtio_pci_init(&d->pci, vm_pci_host(m->vm), devfn, BAR_OF(i), vm_ram(m->vm), ops, dev, irq,
                        stderr, prog(m)) < 0) {
        snprintf(err, errlen, "PCI slot %u is taken", place[i].slot);
        return -1;
    }
    d->port = (struct io_port){ m, (uint16_t)devfn }; /* bus 0 */
    virtio_pci_enable_msix(&d->pci, send_msi, &d->port);
    const struct dma_space *dma = pci_dma(m, devfn);
    if (dma)
        virtio_dev_set_dma(&d->pci.vd, dma);
    return 0;
}

/* The back ends the options ask for. */
static int open_devices(struct io_machine *m, char *err, size_t errlen)
{
    const char *disk = vm_engine_option(m->vm, "--disk");
    const char *con = vm_engine_option(m->vm, "--console-out");
    if (disk && (virtio_blk_open(&m->blk, disk, err, errlen) < 0 ||
                 plug(m, IO_BLK, virtio_blk_ops(&m->blk), &m->blk, err, errlen) < 0))
        return -1;
    if (vm_engine_option(m->vm, "--rng") &&
        plug(m, IO_RNG, virtio_rng_ops(&m->rng), &m->rng, err, errlen) < 0)
        return -1;
    if (con && (virtio_console_open(&m->con, con, err, errlen) < 0 ||
                plug(m, IO_CONSOLE, virtio_console_ops(&m->con), &m->con, err, errlen) < 0))
        return -1;
    return 0;
}

int io_machine_init(struct io_machine *m, struct vcpu *v, const struct io_platform *p, char *err,
                    size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->vm = v->vm;
    m->platform = p;
    m->blk.fd = m->con.fd = -1;
    const char *t = vm_engine_option(v->vm, "--virtio");
    m->mmio = t && strcmp(t, "mmio") == 0;
    if (open_devices(m, err, errlen) < 0)
        return -1;
    const char *ata = vm_engine_option(v->vm, "--ata");
    if (ata && attach_ata(m, ata, err, errlen) < 0)
        return -1;
    if (m->ide) /* the bus master's source-id: 00:07.0 */
        m->ide->dma = pci_dma(m, PCI_DEVFN(IO_ATA_SLOT, 0));
    bool any = ata != NULL;
    for (int i = 0; i < IO_NDEV; i++)
        any |= m->dev[i].on;
    if (!any && !p) /* no device: the machine of the stages before */
        return 0;
    if (any && !m->mmio &&
        vm_mmio_register(v->vm, IO_PCI_WINDOW_BASE,
                         (uint64_t)IO_PCI_WINDOW_END - IO_PCI_WINDOW_BASE + 1, window_io, m,
                         "PCI memory window") < 0) {
        snprintf(err, errlen, "the PCI memory window overlaps another device");
        return -1;
    }
    if (tell_multiboot(m, v, err, errlen) < 0)
        return -1;
    return describe(m, err, errlen);
}

void io_machine_stats(const struct io_machine *m, FILE *out)
{
    bool header = false;
    if (m->ide) {
        fprintf(out, "stage 05 devices (IDE):\n");
        piix_ide_print_stats(m->ide, out);
    }
    for (int i = 0; i < IO_NDEV; i++) {
        if (!m->dev[i].on)
            continue;
        if (!header)
            fprintf(out, "stage 05 devices (virtio-%s):\n", m->mmio ? "mmio" : "pci");
        header = true;
        if (m->mmio)
            virtio_mmio_print_stats(&m->dev[i].mmio, out);
        else
            virtio_pci_print_stats(&m->dev[i].pci, out);
    }
}

void io_machine_fini(struct io_machine *m)
{
    if (!m->vm) /* never built */
        return;
    virtio_blk_close(&m->blk);
    virtio_console_close(&m->con);
    if (m->ide)
        piix_ide_close(m->ide);
    free(m->ide);
    m->ide = NULL;
}

int io_machine_attach(struct vcpu *v, char *err, size_t errlen)
{
    struct io_machine *m = malloc(sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory for the I/O devices");
        return -1;
    }
    v->stage_state = m;
    return io_machine_init(m, v, NULL, err, errlen);
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
