/*
 * pvclock.h — the shared-memory clock of KVM's paravirtual interface
 * ("kvmclock", Linux Documentation/virt/kvm/x86/msr.rst): the VMM writes
 * into guest memory a pair (TSC value, time in ns) and a factor that turns
 * TSC ticks into ns, and the guest reads the time with RDTSC and a
 * multiplication — no VM exit per clock read.
 *
 * The layouts are the ABI's (msr.rst, MSR_KVM_SYSTEM_TIME_NEW and
 * MSR_KVM_WALL_CLOCK_NEW), little-endian, in guest-physical memory.  Every
 * record starts with a version: odd while the VMM is writing, even when
 * done, so a reader that sees it odd or changed across its read retries.
 * These functions work on a host pointer to the record and know nothing
 * of a VM (kvm_pv.h does the MSRs), so a unit test can run them on a
 * buffer.
 */
#ifndef PARAVIRT_PVCLOCK_H
#define PARAVIRT_PVCLOCK_H

#include <stdint.h>

/* struct pvclock_vcpu_time_info: 32 bytes. */
struct pvclock_time_info {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp; /* guest TSC when system_time was taken    */
    uint64_t system_time;   /* ns since the VM's clock started          */
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags; /* PVCLOCK_TSC_STABLE_BIT, ...               */
    uint8_t pad[2];
};
/* struct pvclock_wall_clock: 12 bytes, the wall-clock time at system_time 0. */
struct pvclock_wall_clock {
    uint32_t version;
    uint32_t sec;
    uint32_t nsec;
};

/* struct kvm_steal_time (msr.rst, MSR_KVM_STEAL_TIME): 64 bytes, 64-byte
 * aligned.  steal: ns the vCPU was runnable on the host but not running
 * (another thread had its CPU), summed since the guest enabled it; the
 * guest's scheduler shows it as "steal" (/proc/stat's 8th column).
 * preempted: the vCPU is not running now (we never say so: 0). */
struct kvm_steal_time {
    uint64_t steal;
    uint32_t version;
    uint32_t flags;
    uint8_t preempted;
    uint8_t u8_pad[3];
    uint32_t pad[11];
};

#define PVCLOCK_TSC_STABLE_BIT (1u << 0) /* the TSC is the same on every vCPU, never backwards */

/* The scale from a counter at from_hz to one at to_hz: a delta d becomes
 * (d << shift, or >> -shift) * mul >> 32, with mul in [2^31, 2^32) for the
 * most precision.  0, or -1 if the shift would not fit in -31..31. */
int pvclock_scale(uint64_t from_hz, uint64_t to_hz, uint32_t *mul, int8_t *shift);
/* The reader's side: delta scaled by mul/shift (the guest's computation). */
uint64_t pvclock_scale_delta(uint64_t delta, uint32_t mul, int8_t shift);

/* Write a time record at ti (guest memory): the version odd first, the
 * fields, then the version even (two more than an even one before). */
void pvclock_write_time(struct pvclock_time_info *ti, uint64_t tsc, uint64_t system_ns,
                        uint32_t mul, int8_t shift, uint8_t flags);
/* Write the wall-clock record at wc: the time of system_time 0, i.e.
 * realtime_ns (now, since the epoch) minus system_ns (now, VM clock). */
void pvclock_write_wall(struct pvclock_wall_clock *wc, uint64_t realtime_ns, uint64_t system_ns);
/* Add ns to a steal-time record at st (guest memory), under the version
 * protocol (0 only bumps the version). */
void pvclock_add_steal(struct kvm_steal_time *st, uint64_t ns);
/* The host's side of steal time: the run delay (ns a thread waited,
 * runnable, for a CPU) from the text of /proc/<pid>/task/<tid>/schedstat,
 * "<cpu time ns> <run delay ns> <timeslices>" (Linux Documentation/
 * scheduler/sched-stats.rst).  0, or -1 if the text is not that. */
int pvclock_parse_schedstat(const char *text, uint64_t *run_delay_ns);
/* The version protocol's two halves (pvclock_write_* use them): begin
 * makes *version odd, end makes it even; stores ordered around them. */
void pvclock_begin(uint32_t *version);
void pvclock_end(uint32_t *version);

#endif
