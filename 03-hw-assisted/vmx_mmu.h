/*
 * vmx_mmu.h — how a later stage plugs memory virtualization into the VMX
 * model (stage 04: EPT, or shadow page tables the VMM keeps).
 *
 * Stage 03's model runs the guest on the interpreter, which walks the
 * guest's own page tables: guest-physical memory is the RAM object, as if
 * EPT mapped it one to one.  A struct vmx_mmu replaces that walk (the
 * interpreter's xlate hook, x86/interp.h) and sees what changes it: the
 * VMM's VMCS setup, every VM entry, the TLB flushes of the guest (MOV to
 * CR3, INVLPG, paging-mode changes) and the control-register loads the
 * VMM emulates after a CR-access exit.  Like struct bt_mmu of stage 01
 * (01-binary-translation/bt.h), it lets stage 04 build on stage 03 without
 * stage 03 knowing stage 04 (docs/ARCHITECTURE.md §2).
 */
#ifndef HW_VMX_MMU_H
#define HW_VMX_MMU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/engine.h"
#include "x86/interp.h"

struct vmcs;
struct vmx_mmu;

struct vmx_mmu_ops {
    /* The VMM's part of the VMCS setup (controls, EPTP, VPID, CR masks),
     * after stage 03's and before VMLAUNCH. */
    void (*setup)(struct vmx_mmu *m, struct vmcs *vmcs, struct x86_cpu *cpu);
    /* VM entry, after its checks: the CPU loads EPTP and VPID. */
    void (*entry)(struct vmx_mmu *m, const struct vmcs *vmcs);
    /* The model CPU translates lin for an access (interp.h's xlate). */
    int (*xlate)(struct vmx_mmu *m, struct x86_cpu *cpu, uint32_t lin, unsigned acc,
                 struct interp_xlate *x, struct vm_exit *e);
    /* The guest's TLB was flushed (INTERP_FLUSH_*). */
    void (*tlb_flush)(struct vmx_mmu *m, int kind, uint32_t lin);
    /* The VMM emulated a guest load of CR0, CR3 or CR4 (a CR-access exit):
     * cpu holds the new value. */
    void (*cr_loaded)(struct vmx_mmu *m, struct x86_cpu *cpu, int cr);
    void (*print_stats)(struct vmx_mmu *m, FILE *out);
    void (*destroy)(struct vmx_mmu *m);
};

struct vmx_mmu {
    const struct vmx_mmu_ops *ops;
};

/* Plug m into v's VMX model (after vmx_engine.init); the engine destroys
 * it at fini.  Runs m's setup on the VMCS. */
void vmx_set_mmu(struct vcpu *v, struct vmx_mmu *m);
/* The VMCS and the CPU model of v's VMX engine, for the VMM of a later
 * stage (its exit handlers). */
struct vmcs *vmx_vmcs(struct vcpu *v);
struct interp *vmx_interp(struct vcpu *v);
/* The MMU plugged in with vmx_set_mmu, or NULL. */
struct vmx_mmu *vmx_get_mmu(struct vcpu *v);

#endif
