/*
 * bt_x87.c — identical translation keeps the guest's x87 state in the
 * host's x87 (bt.h, struct bt_x87).
 *
 * The interpreter models the x87 (x86/fpu.h) and computes each operation
 * on the host's x87: FNINIT, FLDCW, two FLDs, the operation and an FNSAVE
 * around every instruction, plus a spill of the guest registers to call
 * it.  Translated code instead runs x87 instructions natively
 * (ident_x87.c) on the guest's own stack, which stays in the host's x87
 * registers for as long as translated code runs:
 *
 *   run loop      struct x86_fpu -> bt->x87.img (bt_x87_to_img)
 *   enter glue    FRSTOR img
 *   ...           translated blocks, chained: no save, no load
 *   exit glue     FNSAVE img (every way out: exits, bail-outs, polls)
 *   run loop      img -> struct x86_fpu (bt_x87_from_img)
 *
 * The C code translated code calls (handlers, helpers, lookups) never uses
 * the x87 — the VMM has no long double outside the interpreter's x87
 * engine, which only its x87 handlers reach, and those go through
 * bt_x87_call, which stores the state first and loads it again after.
 * FNSAVE leaves the host x87 initialised (control word 037FH, empty
 * stack), which is what the x86-64 ABI expects between functions.
 *
 * FIP, FCS, FOP, FDP and FDS (SDM Vol. 1 §8.1.9) would be the host's
 * addresses, so native instructions store the guest's in bt->x87 (fip,
 * fop, fdp, fseg) and from_img puts them in place of the host's.
 */
#include <string.h>
#include "x86/fpu.h"
#include "01-binary-translation/bt.h"

#define ENV 28 /* the 32-bit protected-mode environment, then ST(0)..ST(7) */

static void put_reg(uint8_t *p, const struct x87_reg *v)
{
    memcpy(p, &v->sig, 8);
    memcpy(p + 8, &v->se, 2);
}
static void get_reg(struct x87_reg *v, const uint8_t *p)
{
    memcpy(&v->sig, p, 8);
    memcpy(&v->se, p + 8, 2);
}

void bt_x87_to_img(struct bt *bt)
{
    const struct x86_fpu *f = &bt->cpu->fpu;
    fpu_env_store(f, bt->x87.img, false);
    for (int i = 0; i < 8; i++)
        put_reg(bt->x87.img + ENV + 10 * i, &f->r[fpu_phys(f, i)]);
    bt->x87.fip = f->fip;
    bt->x87.fop = f->fop;
    bt->x87.fdp = f->fdp;
    bt->x87.fseg = 0;
}

void bt_x87_from_img(struct bt *bt)
{
    struct x86_fpu *f = &bt->cpu->fpu;
    uint16_t fcs = f->fcs, fds = f->fds;
    fpu_env_load(f, bt->x87.img, false);
    for (int i = 0; i < 8; i++)
        get_reg(fpu_st(f, i), bt->x87.img + ENV + 10 * i);
    /* The instruction and operand pointers: the guest's, not the host's.
     * CS cannot change inside translated code without a return to the run
     * loop, nor a data segment register without a handler call, so the
     * selectors are the ones the instructions used. */
    f->fip = bt->x87.fip;
    f->fop = bt->x87.fop & 0x7ff;
    f->fcs = (bt->x87.fop & BT_X87_SET) ? bt->cpu->seg[S_CS].sel : fcs;
    f->fdp = bt->x87.fdp;
    f->fds = (bt->x87.fseg & BT_X87_SET) ? bt->cpu->seg[bt->x87.fseg & 7].sel : fds;
}

static void host_fnsave(uint8_t *img)
{
    __asm__ volatile("fnsave %0" : "=m"(*(uint8_t(*)[108])img));
}
static void host_frstor(const uint8_t *img)
{
    __asm__ volatile("frstor %0" : : "m"(*(const uint8_t(*)[108])img));
}

/* A handler called from translated code raised an exception (a longjmp
 * to the run loop): unless bt_x87_call had stored it, the guest's state
 * is still in the host's x87. */
void bt_x87_unwind(struct bt *bt)
{
    if (!bt->x87.in_struct) {
        host_fnsave(bt->x87.img);
        bt_x87_from_img(bt);
    }
    bt->x87.in_struct = false;
}

/* An x87 instruction translated code does not run natively (FNSTENV,
 * FNSAVE, FXSAVE, FINIT, WAIT, ...) or an x87 one under CR0.TS/EM: its
 * handler works on struct x86_fpu. */
void bt_x87_call(struct interp *ip, const struct insn *in, struct bt *bt)
{
    host_fnsave(bt->x87.img);
    bt_x87_from_img(bt);
    bt->x87.in_struct = true; /* the handler may longjmp: bt_x87_unwind */
    in->fn(ip, in);
    bt->x87.in_struct = false;
    bt_x87_to_img(bt);
    host_frstor(bt->x87.img);
}
