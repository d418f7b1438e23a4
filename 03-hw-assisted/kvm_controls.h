/*
 * kvm_controls.h — control experiments on KVM: the --kvm-controls list of
 * vmm-hw --engine kvm (documented in 03-hw-assisted/README.md), the KVM
 * counterpart of the VMX model's --vmx-controls.  Where the VMX model sets
 * VMCS controls itself, a KVM user can only ask the kernel through the
 * KVM API (Documentation/virt/kvm/api.rst):
 *
 *   hlt=exit   HLT exits to the VMM (KVM_EXIT_HLT), the default
 *   hlt=guest  KVM_ENABLE_CAP KVM_CAP_X86_DISABLE_EXITS with
 *              KVM_X86_DISABLE_EXITS_HLT: HLT exiting off (SDM Vol. 3C
 *              Table 25-6, bit 7), the guest halts on the CPU itself
 *   step       KVM_SET_GUEST_DEBUG with KVM_GUESTDBG_ENABLE |
 *              KVM_GUESTDBG_SINGLESTEP: an exit after every guest
 *              instruction (KVM_EXIT_DEBUG), reported as reason 37,
 *              monitor trap flag (SDM Vol. 3C §26.5.2)
 */
#ifndef HW_KVM_CONTROLS_H
#define HW_KVM_CONTROLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct kvm_controls {
    bool hlt_guest; /* hlt=guest: no HLT exits            */
    bool step;      /* step: an exit per guest instruction */
};

/* The defaults, then the comma-separated list s (may be NULL).  0, or -1
 * with a one-line reason in err. */
int kvm_controls_parse(const char *s, struct kvm_controls *c, char *err, size_t len);
/* Apply what must be set on the VM before its vCPU exists (hlt=guest);
 * vm is the KVM_CREATE_VM descriptor.  -1 with a one-line reason naming
 * what this KVM does not offer. */
int kvm_controls_vm(const struct kvm_controls *c, int vm, char *err, size_t len);
/* Apply what is set on the vCPU (step).  0, or -1 with a reason. */
int kvm_controls_vcpu(const struct kvm_controls *c, int vm, int vcpu, char *err, size_t len);
/* "hlt=guest,step", or "none" for the defaults, for --stats. */
void kvm_controls_print(const struct kvm_controls *c, FILE *out);

#endif
