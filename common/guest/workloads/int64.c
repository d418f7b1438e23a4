/*
 * int64.c — 64-bit arithmetic on a 32-bit CPU: every operation is a pair
 * of instructions (add/adc, sub/sbb, shld/shrd, three multiplies) or a
 * call into libgcc (__udivdi3, __umoddi3, __divdi3).  Miller-Rabin with
 * 64-bit modular multiplication over a range of 32-bit numbers, a
 * xorshift64* generator, signed 64-bit division and Euclid's gcd.
 */
#include "wl.h"

static uint32_t mulmod(uint32_t a, uint32_t b, uint32_t m)
{
    return (uint32_t)((uint64_t)a * b % m);
}

static uint32_t powmod(uint32_t b, uint32_t e, uint32_t m)
{
    uint32_t r = 1;
    for (; e; e >>= 1, b = mulmod(b, b, m))
        if (e & 1)
            r = mulmod(r, b, m);
    return r;
}

/* Deterministic for n < 4,759,123,141 with the witnesses 2, 7, 61. */
static int is_prime(uint32_t n)
{
    static const uint32_t wit[3] = { 2, 7, 61 };
    if (n < 2)
        return 0;
    if (n % 2 == 0)
        return n == 2;
    uint32_t d = n - 1, s = 0;
    while (!(d & 1))
        d >>= 1, s++;
    for (int i = 0; i < 3; i++) {
        uint32_t a = wit[i] % n;
        if (!a)
            continue;
        uint32_t x = powmod(a, d, n);
        if (x == 1 || x == n - 1)
            continue;
        uint32_t r = 1;
        for (; r < s; r++)
            if ((x = mulmod(x, x, n)) == n - 1)
                break;
        if (r == s)
            return 0;
    }
    return 1;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b, b = t;
    }
    return a;
}

static uint32_t int64_round(void)
{
    uint32_t h = 0, primes = 0;
    for (uint32_t n = 4000000000u; n < 4000000000u + 1200; n++)
        primes += (uint32_t)is_prime(n);
    h = wl_mix(h, primes);
    uint64_t x = 88172645463325252ull, acc = 0;
    int64_t sacc = 0;
    for (int i = 0; i < 3000; i++) {
        x ^= x >> 12, x ^= x << 25, x ^= x >> 27; /* xorshift64* (Vigna) */
        uint64_t r = x * 2685821657736338717ull;
        acc += r >> (i & 31);
        acc ^= r << (i & 15);
        int64_t s = (int64_t)r >> 3;
        sacc += s / (int64_t)((i & 1023) + 1) - (s % 7);
        if ((i & 63) == 0)
            h = wl_mix(h, (uint32_t)gcd(r | 1, acc | 1));
    }
    h = wl_mix(wl_mix(h, (uint32_t)acc), (uint32_t)(acc >> 32));
    return wl_mix(wl_mix(h, (uint32_t)sacc), (uint32_t)((uint64_t)sacc >> 32));
}

WORKLOAD("int64", 0x39489b30, int64_round);
