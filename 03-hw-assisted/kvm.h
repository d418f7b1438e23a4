/*
 * kvm.h — the KVM engine ("--engine kvm"): the guest runs on the real CPU
 * in VMX non-root mode (or, on this project's PVM hosts, on KVM's PVM back
 * end), and Linux's KVM API hands every exit to us (kvmtool-style).
 */
#ifndef HW_KVM_H
#define HW_KVM_H

#include <stdbool.h>
#include "core/engine.h"

extern const struct engine_ops kvm_engine;

/* Can KVM be used here?  0 = yes; -1 with a one-line reason in why. */
int kvm_available(char *why, size_t len);
/* Is /dev/kvm provided by PVM (kvm_pvm)?  PVM runs guests without VT-x and
 * cannot run a 32-bit guest with paging on (CR0.PG outside long mode #GPs),
 * which rules out the teaching guest. */
bool kvm_is_pvm(void);

#endif
