/*
 * vmm-bt — the stage 01 VMM: full virtualization by binary translation.
 *
 * Today it runs the guest on the reference interpreter ("--engine interp",
 * the baseline every translator is measured against); the translator
 * itself ("--engine bt") is the work of this stage, see README.md.
 *
 * All the machinery is shared (common/core/vm.c): this file only picks an
 * engine from the table below and reports bad input as one line.
 */
#include <stdio.h>
#include <string.h>
#include "core/options.h"
#include "core/vm.h"
#ifdef HAVE_INTERP_ENGINE
#include "x86/interp.h"
#endif

#define PROG "vmm-bt"

struct engine_entry {
    const char              *name;
    const struct engine_ops *ops;       /* NULL: not built yet */
    const char              *summary;
    const char              *why_missing;
};

static const struct engine_entry engines[] = {
    { "interp",
#ifdef HAVE_INTERP_ENGINE
      &interp_engine,
#else
      NULL,
#endif
      "reference interpreter (common/x86): decodes with capstone, executes the decoded form",
      "the reference interpreter (common/x86/interp_engine.c) is not built into this binary yet" },
    { "bt", NULL,
      "binary translator: guest code translated into host x86-64 code (stage 01)",
      "engine 'bt' is not built yet (stage 01 binary translator, see "
      "01-binary-translation/README.md)" },
};
#define NENGINES (int)(sizeof engines / sizeof engines[0])

static void usage_hint(void)
{
    fprintf(stderr, "Try '" PROG " --help' for more information.\n");
}

int main(int argc, char **argv)
{
    struct vm_options opt;
    char err[512] = "";
    char list[1024] = "";

    for (int i = 0, n = 0; i < NENGINES; i++)
        n += snprintf(list + n, sizeof list - (size_t)n, "  %-8s %s%s\n", engines[i].name,
                      engines[i].summary, engines[i].ops ? "" : " [not built yet]");

    vm_options_defaults(&opt, PROG);
    switch (vm_options_parse(&opt, argc, argv, err, sizeof err)) {
    case OPTIONS_HELP:
        vm_options_usage(stdout, PROG, list);
        vm_options_free(&opt);
        return 0;
    case OPTIONS_ERROR:
        fprintf(stderr, PROG ": error: %s\n", err);
        usage_hint();
        vm_options_free(&opt);
        return VMM_STATUS_USAGE;
    }

    const struct engine_entry *e = NULL;
    for (int i = 0; i < NENGINES; i++)
        if (strcmp(engines[i].name, opt.engine) == 0)
            e = &engines[i];
    if (!e) {
        fprintf(stderr, PROG ": error: unknown engine '%s' (this binary has: interp, bt)\n",
                opt.engine);
        usage_hint();
        vm_options_free(&opt);
        return VMM_STATUS_USAGE;
    }
    if (!e->ops) {
        fprintf(stderr, PROG ": error: %s\n", e->why_missing);
        vm_options_free(&opt);
        return VMM_STATUS_ENGINE;
    }
    if (opt.viz || opt.step)
        fprintf(stderr, PROG ": note: --viz/--step: the visualizer is not built yet; "
                "running without it\n");

    struct vm *vm;
    int status = vm_create(&vm, &opt, e->ops, err, sizeof err);
    if (status == 0)
        status = vm_run(vm);
    else
        fprintf(stderr, PROG ": error: %s\n", err);
    vm_destroy(vm);
    vm_options_free(&opt);
    return status;
}
