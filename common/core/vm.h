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

#define VM_MAX_MODULES 4

struct vm_options {
    const char *engine;          /* --engine NAME (default "interp")      */
    uint64_t    mem;             /* --mem SIZE bytes (default 64 MiB)     */
    const char *image;           /* guest ELF                             */
    const char *cmdline;         /* everything after "--"                 */
    const char *modules[VM_MAX_MODULES]; /* --module FILE (Multiboot modules) */
    int         nmodules;
    const char *trace_file;      /* --trace FILE                          */
    double      timeout_s;       /* --timeout SECONDS (0 = none)          */
    bool        stats;           /* --stats                               */
    bool        viz, step;       /* --viz, --step (visualizer issue)      */
};

/* Exit statuses of a stage binary that are not the guest's own value. */
enum vmm_status {
    VMM_STATUS_USAGE    = 64,    /* bad option (EX_USAGE)                 */
    VMM_STATUS_IMAGE    = 65,    /* missing / corrupt / unfit guest image */
    VMM_STATUS_ENGINE   = 69,    /* engine unavailable or failed to start */
    VMM_STATUS_GUEST    = 70,    /* guest crashed: triple fault, ...      */
    VMM_STATUS_TIMEOUT  = 124,   /* --timeout expired (as timeout(1))     */
};

struct vm;   /* defined in vm.c; engines use the functions below */

/* --- for engines ------------------------------------------------------ */
struct guest_ram *vm_ram(struct vm *vm);
/* Advance device time and report whether the interrupt controller has an
 * interrupt for the CPU.  Cheap enough to call at every block boundary. */
bool vm_irq_pending(struct vm *vm);
/* The INTA cycle: the vector to deliver (call only when pending and the
 * CPU accepts interrupts: IF=1 and no STI/MOV SS shadow). */
int  vm_irq_ack(struct vm *vm);
/* Port I/O straight to the bus, for engines that emulate an instruction
 * fully (string I/O).  Normal IN/OUT go through an I/O exit instead. */
bool vm_pio(struct vm *vm, uint16_t port, uint8_t size, bool is_write, uint32_t *value);
/* The VMM wants the engine to return at the next boundary (timeout,
 * debug-exit written, Ctrl-C in the visualizer). */
bool vm_stop_requested(const struct vm *vm);

#endif
