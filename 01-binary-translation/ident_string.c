/*
 * ident_string.c — the string instructions MOVS, STOS, CMPS and SCAS,
 * with or without a REP prefix, under identical translation (ident.h),
 * as a host loop of window accesses.
 *
 * The host's own string instructions cannot be used: in 64-bit mode the
 * ES segment has no base (SDM Vol. 1 §3.4.2.1), so ES:EDI cannot be the
 * gs window.  The loop does what the SDM's REP pseudocode does (Vol. 2B
 * "REP/REPE/REPZ/REPNE/REPNZ"), element by element, with flag-free glue
 * (JECXZ, LEA, MOV), so only CMPS/SCAS's compare sets the guest's flags:
 *
 *       movzx r8d, byte [ip->eflags + 1]       DF is bit 10
 *       movsx r11, byte [bt->dfstep[size][r8]] +size or -size
 *   top:
 *       poll load                              the poller's, as at a block entry
 *       jecxz done                             (REP only)
 *       mov r8, gs:[esi]  /  cmp al, gs:[edi]  ...
 *       mov gs:[edi], r8  /  ...
 *       lea esi, [rsi+r11] ; lea edi, [rdi+r11] ; lea ecx, [rcx-1]
 *       jne/je done                            REPE/REPNE CMPS, SCAS
 *       jmp top
 *   done:
 *
 * Every access and the poll load are in the fault map under this
 * instruction: at the top of an iteration the registers are exactly the
 * guest's state part-way through the instruction, EIP still on it, as
 * when a CPU takes an interrupt or a fault between iterations.  So a
 * true fault, MMIO or a store into a code page bails out to the
 * interpreter, which goes on with the remaining iterations, and the
 * poll returns to the run loop with EIP on the instruction (bt_fault.c):
 * a huge count cannot hold off interrupts, the timeout or Ctrl-C.  LODS,
 * and any other address or segment form, stay CALL.
 */
#include "x86/handlers.h"
#include "01-binary-translation/ident.h"

void bt_dfstep_init(struct bt *bt)
{
    for (int k = 0; k < 3; k++)
        for (int b = 0; b < 256; b++)
            bt->dfstep[k][b] = (int8_t)(((b << 8) & FL_DF) ? -(1 << k) : (1 << k));
}

static void fmap_here(struct emit *e, struct tblock *tb, unsigned idx, unsigned bias)
{
    ident_fmap_add(tb, (size_t)(e->p - tb->code), idx, bias);
}

/* One element: the accesses (each in the fault map), the compare. */
static void element(struct emit *e, struct tblock *tb, const struct insn *in, unsigned idx,
                    unsigned bias)
{
    bool byte = in->size == 1, o16 = in->size == 2;
    struct gmem src = { R_ESI, 8, 0, 0 }, dst = { R_EDI, 8, 0, 0 };
    uint8_t ld = byte ? 0x8a : 0x8b, st = byte ? 0x88 : 0x89, cmp = byte ? 0x3a : 0x3b;
    if (in->fn == h_movs || in->fn == h_cmps) {
        fmap_here(e, tb, idx, bias); /* r8 = [ESI] */
        ident_enc(e, o16, &ld, 1, R8, byte, 0, false, &src, true, 0, 0);
    }
    fmap_here(e, tb, idx, bias);
    if (in->fn == h_movs) /* [EDI] = r8 */
        ident_enc(e, o16, &st, 1, R8, byte, 0, false, &dst, true, 0, 0);
    else if (in->fn == h_stos) /* [EDI] = AL/AX/EAX */
        ident_enc(e, o16, &st, 1, RAX, byte, 0, false, &dst, true, 0, 0);
    else /* CMPS: [ESI] - [EDI], SCAS: EAX - [EDI] */
        ident_enc(e, o16, &cmp, 1, in->fn == h_cmps ? R8 : RAX, byte, 0, false, &dst, true, 0, 0);
}

static void advance(struct emit *e, const struct insn *in, bool rep)
{
    if (in->fn == h_movs || in->fn == h_cmps) { /* lea esi, [rsi+r11] */
        emit_u8(e, 0x42); emit_u8(e, 0x8d); emit_u8(e, 0x34); emit_u8(e, 0x1e);
    }
    emit_u8(e, 0x42); emit_u8(e, 0x8d); emit_u8(e, 0x3c); emit_u8(e, 0x1f); /* lea edi, [rdi+r11] */
    if (rep) {
        emit_u8(e, 0x8d); emit_u8(e, 0x49); emit_u8(e, 0xff);               /* lea ecx, [rcx-1] */
    }
}

bool ident_string(struct emit *e, struct tblock *tb, const struct insn *in, unsigned idx,
                  unsigned bias, bool flat)
{
    insn_fn f = in->fn;
    if (f != h_movs && f != h_stos && f != h_cmps && f != h_scas)
        return false;
    if (!flat || in->amask != 0xffffffffu || in->seg == S_FS || in->seg == S_GS ||
        in->seg == S_CS)
        return false;
    bool rep = in->flags & (I_REP | I_REPNE), cond = f == h_cmps || f == h_scas;
    int k = in->size == 1 ? 0 : in->size == 2 ? 1 : 2;
    /* movzx r8d, byte [r15+eflags+1] ; movsx r11, byte [r13+r8+dfstep[k]] */
    emit_u8(e, 0x45); emit_u8(e, 0x0f); emit_u8(e, 0xb6); emit_u8(e, 0x87);
    emit_u32(e, (uint32_t)(OFF_IP(eflags) + 1));
    emit_u8(e, 0x4f); emit_u8(e, 0x0f); emit_u8(e, 0xbe); emit_u8(e, 0x9c); emit_u8(e, 0x05);
    emit_u32(e, (uint32_t)(OFF_BT(dfstep) + 256 * k));
    if (!rep) {
        element(e, tb, in, idx, bias);
        advance(e, in, false);
        return true;
    }
    uint8_t *top = e->p;
    emit_load_r64(e, R8, R13, OFF_BT(poll_at));
    fmap_here(e, tb, idx, bias);
    emit_u8(e, 0x45); emit_u8(e, 0x8b); emit_u8(e, 0x00);      /* mov r8d, [r8] */
    emit_u8(e, 0x67); emit_u8(e, 0xe3); emit_u8(e, 0);         /* jecxz done */
    uint8_t *done8 = e->p - 1;
    element(e, tb, in, idx, bias);
    advance(e, in, true);
    uint8_t *stop = cond ? emit_jcc_rel32(e, (in->flags & I_REP) ? CC_NE : CC_E, e->p) : NULL;
    emit_jmp_rel32(e, top);
    if (e->p - (done8 + 1) > 127)
        e->overflow = true; /* cannot happen: the body is ~40 bytes */
    else
        *done8 = (uint8_t)(e->p - (done8 + 1));
    if (stop)
        emit_patch_rel32(stop, e->p);
    return true;
}
