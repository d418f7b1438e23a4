/* test_pvclock.c — kvmclock (stage 02, 02-paravirt/pvclock.h and
 * kvm_pv.h): the TSC-to-ns scale against the guest's own computation, the
 * version protocol of the records, the wall clock; then KVM's CPUID leaves
 * and MSRs on a VM with --pv-linux on (a fake VM clock), bad addresses,
 * and a VM without the option beside it keeping the plain i686; PV EOI
 * through the local APIC (flag set, taken, withdrawn, refused) and the
 * steal-time record and its MSR. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>
#include <cmocka.h>
#include "vmm/options.h"
#include "core/vm.h"
#include "x86/interp.h"
#include "02-paravirt/pvclock.h"
#include "02-paravirt/kvm_pv.h"

#define MEM (4u << 20)

/* ---- the scale ------------------------------------------------------------ */
static void test_scale_known_rates(void **st)
{
    (void)st;
    uint32_t mul;
    int8_t shift;
    /* 1 GHz: ticks are ns, 1 = 2^31/2^32 * 2^1. */
    assert_int_equal(pvclock_scale(1000000000u, 1000000000u, &mul, &shift), 0);
    assert_int_equal(mul, 1u << 31);
    assert_int_equal(shift, 1);
    /* 2.5 GHz: 0.4 ns a tick = 0.8 * 2^-1. */
    assert_int_equal(pvclock_scale(2500000000u, 1000000000u, &mul, &shift), 0);
    assert_int_equal(mul, 3435973836u);
    assert_int_equal(shift, -1);
    /* 100 MHz: 10 ns a tick = 0.625 * 2^4. */
    assert_int_equal(pvclock_scale(100000000u, 1000000000u, &mul, &shift), 0);
    assert_int_equal(mul, 2684354560u);
    assert_int_equal(shift, 4);
    /* No rate, or a ratio beyond 2^31 either way: no scale. */
    assert_int_equal(pvclock_scale(0, 1000000000u, &mul, &shift), -1);
    assert_int_equal(pvclock_scale(1000000000u, 0, &mul, &shift), -1);
    assert_int_equal(pvclock_scale(1, 1ull << 40, &mul, &shift), -1);
    assert_int_equal(pvclock_scale(1ull << 40, 1, &mul, &shift), -1);
}

/* For any TSC rate from 1 MHz to 10 GHz, a second of ticks (and an hour)
 * scaled as the guest scales it is a second within 1 ns per 2^31 ns, the
 * precision of a 32-bit mul in [2^31, 2^32). */
static void test_scale_converts_seconds(void **st)
{
    (void)st;
    static const uint64_t hz[] = { 1000000,    14318180,   1000000000, 1193182000,
                                   2694869289, 3600000000, 9999999999 };
    for (size_t i = 0; i < sizeof hz / sizeof hz[0]; i++) {
        uint32_t mul;
        int8_t shift;
        assert_int_equal(pvclock_scale(hz[i], 1000000000u, &mul, &shift), 0);
        assert_true(mul >= 1u << 31);
        uint64_t ns = pvclock_scale_delta(hz[i], mul, shift);
        assert_true(ns <= 1000000000u && ns >= 1000000000u - 2);
        uint64_t hour = pvclock_scale_delta(hz[i] * 3600, mul, shift);
        assert_true(hour <= 3600000000000ull && hour >= 3600000000000ull - 3600 * 2);
    }
}

/* ---- the records ------------------------------------------------------------ */
static void test_version_protocol(void **st)
{
    (void)st;
    uint32_t v = 0;
    pvclock_begin(&v);
    assert_int_equal(v, 1); /* odd: an update in progress */
    pvclock_end(&v);
    assert_int_equal(v, 2);
    v = 7; /* a guest's garbage: still odd during, even after */
    pvclock_begin(&v);
    assert_int_equal(v & 1, 1);
    pvclock_end(&v);
    assert_int_equal(v & 1, 0);
    assert_true(v > 7);

    struct pvclock_time_info ti;
    memset(&ti, 0xee, sizeof ti);
    ti.version = 4;
    pvclock_write_time(&ti, 5000000000ull, 123456789, 3435973836u, -1, PVCLOCK_TSC_STABLE_BIT);
    assert_int_equal(ti.version, 6);
    assert_int_equal(ti.tsc_timestamp, 5000000000ull);
    assert_int_equal(ti.system_time, 123456789);
    assert_int_equal(ti.tsc_to_system_mul, 3435973836u);
    assert_int_equal(ti.tsc_shift, -1);
    assert_int_equal(ti.flags, PVCLOCK_TSC_STABLE_BIT);
    /* The guest's read, 2.5e9 ticks of a 2.5 GHz TSC later: one second on. */
    uint64_t now =
        ti.system_time + pvclock_scale_delta(5000000000ull + 2500000000ull - ti.tsc_timestamp,
                                             ti.tsc_to_system_mul, ti.tsc_shift);
    assert_true(now >= 123456789 + 1000000000 - 1 && now <= 123456789 + 1000000000);
}

static void test_wall_clock(void **st)
{
    (void)st;
    struct pvclock_wall_clock wc = { 0 };
    /* Now is 1700000000.5 s since the epoch, 2.25 s after system_time 0. */
    pvclock_write_wall(&wc, 1700000000500000000ull, 2250000000ull);
    assert_int_equal(wc.version, 2);
    assert_int_equal(wc.sec, 1699999998);
    assert_int_equal(wc.nsec, 250000000);
    pvclock_write_wall(&wc, 1000, 2000); /* no time before the epoch */
    assert_int_equal(wc.version, 4);
    assert_int_equal(wc.sec, 0);
    assert_int_equal(wc.nsec, 0);
}

/* ---- the interface on a VM --------------------------------------------------- */
static uint64_t fake_ns = 1000000000;
static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_ns;
}
static const struct engine_ops no_engine = { .name = "none" };
static uint32_t invalidated;
static void on_invalidate(struct vcpu *v, uint32_t gpa, uint32_t len)
{
    (void)v;
    (void)gpa;
    invalidated += len;
}

static struct vm *make_vm(struct vm_options *o, bool pv)
{
    vm_options_defaults(o, "vmm-test");
    o->mem = MEM;
    if (pv) {
        o->engine_opt[0] = (struct vm_engine_option){ "--pv-linux", "on" };
        o->nengine_opts = 1;
    }
    struct vm *vm;
    char err[256];
    assert_int_equal(vm_create(&vm, o, &no_engine, err, sizeof err), 0);
    vm_set_clock(vm, fake_clock, NULL);
    assert_int_equal(kvm_pv_attach(vm_vcpu(vm), on_invalidate, err, sizeof err), 0);
    return vm;
}

static void sig(const uint32_t r[4], char out[13])
{
    memcpy(out, &r[1], 4);
    memcpy(out + 4, &r[2], 4);
    memcpy(out + 8, &r[3], 4);
    out[12] = 0;
}

static void test_cpuid_per_vm(void **st)
{
    (void)st;
    struct vm_options o1, o2;
    struct vm *pv = make_vm(&o1, true), *full = make_vm(&o2, false);
    const struct x86_cpu *c = &vm_vcpu(pv)->cpu, *f = &vm_vcpu(full)->cpu;
    uint32_t r[4], base[4];
    char s[13];
    x86_cpu_cpuid(c, 0x40000000, r);
    sig(r, s);
    assert_int_equal(r[0], 0x40000001);
    assert_memory_equal(s, "KVMKVMKVM\0\0\0", 12);
    x86_cpu_cpuid(c, 0x40000001, r);
    /* CLOCKSOURCE2, STEAL_TIME, PV_EOI, STABLE_BIT */
    assert_int_equal(r[0], (1u << 3) | (1u << 5) | (1u << 6) | (1u << 24));
    assert_int_equal(r[3], 0);
    x86_cpu_cpuid(c, 1, r); /* the other leaves are the plain i686's */
    x86_cpuid(1, base);
    assert_memory_equal(r, base, sizeof r);
    /* The VM beside it, without the option: exactly as before. */
    assert_null(f->ext);
    x86_cpu_cpuid(f, 0x40000000, r);
    sig(r, s);
    assert_int_equal(r[0], 0x40000000);
    assert_string_equal(s, "vmlabvmlabvm");
    uint64_t v;
    assert_false(x86_msr_read(f, MSR_KVM_SYSTEM_TIME_NEW, &v)); /* #GP */
    kvm_pv_detach(vm_vcpu(pv));
    assert_null(vm_vcpu(pv)->cpu.ext);
    vm_destroy(pv);
    vm_destroy(full);
}

static void test_kvmclock_msrs(void **st)
{
    (void)st;
    struct vm_options o;
    fake_ns = 1000000000;
    struct vm *vm = make_vm(&o, true);
    struct x86_cpu *c = &vm_vcpu(vm)->cpu;
    uint8_t *ram = vm_ram(vm)->host;
    c->tsc_offset = 1000000; /* the record holds the guest's TSC */
    fake_ns += 3000000000u;  /* 3 s after the interface came up */
    invalidated = 0;

    uint64_t t0 = __rdtsc() + c->tsc_offset;
    assert_true(x86_msr_write(c, MSR_KVM_SYSTEM_TIME_NEW, 0x1000 | 1));
    uint64_t t1 = __rdtsc() + c->tsc_offset;
    struct pvclock_time_info ti;
    memcpy(&ti, ram + 0x1000, sizeof ti);
    assert_int_equal(ti.version, 2);
    assert_int_equal(ti.system_time, 3000000000u);
    assert_true(ti.tsc_timestamp >= t0 && ti.tsc_timestamp <= t1);
    assert_int_equal(ti.flags, PVCLOCK_TSC_STABLE_BIT);
    assert_true(ti.tsc_to_system_mul >= 1u << 31);
    assert_int_equal(invalidated, 32);
    uint64_t v;
    assert_true(x86_msr_read(c, MSR_KVM_SYSTEM_TIME_NEW, &v));
    assert_int_equal(v, 0x1001);

    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    assert_true(x86_msr_write(c, MSR_KVM_WALL_CLOCK_NEW, 0x2000));
    struct pvclock_wall_clock wc;
    memcpy(&wc, ram + 0x2000, sizeof wc);
    assert_int_equal(wc.version, 2);
    assert_true(wc.sec + 3 >= (uint32_t)rt.tv_sec - 1 && wc.sec + 3 <= (uint32_t)rt.tv_sec + 1);
    assert_true(x86_msr_read(c, MSR_KVM_WALL_CLOCK_NEW, &v));
    assert_int_equal(v, 0x2000);

    /* Disabled, misaligned, across a page, outside RAM: accepted, read
     * back, nothing written. */
    memset(ram + 0x3000, 0, 0x2000);
    static const uint64_t bad[] = { 0x3000, 0x3004 | 1, 0x3ff8 | 1, MEM | 1, 0x100000000ull | 1 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_true(x86_msr_write(c, MSR_KVM_SYSTEM_TIME_NEW, bad[i]));
        assert_true(x86_msr_read(c, MSR_KVM_SYSTEM_TIME_NEW, &v));
        assert_int_equal(v, bad[i]);
    }
    assert_true(x86_msr_write(c, MSR_KVM_WALL_CLOCK_NEW, 0x3ffa));  /* misaligned */
    assert_true(x86_msr_write(c, MSR_KVM_WALL_CLOCK_NEW, MEM - 8)); /* runs past RAM */
    for (int i = 0; i < 0x2000; i++)
        assert_int_equal(ram[0x3000 + i], 0);
    assert_int_equal(invalidated, 32 + 12);
    /* A second enable rewrites the record: the version moves on. */
    assert_true(x86_msr_write(c, MSR_KVM_SYSTEM_TIME_NEW, 0x1000 | 1));
    memcpy(&ti, ram + 0x1000, sizeof ti);
    assert_int_equal(ti.version, 4);
    /* Other MSRs are still the model's. */
    assert_true(x86_msr_write(c, 0x174, 0x10));
    assert_true(x86_msr_read(c, 0x174, &v));
    assert_int_equal(v, 0x10);
    assert_false(x86_msr_read(c, 0x4b564d02, &v)); /* not offered: #GP */
    kvm_pv_detach(vm_vcpu(vm));
    vm_destroy(vm);
}

/* ---- PV EOI (core/irqchip.h, kvm_pv.c) ------------------------------------ */
static uint32_t apic(struct vm *vm, uint32_t reg, bool write, uint32_t val)
{
    assert_true(vm_mmio(vm, 0xfee00000u + reg, 4, write, &val));
    return val;
}
static void self_ipi(struct vm *vm, int vector) { apic(vm, 0x300, true, 0x40000u | vector); }

static void test_pv_eoi(void **st)
{
    (void)st;
    struct vm_options o;
    struct vm *vm = make_vm(&o, true);
    struct x86_cpu *c = &vm_vcpu(vm)->cpu;
    uint32_t *word = (uint32_t *)(vm_ram(vm)->host + 0x6004);
    uint64_t w, p;
    /* The MSR: bit 1 reserved, the word in RAM, else #GP; read back. */
    assert_false(x86_msr_write(c, MSR_KVM_PV_EOI_EN, 0x6004 | 2 | 1));
    assert_false(x86_msr_write(c, MSR_KVM_PV_EOI_EN, (uint64_t)MEM | 1));
    assert_true(x86_msr_write(c, MSR_KVM_PV_EOI_EN, 0x6004 | 1));
    assert_true(x86_msr_read(c, MSR_KVM_PV_EOI_EN, &w));
    assert_int_equal(w, 0x6005);
    apic(vm, 0xf0, true, 0x1ff); /* SVR: the APIC software-enabled */

    /* Alone in service, edge: the flag is set; the guest clears it and
     * the VMM ends the interrupt at its next look (no register write). */
    self_ipi(vm, 0x40);
    assert_true(vm_irq_pending(vm));
    assert_int_equal(vm_irq_ack(vm), 0x40);
    assert_int_equal(*word, 1);
    *word = 0;          /* the guest's btr */
    self_ipi(vm, 0x41); /* same class: waits for the EOI */
    assert_true(vm_irq_pending(vm));
    assert_int_equal(vm_irq_ack(vm), 0x41);
    vm_apic_eoi_counts(vm, &w, &p);
    assert_int_equal(w, 0);
    assert_int_equal(p, 1);
    assert_int_equal(*word, 1); /* 0x41 alone again */

    /* A register access withdraws a flag still set: the guest then
     * writes the register, and nothing else ends the interrupt. */
    assert_int_equal(apic(vm, 0x100 + 0x20, false, 0), 1u << 1); /* ISR: 0x41 */
    assert_int_equal(*word, 0);
    apic(vm, 0xb0, true, 0);
    assert_int_equal(apic(vm, 0x100 + 0x20, false, 0), 0);
    assert_false(vm_irq_pending(vm));
    vm_apic_eoi_counts(vm, &w, &p);
    assert_int_equal(w, 1);
    assert_int_equal(p, 1);

    /* Another request behind it, or two in service: no flag (KVM's rule). */
    self_ipi(vm, 0x50);
    self_ipi(vm, 0x42);
    assert_int_equal(vm_irq_ack(vm), 0x50);
    assert_int_equal(*word, 0);
    apic(vm, 0xb0, true, 0);
    assert_int_equal(vm_irq_ack(vm), 0x42);
    assert_int_equal(*word, 1); /* now alone */
    /* Disabled: the old word is cleared, the guest must write. */
    assert_true(x86_msr_write(c, MSR_KVM_PV_EOI_EN, 0));
    assert_int_equal(*word, 0);
    assert_false(vm_irq_pending(vm));
    apic(vm, 0xb0, true, 0);
    self_ipi(vm, 0x43);
    assert_int_equal(vm_irq_ack(vm), 0x43);
    assert_int_equal(*word, 0);
    vm_apic_eoi_counts(vm, &w, &p);
    assert_int_equal(w, 3); /* 0x41, 0x50, 0x42 */
    assert_int_equal(p, 1);
    kvm_pv_detach(vm_vcpu(vm));
    vm_destroy(vm);
}

/* ---- steal time (pvclock.h, kvm_pv.c) ---------------------------------------- */
static void test_steal_time(void **st)
{
    (void)st;
    uint64_t d;
    assert_int_equal(pvclock_parse_schedstat("4055773 3890739 2\n", &d), 0);
    assert_int_equal(d, 3890739);
    assert_int_equal(pvclock_parse_schedstat("12 34", &d), 0);
    assert_int_equal(d, 34);
    assert_int_equal(pvclock_parse_schedstat("12", &d), -1);
    assert_int_equal(pvclock_parse_schedstat("x 1 2", &d), -1);
    assert_int_equal(pvclock_parse_schedstat("1 y 2", &d), -1);
    struct kvm_steal_time rec = { .steal = 5, .version = 2, .preempted = 1 };
    pvclock_add_steal(&rec, 10);
    assert_int_equal(rec.version, 4);
    assert_int_equal(rec.steal, 15);
    assert_int_equal(rec.preempted, 0);

    struct vm_options o;
    struct vm *vm = make_vm(&o, true);
    struct x86_cpu *c = &vm_vcpu(vm)->cpu;
    uint8_t *ram = vm_ram(vm)->host;
    uint64_t v;
    /* Bits 5:1 reserved: #GP (a record not 64-byte aligned). */
    assert_false(x86_msr_write(c, MSR_KVM_STEAL_TIME, 0x7020 | 1));
    /* Outside RAM: accepted, read back, nothing written. */
    assert_true(x86_msr_write(c, MSR_KVM_STEAL_TIME, (uint64_t)MEM | 1));
    assert_true(x86_msr_read(c, MSR_KVM_STEAL_TIME, &v));
    assert_int_equal(v, (uint64_t)MEM | 1);
    /* Enabled: the record's version moves on; the guest's sum is kept. */
    struct kvm_steal_time *r = (struct kvm_steal_time *)(ram + 0x7000);
    r->steal = 77;
    assert_true(x86_msr_write(c, MSR_KVM_STEAL_TIME, 0x7000 | 1));
    assert_int_equal(r->version, 2);
    assert_true(r->steal >= 77);
    assert_true(x86_msr_read(c, MSR_KVM_STEAL_TIME, &v));
    assert_int_equal(v, 0x7001);
    kvm_pv_detach(vm_vcpu(vm));
    vm_destroy(vm);
}

static void test_option_values(void **st)
{
    (void)st;
    char err[128];
    assert_int_equal(kvm_pv_check_option("on", err, sizeof err), 0);
    assert_int_equal(kvm_pv_check_option("off", err, sizeof err), 0);
    assert_int_equal(kvm_pv_check_option("yes", err, sizeof err), -1);
    assert_non_null(strstr(err, "--pv-linux 'yes'"));
    /* The measured TSC rate is this host's: between 100 MHz and 10 GHz. */
    uint64_t hz = kvm_pv_measure_tsc_hz(20);
    assert_true(hz > 100000000u && hz < 10000000000ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale_known_rates), cmocka_unit_test(test_scale_converts_seconds),
        cmocka_unit_test(test_version_protocol),  cmocka_unit_test(test_wall_clock),
        cmocka_unit_test(test_cpuid_per_vm),      cmocka_unit_test(test_kvmclock_msrs),
        cmocka_unit_test(test_option_values),     cmocka_unit_test(test_pv_eoi),
        cmocka_unit_test(test_steal_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
