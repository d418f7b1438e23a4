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
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "core/options.h"
#include "core/vm.h"
#ifdef HAVE_INTERP_ENGINE
#include "x86/interp.h"
#endif

#define PROG "vmm-bt"

/* An engine that is not built yet still gets a VM created, so a bad image
 * is reported first (status 65), exactly as with a real engine; its init
 * then fails with the reason (status 69). */
static int bt_missing(struct vcpu *v, char *err, size_t len)
{
    (void)v;
    snprintf(err, len, "engine 'bt' is not built yet (stage 01 binary translator, see "
             "01-binary-translation/README.md)");
    return -1;
}
static const struct engine_ops bt_placeholder = { .name = "bt", .init = bt_missing };

#ifndef HAVE_INTERP_ENGINE
static int interp_missing(struct vcpu *v, char *err, size_t len)
{
    (void)v;
    snprintf(err, len, "engine 'interp' is not built into this binary yet (the reference "
             "interpreter, common/x86/interp_engine.c)");
    return -1;
}
static const struct engine_ops interp_placeholder = { .name = "interp", .init = interp_missing };
#endif

struct engine_entry {
    const char              *name;
    const struct engine_ops *ops;
    bool                     built;
    const char              *summary;
};

static const struct engine_entry engines[] = {
#ifdef HAVE_INTERP_ENGINE
    { "interp", &interp_engine, true,
#else
    { "interp", &interp_placeholder, false,
#endif
      "reference interpreter (common/x86): decodes with capstone, executes the decoded form" },
    { "bt", &bt_placeholder, false,
      "binary translator: guest code translated into host x86-64 code (stage 01)" },
};
#define NENGINES (int)(sizeof engines / sizeof engines[0])

/* Ctrl-C asks the VM to stop at the next instruction boundary (the run then
 * ends with status 130 and --stats still printed); a second Ctrl-C kills. */
static struct vm *running_vm;
static void on_sigint(int sig)
{
    (void)sig;
    if (running_vm)
        vm_request_stop(running_vm);
}

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
                      engines[i].summary, engines[i].built ? "" : " [not built yet]");

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
    if (opt.viz || opt.step)
        fprintf(stderr, PROG ": note: --viz/--step: the visualizer is not built yet; "
                "running without it\n");

    struct vm *vm;
    int status = vm_create(&vm, &opt, e->ops, err, sizeof err);
    if (status == 0) {
        struct sigaction sa = { .sa_handler = on_sigint, .sa_flags = SA_RESETHAND };
        sigemptyset(&sa.sa_mask);
        running_vm = vm;
        sigaction(SIGINT, &sa, NULL);
        status = vm_run(vm);
        signal(SIGINT, SIG_DFL);
        running_vm = NULL;
    }
    else
        fprintf(stderr, PROG ": error: %s\n", err);
    vm_destroy(vm);
    vm_options_free(&opt);
    return status;
}
