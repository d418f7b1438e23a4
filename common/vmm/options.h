/*
 * options.h — the command line every stage binary shares.
 *
 *   vmm-XX [--engine NAME] [--mem SIZE] [--module FILE]... [--initrd FILE]
 *          [--trace FILE]
 *          [--dot FILE [--walk ADDR]] [--viz] [--step] [--timeout SECONDS]
 *          [--stats] [ENGINE OPTIONS] IMAGE [-- CMDLINE...]
 *
 * The options above are everybody's.  An engine brings its own (stage 01's
 * bt: --bt-mode, --check; stage 03's vmx: --vmx-controls) in its entry of
 * the stage's engine table: a binary knows only the options of its own
 * engines, --help lists them under their engine, and a run accepts them
 * only with that engine.  Their values reach the engine through the VM's
 * options (vm_engine_option, core/vm.h); no stage reads argv itself.
 *
 * Bad input is explained in one line; the caller prints it as
 * "<prog>: error: <message>" plus a hint and exits with VMM_STATUS_USAGE.
 */
#ifndef VMM_OPTIONS_H
#define VMM_OPTIONS_H

#include <stdio.h>
#include <stdint.h>
#include "core/vm.h"

#define VM_DEFAULT_MEM   (64ull << 20)
#define VM_MIN_MEM       (2ull << 20)    /* 1 MiB low memory + room for a kernel */
#define VM_MAX_MEM       (3ull << 30)    /* below the 32-bit PCI/MMIO hole       */
#define VM_MAX_TIMEOUT_S (365.0 * 86400) /* --timeout: at most a year              */

/* One option of an engine's own.  Every engine option takes a value
 * (--name VALUE or --name=VALUE). */
struct engine_option {
    const char *name; /* "--bt-mode"                              */
    const char *arg;  /* the value in --help: "MODE"              */
    const char *help; /* --help text; '\n' starts a new line      */
    /* Is value good?  Called while parsing, before any VM exists, so a bad
     * value is a usage error (64).  0, or -1 with a one-line reason in err.
     * NULL: any non-empty value. */
    int (*check)(const char *value, char *err, size_t errlen);
};

/* One engine a stage binary offers (its table is passed to vmm_main). */
struct engine_entry {
    const char *name;                    /* --engine NAME                      */
    const struct engine_ops *ops;        /* NULL: not built yet                */
    const char *why_missing;             /* for ops == NULL: what will build it */
    const struct engine_option *options; /* its own, ended by { NULL }; may be NULL */
};

enum { OPTIONS_OK = 0, OPTIONS_HELP = 1, OPTIONS_ERROR = -1 };

/* No engine chosen (o->engine == NULL: the stage's default applies). */
void vm_options_defaults(struct vm_options *o, const char *prog);
/* Parse argv (argv[0] is skipped) against the shared options and those of
 * the n engines.  OPTIONS_OK, OPTIONS_HELP (--help seen: print
 * vm_options_usage and exit 0) or OPTIONS_ERROR with the reason in err. */
int vm_options_parse(struct vm_options *o, const struct engine_entry *engines, int n, int argc,
                     char **argv, char *err, size_t errlen);
/* Once the engine e (one of the n engines) is known: every engine option
 * given must be e's own.  0, or -1 with the reason in err. */
int vm_options_check_engine(const struct vm_options *o, const struct engine_entry *engines, int n,
                            const struct engine_entry *e, char *err, size_t errlen);
/* The --help text: the shared options, then each engine (* = dflt) with
 * its summary and its own options. */
void vm_options_usage(FILE *out, const char *prog, const struct engine_entry *engines, int n,
                      const char *dflt);
void vm_options_free(struct vm_options *o);

/* "64M", "1G", "4096K", "2097152B"; a bare number means MiB (like QEMU -m).
 * 0 on success, -1 if it is not a size. */
int parse_size(const char *s, uint64_t *out);

#endif
