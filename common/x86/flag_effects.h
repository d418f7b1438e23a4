/*
 * flag_effects.h — which arithmetic flags an instruction reads, defines,
 * and leaves undefined: the "Flags Affected" section of each instruction
 * in SDM Vol. 2A/2B, as one table.
 *
 * "Undefined" is the SDM's word for a flag whose value differs between
 * processors: after XOR, AF is 0 on one CPU and 1 on another, and both are
 * right.  Anyone comparing two executions (the differential tester against
 * the host CPU, the binary translator's lock step against the interpreter)
 * must mask exactly those bits, and nothing else.
 *
 * Each instruction belongs to a flag class (one byte, so the interpreter's
 * decoded form can carry it).  Some effects depend on run-time values
 * (SDM "SAL/SAR/SHL/SHR": a shift by 1 defines OF, by 2 leaves it
 * undefined, by 0 changes nothing), so the effect is computed from the
 * class, the operand size and one run-time argument: the masked count of
 * a shift or rotate, ECX of a REP string compare (0: no iteration, no
 * flag changes).  With the argument unknown the answer is conservative:
 * def holds only flags certainly defined, undef every flag possibly
 * undefined.
 */
#ifndef X86_FLAG_EFFECTS_H
#define X86_FLAG_EFFECTS_H

#include <stdbool.h>
#include <stdint.h>
#include <capstone/capstone.h>
#include "x86/cpu.h"

struct x86_flag_effect {
    uint32_t reads; /* flags whose value the instruction uses (as a
                         condition or as data: PUSHF, LAHF, ADC, INT n) */
    uint32_t def;   /* flags it sets to a defined value               */
    uint32_t undef; /* flags it leaves undefined                      */
};

/* The flag classes.  Flags an instruction does not mention are "not
 * affected": they keep their value, defined or not. */
enum x86_fclass {
    FC_NONE,     /* MOV, PUSH, LEA, NOT, jumps, string moves, ...   */
    FC_ARITH,    /* ADD SUB CMP NEG CMPXCHG XADD: all six defined    */
    FC_ARITH_CF, /* ADC SBB: read CF, all six defined                */
    FC_INCDEC,   /* INC DEC: CF not affected                         */
    FC_LOGIC,    /* AND OR XOR TEST: OF=CF=0, AF undefined           */
    FC_MUL,      /* MUL IMUL: CF OF defined, SF ZF AF PF undefined   */
    FC_DIV,      /* DIV IDIV: all six undefined                      */
    FC_SHIFT,    /* SHL SAL SHR (count)                              */
    FC_SAR,      /* SAR (count): CF defined for any count            */
    FC_ROT,      /* ROL ROR (count)                                  */
    FC_RCX,      /* RCL RCR (count): read CF                         */
    FC_SHXD,     /* SHLD SHRD (count)                                */
    FC_BT,       /* BT BTS BTR BTC: CF defined, ZF kept              */
    FC_BSX,      /* BSF BSR: ZF defined, the rest undefined          */
    FC_DAA,      /* DAA DAS: read CF AF, OF undefined                */
    FC_AAA,      /* AAA AAS: read AF, CF AF defined                  */
    FC_AAM,      /* AAM AAD: SF ZF PF defined                        */
    FC_CFSET,    /* CLC STC                                          */
    FC_CMC,      /* CMC: reads and defines CF                        */
    FC_LAHF,     /* LAHF: reads SF ZF AF PF CF into AH               */
    FC_SAHF,     /* SAHF: defines SF ZF AF PF CF from AH             */
    FC_READALL,  /* PUSHF, INT n, INT3, INTO: EFLAGS to memory       */
    FC_LOADALL,  /* POPF, IRET: EFLAGS from memory                   */
    FC_STRCMP,   /* CMPS SCAS: all defined unless REP runs 0 times   */
    FC_ZF,       /* LAR LSL VERR VERW CMPXCHG8B: only ZF             */
    FC_CTLREG,   /* MOV to/from CRn/DRn: all six undefined           */
    FC_READCF,   /* SALC: AL from CF                                 */
    FC_READZF,   /* LOOPE LOOPNE                                     */
    FC_COND,     /* FC_COND + cc (0-15): Jcc SETcc CMOVcc read cc    */
    FC_NCLASS = FC_COND + 16,
    FC_UNKNOWN = 0xff
};

/* The run-time argument is not known (decode time). */
#define FE_ARG_UNKNOWN (-1L)

/* Effect of class fc with operand size (bytes: 1, 2, 4) and argument arg:
 * shifts and rotates: the count masked to 5 bits; FC_STRCMP: 1 without a
 * REP prefix, else the count register before the instruction. */
struct x86_flag_effect x86_flag_effect(unsigned fc, unsigned size, long arg);

/* Flags a condition code reads (SDM Vol. 1 Table B-1, cc = low 4 bits of
 * the Jcc opcode). */
uint32_t x86_cc_reads(unsigned cc);

/* The class of a capstone-decoded instruction (32-bit mode, detail on);
 * FC_UNKNOWN if the table has no row for it. */
unsigned x86_flag_class(const cs_insn *insn);

/* Effect of a capstone-decoded instruction about to run on cpu (NULL:
 * not known, the conservative answer).  False if it has no row. */
bool x86_insn_flag_effect(const cs_insn *insn, const struct x86_cpu *cpu,
                          struct x86_flag_effect *fe);

/* Undefined-flag set after an instruction with effect fe. */
static inline uint32_t x86_undef_after(uint32_t undef, const struct x86_flag_effect *fe)
{
    return (undef & ~fe->def) | fe->undef;
}

/* The arithmetic flags in which EFLAGS values a and b differ although the
 * SDM defines them (undef: the flags left undefined since both were last
 * known equal); every other EFLAGS bit must be equal.  0: they agree. */
static inline uint32_t x86_eflags_diff(uint32_t a, uint32_t b, uint32_t undef)
{
    return (a ^ b) & ~(undef & FL_ARITH);
}

#endif
