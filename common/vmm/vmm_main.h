/*
 * vmm_main.h — the main() every stage binary shares.
 *
 * A stage binary (build/vmm-bt, build/vmm-hw, ...) is a table of the engines
 * it offers, each with the options of its own (options.h), and one call:
 * options are parsed the same way everywhere, bad input is one line and a
 * documented status (core/vm.h), Ctrl-C stops the VM at the next boundary.
 */
#ifndef VMM_VMM_MAIN_H
#define VMM_VMM_MAIN_H

#include <stddef.h>
#include "vmm/options.h"

struct vmm_stage {
    const char *prog; /* "vmm-bt": the name in messages   */
    const struct engine_entry *engines;
    int nengines;
    /* The engine when --engine is not given: pick_engine's choice if set
     * (note: why, said on stderr when the user did not ask for --help),
     * else default_engine. */
    const char *default_engine;
    const char *(*pick_engine)(char *note, size_t len);
};

/* Returns the process exit status: the guest's debug-exit value, or a
 * vmm_status of core/vm.h. */
int vmm_main(const struct vmm_stage *stage, int argc, char **argv);

#endif
