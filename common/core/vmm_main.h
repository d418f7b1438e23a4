/*
 * vmm_main.h — the main() every stage binary shares.
 *
 * A stage binary (build/vmm-bt, build/vmm-hw, ...) is a table of the engines
 * it offers and one call: options are parsed the same way everywhere
 * (docs/ARCHITECTURE.md §6), bad input is one line and a documented status (core/vm.h),
 * Ctrl-C stops the VM at the next boundary.
 */
#ifndef CORE_VMM_MAIN_H
#define CORE_VMM_MAIN_H

#include <stdbool.h>
#include "core/engine.h"

struct engine_entry {
    const char              *name;       /* --engine NAME                      */
    const struct engine_ops *ops;        /* NULL: not built yet                */
    const char              *summary;    /* one line for --help                */
    const char              *why_missing;/* for ops == NULL: what will build it */
};

/* Returns the process exit status: the guest's debug-exit value, or a
 * vmm_status of core/vm.h. */
int vmm_main(const char *prog, const struct engine_entry *engines, int nengines,
             const char *default_engine, int argc, char **argv);

#endif
