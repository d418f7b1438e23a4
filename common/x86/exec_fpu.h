/*
 * exec_fpu.h — what the x87 instruction files of common/x86 share
 * (exec_fpu.c: D8-DF, exec_fpu_env.c: environment, FXSAVE, WAIT).
 */
#ifndef X86_EXEC_FPU_H
#define X86_EXEC_FPU_H

#include "x86/interp_int.h"

/* Guest memory as bytes; a write crossing a page checks both pages first. */
void rd_bytes(struct interp *ip, uint32_t lin, uint8_t *buf, int n);
void wr_bytes(struct interp *ip, uint32_t lin, const uint8_t *buf, int n);

/* The kinds of x87 instruction (SDM Vol. 1 §8.1.8, §8.3.11). */
enum { FPU_NOWAIT, FPU_CONTROL, FPU_NONCONTROL };
/* Before an x87 instruction of that kind: #NM for CR0.EM/TS, #MF for a
 * pending unmasked exception (waiting kinds), then the last-instruction
 * pointers (non-control kinds). */
void fpu_enter(struct interp *ip, const struct insn *in, int kind);

/* The environment and state instructions (exec_fpu_env.c); reg is
 * ModRM.reg of D9 (4 FLDENV, 5 FLDCW, 6 FNSTENV, 7 FNSTCW) or DD
 * (4 FRSTOR, 6 FNSAVE, 7 FNSTSW). */
void fpu_env_insn(struct interp *ip, const struct insn *in, int esc, int reg);

#endif
