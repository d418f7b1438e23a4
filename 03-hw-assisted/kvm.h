/*
 * kvm.h — the KVM engine ("--engine kvm"): the guest runs on the real CPU
 * in VMX non-root mode (or, on this project's PVM hosts, on KVM's PVM back
 * end), and Linux's KVM API hands every exit to us (kvmtool-style).
 */
#ifndef HW_KVM_H
#define HW_KVM_H

#include <stdbool.h>
#include <linux/kvm.h>
#include "core/engine.h"

extern const struct engine_ops kvm_engine;

/* Can KVM be used here?  0 = yes; -1 with a one-line reason in why. */
int kvm_available(char *why, size_t len);
/* Is /dev/kvm provided by PVM (kvm_pvm)?  PVM runs guests without VT-x and
 * cannot run a 32-bit guest with paging on (CR0.PG outside long mode #GPs),
 * which rules out the teaching guest. */
bool kvm_is_pvm(void);

/* kvm_exit.c: the exit KVM_RUN left in run as a struct vm_exit (cpu: the
 * guest state read back, for EIP).  KVM_X_EXIT: hand *exit to the core;
 * KVM_X_AGAIN: run again (a kick); KVM_X_ERROR: engine error, *exit says
 * why.  An exit that needs an answer (IN, MMIO read) gets it back into
 * run, from the exit the core filled, before the next KVM_RUN. */
enum { KVM_X_EXIT, KVM_X_AGAIN, KVM_X_ERROR };
int kvm_exit_decode(struct kvm_run *run, const struct x86_cpu *cpu, struct vm_exit *exit);
bool kvm_exit_needs_answer(const struct vm_exit *exit);
void kvm_exit_answer(struct kvm_run *run, const struct vm_exit *exit);

#endif
