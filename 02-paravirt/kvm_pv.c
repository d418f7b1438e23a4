/*
 * kvm_pv.c — KVM's paravirtual CPUID leaves and kvmclock for a Linux guest
 * (kvm_pv.h; Linux Documentation/virt/kvm/x86/cpuid.rst and msr.rst).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>
#include "02-paravirt/kvm_pv.h"
#include "02-paravirt/pvclock.h"
#include "core/guest_ram.h"
#include "x86/cpu.h"

struct kvm_pv_stats {
    uint64_t cpuid;       /* CPUID of leaves 0x40000000-1 answered    */
    uint64_t wall_writes; /* MSR_KVM_WALL_CLOCK_NEW records written    */
    uint64_t time_writes; /* MSR_KVM_SYSTEM_TIME_NEW records written   */
    uint64_t ignored;     /* addresses not written (kvm_pv.h)          */
};

struct kvm_pv {
    struct x86_cpu_ext ext; /* v->cpu.ext points here */
    struct vcpu *v;
    kvm_pv_invalidate_fn *invalidate;
    uint64_t tsc_hz; /* the host TSC's rate (the guest's: same, offset only) */
    uint32_t mul;    /* TSC ticks to ns (pvclock.h)                          */
    int8_t shift;
    uint64_t t0;       /* VM clock when the interface came up: system_time 0 */
    uint64_t wall_msr; /* last values written, as RDMSR returns them */
    uint64_t time_msr;
    struct kvm_pv_stats st;
};

int kvm_pv_check_option(const char *v, char *err, size_t len)
{
    if (strcmp(v, "on") && strcmp(v, "off")) {
        snprintf(err, len, "--pv-linux '%s': expected 'on' or 'off'", v);
        return -1;
    }
    return 0;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Each end of the interval is a TSC read bracketing a clock read; the
 * midpoint of the two TSC reads is taken as the TSC at the clock read. */
uint64_t kvm_pv_measure_tsc_hz(unsigned ms)
{
    uint64_t a0 = __rdtsc(), n0 = mono_ns(), b0 = __rdtsc();
    struct timespec d = { ms / 1000, (long)(ms % 1000) * 1000000 };
    nanosleep(&d, NULL);
    uint64_t a1 = __rdtsc(), n1 = mono_ns(), b1 = __rdtsc();
    uint64_t tsc = (a1 + (b1 - a1) / 2) - (a0 + (b0 - a0) / 2), ns = n1 - n0;
    if (ns == 0 || b1 <= a0)
        return 0;
    return (uint64_t)((unsigned __int128)tsc * 1000000000u / ns);
}

/* ---- CPUID (cpuid.rst) ------------------------------------------------- */
static bool pv_cpuid(void *ctx, uint32_t leaf, uint32_t out[4])
{
    struct kvm_pv *k = ctx;
    if (leaf == KVM_CPUID_SIGNATURE) {
        static const char sig[12] = "KVMKVMKVM\0\0\0";
        out[0] = KVM_CPUID_FEATURES;
        memcpy(&out[1], sig, 4);
        memcpy(&out[2], sig + 4, 4);
        memcpy(&out[3], sig + 8, 4);
    } else if (leaf == KVM_CPUID_FEATURES) {
        out[0] = 1u << KVM_FEATURE_CLOCKSOURCE2 | 1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT;
        out[1] = out[2] = out[3] = 0; /* EDX: no hints (KVM_HINTS_REALTIME) */
    } else {
        return false;
    }
    k->st.cpuid++;
    return true;
}

/* ---- kvmclock (msr.rst) -------------------------------------------------- */
/* The host pointer of a record of len bytes at gpa: naturally aligned
 * (align), in RAM and within one page, else NULL. */
static void *record(struct kvm_pv *k, uint64_t gpa, uint32_t len, uint32_t align)
{
    if (gpa % align || (gpa & 0xfff) + len > 0x1000)
        return NULL;
    return gpa_to_hva(vm_ram(k->v->vm), gpa, len);
}

static uint64_t system_ns(struct kvm_pv *k) { return vm_clock_ns(k->v->vm) - k->t0; }

static void written(struct kvm_pv *k, uint64_t gpa, uint32_t len)
{
    if (k->invalidate)
        k->invalidate(k->v, (uint32_t)gpa, len);
}

static void write_wall(struct kvm_pv *k, uint64_t gpa)
{
    struct pvclock_wall_clock *wc = record(k, gpa, sizeof *wc, 4);
    if (!wc) {
        k->st.ignored++;
        return;
    }
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    uint64_t now = (uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec;
    pvclock_write_wall(wc, now, system_ns(k));
    written(k, gpa, sizeof *wc);
    k->st.wall_writes++;
}

/* The pair (guest TSC, ns) is read back to back, the TSC second, so the
 * record's time is at most the read's cost behind its TSC. */
static void write_time(struct kvm_pv *k, uint64_t gpa)
{
    struct pvclock_time_info *ti = record(k, gpa, sizeof *ti, 8);
    if (!ti) {
        k->st.ignored++;
        return;
    }
    uint64_t ns = system_ns(k);
    uint64_t tsc = __rdtsc() + k->v->cpu.tsc_offset;
    pvclock_write_time(ti, tsc, ns, k->mul, k->shift, PVCLOCK_TSC_STABLE_BIT);
    written(k, gpa, sizeof *ti);
    k->st.time_writes++;
}

static int pv_rdmsr(void *ctx, uint32_t msr, uint64_t *v)
{
    struct kvm_pv *k = ctx;
    if (msr == MSR_KVM_WALL_CLOCK_NEW)
        *v = k->wall_msr;
    else if (msr == MSR_KVM_SYSTEM_TIME_NEW)
        *v = k->time_msr;
    else
        return X86_EXT_NONE;
    return X86_EXT_OK;
}

static int pv_wrmsr(void *ctx, uint32_t msr, uint64_t v)
{
    struct kvm_pv *k = ctx;
    if (msr == MSR_KVM_WALL_CLOCK_NEW) {
        k->wall_msr = v;
        write_wall(k, v);
    } else if (msr == MSR_KVM_SYSTEM_TIME_NEW) {
        k->time_msr = v;
        if (v & 1) /* bit 0: enable, bits 63:1 the address */
            write_time(k, v & ~(uint64_t)1);
    } else {
        return X86_EXT_NONE;
    }
    return X86_EXT_OK;
}

/* ---- life cycle ---------------------------------------------------------- */
int kvm_pv_attach(struct vcpu *v, kvm_pv_invalidate_fn *invalidate, char *err, size_t errlen)
{
    const char *opt = vm_engine_option(v->vm, "--pv-linux");
    if (!opt || strcmp(opt, "on"))
        return 0;
    struct kvm_pv *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, errlen, "--pv-linux: out of memory");
        return -1;
    }
    k->tsc_hz = kvm_pv_measure_tsc_hz(50);
    if (pvclock_scale(k->tsc_hz, 1000000000u, &k->mul, &k->shift) < 0) {
        snprintf(err, errlen, "--pv-linux: the host TSC's rate (%llu Hz) cannot be scaled to ns",
                 (unsigned long long)k->tsc_hz);
        free(k);
        return -1;
    }
    k->ext = (struct x86_cpu_ext){ pv_cpuid, pv_rdmsr, pv_wrmsr, k };
    k->v = v;
    k->invalidate = invalidate;
    k->t0 = vm_clock_ns(v->vm);
    v->cpu.ext = &k->ext;
    return 0;
}

void kvm_pv_detach(struct vcpu *v)
{
    if (!v->cpu.ext || v->cpu.ext->cpuid != pv_cpuid)
        return;
    free(v->cpu.ext->ctx);
    v->cpu.ext = NULL;
}

void kvm_pv_print_stats(const struct vcpu *v, FILE *out)
{
    if (!v->cpu.ext || v->cpu.ext->cpuid != pv_cpuid)
        return;
    const struct kvm_pv *k = v->cpu.ext->ctx;
    fprintf(out, "kvm-pv: host TSC %llu Hz, scale mul %u shift %d\n", (unsigned long long)k->tsc_hz,
            k->mul, k->shift);
    fprintf(out,
            "kvm-pv: %llu CPUID of leaves 0x4000000x, kvmclock records written: %llu time, "
            "%llu wall clock, %llu ignored\n",
            (unsigned long long)k->st.cpuid, (unsigned long long)k->st.time_writes,
            (unsigned long long)k->st.wall_writes, (unsigned long long)k->st.ignored);
}
