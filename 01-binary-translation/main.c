/*
 * vmm-bt — the stage 01 VMM: full virtualization by binary translation.
 *
 * Two engines: the reference interpreter ("--engine interp", the baseline
 * every translator is measured against) and the binary translator
 * ("--engine bt", this stage's work: bt_engine.c and README.md).
 *
 * All the machinery is shared (common/core/vm.c, common/vmm/vmm_main.c):
 * this file is the table of engines this stage offers and the options the
 * translator has of its own, which bt_engine.c reads with vm_engine_option.
 */
#include <stdio.h>
#include <string.h>
#include "vmm/vmm_main.h"
#include "x86/interp.h"
#include "01-binary-translation/bt.h"

static int check_bt_mode(const char *v, char *err, size_t len)
{
    if (strcmp(v, "identical") && strcmp(v, "threaded")) {
        snprintf(err, len, "--bt-mode '%s': expected 'identical' or 'threaded'", v);
        return -1;
    }
    return 0;
}

static const struct engine_option bt_options[] = {
    { "--bt-mode", "MODE",
      "the translation: identical (default: guest registers in\n"
      "host registers) or threaded (a call per instruction)",
      check_bt_mode },
    /* check.c names the one reference it has (interp) when the engine starts. */
    { "--check", "ENGINE",
      "run ENGINE (interp) in lock step with the translator\n"
      "and stop at the first block where their CPU states differ",
      NULL },
    { NULL },
};

static const struct engine_entry engines[] = {
    { "interp", &interp_engine, NULL, NULL },
    { "bt", &bt_engine, NULL, bt_options },
};

int main(int argc, char **argv)
{
    static const struct vmm_stage stage = {
        .prog = "vmm-bt",
        .engines = engines,
        .nengines = (int)(sizeof engines / sizeof engines[0]),
        .default_engine = "interp",
    };
    return vmm_main(&stage, argc, argv);
}
