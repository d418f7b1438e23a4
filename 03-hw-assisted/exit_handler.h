/*
 * exit_handler.h — the stage 03 VMM's exit handler, one for both engines
 * (kvm and the software VMX model).
 *
 * The core (core/vm.c) already handles the exits every engine produces: I/O
 * instructions go to the device bus, HLT waits for device time, a triple
 * fault ends the VM.  This handler is installed in front of it
 * (vm_set_exit_handler) and takes the exits only hardware-assisted
 * virtualization has, as a VT-x VMM does: CPUID, RDTSC, RDMSR/WRMSR,
 * control-register accesses, INVLPG, MOV DR (all emulated, then the guest's
 * EIP is advanced by the VM-exit instruction length), exceptions from the
 * exception bitmap (reinjected), interrupt-window and external-interrupt
 * exits (the VMM injects the PIC's interrupt at the next entry).
 *
 * What it needs from the engine underneath is the small set of operations
 * a VMM asks of VT-x: inject an event, arm interrupt-window exiting, read
 * and write a control register as the guest sees it, invalidate a TLB entry.
 */
#ifndef HW_EXIT_HANDLER_H
#define HW_EXIT_HANDLER_H

#include <stdbool.h>
#include <stdint.h>
#include "core/vm.h"

struct hw_ops {
    /* VM-entry event injection (SDM Vol. 3C §27.6). */
    void (*inject)(struct vcpu *v, int vector, bool external, bool has_err, uint32_t err);
    /* Interrupt-window exiting on/off (primary control bit 2). */
    void (*irq_window)(struct vcpu *v, bool on);
    /* Can an interrupt be injected now (IF=1, no STI/MOV SS blocking, no
     * event already being injected)? */
    bool (*interruptible)(struct vcpu *v);
    /* Does the VMM take external interrupts itself (pin-based control 0)? */
    bool (*extint_exiting)(struct vcpu *v);
    /* CR0/CR3/CR4 as the guest sees them; set returns false for a value
     * the guest may not load (the VMM then injects #GP). */
    uint32_t (*get_cr)(struct vcpu *v, int cr);
    bool (*set_cr)(struct vcpu *v, int cr, uint32_t value);
    void (*invlpg)(struct vcpu *v, uint32_t lin);
};

struct hw_exit_stats {
    uint64_t emulated;       /* instructions emulated after an exit      */
    uint64_t reinjected[32]; /* exceptions from the bitmap, by vector    */
    uint64_t injected_irqs;  /* PIC interrupts injected at VM entry      */
    uint64_t gp_injected;    /* #GP for a bad MSR or control-register value */
};

struct hw_vmm {
    const struct hw_ops *ops; /* NULL: only exits that need no engine help */
    struct hw_exit_stats st;
};

/* Install the handler for vcpu's VM (engines call this from init). */
void hw_exit_install(struct hw_vmm *h, struct vcpu *v, const struct hw_ops *ops);
/* The handler (vm_exit_handler_fn of core/vm.h); ctx is the struct hw_vmm. */
int hw_handle_exit(void *ctx, struct vcpu *v, struct vm_exit *e);
/* The VMM's step before every VM entry (KVM's inject_pending_event): if
 * the PIC has an interrupt and the VMM takes external interrupts, inject it
 * when the guest can take it, else ask for an interrupt-window exit. */
void hw_prepare_entry(struct hw_vmm *h, struct vcpu *v);
void hw_print_stats(const struct hw_vmm *h, FILE *out);

#endif
