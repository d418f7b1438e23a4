/*
 * exec_fpu_env.c — the x87 state as a whole: the checks before every x87
 * instruction (#NM, #MF), FLDCW/FNSTCW/FNSTSW, the environment and full
 * state images (FNSTENV/FLDENV, FNSAVE/FRSTOR, SDM Vol. 1 §8.1.10),
 * FXSAVE/FXRSTOR (0F AE /0 /1) and WAIT.
 */
#include "x86/exec_fpu.h"
#include "x86/fpu.h"

#define FPU (&ip->cpu->fpu)

/* SDM Vol. 3A §2.5 and Table 2-2: CR0.EM = 1 or CR0.TS = 1 makes every x87
 * instruction #NM (emulation, lazy state switching).  A pending unmasked
 * exception is #MF on the next waiting instruction when CR0.NE = 1 (SDM
 * Vol. 1 §8.7.1); with NE = 0 it stays pending (IGNNE#, exec_fpu.c). */
void fpu_enter(struct interp *ip, const struct insn *in, int kind)
{
    struct x86_cpu *c = ip->cpu;
    struct x86_fpu *f = FPU;
    if (c->cr0 & (CR0_EM | CR0_TS))
        raise_exc(ip, EXC_NM, 0);
    if (kind != FPU_NOWAIT && (f->sw & FSW_ES) && (c->cr0 & CR0_NE))
        raise_exc(ip, EXC_MF, 0);
    if (kind != FPU_NONCONTROL)
        return;
    f->fip = in->eip;
    f->fcs = c->seg[S_CS].sel;
    f->fop = in->imm & 0x7ff;
    if (in->flags & I_MEM) {
        f->fdp = ea_off(ip, in);
        f->fds = c->seg[in->seg].sel;
    }
}

/* WAIT/FWAIT: #NM only when both MP and TS are set (Table 2-2), then the
 * pending-exception check. */
void h_fwait(struct interp *ip, const struct insn *in)
{
    (void)in;
    uint32_t cr0 = ip->cpu->cr0;
    if ((cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
        raise_exc(ip, EXC_NM, 0);
    if ((FPU->sw & FSW_ES) && (cr0 & CR0_NE))
        raise_exc(ip, EXC_MF, 0);
}

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

/* D9 /4-/7 and DD /4, /6, /7 with a memory operand.  A 16-bit operand
 * size (66 prefix) selects the 14-byte environment. */
void fpu_env_insn(struct interp *ip, const struct insn *in, int esc, int reg)
{
    struct x86_fpu *f = FPU;
    uint32_t lin = ea(ip, in);
    bool o16 = in->flags & I_O16;
    int env = o16 ? X87_ENV16 : X87_ENV_SIZE;
    uint8_t buf[X87_ENV_SIZE + 80];
    switch (esc << 3 | reg) {
    case 1 << 3 | 4: /* FLDENV */
        rd_bytes(ip, lin, buf, env);
        fpu_env_load(f, buf, o16);
        return;
    case 1 << 3 | 5: /* FLDCW: bit 6 reads as 1, bits 13-15 as 0 */
        f->cw = (uint16_t)((ld(ip, lin, 2) & 0x1f3f) | 0x40);
        fpu_update_es(f);
        return;
    case 1 << 3 | 6: /* FNSTENV, then every exception masked */
        fpu_env_store(f, buf, o16);
        wr_bytes(ip, lin, buf, env);
        f->cw |= FSW_EXC;
        return;
    case 1 << 3 | 7: st(ip, lin, 2, f->cw); return;     /* FNSTCW */
    case 5 << 3 | 7: st(ip, lin, 2, fpu_sw(f)); return; /* FNSTSW m16 */
    case 5 << 3 | 4: {                                  /* FRSTOR */
        rd_bytes(ip, lin, buf, env + 80);
        fpu_env_load(f, buf, o16);
        for (int i = 0; i < 8; i++)
            get_reg(fpu_st(f, i), buf + env + 10 * i);
        return;
    }
    case 5 << 3 | 6: /* FNSAVE, then FNINIT */
        fpu_env_store(f, buf, o16);
        for (int i = 0; i < 8; i++)
            put_reg(buf + env + 10 * i, fpu_st(f, i));
        wr_bytes(ip, lin, buf, env + 80);
        fpu_init(f);
        return;
    }
    raise_ud(ip);
}

/* FXSAVE/FXRSTOR m512 (SDM Vol. 2A): #NM as an x87 instruction, #GP(0)
 * unless the operand is 16-byte aligned, #GP(0) for reserved MXCSR bits.
 * They do not check for a pending x87 exception.  Only bytes 0-159 (x87
 * state and MXCSR) are used: there are no XMM registers. */
#define FX_USED 160
void h_fxsave(struct interp *ip, const struct insn *in)
{
    uint8_t buf[FX_USED];
    uint32_t lin = ea(ip, in);
    if (ip->cpu->cr0 & (CR0_EM | CR0_TS))
        raise_exc(ip, EXC_NM, 0);
    if (lin & 15)
        raise_gp(ip, 0);
    if (in->op == 0) {
        fpu_fxsave(FPU, buf);
        wr_bytes(ip, lin, buf, FX_USED);
    } else {
        rd_bytes(ip, lin, buf, FX_USED);
        if (!fpu_fxrstor(FPU, buf))
            raise_gp(ip, 0);
    }
}
