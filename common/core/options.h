/*
 * options.h — the command line every stage binary shares (docs/ARCHITECTURE.md §6).
 *
 *   vmm-XX [--engine NAME] [--mem SIZE] [--module FILE]... [--trace FILE]
 *          [--viz] [--step] [--timeout SECONDS] [--stats] IMAGE [-- CMDLINE...]
 *
 * Bad input is explained in one line; the caller prints it as
 * "<prog>: error: <message>" plus a hint and exits with VMM_STATUS_USAGE.
 */
#ifndef CORE_OPTIONS_H
#define CORE_OPTIONS_H

#include <stdio.h>
#include <stdint.h>
#include "core/vm.h"

#define VM_DEFAULT_MEM   (64ull << 20)
#define VM_MIN_MEM       (2ull << 20)    /* 1 MiB low memory + room for a kernel */
#define VM_MAX_MEM       (3ull << 30)    /* below the 32-bit PCI/MMIO hole       */
#define VM_MAX_TIMEOUT_S (365.0 * 86400) /* --timeout: at most a year              */

enum { OPTIONS_OK = 0, OPTIONS_HELP = 1, OPTIONS_ERROR = -1 };

void vm_options_defaults(struct vm_options *o, const char *prog);
/* Parse argv (argv[0] is skipped).  OPTIONS_OK, OPTIONS_HELP (--help seen:
 * print vm_options_usage and exit 0) or OPTIONS_ERROR with the reason in err. */
int  vm_options_parse(struct vm_options *o, int argc, char **argv, char *err, size_t errlen);
/* The --help text; engines is one line per engine (may be NULL). */
void vm_options_usage(FILE *out, const char *prog, const char *engines);
void vm_options_free(struct vm_options *o);

/* "64M", "1G", "4096K", "2097152B"; a bare number means MiB (like QEMU -m).
 * 0 on success, -1 if it is not a size. */
int  parse_size(const char *s, uint64_t *out);

#endif
