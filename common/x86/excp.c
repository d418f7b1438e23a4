/*
 * excp.c — exceptions and interrupts, delivered through the IDT as the CPU
 * does it in protected mode (SDM Vol. 3A ch. 6, §6.12 "Exception and
 * interrupt handling").
 *
 * A handler that detects a fault calls raise_exc(): it records the vector
 * and longjmps back to the run loop (interp.c), which rewinds EIP to the
 * faulting instruction — nothing it changed is visible (precise faults) —
 * and calls deliver_event().  A fault during delivery becomes #DF and a
 * fault delivering #DF a triple fault (§6.15, Table 6-5), also in interp.c.
 */
#include "x86/interp_int.h"

static bool has_error_code(int vec)
{
    return vec == EXC_DF || (vec >= EXC_TS && vec <= EXC_PF) || vec == EXC_AC;
}

_Noreturn void raise_exc(struct interp *ip, int vec, uint32_t err)
{
    ip->exc_vec = vec;
    ip->exc_has_err = has_error_code(vec);
    ip->exc_err = ip->exc_has_err ? err : 0;
    longjmp(ip->jb, 1);
}

_Noreturn void raise_gp(struct interp *ip, uint32_t err) { raise_exc(ip, EXC_GP, err); }
_Noreturn void raise_vmexit(struct interp *ip)
{
    ip->exc_vec = INTERP_VEC_EXIT;
    ip->exc_has_err = false;
    longjmp(ip->jb, 1);
}
_Noreturn void raise_ud(struct interp *ip) { raise_exc(ip, EXC_UD, 0); }

void deliver_event(struct interp *ip, int vec, bool has_err, uint32_t err, bool soft,
                   uint32_t ret_eip)
{
    struct x86_cpu *c = ip->cpu;
    uint32_t ext = soft ? 0 : 1;          /* error-code EXT bit          */
    uint32_t idt_err = vec * 8 + 2 + ext; /* IDT bit set (§6.13)         */

    /* The gate: interrupt (type 0xE) or trap (0xF) gate, 32-bit. */
    if ((uint32_t)vec * 8 + 7 > c->idtr.limit)
        raise_gp(ip, idt_err);
    uint32_t lo = ld_sys(ip, c->idtr.base + vec * 8, 4);
    uint32_t hi = ld_sys(ip, c->idtr.base + vec * 8 + 4, 4);
    unsigned type = (hi >> 8) & 0x1f, gate_dpl = (hi >> 13) & 3;
    if (type != 0xe && type != 0xf) /* task gates, 16-bit gates: not modelled */
        raise_gp(ip, idt_err);
    if (soft && (int)gate_dpl < cpl(ip)) /* INT n needs CPL <= gate DPL */
        raise_gp(ip, idt_err);
    if (!(hi & 0x8000))
        raise_exc(ip, EXC_NP, idt_err);
    uint16_t sel = lo >> 16;
    uint32_t off = (lo & 0xffff) | (hi & 0xffff0000u);

    /* The handler's code segment. */
    uint32_t clo, chi;
    if ((sel & 0xfffc) == 0)
        raise_gp(ip, ext);
    if (!desc_read(ip, sel, &clo, &chi))
        raise_gp(ip, (sel & 0xfffc) | ext);
    unsigned a = (chi >> 8) & 0xff;
    int dpl = DA_DPL(a), old_cpl = cpl(ip);
    if (!(a & DA_S) || !(a & DA_CODE) || dpl > old_cpl)
        raise_gp(ip, (sel & 0xfffc) | ext);
    if (!(a & DA_P))
        raise_exc(ip, EXC_NP, (sel & 0xfffc) | ext);

    uint32_t fl = get_eflags(ip);
    uint32_t frame[6];
    int n = 0;
    uint32_t ss_lo = 0, ss_hi = 0, new_ss = 0, sp, ssbase;
    /* A conforming handler, or one at DPL = CPL, runs at the old CPL. */
    bool inner = !(a & DA_CONF) && dpl < old_cpl;
    int new_cpl = inner ? dpl : old_cpl;
    if (inner) {
        /* Stack switch: SS:ESP for ring dpl come from the TSS (§7.2.1:
         * ESPn at offset 4 + 8n, SSn at 8 + 8n). */
        uint32_t o = 4 + 8 * dpl;
        if (o + 5 > c->tr.limit)
            raise_exc(ip, EXC_TS, (c->tr.sel & 0xfffc) | ext);
        sp = ld_sys(ip, c->tr.base + o, 4);
        new_ss = ld_sys(ip, c->tr.base + o + 4, 2);
        check_stack_seg(ip, new_ss, dpl, EXC_TS, ext, &ss_lo, &ss_hi);
        struct x86_seg tmp;
        desc_to_seg(&tmp, new_ss, ss_lo, ss_hi);
        ssbase = tmp.base;
        frame[n++] = c->seg[S_SS].sel;
        frame[n++] = ip->r[R_ESP];
    } else {
        sp = ip->r[R_ESP];
        ssbase = ip->segbase[S_SS];
    }
    frame[n++] = fl;
    frame[n++] = c->seg[S_CS].sel;
    frame[n++] = ret_eip;
    if (has_err)
        frame[n++] = err;

    /* Write the frame first (it may fault: then nothing has changed), with
     * the rights of the new CPL: user-mode accesses if it is 3. */
    struct tlb *t = &ip->tlbs[new_cpl == 3];
    for (int i = 0; i < n; i++)
        mem_write_t(ip, t, ssbase + sp - 4 * (i + 1), 4, frame[i]);

    /* Commit. */
    if (inner) {
        desc_to_seg(&c->seg[S_SS], new_ss, ss_lo, ss_hi);
        ip->segbase[S_SS] = c->seg[S_SS].base;
    }
    ip->r[R_ESP] = sp - 4 * n;
    set_cs(ip, sel, clo, chi, new_cpl);
    c->eip = off;
    /* §6.12.1.3: TF, NT, RF cleared (VM too); an interrupt gate clears IF. */
    ip->eflags &= ~(FL_TF | FL_NT | FL_RF | FL_VM);
    if (type == 0xe)
        ip->eflags &= ~FL_IF;
    c->halted = false;
}
