/*
 * dflags.c — flag effects per instruction, from the "Flags Affected"
 * sections of SDM Vol. 2A/2B.
 */
#include "dflags.h"

#define CF FL_CF
#define PF FL_PF
#define AF FL_AF
#define ZF FL_ZF
#define SF FL_SF
#define OF FL_OF
#define ALL FL_ARITH

static void set(struct diff_flag_effect *fe, uint32_t reads, uint32_t def, uint32_t undef)
{
    fe->reads = reads;
    fe->def = def;
    fe->undef = undef;
}

/* The shift/rotate count: masked to 5 bits (SDM "SAL/SAR/SHL/SHR": the
 * count is masked to 5 bits).  -1 when not known statically. */
static int shift_count(const cs_x86 *x, int opnum, const struct x86_cpu *cpu)
{
    if (x->op_count <= opnum)
        return 1;                                    /* D0/D1: by one */
    const cs_x86_op *op = &x->operands[opnum];
    if (op->type == X86_OP_IMM)
        return op->imm & 0x1f;
    if (!cpu)
        return -1;
    return cpu->gpr[R_ECX] & 0x1f;                   /* CL */
}

/* Flags a condition code reads (SDM Vol. 1 Table B-1). */
static uint32_t cc_reads(unsigned id)
{
    switch (id) {
    case X86_INS_JO: case X86_INS_JNO: case X86_INS_SETO: case X86_INS_SETNO:
    case X86_INS_CMOVO: case X86_INS_CMOVNO:
        return OF;
    case X86_INS_JB: case X86_INS_JAE: case X86_INS_SETB: case X86_INS_SETAE:
    case X86_INS_CMOVB: case X86_INS_CMOVAE:
        return CF;
    case X86_INS_JE: case X86_INS_JNE: case X86_INS_SETE: case X86_INS_SETNE:
    case X86_INS_CMOVE: case X86_INS_CMOVNE:
        return ZF;
    case X86_INS_JBE: case X86_INS_JA: case X86_INS_SETBE: case X86_INS_SETA:
    case X86_INS_CMOVBE: case X86_INS_CMOVA:
        return CF | ZF;
    case X86_INS_JS: case X86_INS_JNS: case X86_INS_SETS: case X86_INS_SETNS:
    case X86_INS_CMOVS: case X86_INS_CMOVNS:
        return SF;
    case X86_INS_JP: case X86_INS_JNP: case X86_INS_SETP: case X86_INS_SETNP:
    case X86_INS_CMOVP: case X86_INS_CMOVNP:
        return PF;
    case X86_INS_JL: case X86_INS_JGE: case X86_INS_SETL: case X86_INS_SETGE:
    case X86_INS_CMOVL: case X86_INS_CMOVGE:
        return SF | OF;
    case X86_INS_JLE: case X86_INS_JG: case X86_INS_SETLE: case X86_INS_SETG:
    case X86_INS_CMOVLE: case X86_INS_CMOVG:
        return ZF | SF | OF;
    }
    return 0;
}

bool diff_flag_effect(const cs_insn *insn, const struct x86_cpu *cpu, struct diff_flag_effect *fe)
{
    const cs_x86 *x = &insn->detail->x86;
    int size = x->op_count ? x->operands[0].size : 4;   /* bytes */
    bool rep = x->prefix[0] == X86_PREFIX_REP || x->prefix[0] == X86_PREFIX_REPNE;
    uint32_t r = cc_reads(insn->id);
    int c;

    set(fe, 0, 0, 0);
    if (r) {                                   /* Jcc, SETcc, CMOVcc */
        fe->reads = r;
        return true;
    }
    switch (insn->id) {
    /* Arithmetic: all six defined. */
    case X86_INS_ADD: case X86_INS_SUB: case X86_INS_CMP: case X86_INS_NEG:
    case X86_INS_CMPXCHG: case X86_INS_XADD:
        set(fe, 0, ALL, 0);
        return true;
    case X86_INS_ADC: case X86_INS_SBB:
        set(fe, CF, ALL, 0);
        return true;
    case X86_INS_INC: case X86_INS_DEC:        /* CF not affected */
        set(fe, 0, ALL & ~CF, 0);
        return true;
    /* Logic: OF = CF = 0, SF ZF PF by result, AF undefined. */
    case X86_INS_AND: case X86_INS_OR: case X86_INS_XOR: case X86_INS_TEST:
        set(fe, 0, ALL & ~AF, AF);
        return true;
    /* MUL/IMUL: CF OF defined, SF ZF AF PF undefined. */
    case X86_INS_MUL: case X86_INS_IMUL:
        set(fe, 0, CF | OF, SF | ZF | AF | PF);
        return true;
    case X86_INS_DIV: case X86_INS_IDIV:       /* all undefined */
        set(fe, 0, 0, ALL);
        return true;
    /* SHL/SHR/SAR: count 0 leaves flags alone; AF undefined; OF defined
     * only for count 1; CF undefined for SHL/SHR when count >= width. */
    case X86_INS_SHL: case X86_INS_SHR: case X86_INS_SAR:
        c = shift_count(x, 1, cpu);
        if (c < 0) {
            set(fe, 0, 0, OF | AF | (size < 4 ? CF : 0));
        } else if (c > 0) {
            uint32_t u = AF | (c != 1 ? OF : 0);
            if (insn->id != X86_INS_SAR && c >= size * 8)
                u |= CF;
            set(fe, 0, (CF | SF | ZF | PF | OF) & ~u, u);
        }
        return true;
    /* ROL/ROR: CF defined when count != 0, OF only for count 1. */
    case X86_INS_ROL: case X86_INS_ROR:
        c = shift_count(x, 1, cpu);
        if (c < 0)
            set(fe, 0, 0, OF);
        else if (c == 1)
            set(fe, 0, CF | OF, 0);
        else if (c > 1)
            set(fe, 0, CF, OF);
        return true;
    /* RCL/RCR read CF; CF changes only when the count modulo (width + 1)
     * is not 0, so it is not "defined" statically. */
    case X86_INS_RCL: case X86_INS_RCR:
        c = shift_count(x, 1, cpu);
        if (c < 0)
            set(fe, CF, 0, OF);
        else if (c == 1)
            set(fe, CF, CF | OF, 0);
        else if (c > 1)
            set(fe, CF, 0, OF);
        return true;
    /* SHLD/SHRD: like shifts; AF undefined; count > width (16-bit) makes
     * the result undefined too, which the generator never produces. */
    case X86_INS_SHLD: case X86_INS_SHRD:
        c = shift_count(x, 2, cpu);
        if (c < 0)
            set(fe, 0, 0, OF | AF);
        else if (c > 0)
            set(fe, 0, (CF | SF | ZF | PF | OF) & ~(c != 1 ? OF : 0),
                AF | (c != 1 ? OF : 0));
        return true;
    /* BT*: CF defined, ZF unaffected, OF SF AF PF undefined. */
    case X86_INS_BT: case X86_INS_BTS: case X86_INS_BTR: case X86_INS_BTC:
        set(fe, 0, CF, OF | SF | AF | PF);
        return true;
    /* BSF/BSR: ZF defined, the rest undefined. */
    case X86_INS_BSF: case X86_INS_BSR:
        set(fe, 0, ZF, CF | OF | SF | AF | PF);
        return true;
    /* BCD adjust. */
    case X86_INS_DAA: case X86_INS_DAS:
        set(fe, CF | AF, CF | AF | SF | ZF | PF, OF);
        return true;
    case X86_INS_AAA: case X86_INS_AAS:
        set(fe, AF, AF | CF, OF | SF | ZF | PF);
        return true;
    case X86_INS_AAM: case X86_INS_AAD:
        set(fe, 0, SF | ZF | PF, OF | AF | CF);
        return true;
    /* Flag instructions. */
    case X86_INS_CLC: case X86_INS_STC:
        set(fe, 0, CF, 0);
        return true;
    case X86_INS_CMC:
        set(fe, CF, CF, 0);
        return true;
    case X86_INS_CLD: case X86_INS_STD:
        return true;                           /* DF is always compared */
    case X86_INS_LAHF:
        set(fe, SF | ZF | AF | PF | CF, 0, 0);
        return true;
    case X86_INS_SAHF:
        set(fe, 0, SF | ZF | AF | PF | CF, 0);
        return true;
    case X86_INS_PUSHF: case X86_INS_PUSHFD:
        set(fe, ALL, 0, 0);
        return true;
    /* String compares define all six, unless REPx runs zero times. */
    case X86_INS_CMPSB: case X86_INS_CMPSW: case X86_INS_CMPSD:
    case X86_INS_SCASB: case X86_INS_SCASW: case X86_INS_SCASD:
        if (!rep || (cpu && cpu->gpr[R_ECX] != 0))
            set(fe, 0, ALL, 0);
        return true;
    case X86_INS_LOOPE: case X86_INS_LOOPNE:
        set(fe, ZF, 0, 0);
        return true;
    case X86_INS_INTO:
        set(fe, OF, 0, 0);
        return true;
    /* No flags. */
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
    case X86_INS_LEAVE: case X86_INS_ENTER: case X86_INS_INT3: case X86_INS_UD2:
    case X86_INS_BOUND:
        return true;
    }
    (void)size;
    return false;
}
