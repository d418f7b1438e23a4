/*
 * exec_fpu.c — the x87 instructions, opcodes D8-DF (SDM Vol. 2 Appendix
 * A.4, "Escape opcode instructions"), and WAIT.
 *
 * Every x87 instruction first checks CR0: EM or TS set is #NM, so an OS
 * can emulate the FPU or switch its state lazily (SDM Vol. 3A §2.5, Table
 * 2-2).  A "waiting" instruction (all but FNINIT, FNCLEX, FNSTSW, FNSTCW,
 * FNSTENV, FNSAVE) then checks for a pending unmasked exception: the
 * status word's ES bit, set when an earlier instruction raised an
 * exception its mask did not hide.  With CR0.NE = 1 that is #MF (vector
 * 16) on this instruction (SDM Vol. 1 §8.7).  With CR0.NE = 0 a PC
 * reports it on the FERR# pin as IRQ 13; we model the board holding
 * IGNNE# asserted instead, so the exception stays pending and is ignored
 * (the FERR# wiring is not modelled).
 *
 * Non-control instructions record their address, opcode and memory
 * operand in the last-instruction pointers (§8.1.8, §8.1.9) that FNSTENV,
 * FNSAVE and FXSAVE report to an exception handler.  Operands are
 * checked for stack faults (§8.5.1.1) here; the numbers come from the host
 * x87 (fpu_host.c).  Memory is read, and written, before the FPU state
 * changes, so a #PF leaves the instruction undone (precise).
 */
#include "x86/interp_int.h"
#include "x86/fpu.h"
#include "x86/exec_fpu.h"

#define FPU (&ip->cpu->fpu)

/* ---- memory operands ---------------------------------------------------- */
void rd_bytes(struct interp *ip, uint32_t lin, uint8_t *buf, int n)
{
    for (int k = 0; k < n;) {
        int s = n - k >= 4 ? 4 : n - k >= 2 ? 2 : 1;
        st_host(buf + k, s, ld(ip, lin + k, s));
        k += s;
    }
}
void wr_bytes(struct interp *ip, uint32_t lin, const uint8_t *buf, int n)
{
    if (!in_page(lin, n)) /* both pages writable before the first byte changes */
        (void)mem_xlate(ip, ip->tlb, lin + n - 1, ACC_W);
    for (int k = 0; k < n;) {
        int s = n - k >= 4 ? 4 : n - k >= 2 ? 2 : 1;
        st(ip, lin + k, s, ld_host(buf + k, s));
        k += s;
    }
}

/* ---- state helpers ----------------------------------------------------- */
/* Stack overflow or underflow: IE and SF, C1 = 1 for overflow (§8.5.1.1).
 * True if IE is masked: the caller then gives the masked response (the
 * indefinite QNaN as result); otherwise nothing else changes. */
static bool stack_fault(struct x86_fpu *f, bool overflow)
{
    f->sw = (f->sw & ~FSW_C1) | FSW_IE | FSW_SF | (overflow ? FSW_C1 : 0);
    fpu_update_es(f);
    return f->cw & FSW_IE;
}
/* Fold the host's status word in: exception flags are sticky, the
 * condition codes in cc are the host's.  False if an exception in stop is
 * unmasked: the destination is not written (the codes stay, too). */
static bool take_flags(struct x86_fpu *f, uint16_t hsw, uint16_t cc, uint16_t stop)
{
    bool ok = !(hsw & ~f->cw & stop);
    f->sw |= hsw & FSW_EXC;
    if (ok)
        f->sw = (f->sw & ~cc) | (hsw & cc);
    fpu_update_es(f);
    return ok;
}
static void c1_clear(struct x86_fpu *f) { f->sw &= ~FSW_C1; }
static const struct x87_reg zero80;

/* An operation on ST(0) (and ST(1) when n = 2) that leaves the host's
 * stack shape: unary functions, FSCALE, FPREM, FYL2X (pops), FSINCOS
 * (pushes), loads and constants (n = 0, push).  ST(0..) become the host's
 * results; a host exception that stopped the operation left its operands
 * as they were, so writing them back changes nothing. */
static void stack_op(struct interp *ip, enum x87_op op, int n, uint8_t m[16], uint16_t cc)
{
    struct x86_fpu *f = FPU;
    bool under = (n >= 1 && fpu_empty(f, 0)) || (n == 2 && fpu_empty(f, 1));
    int push = op == X87_SINCOS || op == X87_PTAN || op == X87_XTRACT || n == 0;
    if (under || (push && !fpu_empty(f, 7))) {
        if (!stack_fault(f, !under))
            return;
        if (n == 2 && op >= X87_YL2X) /* pops: one indefinite result */
            fpu_pop(f);
        else if (push && n == 1)
            fpu_set(f, 0, &x87_indefinite);
        if (push)
            fpu_push(f, &x87_indefinite);
        else
            fpu_set(f, 0, &x87_indefinite);
        return;
    }
    struct x87_result h;
    const struct x87_reg *a = n >= 1 ? fpu_st(f, 0) : &zero80;
    const struct x87_reg *b = n == 2 ? fpu_st(f, 1) : &zero80;
    x87_run(op, f->cw, a, b, m, &h);
    take_flags(f, h.sw, cc, 0);
    int delta = h.depth - 2;
    for (int i = 0; i < delta; i++)
        fpu_push(f, &zero80);
    for (int i = 0; i < -delta; i++)
        fpu_pop(f);
    for (int i = 0; i < n + delta; i++)
        fpu_set(f, i, &h.st[i]);
}

/* ---- arithmetic and comparisons: the /reg column of D8, DA, DC, DE --------
 * dst = dst op src with op = ModRM.reg: 0 ADD, 1 MUL, 4 SUB (dst - src),
 * 5 SUBR (src - dst), 6 DIV, 7 DIVR; 2 and 3 are FCOM and FCOMP.  With
 * ST(i) as destination (DC, DE register forms) the encodings of the
 * reverse forms swap: DC E0+i is FSUBR ST(i), ST(0) = ST(0) - ST(i). */
static const enum x87_op arith_op[8] = { X87_ADD, X87_MUL,  0,       0,
                                         X87_SUB, X87_SUBR, X87_DIV, X87_DIVR };

/* src_i: ST(src_i) is the source, or -1 for the memory operand m of
 * form mform (X87_M32...). */
static void arith(struct interp *ip, int op, int dst, int src_i, uint8_t m[16], unsigned mform,
                  bool pop)
{
    struct x86_fpu *f = FPU;
    if (fpu_empty(f, dst) || (src_i >= 0 && fpu_empty(f, src_i))) {
        if (!stack_fault(f, false))
            return;
        fpu_set(f, dst, &x87_indefinite);
    } else {
        struct x87_result h;
        const struct x87_reg *b = src_i >= 0 ? fpu_st(f, src_i) : &zero80;
        x87_run(arith_op[op] | mform, f->cw, fpu_st(f, dst), b, m, &h);
        if (!take_flags(f, h.sw, FSW_C1, FSW_IE | FSW_DE | FSW_ZE))
            return;
        fpu_set(f, dst, &h.st[0]);
    }
    if (pop)
        fpu_pop(f);
}

/* Compare ST(0) with ST(src_i), the memory operand m (src_i = -1) or
 * 0.0 (src_i = -2, FTST): FCOM, FUCOM, FICOM, FCOMI (ucom for the
 * unordered forms, which only signal on SNaN); then pop npop times.
 * eflags: FCOMI's ZF PF CF from C3 C2 C0 (SDM Vol. 2A FCOMI).  The codes
 * are set even when an unmasked exception (or stack fault) stops the
 * pops, as the hardware does: "unordered" for NaN and empty operands. */
static void compare(struct interp *ip, int src_i, uint8_t m[16], unsigned mform, bool ucom,
                    int npop, bool eflags)
{
    struct x86_fpu *f = FPU;
    uint16_t c;
    bool ok;
    if (fpu_empty(f, 0) || (src_i >= 0 && fpu_empty(f, src_i))) {
        ok = stack_fault(f, false);
        c = FSW_C3 | FSW_C2 | FSW_C0; /* unordered */
    } else {
        struct x87_result h;
        const struct x87_reg *b = src_i >= 0 ? fpu_st(f, src_i) : &zero80;
        unsigned op = src_i == -2 ? X87_TST : (ucom ? X87_UCOM : X87_COM) | mform;
        x87_run(op, f->cw, fpu_st(f, 0), b, m, &h);
        ok = take_flags(f, h.sw, FSW_C1, FSW_IE | FSW_DE);
        c = h.sw;
    }
    if (eflags)
        set_arith_flags(ip, (c & FSW_C3 ? FL_ZF : 0) | (c & FSW_C2 ? FL_PF : 0) |
                                (c & FSW_C0 ? FL_CF : 0));
    else
        f->sw = (f->sw & ~FSW_CC) | (c & (FSW_C3 | FSW_C2 | FSW_C0));
    while (ok && npop--)
        fpu_pop(f);
}

/* ---- stores ---------------------------------------------------------------- */
/* FST/FIST/FBSTP ST(0) to memory (size bytes), popping if pop; op
 * X87_NOPS is FSTP m80, which stores the register as it is.  Stack
 * underflow stores what the host makes of the indefinite QNaN (the real,
 * integer or BCD indefinite). */
static void store(struct interp *ip, const struct insn *in, enum x87_op op, int size, bool pop)
{
    struct x86_fpu *f = FPU;
    const struct x87_reg *a = fpu_st(f, 0);
    if (fpu_empty(f, 0)) {
        if (!stack_fault(f, false))
            return;
        a = &x87_indefinite;
    }
    uint8_t m[16] = { 0 };
    struct x87_result h;
    if (op == X87_NOPS) { /* FSTP m80: the register as is */
        memcpy(m, &a->sig, 8);
        memcpy(m + 8, &a->se, 2);
        h.sw = 0;
    } else {
        x87_run(op, f->cw, a, &zero80, m, &h);
    }
    bool ok = !(h.sw & ~f->cw & (FSW_IE | FSW_DE | FSW_OE | FSW_UE));
    if (ok)
        wr_bytes(ip, ea(ip, in), m, size);
    take_flags(f, h.sw, FSW_C1, FSW_IE | FSW_DE | FSW_OE | FSW_UE);
    if (ok && pop)
        fpu_pop(f);
}

/* FLD m80 / FLD ST(i): a register value pushed as is. */
static void push_value(struct interp *ip, const struct x87_reg *v, bool valid)
{
    struct x86_fpu *f = FPU;
    if (!fpu_empty(f, 7) || !valid) {
        if (!stack_fault(f, valid))
            return;
        v = &x87_indefinite;
    } else {
        c1_clear(f);
    }
    fpu_push(f, v);
}

/* ---- the eight escape bytes ------------------------------------------------ */
/* D8 (m32 real), DC (m64 real), DA (m32 int), DE (m16 int) with memory. */
static void esc_arith_mem(struct interp *ip, const struct insn *in, int esc, int reg)
{
    static const unsigned form[4] = { X87_M32, X87_I32, X87_M64, X87_I16 };
    static const int size[4] = { 4, 4, 8, 2 };
    uint8_t m[16] = { 0 };
    rd_bytes(ip, ea(ip, in), m, size[esc >> 1]);
    if (reg == 2 || reg == 3)
        compare(ip, -1, m, form[esc >> 1], false, reg == 3, false);
    else
        arith(ip, reg, 0, -1, m, form[esc >> 1], false);
}

/* FCMOVcc (DA: B E BE U, DB: NB NE NBE NU): EFLAGS conditions 2 4 6 10 / +1. */
static void fcmov(struct interp *ip, int esc, int reg, int i)
{
    static const uint8_t cc[4] = { 2, 4, 6, 10 };
    struct x86_fpu *f = FPU;
    if (fpu_empty(f, 0) || fpu_empty(f, i)) {
        if (stack_fault(f, false))
            fpu_set(f, 0, &x87_indefinite);
        return;
    }
    c1_clear(f);
    if (cc_cond(ip, cc[reg] + (esc == 3)))
        fpu_set(f, 0, fpu_st(f, i));
}

static void fxch(struct x86_fpu *f, int i)
{
    if (fpu_empty(f, 0) || fpu_empty(f, i)) {
        if (!stack_fault(f, false))
            return;
        if (fpu_empty(f, 0))
            fpu_set(f, 0, &x87_indefinite);
        if (fpu_empty(f, i))
            fpu_set(f, i, &x87_indefinite);
    } else {
        c1_clear(f);
    }
    struct x87_reg t = *fpu_st(f, 0);
    fpu_set(f, 0, fpu_st(f, i));
    fpu_set(f, i, &t);
}

/* FST/FSTP ST(i). */
static void fst_reg(struct x86_fpu *f, int i, bool pop)
{
    if (fpu_empty(f, 0)) {
        if (!stack_fault(f, false))
            return;
        fpu_set(f, i, &x87_indefinite);
    } else {
        c1_clear(f);
        fpu_set(f, i, fpu_st(f, 0));
    }
    if (pop)
        fpu_pop(f);
}

/* FCHS, FABS: the sign bit only, no exception but stack underflow. */
static void sign_op(struct x86_fpu *f, bool abs)
{
    if (fpu_empty(f, 0)) {
        if (stack_fault(f, false))
            fpu_set(f, 0, &x87_indefinite);
        return;
    }
    c1_clear(f);
    struct x87_reg *v = fpu_st(f, 0);
    v->se = abs ? v->se & 0x7fff : v->se ^ 0x8000;
}

/* D9 E0-FF: one-byte-like operations on the stack top (SDM Vol. 2 Table A-10). */
static void esc_d9_top(struct interp *ip, int modrm)
{
    struct x86_fpu *f = FPU;
    static const struct x87_reg one = { 1ull << 63, 0x3fff };
    uint8_t m[16];
    switch (modrm) {
    case 0xe0: sign_op(f, false); return;
    case 0xe1: sign_op(f, true); return;
    case 0xe4: compare(ip, -2, m, 0, false, 0, false); return; /* FTST */
    case 0xe5: f->sw = (f->sw & ~FSW_CC) | fpu_xam(f); return;
    case 0xe8: push_value(ip, &one, true); return;
    case 0xe9: stack_op(ip, X87_LDL2T, 0, m, FSW_C1); return;
    case 0xea: stack_op(ip, X87_LDL2E, 0, m, FSW_C1); return;
    case 0xeb: stack_op(ip, X87_LDPI, 0, m, FSW_C1); return;
    case 0xec: stack_op(ip, X87_LDLG2, 0, m, FSW_C1); return;
    case 0xed: stack_op(ip, X87_LDLN2, 0, m, FSW_C1); return;
    case 0xee: push_value(ip, &zero80, true); return;
    case 0xf0: stack_op(ip, X87_F2XM1, 1, m, FSW_C1); return;
    case 0xf1: stack_op(ip, X87_YL2X, 2, m, FSW_C1); return;
    case 0xf2: stack_op(ip, X87_PTAN, 1, m, FSW_C1 | FSW_C2); return;
    case 0xf3: stack_op(ip, X87_PATAN, 2, m, FSW_C1); return;
    case 0xf4: stack_op(ip, X87_XTRACT, 1, m, FSW_C1); return;
    case 0xf5: stack_op(ip, X87_PREM1, 2, m, FSW_CC); return;
    case 0xf6:
        f->top = (f->top - 1) & 7;
        c1_clear(f);
        return; /* FDECSTP */
    case 0xf7:
        f->top = (f->top + 1) & 7;
        c1_clear(f);
        return; /* FINCSTP */
    case 0xf8: stack_op(ip, X87_PREM, 2, m, FSW_CC); return;
    case 0xf9: stack_op(ip, X87_YL2XP1, 2, m, FSW_C1); return;
    case 0xfa: stack_op(ip, X87_SQRT, 1, m, FSW_C1); return;
    case 0xfb: stack_op(ip, X87_SINCOS, 1, m, FSW_C1 | FSW_C2); return;
    case 0xfc: stack_op(ip, X87_RNDINT, 1, m, FSW_C1); return;
    case 0xfd: stack_op(ip, X87_SCALE, 2, m, FSW_C1); return;
    case 0xfe: stack_op(ip, X87_SIN, 1, m, FSW_C1 | FSW_C2); return;
    case 0xff: stack_op(ip, X87_COS, 1, m, FSW_C1 | FSW_C2); return;
    }
    raise_ud(ip);
}

/* FLD m32/m64, FILD m16/m32/m64, FBLD m80: read size bytes at the operand
 * and push what the host's x87 makes of them (op converts). */
static void load(struct interp *ip, const struct insn *in, enum x87_op op, int size)
{
    uint8_t m[16] = { 0 };
    rd_bytes(ip, ea(ip, in), m, size);
    stack_op(ip, op, 0, m, FSW_C1);
}

static void esc_d9(struct interp *ip, const struct insn *in, int reg, int rm, bool mem)
{
    struct x86_fpu *f = FPU;
    if (mem) {
        switch (reg) {
        case 0: load(ip, in, X87_LD32, 4); return;
        case 2: store(ip, in, X87_ST32, 4, false); return;
        case 3: store(ip, in, X87_ST32, 4, true); return;
        case 4:
        case 5:
        case 6:
        case 7: fpu_env_insn(ip, in, 1, reg); return;
        }
        raise_ud(ip);
    }
    switch (reg) {
    case 0: { /* FLD ST(i): read before the push moves the stack */
        struct x87_reg v = *fpu_st(f, rm);
        push_value(ip, &v, !fpu_empty(f, rm));
        return;
    }
    case 1: fxch(f, rm); return;
    case 2:
        if (rm == 0)
            return; /* FNOP */
        break;
    case 3: fst_reg(f, rm, true); return; /* FSTP1, an alias */
    default: esc_d9_top(ip, 0xc0 | reg << 3 | rm); return;
    }
    raise_ud(ip);
}

static void esc_da(struct interp *ip, const struct insn *in, int reg, int rm, bool mem)
{
    if (mem)
        esc_arith_mem(ip, in, 2, reg);
    else if (reg < 4)
        fcmov(ip, 2, reg, rm);
    else if (reg == 5 && rm == 1) /* FUCOMPP */
        compare(ip, 1, NULL, 0, true, 2, false);
    else
        raise_ud(ip);
}

static void esc_db(struct interp *ip, const struct insn *in, int reg, int rm, bool mem)
{
    struct x86_fpu *f = FPU;
    if (mem) {
        uint8_t m[16] = { 0 };
        switch (reg) {
        case 0: load(ip, in, X87_ILD32, 4); return;
        case 2: store(ip, in, X87_IST32, 4, false); return;
        case 3: store(ip, in, X87_IST32, 4, true); return;
        case 5: { /* FLD m80 */
            struct x87_reg v;
            rd_bytes(ip, ea(ip, in), m, 10);
            memcpy(&v.sig, m, 8);
            memcpy(&v.se, m + 8, 2);
            push_value(ip, &v, true);
            return;
        }
        case 7: store(ip, in, X87_NOPS, 10, true); return;
        }
        raise_ud(ip); /* /1 FISTTP is SSE3 */
    }
    if (reg < 4) {
        fcmov(ip, 3, reg, rm);
        return;
    }
    switch (0xc0 | reg << 3 | rm) {
    case 0xe0:
    case 0xe1:
    case 0xe4: return; /* FENI, FDISI, FSETPM: 8087/287 only */
    case 0xe2: f->sw &= ~(FSW_EXC | FSW_SF | FSW_ES | FSW_B); return; /* FNCLEX */
    case 0xe3: fpu_init(f); return;                                   /* FNINIT */
    }
    if (reg == 5 || reg == 6) /* FUCOMI, FCOMI */
        compare(ip, rm, NULL, 0, reg == 5, 0, true);
    else
        raise_ud(ip);
}

static void esc_dc(struct interp *ip, const struct insn *in, int reg, int rm, bool mem)
{
    if (mem)
        esc_arith_mem(ip, in, 4, reg);
    else if (reg == 2 || reg == 3) /* FCOM2, FCOMP3: aliases */
        compare(ip, rm, NULL, 0, false, reg == 3, false);
    else
        arith(ip, reg >= 4 ? reg ^ 1 : reg, rm, 0, NULL, 0, false);
}

static void esc_dd(struct interp *ip, const struct insn *in, int reg, int rm, bool mem)
{
    struct x86_fpu *f = FPU;
    if (mem) {
        switch (reg) {
        case 0: load(ip, in, X87_LD64, 8); return;
        case 2: store(ip, in, X87_ST64, 8, false); return;
        case 3: store(ip, in, X87_ST64, 8, true); return;
        case 4:
        case 6:
        case 7: fpu_env_insn(ip, in, 5, reg); return;
        }
        raise_ud(ip);
    }
    switch (reg) {
    case 0: f->full &= ~(1u << fpu_phys(f, rm)); return; /* FFREE */
    case 1: fxch(f, rm); return;                         /* FXCH4 */
    case 2: fst_reg(f, rm, false); return;
    case 3: fst_reg(f, rm, true); return;
    case 4: compare(ip, rm, NULL, 0, true, 0, false); return; /* FUCOM */
    case 5: compare(ip, rm, NULL, 0, true, 1, false); return; /* FUCOMP */
    }
    raise_ud(ip);
}

static void esc_de(struct interp *ip, const struct insn *in, int reg, int rm, bool mem)
{
    if (mem)
        esc_arith_mem(ip, in, 6, reg);
    else if (reg == 2) /* FCOMP5: an alias */
        compare(ip, rm, NULL, 0, false, 1, false);
    else if (reg == 3 && rm == 1) /* FCOMPP */
        compare(ip, 1, NULL, 0, false, 2, false);
    else if (reg != 3)
        arith(ip, reg >= 4 ? reg ^ 1 : reg, rm, 0, NULL, 0, true);
    else
        raise_ud(ip);
}

static void esc_df(struct interp *ip, const struct insn *in, int reg, int rm, bool mem)
{
    struct x86_fpu *f = FPU;
    if (mem) {
        switch (reg) {
        case 0: load(ip, in, X87_ILD16, 2); return;
        case 2: store(ip, in, X87_IST16, 2, false); return;
        case 3: store(ip, in, X87_IST16, 2, true); return;
        case 4: load(ip, in, X87_BLD, 10); return;
        case 5: load(ip, in, X87_ILD64, 8); return;
        case 6: store(ip, in, X87_BST, 10, true); return;
        case 7: store(ip, in, X87_IST64, 8, true); return;
        }
        raise_ud(ip); /* /1 FISTTP is SSE3 */
    }
    switch (reg) {
    case 0: /* FFREEP: free ST(i), pop */
        f->full &= ~(1u << fpu_phys(f, rm));
        fpu_pop(f);
        return;
    case 1: fxch(f, rm); return; /* FXCH7 */
    case 2:
    case 3: fst_reg(f, rm, true); return; /* FSTP8, FSTP9 */
    case 4:
        if (rm != 0)
            break;
        wreg(ip, 2, R_EAX, fpu_sw(f)); /* FNSTSW AX */
        return;
    case 5:
    case 6: compare(ip, rm, NULL, 0, reg == 5, 1, true); return; /* FUCOMIP, FCOMIP */
    }
    raise_ud(ip);
}

static void esc_d8(struct interp *ip, const struct insn *in, int reg, int rm, bool mem)
{
    if (mem)
        esc_arith_mem(ip, in, 0, reg);
    else if (reg == 2 || reg == 3)
        compare(ip, rm, NULL, 0, false, reg == 3, false);
    else
        arith(ip, reg, 0, rm, NULL, 0, false);
}

/* Which kind an instruction is (x86/exec_fpu.h): the non-waiting FN*
 * forms, the other control instructions (FLDENV, FLDCW, FRSTOR), and the
 * rest. */
static int fpu_kind(int esc, int modrm, bool mem)
{
    int reg = (modrm >> 3) & 7;
    if (mem && (esc == 1 || esc == 5) && reg >= 6)
        return FPU_NOWAIT;
    if (mem && ((esc == 1 && (reg == 4 || reg == 5)) || (esc == 5 && reg == 4)))
        return FPU_CONTROL;
    if (!mem && ((esc == 3 && modrm >= 0xe0 && modrm <= 0xe4) || (esc == 7 && modrm == 0xe0)))
        return FPU_NOWAIT;
    return FPU_NONCONTROL;
}

/* D8-DF: in->imm holds the x87 opcode, (escape byte & 7) << 8 | ModRM. */
void h_fpu(struct interp *ip, const struct insn *in)
{
    typedef void esc_fn(struct interp *, const struct insn *, int, int, bool);
    static esc_fn *const esc_table[8] = { esc_d8, esc_d9, esc_da, esc_db,
                                          esc_dc, esc_dd, esc_de, esc_df };
    int esc = (in->imm >> 8) & 7, modrm = in->imm & 0xff;
    bool mem = in->flags & I_MEM;
    fpu_enter(ip, in, fpu_kind(esc, modrm, mem));
    esc_table[esc](ip, in, (modrm >> 3) & 7, modrm & 7, mem);
}
