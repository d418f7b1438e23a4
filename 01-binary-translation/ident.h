/*
 * ident.h — identical translation's pieces, shared by its files (see
 * ident.c for the scheme):
 *
 *   ident.c         one block: the body (NATIVE, or CALL/HELPER on the
 *                   spilled state), spill/reload, the stubs, the glue
 *   ident_native.c  NATIVE and REWRITE: a guest instruction re-encoded for
 *                   the host (ALU, MOV, shifts, MUL, SETcc..., PUSH/POP)
 *   ident_x87.c     x87 instructions on the host's x87 (bt_x87.c)
 *   ident_string.c  MOVS, STOS, CMPS, SCAS (REP too) as window loops
 *   ident_tail.c    the block's end: fall-through, Jcc/JMP/CALL (chained
 *                   exits, one-block loops unrolled), RET (inline return
 *                   lookup), or the run loop after a CALL-class instruction
 */
#ifndef BT_IDENT_H
#define BT_IDENT_H

#include "01-binary-translation/glue.h"

#define IPR R15 /* struct interp * (x86/decoded.h) */

/* Guest register -> host register: the same number, but ESP is r12. */
static inline int hreg(int g) { return g == R_ESP ? R12 : g; }

/* A memory operand in guest terms (registers 0-7, 8 = none). */
struct gmem {
    int base, index, scale;
    uint32_t disp;
};

/* ---- ident_native.c -------------------------------------------------------- */
/* Emit prefixes, opcode, ModRM(/SIB/disp) and imm for one instruction.
 * reg: host register or /digit in ModRM.reg (regbyte: it names an 8-bit
 * register); rm: host register when m is NULL (rmbyte likewise); m: a
 * guest memory operand (gs: window when gs).  False when the form cannot
 * be encoded (an AH..BH operand next to a REX prefix). */
bool ident_enc(struct emit *e, bool o16, const uint8_t *opc, int nopc, int reg, bool regbyte,
               int rm, bool rmbyte, const struct gmem *m, bool gs, uint32_t imm, int immsz);
/* The fault map: host code offset off faults for instruction idx of the
 * block, bias instructions of the block done before (an unrolled copy). */
void ident_fmap_add(struct tblock *tb, size_t off, unsigned idx, unsigned bias);
/* Emit in as NATIVE or REWRITE (instruction idx of the block, bias as for
 * the fault map, flat: the window can be used).  False: it needs a CALL
 * (nothing emitted). */
bool ident_inline(struct emit *e, struct tblock *tb, const struct insn *in, unsigned idx,
                  unsigned bias, bool flat);

/* ---- ident_x87.c ------------------------------------------------------------ */
/* Emit the x87 instruction in (h_fpu) natively, as ident_inline does;
 * false: it needs its handler (nothing emitted). */
bool ident_x87(struct emit *e, struct tblock *tb, const struct insn *in, unsigned idx,
               unsigned bias, bool flat);
/* in's handler works on the x87 state: call it through bt_x87_call. */
bool ident_x87_handler(const struct insn *in);

/* ---- ident_string.c --------------------------------------------------------- */
/* Emit the string instruction in as a loop of window accesses, as
 * ident_inline does; false: not this kind (nothing emitted). */
bool ident_string(struct emit *e, struct tblock *tb, const struct insn *in, unsigned idx,
                  unsigned bias, bool flat);

/* ---- ident.c --------------------------------------------------------------- */
/* Guest registers and flags from the host into the interpreter's state
 * (flags as CC_EFLAGS), and back; count n instructions (r10). */
void ident_spill(struct emit *e);
void ident_reload(struct emit *e);
void ident_count(struct emit *e, int32_t n);
/* Return BT_RET_* code to the run loop with the state in host registers. */
void ident_ret_spill(struct emit *e, const struct bt *bt, int code);

/* ---- ident_tail.c ---------------------------------------------------------- */
/* One block's translation in progress. */
struct ident {
    struct bt *bt;
    struct tblock *tb;
    const struct block *b;
    struct emit e;
    uint32_t page;                   /* guest page of the block (chainable exits) */
    bool flat;                       /* the window can be used */
    bool spilled;                    /* the state is in memory, not host registers */
    bool any_call;                   /* some instruction is CALL/HELPER */
    unsigned nbody;                  /* instructions before a native branch tail */
    const uint8_t *body_start;       /* after the entry poll */
    uint8_t *exit_fix[TB_MAX_EXITS]; /* jumps to the chainable exits' stubs */
};
/* The tail when nbody == b->n: the last instruction (if any branch) ran
 * through its handler, or the block just ends. */
void ident_tail_plain(struct ident *x);
/* A native near RET, with the inline return-address lookup. */
void ident_tail_ret(struct ident *x);
/* A native JMP or CALL r/m32 (ident_ijump_ok), looked up the same way. */
bool ident_ijump_ok(const struct insn *in, bool flat);
void ident_tail_ijump(struct ident *x, bool call);
/* A native Jcc, JMP or CALL rel32 (jcc: a one-block loop is unrolled).
 * False: an unrolled copy could not be emitted. */
bool ident_tail_branch(struct ident *x, bool jcc, bool call);

#endif
