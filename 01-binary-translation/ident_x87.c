/*
 * ident_x87.c — x87 instructions (D8-DF) under identical translation
 * (ident.h): emitted again as themselves on the host's x87, which holds
 * the guest's x87 state while translated code runs (bt_x87.c), a memory
 * operand through the gs window.  The host computes exactly what the
 * interpreter would have asked the same host x87 for (x86/fpu.h), minus
 * FNINIT, FLDCW, two loads and an FNSAVE per instruction and the spill
 * around the handler call.
 *
 * Not native: the instructions that read or write the whole environment
 * (FLDENV, FNSTENV, FRSTOR, FNSAVE: it holds FIP/FDP), FNINIT (it clears
 * them), reserved encodings (a host #UD would be SIGILL; the interpreter
 * raises the guest's), and everything when CR0.EM or CR0.TS is set (#NM,
 * MODE_FPU).  Those call the handler through bt_x87_call.
 *
 * Exceptions: an unmasked one sets ES on the host as on the guest, and
 * the next waiting x87 instruction faults with #MF — SIGFPE on the host,
 * at that instruction, which is in the fault map: the SIGSEGV/SIGFPE
 * handler bails out there and the interpreter raises the guest's #MF
 * (SDM Vol. 1 §8.7; bt_fault.c).
 */
#include "x86/handlers.h"
#include "01-binary-translation/ident.h"

/* Register forms (mod 11) the host runs as the guest's x87 would: by
 * escape byte, a bit per ModRM value C0-FF.  Reserved and alias
 * encodings are left to the interpreter. */
static bool reg_form_ok(int esc, int modrm)
{
    int r = modrm - 0xc0;
    switch (esc) {
    case 0: return true;                                     /* D8: FADD..FDIVR ST(0), ST(i) */
    case 1: return r < 0x10 || r == 0x10 || r == 0x20 || r == 0x21 || r == 0x24 ||
                   r == 0x25 || (r >= 0x28 && r <= 0x2e) || r >= 0x30; /* FLD FXCH FNOP FCHS..FCOS */
    case 2: return r < 0x20 || r == 0x29;                    /* FCMOVcc, FUCOMPP */
    case 3: return r < 0x20 || r == 0x22 || (r >= 0x28 && r < 0x38); /* FCMOVNcc FNCLEX FUCOMI FCOMI */
    case 4: return r < 0x10 || r >= 0x20;                    /* DC: ST(i) op= ST(0) */
    case 5: return r < 0x08 || (r >= 0x10 && r < 0x30);     /* FFREE FST FSTP FUCOM FUCOMP */
    case 6: return r < 0x10 || r == 0x19 || r >= 0x20;       /* FADDP FMULP FCOMPP FSUBRP.. */
    case 7: return r == 0x20 || (r >= 0x28 && r < 0x38);     /* FNSTSW AX, FUCOMIP, FCOMIP */
    }
    return false;
}

/* Memory forms: D9 /1, DB /4, /6 and DD /5 are reserved; DB, DD, DF /1
 * are FISTTP, an SSE3 instruction the guest's i686 does not have; D9 /4,
 * /6 and DD /4, /6 are the environment and state images. */
static bool mem_form_ok(int esc, int reg)
{
    switch (esc) {
    case 1: return reg != 1 && reg != 4 && reg != 6;
    case 3: return reg != 1 && reg != 4 && reg != 6;
    case 5: return reg != 1 && reg != 4 && reg != 5 && reg != 6;
    case 7: return reg != 1;
    }
    return true;
}

/* Non-control instructions update FIP, FCS and FOP, and FDP and FDS with
 * a memory operand (SDM Vol. 1 §8.1.8, §8.1.9); the control ones are
 * FLDCW, FNSTCW, FNSTSW, FNCLEX (and FINIT, the environment and state
 * images, not native). */
static bool noncontrol(int esc, int modrm, bool mem)
{
    int reg = (modrm >> 3) & 7;
    if (mem)
        return !((esc == 1 && reg >= 4) || (esc == 5 && reg >= 4));
    return !((esc == 3 && modrm >= 0xe0 && modrm <= 0xe4) || (esc == 7 && modrm == 0xe0));
}

bool ident_x87(struct emit *e, struct tblock *tb, const struct insn *in, unsigned idx,
               unsigned bias, bool flat)
{
    int esc = (in->imm >> 8) & 7, modrm = in->imm & 0xff;
    bool mem = in->flags & I_MEM;
    if (!(tb->mode & MODE_FPU))
        return false;
    if (mem ? !mem_form_ok(esc, (modrm >> 3) & 7) : !reg_form_ok(esc, modrm))
        return false;
    if (mem && (!flat || in->amask != 0xffffffffu || in->seg == S_FS || in->seg == S_GS ||
                in->seg == S_CS))
        return false;
    uint8_t *at = e->p;
    uint8_t op = (uint8_t)(0xd8 | esc);
    if (mem) {
        struct gmem m = { in->base, in->index, in->scale, in->disp };
        ident_enc(e, false, &op, 1, (modrm >> 3) & 7, false, 0, false, &m, true, 0, 0);
    } else {
        emit_u8(e, op);
        emit_u8(e, (uint8_t)modrm);
    }
    /* In the fault map even without a memory operand: #MF (SIGFPE) is
     * raised at the next waiting x87 instruction. */
    ident_fmap_add(tb, (size_t)(at - tb->code), idx, bias);
    if (!noncontrol(esc, modrm, mem))
        return true;
    /* The guest's pointers (glue: mov/lea only, the guest's flags stay). */
    emit_store_m32_imm32(e, R13, OFF_BT(x87.fip), in->eip);
    emit_store_m32_imm32(e, R13, OFF_BT(x87.fop), (in->imm & 0x7ff) | BT_X87_SET);
    if (mem) {
        struct gmem m = { in->base, in->index, in->scale, in->disp };
        uint8_t lea = 0x8d;
        ident_enc(e, false, &lea, 1, R8, false, 0, false, &m, false, 0, 0);
        emit_store_m32(e, R13, OFF_BT(x87.fdp), R8);
        emit_store_m32_imm32(e, R13, OFF_BT(x87.fseg), in->seg | BT_X87_SET);
    }
    return true;
}

bool ident_x87_handler(const struct insn *in)
{
    return in->fn == h_fpu || in->fn == h_fxsave || in->fn == h_fwait;
}
