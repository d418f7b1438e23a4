/*
 * test_flag_effects.c — the flag-effects table (common/x86/flag_effects.c)
 * and the lock-step checker's masked comparison (01-binary-translation/
 * check.c).
 *
 * Every row of the table is checked against the SDM Vol. 2 "Flags
 * Affected" text, written out again here (reads, defined, undefined), both
 * through the interpreter's decoded form (the class byte filled at decode
 * time, the count from the registers) and through capstone (tests/diff).
 * Then, for every row and every arithmetic flag: a pair of states that
 * differs only in that flag after the instruction compares equal if the
 * SDM leaves it undefined, and is a divergence if the SDM defines it.
 * Count-dependent rows are there with counts 0, 1, 2, >= width, and
 * masked to 0.  Finally the run-time side: the interpreter's tracking,
 * the translator's block split before a read of an undefined flag, and
 * the states two CPU vendors leave after XOR and MUL compare equal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include <capstone/capstone.h>
#include "x86/interp_int.h"
#include "x86/flag_effects.h"
#include "01-binary-translation/check.h"
#include "x86_harness.h"

#define C   FL_CF
#define P   FL_PF
#define A   FL_AF
#define Z   FL_ZF
#define S   FL_SF
#define O   FL_OF
#define ALL FL_ARITH

struct row {
    const char *what;
    uint8_t b[8];
    int len;
    uint32_t ecx;               /* CL / the REP count before it */
    uint32_t reads, def, undef; /* SDM Vol. 2 "Flags Affected"  */
    bool cs;                    /* capstone's id gives the row   */
};

static const struct row rows[] = {
    { "add eax, ebx", { 0x01, 0xd8 }, 2, 0, 0, ALL, 0, true },
    { "sub eax, ebx", { 0x29, 0xd8 }, 2, 0, 0, ALL, 0, true },
    { "cmp eax, ebx", { 0x39, 0xd8 }, 2, 0, 0, ALL, 0, true },
    { "neg eax", { 0xf7, 0xd8 }, 2, 0, 0, ALL, 0, true },
    { "cmpxchg eax, ebx", { 0x0f, 0xb1, 0xd8 }, 3, 0, 0, ALL, 0, true },
    { "xadd eax, ebx", { 0x0f, 0xc1, 0xd8 }, 3, 0, 0, ALL, 0, true },
    { "adc eax, ebx", { 0x11, 0xd8 }, 2, 0, C, ALL, 0, true },
    { "sbb eax, ebx", { 0x19, 0xd8 }, 2, 0, C, ALL, 0, true },
    { "inc eax", { 0x40 }, 1, 0, 0, O | S | Z | A | P, 0, true },
    { "dec eax", { 0x48 }, 1, 0, 0, O | S | Z | A | P, 0, true },
    /* Logic: OF = CF = 0, SF ZF PF by the result, AF undefined. */
    { "xor eax, eax", { 0x31, 0xc0 }, 2, 0, 0, O | S | Z | P | C, A, true },
    { "and eax, ebx", { 0x21, 0xd8 }, 2, 0, 0, O | S | Z | P | C, A, true },
    { "or eax, ebx", { 0x09, 0xd8 }, 2, 0, 0, O | S | Z | P | C, A, true },
    { "test eax, ebx", { 0x85, 0xd8 }, 2, 0, 0, O | S | Z | P | C, A, true },
    /* MUL/IMUL: CF OF defined, SF ZF AF PF undefined. */
    { "mul ebx", { 0xf7, 0xe3 }, 2, 0, 0, C | O, S | Z | A | P, true },
    { "imul eax, ebx", { 0x0f, 0xaf, 0xc3 }, 3, 0, 0, C | O, S | Z | A | P, true },
    { "imul eax, ebx, 5", { 0x6b, 0xc3, 0x05 }, 3, 0, 0, C | O, S | Z | A | P, true },
    /* DIV/IDIV: all six undefined. */
    { "div ebx", { 0xf7, 0xf3 }, 2, 0, 0, 0, ALL, true },
    { "idiv ebx", { 0xf7, 0xfb }, 2, 0, 0, 0, ALL, true },
    /* SHL/SHR/SAR: count 0 nothing; AF undefined; OF for count 1 only;
     * CF undefined for SHL/SHR by >= width. */
    { "shl eax, 1", { 0xd1, 0xe0 }, 2, 0, 0, C | S | Z | P | O, A, true },
    { "shl eax, 2", { 0xc1, 0xe0, 0x02 }, 3, 0, 0, C | S | Z | P, A | O, true },
    { "shl eax, cl (0)", { 0xd3, 0xe0 }, 2, 0, 0, 0, 0, true },
    { "shl eax, cl (32=0)", { 0xd3, 0xe0 }, 2, 32, 0, 0, 0, true },
    { "shl eax, cl (1)", { 0xd3, 0xe0 }, 2, 1, 0, C | S | Z | P | O, A, true },
    { "shl eax, cl (31)", { 0xd3, 0xe0 }, 2, 31, 0, C | S | Z | P, A | O, true },
    { "shl al, cl (8)", { 0xd2, 0xe0 }, 2, 8, 0, S | Z | P, A | O | C, true },
    { "shl al, cl (7)", { 0xd2, 0xe0 }, 2, 7, 0, C | S | Z | P, A | O, true },
    { "shr ax, cl (16)", { 0x66, 0xd3, 0xe8 }, 3, 16, 0, S | Z | P, A | O | C, true },
    { "shr eax, 1", { 0xd1, 0xe8 }, 2, 0, 0, C | S | Z | P | O, A, true },
    { "sar al, cl (9)", { 0xd2, 0xf8 }, 2, 9, 0, C | S | Z | P, A | O, true },
    { "sar eax, 1", { 0xd1, 0xf8 }, 2, 0, 0, C | S | Z | P | O, A, true },
    /* ROL/ROR: CF for a nonzero masked count, OF for count 1 only. */
    { "rol eax, 1", { 0xd1, 0xc0 }, 2, 0, 0, C | O, 0, true },
    { "rol eax, 3", { 0xc1, 0xc0, 0x03 }, 3, 0, 0, C, O, true },
    { "rol al, cl (8)", { 0xd2, 0xc0 }, 2, 8, 0, C, O, true },
    { "ror eax, cl (0)", { 0xd3, 0xc8 }, 2, 0, 0, 0, 0, true },
    /* RCL/RCR: through CF, modulo width + 1. */
    { "rcl eax, 1", { 0xd1, 0xd0 }, 2, 0, C, C | O, 0, true },
    { "rcl al, cl (9)", { 0xd2, 0xd0 }, 2, 9, 0, 0, O, true },
    { "rcl al, cl (0)", { 0xd2, 0xd0 }, 2, 0, 0, 0, 0, true },
    { "rcr ax, cl (5)", { 0x66, 0xd3, 0xd8 }, 3, 5, C, C, O, true },
    /* SHLD/SHRD: like a shift; 16-bit count > 16: all undefined. */
    { "shld eax, ebx, 1", { 0x0f, 0xa4, 0xd8, 0x01 }, 4, 0, 0, C | S | Z | P | O, A, true },
    { "shld eax, ebx, cl (4)", { 0x0f, 0xa5, 0xd8 }, 3, 4, 0, C | S | Z | P, A | O, true },
    { "shld ax, bx, cl (20)", { 0x66, 0x0f, 0xa5, 0xd8 }, 4, 20, 0, 0, ALL, true },
    { "shrd eax, ebx, cl (0)", { 0x0f, 0xad, 0xd8 }, 3, 0, 0, 0, 0, true },
    /* BT*: CF defined, ZF kept, OF SF AF PF undefined. */
    { "bt eax, ebx", { 0x0f, 0xa3, 0xd8 }, 3, 0, 0, C, O | S | A | P, true },
    { "bts eax, ebx", { 0x0f, 0xab, 0xd8 }, 3, 0, 0, C, O | S | A | P, true },
    /* BSF/BSR: ZF defined, the rest undefined. */
    { "bsf eax, ebx", { 0x0f, 0xbc, 0xc3 }, 3, 0, 0, Z, C | O | S | A | P, true },
    { "bsr eax, ebx", { 0x0f, 0xbd, 0xc3 }, 3, 0, 0, Z, C | O | S | A | P, true },
    /* BCD adjust. */
    { "daa", { 0x27 }, 1, 0, C | A, C | A | S | Z | P, O, true },
    { "das", { 0x2f }, 1, 0, C | A, C | A | S | Z | P, O, true },
    { "aaa", { 0x37 }, 1, 0, A, A | C, O | S | Z | P, true },
    { "aas", { 0x3f }, 1, 0, A, A | C, O | S | Z | P, true },
    { "aam", { 0xd4, 0x0a }, 2, 0, 0, S | Z | P, O | A | C, true },
    { "aad", { 0xd5, 0x0a }, 2, 0, 0, S | Z | P, O | A | C, true },
    /* Flag instructions. */
    { "clc", { 0xf8 }, 1, 0, 0, C, 0, true },
    { "stc", { 0xf9 }, 1, 0, 0, C, 0, true },
    { "cmc", { 0xf5 }, 1, 0, C, C, 0, true },
    { "lahf", { 0x9f }, 1, 0, S | Z | A | P | C, 0, 0, true },
    { "sahf", { 0x9e }, 1, 0, 0, S | Z | A | P | C, 0, true },
    { "pushf", { 0x9c }, 1, 0, ALL, 0, 0, true },
    { "popf", { 0x9d }, 1, 0, 0, ALL, 0, true },
    { "int 0x80", { 0xcd, 0x80 }, 2, 0, ALL, 0, 0, true },
    { "int3", { 0xcc }, 1, 0, ALL, 0, 0, true },
    { "iret", { 0xcf }, 1, 0, 0, ALL, 0, true },
    { "salc", { 0xd6 }, 1, 0, C, 0, 0, true },
    /* String compares: REP with a zero count changes nothing. */
    { "cmpsb (ecx 0)", { 0xa6 }, 1, 0, 0, ALL, 0, true },
    { "repe cmpsb (0)", { 0xf3, 0xa6 }, 2, 0, 0, 0, 0, true },
    { "repe cmpsb (3)", { 0xf3, 0xa6 }, 2, 3, 0, ALL, 0, true },
    { "repne scasd (0)", { 0xf2, 0xaf }, 2, 0, 0, 0, 0, true },
    /* Only ZF. */
    { "lar eax, ebx", { 0x0f, 0x02, 0xc3 }, 3, 0, 0, Z, 0, true },
    { "cmpxchg8b [eax]", { 0x0f, 0xc7, 0x08 }, 3, 0, 0, Z, 0, true },
    /* MOV CRn/DRn: all six undefined (capstone calls it MOV). */
    { "mov cr0, eax", { 0x0f, 0x22, 0xc0 }, 3, 0, 0, 0, ALL, false },
    { "mov eax, dr7", { 0x0f, 0x21, 0xf8 }, 3, 0, 0, 0, ALL, false },
    /* Conditions (SDM Vol. 1 Table B-1). */
    { "jz", { 0x74, 0x00 }, 2, 0, Z, 0, 0, true },
    { "jo", { 0x70, 0x00 }, 2, 0, O, 0, 0, true },
    { "jbe", { 0x76, 0x00 }, 2, 0, C | Z, 0, 0, true },
    { "jl", { 0x7c, 0x00 }, 2, 0, S | O, 0, 0, true },
    { "jp", { 0x7a, 0x00 }, 2, 0, P, 0, 0, true },
    { "setg al", { 0x0f, 0x9f, 0xc0 }, 3, 0, Z | S | O, 0, 0, true },
    { "cmovb eax, ebx", { 0x0f, 0x42, 0xc3 }, 3, 0, C, 0, 0, true },
    { "loope", { 0xe1, 0xfe }, 2, 0, Z, 0, 0, true },
    /* x87 (SDM Vol. 2A FCOMI, FCMOVcc): ZF PF CF from C3 C2 C0, OF SF AF
     * cleared; FCMOVcc reads the unsigned conditions and PF. */
    { "fcomi st1", { 0xdb, 0xf1 }, 2, 0, 0, ALL, 0, true },
    { "fucomip st1", { 0xdf, 0xe9 }, 2, 0, 0, ALL, 0, true },
    { "fcmovbe st1", { 0xda, 0xd1 }, 2, 0, C | Z, 0, 0, true },
    { "fcmovnu st1", { 0xdb, 0xd9 }, 2, 0, P, 0, 0, true },
    { "fadd st0, st1", { 0xd8, 0xc1 }, 2, 0, 0, 0, 0, false }, /* no capstone row */
    /* No flags. */
    { "mov eax, ebx", { 0x89, 0xd8 }, 2, 0, 0, 0, 0, true },
    { "not eax", { 0xf7, 0xd0 }, 2, 0, 0, 0, 0, true },
    { "lea eax, [ebx+4]", { 0x8d, 0x43, 0x04 }, 3, 0, 0, 0, 0, true },
};
#define NROWS (sizeof rows / sizeof rows[0])

static void expect_effect(const char *how, const struct row *r, struct x86_flag_effect fe)
{
    if (fe.reads != r->reads || fe.def != r->def || fe.undef != r->undef)
        fail_msg("%s (%s): reads %03x def %03x undef %03x; the SDM says %03x %03x %03x", r->what,
                 how, fe.reads, fe.def, fe.undef, r->reads, r->def, r->undef);
}

/* Each row, through the interpreter's decoded form and through capstone. */
static void test_rows(void **state)
{
    struct tm *t = *state;
    csh h;
    assert_int_equal(cs_open(CS_ARCH_X86, CS_MODE_32, &h), CS_ERR_OK);
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    for (size_t i = 0; i < NROWS; i++) {
        const struct row *r = &rows[i];
        uint32_t at = CODE + 0x20 * (uint32_t)i;
        memcpy(tm_mem(t, at), r->b, (size_t)r->len);
        struct block *b = decode_block(t->ip, at, at, at);
        assert_non_null(b);
        assert_int_equal(b->in[0].len, r->len);
        t->ip->r[R_ECX] = r->ecx;
        expect_effect("decoded", r, insn_flag_effect(t->ip, &b->in[0]));
        free(b);
        if (!r->cs)
            continue;
        cs_insn *ci;
        assert_int_equal(cs_disasm(h, r->b, (size_t)r->len, at, 1, &ci), 1);
        struct x86_cpu cpu = { .gpr[R_ECX] = r->ecx };
        struct x86_flag_effect fe;
        assert_true(x86_insn_flag_effect(ci, &cpu, &fe));
        expect_effect("capstone", r, fe);
        cs_free(ci, 1);
    }
    cs_close(&h);
}

/* The comparison: per row and flag, undefined -> equal, defined -> the
 * existing "eflags X vs Y" divergence. */
static void test_masked_compare(void **state)
{
    (void)state;
    for (size_t i = 0; i < NROWS; i++) {
        const struct row *r = &rows[i];
        uint32_t undef =
            x86_undef_after(0, &(struct x86_flag_effect){ r->reads, r->def, r->undef });
        for (uint32_t f = 1; f <= FL_OF; f <<= 1) {
            if (!(f & ALL))
                continue;
            struct x86_cpu a = { .eflags = FL_FIXED1 | FL_IF | FL_ZF }, b = a;
            b.eflags ^= f;
            char buf[96];
            const char *d = check_differs(&a, &b, undef, buf, sizeof buf);
            if ((d == NULL) != ((r->undef & f) != 0))
                fail_msg("%s: flag %03x %s %s", r->what, f, r->undef & f ? "undefined" : "defined",
                         d ? d : "compared equal");
            char want[64];
            snprintf(want, sizeof want, "eflags %08x vs %08x", a.eflags, b.eflags);
            if (d)
                assert_string_equal(d, want);
        }
    }
}

/* Only arithmetic flags can be undefined: DF, IF, TF always compare, and
 * so does everything else, whatever the mask. */
static void test_mask_is_arith_only(void **state)
{
    (void)state;
    static const uint32_t other[] = { FL_DF, FL_IF, FL_TF, FL_NT, FL_AC };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        struct x86_cpu a = { .eflags = FL_FIXED1 }, b = a;
        b.eflags ^= other[i];
        char buf[96];
        assert_non_null(check_differs(&a, &b, 0xffffffffu, buf, sizeof buf));
    }
    struct x86_cpu a = { .eflags = FL_FIXED1 }, b = a;
    b.gpr[R_EAX] = 1;
    b.eflags ^= FL_AF;
    char buf[96];
    assert_string_equal(check_differs(&a, &b, FL_AF, buf, sizeof buf), "eax 00000000 vs 00000001");
}

/* undef = (undef & ~def) | undef_new over a sequence. */
static uint32_t seq(const char *const *names, uint32_t start)
{
    uint32_t u = start;
    for (; *names; names++) {
        size_t i = 0;
        while (i < NROWS && strcmp(rows[i].what, *names))
            i++;
        assert_true(i < NROWS);
        u = x86_undef_after(u,
                            &(struct x86_flag_effect){ rows[i].reads, rows[i].def, rows[i].undef });
    }
    return u;
}
static void test_accumulate(void **state)
{
    (void)state;
    assert_int_equal(seq((const char *const[]){ "xor eax, eax", "add eax, ebx", NULL }, 0), 0);
    assert_int_equal(seq((const char *const[]){ "xor eax, eax", "inc eax", NULL }, 0), 0);
    assert_int_equal(seq((const char *const[]){ "div ebx", "inc eax", NULL }, 0), C);
    assert_int_equal(seq((const char *const[]){ "mul ebx", "shl eax, cl (0)", NULL }, 0),
                     S | Z | A | P);
    assert_int_equal(seq((const char *const[]){ "mul ebx", "shl eax, 1", NULL }, 0), A);
    assert_int_equal(seq((const char *const[]){ "bsf eax, ebx", "clc", NULL }, 0), O | S | A | P);
    assert_int_equal(seq((const char *const[]){ "div ebx", "lar eax, ebx", "sahf", NULL }, 0), O);
    assert_int_equal(seq((const char *const[]){ "shl al, cl (8)", "rcl al, cl (9)", NULL }, 0),
                     A | O | C);
    assert_int_equal(seq((const char *const[]){ "mov cr0, eax", "popf", NULL }, 0), 0);
    assert_int_equal(seq((const char *const[]){ "repe cmpsb (0)", NULL }, A), A);
    assert_int_equal(seq((const char *const[]){ "repe cmpsb (3)", NULL }, A), 0);
}

/* Run code at CODE on the reference interpreter with tracking on; the
 * undefined set when it halts. */
static uint32_t run_tracked(struct tm *t, const uint8_t *code, size_t len, uint32_t ecx)
{
    tm_load(t, CODE, code, code + len);
    t->cpu.eip = CODE;
    t->cpu.halted = false;
    t->cpu.gpr[R_ECX] = ecx;
    interp_track_flags(t->ip, true);
    interp_set_undef_flags(t->ip, 0);
    assert_int_equal(tm_run(t), EXIT_HLT);
    return interp_undef_flags(t->ip);
}

static void test_tracking(void **state)
{
    struct tm *t = *state;
    static const uint8_t xor_shl[] = { 0x31, 0xd8, 0xd3, 0xe0,
                                       0xf4 }; /* xor eax,ebx; shl eax,cl; hlt */
    static const uint8_t xor_add[] = { 0x31, 0xd8, 0x01, 0xd8, 0xf4 }; /* xor; add; hlt */
    assert_int_equal(run_tracked(t, xor_shl, sizeof xor_shl, 0), A);   /* by 0: AF kept */
    assert_int_equal(run_tracked(t, xor_shl, sizeof xor_shl, 1), A);
    assert_int_equal(run_tracked(t, xor_shl, sizeof xor_shl, 2), A | O);
    assert_int_equal(run_tracked(t, xor_shl, sizeof xor_shl, 0x21), A); /* masked to 1 */
    assert_int_equal(run_tracked(t, xor_add, sizeof xor_add, 0), 0);
    /* Off: nothing is accumulated. */
    tm_load(t, CODE, xor_shl, xor_shl + sizeof xor_shl);
    t->cpu.eip = CODE;
    t->cpu.halted = false;
    t->cpu.gpr[R_ECX] = 2;
    interp_track_flags(t->ip, false);
    interp_set_undef_flags(t->ip, 0);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(interp_undef_flags(t->ip), 0);
}

/* Under a lock-step check the translator's blocks end before an
 * instruction that reads a flag the block may have left undefined. */
static unsigned block_len(struct tm *t, const uint8_t *code, size_t len, bool split)
{
    memset(tm_mem(t, CODE), 0xf4, 64);
    memcpy(tm_mem(t, CODE), code, len);
    interp_split_flag_reads(t->ip, split);
    struct block *b = decode_block(t->ip, CODE, CODE, CODE);
    assert_non_null(b);
    unsigned n = b->n;
    free(b);
    return n;
}
static void test_split(void **state)
{
    struct tm *t = *state;
    static const uint8_t xor_pushf[] = { 0x31, 0xc0, 0x9c };
    static const uint8_t xor_lahf[] = { 0x31, 0xc0, 0x9f };
    static const uint8_t add_pushf[] = { 0x01, 0xd8, 0x9c };
    static const uint8_t xor_add_lahf[] = { 0x31, 0xc0, 0x01, 0xd8, 0x9f };
    static const uint8_t shr_adc[] = { 0xc1, 0xe8, 0x02, 0x11, 0xd8 }; /* CF defined */
    static const uint8_t shl8_adc[] = { 0xd2, 0xe0, 0x11, 0xd8 };      /* shl al,cl: CF maybe not */
    static const uint8_t shl2_jo[] = { 0xc1, 0xe0, 0x02, 0x70, 0x00 };
    static const uint8_t shl1_jo[] = { 0xd1, 0xe0, 0x70, 0x00 };
    static const uint8_t mul_jz[] = { 0xf7, 0xe3, 0x74, 0x00 };
    static const uint8_t mul_jc[] = { 0xf7, 0xe3, 0x72, 0x00 };
    static const uint8_t xor_daa[] = { 0x31, 0xc0, 0x27 };
    static const uint8_t xor_int[] = { 0x31, 0xc0, 0xcd, 0x80 };
    assert_int_equal(block_len(t, xor_pushf, sizeof xor_pushf, true), 1);
    assert_true(block_len(t, xor_pushf, sizeof xor_pushf, false) > 1);
    assert_int_equal(block_len(t, xor_lahf, sizeof xor_lahf, true), 1);
    assert_true(block_len(t, add_pushf, sizeof add_pushf, true) > 2);
    assert_true(block_len(t, xor_add_lahf, sizeof xor_add_lahf, true) > 3);
    assert_true(block_len(t, shr_adc, sizeof shr_adc, true) > 2);
    assert_int_equal(block_len(t, shl8_adc, sizeof shl8_adc, true), 1);
    assert_int_equal(block_len(t, shl2_jo, sizeof shl2_jo, true), 1);
    assert_int_equal(block_len(t, shl1_jo, sizeof shl1_jo, true), 2);
    assert_int_equal(block_len(t, mul_jz, sizeof mul_jz, true), 1);
    assert_int_equal(block_len(t, mul_jc, sizeof mul_jc, true), 2);
    assert_int_equal(block_len(t, xor_daa, sizeof xor_daa, true), 1);
    assert_int_equal(block_len(t, xor_int, sizeof xor_int, true), 1);
    interp_split_flag_reads(t->ip, false);
}

/* Both vendors: the interpreter's state after a real run, and the states
 * Intel and AMD leave, differ only where the SDM allows. */
static void test_vendors(void **state)
{
    struct tm *t = *state;
    static const uint8_t xor_edi[] = { 0x31, 0xff, 0xf4 }; /* xor edi, edi; hlt */
    t->cpu.gpr[R_EDI] = 1;
    uint32_t undef = run_tracked(t, xor_edi, sizeof xor_edi, 0);
    assert_int_equal(undef, A);
    struct x86_cpu ref = t->cpu, intel = ref, amd = ref;
    intel.eflags = (ref.eflags & ~A); /* Intel: AF cleared by logic ops         */
    amd.eflags = ref.eflags | A;      /* observed on AMD EPYC: 00000056 (AF set) */
    char buf[96];
    assert_null(check_differs(&intel, &ref, undef, buf, sizeof buf));
    assert_null(check_differs(&amd, &ref, undef, buf, sizeof buf));
    assert_null(check_differs(&amd, &intel, undef, buf, sizeof buf));
    amd.eflags ^= Z; /* ZF after XOR is defined */
    assert_non_null(check_differs(&amd, &ref, undef, buf, sizeof buf));

    /* MUL: SF ZF AF PF from the low half (Intel) or left as they were
     * (older AMD): every combination is equal, CF/OF are not. */
    static const uint8_t mul[] = { 0xf7, 0xe3, 0xf4 }; /* mul ebx; hlt */
    t->cpu.gpr[R_EAX] = 0x10000;
    t->cpu.gpr[R_EBX] = 0x10000;
    undef = run_tracked(t, mul, sizeof mul, 0);
    assert_int_equal(undef, S | Z | A | P);
    ref = t->cpu;
    for (uint32_t m = 0; m < 16; m++) {
        struct x86_cpu v = ref;
        v.eflags ^= ((m & 1) ? S : 0) | ((m & 2) ? Z : 0) | ((m & 4) ? A : 0) | ((m & 8) ? P : 0);
        assert_null(check_differs(&v, &ref, undef, buf, sizeof buf));
        v.eflags ^= C;
        assert_non_null(check_differs(&v, &ref, undef, buf, sizeof buf));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rows, tm_setup, tm_teardown),
        cmocka_unit_test(test_masked_compare),
        cmocka_unit_test(test_mask_is_arith_only),
        cmocka_unit_test(test_accumulate),
        cmocka_unit_test_setup_teardown(test_tracking, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_split, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_vendors, tm_setup, tm_teardown),
    };
    return cmocka_run_group_tests_name("flag_effects", tests, NULL, NULL);
}
