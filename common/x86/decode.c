/*
 * decode.c — the decoder front end: guest code bytes -> struct insn.
 *
 * Capstone (32-bit mode, detail on) does the hard parts of x86 decoding:
 * instruction length, validity, and the ModRM/SIB/displacement memory
 * operand.  We then pick the handler from the opcode (SDM Vol. 2 Appendix A,
 * the opcode map) and resolve every operand once: register numbers, memory
 * form, immediate, branch target.  This happens once per instruction per
 * block; executing the block afterwards never looks at the bytes again.
 */
#include <stdlib.h>
#include <stdio.h>
#include <capstone/capstone.h>
#include "x86/interp_int.h"

struct decoder {
    csh       h;
    cs_insn  *ci;
};

int decoder_init(struct interp *ip, char *err, size_t errlen)
{
    struct decoder *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (cs_open(CS_ARCH_X86, CS_MODE_32, &d->h) != CS_ERR_OK) {
        snprintf(err, errlen, "capstone: cs_open(x86, 32-bit) failed");
        free(d);
        return -1;
    }
    cs_option(d->h, CS_OPT_DETAIL, CS_OPT_ON);
    d->ci = cs_malloc(d->h);
    ip->dec = d;
    return 0;
}

void decoder_fini(struct interp *ip)
{
    struct decoder *d = ip->dec;
    if (!d)
        return;
    cs_free(d->ci, 1);
    cs_close(&d->h);
    free(d);
    ip->dec = NULL;
}

/* Capstone register -> our index (8 = none, reads as 0). */
static uint8_t gpr(x86_reg r)
{
    switch (r) {
    case X86_REG_EAX: case X86_REG_AX: return R_EAX;
    case X86_REG_ECX: case X86_REG_CX: return R_ECX;
    case X86_REG_EDX: case X86_REG_DX: return R_EDX;
    case X86_REG_EBX: case X86_REG_BX: return R_EBX;
    case X86_REG_ESP: case X86_REG_SP: return R_ESP;
    case X86_REG_EBP: case X86_REG_BP: return R_EBP;
    case X86_REG_ESI: case X86_REG_SI: return R_ESI;
    case X86_REG_EDI: case X86_REG_DI: return R_EDI;
    default: return 8;                    /* invalid, EIZ */
    }
}

/* What the raw bytes say (prefixes in any order, SDM Vol. 2 §2.1.1). */
struct raw {
    const uint8_t *b;
    int len, pos;           /* pos: first opcode byte */
    int seg;                /* override, or -1 */
    bool rep, repne, o16, a16, lock;
};

static void parse_prefixes(struct raw *r)
{
    r->seg = -1;
    for (r->pos = 0; r->pos < r->len; r->pos++) {
        switch (r->b[r->pos]) {
        case 0xf3: r->rep = true; r->repne = false; continue;
        case 0xf2: r->repne = true; r->rep = false; continue;
        case 0xf0: r->lock = true; continue;
        case 0x66: r->o16 = true; continue;
        case 0x67: r->a16 = true; continue;
        case 0x26: r->seg = S_ES; continue;
        case 0x2e: r->seg = S_CS; continue;
        case 0x36: r->seg = S_SS; continue;
        case 0x3e: r->seg = S_DS; continue;
        case 0x64: r->seg = S_FS; continue;
        case 0x65: r->seg = S_GS; continue;
        }
        break;
    }
}

static uint32_t imm_end(const struct raw *r, int k)      /* last k bytes, little endian */
{
    uint32_t v = 0;
    for (int i = 0; i < k; i++)
        v |= (uint32_t)r->b[r->len - k + i] << (8 * i);
    return v;
}
static uint32_t simm8(const struct raw *r) { return (uint32_t)(int8_t)r->b[r->len - 1]; }

/* The memory operand as capstone parsed it. */
static void set_mem(struct insn *in, const cs_x86 *x, const struct raw *r)
{
    const x86_op_mem *m = NULL;
    for (int i = 0; i < x->op_count; i++)
        if (x->operands[i].type == X86_OP_MEM) {
            m = &x->operands[i].mem;
            break;
        }
    in->flags |= I_MEM;
    if (!m)
        return;
    in->base = gpr(m->base);
    in->index = gpr(m->index);
    in->scale = m->scale == 8 ? 3 : m->scale == 4 ? 2 : m->scale == 2 ? 1 : 0;
    in->disp = (uint32_t)m->disp;
    in->seg = (in->base == R_ESP || in->base == R_EBP) ? S_SS : S_DS;   /* default */
    if (r->seg >= 0)
        in->seg = r->seg;
}

/* ptr16:32 (or ptr16:16) of a direct far JMP/CALL: offset, then selector. */
static void far_ptr(struct insn *in, const struct raw *r, int os)
{
    in->imm2 = imm_end(r, 2);
    uint32_t v = 0;
    for (int i = 0; i < os; i++)
        v |= (uint32_t)r->b[r->len - 2 - os + i] << (8 * i);
    in->imm = v;
}

#define SZI(s) ((s) >> 1)                     /* operand size 1, 2, 4 -> 0, 1, 2 */

/* LOCK is allowed only on read-modify-write instructions with a memory
 * destination (SDM Vol. 2 "LOCK"); anything else is #UD. */
static bool lock_ok(uint8_t op, uint8_t op2, int reg, bool mem)
{
    if (!mem)
        return false;
    if (op != 0x0f) {
        if (op < 0x40)
            return (op & 7) < 2 && (op >> 3) != 7;          /* ALU Eb/Ev, Gb/Gv but CMP */
        switch (op) {
        case 0x80: case 0x81: case 0x82: case 0x83: return reg != 7;
        case 0x86: case 0x87: return true;
        case 0xf6: case 0xf7: return reg == 2 || reg == 3;
        case 0xfe: case 0xff: return reg <= 1;
        }
        return false;
    }
    switch (op2) {
    case 0xab: case 0xb3: case 0xbb: case 0xb0: case 0xb1: case 0xc0: case 0xc1: return true;
    case 0xba: return reg >= 5;
    case 0xc7: return reg == 1;
    }
    return false;
}

/* Does the instruction write its memory operand (capstone's access info)? */
/* Does the instruction store to its memory operand?  Mostly capstone's
 * operand access flags say so, but capstone 4.0.2 gets a few wrong (found
 * by tests/diff, see tests/diff/FINDINGS.md): RCL/RCR m,1 and SETcc m8 are
 * marked read-only, CMPXCHG m,r read-only, TEST m,imm read+write.  Those
 * are decided here from the opcode (op, op2 for 0F xx, reg = ModRM.reg). */
static bool writes_mem(const cs_x86 *x, insn_fn fn, uint8_t op, uint8_t op2, int reg)
{
    if (op == 0x0f && ((op2 >= 0x90 && op2 <= 0x9f) || op2 == 0xb0 || op2 == 0xb1))
        return true;                        /* SETcc m8, CMPXCHG m,r */
    if ((op == 0xf6 || op == 0xf7) && reg <= 1)
        return false;                       /* TEST m,imm (/0 and its /1 alias) */
    for (int o = 0; o < 8; o++)             /* RCL/RCR m, 1 */
        for (int sz = 0; sz < 3; sz++)
            if (fn == h_shift[o][sz][1])
                return true;
    for (int i = 0; i < x->op_count; i++)
        if (x->operands[i].type == X86_OP_MEM && (x->operands[i].access & CS_AC_WRITE))
            return true;
    return false;
}

static bool decode_insn2(struct insn *in, const cs_insn *ci, uint32_t eip);

/* Fill *in for one instruction; returns true if it ends the block. */
static bool decode_insn(struct insn *in, const cs_insn *ci, uint32_t eip)
{
    bool end = decode_insn2(in, ci, eip);
    const cs_x86 *x = &ci->detail->x86;
    struct raw r = { .b = ci->bytes, .len = ci->size };
    parse_prefixes(&r);
    /* Flag class: the table's row; MOV to/from CRn/DRn leaves all six
     * undefined (SDM Vol. 2B "MOV—Move to/from Control Registers"). */
    unsigned fc = x86_flag_class(ci);
    if (r.b[r.pos] == 0x0f && r.b[r.pos + 1] >= 0x20 && r.b[r.pos + 1] <= 0x23)
        fc = FC_CTLREG;
    in->fclass = fc == FC_UNKNOWN ? FC_NONE : fc;   /* the rest leave the flags alone */
    if (in->fn == h_ud)
        return end;
    if (r.lock) {
        uint8_t op = r.b[r.pos], op2 = r.b[r.pos + 1];
        uint8_t modrm = r.b[r.pos + 1 + (op == 0x0f)];
        if (!lock_ok(op, op2, (modrm >> 3) & 7, (in->flags & I_MEM) && (modrm >> 6) != 3)) {
            in->fn = h_ud;
            return true;
        }
    }
    if ((in->flags & I_MEM) && in->seg == S_CS) {
        uint8_t op = r.b[r.pos], op2 = r.b[r.pos + 1];
        int reg = (r.b[r.pos + 1 + (op == 0x0f)] >> 3) & 7;
        if (writes_mem(x, in->fn, op, op2, reg))
            in->fn = h_gp0;             /* code segments are never writable (SDM Vol. 3A §5.4.1) */
    }
    return end;
}

static bool decode_insn2(struct insn *in, const cs_insn *ci, uint32_t eip)
{
    const cs_x86 *x = &ci->detail->x86;
    struct raw r = { .b = ci->bytes, .len = ci->size };
    parse_prefixes(&r);
    memset(in, 0, sizeof *in);
    in->eip = eip;
    in->len = ci->size;
    in->next = eip + ci->size;
    in->amask = r.a16 ? 0xffff : 0xffffffffu;
    in->base = in->index = 8;
    in->seg = r.seg >= 0 ? r.seg : S_DS;
    if (r.rep) in->flags |= I_REP;
    if (r.repne) in->flags |= I_REPNE;
    if (r.o16) in->flags |= I_O16;

    int os = r.o16 ? 2 : 4;
    uint8_t op = r.b[r.pos];
    bool two = op == 0x0f;
    uint8_t op2 = two ? r.b[r.pos + 1] : 0;
    uint8_t modrm = r.b[r.pos + 1 + two];     /* meaningful only where the opcode has one */
    int mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
    bool mem = mod != 3;
    in->reg = reg;
    in->op = reg;
#define E()        do { if (mem) set_mem(in, x, &r); else in->rm = rm; } while (0)
#define SET(f, sz) do { in->fn = (f); in->size = (sz); } while (0)
#define MEMONLY()  do { if (!mem) goto ud; } while (0)
#define REL(k)     do { uint32_t t = in->next + ((k) == 1 ? simm8(&r) : imm_end(&r, (k))); \
                        in->imm = os == 2 ? t & 0xffff : t; } while (0)

    if (!two) {
        /* 00-3F: ALU ops in 8 groups of 6 forms (prefix bytes never get here). */
        if (op < 0x40 && (op & 7) < 6) {
            int aop = op >> 3;
            switch (op & 7) {
            case 0: E(); SET(h_alu_rm_r[aop][0][mem], 1); break;
            case 1: E(); SET(h_alu_rm_r[aop][SZI(os)][mem], os); break;
            case 2: E(); SET(h_alu_r_rm[aop][0][mem], 1); break;
            case 3: E(); SET(h_alu_r_rm[aop][SZI(os)][mem], os); break;
            case 4: in->rm = R_EAX; in->imm = imm_end(&r, 1); SET(h_alu_rm_i[aop][0][0], 1); break;
            case 5: in->rm = R_EAX; in->imm = imm_end(&r, os); SET(h_alu_rm_i[aop][SZI(os)][0], os); break;
            }
            return false;
        }
        switch (op) {
        case 0x06: case 0x0e: case 0x16: case 0x1e:           /* PUSH ES/CS/SS/DS */
            in->reg = op >> 3; SET(h_push_sreg, os); return false;
        case 0x07: case 0x17: case 0x1f:                      /* POP ES/SS/DS */
            in->reg = op >> 3; SET(h_pop_sreg, os); return true;
        case 0x27: SET(h_daa, 1); return false;
        case 0x2f: SET(h_das, 1); return false;
        case 0x37: SET(h_aaa, 1); return false;
        case 0x3f: SET(h_aas, 1); return false;
        case 0x40 ... 0x47: in->rm = op & 7; SET(h_incdec[0][SZI(os)][0], os); return false;
        case 0x48 ... 0x4f: in->rm = op & 7; SET(h_incdec[1][SZI(os)][0], os); return false;
        case 0x50 ... 0x57: in->reg = op & 7; SET(h_push_r, os); return false;
        case 0x58 ... 0x5f: in->reg = op & 7; SET(h_pop_r, os); return false;
        case 0x60: SET(h_pusha, os); return false;
        case 0x61: SET(h_popa, os); return false;
        case 0x62: MEMONLY(); E(); SET(h_bound, os); return false;
        case 0x68: in->imm = imm_end(&r, os); SET(h_push_i, os); return false;
        case 0x6a: in->imm = simm8(&r); SET(h_push_i, os); return false;
        case 0x69: E(); in->imm = imm_end(&r, os); SET(h_imul3, os); return false;
        case 0x6b: E(); in->imm = simm8(&r); SET(h_imul3, os); return false;
        case 0x6c: SET(h_ins, 1); return true;
        case 0x6d: SET(h_ins, os); return true;
        case 0x6e: SET(h_outs, 1); return true;
        case 0x6f: SET(h_outs, os); return true;
        case 0x70 ... 0x7f: in->op = op & 0xf; REL(1); SET(h_jcc, os); return true;
        case 0x80: case 0x82:
            E(); in->imm = imm_end(&r, 1); SET(h_alu_rm_i[reg][0][mem], 1); return false;
        case 0x81: E(); in->imm = imm_end(&r, os); SET(h_alu_rm_i[reg][SZI(os)][mem], os); return false;
        case 0x83: E(); in->imm = simm8(&r) & szmask(os); SET(h_alu_rm_i[reg][SZI(os)][mem], os); return false;
        case 0x84: E(); SET(h_test_rm_r[0][mem], 1); return false;
        case 0x85: E(); SET(h_test_rm_r[SZI(os)][mem], os); return false;
        case 0x86: E(); SET(h_xchg, 1); return false;
        case 0x87: E(); SET(h_xchg, os); return false;
        case 0x88: E(); SET(h_mov_rm_r[0][mem], 1); return false;
        case 0x89: E(); SET(h_mov_rm_r[SZI(os)][mem], os); return false;
        case 0x8a: E(); SET(h_mov_r_rm[0][mem], 1); return false;
        case 0x8b: E(); SET(h_mov_r_rm[SZI(os)][mem], os); return false;
        case 0x8c: if (reg > S_GS) goto ud; E(); SET(h_mov_rm_sreg, os); return false;
        case 0x8d: MEMONLY(); E(); SET(h_lea, os); return false;
        case 0x8e: if (reg > S_GS || reg == S_CS) goto ud; E(); SET(h_mov_sreg_rm, 2); return true;
        case 0x8f: if (reg != 0) goto ud; E(); SET(h_pop_rm, os); return false;
        case 0x90: SET(h_nop, os); return false;              /* NOP, F3 90 = PAUSE */
        case 0x91 ... 0x97: in->reg = R_EAX; in->rm = op & 7; SET(h_xchg, os); return false;
        case 0x98: SET(h_cbw, os); return false;
        case 0x99: SET(h_cwd, os); return false;
        case 0x9a: far_ptr(in, &r, os); SET(h_callf, os); return true;
        case 0x9b: SET(h_fwait, os); return false;            /* WAIT */
        case 0x9c: SET(h_pushf, os); return false;
        case 0x9d: SET(h_popf, os); return true;              /* may set IF, TF */
        case 0x9e: SET(h_sahf, 1); return false;
        case 0x9f: SET(h_lahf, 1); return false;
        case 0xa0: set_mem(in, x, &r); in->reg = R_EAX; SET(h_mov_r_rm[0][1], 1); return false;
        case 0xa1: set_mem(in, x, &r); in->reg = R_EAX; SET(h_mov_r_rm[SZI(os)][1], os); return false;
        case 0xa2: set_mem(in, x, &r); in->reg = R_EAX; SET(h_mov_rm_r[0][1], 1); return false;
        case 0xa3: set_mem(in, x, &r); in->reg = R_EAX; SET(h_mov_rm_r[SZI(os)][1], os); return false;
        case 0xa4: SET(h_movs, 1); return false;
        case 0xa5: SET(h_movs, os); return false;
        case 0xa6: SET(h_cmps, 1); return false;
        case 0xa7: SET(h_cmps, os); return false;
        case 0xa8: in->rm = R_EAX; in->imm = imm_end(&r, 1); SET(h_test_rm_i[0][0], 1); return false;
        case 0xa9: in->rm = R_EAX; in->imm = imm_end(&r, os); SET(h_test_rm_i[SZI(os)][0], os); return false;
        case 0xaa: SET(h_stos, 1); return false;
        case 0xab: SET(h_stos, os); return false;
        case 0xac: SET(h_lods, 1); return false;
        case 0xad: SET(h_lods, os); return false;
        case 0xae: SET(h_scas, 1); return false;
        case 0xaf: SET(h_scas, os); return false;
        case 0xb0 ... 0xb7: in->rm = op & 7; in->imm = imm_end(&r, 1); SET(h_mov_rm_i[0][0], 1); return false;
        case 0xb8 ... 0xbf: in->rm = op & 7; in->imm = imm_end(&r, os); SET(h_mov_rm_i[SZI(os)][0], os); return false;
        case 0xc0: E(); in->imm = imm_end(&r, 1); SET(h_shift[reg][0][mem], 1); return false;
        case 0xc1: E(); in->imm = imm_end(&r, 1); SET(h_shift[reg][SZI(os)][mem], os); return false;
        case 0xc2: in->imm = imm_end(&r, 2); SET(h_ret_imm, os); return true;
        case 0xc3: SET(h_ret, os); return true;
        case 0xc4: MEMONLY(); E(); in->op = S_ES; SET(h_lxs, os); return true;
        case 0xc5: MEMONLY(); E(); in->op = S_DS; SET(h_lxs, os); return true;
        case 0xc6: if (reg != 0) goto ud; E(); in->imm = imm_end(&r, 1); SET(h_mov_rm_i[0][mem], 1); return false;
        case 0xc7: if (reg != 0) goto ud; E(); in->imm = imm_end(&r, os); SET(h_mov_rm_i[SZI(os)][mem], os); return false;
        case 0xc8: in->imm = r.b[r.pos + 1] | r.b[r.pos + 2] << 8; in->imm2 = r.b[r.pos + 3]; SET(h_enter, os); return false;
        case 0xc9: SET(h_leave, os); return false;
        case 0xca: in->imm = imm_end(&r, 2); SET(h_retf, os); return true;
        case 0xcb: SET(h_retf, os); return true;
        case 0xcc: SET(h_int3, 1); return true;
        case 0xcd: in->imm = imm_end(&r, 1); SET(h_int, 1); return true;
        case 0xce: SET(h_into, 1); return true;
        case 0xcf: SET(h_iret, os); return true;
        case 0xd0: E(); in->imm = 1; SET(h_shift[reg][0][mem], 1); return false;
        case 0xd1: E(); in->imm = 1; SET(h_shift[reg][SZI(os)][mem], os); return false;
        case 0xd2: E(); in->flags |= I_CL; SET(h_shift[reg][0][mem], 1); return false;
        case 0xd3: E(); in->flags |= I_CL; SET(h_shift[reg][SZI(os)][mem], os); return false;
        case 0xd4: in->imm = imm_end(&r, 1); SET(h_aam, 1); return false;
        case 0xd5: in->imm = imm_end(&r, 1); SET(h_aad, 1); return false;
        case 0xd6: SET(h_salc, 1); return false;
        case 0xd7: SET(h_xlat, 1); return false;
        case 0xd8 ... 0xdf: E(); in->imm = (op & 7) << 8 | modrm; SET(h_fpu, 4); return false;
        case 0xe0: case 0xe1: case 0xe2: in->op = op & 3; REL(1); SET(h_loop, os); return true;
        case 0xe3: REL(1); SET(h_jecxz, os); return true;
        case 0xe4: in->imm = imm_end(&r, 1); SET(h_in, 1); return true;
        case 0xe5: in->imm = imm_end(&r, 1); SET(h_in, os); return true;
        case 0xe6: in->imm = imm_end(&r, 1); SET(h_out, 1); return true;
        case 0xe7: in->imm = imm_end(&r, 1); SET(h_out, os); return true;
        case 0xe8: REL(os); SET(h_call, os); return true;
        case 0xe9: REL(os); SET(h_jmp, os); return true;
        case 0xea: far_ptr(in, &r, os); SET(h_jmpf, os); return true;
        case 0xeb: REL(1); SET(h_jmp, os); return true;
        case 0xec: in->flags |= I_CL; SET(h_in, 1); return true;
        case 0xed: in->flags |= I_CL; SET(h_in, os); return true;
        case 0xee: in->flags |= I_CL; SET(h_out, 1); return true;
        case 0xef: in->flags |= I_CL; SET(h_out, os); return true;
        case 0xf4: SET(h_hlt, 1); return true;
        case 0xf5: SET(h_cmc, 1); return false;
        case 0xf6: case 0xf7: {
            int s = op == 0xf6 ? 1 : os;
            E();
            switch (reg) {
            case 0: case 1: in->imm = imm_end(&r, s); SET(h_test_rm_i[SZI(s)][mem], s); break;
            case 2: SET(h_notneg[0][SZI(s)][mem], s); break;
            case 3: SET(h_notneg[1][SZI(s)][mem], s); break;
            default: SET(h_muldiv[reg - 4][SZI(s)][mem], s); break;
            }
            return false;
        }
        case 0xf8: SET(h_clc, 1); return false;
        case 0xf9: SET(h_stc, 1); return false;
        case 0xfa: SET(h_cli, 1); return true;
        case 0xfb: SET(h_sti, 1); return true;
        case 0xfc: SET(h_cld, 1); return false;
        case 0xfd: SET(h_std, 1); return false;
        case 0xfe: if (reg > 1) goto ud; E(); SET(h_incdec[reg][0][mem], 1); return false;
        case 0xff:
            E();
            switch (reg) {
            case 0: case 1: SET(h_incdec[reg][SZI(os)][mem], os); return false;
            case 2: SET(h_call_rm, os); return true;
            case 3: MEMONLY(); SET(h_callf_m, os); return true;
            case 4: SET(h_jmp_rm, os); return true;
            case 5: MEMONLY(); SET(h_jmpf_m, os); return true;
            case 6: SET(h_push_rm, os); return false;
            default: goto ud;
            }
        }
        goto ud;
    }

    /* Two-byte opcodes 0F xx. */
    switch (op2) {
    case 0x00: if (reg >= 6) goto ud; E(); SET(h_grp6, os); return reg == 2 || reg == 3;
    case 0x01:
        if (!mem && reg == 0 && rm == 1) { SET(h_vmcall, 4); return true; }  /* 0F 01 C1 VMCALL */
        if (!mem && reg != 4 && reg != 6) goto ud;            /* VMLAUNCH, SWAPGS, ...: no */
        if (reg == 5) goto ud;
        E(); SET(h_grp7, os); return reg >= 2;
    case 0x02: E(); SET(h_lar, os); return false;
    case 0x03: E(); SET(h_lsl, os); return false;
    case 0x06: SET(h_clts, 4); return true;
    case 0x08: case 0x09: SET(h_wbinvd, 4); return false;
    case 0x0b: goto ud;                                       /* UD2 */
    case 0x0d: case 0x18 ... 0x1f: E(); SET(h_nop, os); return false;   /* prefetch, hint NOPs */
    case 0x20: in->rm = rm; SET(h_mov_r_cr, 4); return false;
    case 0x21: in->rm = rm; SET(h_mov_r_dr, 4); return false;
    case 0x22: in->rm = rm; SET(h_mov_cr_r, 4); return true;
    case 0x23: in->rm = rm; SET(h_mov_dr_r, 4); return true;
    case 0x30: SET(h_wrmsr, 4); return true;
    case 0x31: SET(h_rdtsc, 4); return false;
    case 0x32: SET(h_rdmsr, 4); return false;
    case 0x34: SET(h_sysenter, 4); return true;
    case 0x35: SET(h_sysexit, 4); return true;
    case 0x40 ... 0x4f: E(); in->op = op2 & 0xf; SET(h_cmovcc, os); return false;
    case 0x80 ... 0x8f: in->op = op2 & 0xf; REL(os); SET(h_jcc, os); return true;
    case 0x90 ... 0x9f: E(); in->op = op2 & 0xf; SET(h_setcc, 1); return false;
    case 0xa0: case 0xa8: in->reg = op2 == 0xa0 ? S_FS : S_GS; SET(h_push_sreg, os); return false;
    case 0xa1: case 0xa9: in->reg = op2 == 0xa1 ? S_FS : S_GS; SET(h_pop_sreg, os); return true;
    case 0xa2: SET(h_cpuid, 4); return false;
    case 0xae: if (!mem || reg > 1) goto ud; E(); in->op = reg; SET(h_fxsave, 4); return false;
    case 0xa3: E(); in->op = 0; SET(h_bt, os); return false;
    case 0xab: E(); in->op = 1; SET(h_bt, os); return false;
    case 0xb3: E(); in->op = 2; SET(h_bt, os); return false;
    case 0xbb: E(); in->op = 3; SET(h_bt, os); return false;
    case 0xba: if (reg < 4) goto ud; E(); in->op = 4 | (reg & 3); in->imm = imm_end(&r, 1); SET(h_bt, os); return false;
    case 0xa4: E(); in->imm = imm_end(&r, 1); SET(h_shld, os); return false;
    case 0xa5: E(); in->flags |= I_CL; SET(h_shld, os); return false;
    case 0xac: E(); in->imm = imm_end(&r, 1); SET(h_shrd, os); return false;
    case 0xad: E(); in->flags |= I_CL; SET(h_shrd, os); return false;
    case 0xaf: E(); SET(h_imul2, os); return false;
    case 0xb0: E(); SET(h_cmpxchg, 1); return false;
    case 0xb1: E(); SET(h_cmpxchg, os); return false;
    case 0xb2: MEMONLY(); E(); in->op = S_SS; SET(h_lxs, os); return true;
    case 0xb4: MEMONLY(); E(); in->op = S_FS; SET(h_lxs, os); return true;
    case 0xb5: MEMONLY(); E(); in->op = S_GS; SET(h_lxs, os); return true;
    case 0xb6: E(); in->op = 1; SET(h_movzx, os); return false;
    case 0xb7: E(); in->op = 2; SET(h_movzx, os); return false;
    case 0xbe: E(); in->op = 1; SET(h_movsx, os); return false;
    case 0xbf: E(); in->op = 2; SET(h_movsx, os); return false;
    case 0xbc: E(); SET(h_bsf, os); return false;             /* F3 0F BC (TZCNT) runs as BSF, as on old CPUs */
    case 0xbd: E(); SET(h_bsr, os); return false;
    case 0xc0: E(); SET(h_xadd, 1); return false;
    case 0xc1: E(); SET(h_xadd, os); return false;
    case 0xc7: if (reg != 1) goto ud; MEMONLY(); E(); SET(h_cmpxchg8b, 4); return false;
    case 0xc8 ... 0xcf: in->reg = op2 & 7; SET(h_bswap, os); return false;
    }
ud:
    in->fn = h_ud;
    return true;
#undef E
#undef SET
#undef MEMONLY
#undef REL
}

/* Under a lock-step check (interp_split_flag_reads): does the n-th
 * instruction of a block read a flag that instructions before it in the
 * block may have left undefined?  Then it starts the next block, where
 * the reference adopts the checked engine's values of the undefined
 * flags.  *undef follows the block statically (counts in CL unknown). */
static bool ends_before_flag_read(const struct insn *in, unsigned n, uint32_t *undef)
{
    struct x86_flag_effect fe = insn_flag_effect(NULL, in);
    if (n > 1 && (fe.reads & *undef))
        return true;
    *undef = x86_undef_after(*undef, &fe);
    return false;
}

/* Decode from lin/gpa until a block-ending instruction, the end of the page
 * or MAX_BLOCK instructions.  An instruction that crosses into the next page
 * becomes a block of its own, not cached (its bytes live in two pages). */
struct block *decode_block(struct interp *ip, uint32_t eip, uint32_t lin, uint32_t gpa)
{
    struct decoder *d = ip->dec;
    uint8_t *page = gpa_to_hva(ip->ram, gpa & PAGE_MASK, 0x1000);
    if (!page)
        return NULL;
    /* Decode into scratch space: a fetch fault may longjmp out of here. */
    struct block *b = ip->scratch;
    memset(b, 0, sizeof *b);
    b->eip = eip;
    b->gpa = gpa;
    b->valid = true;
    b->cached = true;
    uint32_t off = gpa & 0xfff;
    uint32_t undef = 0;                  /* flags the block may leave undefined */
    bool end = false;
    while (!end && b->n < MAX_BLOCK) {
        uint8_t buf[16];
        unsigned avail = 0x1000 - off, k = avail < 15 ? avail : 15;
        memcpy(buf, page + off, k);
        const uint8_t *code = buf;
        size_t size = k;
        uint64_t addr = eip;
        bool ok = cs_disasm_iter(d->h, &code, &size, &addr, d->ci);
        if (!ok && k < 15) {
            if (b->n > 0)
                break;                   /* let the next block start with it */
            /* Fetch the rest from the next page (this may #PF, CR2 = that page). */
            uint64_t g2 = mem_xlate(ip, ip->tlb, (lin & PAGE_MASK) + 0x1000, ACC_X);
            uint8_t *p2 = gpa_to_hva(ip->ram, g2, 15 - k);
            if (!p2)
                return NULL;
            memcpy(buf + k, p2, 15 - k);
            code = buf;
            size = 15;
            addr = eip;
            ok = cs_disasm_iter(d->h, &code, &size, &addr, d->ci);
            b->cached = false;
            end = true;
        }
        struct insn *in = &b->in[b->n++];
        if (ok) {
            end |= decode_insn(in, d->ci, eip);
            if (ip->split_flag_reads && ends_before_flag_read(in, b->n, &undef)) {
                b->n--;                  /* the next block starts with it */
                break;
            }
        } else {                         /* not an instruction: #UD when reached */
            memset(in, 0, sizeof *in);
            in->fn = h_ud;
            in->eip = eip;
            in->len = 1;
            in->next = eip + 1;
            end = true;
        }
        eip += in->len;
        lin += in->len;
        off += in->len;
        if (off >= 0x1000)
            end = true;
    }
    b->next_eip = eip;
    b->gpa_end = (gpa & PAGE_MASK) + (off > 0x1000 ? 0x1000 : off);
    ip->st.blocks_decoded++;
    struct block *nb = malloc(sizeof *b + b->n * sizeof(struct insn));
    if (nb)
        memcpy(nb, b, sizeof *b + b->n * sizeof(struct insn));
    return nb;
}
