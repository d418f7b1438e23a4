/*
 * calls.c — call-heavy code: doubly recursive Fibonacci, Ackermann,
 * mutual recursion 3000 frames deep (returns that a return-address
 * predictor of fixed depth must miss), and dispatch through a table of
 * function pointers (indirect calls whose target changes every time).
 */
#include "wl.h"

#define NOINLINE __attribute__((noinline))

static NOINLINE uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static NOINLINE uint32_t ack(uint32_t m, uint32_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

/* Not tail calls: each level adds after the call returns. */
static uint32_t down_b(uint32_t n, uint32_t acc);
static NOINLINE uint32_t down_a(uint32_t n, uint32_t acc)
{
    if (n == 0)
        return acc;
    return down_b(n - 1, acc * 3 + n) + (n & 7);
}
static NOINLINE uint32_t down_b(uint32_t n, uint32_t acc)
{
    if (n == 0)
        return acc ^ 0x5a5a;
    return down_a(n - 1, acc ^ (n << 3)) - (n & 3);
}

static NOINLINE uint32_t op_add(uint32_t a, uint32_t b) { return a + b; }
static NOINLINE uint32_t op_sub(uint32_t a, uint32_t b) { return a - b; }
static NOINLINE uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ (b * 7); }
static NOINLINE uint32_t op_rot(uint32_t a, uint32_t b)
{
    return (a << (b & 31)) | (a >> ((32 - b) & 31));
}
static NOINLINE uint32_t op_mul(uint32_t a, uint32_t b) { return a * (b | 1); }
static NOINLINE uint32_t op_min(uint32_t a, uint32_t b) { return a < b ? a + 1 : b + 2; }
static NOINLINE uint32_t op_avg(uint32_t a, uint32_t b) { return (a >> 1) + (b >> 1) + 3; }
static NOINLINE uint32_t op_not(uint32_t a, uint32_t b) { return ~a + b; }

typedef uint32_t (*binop)(uint32_t, uint32_t);
static binop const ops[8] = { op_add, op_sub, op_xor, op_rot, op_mul, op_min, op_avg, op_not };

/* A callback walk: apply `f` to every element through a pointer. */
static NOINLINE uint32_t fold(const uint32_t *v, int n, binop f, uint32_t acc)
{
    for (int i = 0; i < n; i++)
        acc = f(acc, v[i]);
    return acc;
}

static uint32_t calls_round(void)
{
    uint32_t h = 0, seed = 12345, acc = 1, v[64];
    h = wl_mix(h, fib(21));
    h = wl_mix(h, ack(2, 60));
    for (uint32_t d = 2500; d <= 3000; d += 100)
        h = wl_mix(h, down_a(d, d));
    for (int i = 0; i < 20000; i++) {
        uint32_t r = wl_rand(&seed);
        acc = ops[r & 7](acc, r >> 3);
    }
    h = wl_mix(h, acc);
    for (int i = 0; i < 64; i++)
        v[i] = wl_rand(&seed);
    for (int k = 0; k < 64; k++)
        h = wl_mix(h, fold(v, 64, ops[k & 7], (uint32_t)k));
    return h;
}

WORKLOAD("calls", 0x45e0e1a6, calls_round);
