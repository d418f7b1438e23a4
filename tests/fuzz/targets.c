/*
 * targets.c — the fuzz targets (see targets.h).
 *
 * File-reading modules (loader, trace reader) are driven through their
 * real path-based API: the bytes go into a memfd and the module opens
 * "/proc/self/fd/N", so read_file()/fopen() are exercised too and no
 * temporary file is left behind.  The devices run on a fake clock that the
 * input advances, so time-dependent paths (PIT deadlines, IRQ0 edges) are
 * reproducible.
 */
#include "tests/fuzz/targets.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "core/guest_ram.h"
#include "core/loader.h"
#include "vmm/options.h"
#include "devices/acpi_pm.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/uart16550.h"
#include "trace/trace_reader.h"

/* A broken invariant: one line, then abort (a "crash" for both runners). */
#define CHECK(cond, ...) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz invariant failed at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr); \
            abort(); \
        } \
    } while (0)

/* An error message must be non-empty, fit its buffer and be one line of
 * printable text (it is printed as "<prog>: error: <msg>"). */
static void check_msg(const char *what, const char *err, size_t errlen)
{
    size_t len = strnlen(err, errlen);
    CHECK(len > 0, "%s: failed with an empty error message", what);
    CHECK(len < errlen, "%s: error message not NUL-terminated", what);
    for (size_t i = 0; i < len; i++)
        CHECK((unsigned char)err[i] >= 0x20 && err[i] != 0x7f,
              "%s: control character 0x%02x at %zu in error message '%s'", what,
              (unsigned char)err[i], i, err);
}

/* The bytes as a file the module can open by name. */
static const char *as_file(int *fdp, char path[64], const char *name, const uint8_t *data, size_t n)
{
    if (*fdp < 0) {
        *fdp = memfd_create(name, MFD_CLOEXEC);
        CHECK(*fdp >= 0, "memfd_create failed");
    }
    CHECK(ftruncate(*fdp, 0) == 0, "ftruncate failed");
    CHECK(n == 0 || pwrite(*fdp, data, n, 0) == (ssize_t)n, "pwrite failed");
    snprintf(path, 64, "/proc/self/fd/%d", *fdp);
    return path;
}

/* --- the ELF/Multiboot loader ----------------------------------------- */

int fuzz_loader(const uint8_t *data, size_t n)
{
    static int fd = -1;
    static char fdpath[64];
    static struct guest_ram ram[2];
    static bool ram_ready;
    char err[256];

    if (!ram_ready) {
        /* The smallest --mem (2 MiB) and a little more: segments at the end of RAM. */
        CHECK(guest_ram_init(&ram[0], 2u << 20, err, sizeof err) == 0, "%s", err);
        CHECK(guest_ram_init(&ram[1], 4u << 20, err, sizeof err) == 0, "%s", err);
        ram_ready = true;
    }
    struct guest_ram *r = &ram[n & 1];
    const char *path = as_file(&fd, fdpath, "loader-image", data, n);
    struct boot_info bi;
    memset(err, 0, sizeof err);
    if (loader_load_elf(r, path, &bi, err, sizeof err) < 0) {
        check_msg("loader_load_elf", err, sizeof err);
        return 0;
    }
    /* Accepted: what it loaded must be inside RAM, above 1 MiB, and the
     * entry point inside what it loaded. */
    CHECK(bi.nsegments > 0, "no segments");
    CHECK(bi.kernel_start >= LOADER_LOW_MEM_END, "kernel_start 0x%x", bi.kernel_start);
    CHECK(bi.kernel_start < bi.kernel_end && bi.kernel_end <= r->size,
          "kernel [0x%x-0x%x) in %llu bytes", bi.kernel_start, bi.kernel_end,
          (unsigned long long)r->size);
    CHECK(bi.entry >= bi.kernel_start && bi.entry < bi.kernel_end, "entry 0x%x outside [0x%x-0x%x)",
          bi.entry, bi.kernel_start, bi.kernel_end);

    /* The Multiboot information, with a command line of a length the input
     * picks (up to 64 KiB: too long must be an error, not an overflow). */
    size_t clen = n ? (size_t)data[n - 1] << 8 | (n > 1 ? data[n - 2] : 0) : 0;
    char *cmdline = malloc(clen + 1);
    CHECK(cmdline != NULL, "out of memory");
    memset(cmdline, 'x', clen);
    cmdline[clen] = 0;
    memset(err, 0, sizeof err);
    if (loader_multiboot_info(r, &bi, cmdline, NULL, 0, err, sizeof err) < 0) {
        check_msg("loader_multiboot_info", err, sizeof err);
    } else {
        CHECK(bi.info_addr == LOADER_INFO_ADDR, "info at 0x%x", bi.info_addr);
        CHECK(bi.modules_end >= bi.kernel_end, "modules_end below the kernel");
        struct x86_cpu cpu;
        loader_multiboot_cpu(&cpu, &bi);
        CHECK(cpu.eip == bi.entry && cpu.gpr[R_EAX] == MB_BOOTLOADER_MAGIC, "boot state");
    }
    free(cmdline);
    return 0;
}

/* --- the trace reader -------------------------------------------------- */

int fuzz_trace(const uint8_t *data, size_t n)
{
    static int fd = -1;
    static char fdpath[64];
    char err[256], line[256], tiny[13];
    struct trace_info info;

    /* The in-memory header decoder on the raw bytes. */
    memset(err, 0, sizeof err);
    if (trace_header_decode(data, n, &info, err, sizeof err) < 0)
        check_msg("trace_header_decode", err, sizeof err);

    const char *path = as_file(&fd, fdpath, "trace-file", data, n);
    struct trace_reader r;
    memset(err, 0, sizeof err);
    if (trace_reader_open(&r, path, err, sizeof err) < 0) {
        check_msg("trace_reader_open", err, sizeof err);
        CHECK(r.f == NULL, "failed open left the file open");
        trace_reader_close(&r);
        return 0;
    }
    CHECK(r.info.header_size >= 40 && r.info.event_size >= 48, "accepted bad sizes");
    CHECK(r.info.nevents >= 0, "regular file without an event count");
    struct trace_event ev;
    int rc;
    int64_t seen = 0;
    memset(err, 0, sizeof err);
    while ((rc = trace_reader_next(&r, &ev, err, sizeof err)) > 0) {
        seen++;
        CHECK(seen <= r.info.nevents, "more events (%lld) than the size allows (%lld)",
              (long long)seen, (long long)r.info.nevents);
        /* Every event decodes to one line, whatever its fields say, in a
         * buffer large or small (truncation must stay in bounds). */
        int len = trace_event_format(&ev, line, sizeof line);
        CHECK(len >= 0, "trace_event_format failed");
        CHECK(strlen(line) < sizeof line && !strchr(line, '\n'), "bad line '%s'", line);
        trace_event_format(&ev, tiny, sizeof tiny);
        CHECK(strlen(tiny) < sizeof tiny, "tiny buffer overrun");
        struct vm_exit e;
        trace_event_to_exit(&ev, &e);
        CHECK(exit_format(&e, line, 1) >= 0 && line[0] == 0, "exit_format(len 1)");
        trace_pte_flags((uint32_t)ev.value, tiny, sizeof tiny);
        CHECK(strlen(tiny) < sizeof tiny, "trace_pte_flags overrun");
        trace_pte_flags((uint32_t)ev.value, tiny, 1);
        CHECK(tiny[0] == 0, "trace_pte_flags(len 1)");
    }
    if (rc < 0)
        check_msg("trace_reader_next", err, sizeof err);
    else
        CHECK(seen == r.info.nevents, "read %lld of %lld events", (long long)seen,
              (long long)r.info.nevents);
    trace_reader_close(&r);
    return 0;
}

/* --- the command line -------------------------------------------------- */

#define MAX_ARGS 40

/* Engines with options of their own, as the stage binaries have them
 * (the checks are the parser's callbacks; vmm-bt's is the same test). */
static int check_mode(const char *v, char *err, size_t len)
{
    if (strcmp(v, "identical") && strcmp(v, "threaded")) {
        snprintf(err, len, "--bt-mode '%s': expected 'identical' or 'threaded'", v);
        return -1;
    }
    return 0;
}
static const struct engine_option bt_options[] = {
    { "--bt-mode", "MODE", "mode", check_mode },
    { "--check", "ENGINE", "ref", NULL },
    { NULL },
};
static const struct engine_option vmx_options[] = {
    { "--vmx-controls", "LIST", "controls", NULL },
    { NULL },
};
static const struct engine_entry fuzz_engines[] = {
    { "interp", NULL, "-", NULL },
    { "bt", NULL, "-", bt_options },
    { "vmx", NULL, "-", vmx_options },
};
#define NFUZZ_ENGINES (int)(sizeof fuzz_engines / sizeof fuzz_engines[0])

int fuzz_options(const uint8_t *data, size_t n)
{
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = strdup("vmm-fuzz");
    /* Arguments are the NUL-separated pieces, each in its own allocation so
     * that reading past one is an ASan report. */
    size_t i = 0;
    while (i < n && argc <= MAX_ARGS) {
        const uint8_t *end = memchr(data + i, 0, n - i);
        size_t len = end ? (size_t)(end - (data + i)) : n - i;
        char *a = malloc(len + 1);
        CHECK(a != NULL, "out of memory");
        memcpy(a, data + i, len);
        a[len] = 0;
        argv[argc++] = a;
        i += len + 1;
    }
    argv[argc] = NULL;

    struct vm_options o;
    char err[512];
    vm_options_defaults(&o, "vmm-fuzz");
    memset(err, 0, sizeof err);
    int rc = vm_options_parse(&o, fuzz_engines, NFUZZ_ENGINES, argc, argv, err, sizeof err);
    CHECK(rc == OPTIONS_OK || rc == OPTIONS_HELP || rc == OPTIONS_ERROR, "rc %d", rc);
    if (rc == OPTIONS_ERROR) {
        check_msg("vm_options_parse", err, sizeof err);
    } else if (rc == OPTIONS_OK) {
        CHECK(o.image != NULL && o.cmdline != NULL, "missing field");
        CHECK(!o.engine || o.engine[0], "empty engine name"); /* NULL: the stage's default */
        CHECK(o.mem >= VM_MIN_MEM && o.mem <= VM_MAX_MEM && !(o.mem & 0xfff), "mem %llu",
              (unsigned long long)o.mem);
        CHECK(o.nmodules >= 0 && o.nmodules <= VM_MAX_MODULES, "nmodules %d", o.nmodules);
        /* The timeout must be something the run loop can turn into a
         * deadline (vm.c converts it to a struct timespec). */
        CHECK(o.timeout_s >= 0 && o.timeout_s <= 1e9, "timeout %g", o.timeout_s);
        CHECK(!o.walk_set || o.dot_file, "--walk without --dot");
        /* Engine options: each once, a non-empty value, one of an engine's;
         * accepted by exactly the engines that have them all. */
        CHECK(o.nengine_opts >= 0 && o.nengine_opts <= VM_MAX_ENGINE_OPTIONS, "%d options",
              o.nengine_opts);
        for (int k = 0; k < o.nengine_opts; k++) {
            CHECK(o.engine_opt[k].value && o.engine_opt[k].value[0], "empty value");
            for (int j = 0; j < k; j++)
                CHECK(strcmp(o.engine_opt[j].name, o.engine_opt[k].name), "twice");
        }
        for (int e = 0; e < NFUZZ_ENGINES; e++) {
            err[0] = 0;
            int ok = vm_options_check_engine(&o, fuzz_engines, NFUZZ_ENGINES, &fuzz_engines[e], err,
                                             sizeof err) == 0;
            if (!ok)
                check_msg("vm_options_check_engine", err, sizeof err);
            bool all_its_own = true; /* --vmx-controls is vmx's (2), the rest bt's (1) */
            for (int k = 0; k < o.nengine_opts; k++)
                all_its_own &= e == (strcmp(o.engine_opt[k].name, "--vmx-controls") ? 1 : 2);
            CHECK(ok == all_its_own, "engine %s accepts: %d", fuzz_engines[e].name, ok);
        }
    }
    /* parse_size on every argument: a size or -1, never UB. */
    for (int a = 1; a < argc; a++) {
        uint64_t sz = 0;
        (void)parse_size(argv[a], &sz);
    }
    vm_options_free(&o);
    for (int a = 0; a < argc; a++)
        free(argv[a]);
    return 0;
}

/* --- the devices ------------------------------------------------------- */

struct dev_rig {
    uint64_t now; /* the fake clock, ns */
    struct vclock clock;
    struct pic_pair pic;
    struct pit8254 pit;
    struct uart16550 uart;
    struct acpi_pm pm;
    uint64_t tx;
};

static uint64_t rig_now(void *ctx) { return ((struct dev_rig *)ctx)->now; }
static void rig_irq(void *ctx, int irq, int level)
{
    pic_set_irq(&((struct dev_rig *)ctx)->pic, irq, level);
}
static void rig_tx(void *ctx, uint8_t b)
{
    (void)b;
    ((struct dev_rig *)ctx)->tx++;
}

/* What the run loop does for HLT with IF=1 (core/vm.c,
 * vm_wait_for_interrupt): sleep until pit_next_deadline().  The deadline
 * must be in the future, and reaching it must raise IRQ0, or a halted
 * guest would spin in the VMM forever. */
static void rig_halt(struct dev_rig *g)
{
    pit_update(&g->pit);
    uint64_t dl = pit_next_deadline(&g->pit);
    if (dl == UINT64_MAX)
        return;
    CHECK(dl > g->now, "PIT deadline %llu not after now %llu", (unsigned long long)dl,
          (unsigned long long)g->now);
    uint64_t pulses = g->pit.irq0_pulses;
    g->now = dl;
    pit_update(&g->pit);
    CHECK(g->pit.irq0_pulses == pulses + 1, "reaching the PIT deadline gave %llu edges",
          (unsigned long long)(g->pit.irq0_pulses - pulses));
}

/* One access to the ACPI PM block (a: offset, size, direction; b: value),
 * then what must always hold: reads fit their size, the timer has 24
 * bits, the SCI is SCI_EN && (PM1_STS & PM1_EN), and the timer-carry
 * deadline is in the future and raises TMR_STS when reached. */
static void rig_acpi_pm(struct dev_rig *g, uint8_t a, uint8_t b)
{
    struct acpi_pm *pm = &g->pm;
    uint8_t size = (uint8_t)(1u << ((a >> 4) % 3));
    uint32_t v = (uint32_t)b * 0x01010101u, off = (a & 15) % ACPI_PM_NPORTS;
    acpi_pm_io(pm, off, size, a & 0x80, &v);
    if (!(a & 0x80))
        CHECK(size == 4 || v < (1u << (8 * size)), "acpi-pm read 0x%x of size %u", v, size);
    CHECK(acpi_pm_timer(pm) <= 0xffffff, "PM timer 0x%x beyond 24 bits", acpi_pm_timer(pm));
    CHECK(pm->sci_level == ((pm->cnt & PM1_SCI_EN) && (pm->sts & pm->en)), "SCI level %d",
          pm->sci_level);
    uint64_t dl = acpi_pm_next_deadline(pm);
    if (dl == UINT64_MAX)
        return;
    CHECK(dl > g->now, "PM timer deadline %llu not after now %llu", (unsigned long long)dl,
          (unsigned long long)g->now);
    g->now = dl;
    acpi_pm_update(pm);
    CHECK(pm->sts & PM1_TMR, "the PM timer deadline passed without TMR_STS");
}

int fuzz_devices(const uint8_t *data, size_t n)
{
    struct dev_rig *g = calloc(1, sizeof *g);
    CHECK(g != NULL, "out of memory");
    g->now = 1000000;
    g->clock = (struct vclock){ rig_now, g };
    struct irq_line irq0 = { rig_irq, g, PIT_IRQ };
    struct irq_line irq4 = { rig_irq, g, UART_COM1_IRQ };
    pic_init(&g->pic);
    pit_init(&g->pit, &g->clock, &irq0);
    uart_init(&g->uart, rig_tx, g, &irq4);
    struct irq_line irq9 = { rig_irq, g, ACPI_PM_SCI_IRQ };
    acpi_pm_init(&g->pm, &g->clock, &irq9);

    /* Three bytes per operation: what, a, b. */
    for (size_t i = 0; i + 3 <= n; i += 3) {
        uint8_t op = data[i], a = data[i + 1], b = data[i + 2];
        uint32_t v = b;
        switch (op & 0x0f) {
        case 0: uart_io(&g->uart, a & 7, 1, true, &v); break;
        case 1:
            uart_io(&g->uart, a & 7, 1, false, &v);
            CHECK(v <= 0xff, "uart read 0x%x", v);
            break;
        case 2: pit_io(&g->pit, a & 3, 1, true, &v); break;
        case 3:
            pit_io(&g->pit, a & 3, 1, false, &v);
            CHECK(v <= 0xff, "pit read 0x%x", v);
            break;
        case 4: pit_port_b_io(&g->pit, 0, 1, a & 1, &v); break;
        case 5: pic_master_io(&g->pic, a & 1, 1, true, &v); break;
        case 6:
            pic_master_io(&g->pic, a & 1, 1, false, &v);
            CHECK(v <= 0xff, "pic read 0x%x", v);
            break;
        case 7: pic_slave_io(&g->pic, a & 1, 1, true, &v); break;
        case 8:
            pic_slave_io(&g->pic, a & 1, 1, false, &v);
            CHECK(v <= 0xff, "pic read 0x%x", v);
            break;
        case 9: /* time passes: up to 65535 << 15 ns (about 2 s) */
            g->now += (uint64_t)(a | b << 8) << (op >> 4);
            break;
        case 10: /* the CPU takes an interrupt (INTA) */
            if (pic_pending(&g->pic)) {
                int vec = pic_ack(&g->pic);
                CHECK(vec >= 0 && vec <= 255, "vector %d", vec);
            }
            break;
        case 11: rig_halt(g); break;
        case 12: uart_receive(&g->uart, b); break;
        case 13: pit_update(&g->pit); break;
        case 14: pic_set_irq(&g->pic, (int8_t)a, b & 1); break; /* also out of range */
        default:
            if ((op & 0x30) == 0x10) { /* the ACPI PM block */
                rig_acpi_pm(g, a, b);
                break;
            }
            CHECK(pit_output(&g->pit, a % 3) <= 1, "OUT level");
            (void)pit_count(&g->pit, a % 3);
            break;
        }
        /* The line to the CPU and the spurious-vector path are always safe. */
        if (op & 0x80)
            (void)pic_ack(&g->pic);
    }
    free(g);
    return 0;
}

const struct fuzz_target fuzz_targets[] = {
    { "loader", fuzz_loader },   { "trace", fuzz_trace }, { "options", fuzz_options },
    { "devices", fuzz_devices }, { NULL, NULL },
};
