/*
 * kvm_pv.h — KVM's paravirtual interface for an unmodified Linux guest
 * (stage 02, `--pv-linux on`): Linux already knows how to run faster under
 * KVM, and finds KVM the way every guest finds its hypervisor, by CPUID
 * (Linux Documentation/virt/kvm/x86/cpuid.rst):
 *
 *   0x40000000  EAX = 0x40000001 (the highest KVM leaf),
 *               EBX ECX EDX = "KVMKVMKVM\0\0\0"
 *   0x40000001  EAX = the PV features offered: here KVM_FEATURE_CLOCKSOURCE2
 *               (bit 3: kvmclock at the MSRs below), KVM_FEATURE_STEAL_TIME
 *               (bit 5), KVM_FEATURE_PV_EOI (bit 6) and
 *               KVM_FEATURE_CLOCKSOURCE_STABLE_BIT (bit 24: the record's
 *               PVCLOCK_TSC_STABLE_BIT may be trusted); EDX = hints, 0
 *
 * and kvmclock behind two MSRs (Documentation/virt/kvm/x86/msr.rst):
 *
 *   MSR_KVM_WALL_CLOCK_NEW  0x4b564d00  write a guest-physical address: the
 *                           VMM writes the wall-clock time of system_time 0
 *                           there (struct pvclock_wall_clock, pvclock.h)
 *   MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01  bit 0 enable, the rest the guest-
 *                           physical address of struct pvclock_time_info,
 *                           which the VMM fills with (guest TSC, ns) and the
 *                           TSC-to-ns scale
 *   MSR_KVM_STEAL_TIME      0x4b564d03  bit 0 enable, bits 63:6 the address of
 *                           struct kvm_steal_time (pvclock.h): the VMM adds
 *                           there the time its vCPU thread waited, runnable,
 *                           for a host CPU (its run delay), at interrupts,
 *                           at most every 4 ms; bits 5:1 set: #GP
 *   MSR_KVM_PV_EOI_EN       0x4b564d04  bit 0 enable, bits 63:2 the address of
 *                           a 4-byte word whose bit 0 the VMM sets when the
 *                           guest may skip the EOI of the interrupt it
 *                           delivers (core/irqchip.h has the protocol); bit 1
 *                           or a word outside RAM: #GP, as KVM answers
 *
 * The VMM writes the time record once, when the guest enables it (and
 * again if the guest moves it): with the stable bit the guest extrapolates
 * from the TSC for good, as it does under KVM's master clock.  Records at a
 * misaligned address, outside RAM or across a page are not written (KVM
 * ignores addresses it cannot map the same way); the MSR still reads back.
 * Everything is per vCPU (struct x86_cpu_ext, x86/cpu.h): a VM without
 * the option keeps the plain i686 and leaf 0x40000000 "vmlabvmlabvm".
 */
#ifndef PARAVIRT_KVM_PV_H
#define PARAVIRT_KVM_PV_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "core/vm.h"

#define KVM_CPUID_SIGNATURE                0x40000000u
#define KVM_CPUID_FEATURES                 0x40000001u
#define KVM_FEATURE_CLOCKSOURCE2           3
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT 24
#define MSR_KVM_WALL_CLOCK_NEW             0x4b564d00u
#define MSR_KVM_SYSTEM_TIME_NEW            0x4b564d01u
#define KVM_FEATURE_STEAL_TIME             5
#define KVM_FEATURE_PV_EOI                 6
#define MSR_KVM_STEAL_TIME                 0x4b564d03u
#define MSR_KVM_PV_EOI_EN                  0x4b564d04u

/* The option of every engine that offers it ("--pv-linux on|off"), for
 * an engine table (vmm/options.h). */
int kvm_pv_check_option(const char *v, char *err, size_t len);
#define KVM_PV_OPTION \
    { \
        "--pv-linux", "on|off", \
            "show Linux KVM's paravirtual interface: CPUID 0x40000000\n" \
            "\"KVMKVMKVM\", kvmclock, PV EOI, steal time (02-paravirt/README.md)", \
            kvm_pv_check_option \
    }

/* The VMM wrote guest RAM [gpa, gpa+len): the engine forgets code decoded
 * there (NULL: nothing to forget). */
typedef void kvm_pv_invalidate_fn(struct vcpu *v, uint32_t gpa, uint32_t len);

/* If v's VM was given --pv-linux on, show the interface to v: 0, or -1 with
 * a one-line reason in err.  kvm_pv_detach undoes it (safe without). */
int kvm_pv_attach(struct vcpu *v, kvm_pv_invalidate_fn *invalidate, char *err, size_t errlen);
void kvm_pv_detach(struct vcpu *v);
/* The "kvm-pv:" lines of --stats (nothing without the interface). */
void kvm_pv_print_stats(const struct vcpu *v, FILE *out);

/* The host TSC's rate in Hz, measured against CLOCK_MONOTONIC over ms
 * milliseconds; 0 if the clocks make no sense. */
uint64_t kvm_pv_measure_tsc_hz(unsigned ms);

#endif
