/*
 * vm.c — one virtual machine and its run loop.
 *
 *     vm_create:  RAM (memfd) -> devices on the buses -> load the guest
 *                 -> engine init
 *     vm_run:     for (;;) {
 *                     engine->run(vcpu, &exit);       guest runs
 *                     handle(&exit);                  the VMM's turn
 *                 }
 *
 * The handler is the same for every engine because every engine speaks VT-x
 * exit reasons (vm_exit.h).  An I/O exit goes to the port bus; the result of
 * an IN is put back into the exit structure and the engine completes the
 * instruction on the next run() (the protocol of x86/interp.h).  HLT sleeps
 * until the next device deadline.  Everything the loop does is recorded in
 * a history ring printed on a fatal end, and optionally in the trace ring
 * (vm_report.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/vm.h"
#include "core/vm_int.h"
#include "core/vm_report.h"
#include "devices/pc_ports.h"
#include "firmware/firmware.h"

uint64_t host_monotonic_ns(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- for engines ------------------------------------------------------ */

struct guest_ram *vm_ram(struct vm *vm) { return &vm->ram; }

bool vm_pio(struct vm *vm, uint16_t port, uint8_t size, bool is_write, uint32_t *value)
{
    bool ok = iobus_access(&vm->pio, port, size, is_write, value);
    if (!ok)
        vm->unclaimed_io++;
    return ok;
}

bool vm_mmio(struct vm *vm, uint64_t gpa, uint8_t size, bool is_write, uint32_t *value)
{
    return iobus_access(&vm->mmio, gpa, size, is_write, value);
}

bool vm_stop_requested(const struct vm *vm)
{
    return atomic_load_explicit(&vm->stop, memory_order_relaxed);
}

static void request_stop(struct vm *vm, enum stop_cause why)
{
    int none = STOP_NONE;
    atomic_compare_exchange_strong(&vm->stop_cause, &none, (int)why);
    atomic_store(&vm->stop, true);
}

void vm_request_stop(struct vm *vm) { request_stop(vm, STOP_REQUEST); }

static void setup_rtc(struct vm *vm);

/* --- accessors -------------------------------------------------------- */

struct vcpu *vm_vcpu(struct vm *vm) { return &vm->vcpu; }
const struct engine_ops *vm_engine(const struct vm *vm) { return vm->engine; }
struct trace *vm_trace(struct vm *vm) { return &vm->trace; }

bool vm_wants_walks(const struct vm *vm) { return vm->opt.dot_file && !vm->opt.walk_set; }
void vm_note_walk(struct vm *vm, const struct pt_walk *w, uint32_t cr3)
{
    if (w->ok || !vm_wants_walks(vm))
        return;
    vm->pf.have = true;
    vm->pf.cr3 = cr3;
    vm->pf.walk = *w;
}
bool vm_fault_walk(const struct vm *vm, struct pt_walk *w, uint32_t *cr3)
{
    if (!vm->pf.have)
        return false;
    *w = vm->pf.walk;
    *cr3 = vm->pf.cr3;
    return true;
}
void vm_set_report(struct vm *vm, FILE *out) { vm->report = out; }

const char *vm_engine_option(const struct vm *vm, const char *name)
{
    for (int i = 0; i < vm->opt.nengine_opts; i++)
        if (strcmp(vm->opt.engine_opt[i].name, name) == 0)
            return vm->opt.engine_opt[i].value;
    return NULL;
}

void vm_set_exit_handler(struct vm *vm, vm_exit_handler_fn *fn, void *ctx)
{
    vm->exit_handler = fn;
    vm->exit_handler_ctx = ctx;
}

vm_exit_handler_fn *vm_exit_handler(const struct vm *vm, void **ctx)
{
    *ctx = vm->exit_handler_ctx;
    return vm->exit_handler;
}

void vm_set_observer(struct vm *vm, vm_observer_fn *fn, void *ctx)
{
    vm->observer = fn;
    vm->observer_ctx = ctx;
}

void vm_set_console(struct vm *vm, void (*tx)(void *ctx, uint8_t byte), void *ctx)
{
    vm->console = tx;
    vm->console_ctx = ctx;
}

void vm_set_console_input(struct vm *vm, struct console_in *cin) { vm->cin = cin; }

void vm_set_clock(struct vm *vm, uint64_t (*now_ns)(void *ctx), void *ctx)
{
    vm->clock.now_ns = now_ns;
    vm->clock.ctx = ctx;
    setup_rtc(vm);
}

/* --- devices wiring --------------------------------------------------- */

static void uart_to_console(void *ctx, uint8_t byte)
{
    struct vm *vm = ctx;
    if (vm->console) {
        vm->console(vm->console_ctx, byte);
        return;
    }
    putchar(byte);
    if (byte == '\n')
        fflush(stdout); /* keep guest output and VMM messages in order */
}

/* The debug-exit port, plus telling the engine to come back. */
static void vm_debug_exit_io(void *dev, uint64_t offset, uint8_t size, bool is_write,
                             uint32_t *value)
{
    struct vm *vm = dev;
    debug_exit_io(&vm->dbg, offset, size, is_write, value);
    if (vm->dbg.written)
        request_stop(vm, STOP_DEBUG_EXIT);
}

/* The ACPI PM block, plus ending the VM on S5 (soft off): status 0, as
 * after a debug exit of 0. */
static void vm_acpi_pm_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    struct vm *vm = dev;
    acpi_pm_io(&vm->acpi_pm, offset, size, is_write, value);
    if (vm->acpi_pm.poweroff)
        request_stop(vm, STOP_POWEROFF);
}

/* The keyboard controller, plus ending the VM when the guest resets the
 * machine through it (i8042.h: a reboot ends the run, status 0). */
static void vm_kbd_io(struct vm *vm, io_handler_t fn, uint64_t offset, uint8_t size, bool is_write,
                      uint32_t *value)
{
    fn(&vm->kbd, offset, size, is_write, value);
    if (vm->kbd.reset_requested)
        request_stop(vm, STOP_RESET);
}
static void vm_kbd_data_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    vm_kbd_io(dev, i8042_data_io, offset, size, is_write, value);
}
static void vm_kbd_cmd_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    vm_kbd_io(dev, i8042_cmd_io, offset, size, is_write, value);
}

/* The RTC starts at the host's wall-clock time, on the VM's clock (again
 * when a test changes the clock before the run: vm_set_clock). */
static void setup_rtc(struct vm *vm)
{
    struct irq_line irq8 = { irqchip_isa_irq, &vm->irqchip, RTC_IRQ };
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    rtc_init(&vm->rtc, &vm->clock, &irq8, wall.tv_sec, (uint32_t)wall.tv_nsec);
    rtc_set_memory(&vm->rtc, vm->opt.mem);
}

/* --- extensions (stage 05) ------------------------------------------- */

struct pci_host *vm_pci_host(struct vm *vm) { return &vm->pci; }

int vm_mmio_register(struct vm *vm, uint64_t base, uint64_t len, io_handler_t fn, void *dev,
                     const char *name)
{
    return iobus_register(&vm->mmio, base, len, fn, dev, name);
}

void vm_msi(struct vm *vm, uint32_t addr, uint32_t data) { irqchip_msi(&vm->irqchip, addr, data); }

void vm_pci_intx_line(struct vm *vm, int irq, struct irq_line *out)
{
    *out = (struct irq_line){ irqchip_pci_intx, &vm->irqchip, irq };
    irqchip_pci_intx(&vm->irqchip, irq, 0); /* deasserted: the pin idles high */
}

int vm_pio_register(struct vm *vm, uint16_t base, uint16_t len, io_handler_t fn, void *dev,
                    const char *name)
{
    return iobus_register(&vm->pio, base, len, fn, dev, name);
}

void vm_isa_irq_line(struct vm *vm, int irq, struct irq_line *out)
{
    *out = (struct irq_line){ irqchip_isa_irq, &vm->irqchip, irq };
}

/* A device on the port bus at its ports of the PC's map (devices/pc_ports.h). */
static int attach(struct vm *vm, enum pc_port_dev at, io_handler_t fn, void *dev)
{
    const struct pc_port_range *r = &pc_ports[at];
    return iobus_register(&vm->pio, r->base, r->count, fn, dev, r->name);
}

static int setup_devices(struct vm *vm, char *err, size_t errlen)
{
    struct irq_line irq0 = { irqchip_isa_irq, &vm->irqchip, PIT_IRQ };
    struct irq_line irq4 = { irqchip_isa_irq, &vm->irqchip, UART_COM1_IRQ };
    struct irq_line irq1 = { irqchip_isa_irq, &vm->irqchip, I8042_KBD_IRQ };
    struct irq_line irq12 = { irqchip_isa_irq, &vm->irqchip, I8042_AUX_IRQ };
    pic_init(&vm->pic);
    irqchip_init(&vm->irqchip, &vm->pic, &vm->vcpu.cpu.apic_base, &vm->clock);
    pit_init(&vm->pit, &vm->clock, &irq0);
    ticks_init(&vm->ticks);
    uart_init(&vm->uart, uart_to_console, vm, &irq4);
    uart_set_clock(&vm->uart, &vm->clock);
    debug_exit_init(&vm->dbg);
    struct irq_line irq9 = { irqchip_isa_irq, &vm->irqchip, ACPI_PM_SCI_IRQ };
    acpi_pm_init(&vm->acpi_pm, &vm->clock, &irq9);
    pci_host_init(&vm->pci);
    i8042_init(&vm->kbd, &irq1, &irq12);
    setup_rtc(vm);
    if (attach(vm, PC_PIC_MASTER, pic_master_io, &vm->pic) ||
        attach(vm, PC_PIC_SLAVE, pic_slave_io, &vm->pic) || attach(vm, PC_PIT, pit_io, &vm->pit) ||
        attach(vm, PC_PORT_B, pit_port_b_io, &vm->pit) || attach(vm, PC_COM1, uart_io, &vm->uart) ||
        attach(vm, PC_DEBUG_EXIT, vm_debug_exit_io, vm) ||
        attach(vm, PC_ACPI_PM, vm_acpi_pm_io, vm) || attach(vm, PC_PCI, pci_host_io, &vm->pci) ||
        attach(vm, PC_KBD_DATA, vm_kbd_data_io, vm) || attach(vm, PC_KBD_CMD, vm_kbd_cmd_io, vm) ||
        attach(vm, PC_RTC, rtc_io, &vm->rtc) || irqchip_attach(&vm->irqchip, &vm->mmio)) {
        snprintf(err, errlen, "internal error: device port ranges overlap");
        return -1;
    }
    return 0;
}

/* --- creation --------------------------------------------------------- */

int vm_create(struct vm **out, const struct vm_options *opt, const struct engine_ops *engine,
              char *err, size_t errlen)
{
    *out = NULL;
    struct vm *vm = calloc(1, sizeof *vm);
    if (!vm) {
        snprintf(err, errlen, "out of memory creating the VM");
        return VMM_STATUS_ENGINE;
    }
    vm->opt = *opt;
    if (!vm->opt.prog)
        vm->opt.prog = "vmm";
    vm->engine = engine;
    vm->report = stderr;
    vm->clock = (struct vclock){ host_monotonic_ns, NULL };
    vm->poll_every = 16;
    vm->vcpu.vm = vm;
    vm->ram.fd = -1;
    pthread_mutex_init(&vm->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&vm->cond, &ca);
    pthread_condattr_destroy(&ca);
    /* Safe to vm_destroy from here on. */
    *out = vm;

    if (guest_ram_init(&vm->ram, opt->mem, err, errlen) < 0)
        return VMM_STATUS_ENGINE;
    if (setup_devices(vm, err, errlen) < 0)
        return VMM_STATUS_ENGINE;
    if (opt->image) {
        if (loader_boot(&vm->ram, &vm->vcpu.cpu, opt->image, opt->cmdline, opt->modules,
                        opt->nmodules, opt->initrd, &vm->boot, err, errlen) < 0)
            return VMM_STATUS_IMAGE;
    } else {
        loader_multiboot_cpu(&vm->vcpu.cpu, &vm->boot);
    }
    vm->vcpu.cpu.apic_base = APIC_BASE_RESET; /* devices/lapic.h */
    if (vm->boot.linux) {                     /* what a BIOS leaves: MP table, ACPI tables */
        struct firmware_config fw;
        firmware_config_default(&fw);
        if (firmware_install(&vm->ram, &fw, err, errlen) < 0)
            return VMM_STATUS_IMAGE;
    }
    if (trace_init(&vm->trace, opt->trace_file, engine->name, err, errlen) < 0)
        return VMM_STATUS_USAGE;
    /* --viz without a file: the visualizer reads the ring itself; turned on
     * before the engine starts so the engine installs its trace hooks. */
    if (opt->viz && !opt->trace_file)
        trace_start_reader(&vm->trace);
    if (engine->init && engine->init(&vm->vcpu, err, errlen) < 0)
        return VMM_STATUS_ENGINE;
    vm->engine_ready = true;
    return 0;
}

void vm_destroy(struct vm *vm)
{
    if (!vm)
        return;
    if (vm->timer_running) {
        pthread_mutex_lock(&vm->lock);
        vm->quit = true;
        pthread_cond_broadcast(&vm->cond);
        pthread_mutex_unlock(&vm->lock);
        pthread_join(vm->timer, NULL);
    }
    if (vm->engine_ready && vm->engine->fini)
        vm->engine->fini(&vm->vcpu);
    trace_close(&vm->trace);
    guest_ram_destroy(&vm->ram);
    pthread_cond_destroy(&vm->cond);
    pthread_mutex_destroy(&vm->lock);
    free(vm);
}

/* --- --timeout: a helper thread sets the stop flag at the deadline ---- */

static void *timeout_thread(void *arg)
{
    struct vm *vm = arg;
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    double whole = (double)(long long)vm->opt.timeout_s;
    dl.tv_sec += (time_t)whole;
    dl.tv_nsec += (long)((vm->opt.timeout_s - whole) * 1e9);
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&vm->lock);
    while (!vm->quit) {
        if (pthread_cond_timedwait(&vm->cond, &vm->lock, &dl) == ETIMEDOUT) {
            request_stop(vm, STOP_TIMEOUT);
            break;
        }
    }
    pthread_mutex_unlock(&vm->lock);
    return NULL;
}

/* --- the run loop ----------------------------------------------------- */

/* REP INS/OUTS handed over as a batch (KVM): element by element on the port
 * bus, an IN filling the engine's buffer. */
static void string_io(struct vm *vm, struct exit_io *io)
{
    uint8_t *p = io->data;
    for (uint32_t i = 0; i < io->count; i++, p += io->size) {
        uint32_t v = 0;
        if (!io->in)
            memcpy(&v, p, io->size);
        vm_pio(vm, io->port, io->size, !io->in, &v);
        if (io->in)
            memcpy(p, &v, io->size);
    }
}

/* The VMM's turn after one exit: the stage's handler first (vm.h), then the
 * core's.  -1 to run the guest again, or the status of a fatal end with
 * the one-line reason in why. */
static int handle_exit(struct vm *vm, struct vm_exit *exit, char *why, size_t len)
{
    if (vm->exit_handler) {
        int h = vm->exit_handler(vm->exit_handler_ctx, &vm->vcpu, exit);
        if (h == VM_EXIT_HANDLED)
            return -1;
        if (h == VM_EXIT_FATAL) {
            snprintf(why, len, "%s (exit reason %u, %s, at eip=0x%08x)",
                     exit->message[0] ? exit->message : "exit handler failed", exit->reason,
                     exit_reason_name(exit->reason), exit->guest_eip);
            return VMM_STATUS_GUEST;
        }
    }
    switch (exit->reason) {
    case EXIT_IO_INSTRUCTION: {
        struct exit_io *io = &exit->u.io;
        if (io->string && io->data) { /* a batch of elements (KVM's REP INS/OUTS) */
            string_io(vm, io);
            return -1;
        }
        if (io->string) {
            snprintf(why, len,
                     "engine %s reported a string I/O exit (port 0x%x) without its "
                     "data; engines must emulate INS/OUTS through vm_pio or hand over the "
                     "elements",
                     vm->engine->name, io->port);
            return VMM_STATUS_GUEST;
        }
        uint32_t v = io->value;
        vm_pio(vm, io->port, io->size, !io->in, &v); /* unclaimed: dropped / all ones */
        if (io->in)
            io->value = io->size >= 4 ? v : v & ((1u << (8 * io->size)) - 1);
        return -1;
    }
    case EXIT_HLT: {
        char wait[256];
        if (!(vm->vcpu.cpu.eflags & FL_IF)) {
            snprintf(why, len,
                     "guest halted with interrupts disabled (cli; hlt) at "
                     "eip=0x%08x: nothing can wake it",
                     exit->guest_eip);
            return VMM_STATUS_GUEST;
        }
        if (vm_wait_for_interrupt(vm, wait, sizeof wait) < 0) {
            snprintf(why, len, "%s (eip=0x%08x)", wait, exit->guest_eip);
            return VMM_STATUS_GUEST;
        }
        return -1;
    }
    case EXIT_EPT_MISCONFIG: /* MMIO (vm_exit.h) */
        if (!exit->u.ept.size) {
            snprintf(why, len, "no handler for exit reason %u (%s) at eip=0x%08x", exit->reason,
                     exit_reason_name(exit->reason), exit->guest_eip);
            return VMM_STATUS_GUEST;
        }
        vm_mmio(vm, exit->u.ept.gpa, exit->u.ept.size, exit->u.ept.qual & 2, &exit->u.ept.value);
        return -1;
    case EXIT_INTERRUPT_WINDOW: /* the engine injects at the next entry */
    case EXIT_EXTERNAL_INTERRUPT: /* the engine came back because we asked */ return -1;
    case EXIT_TRIPLE_FAULT:
        snprintf(why, len,
                 "guest triple fault at eip=0x%08x (a fault while delivering a "
                 "double fault: the CPU shuts down; check the guest's IDT and stack)",
                 exit->guest_eip);
        return VMM_STATUS_GUEST;
    default:
        if (exit->reason & EXIT_REASON_ENTRY_FAILURE)
            snprintf(why, len, "VM entry failed: %s (exit reason 0x%08x)%s%s",
                     exit_reason_name(exit->reason), exit->reason, exit->message[0] ? ": " : "",
                     exit->message);
        else
            snprintf(why, len, "no handler for exit reason %u (%s) at eip=0x%08x", exit->reason,
                     exit_reason_name(exit->reason), exit->guest_eip);
        return VMM_STATUS_GUEST;
    }
}

/* Was the VM asked to stop (vm_stop_requested)?  -1 if not, else the
 * status the run ends with. */
static int stop_status(struct vm *vm)
{
    if (!vm_stop_requested(vm))
        return -1;
    switch (atomic_load(&vm->stop_cause)) {
    case STOP_DEBUG_EXIT: return (int)(vm->dbg.value & 0xff);
    case STOP_POWEROFF: return 0; /* ACPI S5: the guest powered off */
    case STOP_RESET:
        fflush(stdout);
        fprintf(vm->report,
                "%s: the guest reset the machine (keyboard controller) at eip=0x%08x: "
                "the VM ends\n",
                vm->opt.prog, vm->vcpu.cpu.eip);
        return VMM_STATUS_RESET;
    case STOP_TIMEOUT:
        return vm_fatal(vm, VMM_STATUS_TIMEOUT,
                        "guest still running after --timeout %g s; "
                        "stopped at eip=0x%08x",
                        vm->opt.timeout_s, vm->vcpu.cpu.eip);
    default:
        fflush(stdout);
        fprintf(vm->report,
                "%s: stopped on request (Ctrl-C, q in the visualizer, or a signal) at eip=0x%08x\n",
                vm->opt.prog, vm->vcpu.cpu.eip);
        return VMM_STATUS_STOPPED;
    }
}

int vm_run(struct vm *vm)
{
    struct vm_exit exit;
    char why[512];
    int status = -1;

    memset(&exit, 0, sizeof exit);
    vm->start_ns = host_monotonic_ns(NULL);
    if (vm->opt.timeout_s > 0 && !vm->timer_running) {
        if (pthread_create(&vm->timer, NULL, timeout_thread, vm) == 0)
            vm->timer_running = true;
    }

    while (status < 0) {
        int rc = vm->engine->run(&vm->vcpu, &exit);
        uint64_t t0 = host_monotonic_ns(NULL), idle0 = vm->idle_ns;
        if (rc > 0) { /* an engine's time slice ended: no exit */
            status = stop_status(vm);
            continue;
        }
        int end;
        if (rc < 0 || exit.reason == EXIT_VMM_ERROR) {
            exit.reason = EXIT_VMM_ERROR;
            snprintf(why, sizeof why, "engine %s failed at eip=0x%08x: %s", vm->engine->name,
                     exit.guest_eip, exit.message[0] ? exit.message : "(no reason given)");
            end = VMM_STATUS_GUEST;
        } else {
            end = handle_exit(vm, &exit, why, sizeof why);
            vm_poll_devices(vm);
        }
        /* Every exit, the last one too, is recorded with its handling cost
         * (time in the VMM, not counting time asleep in HLT). */
        exit.cost_ns = host_monotonic_ns(NULL) - t0 - (vm->idle_ns - idle0);
        vm_record_exit(vm, &exit);
        status = end >= 0 ? vm_fatal(vm, end, "%s", why) : stop_status(vm);
    }
    fflush(stdout);
    vm->end_ns = host_monotonic_ns(NULL);
    trace_flush(&vm->trace);
    if (vm->opt.stats)
        vm_print_stats(vm, vm->report);
    return status;
}
