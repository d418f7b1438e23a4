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
/* KVM_EXIT_DEBUG from --kvm-controls step (KVM_GUESTDBG_SINGLESTEP: #DB
 * with DR6.BS) is reported as reason 37, monitor trap flag: the VT-x
 * control made for a VMM single-stepping its guest (SDM Vol. 3C §26.5.2),
 * an exit after each instruction with EIP at the next one.  KVM itself
 * sets RFLAGS.TF and intercepts #DB (exception bitmap bit 1). */
int kvm_exit_decode(struct kvm_run *run, const struct x86_cpu *cpu, struct vm_exit *exit);
bool kvm_exit_needs_answer(const struct vm_exit *exit);
void kvm_exit_answer(struct kvm_run *run, const struct vm_exit *exit);

/* Every return of KVM_RUN, counted once (kvm_exit.c): by KVM_EXIT_* code,
 * or as a kick (the timer signal: EINTR before the guest ran, or
 * KVM_EXIT_INTR from inside it).  Every return that is not a kick is one
 * exit handed to the core loop, so the core's exit count is
 * sum(kvm_exits) - kvm_exits[KVM_EXIT_INTR] + stops. */
#define KVM_EXIT_CODES 40
struct kvm_stats {
    uint64_t kvm_exits[KVM_EXIT_CODES]; /* returns by KVM_EXIT_* code       */
    uint64_t eintr;                     /* KVM_RUN -1 EINTR/EAGAIN: a kick  */
    uint64_t kicks;                     /* eintr + kvm_exits[KVM_EXIT_INTR] */
    uint64_t handed;                    /* exits handed to the core loop    */
    uint64_t stops;                     /* exits made up for a stop request (no KVM_RUN) */
    uint64_t injected;                  /* KVM_INTERRUPT calls                */
    uint64_t string_io;                 /* REP INS/OUTS batches handed over  */
};
/* Count one return of KVM_RUN: r its result (-1: interrupted before or
 * without an exit), reason run->exit_reason.  True for a kick (run again),
 * false for an exit to hand to the core. */
bool kvm_count_return(struct kvm_stats *st, int r, uint32_t reason);
/* The engine's part of --stats; "KVM (PVM)" only when pvm. */
void kvm_print_exit_stats(const struct kvm_stats *st, bool pvm, FILE *out);

#endif
