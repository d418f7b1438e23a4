/*
 * vmm_main.c — option parsing, engine choice and the VM's life for every
 * stage binary (see vmm_main.h).
 */
#include "core/vmm_main.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "core/hangup.h"
#include "core/options.h"
#include "core/vm.h"
#include "viz/viz.h"
#include "trace/dot.h"

/* An engine that is not built yet still gets a VM created, so a bad image
 * is reported first (status 65), exactly as with a real engine; its init
 * then fails (status 69) and vmm_main names what is missing. */
static int unbuilt_init(struct vcpu *v, char *err, size_t len)
{
    (void)v;
    snprintf(err, len, "engine not built yet");
    return -1;
}
static const struct engine_ops unbuilt_engine = { .name = "unbuilt", .init = unbuilt_init };

int vmm_main(const char *prog, const struct engine_entry *engines, int nengines,
             const char *default_engine, int argc, char **argv)
{
    struct vm_options opt;
    char err[512] = "";
    char list[1024] = "";
    char names[256] = "";

    for (int i = 0, n = 0, m = 0; i < nengines; i++) {
        n += snprintf(list + n, sizeof list - (size_t)n, "%c %-8s %s%s\n",
                      strcmp(engines[i].name, default_engine) ? ' ' : '*', engines[i].name,
                      engines[i].summary, engines[i].ops ? "" : " [not built yet]");
        m += snprintf(names + m, sizeof names - (size_t)m, "%s%s", i ? ", " : "", engines[i].name);
    }

    vm_options_defaults(&opt, prog);
    opt.engine = default_engine;
    switch (vm_options_parse(&opt, argc, argv, err, sizeof err)) {
    case OPTIONS_HELP:
        vm_options_usage(stdout, prog, list);
        vm_options_free(&opt);
        return 0;
    case OPTIONS_ERROR:
        fprintf(stderr, "%s: error: %s\n", prog, err);
        fprintf(stderr, "Try '%s --help' for more information.\n", prog);
        vm_options_free(&opt);
        return VMM_STATUS_USAGE;
    }

    const struct engine_entry *e = NULL;
    for (int i = 0; i < nengines; i++)
        if (strcmp(engines[i].name, opt.engine) == 0)
            e = &engines[i];
    if (!e) {
        fprintf(stderr, "%s: error: unknown engine '%s' (this binary has: %s)\n", prog,
                opt.engine, names);
        fprintf(stderr, "Try '%s --help' for more information.\n", prog);
        vm_options_free(&opt);
        return VMM_STATUS_USAGE;
    }
    if (opt.check && strcmp(opt.engine, "bt") != 0) {
        fprintf(stderr, "%s: error: --check %s compares with --engine bt; engine '%s' has no "
                "lock-step mode\n", prog, opt.check, opt.engine);
        vm_options_free(&opt);
        return VMM_STATUS_USAGE;
    }
    /* --step is the visualizer's lecture mode: it implies --viz.  The
     * terminal is checked before anything else is done to it. */
    if (opt.step)
        opt.viz = true;
    if (opt.viz && viz_check(err, sizeof err) < 0) {
        fprintf(stderr, "%s: error: %s\n", prog, err);
        vm_options_free(&opt);
        return VMM_STATUS_USAGE;
    }

    /* --dot FILE: created before the run, so a bad path costs no guest run. */
    FILE *dot = NULL;
    if (opt.dot_file && !(dot = fopen(opt.dot_file, "w"))) {
        fprintf(stderr, "%s: error: cannot create DOT file '%s': %s\n", prog, opt.dot_file,
                strerror(errno));
        vm_options_free(&opt);
        return VMM_STATUS_USAGE;
    }

    struct vm *vm = NULL;
    int status = vm_create(&vm, &opt, e->ops ? e->ops : &unbuilt_engine, err, sizeof err);
    if (status == 0) {
        /* Ctrl-C, SIGHUP or the terminal going away stop the VM (status
         * 130, --stats still printed); a second Ctrl-C kills.  With the
         * screen up SIGTERM does too, so the terminal is restored. */
        if (hangup_arm(vm, opt.viz, err, sizeof err) < 0)
            fprintf(stderr, "%s: warning: %s\n", prog, err);
        struct viz *viz = NULL;
        if (opt.viz) {
            viz = viz_attach(vm, prog, e->name, opt.step, err, sizeof err);
            if (!viz) {
                fprintf(stderr, "%s: error: %s\n", prog, err);
                status = VMM_STATUS_USAGE;
            }
        }
        if (!opt.viz || viz)
            status = viz_detach(viz, vm_run(vm));
        hangup_disarm();
        if (status == VMM_STATUS_STOPPED && hangup_cause())
            fprintf(stderr, "%s: stopped: %s\n", prog, hangup_cause_name(hangup_cause()));
        if (dot)   /* the page walk at the end of the run (trace/dot.h) */
            dot_vm_page_walk(dot, vm_ram(vm), &vm_vcpu(vm)->cpu, opt.walk_set, opt.walk_addr);
    } else if (status == VMM_STATUS_ENGINE && !e->ops) {
        fprintf(stderr, "%s: error: engine '%s' is not built yet (%s)\n", prog, e->name,
                e->why_missing);
    } else {
        fprintf(stderr, "%s: error: %s\n", prog, err);
    }
    if (dot && fclose(dot) != 0 && status == 0) {
        fprintf(stderr, "%s: error: writing DOT file '%s': %s\n", prog, opt.dot_file,
                strerror(errno));
        status = VMM_STATUS_USAGE;
    }
    vm_destroy(vm);
    vm_options_free(&opt);
    return status;
}
