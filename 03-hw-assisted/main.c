/*
 * vmm-hw — the stage 03 VMM: hardware-assisted full virtualization.
 *
 * "--engine kvm" runs the unmodified guest through Linux KVM (kvm.c); the
 * software model of VT-x ("--engine vmx") is the rest of this stage's work.
 * "--engine interp" is the reference every engine is compared with.
 */
#include "core/vmm_main.h"
#include "x86/interp.h"
#include "03-hw-assisted/kvm.h"

static const struct engine_entry engines[] = {
    { "kvm", &kvm_engine,
      "Linux KVM: the guest runs on the CPU, exits come back through /dev/kvm", NULL },
    { "vmx", NULL,
      "software VT-x model: VMCS controls decide the exits of the software engine",
      "stage 03 software VMX model, see 03-hw-assisted/README.md" },
    { "interp", &interp_engine,
      "reference interpreter (common/x86), for comparison", NULL },
};

int main(int argc, char **argv)
{
    return vmm_main("vmm-hw", engines, (int)(sizeof engines / sizeof engines[0]), "kvm",
                    argc, argv);
}
