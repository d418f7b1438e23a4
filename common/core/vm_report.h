/*
 * vm_report.h — what the run loop remembers of each exit and what it
 * prints at the end (internal to the VM module: vm.c and vm_report.c).
 *
 *     vm_record_exit   every exit: the history ring (the last VM_HISTORY
 *                      exits), counts and handling cost per exit reason,
 *                      the trace ring, the observer (--viz)
 *     vm_fatal         a fatal end: the history decoded oldest first, the
 *                      vCPU registers, then the one-line reason
 *                      (docs/ARCHITECTURE.md §3)
 *     vm_print_stats   --stats: exits by SDM Vol. 3C Table C-1 reason, then
 *                      the devices' and the engine's counters
 */
#ifndef CORE_VM_REPORT_H
#define CORE_VM_REPORT_H

#include <stdio.h>
#include "core/vm_exit.h"

struct vm;

void vm_record_exit(struct vm *vm, struct vm_exit *e);
/* Prints the report of a fatal end on the VM's report stream; returns
 * status, so the run loop can end with `return vm_fatal(...)`. */
int vm_fatal(struct vm *vm, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void vm_print_stats(struct vm *vm, FILE *f);

#endif
