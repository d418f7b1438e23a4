/*
 * vmm-hw — the stage 03 VMM: hardware-assisted full virtualization.
 *
 * "--engine kvm" runs the unmodified guest through Linux KVM (kvm.c);
 * "--engine vmx" runs it on the software model of VT-x (vmx.c, vmcs.c),
 * whose VMCS controls are set with --vmx-controls (vmx_config.c), KVM's
 * with --kvm-controls (kvm_controls.c); both
 * share one exit handler (exit_handler.c).  "--engine interp" is the
 * reference every engine is compared with.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include "vmm/vmm_main.h"
#include "x86/interp.h"
#include "03-hw-assisted/kvm.h"
#include "03-hw-assisted/kvm_controls.h"
#include "03-hw-assisted/vmx.h"

/* A bad --vmx-controls list is bad input (status 64), said before any VM
 * is built; the engine parses the same list again when it starts. */
static int check_vmx_controls(const char *list, char *err, size_t len)
{
    struct vmx_config *cfg = malloc(sizeof *cfg); /* 8 KiB of bitmaps */
    if (!cfg) {
        snprintf(err, len, "--vmx-controls: out of memory");
        return -1;
    }
    int rc = vmx_config_parse(list, cfg, err, len);
    free(cfg);
    return rc;
}

static const struct engine_option vmx_options[] = {
    { "--vmx-controls", "LIST",
      "the VMM's VMX controls (see 03-hw-assisted/README.md),\n"
      "e.g. hlt=off,io=bitmap:0x3f8-0x3ff",
      check_vmx_controls },
    { NULL },
};

/* The same for --kvm-controls: whether this KVM offers an experiment is
 * only known when the engine asks it (status 69), the list's form now. */
static int check_kvm_controls(const char *list, char *err, size_t len)
{
    struct kvm_controls c;
    return kvm_controls_parse(list, &c, err, len);
}

static const struct engine_option kvm_options[] = {
    { "--kvm-controls", "LIST",
      "control experiments through the KVM API (see 03-hw-assisted/README.md):\n"
      "hlt=guest (no HLT exits), step (an exit per instruction)",
      check_kvm_controls },
    { NULL },
};

static const struct engine_entry engines[] = {
    { "kvm", &kvm_engine, NULL, kvm_options },
    { "vmx", &vmx_engine, NULL, vmx_options },
    { "interp", &interp_engine, NULL, NULL },
};

/* The default engine: KVM where it can run the teaching guest, else the
 * software model, with the reason in note. */
static const char *pick_engine(char *note, size_t len)
{
    char why[200];
    if (kvm_available(why, sizeof why) == 0) {
        if (!kvm_is_pvm())
            return "kvm";
        snprintf(why, sizeof why,
                 "KVM here is PVM (kvm_pvm), which cannot run a 32-bit "
                 "paged guest");
    }
    snprintf(note, len, "%s; using --engine vmx", why);
    return "vmx";
}

int main(int argc, char **argv)
{
    static const struct vmm_stage stage = {
        .prog = "vmm-hw",
        .engines = engines,
        .nengines = (int)(sizeof engines / sizeof engines[0]),
        .pick_engine = pick_engine,
    };
    return vmm_main(&stage, argc, argv);
}
