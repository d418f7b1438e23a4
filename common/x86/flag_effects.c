/*
 * flag_effects.c — flag effects per instruction, from the "Flags Affected"
 * sections of SDM Vol. 2A/2B (see flag_effects.h).
 */
#include "x86/flag_effects.h"

#define CF FL_CF
#define PF FL_PF
#define AF FL_AF
#define ZF FL_ZF
#define SF FL_SF
#define OF FL_OF
#define ALL FL_ARITH

static struct x86_flag_effect fe(uint32_t reads, uint32_t def, uint32_t undef)
{
    return (struct x86_flag_effect){ reads, def, undef };
}

uint32_t x86_cc_reads(unsigned cc)
{
    static const uint32_t r[8] = { OF, CF, ZF, CF | ZF, SF, PF, SF | OF, ZF | SF | OF };
    return r[(cc >> 1) & 7];          /* cc and its negation (odd) read the same */
}

/* SHL SAL SHR SAR (SDM Vol. 2B "SAL/SAR/SHL/SHR"): count 0 changes nothing;
 * otherwise SF ZF PF by the result, AF undefined, OF defined only for a
 * 1-bit shift, CF undefined for SHL/SHR by at least the width. */
static struct x86_flag_effect shift(bool sar, unsigned size, long c)
{
    if (c < 0)
        return fe(0, 0, OF | AF | (!sar && size < 4 ? CF : 0));
    if (c == 0)
        return fe(0, 0, 0);
    uint32_t u = AF | (c != 1 ? OF : 0) | (!sar && c >= (long)size * 8 ? CF : 0);
    return fe(0, (CF | SF | ZF | PF | OF) & ~u, u);
}

/* RCL RCR (SDM Vol. 2B "RCL/RCR/ROL/ROR"): the count rotates through CF
 * modulo width + 1, so a nonzero masked count may still leave CF (and
 * the operand) as they were; OF is defined for a masked count of 1 only. */
static struct x86_flag_effect rcx(unsigned size, long c)
{
    if (c < 0)
        return fe(CF, 0, OF);
    if (c == 0)
        return fe(0, 0, 0);
    long t = size == 4 ? c : c % (size * 8 + 1);
    return fe(t ? CF : 0, (t ? CF : 0) | (c == 1 ? OF : 0), c != 1 ? OF : 0);
}

/* SHLD SHRD (SDM Vol. 2B): like a shift; a 16-bit count above 16 leaves
 * the result and every flag undefined. */
static struct x86_flag_effect shxd(unsigned size, long c)
{
    if (c < 0)
        return fe(0, 0, size == 2 ? ALL : OF | AF);
    if (c == 0)
        return fe(0, 0, 0);
    if (size == 2 && c > 16)
        return fe(0, 0, ALL);
    uint32_t u = AF | (c != 1 ? OF : 0);
    return fe(0, (CF | SF | ZF | PF | OF) & ~u, u);
}

struct x86_flag_effect x86_flag_effect(unsigned fc, unsigned size, long arg)
{
    if (fc >= FC_COND && fc < FC_NCLASS)
        return fe(x86_cc_reads(fc - FC_COND), 0, 0);
    switch (fc) {
    case FC_ARITH:    return fe(0, ALL, 0);
    case FC_ARITH_CF: return fe(CF, ALL, 0);
    case FC_INCDEC:   return fe(0, ALL & ~CF, 0);
    case FC_LOGIC:    return fe(0, ALL & ~AF, AF);
    case FC_MUL:      return fe(0, CF | OF, SF | ZF | AF | PF);
    case FC_DIV:      return fe(0, 0, ALL);
    case FC_SHIFT:    return shift(false, size, arg);
    case FC_SAR:      return shift(true, size, arg);
    case FC_ROT:      /* CF defined for any nonzero masked count */
        return arg < 0 ? fe(0, 0, OF) : arg == 0 ? fe(0, 0, 0)
             : fe(0, CF | (arg == 1 ? OF : 0), arg == 1 ? 0 : OF);
    case FC_RCX:      return rcx(size, arg);
    case FC_SHXD:     return shxd(size, arg);
    case FC_BT:       return fe(0, CF, OF | SF | AF | PF);
    case FC_BSX:      return fe(0, ZF, CF | OF | SF | AF | PF);
    case FC_DAA:      return fe(CF | AF, CF | AF | SF | ZF | PF, OF);
    case FC_AAA:      return fe(AF, AF | CF, OF | SF | ZF | PF);
    case FC_AAM:      return fe(0, SF | ZF | PF, OF | AF | CF);
    case FC_CFSET:    return fe(0, CF, 0);
    case FC_CMC:      return fe(CF, CF, 0);
    case FC_LAHF:     return fe(SF | ZF | AF | PF | CF, 0, 0);
    case FC_SAHF:     return fe(0, SF | ZF | AF | PF | CF, 0);
    case FC_READALL:  return fe(ALL, 0, 0);
    case FC_LOADALL:  return fe(0, ALL, 0);
    case FC_STRCMP:   /* unknown count: all defined or none changed */
        return arg > 0 ? fe(0, ALL, 0) : fe(0, 0, 0);
    case FC_ZF:       return fe(0, ZF, 0);
    case FC_CTLREG:   return fe(0, 0, ALL);
    case FC_READCF:   return fe(CF, 0, 0);
    case FC_READZF:   return fe(ZF, 0, 0);
    }
    return fe(0, 0, 0);                /* FC_NONE */
}

/* Jcc SETcc CMOVcc: the condition code of a capstone id, or -1. */
static int cc_of(unsigned id)
{
#define CC(n, c) case X86_INS_J##c: case X86_INS_SET##c: case X86_INS_CMOV##c: return n;
    switch (id) {
    CC(0, O)  CC(1, NO)  CC(2, B)   CC(3, AE)  CC(4, E)   CC(5, NE)  CC(6, BE)  CC(7, A)
    CC(8, S)  CC(9, NS)  CC(10, P)  CC(11, NP) CC(12, L)  CC(13, GE) CC(14, LE) CC(15, G)
    case X86_INS_FCMOVB: return 2;  case X86_INS_FCMOVNB: return 3;     /* FCMOVcc */
    case X86_INS_FCMOVE: return 4;  case X86_INS_FCMOVNE: return 5;
    case X86_INS_FCMOVBE: return 6; case X86_INS_FCMOVNBE: return 7;
    case X86_INS_FCMOVU: return 10; case X86_INS_FCMOVNU: return 11;
    }
#undef CC
    return -1;
}

unsigned x86_flag_class(const cs_insn *insn)
{
    int cc = cc_of(insn->id);
    if (cc >= 0)
        return FC_COND + cc;
    switch (insn->id) {
    case X86_INS_ADD: case X86_INS_SUB: case X86_INS_CMP: case X86_INS_NEG:
    case X86_INS_CMPXCHG: case X86_INS_XADD:
        return FC_ARITH;
    case X86_INS_ADC: case X86_INS_SBB:                       return FC_ARITH_CF;
    case X86_INS_INC: case X86_INS_DEC:                       return FC_INCDEC;
    case X86_INS_AND: case X86_INS_OR: case X86_INS_XOR: case X86_INS_TEST:
        return FC_LOGIC;
    case X86_INS_MUL: case X86_INS_IMUL:                      return FC_MUL;
    case X86_INS_DIV: case X86_INS_IDIV:                      return FC_DIV;
    case X86_INS_SHL: case X86_INS_SAL: case X86_INS_SHR:     return FC_SHIFT;
    case X86_INS_SAR:                                         return FC_SAR;
    case X86_INS_ROL: case X86_INS_ROR:                       return FC_ROT;
    case X86_INS_RCL: case X86_INS_RCR:                       return FC_RCX;
    case X86_INS_SHLD: case X86_INS_SHRD:                     return FC_SHXD;
    case X86_INS_BT: case X86_INS_BTS: case X86_INS_BTR: case X86_INS_BTC:
        return FC_BT;
    case X86_INS_BSF: case X86_INS_BSR: case X86_INS_TZCNT:  /* TZCNT runs as BSF here */
        return FC_BSX;
    case X86_INS_DAA: case X86_INS_DAS:                       return FC_DAA;
    case X86_INS_AAA: case X86_INS_AAS:                       return FC_AAA;
    case X86_INS_AAM: case X86_INS_AAD:                       return FC_AAM;
    case X86_INS_CLC: case X86_INS_STC:                       return FC_CFSET;
    case X86_INS_CMC:                                         return FC_CMC;
    case X86_INS_LAHF:                                        return FC_LAHF;
    case X86_INS_SAHF:                                        return FC_SAHF;
    case X86_INS_PUSHF: case X86_INS_PUSHFD: case X86_INS_INT: case X86_INS_INT3:
    case X86_INS_INTO: case X86_INS_INT1:
        return FC_READALL;
    case X86_INS_POPF: case X86_INS_POPFD: case X86_INS_IRET: case X86_INS_IRETD:
        return FC_LOADALL;
    case X86_INS_CMPSB: case X86_INS_CMPSW: case X86_INS_CMPSD:
    case X86_INS_SCASB: case X86_INS_SCASW: case X86_INS_SCASD:
        return FC_STRCMP;
    case X86_INS_FCOMI: case X86_INS_FCOMIP: case X86_INS_FUCOMI: case X86_INS_FUCOMIP:
        return FC_ARITH;                  /* ZF PF CF from C3 C2 C0; OF SF AF cleared */
    case X86_INS_LAR: case X86_INS_LSL: case X86_INS_VERR: case X86_INS_VERW:
    case X86_INS_CMPXCHG8B:
        return FC_ZF;
    case X86_INS_SALC:                                        return FC_READCF;
    case X86_INS_LOOPE: case X86_INS_LOOPNE:                  return FC_READZF;
    case X86_INS_CLD: case X86_INS_STD:          /* DF is not arithmetic: always compared */
    case X86_INS_MOV: case X86_INS_MOVZX: case X86_INS_MOVSX: case X86_INS_LEA:
    case X86_INS_XCHG: case X86_INS_BSWAP: case X86_INS_NOT:
    case X86_INS_CBW: case X86_INS_CWDE: case X86_INS_CWD: case X86_INS_CDQ:
    case X86_INS_PUSH: case X86_INS_POP: case X86_INS_PUSHAL: case X86_INS_POPAL:
    case X86_INS_PUSHAW: case X86_INS_POPAW:
    case X86_INS_MOVSB: case X86_INS_MOVSW: case X86_INS_MOVSD:
    case X86_INS_STOSB: case X86_INS_STOSW: case X86_INS_STOSD:
    case X86_INS_LODSB: case X86_INS_LODSW: case X86_INS_LODSD:
    case X86_INS_JMP: case X86_INS_JECXZ: case X86_INS_JCXZ: case X86_INS_LOOP:
    case X86_INS_CALL: case X86_INS_NOP: case X86_INS_XLATB:
    case X86_INS_LEAVE: case X86_INS_ENTER: case X86_INS_UD2: case X86_INS_BOUND:
        return FC_NONE;
    }
    return FC_UNKNOWN;
}

/* The masked shift/rotate count of operand opnum (SDM: masked to 5 bits);
 * FE_ARG_UNKNOWN when it is CL and cpu is not given. */
static long shift_count(const cs_x86 *x, int opnum, const struct x86_cpu *cpu)
{
    if (x->op_count <= opnum)
        return 1;                                    /* D0/D1: by one */
    const cs_x86_op *op = &x->operands[opnum];
    if (op->type == X86_OP_IMM)
        return op->imm & 0x1f;
    return cpu ? (long)(cpu->gpr[R_ECX] & 0x1f) : FE_ARG_UNKNOWN;
}

bool x86_insn_flag_effect(const cs_insn *insn, const struct x86_cpu *cpu,
                          struct x86_flag_effect *out)
{
    const cs_x86 *x = &insn->detail->x86;
    unsigned fc = x86_flag_class(insn);
    unsigned size = x->op_count ? x->operands[0].size : 4;   /* bytes */
    long arg = 1;
    if (fc == FC_UNKNOWN)
        return false;
    if (fc == FC_SHIFT || fc == FC_SAR || fc == FC_ROT || fc == FC_RCX)
        arg = shift_count(x, 1, cpu);
    else if (fc == FC_SHXD)
        arg = shift_count(x, 2, cpu);
    else if (fc == FC_STRCMP && (x->prefix[0] == X86_PREFIX_REP || x->prefix[0] == X86_PREFIX_REPNE))
        arg = !cpu ? FE_ARG_UNKNOWN
            : (long)(cpu->gpr[R_ECX] & (x->prefix[3] ? 0xffffu : 0xffffffffu));
    *out = x86_flag_effect(fc, size, arg);
    return true;
}
