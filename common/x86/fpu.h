/*
 * fpu.h — the x87 floating-point unit of the CPU model: its state
 * (struct x86_fpu in x86/cpu.h), the register stack, the saved-state
 * images, and the numeric engine.
 *
 * The concepts (SDM Vol. 1 ch. 8): eight 80-bit registers addressed as a
 * stack through TOP; a tag per register (valid, zero, special, empty);
 * a control word (exception masks, precision and rounding control) and a
 * status word (sticky exception flags, stack fault, condition codes C0-C3,
 * ES/B "an unmasked exception is pending").  Numbers are computed by the
 * host's own x87 (fpu_host.c): the host runs the same operation on the
 * same 80-bit operands under the guest's control word, so precision,
 * rounding, masked responses and flags are bit for bit those of an x86.
 * What the guest sees around the numbers — the stack, tags, stack faults,
 * pending exceptions, #MF, the environment layouts — is modelled here and
 * in exec_fpu.c.
 */
#ifndef X86_FPU_H
#define X86_FPU_H

#include <stdbool.h>
#include <stdint.h>
#include "x86/cpu.h"

/* Status word (SDM Vol. 1 §8.1.3, Figure 8-4). */
#define FSW_IE  0x0001 /* invalid operation             */
#define FSW_DE  0x0002 /* denormal operand              */
#define FSW_ZE  0x0004 /* zero divide                   */
#define FSW_OE  0x0008 /* overflow                      */
#define FSW_UE  0x0010 /* underflow                     */
#define FSW_PE  0x0020 /* precision (inexact)           */
#define FSW_SF  0x0040 /* stack fault (with IE)         */
#define FSW_ES  0x0080 /* error summary                 */
#define FSW_C0  0x0100
#define FSW_C1  0x0200
#define FSW_C2  0x0400
#define FSW_TOP 0x3800
#define FSW_C3  0x4000
#define FSW_B   0x8000 /* busy: mirrors ES               */
#define FSW_EXC 0x003f
#define FSW_CC  (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)
/* Control word (§8.1.5): masks 0-5 as in the status word, PC, RC. */
#define FCW_RC       0x0c00
#define FCW_DEFAULT  0x037f /* FNINIT: all masked, 64-bit precision, nearest */
#define MXCSR_MASK   0xffbf /* MXCSR bits FXRSTOR accepts (no DAZ), §10.5.1.2 */
#define MXCSR_RESET  0x1f80
#define X87_ENV_SIZE 28  /* 32-bit protected-mode FNSTENV image */
#define X87_ENV16    14  /* 16-bit protected-mode image */
#define X87_FX_SIZE  512 /* FXSAVE area */

/* Tags (§8.1.7). */
enum { TAG_VALID, TAG_ZERO, TAG_SPECIAL, TAG_EMPTY };

extern const struct x87_reg x87_indefinite; /* the default QNaN (§4.8.3.7) */

/* Power-on state (SDM Vol. 3A §9.1.1, Table 9-1) and FNINIT (§8.1.10). */
void fpu_reset(struct x86_fpu *f);
void fpu_init(struct x86_fpu *f);

static inline int fpu_phys(const struct x86_fpu *f, int i) { return (f->top + i) & 7; }
static inline bool fpu_empty(const struct x86_fpu *f, int i)
{
    return !(f->full >> fpu_phys(f, i) & 1);
}
static inline struct x87_reg *fpu_st(struct x86_fpu *f, int i) { return &f->r[fpu_phys(f, i)]; }
static inline void fpu_set(struct x86_fpu *f, int i, const struct x87_reg *v)
{
    f->r[fpu_phys(f, i)] = *v;
    f->full |= 1u << fpu_phys(f, i);
}
static inline void fpu_push(struct x86_fpu *f, const struct x87_reg *v)
{
    f->top = (f->top - 1) & 7;
    fpu_set(f, 0, v);
}
static inline void fpu_pop(struct x86_fpu *f)
{
    f->full &= ~(1u << f->top);
    f->top = (f->top + 1) & 7;
}
/* The status word as the guest reads it (TOP in bits 11-13). */
static inline uint16_t fpu_sw(const struct x86_fpu *f)
{
    return (uint16_t)((f->sw & ~FSW_TOP) | (f->top << 11));
}
/* Set ES and B when a flag in sw is unmasked (§8.1.3.1). */
void fpu_update_es(struct x86_fpu *f);
int fpu_tag_of(const struct x87_reg *v);
uint16_t fpu_tw(const struct x86_fpu *f); /* the full tag word */
/* FXAM's class of ST(0) in C3 C2 C0 and the sign in C1 (SDM Vol. 2A FXAM). */
uint16_t fpu_xam(const struct x86_fpu *f);

/* The saved-state images (SDM Vol. 1 §8.1.10, Figures 8-9 to 8-12; Vol. 2A
 * FXSAVE Table 3-53): the environment (28 bytes, or 14 with a 16-bit
 * operand size), FNSAVE's environment + 8 registers, FXSAVE's 512 bytes
 * (bytes 160-511, the XMM registers, are not touched: no SSE).  Loading an
 * image recomputes ES.  fpu_fxrstor fails (#GP) on reserved MXCSR bits. */
void fpu_env_store(const struct x86_fpu *f, uint8_t *buf, bool o16);
void fpu_env_load(struct x86_fpu *f, const uint8_t *buf, bool o16);
void fpu_fxsave(const struct x86_fpu *f, uint8_t *buf);
bool fpu_fxrstor(struct x86_fpu *f, const uint8_t *buf);

/* ---- the numeric engine: the host's x87 (fpu_host.c) ---------------------
 * x87_run(op, cw, a, b, m, out) loads b then a onto an initialised host
 * x87 under control word cw (so ST(0) = a, ST(1) = b), runs op (which may
 * read or write the 16 bytes at m), and reports the status word and the
 * stack it left (depth and ST(0..3)).  Unmasked exceptions behave as on
 * hardware: the host leaves its operands or memory unchanged and sets ES. */
enum x87_op {
    X87_ADD,
    X87_MUL,
    X87_SUB,
    X87_SUBR,
    X87_DIV,
    X87_DIVR, /* ST0 = a op b */
    X87_COM,
    X87_UCOM,
    X87_TST, /* a vs b, a vs 0 */
    X87_SQRT,
    X87_RNDINT,
    X87_F2XM1,
    X87_SIN,
    X87_COS, /* unary on ST0 */
    X87_SINCOS,
    X87_PTAN,
    X87_XTRACT, /* push a second result */
    X87_SCALE,
    X87_PREM,
    X87_PREM1, /* ST0 = f(a, b) */
    X87_YL2X,
    X87_YL2XP1,
    X87_PATAN, /* ST1 = f(ST1, ST0), pop */
    X87_LDL2T,
    X87_LDL2E,
    X87_LDPI,
    X87_LDLG2,
    X87_LDLN2, /* constants, rounded by RC */
    X87_LD32,
    X87_LD64,
    X87_ILD16,
    X87_ILD32,
    X87_ILD64,
    X87_BLD, /* push from m */
    X87_ST32,
    X87_ST64,
    X87_IST16,
    X87_IST32,
    X87_IST64,
    X87_BST, /* a to m */
    X87_NOPS,
    /* Or'ed into X87_ADD..X87_DIVR and X87_COM: b is the 16 bytes at m, a
     * real or integer memory operand (D8, DC, DA, DE /reg), as the
     * hardware converts it: a NaN in ST(0) hides a denormal operand. */
    X87_M32 = 0x100,
    X87_M64 = 0x200,
    X87_I32 = 0x300,
    X87_I16 = 0x400,
};
struct x87_result {
    uint16_t sw;
    int depth;
    struct x87_reg st[4];
};
void x87_run(unsigned op, uint16_t cw, const struct x87_reg *a, const struct x87_reg *b,
             uint8_t m[16], struct x87_result *out);

#endif
