/*
 * vmm-hw — the stage 03 VMM: hardware-assisted full virtualization.
 *
 * "--engine kvm" runs the unmodified guest through Linux KVM (kvm.c);
 * "--engine vmx" runs it on the software model of VT-x (vmx.c, vmcs.c),
 * whose VMCS controls are set with --vmx-controls (vmx_config.c), KVM's
 * with --kvm-controls (kvm_controls.c); both share one exit handler
 * (exit_handler.c).  With --pv on, the VMX model also answers a
 * paravirtual guest's hypercalls (stage 02's hypercall.c); with --pv-linux
 * on, it shows Linux KVM's paravirtual interface (stage 02's kvm_pv.c).
 * "--engine interp" is the reference every engine is compared with.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmm/vmm_main.h"
#include "x86/interp.h"
#include "03-hw-assisted/kvm.h"
#include "03-hw-assisted/kvm_controls.h"
#include "03-hw-assisted/vmx.h"
#include "02-paravirt/hypercall.h"
#include "02-paravirt/kvm_pv.h"

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

static int check_on_off(const char *v, char *err, size_t len)
{
    if (strcmp(v, "on") && strcmp(v, "off")) {
        snprintf(err, len, "--pv '%s': expected 'on' or 'off'", v);
        return -1;
    }
    return 0;
}

static const struct engine_option vmx_options[] = {
    { "--vmx-controls", "LIST",
      "the VMM's VMX controls (see 03-hw-assisted/README.md),\n"
      "e.g. hlt=off,io=bitmap:0x3f8-0x3ff",
      check_vmx_controls },
    { "--pv", "on|off",
      "answer a paravirtual guest's hypercalls (stage 02,\n"
      "build/guest/guest-pv.elf; 02-paravirt/README.md)",
      check_on_off },
    KVM_PV_OPTION,
    { NULL },
};

/* The VMX model with stage 02's hypercall handler in front of its own
 * (stage 03 may use stage 02): a VMCALL is exit 18 here as on bt. */
static const struct pv_cpu_ops vmx_pv = { vmx_invlpg, vmx_invalidate, vmx_flush_tlb };
static int pv_vmx_init(struct vcpu *v, char *err, size_t len)
{
    if (vmx_engine.init(v, err, len) < 0)
        return -1;
    const char *pv = vm_engine_option(v->vm, "--pv");
    if ((pv && !strcmp(pv, "on") && pv_attach(v, &vmx_pv, err, len) < 0) ||
        kvm_pv_attach(v, vmx_invalidate, err, len) < 0) {
        pv_detach(v);
        vmx_engine.fini(v);
        return -1;
    }
    return 0;
}
static int pv_vmx_run(struct vcpu *v, struct vm_exit *e) { return vmx_engine.run(v, e); }
static void pv_vmx_state_changed(struct vcpu *v) { vmx_engine.state_changed(v); }
static void pv_vmx_stats(struct vcpu *v, FILE *out)
{
    vmx_engine.print_stats(v, out);
    pv_print_stats(v, out);
    kvm_pv_print_stats(v, out);
}
static void pv_vmx_fini(struct vcpu *v)
{
    kvm_pv_detach(v);
    pv_detach(v);
    vmx_engine.fini(v);
}
static const struct engine_ops vmx_or_pv = {
    .name = "vmx",
    .summary = VMX_ENGINE_SUMMARY,
    .init = pv_vmx_init,
    .run = pv_vmx_run,
    .counts_instructions = true,
    .state_changed = pv_vmx_state_changed,
    .print_stats = pv_vmx_stats,
    .fini = pv_vmx_fini,
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
    { "vmx", &vmx_or_pv, NULL, vmx_options },
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
