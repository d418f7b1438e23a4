/*
 * engine.h — the one interface every CPU engine implements (docs/ARCHITECTURE.md §4).
 *
 *     VMM core loop:   for (;;) { engine->run(vcpu, &exit); handle(&exit); }
 *
 * An engine runs guest code until something needs the VMM — an I/O
 * instruction, HLT, a triple fault, ... — and describes it as a VT-x style
 * struct vm_exit.  The core handles the exit (devices, HLT wait, ...) and
 * calls run() again.  Engines: interp (reference interpreter, common/x86/),
 * bt (stage 01), vmx (stage 03 software model), kvm (stage 03).
 */
#ifndef CORE_ENGINE_H
#define CORE_ENGINE_H

#include <stdio.h>
#include <stddef.h>
#include "core/vm_exit.h"
#include "x86/cpu.h"

struct vm;

struct vcpu {
    struct x86_cpu cpu; /* architectural state (see x86/cpu.h)  */
    struct vm *vm;
    void *engine_state;    /* owned by the engine                  */
    void *stage_state;     /* owned by the stage VMM (stage 02: its hypercalls) */
    uint64_t instructions; /* guest instructions retired, if known */
};

struct engine_ops {
    const char *name;    /* "interp", "bt", ...                  */
    const char *summary; /* one line for --help                  */
    /* Does run() keep vcpu->instructions?  An engine that lets the real
     * CPU run the guest (kvm) cannot count them: --stats then says "not
     * counted" rather than a count of 0. */
    bool counts_instructions;
    /* Prepare to run vcpu (cpu state already set by the loader).
     * 0 on success; -1 with a one-line reason in err. */
    int (*init)(struct vcpu *v, char *err, size_t errlen);
    /* Run until an exit; fill *exit.  Returns 0, or -1 for an engine error
     * (then exit->reason is EXIT_VMM_ERROR and exit->message says why).
     * I/O exits (reason 30) are reported BEFORE the instruction completes:
     * guest EIP is still at the IN/OUT.  The VMM does the device access,
     * stores an IN result in exit->u.io.value and calls run() again with
     * the same exit; the engine then writes AL/AX/EAX and advances EIP
     * (x86/interp.h).  The VMM never writes EAX or EIP for an I/O exit.
     * HLT exits (reason 12) are reported after HLT: cpu.halted is set and
     * the next run() returns HLT again at once unless an interrupt can be
     * delivered (IF=1 and vm_irq_pending()). */
    int (*run)(struct vcpu *v, struct vm_exit *exit);
    /* The VMM changed cpu state behind the engine's back (e.g. IN result
     * written to EAX): engines that cache state reload it. May be NULL. */
    void (*state_changed)(struct vcpu *v);
    void (*print_stats)(struct vcpu *v, FILE *out); /* may be NULL */
    /* --dot FILE --walk ADDR at the end of the run, for an engine whose
     * MMU walks in two dimensions (stage 04's EPT): draw that walk of lin
     * to f and return true; false (or NULL): the guest's 1-D walk is drawn
     * (trace/dot.h). */
    bool (*dot_walk)(struct vcpu *v, FILE *f, uint32_t lin);
    void (*fini)(struct vcpu *v);
};

#endif
