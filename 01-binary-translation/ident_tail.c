/*
 * ident_tail.c — how an identically translated block ends (ident.h):
 * its exits.  A direct exit into the same guest page can be chained (the
 * jump is re-pointed at the target's code, codecache.c); the others set
 * cpu->eip and return to the run loop, or look the target up.
 */
#include "x86/handlers.h"
#include "x86/tlb.h"
#include "01-binary-translation/ident.h"

/* Unrolling of one-block loops (see ident_tail_branch). */
#define BT_UNROLL       4          /* copies of a one-block loop's body */
#define BT_UNROLL_BYTES 1024       /* at most this much body code in all */

static bool same_page(const struct ident *x, uint32_t eip)
{
    return ((x->bt->s->segbase[S_CS] + eip) & PAGE_MASK) == x->page;
}

/* A chainable exit to target: a jump (or x's jcc at field) to its stub. */
static void chain_exit(struct ident *x, uint32_t target, uint8_t *field)
{
    int k = x->tb->nexits++;
    x->tb->exit[k].target = target;
    x->tb->exit[k].field = x->exit_fix[k] = field ? field : emit_jmp_rel32(&x->e, x->e.p);
}

/* Call bt_lookup (state spilled): jump to its code with the state
 * reloaded, or fall through on a miss. */
static void lookup_spilled(struct ident *x)
{
    struct emit *e = &x->e;
    emit_mov_r64_r64(e, RDI, R13);
    emit_mov_r64_imm64(e, RAX, (uintptr_t)bt_lookup);
    emit_call_r64(e, RAX);
    emit_test_r64_r64(e, RAX, RAX);
    uint8_t *miss = emit_jcc_rel32(e, CC_E, e->p);
    emit_mov_r64_r64(e, R9, RAX);
    ident_reload(e);
    emit_jmp_r64(e, R9);
    emit_patch_rel32(miss, e->p);
}

/* Call bt_lookup with the guest state live in host registers (cpu->eip
 * already says where): jump to the target's code, or to lookup_miss,
 * which spills the state and returns to the run loop.  The lookup is a C
 * call: only the caller-saved guest registers and the flags need saving
 * (rbx, rbp, r12 are callee-saved in the System V ABI); 8 pushes keep
 * the stack 16-byte aligned. */
static void lookup_live(struct emit *e, const struct bt *bt)
{
    static const int cs[7] = { RAX, RCX, RDX, RSI, RDI, R10, R11 };
    emit_u8(e, 0x9c);                                          /* pushfq */
    for (int k = 0; k < 7; k++)
        emit_push_r64(e, cs[k]);
    emit_mov_r64_r64(e, RDI, R13);
    emit_mov_r64_imm64(e, RAX, (uintptr_t)bt_lookup);
    emit_call_r64(e, RAX);
    emit_test_r64_r64(e, RAX, RAX);
    emit_mov_r64_imm64(e, R9, (uintptr_t)bt->lookup_miss);
    emit_u8(e, 0x4c); emit_u8(e, 0x0f); emit_u8(e, 0x45); emit_u8(e, 0xc8);  /* cmovne r9, rax */
    for (int k = 6; k >= 0; k--)
        emit_pop_r64(e, cs[k]);
    emit_u8(e, 0x9d);                                          /* popfq */
    emit_jmp_r64(e, R9);
}

/* A direct exit to another guest page: chaining it would need to know
 * when that page's mapping changes, so look the target up instead, inline
 * in bt->ibtc, whose entries live only as long as the address space
 * (cleared at CR3 loads, INVLPG and dropped blocks).  The slot and the
 * key (target EIP, this block's mode: a direct branch changes neither CPL
 * nor CS) are constants, and the compare must leave the guest's flags
 * alone: the key is subtracted with LEA and tested with JRCXZ (guest ECX
 * parked in r11).  A miss calls bt_lookup, which fills the slot. */
static void far_exit(struct ident *x, uint32_t target)
{
    struct emit *e = &x->e;
    int32_t slot = OFF_BT(ibtc) + (int32_t)bt_ibtc_slot(target) * 16;
    uint64_t key = target | (uint64_t)x->tb->mode << 32;
    emit_mov_r64_r64(e, R11, RCX);
    emit_load_r64(e, RCX, R13, slot);
    emit_mov_r64_imm64(e, R9, (uint64_t)0 - key);
    emit_u8(e, 0x4a); emit_u8(e, 0x8d); emit_u8(e, 0x0c); emit_u8(e, 0x09);  /* lea rcx, [rcx+r9] */
    emit_u8(e, 0xe3); emit_u8(e, 0);                           /* jrcxz hit */
    uint8_t *hit_fix = e->p - 1;
    emit_mov_r64_r64(e, RCX, R11);
    emit_store_m32_imm32(e, R14, OFF_CPU(eip), target);
    lookup_live(e, x->bt);
    if (!e->overflow && e->p - (hit_fix + 1) <= 127)
        *hit_fix = (uint8_t)(e->p - (hit_fix + 1));
    else
        e->overflow = true;
    emit_mov_r64_r64(e, RCX, R11);
    emit_u8(e, 0x41); emit_u8(e, 0xff); emit_u8(e, 0xa5);      /* jmp [r13+slot+8] */
    emit_u32(e, (uint32_t)(slot + 8));
}

void ident_tail_plain(struct ident *x)
{
    struct emit *e = &x->e;
    const struct block *b = x->b;
    const struct insn *last = &b->in[b->n - 1];
    insn_fn lf = last->fn;
    enum { T_NEXT, T_LOOK, T_LOOP } kind = T_NEXT;
    uint32_t t[2];
    int nt = 0;
    if (lf == h_loop || lf == h_jecxz) {
        t[0] = last->imm; t[1] = last->next; nt = 2;
    } else if (lf == h_call) {
        t[0] = last->imm; nt = 1;
    } else if (lf == h_ret || lf == h_ret_imm || lf == h_jmp_rm || lf == h_call_rm || lf == h_jmp) {
        kind = T_LOOK;
    } else if (bt_helper_of(last) >= 0 || lf == h_mov_sreg_rm || lf == h_pop_sreg || lf == h_jmpf ||
               lf == h_jmpf_m || lf == h_callf || lf == h_callf_m || lf == h_retf || lf == h_ud ||
               lf == h_gp0 || lf == h_lxs || lf == h_bound) {
        kind = T_LOOP;                 /* mode changes, faults, sensitive: the run loop */
    } else {
        t[0] = b->next_eip; nt = 1;
    }
    x->tb->nexits = 0;
    if (!x->spilled) {
        /* Only native instructions: the fall-through. */
        ident_count(e, b->n);
        if (same_page(x, b->next_eip) && kind == T_NEXT) {
            chain_exit(x, b->next_eip, NULL);
        } else if (kind == T_NEXT && x->flat) {
            far_exit(x, b->next_eip);
        } else {
            emit_store_m32_imm32(e, R14, OFF_CPU(eip), b->next_eip);
            ident_ret_spill(e, x->bt, BT_RET_END);
        }
        return;
    }
    /* Spilled: flags are free; cpu->eip says where to go. */
    emit_add_m64_imm32(e, IPR, OFF_IP(st.instructions), b->n);
    for (int k = 0; kind == T_NEXT && k < nt; k++) {
        if (!same_page(x, t[k]))
            continue;
        emit_cmp_m32_imm32(e, R14, OFF_CPU(eip), t[k]);
        uint8_t *skip = emit_jcc_rel32(e, CC_NE, e->p);
        ident_reload(e);
        chain_exit(x, t[k], NULL);
        emit_patch_rel32(skip, e->p);
    }
    if (kind != T_LOOP)
        lookup_spilled(x);
    glue_ret(e, x->bt, BT_RET_END);
}

/* Jump to the guest EIP in r8d (zero-extended), the guest state
 * complete: inline lookup in bt->ibtc (the target and this block's mode:
 * a near RET, JMP or CALL keeps CPL and CS).  The flags are saved
 * with LAHF/SETO in rax (guest EAX in r11 meanwhile) and restored with
 * ADD AL,0x7F (OF) + SAHF — much cheaper than PUSHFQ/POPFQ. */
static void ibtc_jump(struct ident *x)
{
    struct emit *e = &x->e;
    const struct tblock *tb = x->tb;
    emit_mov_r64_r64(e, R11, RAX);
    emit_u8(e, 0x9f);                                          /* lahf */
    emit_u8(e, 0x0f); emit_u8(e, 0x90); emit_u8(e, 0xc0);      /* seto al */
    emit_mov_r64_imm64(e, R9, (uint64_t)tb->mode << 32);
    emit_u8(e, 0x4d); emit_u8(e, 0x09); emit_u8(e, 0xc1);      /* or r9, r8 */
    emit_u8(e, 0x45); emit_u8(e, 0x69); emit_u8(e, 0xc0);      /* imul r8d, r8d, MUL */
    emit_u32(e, BT_IBTC_MUL);
    emit_u8(e, 0x41); emit_u8(e, 0xc1); emit_u8(e, 0xe8);      /* shr r8d, 32-BITS */
    emit_u8(e, 32 - BT_IBTC_BITS);
    emit_u8(e, 0x49); emit_u8(e, 0xc1); emit_u8(e, 0xe0); emit_u8(e, 4);     /* shl r8, 4 */
    emit_u8(e, 0x4f); emit_u8(e, 0x3b); emit_u8(e, 0x8c); emit_u8(e, 0x05);  /* cmp r9, [r13+r8+d] */
    emit_u32(e, (uint32_t)OFF_BT(ibtc));
    uint8_t *imiss = emit_jcc_rel32(e, CC_NE, e->p);
    emit_u8(e, 0x04); emit_u8(e, 0x7f);                        /* add al, 0x7f */
    emit_u8(e, 0x9e);                                          /* sahf */
    emit_mov_r64_r64(e, RAX, R11);
    emit_u8(e, 0x43); emit_u8(e, 0xff); emit_u8(e, 0xa4); emit_u8(e, 0x05);  /* jmp [r13+r8+d+8] */
    emit_u32(e, (uint32_t)OFF_BT(ibtc) + 8);
    emit_patch_rel32(imiss, e->p);
    /* Only a miss needs cpu->eip (bt_lookup, the run loop); a hit's target
     * block is entered at its first byte, where the poll fault handler
     * knows its EIP. */
    emit_store_m32(e, R14, OFF_CPU(eip), R9);
    emit_u8(e, 0x04); emit_u8(e, 0x7f);                        /* add al, 0x7f */
    emit_u8(e, 0x9e);                                          /* sahf */
    emit_mov_r64_r64(e, RAX, R11);
    lookup_live(e, x->bt);
}

void ident_tail_ret(struct ident *x)
{
    struct emit *e = &x->e;
    struct tblock *tb = x->tb;
    const struct block *b = x->b;
    tb->nexits = 0;
    /* mov r8d, gs:[r12d] ; lea r12d, [r12d+4] ; lookup of r8d */
    struct gmem top = { R_ESP, 8, 0, 0 };
    uint8_t op = 0x8b, lea = 0x8d;
    uint8_t *at = e->p;
    ident_enc(e, false, &op, 1, R8, false, 0, false, &top, true, 0, 0);
    ident_fmap_add(tb, (size_t)(at - tb->code), b->n - 1, 0);
    struct gmem adj = { R_ESP, 8, 0, 4 };
    ident_enc(e, false, &lea, 1, R12, false, 0, false, &adj, false, 0, 0);
    ident_count(e, b->n);
    ibtc_jump(x);
}

bool ident_ijump_ok(const struct insn *in, bool flat)
{
    return (in->fn == h_jmp_rm || in->fn == h_call_rm) && in->size == 4 && flat &&
           (!(in->flags & I_MEM) || (in->amask == 0xffffffffu && in->seg != S_FS &&
                                     in->seg != S_GS && in->seg != S_CS));
}

/* JMP r/m32 and CALL r/m32 (a switch's jump table, a function pointer, a
 * virtual call): the target into r8d first (an operand may be ESP-based),
 * then CALL's return address pushed, then the same inline lookup as RET.
 * A fault in either access leaves the guest state as before the
 * instruction (r8 is scratch). */
void ident_tail_ijump(struct ident *x, bool call)
{
    struct emit *e = &x->e;
    struct tblock *tb = x->tb;
    const struct block *b = x->b;
    const struct insn *in = &b->in[b->n - 1];
    tb->nexits = 0;
    uint8_t op = 0x8b, lea = 0x8d;
    uint8_t *at = e->p;
    if (in->flags & I_MEM) {
        struct gmem m = { in->base, in->index, in->scale, in->disp };
        ident_enc(e, false, &op, 1, R8, false, 0, false, &m, true, 0, 0);
        ident_fmap_add(tb, (size_t)(at - tb->code), b->n - 1, 0);
    } else {
        ident_enc(e, false, &op, 1, R8, false, hreg(in->rm), false, NULL, false, 0, 0);
    }
    if (call) {
        struct gmem top = { R_ESP, 8, 0, (uint32_t)-4 };
        uint8_t st = 0xc7;
        at = e->p;
        ident_enc(e, false, &st, 1, 0, false, 0, false, &top, true, in->next, 4);
        ident_fmap_add(tb, (size_t)(at - tb->code), b->n - 1, 0);
        ident_enc(e, false, &lea, 1, R12, false, 0, false, &top, false, 0, 0);
    }
    ident_count(e, b->n);
    ibtc_jump(x);
}

/* A loop that is one block (its Jcc jumps back to its own start, e.g. an
 * inner loop of matmul or crc32): the body is emitted BT_UNROLL times,
 * each copy but the last followed by the inverted Jcc to a loop exit, so
 * the poll load, the count and the taken jump are paid once per BT_UNROLL
 * iterations.  The exit of copy c counts c * n instructions, and the fault
 * map entries of copy c carry bias c * n (a fault there has done c
 * iterations of this block).  Returns the copies emitted (0: failure). */
static unsigned unroll(struct ident *x, uint8_t *x_fix[BT_UNROLL])
{
    const struct block *b = x->b;
    const struct insn *last = &b->in[b->n - 1];
    unsigned copies = 1;
    if (x->any_call || x->nbody == 0 || last->imm != b->eip ||
        (size_t)(x->e.p - x->body_start) * BT_UNROLL > BT_UNROLL_BYTES)
        return copies;
    for (; copies < BT_UNROLL; copies++) {
        x_fix[copies - 1] = emit_jcc_rel32(&x->e, last->op ^ 1, x->e.p);
        for (unsigned i = 0; i < x->nbody; i++)
            if (!ident_inline(&x->e, x->tb, &b->in[i], i, copies * b->n, x->flat))
                return 0;              /* cannot happen: copy 0 was inline */
    }
    return copies;
}

bool ident_tail_branch(struct ident *x, bool jcc, bool call)
{
    struct emit *e = &x->e;
    struct tblock *tb = x->tb;
    const struct block *b = x->b;
    const struct insn *last = &b->in[b->n - 1];
    tb->nexits = 0;
    if (call) {                        /* push the return address, then jump */
        struct gmem top = { R_ESP, 8, 0, (uint32_t)-4 };
        uint8_t op = 0xc7, lea = 0x8d;
        uint8_t *at = e->p;
        ident_enc(e, false, &op, 1, 0, false, 0, false, &top, true, last->next, 4);
        ident_fmap_add(tb, (size_t)(at - tb->code), b->n - 1, 0);
        ident_enc(e, false, &lea, 1, R12, false, 0, false, &top, false, 0, 0);
    }
    uint8_t *x_fix[BT_UNROLL];
    unsigned copies = jcc ? unroll(x, x_fix) : 1;
    if (!copies)
        return false;
    ident_count(e, copies * b->n);
    /* jcc taken -> exit for t[0]; fall through -> exit for t[1].  A
     * chainable exit's rel32 (the jcc's own, or a jmp's) is what cc_link
     * patches. */
    uint32_t t[2] = { last->imm, last->next };
    int nt = jcc ? 2 : 1;
    uint8_t *j = jcc ? emit_jcc_rel32(e, last->op, e->p) : NULL;
    uint8_t *far_fix = NULL;
    if (j && same_page(x, t[0]))
        chain_exit(x, t[0], j);
    else if (j)
        far_fix = j;
    uint8_t *fall = NULL;
    for (int k = j ? 1 : 0; k < nt; k++) {
        fall = e->p;
        if (same_page(x, t[k])) {
            chain_exit(x, t[k], NULL);
        } else if (x->flat) {
            far_exit(x, t[k]);
        } else {
            emit_store_m32_imm32(e, R14, OFF_CPU(eip), t[k]);
            ident_ret_spill(e, x->bt, BT_RET_END);
        }
    }
    for (unsigned c = 1; c < copies; c++) {   /* loop exits of the copies */
        emit_patch_rel32(x_fix[c - 1], e->p);
        ident_count(e, c * b->n);
        emit_jmp_rel32(e, fall);
    }
    if (far_fix) {
        emit_patch_rel32(far_fix, e->p);
        if (x->flat) {
            far_exit(x, t[0]);
        } else {
            emit_store_m32_imm32(e, R14, OFF_CPU(eip), t[0]);
            ident_ret_spill(e, x->bt, BT_RET_END);
        }
    }
    return true;
}
