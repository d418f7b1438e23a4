/*
 * smc_user.c — ring-3 half of `smc`.  Machine code is written into a heap
 * page (writable and, with 32-bit paging, executable) and run:
 *
 *  1. patch:      "mov $imm,%eax; ret" is called, its immediate rewritten,
 *                 called again — `iters` times, each result must be new;
 *  2. loop:       a loop that increments the immediate of its own first
 *                 instruction on every pass: sum = n*k + n(n-1)/2;
 *  3. same block: a store that rewrites the very next instruction, inside
 *                 one straight-line block (the hardest case for a
 *                 translator that translates a whole block at once);
 *  4. same page:  two stubs in one page; patching one must change it and
 *                 only it (page-granular invalidation must not lose either).
 *
 * Cross-modification through a second virtual alias of the page is not
 * tested: the kernel offers no call to map one.  Returns the number of
 * wrong results (0 = every result matches the real CPU's).
 */
#include "../user/ulib.h"

#define CODE_PAGE ((volatile uint8_t *)USER_HEAP_BASE)
#define STUB_A    0x000u /* offsets in the page */
#define STUB_B    0x100u
#define STUB_LOOP 0x200u
#define STUB_SAME 0x300u

typedef uint32_t (*stub_fn)(void);

static void put32(volatile uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Call code at `p`; the compiler must finish all stores before the call. */
static uint32_t call_stub(volatile uint8_t *p)
{
    __asm__ volatile("" ::: "memory");
    return ((stub_fn)(uintptr_t)p)();
}

/* mov $imm, %eax (B8 imm32); ret (C3) */
static void emit_mov_ret(volatile uint8_t *p, uint32_t imm)
{
    p[0] = 0xB8;
    put32(p + 1, imm);
    p[5] = 0xC3;
}

/* The self-patching loop, entered with ECX = n, EDX = 0:
 *   L:  mov  $k, %eax        B8 k32
 *       add  %eax, %edx      01 C2
 *       incl L+1             FF 05 addr32     ; the immediate above
 *       dec  %ecx            49
 *       jnz  L               75 F0
 *       mov  %edx, %eax      89 D0
 *       ret                  C3                                        */
static void emit_loop(volatile uint8_t *p, uint32_t k)
{
    p[0] = 0xB8;
    put32(p + 1, k);
    p[5] = 0x01;
    p[6] = 0xC2;
    p[7] = 0xFF;
    p[8] = 0x05;
    put32(p + 9, (uint32_t)(uintptr_t)(p + 1));
    p[13] = 0x49;
    p[14] = 0x75;
    p[15] = 0xF0;
    p[16] = 0x89;
    p[17] = 0xD0;
    p[18] = 0xC3;
}

static uint32_t run_loop(volatile uint8_t *p, uint32_t n)
{
    uint32_t r, c = n, d = 0;
    __asm__ volatile("call *%3" : "=a"(r), "+c"(c), "+d"(d) : "r"(p) : "memory", "cc");
    return r;
}

/* Rewrites its own next instruction:
 *   movl $v, S+11            C7 05 addr32 v32
 *   S+10: mov $0, %eax       B8 00000000     ; immediate at S+11
 *   ret                      C3                                        */
static void emit_same_block(volatile uint8_t *p, uint32_t v)
{
    p[0] = 0xC7;
    p[1] = 0x05;
    put32(p + 2, (uint32_t)(uintptr_t)(p + 11));
    put32(p + 6, v);
    p[10] = 0xB8;
    put32(p + 11, 0);
    p[15] = 0xC3;
}

int smc_user_main(uint32_t iters)
{
    volatile uint8_t *page = CODE_PAGE;
    int bad = 0;

    /* 1. patch an immediate between calls */
    uint32_t patch_ok = 0;
    emit_mov_ret(page + STUB_A, 0x11111111u);
    if (call_stub(page + STUB_A) == 0x11111111u)
        patch_ok++;
    for (uint32_t i = 1; i <= iters; i++) {
        uint32_t v = 0x11111111u + i * 0x01010101u;
        put32(page + STUB_A + 1, v);
        if (call_stub(page + STUB_A) == v)
            patch_ok++;
    }
    bad += (int)(iters + 1 - patch_ok);

    /* 2. a loop patching its own immediate: n*k + n(n-1)/2 (mod 2^32) */
    uint32_t k = 1000, n = iters;
    uint32_t tri = (n % 2 == 0) ? (n / 2) * (n - 1) : n * ((n - 1) / 2);
    uint32_t loop_expect = n * k + tri;
    emit_loop(page + STUB_LOOP, k);
    uint32_t loop_sum = run_loop(page + STUB_LOOP, n);
    bad += loop_sum != loop_expect;

    /* 3. a store to the next instruction in the same block */
    uint32_t same_ok = 0, rounds = iters < 100 ? iters : 100;
    for (uint32_t i = 1; i <= rounds; i++) {
        emit_same_block(page + STUB_SAME, 0xC0DE0000u + i);
        if (call_stub(page + STUB_SAME) == 0xC0DE0000u + i)
            same_ok++;
    }
    bad += (int)(rounds - same_ok);

    /* 4. two stubs in one page: patch one, both must give the right value */
    uint32_t pair_ok = 0;
    for (uint32_t i = 1; i <= rounds; i++) {
        uint32_t a = 0xA0000000u + i, b = 0xB0000000u + i;
        emit_mov_ret(page + STUB_A, a);
        emit_mov_ret(page + STUB_B, b);
        uint32_t ra1 = call_stub(page + STUB_A), rb1 = call_stub(page + STUB_B);
        put32(page + STUB_B + 1, b ^ 0x00FF0000u); /* patch B only */
        uint32_t ra2 = call_stub(page + STUB_A), rb2 = call_stub(page + STUB_B);
        if (ra1 == a && rb1 == b && ra2 == a && rb2 == (b ^ 0x00FF0000u))
            pair_ok++;
    }
    bad += (int)(rounds - pair_ok);

    u_result("smc",
             "iters=%u patched_calls=%u/%u loop_sum=0x%08x loop_expect=0x%08x "
             "same_block=%u/%u same_page=%u/%u alias=untested",
             iters, patch_ok, iters + 1, loop_sum, loop_expect, same_ok, rounds, pair_ok, rounds);
    return bad;
}
