/*
 * vmm-bt — the stage 01 VMM: full virtualization by binary translation.
 *
 * Two engines: the reference interpreter ("--engine interp", the baseline
 * every translator is measured against) and the binary translator
 * ("--engine bt", this stage's work: bt_engine.c and README.md).
 *
 * All the machinery is shared (common/core/vm.c, vmm_main.c): this file is
 * the table of engines this stage offers.
 */
#include "vmm/vmm_main.h"
#include "x86/interp.h"
#include "01-binary-translation/bt.h"

static const struct engine_entry engines[] = {
    { "interp", &interp_engine,
      "reference interpreter (common/x86): decodes with capstone, executes the decoded form",
      NULL },
    { "bt", &bt_engine,
      "binary translator: guest code translated into host x86-64 code (stage 01)",
      NULL },
};

int main(int argc, char **argv)
{
    return vmm_main("vmm-bt", engines, (int)(sizeof engines / sizeof engines[0]), "interp",
                    argc, argv);
}
