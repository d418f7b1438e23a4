/*
 * vmm_main.c — option parsing, engine choice and the VM's life for every
 * stage binary (see vmm_main.h).
 */
#include "vmm/vmm_main.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "core/console_in.h"
#include "core/hangup.h"
#include "vmm/options.h"
#include "core/vm.h"
#include "viz/viz.h"
#include "trace/dot.h"
#include "x86/paging.h"

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

/* The stage's default engine: chosen by the host (with a note on why) or
 * fixed.  The note is said only when the user left the choice to us. */
static const char *default_engine(const struct vmm_stage *st, bool say_why)
{
    char note[256] = "";
    if (!st->pick_engine)
        return st->default_engine;
    const char *name = st->pick_engine(note, sizeof note);
    if (say_why && note[0])
        fprintf(stderr, "%s: note: %s\n", st->prog, note);
    return name;
}

/* Parse the command line and find the engine.  Returns -1 to go on (*e
 * set), else the process status (0 after --help). */
static int parse_command_line(const struct vmm_stage *st, struct vm_options *opt, int argc,
                              char **argv, const struct engine_entry **e)
{
    const char *prog = st->prog;
    char err[512] = "";
    switch (vm_options_parse(opt, st->engines, st->nengines, argc, argv, err, sizeof err)) {
    case OPTIONS_HELP:
        vm_options_usage(stdout, prog, st->engines, st->nengines, default_engine(st, false));
        return 0;
    case OPTIONS_ERROR:
        fprintf(stderr, "%s: error: %s\n", prog, err);
        fprintf(stderr, "Try '%s --help' for more information.\n", prog);
        return VMM_STATUS_USAGE;
    }
    if (!opt->engine)
        opt->engine = default_engine(st, true);

    char names[256] = "";
    *e = NULL;
    for (int i = 0, m = 0; i < st->nengines; i++) {
        if (strcmp(st->engines[i].name, opt->engine) == 0)
            *e = &st->engines[i];
        m += snprintf(names + m, sizeof names - (size_t)m, "%s%s", i ? ", " : "",
                      st->engines[i].name);
    }
    if (!*e)
        snprintf(err, sizeof err, "unknown engine '%s' (this binary has: %s)", opt->engine, names);
    if (!*e || vm_options_check_engine(opt, st->engines, st->nengines, *e, err, sizeof err) < 0) {
        fprintf(stderr, "%s: error: %s\n", prog, err);
        fprintf(stderr, "Try '%s --help' for more information.\n", prog);
        return VMM_STATUS_USAGE;
    }
    return -1;
}

int vmm_main(const struct vmm_stage *stage, int argc, char **argv)
{
    const char *prog = stage->prog;
    struct vm_options opt;
    const struct engine_entry *e = NULL;
    char err[512] = "";

    vm_options_defaults(&opt, prog);
    int rc = parse_command_line(stage, &opt, argc, argv, &e);
    if (rc >= 0) {
        vm_options_free(&opt);
        return rc;
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
        /* stdin types into the serial console (raw mode on a terminal,
         * restored on every way out); under --viz the keyboard is the
         * visualizer's. */
        struct console_in cin = { .fd = -1 };
        if (!opt.viz) {
            if (console_in_start(&cin, 0, err, sizeof err) < 0)
                fprintf(stderr, "%s: warning: %s\n", prog, err);
            vm_set_console_input(vm, &cin);
        }
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
        if (!opt.viz) {
            vm_set_console_input(vm, NULL);
            console_in_stop(&cin);
        }
        hangup_disarm();
        if (status == VMM_STATUS_STOPPED && hangup_cause())
            fprintf(stderr, "%s: stopped: %s\n", prog, hangup_cause_name(hangup_cause()));
        struct pt_walk pf;
        uint32_t pf_cr3;
        /* An engine that walks in two dimensions (EPT) draws that walk. */
        bool drawn = dot && opt.walk_set && e->ops->dot_walk &&
                     e->ops->dot_walk(vm_vcpu(vm), dot, opt.walk_addr);
        if (dot && !drawn && vm_fault_walk(vm, &pf, &pf_cr3)) /* the last #PF's (trace/dot.h) */
            dot_fault_walk(dot, &pf, pf_cr3);
        else if (dot && !drawn) /* the page walk at the end of the run */
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
