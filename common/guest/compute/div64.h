/*
 * div64.h — 64-bit by 32-bit unsigned division without libgcc.
 *
 * On i386 the compiler turns a uint64_t division into a call to libgcc's
 * __udivdi3, which ring-3 guest code cannot reach (it is linked into the
 * kernel).  The x86 DIV instruction divides EDX:EAX by a 32-bit operand,
 * but faults (#DE) if the quotient does not fit 32 bits, so divide in two
 * steps, like long division by hand with 32-bit "digits" (SDM Vol. 2A, DIV).
 */
#ifndef GUEST_DIV64_H
#define GUEST_DIV64_H

#include <stdint.h>

static inline uint64_t udiv64_32(uint64_t n, uint32_t d)
{
    uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n, qhi, qlo, r;
    if (d == 0)
        return 0;
    /* high digit: hi / d, remainder r < d */
    __asm__("divl %4" : "=a"(qhi), "=d"(r) : "a"(hi), "d"(0u), "rm"(d));
    /* low digit: (r:lo) / d, the quotient fits because r < d */
    __asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
    return ((uint64_t)qhi << 32) | qlo;
}

#endif
