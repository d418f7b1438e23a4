/*
 * pvclock.c — kvmclock's records in guest memory: the TSC-to-ns scale and
 * the version protocol (Linux Documentation/virt/kvm/x86/msr.rst).
 */
#include <stddef.h>
#include <stdlib.h>
#include "02-paravirt/pvclock.h"

_Static_assert(sizeof(struct pvclock_time_info) == 32, "msr.rst: 32 bytes");
_Static_assert(offsetof(struct pvclock_time_info, tsc_to_system_mul) == 24, "msr.rst layout");
_Static_assert(sizeof(struct pvclock_wall_clock) == 12, "msr.rst: 12 bytes");
_Static_assert(sizeof(struct kvm_steal_time) == 64, "msr.rst: 64 bytes");
_Static_assert(offsetof(struct kvm_steal_time, preempted) == 16, "msr.rst layout");

/* The ratio r = to_hz / from_hz is written as (mul / 2^32) * 2^shift with
 * mul / 2^32 in [1/2, 1): double the denominator while r >= 1, the
 * numerator while r < 1/2.  A 2.5 GHz TSC to ns: r = 0.4 = 0.8 * 2^-1. */
int pvclock_scale(uint64_t from_hz, uint64_t to_hz, uint32_t *mul, int8_t *shift)
{
    unsigned __int128 num = to_hz, den = from_hz;
    int s = 0;
    if (from_hz == 0 || to_hz == 0)
        return -1;
    while (num >= den)
        den <<= 1, s++;
    while (num * 2 < den)
        num <<= 1, s--;
    if (s < -31 || s > 31)
        return -1;
    *mul = (uint32_t)((num << 32) / den);
    *shift = (int8_t)s;
    return 0;
}

uint64_t pvclock_scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/* The guest may read while the record changes (another vCPU, or an
 * interrupt between its two version reads): the odd version must be
 * visible before any field changes, the fields before the even version
 * (msr.rst: "version ... is odd while an update is in progress"). */
void pvclock_begin(uint32_t *version)
{
    uint32_t v = __atomic_load_n(version, __ATOMIC_RELAXED);
    __atomic_store_n(version, (v + 1) | 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
}
void pvclock_end(uint32_t *version)
{
    uint32_t v = __atomic_load_n(version, __ATOMIC_RELAXED);
    __atomic_store_n(version, v + 1, __ATOMIC_RELEASE);
}

void pvclock_write_time(struct pvclock_time_info *ti, uint64_t tsc, uint64_t system_ns,
                        uint32_t mul, int8_t shift, uint8_t flags)
{
    pvclock_begin(&ti->version);
    ti->tsc_timestamp = tsc;
    ti->system_time = system_ns;
    ti->tsc_to_system_mul = mul;
    ti->tsc_shift = shift;
    ti->flags = flags;
    pvclock_end(&ti->version);
}

void pvclock_write_wall(struct pvclock_wall_clock *wc, uint64_t realtime_ns, uint64_t system_ns)
{
    uint64_t boot = realtime_ns > system_ns ? realtime_ns - system_ns : 0;
    pvclock_begin(&wc->version);
    wc->sec = (uint32_t)(boot / 1000000000u);
    wc->nsec = (uint32_t)(boot % 1000000000u);
    pvclock_end(&wc->version);
}

void pvclock_add_steal(struct kvm_steal_time *st, uint64_t ns)
{
    pvclock_begin(&st->version);
    st->steal += ns;
    st->preempted = 0;
    pvclock_end(&st->version);
}

int pvclock_parse_schedstat(const char *text, uint64_t *run_delay_ns)
{
    char *end;
    strtoull(text, &end, 10);
    if (end == text || *end != ' ')
        return -1;
    const char *p = end + 1;
    unsigned long long d = strtoull(p, &end, 10);
    if (end == p || (*end != ' ' && *end != '\n' && *end))
        return -1;
    *run_delay_ns = d;
    return 0;
}
