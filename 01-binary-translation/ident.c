/*
 * ident.c — identical translation (step 3 of docs/ARCHITECTURE.md §4 "Stage 01",
 * Adams & Agesen, ASPLOS 2006).  The default (--bt-mode identical).
 *
 * While translated code runs, the guest's registers live in the host's:
 *     guest EAX..EDI (not ESP) = host eax..edi (same encoding numbers)
 *     guest ESP = r12d,  guest arithmetic flags = host EFLAGS
 *     r13 = struct bt *,  r14 = struct x86_cpu *,  r15 = struct interp *
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
 *                  spilled into struct interp (the architectural form),
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
 * struct interp and the interpreter finishes the block from that
 * instruction (bt_engine.c).
 */
#include <stddef.h>
#include <stdlib.h>
#include "x86/interp_int.h"
#include "01-binary-translation/bt.h"
#include "01-binary-translation/emit.h"

#define IPR R15                                /* struct interp *       */
#define OFF_IP(f)  ((int32_t)offsetof(struct interp, f))
#define OFF_R(i)   ((int32_t)(offsetof(struct interp, r) + 4 * (i)))
#define OFF_BT(f)  ((int32_t)offsetof(struct bt, f))
#define OFF_CPU(f) ((int32_t)offsetof(struct x86_cpu, f))

static int hreg(int g) { return g == R_ESP ? R12 : g; }   /* guest -> host register */

/* ---- spill / reload --------------------------------------------------------- */
/* Guest registers and flags from the host into struct interp (flags as
 * CC_EFLAGS).  Clobbers r8 and host flags. */
static void spill(struct emit *e)
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
/* The reverse; the interpreter's flags must be in CC_EFLAGS form. */
static void reload(struct emit *e)
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
/* Count n guest instructions (r10, flushed by spill). */
static void count(struct emit *e, int32_t n)
{
    emit_lea_r64(e, R10, R10, n);
}
/* ---- guest instruction encoder ----------------------------------------------- */
/* A memory operand in guest terms (registers 0-7, 8 = none). */
struct gmem { int base, index, scale; uint32_t disp; };

/* Emit prefixes, opcode, ModRM(/SIB/disp) and imm for one instruction.
 * reg: host register or /digit in ModRM.reg (regbyte: it names an 8-bit
 * register); rm: host register when m is NULL (rmbyte likewise); m: a
 * guest memory operand (gs: window when gs).  False when the form cannot
 * be encoded (an AH..BH operand next to a REX prefix). */
static bool enc(struct emit *e, bool o16, const uint8_t *opc, int nopc, int reg, bool regbyte,
                int rm, bool rmbyte, const struct gmem *m, bool gs, uint32_t imm, int immsz)
{
    int base = -1, index = -1;
    if (m) {
        base = m->base == 8 ? -1 : hreg(m->base);
        index = m->index == 8 ? -1 : hreg(m->index);
        if (index == R12)
            return false;                      /* cannot happen in 32-bit code */
    }
    uint8_t rex = 0x40 | ((reg & 8) ? 4 : 0) | (index >= 8 ? 2 : 0) |
                  ((m ? base >= 8 : (rm & 8)) ? 1 : 0);
    if (rex != 0x40 && ((regbyte && (reg & 7) >= 4) || (!m && rmbyte && (rm & 7) >= 4)))
        return false;
    if (gs)
        emit_u8(e, 0x65);
    if (m)
        emit_u8(e, 0x67);
    if (o16)
        emit_u8(e, 0x66);
    if (rex != 0x40)
        emit_u8(e, rex);
    for (int i = 0; i < nopc; i++)
        emit_u8(e, opc[i]);
    if (!m) {
        emit_u8(e, (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
    } else {
        int ss = m->scale & 3;
        if (base < 0) {                        /* mod 00, SIB base 101: disp32 (not RIP-relative) */
            emit_u8(e, (uint8_t)(0x04 | ((reg & 7) << 3)));
            emit_u8(e, (uint8_t)((ss << 6) | ((index < 0 ? 4 : index & 7) << 3) | 5));
            emit_u32(e, m->disp);
        } else {
            /* The shortest form, as a compiler would emit it (long
             * instructions cost decode bandwidth in tight loops): no
             * displacement when it is 0 (but base 101 = rbp/r13 needs
             * one), disp8 when it fits; a SIB byte only for an index or a
             * base of 100 (rsp/r12). */
            int32_t d = (int32_t)m->disp;
            int mod = (d == 0 && (base & 7) != 5) ? 0 : (d >= -128 && d <= 127) ? 1 : 2;
            bool sib = index >= 0 || (base & 7) == 4;
            emit_u8(e, (uint8_t)(mod << 6 | ((reg & 7) << 3) | (sib ? 4 : base & 7)));
            if (sib)
                emit_u8(e, (uint8_t)((ss << 6) | ((index < 0 ? 4 : index & 7) << 3) | (base & 7)));
            if (mod == 1)
                emit_u8(e, (uint8_t)d);
            else if (mod == 2)
                emit_u32(e, m->disp);
        }
    }
    if (immsz == 1) emit_u8(e, (uint8_t)imm);
    else if (immsz == 2) { emit_u8(e, (uint8_t)imm); emit_u8(e, (uint8_t)(imm >> 8)); }
    else if (immsz == 4) emit_u32(e, imm);
    return true;
}

static int op_find(const insn_fn (*tab)[3][2], int n, insn_fn fn, int *sub, int *sz, int *mem)
{
    for (int a = 0; a < n; a++)
        for (int s = 0; s < 3; s++)
            for (int m = 0; m < 2; m++)
                if (tab[a][s][m] == fn) { *sub = a; *sz = s; *mem = m; return 1; }
    return 0;
}
static int op_find2(const insn_fn (*tab)[2], insn_fn fn, int *sz, int *mem)
{
    for (int s = 0; s < 3; s++)
        for (int m = 0; m < 2; m++)
            if (tab[s][m] == fn) { *sz = s; *mem = m; return 1; }
    return 0;
}

/* Emit in natively; false if it is not in the NATIVE class (or this form
 * cannot be encoded).  *memacc: it accesses guest memory (goes in the
 * fault map). */
static bool native(struct emit *e, const struct insn *in, bool flat, bool *memacc)
{
    insn_fn f = in->fn;
    bool mem = in->flags & I_MEM;
    struct gmem gm = { in->base, in->index, in->scale, in->disp }, *m = mem ? &gm : NULL;
    *memacc = mem && f != h_lea;
    if (mem && (in->amask != 0xffffffffu || (f != h_lea && (!flat || in->seg == S_FS ||
                                                             in->seg == S_GS || in->seg == S_CS))))
        return false;
    int sub, sz, mm;
    bool o16 = in->size == 2, byte = in->size == 1;
    int isz = byte ? 1 : o16 ? 2 : 4;
    int r = hreg(in->reg), rm = hreg(in->rm);
    uint8_t op[2];
    if (op_find(h_alu_rm_r, 8, f, &sub, &sz, &mm)) {
        op[0] = (uint8_t)(sub * 8 + !byte);
        return enc(e, o16, op, 1, r, byte, rm, byte, m, mem, 0, 0);
    }
    if (op_find(h_alu_r_rm, 8, f, &sub, &sz, &mm)) {
        op[0] = (uint8_t)(sub * 8 + 2 + !byte);
        return enc(e, o16, op, 1, r, byte, rm, byte, m, mem, 0, 0);
    }
    if (op_find(h_alu_rm_i, 8, f, &sub, &sz, &mm)) {
        op[0] = byte ? 0x80 : 0x81;
        return enc(e, o16, op, 1, sub, false, rm, byte, m, mem, in->imm, isz);
    }
    if (op_find2(h_mov_rm_r, f, &sz, &mm)) {
        op[0] = byte ? 0x88 : 0x89;
        return enc(e, o16, op, 1, r, byte, rm, byte, m, mem, 0, 0);
    }
    if (op_find2(h_mov_r_rm, f, &sz, &mm)) {
        op[0] = byte ? 0x8a : 0x8b;
        return enc(e, o16, op, 1, r, byte, rm, byte, m, mem, 0, 0);
    }
    if (op_find2(h_mov_rm_i, f, &sz, &mm)) {
        op[0] = byte ? 0xc6 : 0xc7;
        return enc(e, o16, op, 1, 0, false, rm, byte, m, mem, in->imm, isz);
    }
    if (op_find2(h_test_rm_r, f, &sz, &mm)) {
        op[0] = byte ? 0x84 : 0x85;
        return enc(e, o16, op, 1, r, byte, rm, byte, m, mem, 0, 0);
    }
    if (op_find2(h_test_rm_i, f, &sz, &mm)) {
        op[0] = byte ? 0xf6 : 0xf7;
        return enc(e, o16, op, 1, 0, false, rm, byte, m, mem, in->imm, isz);
    }
    if (op_find(h_incdec, 2, f, &sub, &sz, &mm)) {   /* also the short forms 40-4F */
        op[0] = byte ? 0xfe : 0xff;
        return enc(e, o16, op, 1, sub, false, rm, byte, m, mem, 0, 0);
    }
    if (op_find(h_notneg, 2, f, &sub, &sz, &mm)) {
        op[0] = byte ? 0xf6 : 0xf7;
        return enc(e, o16, op, 1, 2 + sub, false, rm, byte, m, mem, 0, 0);
    }
    if (op_find(h_muldiv, 2, f, &sub, &sz, &mm)) {   /* MUL, IMUL (not DIV: #DE) */
        op[0] = byte ? 0xf6 : 0xf7;
        return enc(e, o16, op, 1, 4 + sub, false, rm, byte, m, mem, 0, 0);
    }
    if (op_find(h_shift, 8, f, &sub, &sz, &mm)) {
        if (in->flags & I_CL) {
            op[0] = byte ? 0xd2 : 0xd3;
            return enc(e, o16, op, 1, sub, false, rm, byte, m, mem, 0, 0);
        }
        op[0] = byte ? 0xc0 : 0xc1;
        return enc(e, o16, op, 1, sub, false, rm, byte, m, mem, in->imm, 1);
    }
    if (f == h_lea) {
        op[0] = 0x8d;
        return enc(e, o16, op, 1, r, false, 0, false, m, false, 0, 0);
    }
    if (f == h_movzx || f == h_movsx) {
        op[0] = 0x0f;
        op[1] = (uint8_t)((f == h_movzx ? 0xb6 : 0xbe) + (in->op == 2));
        return enc(e, o16, op, 2, r, false, rm, in->op == 1, m, mem, 0, 0);
    }
    if (f == h_imul2) {
        op[0] = 0x0f; op[1] = 0xaf;
        return enc(e, o16, op, 2, r, false, rm, false, m, mem, 0, 0);
    }
    if (f == h_imul3) {
        op[0] = 0x69;
        return enc(e, o16, op, 1, r, false, rm, false, m, mem, in->imm, isz);
    }
    if (f == h_setcc) {
        op[0] = 0x0f; op[1] = (uint8_t)(0x90 + in->op);
        return enc(e, false, op, 2, 0, false, rm, true, m, mem, 0, 0);
    }
    if (f == h_cmovcc) {
        op[0] = 0x0f; op[1] = (uint8_t)(0x40 + in->op);
        return enc(e, o16, op, 2, r, false, rm, false, m, mem, 0, 0);
    }
    if (f == h_cbw || f == h_cwd || f == h_clc || f == h_stc || f == h_cmc || f == h_nop) {
        if (o16) emit_u8(e, 0x66);
        emit_u8(e, f == h_cbw ? 0x98 : f == h_cwd ? 0x99 : f == h_clc ? 0xf8 :
                   f == h_stc ? 0xf9 : f == h_cmc ? 0xf5 : 0x90);
        return true;
    }
    return false;
}

/* ---- translation ----------------------------------------------------------------- */
struct fixup { uint8_t *field; int kind; unsigned arg; };

/* Return to the run loop with state still in host registers. */
static void ret_spill(struct emit *e, struct bt *bt, int code)
{
    emit_store_m32_imm32(e, R13, OFF_BT(ret_code), (uint32_t)code);
    emit_jmp_rel32(e, bt->spill_exit);
}
/* Return to the run loop with state already spilled. */
static void ret_plain(struct emit *e, struct bt *bt, int code)
{
    emit_mov_r32_imm32(e, RAX, (uint32_t)code);
    emit_jmp_rel32(e, bt->exit_glue);
}

static void fmap_add(struct tblock *tb, size_t off, unsigned idx, unsigned bias)
{
    if (tb->nfmap % 16 == 0) {
        void *p = realloc(tb->fmap, (tb->nfmap + 16) * sizeof *tb->fmap);
        if (!p)
            return;                              /* the fault will not be found: crash */
        tb->fmap = p;
    }
    tb->fmap[tb->nfmap].off = (uint32_t)off;
    tb->fmap[tb->nfmap].idx = (uint16_t)idx;
    tb->fmap[tb->nfmap].bias = (uint16_t)bias;
    tb->nfmap++;
}

/* Emit in as NATIVE or REWRITE (push/pop through the window) for
 * instruction idx of the block; bias = instructions of the block already
 * done before this copy of it (an unrolled loop), for the fault map.
 * False: it needs a CALL (nothing emitted). */
static bool inline_insn(struct bt *bt, struct emit *e, struct tblock *tb, const struct insn *in,
                        unsigned idx, unsigned bias, bool flat)
{
    bool memacc = false;
    uint8_t *at = e->p;
    if (native(e, in, flat, &memacc)) {
        if (memacc)
            fmap_add(tb, (size_t)(at - tb->code), idx, bias);
        return true;
    }
    e->p = at;
    if (!(flat && in->size == 4 && (in->fn == h_push_r || in->fn == h_push_i ||
                                    (in->fn == h_pop_r && in->reg != R_ESP))))
        return false;
    (void)bt;
    struct gmem top = { R_ESP, 8, 0, in->fn == h_pop_r ? 0 : (uint32_t)-4 };
    uint8_t op = in->fn == h_pop_r ? 0x8b : in->fn == h_push_r ? 0x89 : 0xc7;
    enc(e, false, &op, 1, in->fn == h_push_i ? 0 : hreg(in->reg), false, 0, false,
        &top, true, in->imm, in->fn == h_push_i ? 4 : 0);
    fmap_add(tb, (size_t)(at - tb->code), idx, bias);
    struct gmem adj = { R_ESP, 8, 0, in->fn == h_pop_r ? 4u : (uint32_t)-4 };
    uint8_t lea = 0x8d;
    enc(e, false, &lea, 1, R12, false, 0, false, &adj, false, 0, 0);
    return true;
}

/* Unrolling of one-block loops (see the Jcc tail). */
#define BT_UNROLL       4          /* copies of a one-block loop's body */
#define BT_UNROLL_BYTES 1024       /* at most this much body code in all */

enum { X_NONE, X_RET };
size_t bt_translate_identical(struct bt *bt, struct tblock *tb, const struct block *b, size_t avail)
{
    struct emit e;
    emit_init(&e, tb->code, avail);
    uint8_t *stop_fix[MAX_BLOCK], *exit_fix[TB_MAX_EXITS] = { 0 };
    uint32_t page = (bt->ip->segbase[S_CS] + b->eip) & PAGE_MASK;
    bool flat = bt->use_window && (tb->mode & MODE_FLAT);
    tb->nfmap = 0;

    /* Entry: the interrupt poll is one load from the poll page (the
     * "safepoint poll" of JIT compilers).  bt_engine.c's poller thread
     * makes the page unreadable when the run loop should look at the
     * virtual CPU (every BT_POLL_US); the load then faults at this block's
     * first byte, where the guest state is exactly the host registers and
     * EIP is the block's, and the SIGSEGV handler sends the code to
     * spill_exit with BT_RET_FUEL.  No flags, no counter, no branch. */
    emit_load_m32(&e, R8, R13, bt->poll_off);
    uint8_t *body_start = e.p;

    const struct insn *last = &b->in[b->n - 1];
    insn_fn lf = last->fn;
    bool spilled = false;                        /* state is in struct interp now */
    unsigned nbody = b->n;
    /* Direct control transfers at the end are REWRITE (native branch). */
    bool tail_jcc = lf == h_jcc, tail_jmp = lf == h_jmp,
         tail_call = lf == h_call && last->size == 4 && flat,
         tail_ret = lf == h_ret && last->size == 4 && flat;
    if (tail_jcc || tail_jmp || tail_call || tail_ret)
        nbody--;

    bool any_call = false;                       /* some instruction is CALL/HELPER */
    for (unsigned i = 0; i < nbody; i++) {
        const struct insn *in = &b->in[i];
        stop_fix[i] = NULL;
        if (bt_helper_of(in) < 0) {
            uint8_t *save = e.p;
            if (spilled)
                reload(&e);
            if (inline_insn(bt, &e, tb, in, i, 0, flat)) {
                spilled = false;
                bt->st.native_insns++;
                continue;
            }
            e.p = save;
        }
        any_call = true;
        /* CALL / HELPER: the interpreter's handler on the spilled state. */
        if (!spilled) { spill(&e); spilled = true; }
        int h = bt_helper_of(in);
        emit_store_m32_imm32(&e, R14, OFF_CPU(eip), b->next_eip);
        emit_mov_r64_imm64(&e, RSI, (uintptr_t)in);
        emit_store_r64(&e, IPR, OFF_IP(cur), RSI);
        emit_mov_r64_imm64(&e, RDI, (uintptr_t)b);    /* for the exception path */
        emit_store_r64(&e, IPR, OFF_IP(cur_block), RDI);
        emit_mov_r64_r64(&e, RDI, IPR);
        if (h >= 0) {
            emit_mov_r64_r64(&e, RDX, R13);
            emit_mov_r32_imm32(&e, RCX, (uint32_t)h);
            emit_mov_r64_imm64(&e, RAX, (uintptr_t)bt_helper);
        } else {
            emit_mov_r64_imm64(&e, RAX, (uintptr_t)in->fn);
        }
        emit_call_r64(&e, RAX);
        emit_cmp_m8_imm8(&e, IPR, OFF_IP(stop), 0);
        stop_fix[i] = emit_jcc_rel32(&e, CC_NE, e.p);
        emit_mov_r64_r64(&e, RDI, IPR);
        emit_mov_r64_imm64(&e, RAX, (uintptr_t)bt_norm_flags);
        emit_call_r64(&e, RAX);
    }

    /* Tail.  Exits: t[k] targets; chained exits need state in registers. */
    uint32_t t[2];
    int nt = 0;
    if (nbody == b->n) {
        /* The block ended in a CALL-class instruction (or no branch): it
         * set cpu->eip; or the next instruction follows. */
        enum { T_NEXT, T_LOOK, T_LOOP } kind = T_NEXT;
        if (lf == h_loop || lf == h_jecxz) { t[0] = last->imm; t[1] = last->next; nt = 2; kind = T_NEXT; }
        else if (lf == h_ret || lf == h_ret_imm || lf == h_jmp_rm || lf == h_call_rm ||
                 lf == h_call || lf == h_jmp) { kind = T_LOOK; if (lf == h_call) { t[0] = last->imm; nt = 1; kind = T_NEXT; } }
        else if (bt_helper_of(last) >= 0 || lf == h_mov_sreg_rm || lf == h_pop_sreg || lf == h_jmpf ||
                 lf == h_jmpf_m || lf == h_callf || lf == h_callf_m || lf == h_retf || lf == h_ud ||
                 lf == h_gp0 || lf == h_lxs || lf == h_bound) kind = T_LOOP;
        else { t[0] = b->next_eip; nt = 1; }
        if (!spilled) {
            /* Only native instructions: the fall-through. */
            count(&e, b->n);
            tb->nexits = 0;
            if (((bt->ip->segbase[S_CS] + b->next_eip) & PAGE_MASK) == page && kind == T_NEXT) {
                tb->exit[0].target = b->next_eip;
                tb->exit[0].field = exit_fix[0] = emit_jmp_rel32(&e, e.p);
                tb->nexits = 1;
            } else {
                emit_store_m32_imm32(&e, R14, OFF_CPU(eip), b->next_eip);
                ret_spill(&e, bt, BT_RET_END);
            }
        } else {
            /* Spilled: flags are free; cpu->eip says where to go. */
            emit_add_m64_imm32(&e, IPR, OFF_IP(st.instructions), b->n);
            tb->nexits = 0;
            if (kind == T_NEXT)
                for (int k = 0; k < nt; k++) {
                    if (((bt->ip->segbase[S_CS] + t[k]) & PAGE_MASK) != page)
                        continue;
                    int x = tb->nexits++;
                    tb->exit[x].target = t[k];
                    emit_cmp_m32_imm32(&e, R14, OFF_CPU(eip), t[k]);
                    uint8_t *skip = emit_jcc_rel32(&e, CC_NE, e.p);
                    reload(&e);
                    tb->exit[x].field = exit_fix[x] = emit_jmp_rel32(&e, e.p);
                    emit_patch_rel32(skip, e.p);
                }
            if (kind != T_LOOP) {
                emit_mov_r64_r64(&e, RDI, R13);
                emit_mov_r64_imm64(&e, RAX, (uintptr_t)bt_lookup);
                emit_call_r64(&e, RAX);
                emit_test_r64_r64(&e, RAX, RAX);
                uint8_t *miss = emit_jcc_rel32(&e, CC_E, e.p);
                emit_mov_r64_r64(&e, R9, RAX);
                reload(&e);
                emit_jmp_r64(&e, R9);
                emit_patch_rel32(miss, e.p);
            }
            ret_plain(&e, bt, BT_RET_END);
        }
    } else {
        if (spilled) { reload(&e); spilled = false; }
        tb->nexits = 0;
        if (tail_ret) {
            /* mov r8d, gs:[r12d] ; lea r12d, [r12d+4] ; lookup of r8d */
            struct gmem top = { R_ESP, 8, 0, 0 };
            uint8_t op = 0x8b, lea = 0x8d;
            uint8_t *at = e.p;
            enc(&e, false, &op, 1, R8, false, 0, false, &top, true, 0, 0);
            fmap_add(tb, (size_t)(at - tb->code), b->n - 1, 0);
            struct gmem adj = { R_ESP, 8, 0, 4 };
            enc(&e, false, &lea, 1, R12, false, 0, false, &adj, false, 0, 0);
            count(&e, b->n);
            /* Inline lookup in bt->ibtc (the guest's return address and
             * this block's mode: a near RET keeps CPL and CS).  The flags
             * are saved with LAHF/SETO in rax (guest EAX in r11 meanwhile)
             * and restored with ADD AL,0x7F (OF) + SAHF — much cheaper
             * than PUSHFQ/POPFQ. */
            emit_mov_r64_r64(&e, R11, RAX);
            emit_u8(&e, 0x9f);                                         /* lahf */
            emit_u8(&e, 0x0f); emit_u8(&e, 0x90); emit_u8(&e, 0xc0);   /* seto al */
            emit_mov_r64_imm64(&e, R9, (uint64_t)tb->mode << 32);
            emit_u8(&e, 0x4d); emit_u8(&e, 0x09); emit_u8(&e, 0xc1);   /* or r9, r8 */
            emit_u8(&e, 0x41); emit_u8(&e, 0x81); emit_u8(&e, 0xe0);   /* and r8d, N-1 */
            emit_u32(&e, BT_IBTC_N - 1);
            emit_u8(&e, 0x49); emit_u8(&e, 0xc1); emit_u8(&e, 0xe0); emit_u8(&e, 4); /* shl r8, 4 */
            emit_u8(&e, 0x4f); emit_u8(&e, 0x3b); emit_u8(&e, 0x8c); emit_u8(&e, 0x05); /* cmp r9, [r13+r8+d] */
            emit_u32(&e, (uint32_t)OFF_BT(ibtc));
            uint8_t *imiss = emit_jcc_rel32(&e, CC_NE, e.p);
            emit_u8(&e, 0x04); emit_u8(&e, 0x7f);                      /* add al, 0x7f */
            emit_u8(&e, 0x9e);                                         /* sahf */
            emit_mov_r64_r64(&e, RAX, R11);
            emit_u8(&e, 0x43); emit_u8(&e, 0xff); emit_u8(&e, 0xa4); emit_u8(&e, 0x05); /* jmp [r13+r8+d+8] */
            emit_u32(&e, (uint32_t)OFF_BT(ibtc) + 8);
            emit_patch_rel32(imiss, e.p);
            /* Only a miss needs cpu->eip (bt_lookup, the run loop); a hit's
             * target block is entered at its first byte, where the poll
             * fault handler knows its EIP. */
            emit_store_m32(&e, R14, OFF_CPU(eip), R9);
            emit_u8(&e, 0x04); emit_u8(&e, 0x7f);                      /* add al, 0x7f */
            emit_u8(&e, 0x9e);                                         /* sahf */
            emit_mov_r64_r64(&e, RAX, R11);
            /* The lookup is a C call: only the caller-saved guest registers
             * and the flags need saving (rbx, rbp, r12 are callee-saved in
             * the System V ABI); 8 pushes keep the stack 16-byte aligned.
             * A miss returns to the run loop through lookup_miss. */
            emit_u8(&e, 0x9c);                   /* pushfq */
            static const int cs[7] = { RAX, RCX, RDX, RSI, RDI, R10, R11 };
            for (int k = 0; k < 7; k++)
                emit_push_r64(&e, cs[k]);
            emit_mov_r64_r64(&e, RDI, R13);
            emit_mov_r64_imm64(&e, RAX, (uintptr_t)bt_lookup);
            emit_call_r64(&e, RAX);
            emit_test_r64_r64(&e, RAX, RAX);
            emit_mov_r64_imm64(&e, R9, (uintptr_t)bt->lookup_miss);
            emit_u8(&e, 0x4c); emit_u8(&e, 0x0f); emit_u8(&e, 0x45); emit_u8(&e, 0xc8); /* cmovne r9, rax */
            for (int k = 6; k >= 0; k--)
                emit_pop_r64(&e, cs[k]);
            emit_u8(&e, 0x9d);                   /* popfq */
            emit_jmp_r64(&e, R9);
        } else {
            if (tail_call) {
                struct gmem top = { R_ESP, 8, 0, (uint32_t)-4 };
                uint8_t op = 0xc7, lea = 0x8d;
                uint8_t *at = e.p;
                enc(&e, false, &op, 1, 0, false, 0, false, &top, true, last->next, 4);
                fmap_add(tb, (size_t)(at - tb->code), b->n - 1, 0);
                enc(&e, false, &lea, 1, R12, false, 0, false, &top, false, 0, 0);
            }
            /* A loop that is one block (its Jcc jumps back to its own
             * start, e.g. an inner loop of matmul or crc32): the body is
             * emitted BT_UNROLL times, each copy but the last followed by the
             * inverted Jcc to a loop exit, so the poll load, the count and
             * the taken jump are paid once per BT_UNROLL iterations.  The
             * exit of copy c counts c * n instructions, and the fault map
             * entries of copy c carry bias c * n (a fault there has done c
             * iterations of this block). */
            unsigned copies = 1;
            uint8_t *x_fix[BT_UNROLL];
            if (tail_jcc && !any_call && nbody > 0 && last->imm == b->eip &&
                (size_t)(e.p - body_start) * BT_UNROLL <= BT_UNROLL_BYTES) {
                for (; copies < BT_UNROLL; copies++) {
                    x_fix[copies - 1] = emit_jcc_rel32(&e, last->op ^ 1, e.p);
                    for (unsigned i = 0; i < nbody; i++)
                        if (!inline_insn(bt, &e, tb, &b->in[i], i, copies * b->n, flat))
                            return 0;            /* cannot happen: copy 0 was inline */
                }
            }
            count(&e, copies * b->n);
            /* jcc taken -> exit for t[0]; fall through -> exit for t[1].  A
             * chainable exit's rel32 (the jcc's own, or a jmp's) is what
             * cc_link patches. */
            t[0] = last->imm;
            t[1] = last->next;
            nt = tail_jcc ? 2 : 1;
            uint8_t *jcc = tail_jcc ? emit_jcc_rel32(&e, last->op, e.p) : NULL;
            uint8_t *far_fix = NULL;
            bool same0 = ((bt->ip->segbase[S_CS] + t[0]) & PAGE_MASK) == page;
            if (jcc && same0) {
                int x = tb->nexits++;
                tb->exit[x].target = t[0];
                tb->exit[x].field = exit_fix[x] = jcc;
            } else if (jcc) {
                far_fix = jcc;
            }
            uint8_t *fall = NULL;
            for (int k = jcc ? 1 : 0; k < nt; k++) {
                fall = e.p;
                if (((bt->ip->segbase[S_CS] + t[k]) & PAGE_MASK) == page) {
                    int x = tb->nexits++;
                    tb->exit[x].target = t[k];
                    tb->exit[x].field = exit_fix[x] = emit_jmp_rel32(&e, e.p);
                } else {
                    emit_store_m32_imm32(&e, R14, OFF_CPU(eip), t[k]);
                    ret_spill(&e, bt, BT_RET_END);
                }
            }
            for (unsigned c = 1; c < copies; c++) {   /* loop exits of the copies */
                emit_patch_rel32(x_fix[c - 1], e.p);
                count(&e, c * b->n);
                emit_jmp_rel32(&e, fall);
            }
            if (far_fix) {
                emit_patch_rel32(far_fix, e.p);
                emit_store_m32_imm32(&e, R14, OFF_CPU(eip), t[0]);
                ret_spill(&e, bt, BT_RET_END);
            }
        }
    }

    /* Stubs for chainable exits: cpu->eip = target, remember the exit. */
    for (int x = 0; x < tb->nexits; x++) {
        tb->exit[x].stub = e.p;
        if (exit_fix[x])
            emit_patch_rel32(exit_fix[x], e.p);
        emit_store_m32_imm32(&e, R14, OFF_CPU(eip), tb->exit[x].target);
        emit_mov_r64_imm64(&e, R8, (uintptr_t)tb);
        emit_store_r64(&e, R13, OFF_BT(last), R8);
        emit_store_m32_imm32(&e, R13, OFF_BT(last_exit), (uint32_t)x);
        ret_spill(&e, bt, BT_RET_CHAIN);
    }
    uint8_t *stop_common = e.p;
    emit_mov_r64_imm64(&e, RAX, (uintptr_t)tb);
    emit_store_r64(&e, R13, OFF_BT(last), RAX);
    ret_plain(&e, bt, BT_RET_STOP);
    for (unsigned i = 0; i < nbody; i++) {
        if (!stop_fix[i])
            continue;
        emit_patch_rel32(stop_fix[i], e.p);
        emit_store_m32_imm32(&e, R13, OFF_BT(done), i + 1);
        emit_jmp_rel32(&e, stop_common);
    }
    if (e.overflow)
        return 0;
    return emit_size(&e);
}

/* Enter / exit glue for identical translation:
 *   int enter(struct bt *bt, struct interp *ip, struct x86_cpu *cpu, code)
 * loads the guest state (flags must be in CC_EFLAGS form) and jumps in;
 * spill_exit saves it and returns bt->ret_code; exit_glue returns eax with
 * the state already saved; bail_glue returns BT_RET_BAIL (the SIGSEGV
 * handler saved the state from the signal context). */
size_t bt_emit_glue_identical(struct bt *bt, uint8_t *buf, size_t avail)
{
    struct emit e;
    emit_init(&e, buf, avail);
    static const int saved[6] = { RBP, RBX, R12, R13, R14, R15 };
    for (int i = 0; i < 6; i++)
        emit_push_r64(&e, saved[i]);
    emit_sub_r64_imm8(&e, RSP, 8);
    emit_mov_r64_r64(&e, R13, RDI);
    emit_mov_r64_r64(&e, IPR, RSI);
    emit_mov_r64_r64(&e, R14, RDX);
    emit_mov_r64_r64(&e, R9, RCX);
    reload(&e);
    emit_jmp_r64(&e, R9);
    uint8_t *miss = e.p;                         /* an indirect lookup missed */
    emit_store_m32_imm32(&e, R13, OFF_BT(ret_code), BT_RET_END);
    uint8_t *spill_exit = e.p;
    spill(&e);
    emit_load_m32(&e, RAX, R13, OFF_BT(ret_code));
    uint8_t *exit_jmp = emit_jmp_rel32(&e, e.p);
    uint8_t *bail = e.p;
    emit_mov_r32_imm32(&e, RAX, BT_RET_BAIL);
    uint8_t *exit = e.p;
    if (exit_jmp)
        emit_patch_rel32(exit_jmp, exit);
    emit_add_r64_imm8(&e, RSP, 8);
    for (int i = 5; i >= 0; i--)
        emit_pop_r64(&e, saved[i]);
    emit_ret(&e);
    if (e.overflow)
        return 0;
    bt->enter = (int (*)(struct bt *, struct interp *, struct x86_cpu *, const void *))(void *)buf;
    bt->exit_glue = exit;
    bt->bail_glue = bail;
    bt->spill_exit = spill_exit;
    bt->lookup_miss = miss;
    return emit_size(&e);
}
