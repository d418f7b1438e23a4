/*
 * ident.c — identical translation (step 3 of docs/ARCHITECTURE.md §4 "Stage 01",
 * Adams & Agesen, ASPLOS 2006).  The default (--bt-mode identical).
 *
 * While translated code runs, the guest's registers live in the host's:
 *     guest EAX..EDI (not ESP) = host eax..edi (same encoding numbers)
 *     guest ESP = r12d,  guest arithmetic flags = host EFLAGS
 *     r13 = struct bt *,  r14 = struct x86_cpu *,  r15 = struct interp *
 *     (its state, struct interp_state of x86/decoded.h, at offset 0)
 *     r10 = instructions done since the last spill
 *     r8, r9, r11 = scratch (no guest meaning)
 * so an ordinary guest instruction is emitted again with the same opcode,
 * the same registers in its ModRM byte and the same flags effect:
 *
 *   NATIVE (COPY)  mov/movzx/movsx/lea/alu/test/inc/dec/not/neg/shifts/
 *                  mul/imul/setcc/cmovcc/cbw/cwd/clc/stc/cmc/nop.  A memory
 *                  operand becomes gs:[base32 + index32*scale + disp32] with
 *                  the 0x67 address-size prefix: the 4 GiB window, 32-bit
 *                  wrap-around like the guest's.  A guest ESP operand gets
 *                  REX.R/REX.B (r12); an 8-bit AH..BH operand cannot live
 *                  with a REX prefix, so such a form falls back to CALL.
 *                  (Re-encoded from the decoded form rather than copied
 *                  byte by byte: the result is the same instruction, and the
 *                  short INC/DEC forms 40-4F, REX prefixes in 64-bit mode,
 *                  come out as FF /0 and FF /1.)
 *   REWRITE        push r32/imm, pop r32, call rel, ret, jcc/jmp rel: the
 *                  stack goes through the window at r12d, stores before
 *                  the ESP update so a fault leaves the guest state intact.
 *   CALL / HELPER  everything else: the guest registers and flags are
 *                  spilled into the interpreter's state (the architectural form),
 *                  the interpreter's handler (or bt_helper) is called, the
 *                  state is reloaded.  Glue uses only mov/lea around native
 *                  code, so flags survive; pushfq/popfq where they must be
 *                  saved or loaded.
 *
 * Block boundaries: state is in host registers while blocks chain into
 * each other; every return to the run loop goes through spill glue, so
 * the run loop (and --check interp) see the architectural state.
 *
 * Precise faults: each native window access is listed in the block's fault
 * map (host code offset -> guest instruction).  A hidden fault is resolved
 * in the SIGSEGV handler and the access retried; a true fault, MMIO or a
 * store into a code page copies the signal context (the guest state) into
 * the interpreter's state and it finishes the block from that
 * instruction (bt_fault.c).
 *
 * This file translates a block's body and emits the glue; ident_native.c
 * the NATIVE and REWRITE instructions, ident_tail.c the block's end
 * (ident.h).
 */
#include "x86/handlers.h"
#include "x86/tlb.h"
#include "01-binary-translation/ident.h"

/* ---- spill / reload --------------------------------------------------------- */
/* Clobbers r8 and host flags. */
void ident_spill(struct emit *e)
{
    for (int g = 0; g < 8; g++)
        emit_store_m32(e, IPR, OFF_R(g), hreg(g));
    emit_u8(e, 0x9c);                          /* pushfq */
    emit_pop_r64(e, R8);
    emit_u8(e, 0x41); emit_u8(e, 0x81); emit_u8(e, 0xe0);   /* and r8d, FL_ARITH */
    emit_u32(e, FL_ARITH);
    emit_store_m32(e, IPR, OFF_IP(cc_src1), R8);
    emit_store_m32_imm32(e, IPR, OFF_IP(cc_op), CC_EFLAGS);
    /* The instruction count kept in r10. */
    emit_load_r64(e, R8, IPR, OFF_IP(st.instructions));
    emit_u8(e, 0x4f); emit_u8(e, 0x8d); emit_u8(e, 0x04); emit_u8(e, 0x10);  /* lea r8, [r8+r10] */
    emit_store_r64(e, IPR, OFF_IP(st.instructions), R8);
    emit_mov_r32_imm32(e, R10, 0);
}
/* The interpreter's flags must be in CC_EFLAGS form. */
void ident_reload(struct emit *e)
{
    emit_load_m32(e, R8, IPR, OFF_IP(cc_src1));
    emit_u8(e, 0x41); emit_u8(e, 0x81); emit_u8(e, 0xe0);   /* and r8d, FL_ARITH */
    emit_u32(e, FL_ARITH);
    emit_push_r64(e, R8);
    emit_u8(e, 0x9d);                          /* popfq (user mode: IF/IOPL unchanged) */
    for (int g = 0; g < 8; g++)
        emit_load_m32(e, hreg(g), IPR, OFF_R(g));
    emit_mov_r32_imm32(e, R10, 0);
}
/* r10, flushed into st.instructions by ident_spill. */
void ident_count(struct emit *e, int32_t n)
{
    emit_lea_r64(e, R10, R10, n);
}
void ident_ret_spill(struct emit *e, const struct bt *bt, int code)
{
    emit_store_m32_imm32(e, R13, OFF_BT(ret_code), (uint32_t)code);
    emit_jmp_rel32(e, bt->spill_exit);
}

/* ---- the body --------------------------------------------------------------------- */
/* Instruction i through its handler (or bt_helper) on the spilled state;
 * then the flags are made plain for the reload.  Returns the stop jump. */
static uint8_t *call_insn(struct ident *x, unsigned i)
{
    struct emit *e = &x->e;
    const struct insn *in = &x->b->in[i];
    if (!x->spilled) {
        ident_spill(e);
        x->spilled = true;
    }
    x->any_call = true;
    emit_store_m32_imm32(e, R14, OFF_CPU(eip), x->b->next_eip);
    emit_mov_r64_imm64(e, RDI, (uintptr_t)x->b);   /* for the exception path */
    emit_store_r64(e, IPR, OFF_IP(cur_block), RDI);
    int h = bt_helper_of(in);
    uint8_t *stop = glue_call_insn(e, IPR, in, h < 0 && ident_x87_handler(in) ? GLUE_X87 : h);
    emit_mov_r64_r64(e, RDI, IPR);
    emit_mov_r64_imm64(e, RAX, (uintptr_t)interp_flatten_flags);
    emit_call_r64(e, RAX);
    return stop;
}

/* Instructions [0, nbody): NATIVE or REWRITE when possible (the state
 * reloaded into host registers first), else CALL / HELPER. */
static void body(struct ident *x, uint8_t **stop_fix)
{
    for (unsigned i = 0; i < x->nbody; i++) {
        const struct insn *in = &x->b->in[i];
        stop_fix[i] = NULL;
        if (bt_helper_of(in) < 0) {
            uint8_t *save = x->e.p;
            if (x->spilled)
                ident_reload(&x->e);
            if (ident_inline(&x->e, x->tb, in, i, 0, x->flat)) {
                x->spilled = false;
                x->bt->st.native_insns++;
                x->bt->st.x87_native += in->fn == h_fpu;
                continue;
            }
            x->e.p = save;
        }
        stop_fix[i] = call_insn(x, i);
    }
}

size_t bt_translate_identical(struct bt *bt, struct tblock *tb, const struct block *b, size_t avail)
{
    struct ident x = { .bt = bt, .tb = tb, .b = b };
    struct emit *e = &x.e;
    emit_init(e, tb->code, avail);
    uint8_t *stop_fix[MAX_BLOCK];
    x.page = (bt->s->segbase[S_CS] + b->eip) & PAGE_MASK;
    x.flat = bt->use_window && (tb->mode & MODE_FLAT);
    tb->nfmap = 0;

    /* Entry: the interrupt poll is a load through bt->poll_at (the
     * "safepoint poll" of JIT compilers).  bt_fault.c's poller thread
     * points it at the unreadable poll page when the run loop should look
     * at the virtual CPU (every BT_POLL_US); the load then faults before
     * this block has done anything, where the guest state is exactly the
     * host registers and EIP is the block's, and the SIGSEGV handler sends
     * the code to spill_exit with BT_RET_FUEL.  No flags, no counter, no
     * branch, and no system call to arm it. */
    emit_load_r64(e, R8, R13, OFF_BT(poll_at));
    bt->poll_fault = (uint32_t)(e->p - tb->code);
    emit_u8(e, 0x45); emit_u8(e, 0x8b); emit_u8(e, 0x00);      /* mov r8d, [r8] */
    x.body_start = e->p;

    /* Direct control transfers at the end are REWRITE (native branch). */
    const struct insn *last = &b->in[b->n - 1];
    insn_fn lf = last->fn;
    bool tail_jcc = lf == h_jcc, tail_jmp = lf == h_jmp,
         tail_call = lf == h_call && last->size == 4 && x.flat,
         tail_ret = lf == h_ret && last->size == 4 && x.flat,
         tail_ijump = ident_ijump_ok(last, x.flat);
    x.nbody = b->n - (tail_jcc || tail_jmp || tail_call || tail_ret || tail_ijump);
    body(&x, stop_fix);

    if (x.nbody == b->n) {
        ident_tail_plain(&x);
    } else {
        if (x.spilled) {
            ident_reload(e);
            x.spilled = false;
        }
        if (tail_ret)
            ident_tail_ret(&x);
        else if (tail_ijump)
            ident_tail_ijump(&x, lf == h_call_rm);
        else if (!ident_tail_branch(&x, tail_jcc, tail_call))
            return 0;
    }

    /* Stubs for chainable exits: cpu->eip = target, remember the exit. */
    for (int k = 0; k < tb->nexits; k++) {
        tb->exit[k].stub = e->p;
        if (x.exit_fix[k])
            emit_patch_rel32(x.exit_fix[k], e->p);
        emit_store_m32_imm32(e, R14, OFF_CPU(eip), tb->exit[k].target);
        emit_mov_r64_imm64(e, R8, (uintptr_t)tb);
        emit_store_r64(e, R13, OFF_BT(last), R8);
        emit_store_m32_imm32(e, R13, OFF_BT(last_exit), (uint32_t)k);
        ident_ret_spill(e, bt, BT_RET_CHAIN);
    }
    glue_stop_stubs(e, bt, tb, stop_fix, x.nbody);
    if (e->overflow)
        return 0;
    return emit_size(e);
}

/* Enter / exit glue for identical translation (glue.h): enter loads the
 * guest state (flags must be in CC_EFLAGS form) and jumps in; spill_exit
 * saves it and returns bt->ret_code; exit_glue returns eax with the state
 * already saved; bail_glue returns BT_RET_BAIL (the SIGSEGV handler saved
 * the state from the signal context). */
size_t bt_emit_glue_identical(struct bt *bt, uint8_t *buf, size_t avail)
{
    struct emit e;
    emit_init(&e, buf, avail);
    glue_prologue(&e, IPR);
    emit_mov_r64_r64(&e, R9, RCX);
    /* The guest's x87 state into the host's, for all the blocks this run
     * chains through (bt_x87.c). */
    emit_u8(&e, 0x41); emit_u8(&e, 0xdd); emit_u8(&e, 0xa5);    /* frstor [r13+img] */
    emit_u32(&e, (uint32_t)OFF_BT(x87.img));
    ident_reload(&e);
    emit_jmp_r64(&e, R9);
    uint8_t *miss = e.p;                         /* an indirect lookup missed */
    emit_store_m32_imm32(&e, R13, OFF_BT(ret_code), BT_RET_END);
    uint8_t *spill_exit = e.p;
    ident_spill(&e);
    emit_load_m32(&e, RAX, R13, OFF_BT(ret_code));
    uint8_t *exit_jmp = emit_jmp_rel32(&e, e.p);
    uint8_t *bail = e.p;
    emit_mov_r32_imm32(&e, RAX, BT_RET_BAIL);
    uint8_t *exit = e.p;
    if (exit_jmp)
        emit_patch_rel32(exit_jmp, exit);
    /* And back (FNSAVE: no wait, then FNINIT, the ABI's x87 state). */
    emit_u8(&e, 0x41); emit_u8(&e, 0xdd); emit_u8(&e, 0xb5);    /* fnsave [r13+img] */
    emit_u32(&e, (uint32_t)OFF_BT(x87.img));
    glue_epilogue(&e);
    if (e.overflow)
        return 0;
    bt->enter = (int (*)(struct bt *, struct interp *, struct x86_cpu *, const void *))(void *)buf;
    bt->exit_glue = exit;
    bt->bail_glue = bail;
    bt->spill_exit = spill_exit;
    bt->lookup_miss = miss;
    return emit_size(&e);
}
