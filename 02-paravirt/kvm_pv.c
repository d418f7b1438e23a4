/*
 * kvm_pv.c — KVM's paravirtual CPUID leaves and kvmclock for a Linux guest
 * (kvm_pv.h; Linux Documentation/virt/kvm/x86/cpuid.rst and msr.rst).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include "02-paravirt/kvm_pv.h"
#include "02-paravirt/pvclock.h"
#include "core/guest_ram.h"
#include "core/irqchip.h"
#include "x86/cpu.h"

struct kvm_pv_stats {
    uint64_t cpuid;        /* CPUID of leaves 0x40000000-1 answered    */
    uint64_t wall_writes;  /* MSR_KVM_WALL_CLOCK_NEW records written    */
    uint64_t time_writes;  /* MSR_KVM_SYSTEM_TIME_NEW records written   */
    uint64_t ignored;      /* addresses not written (kvm_pv.h)          */
    uint64_t eoi_offered;  /* interrupts whose EOI the guest could skip */
    uint64_t steal_writes; /* steal-time records written               */
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
    uint64_t eoi_msr, steal_msr;
    uint32_t *eoi_word; /* the guest's PV EOI flag (bit 0), NULL: off  */
    uint32_t eoi_gpa;
    struct kvm_steal_time *steal; /* the guest's record, NULL: off     */
    uint32_t steal_gpa;
    int schedstat;       /* /proc/thread-self/schedstat of the vCPU thread */
    uint64_t run_delay;  /* its run delay (ns) when last accounted         */
    uint64_t steal_next; /* VM clock of the next update                    */
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
        out[0] = 1u << KVM_FEATURE_CLOCKSOURCE2 | 1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT |
                 1u << KVM_FEATURE_STEAL_TIME | 1u << KVM_FEATURE_PV_EOI;
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

/* ---- PV EOI (msr.rst; the protocol is core/irqchip.h's) ------------------ */
/* The guest's flag: bit 0 of its word, which it clears with one
 * instruction (btr) while we change it only when it is not running. */
static bool eoi_flag(void *ctx)
{
    struct kvm_pv *k = ctx;
    return !k->eoi_word || (__atomic_load_n(k->eoi_word, __ATOMIC_RELAXED) & 1);
}
static void eoi_withdraw(void *ctx)
{
    struct kvm_pv *k = ctx;
    if (k->eoi_word && (*k->eoi_word & 1)) {
        __atomic_fetch_and(k->eoi_word, ~1u, __ATOMIC_RELAXED);
        written(k, k->eoi_gpa, 4);
    }
}
static void steal_update(struct kvm_pv *k);
static bool eoi_delivered(void *ctx, int vector, bool may_skip)
{
    struct kvm_pv *k = ctx;
    (void)vector;
    steal_update(k); /* an interrupt: the guest's tick may read steal time */
    if (!k->eoi_word || !may_skip)
        return false;
    __atomic_fetch_or(k->eoi_word, 1u, __ATOMIC_RELAXED);
    written(k, k->eoi_gpa, 4);
    k->st.eoi_offered++;
    return true;
}
static const struct irqchip_pv_ops eoi_ops = { eoi_delivered, eoi_flag, eoi_withdraw };

/* Bit 0 enable, bit 1 reserved, the rest a 4-byte aligned address in RAM
 * (KVM's kvm_lapic_set_pv_eoi answers anything else with #GP). */
static int eoi_enable(struct kvm_pv *k, uint64_t v)
{
    uint32_t *w = NULL;
    if (v & 2)
        return X86_EXT_GP;
    if ((v & 1) && !(w = record(k, v & ~(uint64_t)3, 4, 4)))
        return X86_EXT_GP;
    eoi_withdraw(k); /* the old word stands for nothing from now on */
    k->eoi_msr = v;
    k->eoi_word = w;
    k->eoi_gpa = (uint32_t)(v & ~(uint64_t)3);
    return X86_EXT_OK;
}

/* ---- steal time (msr.rst, MSR_KVM_STEAL_TIME) ----------------------------- */
/* Our thread's run delay (pvclock.h), false if the host does not say. */
static bool run_delay(struct kvm_pv *k, uint64_t *ns)
{
    char buf[96];
    ssize_t n = k->schedstat < 0 ? -1 : pread(k->schedstat, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return false;
    buf[n] = 0;
    return pvclock_parse_schedstat(buf, ns) == 0;
}

/* At an interrupt, no more often than every STEAL_EVERY_NS (a read of
 * schedstat costs a system call): the run delay since the last update goes
 * into the guest's record, as KVM's record_steal_time does at entry. */
#define STEAL_EVERY_NS 4000000u
static void steal_update(struct kvm_pv *k)
{
    uint64_t now, d;
    if (!k->steal || (now = vm_clock_ns(k->v->vm)) < k->steal_next)
        return;
    k->steal_next = now + STEAL_EVERY_NS;
    if (!run_delay(k, &d) || d <= k->run_delay)
        return;
    pvclock_add_steal(k->steal, d - k->run_delay);
    written(k, k->steal_gpa, sizeof *k->steal);
    k->run_delay = d;
    k->st.steal_writes++;
}

/* Bit 0 enable, bits 5:1 reserved (#GP), bits 63:6 the record's address:
 * 64-byte aligned.  A record outside RAM is ignored, as KVM's is.  The
 * vCPU thread writes the MSR, so /proc/thread-self is the vCPU's. */
static int steal_enable(struct kvm_pv *k, uint64_t v)
{
    if (v & 0x3e)
        return X86_EXT_GP;
    k->steal_msr = v;
    k->steal = NULL;
    if (!(v & 1))
        return X86_EXT_OK;
    k->steal_gpa = (uint32_t)(v & ~(uint64_t)63);
    if (!(k->steal = record(k, v & ~(uint64_t)63, sizeof *k->steal, 64))) {
        k->st.ignored++;
        return X86_EXT_OK;
    }
    if (k->schedstat < 0)
        k->schedstat = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    if (!run_delay(k, &k->run_delay))
        k->run_delay = 0;
    k->steal_next = 0;
    pvclock_add_steal(k->steal, 0);
    written(k, k->steal_gpa, sizeof *k->steal);
    return X86_EXT_OK;
}

static int pv_rdmsr(void *ctx, uint32_t msr, uint64_t *v)
{
    struct kvm_pv *k = ctx;
    if (msr == MSR_KVM_WALL_CLOCK_NEW)
        *v = k->wall_msr;
    else if (msr == MSR_KVM_SYSTEM_TIME_NEW)
        *v = k->time_msr;
    else if (msr == MSR_KVM_PV_EOI_EN)
        *v = k->eoi_msr;
    else if (msr == MSR_KVM_STEAL_TIME)
        *v = k->steal_msr;
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
    } else if (msr == MSR_KVM_PV_EOI_EN) {
        return eoi_enable(k, v);
    } else if (msr == MSR_KVM_STEAL_TIME) {
        return steal_enable(k, v);
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
    k->schedstat = -1;
    v->cpu.ext = &k->ext;
    vm_set_apic_pv(v->vm, &eoi_ops, k);
    return 0;
}

void kvm_pv_detach(struct vcpu *v)
{
    if (!v->cpu.ext || v->cpu.ext->cpuid != pv_cpuid)
        return;
    struct kvm_pv *k = v->cpu.ext->ctx;
    vm_set_apic_pv(v->vm, NULL, NULL);
    if (k->schedstat >= 0)
        close(k->schedstat);
    free(k);
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
    uint64_t by_write, by_pv;
    vm_apic_eoi_counts(k->v->vm, &by_write, &by_pv);
    fprintf(out,
            "kvm-pv: PV EOI %s at 0x%x: %llu interrupts offered it, %llu PV EOIs, %llu EOIs by "
            "APIC write\n",
            k->eoi_word ? "on" : "off", k->eoi_gpa, (unsigned long long)k->st.eoi_offered,
            (unsigned long long)by_pv, (unsigned long long)by_write);
    fprintf(out, "kvm-pv: steal time %s at 0x%x: %llu ns reported in %llu records\n",
            k->steal ? "on" : "off", k->steal_gpa,
            (unsigned long long)(k->steal ? k->steal->steal : 0),
            (unsigned long long)k->st.steal_writes);
}
