/*
 * test_interp_fpu.c — the x87 FPU of the CPU model (common/x86/fpu.h,
 * exec_fpu*.c) against the host CPU.
 *
 * x87 instructions are encoded the same in 32-bit and in 64-bit mode, and
 * [ebx + disp32] in 32-bit code is [rbx + disp32] in 64-bit code.  So
 * each case is one byte sequence
 *
 *   FNINIT; FLDCW cw; FLD m80 (the operands); <the instruction>;
 *   FNSTSW m16; SETB/SETE/SETP m8 (FCOMI's flags); FNSAVE m108
 *
 * that the interpreter runs as guest code (ending in HLT) and the host
 * runs natively (between push rbx/mov rbx,rdi and pop rbx/ret) on a data
 * area of the same layout.  The two data areas must then agree byte for
 * byte: registers, tags, TOP, control word, exception flags and condition
 * codes, and every memory result — except the last-instruction pointers,
 * which hold different addresses, and the condition codes the SDM leaves
 * undefined for the instruction (e.g. C0 C2 C3 after FADD).  The table
 * covers normal numbers, zeros, infinities, QNaN/SNaN, denormals and
 * unsupported encodings, huge and tiny values, every rounding mode, the
 * three precisions, unmasked exceptions, stack overflow and underflow.
 *
 * Then the parts no host comparison can show: #NM for CR0.EM/TS (and
 * WAIT with MP+TS), #MF on the next waiting instruction, FXSAVE/FXRSTOR
 * alignment and MXCSR checks, the FNSAVE/FRSTOR round trip, CPUID.
 */
#include <stdio.h>
#include <sys/mman.h>
#include "x86_harness.h"
#include "x86/fpu.h"

/* The data area (EBX): offsets of each part. */
enum {
    D_CW = 0x000,    /* control word for FLDCW                   */
    D_IN = 0x010,    /* 8 operands, m80 in 16-byte slots         */
    D_MEM = 0x100,   /* the instruction's memory operand, 16 B   */
    D_SW = 0x120,    /* FNSTSW after the instruction             */
    D_FLAGS = 0x130, /* SETB, SETE, SETP after the instruction   */
    D_SAVE = 0x140,  /* FNSAVE image, 108 bytes                  */
    D_ENV = 0x200,   /* FNSTENV/FNSAVE/FXSAVE by the instruction */
    D_SIZE = 0x400
};

/* An instruction under test: its bytes; a ModRM byte 0x80|reg<<3|3 ("M"
 * below) is [ebx + disp32] and gets disp32 = D_MEM (or D_ENV for the
 * state instructions, env = true). */
struct op {
    const char *name;
    uint8_t b[4];
    int n;         /* bytes                                   */
    int nin;       /* operands pushed before it (ST(0) = in[0]) */
    uint16_t cdef; /* condition codes defined by the SDM       */
    int memsize;   /* memory input bytes taken from the value  */
    bool env;      /* memory operand is the D_ENV area         */
};
#define M(reg) (0x80 | (reg) << 3 | 3)
#define CC_ALL (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)

static const struct op ops[] = {
    { "fadd st0,st1", { 0xd8, 0xc1 }, 2, 2, FSW_C1, 0, false },
    { "fmul st0,st1", { 0xd8, 0xc9 }, 2, 2, FSW_C1, 0, false },
    { "fsub st0,st1", { 0xd8, 0xe1 }, 2, 2, FSW_C1, 0, false },
    { "fsubr st0,st1", { 0xd8, 0xe9 }, 2, 2, FSW_C1, 0, false },
    { "fdiv st0,st1", { 0xd8, 0xf1 }, 2, 2, FSW_C1, 0, false },
    { "fdivr st0,st1", { 0xd8, 0xf9 }, 2, 2, FSW_C1, 0, false },
    { "fadd st1,st0", { 0xdc, 0xc1 }, 2, 2, FSW_C1, 0, false },
    { "fsubr st1,st0", { 0xdc, 0xe1 }, 2, 2, FSW_C1, 0, false },
    { "fsub st1,st0", { 0xdc, 0xe9 }, 2, 2, FSW_C1, 0, false },
    { "fdivr st1,st0", { 0xdc, 0xf1 }, 2, 2, FSW_C1, 0, false },
    { "fdiv st1,st0", { 0xdc, 0xf9 }, 2, 2, FSW_C1, 0, false },
    { "faddp", { 0xde, 0xc1 }, 2, 2, FSW_C1, 0, false },
    { "fmulp", { 0xde, 0xc9 }, 2, 2, FSW_C1, 0, false },
    { "fsubrp", { 0xde, 0xe1 }, 2, 2, FSW_C1, 0, false },
    { "fsubp", { 0xde, 0xe9 }, 2, 2, FSW_C1, 0, false },
    { "fdivrp", { 0xde, 0xf1 }, 2, 2, FSW_C1, 0, false },
    { "fdivp", { 0xde, 0xf9 }, 2, 2, FSW_C1, 0, false },
    { "fcom st1", { 0xd8, 0xd1 }, 2, 2, CC_ALL, 0, false },
    { "fcomp st1", { 0xd8, 0xd9 }, 2, 2, CC_ALL, 0, false },
    { "fcompp", { 0xde, 0xd9 }, 2, 2, CC_ALL, 0, false },
    { "fucom st1", { 0xdd, 0xe1 }, 2, 2, CC_ALL, 0, false },
    { "fucomp st1", { 0xdd, 0xe9 }, 2, 2, CC_ALL, 0, false },
    { "fucompp", { 0xda, 0xe9 }, 2, 2, CC_ALL, 0, false },
    { "fcomi st1", { 0xdb, 0xf1 }, 2, 2, FSW_C1, 0, false },
    { "fcomip st1", { 0xdf, 0xf1 }, 2, 2, FSW_C1, 0, false },
    { "fucomi st1", { 0xdb, 0xe9 }, 2, 2, FSW_C1, 0, false },
    { "fucomip st1", { 0xdf, 0xe9 }, 2, 2, FSW_C1, 0, false },
    { "fxch st1", { 0xd9, 0xc9 }, 2, 2, FSW_C1, 0, false },
    { "fld st1", { 0xd9, 0xc1 }, 2, 2, FSW_C1, 0, false },
    { "fst st1", { 0xdd, 0xd1 }, 2, 2, FSW_C1, 0, false },
    { "fstp st1", { 0xdd, 0xd9 }, 2, 2, FSW_C1, 0, false },
    { "ffree st1", { 0xdd, 0xc1 }, 2, 2, 0, 0, false },
    { "fcmovb (after fcomi)", { 0xdb, 0xf1, 0xda, 0xc1 }, 4, 2, FSW_C1, 0, false },
    { "fcmovnbe (after fucomi)", { 0xdb, 0xe9, 0xdb, 0xd1 }, 4, 2, FSW_C1, 0, false },
    { "fscale", { 0xd9, 0xfd }, 2, 2, FSW_C1, 0, false },
    { "fprem", { 0xd9, 0xf8 }, 2, 2, CC_ALL, 0, false },
    { "fprem1", { 0xd9, 0xf5 }, 2, 2, CC_ALL, 0, false },
    { "fyl2x", { 0xd9, 0xf1 }, 2, 2, FSW_C1, 0, false },
    { "fyl2xp1", { 0xd9, 0xf9 }, 2, 2, FSW_C1, 0, false },
    { "fpatan", { 0xd9, 0xf3 }, 2, 2, FSW_C1, 0, false },
    { "fchs", { 0xd9, 0xe0 }, 2, 1, FSW_C1, 0, false },
    { "fabs", { 0xd9, 0xe1 }, 2, 1, FSW_C1, 0, false },
    { "ftst", { 0xd9, 0xe4 }, 2, 1, CC_ALL, 0, false },
    { "fxam", { 0xd9, 0xe5 }, 2, 1, CC_ALL, 0, false },
    { "f2xm1", { 0xd9, 0xf0 }, 2, 1, FSW_C1, 0, false },
    { "fsqrt", { 0xd9, 0xfa }, 2, 1, FSW_C1, 0, false },
    { "frndint", { 0xd9, 0xfc }, 2, 1, FSW_C1, 0, false },
    { "fsin", { 0xd9, 0xfe }, 2, 1, FSW_C1 | FSW_C2, 0, false },
    { "fcos", { 0xd9, 0xff }, 2, 1, FSW_C1 | FSW_C2, 0, false },
    { "fsincos", { 0xd9, 0xfb }, 2, 1, FSW_C1 | FSW_C2, 0, false },
    { "fptan", { 0xd9, 0xf2 }, 2, 1, FSW_C1 | FSW_C2, 0, false },
    { "fxtract", { 0xd9, 0xf4 }, 2, 1, FSW_C1, 0, false },
    { "fincstp", { 0xd9, 0xf7 }, 2, 1, FSW_C1, 0, false },
    { "fdecstp", { 0xd9, 0xf6 }, 2, 1, FSW_C1, 0, false },
    { "fld1", { 0xd9, 0xe8 }, 2, 1, FSW_C1, 0, false },
    { "fldl2t", { 0xd9, 0xe9 }, 2, 1, FSW_C1, 0, false },
    { "fldl2e", { 0xd9, 0xea }, 2, 1, FSW_C1, 0, false },
    { "fldpi", { 0xd9, 0xeb }, 2, 1, FSW_C1, 0, false },
    { "fldlg2", { 0xd9, 0xec }, 2, 1, FSW_C1, 0, false },
    { "fldln2", { 0xd9, 0xed }, 2, 1, FSW_C1, 0, false },
    { "fldz", { 0xd9, 0xee }, 2, 1, FSW_C1, 0, false },
    { "fnop", { 0xd9, 0xd0 }, 2, 1, CC_ALL, 0, false },
    { "fnclex", { 0xdb, 0xe2 }, 2, 1, CC_ALL, 0, false },
    /* memory operands (the value's low bytes as the memory input) */
    { "fadd m32", { 0xd8, M(0) }, 2, 1, FSW_C1, 4, false },
    { "fmul m32", { 0xd8, M(1) }, 2, 1, FSW_C1, 4, false },
    { "fcom m32", { 0xd8, M(2) }, 2, 1, CC_ALL, 4, false },
    { "fcomp m32", { 0xd8, M(3) }, 2, 1, CC_ALL, 4, false },
    { "fsub m32", { 0xd8, M(4) }, 2, 1, FSW_C1, 4, false },
    { "fsubr m32", { 0xd8, M(5) }, 2, 1, FSW_C1, 4, false },
    { "fdiv m32", { 0xd8, M(6) }, 2, 1, FSW_C1, 4, false },
    { "fdivr m32", { 0xd8, M(7) }, 2, 1, FSW_C1, 4, false },
    { "fadd m64", { 0xdc, M(0) }, 2, 1, FSW_C1, 8, false },
    { "fdivr m64", { 0xdc, M(7) }, 2, 1, FSW_C1, 8, false },
    { "fcomp m64", { 0xdc, M(3) }, 2, 1, CC_ALL, 8, false },
    { "fiadd m32", { 0xda, M(0) }, 2, 1, FSW_C1, 4, false },
    { "fisubr m32", { 0xda, M(5) }, 2, 1, FSW_C1, 4, false },
    { "ficom m32", { 0xda, M(2) }, 2, 1, CC_ALL, 4, false },
    { "fimul m16", { 0xde, M(1) }, 2, 1, FSW_C1, 2, false },
    { "fidiv m16", { 0xde, M(6) }, 2, 1, FSW_C1, 2, false },
    { "ficomp m16", { 0xde, M(3) }, 2, 1, CC_ALL, 2, false },
    { "fld m32", { 0xd9, M(0) }, 2, 1, FSW_C1, 4, false },
    { "fld m64", { 0xdd, M(0) }, 2, 1, FSW_C1, 8, false },
    { "fld m80", { 0xdb, M(5) }, 2, 1, FSW_C1, 10, false },
    { "fild m16", { 0xdf, M(0) }, 2, 1, FSW_C1, 2, false },
    { "fild m32", { 0xdb, M(0) }, 2, 1, FSW_C1, 4, false },
    { "fild m64", { 0xdf, M(5) }, 2, 1, FSW_C1, 8, false },
    { "fbld m80", { 0xdf, M(4) }, 2, 1, FSW_C1, 10, false },
    { "fst m32", { 0xd9, M(2) }, 2, 1, FSW_C1, 0, false },
    { "fstp m32", { 0xd9, M(3) }, 2, 1, FSW_C1, 0, false },
    { "fst m64", { 0xdd, M(2) }, 2, 1, FSW_C1, 0, false },
    { "fstp m64", { 0xdd, M(3) }, 2, 1, FSW_C1, 0, false },
    { "fstp m80", { 0xdb, M(7) }, 2, 1, FSW_C1, 0, false },
    { "fist m16", { 0xdf, M(2) }, 2, 1, FSW_C1, 0, false },
    { "fistp m16", { 0xdf, M(3) }, 2, 1, FSW_C1, 0, false },
    { "fist m32", { 0xdb, M(2) }, 2, 1, FSW_C1, 0, false },
    { "fistp m32", { 0xdb, M(3) }, 2, 1, FSW_C1, 0, false },
    { "fistp m64", { 0xdf, M(7) }, 2, 1, FSW_C1, 0, false },
    { "fbstp m80", { 0xdf, M(6) }, 2, 1, FSW_C1, 0, false },
    { "fnstcw m16", { 0xd9, M(7) }, 2, 1, CC_ALL, 0, false },
    { "fnstsw m16", { 0xdd, M(7) }, 2, 2, CC_ALL, 0, false },
    { "fnstenv", { 0xd9, M(6) }, 2, 2, CC_ALL, 0, true },
    { "fnsave", { 0xdd, M(6) }, 2, 3, CC_ALL, 0, true },
    { "fnstenv (16-bit)", { 0x66, 0xd9, M(6) }, 3, 2, CC_ALL, 0, true },
    { "fxsave", { 0x0f, 0xae, M(0) }, 3, 3, CC_ALL, 0, true },
};

/* Operand values, 80-bit. */
struct val {
    const char *name;
    uint64_t sig;
    uint16_t se;
};
static const struct val vals[] = {
    { "1.5", 0xc000000000000000ull, 0x3fff },
    { "-2.25", 0x9000000000000000ull, 0xc000 },
    { "3", 0xc000000000000000ull, 0x4000 },
    { "0.1", 0xcccccccccccccccdull, 0x3ffb },
    { "pi", 0xc90fdaa22168c235ull, 0x4000 },
    { "-1e300", 0xbfb4c7f3a4c6f7c0ull, 0xc3e4 },
    { "2^63+1", 0x8000000000000001ull, 0x403e },
    { "1e-4000", 0xb4a3e9e3b2bb3a31ull, 0x0013 },
    { "huge", 0xffffffffffffffffull, 0x7ffe },
    { "+0", 0, 0x0000 },
    { "-0", 0, 0x8000 },
    { "+inf", 0x8000000000000000ull, 0x7fff },
    { "-inf", 0x8000000000000000ull, 0xffff },
    { "qnan", 0xc000000000001234ull, 0x7fff },
    { "snan", 0xa000000000000001ull, 0xffff },
    { "denormal", 0x0000000000001234ull, 0x0000 },
    { "pseudo-denormal", 0x8000000000000001ull, 0x0000 },
    { "unnormal", 0x4000000000000000ull, 0x4000 },
    { "m32 denormal", 0x0000000000000001ull, 0x0000 }, /* low bytes: an m32/m64 denormal */
    { "m32 snan", 0x7f800001000000ffull, 0x3fff },     /* low dword: an m32 SNaN */
    { "int -5", 0xfffffffffffffffbull, 0x3fff },       /* low bytes: integers -5 */
    { "bcd 1234", 0x0000000000001234ull, 0x8000 },     /* BCD -1234 */
};
#define NVALS (sizeof vals / sizeof vals[0])

/* Control words: the four rounding modes, 24- and 53-bit precision, the
 * reserved bits set (FLDCW keeps bit 6 set, bits 7 and 13-15 clear), and
 * every exception unmasked (the stack after the instruction is compared,
 * and no later instruction of the sequence waits). */
static const uint16_t cws[] = { 0x037f, 0x077f, 0x0b7f, 0x0f7f, 0x007f, 0x027f, 0xffff, 0x0340 };
#define NCWS (sizeof cws / sizeof cws[0])

struct seq {
    uint8_t code[128];
    int len;
};
static void emit(struct seq *s, const uint8_t *b, int n)
{
    memcpy(s->code + s->len, b, n);
    s->len += n;
}
static void emit_m(struct seq *s, uint8_t op, uint8_t reg, uint32_t disp)
{
    uint8_t b[6] = { op, (uint8_t)M(reg) };
    memcpy(b + 2, &disp, 4);
    emit(s, b, 6);
}

/* The sequence for op with nin operands pushed (ST(0) = in[0]). */
static void build(struct seq *s, const struct op *o, int nin)
{
    s->len = 0;
    emit(s, (const uint8_t[]){ 0x31, 0xc0 }, 2); /* XOR EAX,EAX: known EFLAGS */
    emit(s, (const uint8_t[]){ 0xdb, 0xe3 }, 2); /* FNINIT */
    emit_m(s, 0xd9, 5, D_CW);                    /* FLDCW */
    for (int k = nin - 1; k >= 0; k--)
        emit_m(s, 0xdb, 5, D_IN + 16 * k); /* FLD m80 */
    for (int i = 0; i < o->n; i++) {
        s->code[s->len++] = o->b[i];
        if (o->b[i] == M((o->b[i] >> 3) & 7) && i > 0) {
            uint32_t d = o->env ? D_ENV : D_MEM;
            memcpy(s->code + s->len, &d, 4);
            s->len += 4;
        }
    }
    emit_m(s, 0xdd, 7, D_SW);                             /* FNSTSW */
    static const uint8_t setcc[3] = { 0x92, 0x94, 0x9a }; /* SETB, SETE, SETP m8 */
    for (int k = 0; k < 3; k++) {
        s->code[s->len++] = 0x0f;
        emit_m(s, setcc[k], 0, D_FLAGS + k);
    }
    emit_m(s, 0xdd, 6, D_SAVE); /* FNSAVE */
}

static uint8_t *host_code;
static void run_host(const struct seq *s, uint8_t *data)
{
    static const uint8_t pro[] = { 0x53, 0x48, 0x89, 0xfb }, epi[] = { 0x5b, 0xc3 };
    memcpy(host_code, pro, 4);
    memcpy(host_code + 4, s->code, s->len);
    memcpy(host_code + 4 + s->len, epi, 2);
    ((void (*)(uint8_t *))(void *)host_code)(data);
}
static void run_guest(struct tm *t, const struct seq *s, uint8_t *data)
{
    memcpy(tm_mem(t, DATA), data, D_SIZE);
    memcpy(tm_mem(t, CODE), s->code, s->len);
    tm_mem(t, CODE)[s->len] = 0xf4; /* HLT */
    interp_invalidate_range(t->ip, CODE, s->len + 1);
    tm_ring0(t);
    t->cpu.eip = CODE;
    t->cpu.gpr[R_EBX] = DATA;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->exit.guest_eip, CODE + s->len);
    memcpy(data, tm_mem(t, DATA), D_SIZE);
}

/* Bytes that hold addresses (the last-instruction pointers), reserved
 * fields whose content differs between processors, and the registers of
 * a saved image that are empty: FNINIT empties the tags, not the
 * registers, so those bytes are whatever an earlier run left. */
static bool empty_reg(const uint8_t *img, int i, bool fx)
{
    if (fx)
        return !(img[4] >> ((((img[3] >> 3) & 7) + i) & 7) & 1);
    uint16_t sw, tw;
    memcpy(&sw, img + 4, 2);
    memcpy(&tw, img + 8, 2);
    return ((tw >> (2 * ((((sw >> 11) & 7) + i) & 7))) & 3) == 3;
}
static bool ignored(const struct op *o, const uint8_t *h, int off)
{
    if (off >= D_SAVE + 12 && off < D_SAVE + 28)
        return true;
    if (off >= D_SAVE + 28 && off < D_SAVE + 108)
        return empty_reg(h + D_SAVE, (off - D_SAVE - 28) / 10, false);
    if (!o->env || off < D_ENV)
        return false;
    if (o->b[0] == 0x66) /* 16-bit environment: FIP, FCS, FDP, FDS at 6-13 */
        return off >= D_ENV + 6 && off < D_ENV + 14;
    if (o->b[0] == 0x0f) { /* FXSAVE: FOP..FDS, MXCSR_MASK (the host has
                              DAZ, we do not), the XMM area (no SSE here) */
        if (off >= D_ENV + 32 && off < D_ENV + 160)
            return empty_reg(h + D_ENV, (off - D_ENV - 32) / 16, true);
        return (off >= D_ENV + 6 && off < D_ENV + 24) || (off >= D_ENV + 28 && off < D_ENV + 32) ||
               off >= D_ENV + 160;
    }
    if (o->b[1] == M(6) && o->b[0] == 0xdd && off >= D_ENV + 28 && off < D_ENV + 108)
        return empty_reg(h + D_ENV, (off - D_ENV - 28) / 10, false);
    return off >= D_ENV + 12 && off < D_ENV + 28;
}

static int compare_case(const struct op *o, const uint8_t *h, const uint8_t *g, char *why, size_t n)
{
    uint16_t undef = CC_ALL & ~o->cdef;
    for (int off = 0; off < D_SIZE; off++) {
        uint8_t mask = 0xff;
        if (ignored(o, h, off))
            continue;
        if (off == D_SW + 1 || off == D_SAVE + 5)
            mask = (uint8_t) ~(undef >> 8);
        if ((h[off] ^ g[off]) & mask) {
            snprintf(why, n, "byte 0x%03x: host %02x guest %02x", off, h[off], g[off]);
            return 1;
        }
    }
    return 0;
}

static void test_against_host(void **state)
{
    struct tm *t = *state;
    static uint8_t __attribute__((aligned(16))) hd[D_SIZE], gd[D_SIZE];
    int fails = 0, runs = 0;
    fpu_reset(&t->cpu.fpu); /* MXCSR 1F80H, as the host's */
    for (size_t oi = 0; oi < sizeof ops / sizeof ops[0]; oi++) {
        const struct op *o = &ops[oi];
        int op_fails = 0;
        /* two instructions: the second would trap on the host */
        size_t ncw = o->n == 4 ? NCWS - 1 : NCWS;
        for (size_t ci = 0; ci < ncw; ci++)
            for (size_t a = 0; a < NVALS; a++)
                for (int nin = o->nin; nin >= 0; nin--)
                    for (size_t b = 0; b < (nin == 2 ? NVALS : 1); b++) {
                        struct seq s;
                        memset(hd, 0xa5, sizeof hd);
                        memcpy(hd + D_CW, &cws[ci], 2);
                        size_t pick[3] = { a, b, (a + b) % NVALS };
                        for (int k = 0; k < 3; k++) {
                            memcpy(hd + D_IN + 16 * k, &vals[pick[k]].sig, 8);
                            memcpy(hd + D_IN + 16 * k + 8, &vals[pick[k]].se, 2);
                        }
                        memcpy(hd + D_MEM, hd + D_IN, 16);
                        memcpy(gd, hd, sizeof gd);
                        build(&s, o, nin);
                        run_host(&s, hd);
                        run_guest(t, &s, gd);
                        runs++;
                        char why[96];
                        if (compare_case(o, hd, gd, why, sizeof why) && fails++ < 40 &&
                            op_fails++ < 2)
                            print_message("%s cw=%04x a=%s b=%s pushed %d: %s\n", o->name, cws[ci],
                                          vals[a].name, vals[b].name, nin, why);
                    }
    }
    print_message("%d sequences compared with the host, %d differ\n", runs, fails);
    assert_int_equal(fails, 0);
}

/* Stack overflow: eight values, then FLD, FLD1, FILD (masked: the
 * indefinite pushed; unmasked: nothing changes). */
static void test_overflow_against_host(void **state)
{
    struct tm *t = *state;
    static uint8_t __attribute__((aligned(16))) hd[D_SIZE], gd[D_SIZE];
    static const struct op over[] = {
        { "fld m80", { 0xdb, M(5) }, 2, 8, FSW_C1, 10, false },
        { "fld1", { 0xd9, 0xe8 }, 2, 8, FSW_C1, 0, false },
        { "fldpi", { 0xd9, 0xeb }, 2, 8, FSW_C1, 0, false },
        { "fild m32", { 0xdb, M(0) }, 2, 8, FSW_C1, 4, false },
        { "fld st3", { 0xd9, 0xc3 }, 2, 8, FSW_C1, 0, false },
        { "fsincos", { 0xd9, 0xfb }, 2, 8, FSW_C1, 0, false },
        { "fxtract", { 0xd9, 0xf4 }, 2, 8, FSW_C1, 0, false },
    };
    for (size_t oi = 0; oi < sizeof over / sizeof over[0]; oi++)
        for (int unmask = 0; unmask < 2; unmask++) {
            struct seq s;
            uint16_t cw = unmask ? 0x037e : 0x037f;
            memset(hd, 0x5a, sizeof hd);
            memcpy(hd + D_CW, &cw, 2);
            for (int k = 0; k < 8; k++) {
                memcpy(hd + D_IN + 16 * k, &vals[k].sig, 8);
                memcpy(hd + D_IN + 16 * k + 8, &vals[k].se, 2);
            }
            memcpy(gd, hd, sizeof gd);
            build(&s, &over[oi], 8);
            run_host(&s, hd);
            run_guest(t, &s, gd);
            char why[96];
            if (compare_case(&over[oi], hd, gd, why, sizeof why))
                fail_msg("%s (unmasked %d): %s", over[oi].name, unmask, why);
        }
}

/* ---- exceptions -------------------------------------------------------------- */
/* Run code bytes (a HLT added) with EBX = ebx. */
static void run_bytes_at(struct tm *t, const uint8_t *b, size_t n, uint32_t ebx)
{
    memcpy(tm_mem(t, CODE), b, n);
    tm_mem(t, CODE)[n] = 0xf4;
    interp_invalidate_range(t->ip, CODE, n + 1);
    tm_ring0(t);
    t->cpu.eip = CODE;
    t->cpu.gpr[R_EBX] = ebx;
    assert_int_equal(tm_run(t), EXIT_HLT);
}
static void run_bytes(struct tm *t, const uint8_t *b, size_t n) { run_bytes_at(t, b, n, DATA); }

/* SDM Vol. 3A Table 2-2: EM or TS -> #NM for x87 and FXSAVE; WAIT only with
 * MP and TS. */
static void test_nm(void **state)
{
    struct tm *t = *state;
    static const uint8_t fld1[] = { 0xd9, 0xe8, 0xf4 }, wait[] = { 0x9b, 0xf4 };
    static const uint8_t fxsave[] = { 0x0f, 0xae, 0x03, 0xf4 }; /* fxsave [ebx] */
    t->cpu.cr0 |= CR0_EM;
    run_bytes(t, fld1, sizeof fld1);
    assert_int_equal(tm_vector(t), EXC_NM);
    assert_int_equal(tm_stack(t, 0), CODE); /* a fault */
    run_bytes(t, wait, sizeof wait);        /* EM does not stop WAIT */
    assert_int_equal(t->exit.guest_eip, CODE + 1);
    run_bytes(t, fxsave, sizeof fxsave);
    assert_int_equal(tm_vector(t), EXC_NM);
    t->cpu.cr0 = (t->cpu.cr0 & ~CR0_EM) | CR0_TS;
    run_bytes(t, fld1, sizeof fld1);
    assert_int_equal(tm_vector(t), EXC_NM);
    run_bytes(t, wait, sizeof wait); /* TS without MP: WAIT runs */
    assert_int_equal(t->exit.guest_eip, CODE + 1);
    t->cpu.cr0 |= CR0_MP;
    run_bytes(t, wait, sizeof wait);
    assert_int_equal(tm_vector(t), EXC_NM);
    t->cpu.cr0 &= ~(CR0_TS | CR0_MP);
    run_bytes(t, fld1, sizeof fld1);
    assert_int_equal(t->exit.guest_eip, CODE + 2);
    assert_false(fpu_empty(&t->cpu.fpu, 0));
}

/* An unmasked zero divide: the FDIV sets ZE and ES and leaves ST(0) alone;
 * FNSTSW (no wait) reads it; the next waiting instruction takes #MF with
 * CR0.NE = 1, its own address pushed; FNSTENV reports the FDIV.  With
 * NE = 0 it is not reported (IGNNE#). */
static void test_mf(void **state)
{
    struct tm *t = *state;
    static const uint8_t code[] = {
        0xdb, 0xe3,             /* fninit              */
        0xd9, 0x2b,             /* fldcw [ebx]         */
        0xd9, 0xee, 0xd9, 0xe8, /* fldz; fld1          */
        0xd8, 0xf1,             /* fdiv st0, st1  (+6) */
        0xdf, 0xe0,             /* fnstsw ax      (+8) */
        0x9b,                   /* wait           (+10)*/
        0xf4,
    };
    tm_wr32(t, DATA, 0x037b); /* ZE unmasked */
    t->cpu.cr0 |= CR0_NE;
    run_bytes(t, code, sizeof code);
    assert_int_equal(tm_vector(t), EXC_MF);
    assert_int_equal(tm_stack(t, 0), CODE + 12);
    assert_int_equal(t->cpu.gpr[R_EAX] & 0xffff, 0x3000 | FSW_B | FSW_ES | FSW_ZE); /* TOP 6 */
    struct x86_fpu *f = &t->cpu.fpu;
    assert_int_equal(f->fip, CODE + 8);
    assert_int_equal(f->fop, 0x0f1);            /* D8 F1 */
    assert_int_equal(fpu_st(f, 0)->se, 0x3fff); /* 1.0 unchanged */

    t->cpu.cr0 &= ~CR0_NE;
    run_bytes(t, code, sizeof code);
    assert_int_equal(t->exit.guest_eip, CODE + 13); /* the HLT after WAIT */
    assert_true(f->sw & FSW_ES);
}

/* FXSAVE/FXRSTOR: 16-byte alignment, reserved MXCSR bits, round trip. */
static void test_fxsave(void **state)
{
    struct tm *t = *state;
    static const uint8_t save_restore[] = {
        0xdb, 0xe3, 0xd9, 0xeb, 0xd9, 0xe8, /* fninit; fldpi; fld1  */
        0x0f, 0xae, 0x03,                   /* fxsave [ebx]        */
        0xdb, 0xe3,                         /* fninit              */
        0x0f, 0xae, 0x0b,                   /* fxrstor [ebx]       */
        0xf4,
    };
    run_bytes(t, save_restore, sizeof save_restore);
    assert_int_equal(t->exit.guest_eip, CODE + 14);
    struct x86_fpu *f = &t->cpu.fpu;
    assert_int_equal(f->top, 6);
    assert_int_equal(f->full, 0xc0);
    assert_int_equal(fpu_st(f, 0)->se, 0x3fff);
    assert_int_equal(fpu_st(f, 1)->sig, 0xc90fdaa22168c235ull);
    assert_int_equal(tm_rd32(t, DATA + 28), MXCSR_MASK);
    assert_int_equal(tm_mem(t, DATA)[4], 0xc0); /* abridged tags */

    run_bytes_at(t, save_restore + 6, 3, DATA + 8); /* fxsave [DATA + 8] */
    assert_int_equal(tm_vector(t), EXC_GP);
    assert_int_equal(tm_stack(t, 1), CODE);

    tm_wr32(t, DATA + 24, 0x10000); /* a reserved MXCSR bit */
    run_bytes(t, save_restore + 11, 4);
    assert_int_equal(tm_vector(t), EXC_GP);
    assert_int_equal(f->top, 6); /* nothing loaded */
}

/* FNSAVE then FRSTOR gives back the same state; FNSAVE leaves FNINIT's. */
static void test_fsave_frstor(void **state)
{
    struct tm *t = *state;
    static const uint8_t code[] = {
        0xdb, 0xe3, 0xd9, 0xeb, 0xd9, 0xee, 0xd9, 0xe8, /* fninit; fldpi; fldz; fld1 */
        0xdd, 0x33,                                     /* fnsave [ebx]             */
        0xd9, 0xee,                                     /* fldz                     */
        0xdd, 0x23,                                     /* frstor [ebx]             */
        0xdd, 0xb3, 0x00, 0x01, 0x00, 0x00,             /* fnsave [ebx+0x100]       */
        0xf4,
    };
    run_bytes(t, code, sizeof code);
    assert_int_equal(t->exit.guest_eip, CODE + sizeof code - 1);
    assert_memory_equal(tm_mem(t, DATA), tm_mem(t, DATA + 0x100), 108);
    uint16_t tw;
    memcpy(&tw, tm_mem(t, DATA + 8), 2);
    assert_int_equal(tw, 0x13ff); /* R5 valid (1), R6 zero, R7 valid (pi), R0-R4 empty */
    assert_int_equal(t->cpu.fpu.cw, FCW_DEFAULT);
    assert_int_equal(t->cpu.fpu.full, 0);
}

static void test_cpuid(void **state)
{
    (void)state;
    uint32_t r[4];
    x86_cpuid(1, r);
    assert_true(r[3] & 1);          /* FPU  */
    assert_true(r[3] & (1u << 24)); /* FXSR */
    assert_true(r[3] & (1u << 15)); /* CMOV: FCMOV and FCOMI exist */
}

int main(void)
{
    host_code =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (host_code == MAP_FAILED)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_against_host, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_overflow_against_host, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_nm, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_mf, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_fxsave, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_fsave_frstor, tm_setup, tm_teardown),
        cmocka_unit_test(test_cpuid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
