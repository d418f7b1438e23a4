/*
 * ident_native.c — identical translation of ordinary instructions
 * (ident.h): NATIVE, the guest instruction emitted again with the same
 * opcode, registers and flags effect (a memory operand through the gs
 * window, ESP as r12), and REWRITE, PUSH/POP through the window.
 */
#include <stdlib.h>
#include "x86/handlers.h"
#include "01-binary-translation/ident.h"

/* ---- the encoder (ident.h) ---------------------------------------------------- */
bool ident_enc(struct emit *e, bool o16, const uint8_t *opc, int nopc, int reg, bool regbyte,
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
 * cannot be encoded).  *memacc: it goes in the fault map (it accesses
 * guest memory, or it can raise #DE). */
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
        return ident_enc(e, o16, op, 1, r, byte, rm, byte, m, mem, 0, 0);
    }
    if (op_find(h_alu_r_rm, 8, f, &sub, &sz, &mm)) {
        op[0] = (uint8_t)(sub * 8 + 2 + !byte);
        return ident_enc(e, o16, op, 1, r, byte, rm, byte, m, mem, 0, 0);
    }
    if (op_find(h_alu_rm_i, 8, f, &sub, &sz, &mm)) {
        op[0] = byte ? 0x80 : 0x81;
        return ident_enc(e, o16, op, 1, sub, false, rm, byte, m, mem, in->imm, isz);
    }
    if (op_find2(h_mov_rm_r, f, &sz, &mm)) {
        op[0] = byte ? 0x88 : 0x89;
        return ident_enc(e, o16, op, 1, r, byte, rm, byte, m, mem, 0, 0);
    }
    if (op_find2(h_mov_r_rm, f, &sz, &mm)) {
        op[0] = byte ? 0x8a : 0x8b;
        return ident_enc(e, o16, op, 1, r, byte, rm, byte, m, mem, 0, 0);
    }
    if (op_find2(h_mov_rm_i, f, &sz, &mm)) {
        op[0] = byte ? 0xc6 : 0xc7;
        return ident_enc(e, o16, op, 1, 0, false, rm, byte, m, mem, in->imm, isz);
    }
    if (op_find2(h_test_rm_r, f, &sz, &mm)) {
        op[0] = byte ? 0x84 : 0x85;
        return ident_enc(e, o16, op, 1, r, byte, rm, byte, m, mem, 0, 0);
    }
    if (op_find2(h_test_rm_i, f, &sz, &mm)) {
        op[0] = byte ? 0xf6 : 0xf7;
        return ident_enc(e, o16, op, 1, 0, false, rm, byte, m, mem, in->imm, isz);
    }
    if (op_find(h_incdec, 2, f, &sub, &sz, &mm)) {   /* also the short forms 40-4F */
        op[0] = byte ? 0xfe : 0xff;
        return ident_enc(e, o16, op, 1, sub, false, rm, byte, m, mem, 0, 0);
    }
    if (op_find(h_notneg, 2, f, &sub, &sz, &mm)) {
        op[0] = byte ? 0xf6 : 0xf7;
        return ident_enc(e, o16, op, 1, 2 + sub, false, rm, byte, m, mem, 0, 0);
    }
    if (op_find(h_muldiv, 4, f, &sub, &sz, &mm)) {   /* MUL, IMUL, DIV, IDIV */
        /* A #DE is a host SIGFPE at the instruction: in the fault map
         * even without a memory operand, so bt_fault.c bails out there
         * and the interpreter raises the guest's. */
        *memacc = *memacc || sub >= 2;
        op[0] = byte ? 0xf6 : 0xf7;
        return ident_enc(e, o16, op, 1, 4 + sub, false, rm, byte, m, mem, 0, 0);
    }
    if ((f == h_shld || f == h_shrd) && in->size == 4) {
        /* 32-bit only: a 16-bit count above 16 leaves an undefined result */
        bool cl = in->flags & I_CL;
        op[0] = 0x0f; op[1] = (uint8_t)((f == h_shld ? 0xa4 : 0xac) + cl);
        return ident_enc(e, false, op, 2, r, false, rm, false, m, mem, in->imm, cl ? 0 : 1);
    }
    if (op_find(h_shift, 8, f, &sub, &sz, &mm)) {
        if (in->flags & I_CL) {
            op[0] = byte ? 0xd2 : 0xd3;
            return ident_enc(e, o16, op, 1, sub, false, rm, byte, m, mem, 0, 0);
        }
        op[0] = byte ? 0xc0 : 0xc1;
        return ident_enc(e, o16, op, 1, sub, false, rm, byte, m, mem, in->imm, 1);
    }
    if (f == h_lea) {
        op[0] = 0x8d;
        return ident_enc(e, o16, op, 1, r, false, 0, false, m, false, 0, 0);
    }
    if (f == h_movzx || f == h_movsx) {
        op[0] = 0x0f;
        op[1] = (uint8_t)((f == h_movzx ? 0xb6 : 0xbe) + (in->op == 2));
        return ident_enc(e, o16, op, 2, r, false, rm, in->op == 1, m, mem, 0, 0);
    }
    if (f == h_imul2) {
        op[0] = 0x0f; op[1] = 0xaf;
        return ident_enc(e, o16, op, 2, r, false, rm, false, m, mem, 0, 0);
    }
    if (f == h_imul3) {
        op[0] = 0x69;
        return ident_enc(e, o16, op, 1, r, false, rm, false, m, mem, in->imm, isz);
    }
    if (f == h_setcc) {
        op[0] = 0x0f; op[1] = (uint8_t)(0x90 + in->op);
        return ident_enc(e, false, op, 2, 0, false, rm, true, m, mem, 0, 0);
    }
    if (f == h_cmovcc) {
        op[0] = 0x0f; op[1] = (uint8_t)(0x40 + in->op);
        return ident_enc(e, o16, op, 2, r, false, rm, false, m, mem, 0, 0);
    }
    if (f == h_cbw || f == h_cwd || f == h_clc || f == h_stc || f == h_cmc || f == h_nop) {
        if (o16) emit_u8(e, 0x66);
        emit_u8(e, f == h_cbw ? 0x98 : f == h_cwd ? 0x99 : f == h_clc ? 0xf8 :
                   f == h_stc ? 0xf9 : f == h_cmc ? 0xf5 : 0x90);
        return true;
    }
    return false;
}

/* ---- fault map, inline instructions ------------------------------------------------ */
void ident_fmap_add(struct tblock *tb, size_t off, unsigned idx, unsigned bias)
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

/* NATIVE, else REWRITE: PUSH r32/imm32 and POP r32 through the window
 * at r12d, the store before the ESP update so a fault leaves the guest
 * state intact. */
bool ident_inline(struct emit *e, struct tblock *tb, const struct insn *in,
                  unsigned idx, unsigned bias, bool flat)
{
    bool memacc = false;
    uint8_t *at = e->p;
    if (in->fn == h_fpu)
        return ident_x87(e, tb, in, idx, bias, flat);
    if (in->fn == h_movs || in->fn == h_stos || in->fn == h_cmps || in->fn == h_scas)
        return ident_string(e, tb, in, idx, bias, flat);
    if (native(e, in, flat, &memacc)) {
        if (memacc)
            ident_fmap_add(tb, (size_t)(at - tb->code), idx, bias);
        return true;
    }
    e->p = at;
    if (!(flat && in->size == 4 && (in->fn == h_push_r || in->fn == h_push_i ||
                                    (in->fn == h_pop_r && in->reg != R_ESP))))
        return false;
    struct gmem top = { R_ESP, 8, 0, in->fn == h_pop_r ? 0 : (uint32_t)-4 };
    uint8_t op = in->fn == h_pop_r ? 0x8b : in->fn == h_push_r ? 0x89 : 0xc7;
    ident_enc(e, false, &op, 1, in->fn == h_push_i ? 0 : hreg(in->reg), false, 0, false,
        &top, true, in->imm, in->fn == h_push_i ? 4 : 0);
    ident_fmap_add(tb, (size_t)(at - tb->code), idx, bias);
    struct gmem adj = { R_ESP, 8, 0, in->fn == h_pop_r ? 4u : (uint32_t)-4 };
    uint8_t lea = 0x8d;
    ident_enc(e, false, &lea, 1, R12, false, 0, false, &adj, false, 0, 0);
    return true;
}
