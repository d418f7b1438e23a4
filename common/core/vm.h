/*
 * vm.h — one virtual machine: RAM, buses, devices, one vCPU, an engine.
 *
 * Nothing here is global: two struct vm can live in one process (the
 * lock-step checker of stage 01 runs bt and interp side by side).
 */
#ifndef CORE_VM_H
#define CORE_VM_H

#include <stdint.h>
#include <stdbool.h>
#include "core/guest_ram.h"
#include "core/iobus.h"
#include "core/engine.h"

#define VM_MAX_MODULES        4
#define VM_MAX_ENGINE_OPTIONS 8

struct vm_options {
    const char *engine;                  /* --engine NAME (NULL: the stage default) */
    uint64_t mem;                        /* --mem SIZE bytes (default 64 MiB)     */
    const char *image;                   /* Multiboot ELF or Linux bzImage        */
    const char *cmdline;                 /* everything after "--"                 */
    const char *modules[VM_MAX_MODULES]; /* --module FILE (Multiboot modules) */
    int nmodules;
    const char *initrd;     /* --initrd FILE (a Linux bzImage's initramfs) */
    const char *trace_file; /* --trace FILE                          */
    double timeout_s;       /* --timeout SECONDS (0 = none)          */
    bool stats;             /* --stats                               */
    bool viz, step;         /* --viz, --step (visualizer issue)      */
    /* The engine's own options (--bt-mode, --vmx-controls, ...): parsed
     * and checked by the command line (vmm/options.h), read by the engine
     * with vm_engine_option. */
    struct vm_engine_option {
        const char *name, *value;
    } engine_opt[VM_MAX_ENGINE_OPTIONS];
    int nengine_opts;
    /* Extensions (core engineer): */
    const char *prog;    /* program name for messages ("vmm-bt")  */
    char *cmdline_owned; /* storage behind cmdline (options.c)    */
    /* Extensions (trace tools): */
    const char *dot_file; /* --dot FILE: page-walk graph at the end */
    uint32_t walk_addr;   /* --walk ADDR: the address it walks      */
    bool walk_set;        /*   (else the last #PF address, CR2)     */
};

/* Exit statuses of a stage binary that are not the guest's own value. */
enum vmm_status {
    VMM_STATUS_RESET = 0,     /* the guest reset the machine (i8042.h):
                                 a clean end, as QEMU -no-reboot      */
    VMM_STATUS_USAGE = 64,    /* bad option (EX_USAGE)                 */
    VMM_STATUS_IMAGE = 65,    /* missing / corrupt / unfit guest image */
    VMM_STATUS_ENGINE = 69,   /* engine unavailable or failed to start */
    VMM_STATUS_GUEST = 70,    /* guest crashed: triple fault, ...      */
    VMM_STATUS_TIMEOUT = 124, /* --timeout expired (as timeout(1))     */
    VMM_STATUS_STOPPED = 130, /* stopped: Ctrl-C, q, SIGHUP/SIGTERM, the
                                    terminal went away (core/hangup.h)      */
};

struct vm; /* laid out in vm_int.h; engines use the functions below */

/* --- for engines ------------------------------------------------------ */
struct guest_ram *vm_ram(struct vm *vm);
/* Device time: the PIT counts on the VM's clock (core/clock.h), but its
 * IRQ0 edges reach the PIC only when the VMM looks at the clock.  Two ways:
 *
 * vm_irq_pending: does the interrupt controller have an interrupt for the
 * CPU?  Cheap enough to call at every block boundary, because it reads the
 * clock only at every poll_every-th call (throttle, 1..16): every 16th
 * while polls come densely (under 100 us between reads), halving down to
 * every call while reads are over 1 ms apart.  Right for engines that poll
 * all the time (interp, bt, the VMX model).
 *
 * vm_advance_time: read the clock now, always, and raise every PIT edge
 * that is due (and an owed late tick, ticks.h) at the PIC; returns what
 * vm_irq_pending would then return.  For engines that get control back
 * rarely (KVM: at an exit, or at a timer kick every few ms while the guest
 * spins in ring 3): called at every return from the guest, the guest's
 * timer is late by at most the time between returns, where the throttle
 * would skip up to 15 of them.  It also restarts the throttle's count. */
bool vm_irq_pending(struct vm *vm);
bool vm_advance_time(struct vm *vm);
/* The INTA cycle: the vector to deliver (call only when pending and the
 * CPU accepts interrupts: IF=1 and no STI/MOV SS shadow). */
int vm_irq_ack(struct vm *vm);
/* Port I/O straight to the bus, for engines that emulate an instruction
 * fully (string I/O).  Normal IN/OUT go through an I/O exit instead. */
bool vm_pio(struct vm *vm, uint16_t port, uint8_t size, bool is_write, uint32_t *value);
/* The VMM wants the engine to return at the next boundary (timeout,
 * debug-exit written, Ctrl-C in the visualizer). */
bool vm_stop_requested(const struct vm *vm);

/* --- extensions (core engineer): the VM's life cycle and accessors ------ */
struct trace;

/* Build a VM from options: RAM, devices, the guest image (Multiboot or Linux), the
 * trace file, the engine.  Returns 0, or a vmm_status (65 bad image, 69
 * engine failed to start, 64 bad option value such as an uncreatable trace
 * file) with a one-line reason in err.  opt->image == NULL loads nothing
 * (RAM zeroed, vCPU in the Multiboot state with entry 0): for unit tests
 * with a scripted engine.  opt must outlive the VM. */
int vm_create(struct vm **out, const struct vm_options *opt, const struct engine_ops *engine,
              char *err, size_t errlen);
/* Run until the guest writes the debug-exit port (returns value & 0xff),
 * or a fatal end (70, 124; the exit history and registers are printed to
 * stderr, the last line being "<prog>: error: <why>"). */
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);

struct vcpu *vm_vcpu(struct vm *vm);
/* The engine running the vCPU (its name, its print_stats for --stats). */
const struct engine_ops *vm_engine(const struct vm *vm);
struct trace *vm_trace(struct vm *vm);
/* --dot without --walk draws the page walk of the last #PF as it was when
 * the fault happened (the task's CR3, its tables then, its access rights):
 * an engine that walks the guest's tables reports each walk here when
 * vm_wants_walks says so; walks that ended in a #PF are kept. */
struct pt_walk;
bool vm_wants_walks(const struct vm *vm);
void vm_note_walk(struct vm *vm, const struct pt_walk *w, uint32_t cr3);
/* The kept walk and its CR3; false if no walk faulted. */
bool vm_fault_walk(const struct vm *vm, struct pt_walk *w, uint32_t *cr3);
/* MMIO access (guest-physical address outside RAM) for engines; false if
 * no device claims it (reads give all ones). */
bool vm_mmio(struct vm *vm, uint64_t gpa, uint8_t size, bool is_write, uint32_t *value);
/* Where the serial console's output goes (default: stdout). */
void vm_set_console(struct vm *vm, void (*tx)(void *ctx, uint8_t byte), void *ctx);
/* Where the serial console's input comes from (core/console_in.h; default:
 * nowhere).  The VM feeds the UART from it; cin must outlive the run. */
struct console_in;
void vm_set_console_input(struct vm *vm, struct console_in *cin);
/* The clock device time runs on (default: CLOCK_MONOTONIC). */
void vm_set_clock(struct vm *vm, uint64_t (*now_ns)(void *ctx), void *ctx);
/* Ask the engine to return at the next boundary; vm_run then ends with
 * VMM_STATUS_STOPPED (130, like a shell's Ctrl-C) unless a debug exit came
 * first. */
void vm_request_stop(struct vm *vm);
/* Where --stats and fatal dumps go (default stderr). */
void vm_set_report(struct vm *vm, FILE *out);
/* An observer (the visualizer, common/viz) sees every exit the run loop
 * records, in the vCPU thread, after the VMM handled it (an IN's value is
 * filled, the cost known) and before the guest runs again.  It may block
 * (step mode) but must then poll vm_stop_requested.  NULL removes it. */
typedef void vm_observer_fn(void *ctx, struct vm *vm, const struct vm_exit *e);
void vm_set_observer(struct vm *vm, vm_observer_fn *fn, void *ctx);

/* A stage's own exit handler (stage 03: 03-hw-assisted/exit_handler.c),
 * installed by its engines' init and asked FIRST about every exit the engine
 * reports.  It returns VM_EXIT_HANDLED (done: run the guest again),
 * VM_EXIT_PASS (let the core handle it: I/O, HLT, triple fault, ...) or
 * VM_EXIT_FATAL (exit->message says why; the run ends with status 70).
 * The exit is recorded, timed and traced like any other. */
enum { VM_EXIT_FATAL = -1, VM_EXIT_PASS = 0, VM_EXIT_HANDLED = 1 };
typedef int vm_exit_handler_fn(void *ctx, struct vcpu *v, struct vm_exit *exit);
void vm_set_exit_handler(struct vm *vm, vm_exit_handler_fn *fn, void *ctx);
/* The handler installed now (NULL if none) and its ctx: a stage that adds
 * its own in front (stage 02's hypercalls on stage 03's VMX model) passes
 * on what it does not handle. */
vm_exit_handler_fn *vm_exit_handler(const struct vm *vm, void **ctx);
/* A stage's say in interrupts (stage 02, 02-paravirt/hypercall.h): a
 * paravirtual guest has an interrupt source of its own without any device
 * (a PV timer) and a virtual interrupt flag.  Any function may be NULL.
 *   due:      the vector of the source's interrupt if one is due at now
 *             (VM clock, ns), else -1; taken before the controller's;
 *   ack:      the CPU took it (vm_irq_ack);
 *   deadline: when the next one will be due (UINT64_MAX: never), so the
 *             HLT wait wakes for it;
 *   gate:     asked when an interrupt could be delivered to a CPU with
 *             EFLAGS.IF=1; false holds it back (the stage tells the guest
 *             it is pending).
 * NULL removes it. */
struct vm_irq_source {
    int (*due)(void *ctx, uint64_t now);
    void (*ack)(void *ctx, uint64_t now);
    uint64_t (*deadline)(void *ctx);
    bool (*gate)(void *ctx, struct vcpu *v);
};
void vm_set_irq_source(struct vm *vm, const struct vm_irq_source *src, void *ctx);
/* The VM clock device time runs on (ns). */
uint64_t vm_clock_ns(struct vm *vm);
/* The value of one of the engine's own options ("--bt-mode"), as given on
 * the command line (already checked there); NULL if not given. */
const char *vm_engine_option(const struct vm *vm, const char *name);
/* The HLT wait of the run loop, for an engine whose guest halts without a
 * VM exit (the VMX model with HLT exiting off: the CPU sits in the HLT
 * activity state until an interrupt): sleep until the interrupt controller
 * has an interrupt or a stop is requested.  0, or -1 if nothing can ever
 * wake the CPU (PIT stopped or IRQ0 masked; the reason in why). */
int vm_wait_for_interrupt(struct vm *vm, char *why, size_t len);

/* --- extensions (stage 05): devices a stage adds to the machine --------- */
struct pci_host;
struct irq_line;
/* PCI bus 0 (devices/pci_host.h), for a stage's functions. */
struct pci_host *vm_pci_host(struct vm *vm);
/* Put a device on the MMIO bus (core/iobus.h); 0, or -1 if it overlaps. */
int vm_mmio_register(struct vm *vm, uint64_t base, uint64_t len, io_handler_t fn, void *dev,
                     const char *name);
/* The line of a PCI INTx# routed to ISA IRQ irq (core/irqchip.h,
 * irqchip_pci_intx): level 1 = asserted. */
void vm_pci_intx_line(struct vm *vm, int irq, struct irq_line *out);
/* A message-signalled interrupt (MSI/MSI-X, PCI 3.0 §6.8): the write of
 * data to addr (0xFEExxxxx) a PCI function makes, delivered to the local
 * APIC (core/irqchip.h, irqchip_msi). */
void vm_msi(struct vm *vm, uint32_t addr, uint32_t data);
/* Put a device on the port bus (an ISA device at fixed ports, a window for
 * PCI I/O BARs); 0, or -1 if it overlaps. */
int vm_pio_register(struct vm *vm, uint16_t base, uint16_t len, io_handler_t fn, void *dev,
                    const char *name);
/* The line of ISA IRQ irq (core/irqchip.h, irqchip_isa_irq), for a device
 * wired to the ISA interrupts, such as a PCI IDE controller in compatibility
 * mode (IRQ 14/15): level 1 = asserted, active high. */
void vm_isa_irq_line(struct vm *vm, int irq, struct irq_line *out);

#define VM_HISTORY 256 /* exits kept for the fatal-end dump */

#endif
