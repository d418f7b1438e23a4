/*
 * vmm-mem — the stage 04 VMM: memory virtualization.
 *
 * "--engine bt" is stage 01's binary translator with shadow page tables
 * done properly (shadow.h: a shadow per guest address space, cached,
 * kept coherent by write-protecting the guest's tables).  The VMX model
 * (--mmu shadow|ept) and KVM come later: see README.md.
 */
#include <stdio.h>
#include <string.h>
#include "vmm/vmm_main.h"
#include "04-memory/mem_bt.h"
#include "04-memory/mem_vmx.h"
#include "02-paravirt/kvm_pv.h"

static int check_bt_mode(const char *v, char *err, size_t len)
{
    if (strcmp(v, "identical") && strcmp(v, "threaded")) {
        snprintf(err, len, "--bt-mode '%s': expected 'identical' or 'threaded'", v);
        return -1;
    }
    return 0;
}

static const struct engine_option bt_options[] = {
    { "--mmu", "MODE",
      "how guest paging is virtualized: shadow (default: cached\nshadow page tables)",
      mem_check_mmu },
    { "--shadow-cache", "N",
      "shadow address spaces kept (1..15, default 8); a CR3 not\ncached evicts the least recently "
      "used",
      mem_check_cache },
    { "--bt-mode", "MODE", "the translation: identical (default) or threaded", check_bt_mode },
    { "--check", "ENGINE", "run ENGINE (interp) in lock step with the translator", NULL },
    KVM_PV_OPTION,
    { NULL },
};

static const struct engine_entry engines[] = {
    { "bt", &mem_bt_engine, NULL, bt_options },
    { "vmx", &mem_vmx_engine, NULL, mem_vmx_options },
    { "kvm", NULL, "stage 04's KVM side (EPT/NPT, dirty logging) is not built yet", NULL },
};

int main(int argc, char **argv)
{
    static const struct vmm_stage stage = {
        .prog = "vmm-mem",
        .engines = engines,
        .nengines = (int)(sizeof engines / sizeof engines[0]),
        .default_engine = "bt",
    };
    return vmm_main(&stage, argc, argv);
}
