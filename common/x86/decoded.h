/*
 * decoded.h — the decoded form of guest code and the CPU state its
 * handlers work on: what an engine built on the interpreter's decoder
 * (stage 01's binary translator) may see of it.
 *
 * The decoder (decode.c) turns guest bytes into struct insn once, grouped
 * into struct block (a basic block in one guest-physical page), cached by
 * guest-physical address.  Each insn names its handler (in->fn, one per
 * operation, x86/handlers.h); calling in->fn(ip, in) executes it on the
 * state below.  Faults raised by a handler unwind with longjmp to the run
 * loop (x86/runloop.h).
 *
 * struct interp_state is the first member of struct interp (whose other
 * fields stay private to the .c files of common/x86): generated code may address its
 * fields at offsetof(struct interp_state, f) from the struct interp
 * pointer, and interp_state() gives C code the same view.
 */
#ifndef X86_DECODED_H
#define X86_DECODED_H

#include <stdint.h>
#include <stdbool.h>
#include "x86/cpu.h"
#include "x86/interp.h"

struct interp;
struct insn;
struct tlb;
typedef void (*insn_fn)(struct interp *ip, const struct insn *in);

/* One decoded instruction: the handler and its operands, resolved once.
 * The memory operand (if any) is seg:[base + index<<scale + disp]; an
 * absent base or index is register 8, which always holds 0. */
struct insn {
    insn_fn fn;
    uint32_t eip, next; /* EIP of this instruction and of the next  */
    uint32_t disp;      /* memory displacement                       */
    uint32_t imm;       /* immediate, or branch target EIP           */
    uint32_t amask;     /* address-size mask (0xffff with 0x67)      */
    uint16_t imm2;      /* second immediate (ENTER level, far sel.)  */
    uint8_t base, index, scale, seg;
    uint8_t reg;   /* ModRM.reg (or the register in the opcode) */
    uint8_t rm;    /* ModRM.rm register when not memory         */
    uint8_t op;    /* sub-operation: ALU op, condition, ...     */
    uint8_t size;  /* operand size in bytes: 1, 2, 4            */
    uint8_t flags; /* I_* below                                 */
    uint8_t len;
    uint8_t fclass; /* flag class (x86/flag_effects.h)           */
};
#define I_MEM   0x01 /* the r/m operand is memory                 */
#define I_REP   0x02 /* F3 prefix                                 */
#define I_REPNE 0x04 /* F2 prefix                                 */
#define I_CL    0x08 /* shift count in CL / port in DX            */
#define I_O16   0x10 /* 0x66 prefix                               */

/* A basic block: straight-line code in one guest-physical page, ending at
 * a control transfer or an instruction that changes the CPU mode. */
#define BLOCK_BYTES(b) (sizeof(struct block) + (b)->n * sizeof(struct insn))
#define MAX_BLOCK      64 /* instructions per block */
struct block {
    uint32_t eip, gpa;     /* key: start EIP and its guest-physical addr */
    uint32_t gpa_end;      /* one past the last byte                    */
    uint32_t next_eip;     /* EIP after the last instruction            */
    struct block *hnext;   /* hash chain                                */
    struct block *pnext;   /* blocks of the same physical page          */
    struct block *succ[2]; /* successor cache (checked, not trusted)    */
    uint16_t n;            /* instructions                              */
    bool valid;            /* false once its code was overwritten       */
    bool cached;           /* false: a one-off (instruction across pages) */
    struct insn in[];
};

/* Lazy flags (QEMU's cc_op idea): the last flag-setting operation and its
 * operands are kept; the flags are computed only when someone reads them
 * (flags.c). */
enum {
    CC_EFLAGS, /* flags are in cc_src1 (FL_ARITH bits)      */
    CC_ADD,
    CC_ADC,
    CC_SUB,
    CC_SBB,
    CC_LOGIC,
    CC_INC,
    CC_DEC,
    CC_FIXED, /* CF and OF given in cc_aux; ZF SF PF of dst */
};
#define CCOP(op, size) ((op) << 2 | ((size) >> 1)) /* size 1,2,4 -> 0,1,2 */

/* The fields of struct interp_state, listed once: struct interp starts with
 * them (an anonymous struct in a union with struct interp_state, so the
 * interpreter writes ip->r while the translator uses the same bytes by
 * offset).  The hot ones come first: small displacements. */
#define INTERP_STATE_FIELDS \
    uint32_t r[9];   /* EAX..EDI, r[8] = 0 (absent base/index)    */ \
    uint32_t eflags; /* EFLAGS without the arithmetic bits         */ \
    uint32_t cc_op, cc_dst, cc_src1, cc_src2, cc_aux; /* lazy flags     */ \
    uint32_t segbase[S_NSEG];                         /* segment bases (the descriptor caches) */ \
    struct tlb *tlb;         /* the TLB of the current privilege level     */ \
    const struct insn *cur;  /* instruction executing (NULL between)      */ \
    bool stop;               /* end the block after the current instruction */ \
    uint32_t exit_reason;    /* nonzero: a handler wants to exit (IO, HLT) */ \
    struct x86_cpu *cpu;     /* the rest of the CPU (EIP, CRs, segments)  */ \
    struct block *cur_block; /* block of cur                          */ \
    struct interp_stats st;  /* st.instructions: retired so far           */

struct interp_state {
    INTERP_STATE_FIELDS
};

/* The state of ip (its first bytes). */
static inline struct interp_state *interp_state(struct interp *ip)
{
    return (struct interp_state *)(void *)ip;
}

/* Set the six arithmetic flags outright (lazy form CC_EFLAGS). */
static inline void state_set_arith_flags(struct interp_state *s, uint32_t fl)
{
    s->cc_op = CC_EFLAGS;
    s->cc_src1 = fl & FL_ARITH;
}
/* The effective address of in's memory operand: offset in its segment,
 * then linear (SDM Vol. 1 §3.7.5). */
static inline uint32_t state_ea_off(const struct interp_state *s, const struct insn *in)
{
    return (s->r[in->base] + (s->r[in->index] << in->scale) + in->disp) & in->amask;
}
static inline uint32_t state_ea(const struct interp_state *s, const struct insn *in)
{
    return s->segbase[in->seg] + state_ea_off(s, in);
}

/* Compute the lazy flags into plain bits (cc_op = CC_EFLAGS), e.g. before
 * generated code loads them into the host's EFLAGS. */
void interp_flatten_flags(struct interp *ip);

/* ---- the block cache (interp.c) ------------------------------------------
 * Blocks are keyed by (guest-physical address, EIP); a store into a page
 * holding blocks drops them (self-modifying code).  Between blocks only. */
struct block *interp_block_lookup(struct interp *ip, uint32_t eip, uint32_t gpa);
void interp_block_insert(struct interp *ip, struct block *b);
void interp_cache_flush(struct interp *ip);
/* Does guest-physical page gpa hold decoded code? */
bool interp_page_has_code(const struct interp *ip, uint32_t gpa);
/* Is the cache due for a flush (many dropped blocks, or too many)? */
bool interp_cache_crowded(const struct interp *ip);

/* An engine layered on the decoded blocks (stage 01's translator keeps host
 * code for them) is told when a block is dropped because its code was
 * written, when the whole cache is flushed, and when the CPU accepts an
 * external interrupt (before it is delivered).  Any may be NULL.  engine
 * names the engine in error messages ("interp" by default). */
struct interp_observer {
    void (*block_dropped)(void *ctx, struct block *b);
    void (*cache_flushed)(void *ctx);
    void (*irq_accepted)(void *ctx, int vector);
    const char *engine;
};
void interp_set_observer(struct interp *ip, const struct interp_observer *obs, void *ctx);

#endif
