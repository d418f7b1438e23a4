/*
 * test_interp_alu.c — the interpreter's data instructions and their flags:
 * ALU, shifts and rotates, multiply/divide (#DE), bit operations, SETcc and
 * CMOVcc, exchanges, conversions.  Where a table of values is checked, the
 * host CPU running the same instruction is the reference (the x86-64 host
 * executes 32-bit ALU operations exactly as an i386 does); the classic cases
 * are also spelled out by hand.
 */
#include "x86_harness.h"

SNIP(add);
SNIP(adc);
SNIP(sub);
SNIP(sbb);
SNIP(and);
SNIP(or);
SNIP(xor);
SNIP(cmp);
SNIP(neg);
SNIP(inc);
SNIP(dec);
SNIP(add8);
SNIP(sub16);
SNIP(addm);
SNIP(test_ah);
SNIP(shl);
SNIP(shr);
SNIP(sar);
SNIP(rol);
SNIP(ror);
SNIP(rcl);
SNIP(rcr);
SNIP(shl8);
SNIP(rcr16);
SNIP(shld);
SNIP(shrd);
SNIP(mul);
SNIP(imul1);
SNIP(imul2);
SNIP(imul3);
SNIP(div);
SNIP(idiv);
SNIP(div8);
SNIP(div0);
SNIP(bt);
SNIP(btsm);
SNIP(btr5);
SNIP(btc);
SNIP(bsf);
SNIP(bsr);
SNIP(setcc);
SNIP(cmov);
SNIP(xadd);
SNIP(cmpxchg);
SNIP(cdq);
SNIP(bswap);
SNIP(daa);
SNIP(lahf);

/* Run the snippet at CODE from a fresh start with these inputs. */
static void go(struct tm *t, uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t flags)
{
    tm_ring0(t);
    t->cpu.eip = CODE;
    t->cpu.gpr[R_EAX] = eax;
    t->cpu.gpr[R_EBX] = ebx;
    t->cpu.gpr[R_ECX] = ecx;
    t->cpu.gpr[R_EDI] = DATA;
    t->cpu.eflags = FL_FIXED1 | flags;
    assert_int_equal(tm_run(t), EXIT_HLT);
}

/* ---- the host CPU as reference ------------------------------------------- */
/* Inline asm that loads flags, runs one instruction, saves flags.  The
 * stack pointer is moved past the red zone before PUSHF/POPF. */
/* clang-format off */
#define NATIVE(name, body, ...)                                                   \
    static uint32_t native_##name(uint32_t a, uint32_t b, uint32_t c, uint32_t fin, uint32_t *fout) \
    {                                                                             \
        uint64_t f = fin, fo;                                                     \
        __asm__ volatile("lea -128(%%rsp), %%rsp\n\tpush %[f]\n\tpopfq\n\t" body  \
                         "\n\tpushfq\n\tpop %[fo]\n\tlea 128(%%rsp), %%rsp"       \
                         : [a] "+r"(a), [fo] "=&r"(fo)                            \
                         : [b] "r"(b), [f] "r"(f), "c"(c) : "cc", "memory");      \
        *fout = (uint32_t)fo;                                                     \
        return a;                                                                 \
    }
NATIVE(add, "add %k[b], %k[a]") NATIVE(adc, "adc %k[b], %k[a]")
NATIVE(sub, "sub %k[b], %k[a]") NATIVE(sbb, "sbb %k[b], %k[a]")
NATIVE(and, "and %k[b], %k[a]") NATIVE(or, "or %k[b], %k[a]")
NATIVE(xor, "xor %k[b], %k[a]") NATIVE(cmp, "cmp %k[b], %k[a]")
NATIVE(neg, "neg %k[a]") NATIVE(inc, "inc %k[a]") NATIVE(dec, "dec %k[a]")
NATIVE(shl, "shl %%cl, %k[a]") NATIVE(shr, "shr %%cl, %k[a]") NATIVE(sar, "sar %%cl, %k[a]")
NATIVE(rol, "rol %%cl, %k[a]") NATIVE(ror, "ror %%cl, %k[a]")
NATIVE(rcl, "rcl %%cl, %k[a]") NATIVE(rcr, "rcr %%cl, %k[a]")
NATIVE(shld, "shld %%cl, %k[b], %k[a]") NATIVE(shrd, "shrd %%cl, %k[b], %k[a]")
    /* clang-format on */

    typedef uint32_t (*native_fn)(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t *);
static const uint32_t edge[] = { 0,          1,           2,           0x7f,        0x80,
                                 0xff,       0x100,       0x7fff,      0x8000,      0xffff,
                                 0x7fffffff, 0x80000000u, 0x80000001u, 0xfffffffeu, 0xffffffffu,
                                 0x12345678, 0xdeadbeefu };
#define NEDGE (sizeof edge / sizeof edge[0])

static void against_host(struct tm *t, const uint8_t *s, const uint8_t *e, native_fn fn,
                         uint32_t undefined, bool shift)
{
    tm_load(t, CODE, s, e);
    for (unsigned i = 0; i < NEDGE; i++)
        for (unsigned j = 0; j < NEDGE; j++)
            for (uint32_t cf = 0; cf <= 1; cf++) {
                uint32_t a = edge[i], b = shift ? 0x9abcdef0u : edge[j];
                uint32_t c = shift ? edge[j] & 0x3f : 0, fl, und = undefined;
                uint32_t want = fn(a, b, c, FL_FIXED1 | cf, &fl);
                if (shift && (c & 31) != 1)
                    und |= FL_OF; /* OF is defined for 1-bit shifts only */
                if (shift && (c & 31) == 0)
                    und = 0; /* count 0: nothing changes */
                go(t, a, b, c, cf);
                if (t->cpu.gpr[R_EAX] != want ||
                    (ARITH(t->cpu.eflags) & ~und) != (ARITH(fl) & ~und))
                    fail_msg(
                        "a=%#x b=%#x c=%u CF=%u: got eax=%#x flags=%#x, host eax=%#x flags=%#x", a,
                        b, c, cf, t->cpu.gpr[R_EAX], ARITH(t->cpu.eflags), want, ARITH(fl));
            }
}

static void test_alu_vs_host(void **state)
{
    struct tm *t = *state;
    against_host(t, snip_add, snip_add_end, native_add, 0, false);
    against_host(t, snip_adc, snip_adc_end, native_adc, 0, false);
    against_host(t, snip_sub, snip_sub_end, native_sub, 0, false);
    against_host(t, snip_sbb, snip_sbb_end, native_sbb, 0, false);
    against_host(t, snip_and, snip_and_end, native_and, FL_AF, false); /* AF undefined */
    against_host(t, snip_or, snip_or_end, native_or, FL_AF, false);
    against_host(t, snip_xor, snip_xor_end, native_xor, FL_AF, false);
    against_host(t, snip_cmp, snip_cmp_end, native_cmp, 0, false);
    against_host(t, snip_neg, snip_neg_end, native_neg, 0, false);
    against_host(t, snip_inc, snip_inc_end, native_inc, 0, false);
    against_host(t, snip_dec, snip_dec_end, native_dec, 0, false);
}

static void test_shifts_vs_host(void **state)
{
    struct tm *t = *state;
    against_host(t, snip_shl, snip_shl_end, native_shl, FL_AF, true);
    against_host(t, snip_shr, snip_shr_end, native_shr, FL_AF, true);
    against_host(t, snip_sar, snip_sar_end, native_sar, FL_AF, true);
    against_host(t, snip_rol, snip_rol_end, native_rol, 0, true);
    against_host(t, snip_ror, snip_ror_end, native_ror, 0, true);
    against_host(t, snip_rcl, snip_rcl_end, native_rcl, 0, true);
    against_host(t, snip_rcr, snip_rcr_end, native_rcr, 0, true);
    against_host(t, snip_shld, snip_shld_end, native_shld, FL_AF, true);
    against_host(t, snip_shrd, snip_shrd_end, native_shrd, FL_AF, true);
}

/* ---- classic cases by hand ------------------------------------------------ */
static void test_alu_by_hand(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, add);
    go(t, 0x7fffffff, 1, 0, 0); /* signed overflow: + + gives - */
    assert_int_equal(t->cpu.gpr[R_EAX], 0x80000000u);
    assert_int_equal(ARITH(t->cpu.eflags), FL_OF | FL_SF | FL_AF | FL_PF);
    go(t, 0xffffffff, 1, 0, 0); /* unsigned carry out, zero */
    assert_int_equal(t->cpu.gpr[R_EAX], 0);
    assert_int_equal(ARITH(t->cpu.eflags), FL_CF | FL_ZF | FL_AF | FL_PF);

    TM_LOAD(t, CODE, sub);
    go(t, 0, 1, 0, 0); /* borrow */
    assert_int_equal(t->cpu.gpr[R_EAX], 0xffffffffu);
    assert_int_equal(ARITH(t->cpu.eflags), FL_CF | FL_SF | FL_AF | FL_PF);

    TM_LOAD(t, CODE, inc); /* INC keeps CF */
    go(t, 0xffffffff, 0, 0, FL_CF);
    assert_int_equal(t->cpu.gpr[R_EAX], 0);
    assert_true(t->cpu.eflags & FL_CF);
    assert_true(t->cpu.eflags & FL_ZF);

    TM_LOAD(t, CODE, add8); /* 8-bit: only AL changes */
    go(t, 0x123456ff, 0x01, 0, 0);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x12345600u);
    assert_int_equal(ARITH(t->cpu.eflags), FL_CF | FL_ZF | FL_AF | FL_PF);

    TM_LOAD(t, CODE, sub16); /* 16-bit: only AX changes */
    go(t, 0xabcd0000, 1, 0, 0);
    assert_int_equal(t->cpu.gpr[R_EAX], 0xabcdffffu);
    assert_int_equal(ARITH(t->cpu.eflags), FL_CF | FL_SF | FL_AF | FL_PF);

    TM_LOAD(t, CODE, test_ah); /* AH and BH: byte registers 4 and 7 */
    go(t, 0x8000, 0x8000, 0, FL_CF | FL_OF);
    assert_int_equal(ARITH(t->cpu.eflags), FL_SF); /* TEST clears CF, OF; 0x80 has odd parity */

    TM_LOAD(t, CODE, addm); /* read-modify-write memory */
    tm_wr32(t, DATA, 40);
    go(t, 0, 2, 0, 0);
    assert_int_equal(tm_rd32(t, DATA), 42);
}

static void test_shift_by_hand(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, shl8);
    go(t, 0xaaaa0081, 0, 1, 0); /* 1000 0001 << 1: CF = old bit 7 */
    assert_int_equal(t->cpu.gpr[R_EAX], 0xaaaa0002u);
    assert_true(t->cpu.eflags & FL_CF);
    assert_true(t->cpu.eflags & FL_OF); /* MSB(result)=0 xor CF=1 */

    TM_LOAD(t, CODE, rcr16); /* CF rotates into bit 15 */
    go(t, 0x55550001, 0, 1, FL_CF);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x55558000u);
    assert_true(t->cpu.eflags & FL_CF);

    TM_LOAD(t, CODE, shl); /* count 0: flags unchanged */
    go(t, 0x80000000u, 0, 0, FL_ZF | FL_CF);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x80000000u);
    assert_int_equal(ARITH(t->cpu.eflags), FL_ZF | FL_CF);
    go(t, 1, 0, 33, 0); /* count masked to 5 bits: 33 -> 1 */
    assert_int_equal(t->cpu.gpr[R_EAX], 2);
}

static void test_muldiv(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, mul);
    go(t, 0x80000000u, 4, 0, 0);
    assert_int_equal(t->cpu.gpr[R_EDX], 2);
    assert_int_equal(t->cpu.gpr[R_EAX], 0);
    assert_int_equal(t->cpu.eflags & (FL_CF | FL_OF), FL_CF | FL_OF); /* upper half used */

    TM_LOAD(t, CODE, imul1);
    go(t, (uint32_t)-2, 3, 0, FL_CF);
    assert_int_equal(t->cpu.gpr[R_EDX], 0xffffffffu);
    assert_int_equal(t->cpu.gpr[R_EAX], (uint32_t)-6);
    assert_int_equal(t->cpu.eflags & (FL_CF | FL_OF), 0); /* fits in EAX */

    TM_LOAD(t, CODE, imul2);
    go(t, 0x10000, 0x10000, 0, 0);
    assert_int_equal(t->cpu.gpr[R_EAX], 0);
    assert_int_equal(t->cpu.eflags & (FL_CF | FL_OF), FL_CF | FL_OF);

    TM_LOAD(t, CODE, imul3);
    go(t, 0, 5, 0, 0);
    assert_int_equal(t->cpu.gpr[R_EAX], (uint32_t)-15);

    TM_LOAD(t, CODE, div);
    t->cpu.gpr[R_EDX] = 1;
    tm_ring0(t);
    t->cpu.eip = CODE;
    t->cpu.gpr[R_EAX] = 5;
    t->cpu.gpr[R_EBX] = 0x10;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x10000000u); /* 0x1_00000005 / 16 */
    assert_int_equal(t->cpu.gpr[R_EDX], 5);

    TM_LOAD(t, CODE, idiv);
    tm_ring0(t);
    t->cpu.eip = CODE;
    t->cpu.gpr[R_EDX] = 0xffffffffu;
    t->cpu.gpr[R_EAX] = (uint32_t)-7;
    t->cpu.gpr[R_EBX] = 2;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], (uint32_t)-3); /* truncates toward zero */
    assert_int_equal(t->cpu.gpr[R_EDX], (uint32_t)-1);

    TM_LOAD(t, CODE, div8);
    go(t, 0x0107, 0x10, 0, 0);
    assert_int_equal(t->cpu.gpr[R_EAX] & 0xffff, 0x0710); /* AH=7 rem, AL=0x10 */
}

/* #DE: divide by zero and quotient overflow, precise (EIP = the DIV). */
static void test_divide_error(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, div0);
    go(t, 1234, 99, 0, 0);
    assert_int_equal(tm_vector(t), EXC_DE);
    assert_int_equal(tm_stack(t, 0), CODE + 2); /* xor ebx,ebx is 2 bytes */
    assert_int_equal(tm_stack(t, 1), SEL_KCODE);
    assert_int_equal(t->cpu.gpr[R_EAX], 1234); /* unchanged */

    TM_LOAD(t, CODE, div); /* quotient does not fit */
    tm_ring0(t);
    t->cpu.eip = CODE;
    t->cpu.gpr[R_EDX] = 0x10;
    t->cpu.gpr[R_EAX] = 0;
    t->cpu.gpr[R_EBX] = 0x10;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_DE);
    assert_int_equal(tm_stack(t, 0), CODE);

    TM_LOAD(t, CODE, idiv); /* INT_MIN / -1 */
    tm_ring0(t);
    t->cpu.eip = CODE;
    t->cpu.gpr[R_EDX] = 0xffffffffu;
    t->cpu.gpr[R_EAX] = 0x80000000u;
    t->cpu.gpr[R_EBX] = (uint32_t)-1;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_DE);
}

static void test_bitops(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, bt);
    go(t, 8, 3, 0, 0);
    assert_true(t->cpu.eflags & FL_CF);
    go(t, 8, 35, 0, FL_CF); /* register: offset mod 32 -> bit 3 */
    assert_true(t->cpu.eflags & FL_CF);
    go(t, 8, 2, 0, FL_CF);
    assert_false(t->cpu.eflags & FL_CF);

    TM_LOAD(t, CODE, btsm); /* memory: offset -1 = bit 31 of [edi-4] */
    tm_wr32(t, DATA - 4, 0);
    go(t, 0, (uint32_t)-1, 0, 0);
    assert_int_equal(tm_rd32(t, DATA - 4), 0x80000000u);
    assert_false(t->cpu.eflags & FL_CF);
    go(t, 0, (uint32_t)-1, 0, 0);
    assert_true(t->cpu.eflags & FL_CF); /* it was set now */

    TM_LOAD(t, CODE, btr5);
    go(t, 0x21, 0, 0, 0);
    assert_int_equal(t->cpu.gpr[R_EAX], 1);
    assert_true(t->cpu.eflags & FL_CF);

    TM_LOAD(t, CODE, btc);
    go(t, 0, 4, 0, 0);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x10);

    TM_LOAD(t, CODE, bsf);
    go(t, 77, 0x50, 0, FL_ZF);
    assert_int_equal(t->cpu.gpr[R_EAX], 4);
    assert_false(t->cpu.eflags & FL_ZF);
    go(t, 77, 0, 0, 0); /* source 0: ZF=1, destination kept */
    assert_int_equal(t->cpu.gpr[R_EAX], 77);
    assert_true(t->cpu.eflags & FL_ZF);

    TM_LOAD(t, CODE, bsr);
    go(t, 0, 0x50, 0, 0);
    assert_int_equal(t->cpu.gpr[R_EAX], 6);
}

static bool parity_even(uint32_t v) { return !__builtin_parity(v & 0xff); }

static void test_setcc(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, setcc);
    for (unsigned i = 0; i < NEDGE; i++)
        for (unsigned j = 0; j < NEDGE; j++) {
            uint32_t a = edge[i], b = edge[j], d = a - b;
            bool of = ((a ^ b) & (a ^ d)) >> 31;
            bool want[16] = {
                of,
                !of,
                a<b, a >= b, a == b, a != b, a <= b, a>
                    b,
                (int32_t)d < 0,
                (int32_t)d >= 0,
                parity_even(d),
                !parity_even(d),
                (int32_t)
                    a<(int32_t)b, (int32_t)a >= (int32_t)b, (int32_t)a <= (int32_t)b, (int32_t)a>(
                        int32_t) b,
            };
            go(t, a, b, 0, 0);
            for (int cc = 0; cc < 16; cc++)
                if (*tm_mem(t, DATA + cc) != want[cc])
                    fail_msg("cmp %#x, %#x: SETcc %d gave %d", a, b, cc, *tm_mem(t, DATA + cc));
        }

    TM_LOAD(t, CODE, cmov);
    tm_ring0(t);
    t->cpu.eip = CODE;
    t->cpu.gpr[R_EAX] = 1;
    t->cpu.gpr[R_EBX] = 2;
    t->cpu.gpr[R_ESI] = 99;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_ECX], 1);  /* 1 < 2: CMOVL moves */
    assert_int_equal(t->cpu.gpr[R_ESI], 99); /* CMOVAE does not */
}

static void test_exchange_convert(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, xadd);
    tm_wr32(t, DATA, 5);
    go(t, 0, 3, 0, 0);
    assert_int_equal(tm_rd32(t, DATA), 8);
    assert_int_equal(t->cpu.gpr[R_EBX], 5);

    TM_LOAD(t, CODE, cmpxchg);
    tm_wr32(t, DATA, 7);
    go(t, 7, 9, 0, 0); /* equal: store EBX, ZF=1 */
    assert_int_equal(tm_rd32(t, DATA), 9);
    assert_true(t->cpu.eflags & FL_ZF);
    go(t, 1, 5, 0, 0); /* differ: EAX = memory, ZF=0 */
    assert_int_equal(t->cpu.gpr[R_EAX], 9);
    assert_int_equal(tm_rd32(t, DATA), 9);
    assert_false(t->cpu.eflags & FL_ZF);

    TM_LOAD(t, CODE, cdq);
    go(t, 0x12348000, 0, 0, 0);
    assert_int_equal(t->cpu.gpr[R_EAX], 0xffff8000u);
    assert_int_equal(t->cpu.gpr[R_EDX], 0xffffffffu);

    TM_LOAD(t, CODE, bswap);
    go(t, 0x11223344, 0, 0, 0);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x44332211u);

    TM_LOAD(t, CODE, daa); /* BCD 19 + 28 = 47 */
    go(t, 0x19, 0x28, 0, 0);
    assert_int_equal(t->cpu.gpr[R_EAX] & 0xff, 0x47);

    TM_LOAD(t, CODE, lahf);
    go(t, 0, 0, 0, FL_SF | FL_CF);
    assert_int_equal((t->cpu.gpr[R_EAX] >> 8) & 0xff, FL_SF | FL_CF | FL_FIXED1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alu_vs_host, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_shifts_vs_host, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_alu_by_hand, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_shift_by_hand, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_muldiv, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_divide_error, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_bitops, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_setcc, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_exchange_convert, tm_setup, tm_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
