/*
 * glue.h — what both translations (translate.c: call-threaded, ident*.c:
 * identical) emit alike: the enter/exit trampoline around translated code,
 * the call of an interpreter handler or helper for one instruction, and
 * the stop stubs that return to the run loop.
 *
 * Host registers while translated code runs (both translations):
 *     r13 = struct bt *    r14 = struct x86_cpu *
 *     the struct interp * in ipr (rbx call-threaded, r15 identical)
 * Generated code addresses the interpreter's state (struct interp_state,
 * x86/decoded.h, at the start of struct interp), struct bt and struct
 * x86_cpu by the offsets below.
 */
#ifndef BT_GLUE_H
#define BT_GLUE_H

#include <stddef.h>
#include "01-binary-translation/bt.h"
#include "01-binary-translation/emit.h"

#define OFF_IP(f)  ((int32_t)offsetof(struct interp_state, f))
#define OFF_R(i)   ((int32_t)(offsetof(struct interp_state, r) + 4 * (i)))
#define OFF_BT(f)  ((int32_t)offsetof(struct bt, f))
#define OFF_CPU(f) ((int32_t)offsetof(struct x86_cpu, f))

/* The System V function
 *   int enter(struct bt *bt, struct interp *ip, struct x86_cpu *cpu, code)
 * starts with glue_prologue: save the callee-saved registers, keep the
 * stack 16-byte aligned at our calls, load r13, ipr and r14 (the code
 * address stays in rcx).  glue_epilogue undoes it and returns eax. */
void glue_prologue(struct emit *e, int ipr);
void glue_epilogue(struct emit *e);

/* Return BT_RET_* code to the run loop, the state already in memory. */
void glue_ret(struct emit *e, const struct bt *bt, int code);

/* Run instruction in through its handler (or bt_helper for helper class
 * h >= 0, bt_x87_call for GLUE_X87) on the state in memory: ip->cur = in, the call, then a jump out
 * if the handler stopped the block (ip->stop).  Returns that jump's rel32
 * field for glue_stop_stubs. */
#define GLUE_X87 (-2)
uint8_t *glue_call_insn(struct emit *e, int ipr, const struct insn *in, int h);

/* The stop stubs of a block of n instructions: stop_fix[i] (NULL: none)
 * lands on one that records bt->done = i + 1 and bt->last = tb and
 * returns BT_RET_STOP. */
void glue_stop_stubs(struct emit *e, const struct bt *bt, struct tblock *tb,
                     uint8_t *const *stop_fix, unsigned n);

#endif
