/*
 * vmm-hw — the stage 03 VMM: hardware-assisted full virtualization.
 *
 * "--engine kvm" runs the unmodified guest through Linux KVM (kvm.c);
 * "--engine vmx" runs it on the software model of VT-x (vmx.c, vmcs.c),
 * whose VMCS controls are set with --vmx-controls; both share one exit
 * handler (exit_handler.c).  "--engine interp" is the reference every
 * engine is compared with.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "core/vm.h"
#include "vmm/vmm_main.h"
#include "x86/interp.h"
#include "03-hw-assisted/kvm.h"
#include "03-hw-assisted/vmx.h"

static const struct engine_entry engines[] = {
    { "kvm", &kvm_engine,
      "Linux KVM: the guest runs on the CPU, exits come back through /dev/kvm", NULL },
    { "vmx", &vmx_engine,
      "software VT-x model: VMCS controls decide the exits of the software engine", NULL },
    { "interp", &interp_engine,
      "reference interpreter (common/x86), for comparison", NULL },
};

/* A bad --vmx-controls list is bad input (status 64), said before any VM
 * is built; the engine parses the same list again when it starts. */
static int check_vmx_controls(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *list = NULL;
        if (!strncmp(argv[i], "--vmx-controls=", 15))
            list = argv[i] + 15;
        else if (!strcmp(argv[i], "--vmx-controls") && i + 1 < argc)
            list = argv[i + 1];
        if (!list)
            continue;
        static struct vmx_config cfg;   /* 8 KiB of bitmaps: not on the stack */
        char err[256];
        if (vmx_config_parse(list, &cfg, err, sizeof err) < 0) {
            fprintf(stderr, "vmm-hw: error: %s\n", err);
            fprintf(stderr, "Try 'vmm-hw --help' for more information.\n");
            return VMM_STATUS_USAGE;
        }
    }
    return 0;
}

/* The default engine: KVM where it can run the teaching guest, else the
 * software model — said in one line when the user did not choose. */
static const char *default_engine(int argc, char **argv)
{
    char why[200];
    if (kvm_available(why, sizeof why) == 0) {
        if (!kvm_is_pvm())
            return "kvm";
        snprintf(why, sizeof why, "KVM here is PVM (kvm_pvm), which cannot run a 32-bit "
                 "paged guest");
    }
    bool chosen = false;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (!strcmp(argv[i], "--engine") || !strncmp(argv[i], "--engine=", 9) ||
            !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            chosen = true;
    if (!chosen)
        fprintf(stderr, "vmm-hw: note: %s; using --engine vmx\n", why);
    return "vmx";
}

int main(int argc, char **argv)
{
    int rc = check_vmx_controls(argc, argv);
    if (rc)
        return rc;
    return vmm_main("vmm-hw", engines, (int)(sizeof engines / sizeof engines[0]),
                    default_engine(argc, argv), argc, argv);
}
