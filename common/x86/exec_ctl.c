/*
 * exec_ctl.c — control transfers, the stack, string instructions, I/O,
 * HLT/CLI/STI and software interrupts (SDM Vol. 2; privilege rules for
 * I/O, CLI/STI, POPF and IRET: Vol. 1 §18.2, Vol. 3A §6.12, Vol. 2 "IRET").
 */
#include "x86/interp_int.h"

#define MEM (in->flags & I_MEM)
#define EIP (ip->cpu->eip)

static uint32_t rm_read(struct interp *ip, const struct insn *in, int size)
{
    return MEM ? ld(ip, ea(ip, in), size) : rreg(ip, size, in->rm);
}

/* ---- near branches ------------------------------------------------------- */
void h_jcc(struct interp *ip, const struct insn *in)
{
    EIP = cc_cond(ip, in->op) ? in->imm : in->next;
}
void h_jmp(struct interp *ip, const struct insn *in) { EIP = in->imm; }
void h_jmp_rm(struct interp *ip, const struct insn *in) { EIP = rm_read(ip, in, in->size); }
void h_call(struct interp *ip, const struct insn *in)
{
    push(ip, 4, in->next);
    EIP = in->imm;
}
void h_call_rm(struct interp *ip, const struct insn *in)
{
    uint32_t target = rm_read(ip, in, in->size);
    push(ip, 4, in->next);
    EIP = target;
}
void h_ret(struct interp *ip, const struct insn *in)
{
    (void)in;
    EIP = pop(ip, 4);
}
void h_ret_imm(struct interp *ip, const struct insn *in)
{
    EIP = pop(ip, 4);
    ip->r[R_ESP] += in->imm;
}
/* LOOP (op 2), LOOPE (1), LOOPNE (0): decrement (E)CX, no flags changed. */
void h_loop(struct interp *ip, const struct insn *in)
{
    uint32_t c = (ip->r[R_ECX] - 1) & in->amask;
    ip->r[R_ECX] = (ip->r[R_ECX] & ~in->amask) | c;
    bool take = c != 0;
    if (in->op == 0)
        take = take && !cc_cond(ip, 4);
    else if (in->op == 1)
        take = take && cc_cond(ip, 4);
    EIP = take ? in->imm : in->next;
}
void h_jecxz(struct interp *ip, const struct insn *in)
{
    EIP = (ip->r[R_ECX] & in->amask) == 0 ? in->imm : in->next;
}

/* ---- stack --------------------------------------------------------------- */
void h_push_r(struct interp *ip, const struct insn *in)
{
    push(ip, in->size, rreg(ip, in->size, in->reg));
}
void h_pop_r(struct interp *ip, const struct insn *in)
{
    uint32_t v = pop(ip, in->size);
    wreg(ip, in->size, in->reg, v);
}
void h_push_i(struct interp *ip, const struct insn *in) { push(ip, in->size, in->imm); }
void h_push_rm(struct interp *ip, const struct insn *in)
{
    push(ip, in->size, rm_read(ip, in, in->size));
}
/* POP r/m: an ESP-based address is computed after ESP is incremented. */
void h_pop_rm(struct interp *ip, const struct insn *in)
{
    uint32_t esp = ip->r[R_ESP];
    uint32_t v = ld(ip, ip->segbase[S_SS] + esp, in->size);
    if (!MEM) {
        ip->r[R_ESP] = esp + in->size;
        wreg(ip, in->size, in->rm, v);
        return;
    }
    ip->r[R_ESP] = esp + in->size;
    uint32_t lin = ea(ip, in);
    ip->r[R_ESP] = esp; /* precise if the store faults */
    st(ip, lin, in->size, v);
    ip->r[R_ESP] = esp + in->size;
}
void h_push_sreg(struct interp *ip, const struct insn *in)
{
    push(ip, in->size, ip->cpu->seg[in->reg].sel);
}
void h_pop_sreg(struct interp *ip, const struct insn *in)
{
    uint16_t sel = ld(ip, ip->segbase[S_SS] + ip->r[R_ESP], in->size);
    load_seg(ip, in->reg, sel);
    ip->r[R_ESP] += in->size;
    if (in->reg == S_SS)
        ip->cpu->irq_shadow = true; /* POP SS: one-instruction shadow */
}
void h_pusha(struct interp *ip, const struct insn *in)
{
    int s = in->size;
    uint32_t sp = ip->r[R_ESP];
    for (int i = 0; i < 8; i++)
        st(ip, ip->segbase[S_SS] + sp - s * (i + 1), s, rreg(ip, s, i)); /* ESP: value before */
    ip->r[R_ESP] = sp - 8 * s;
}
void h_popa(struct interp *ip, const struct insn *in)
{
    int s = in->size;
    uint32_t sp = ip->r[R_ESP], v[8];
    for (int i = 0; i < 8; i++)
        v[7 - i] = ld(ip, ip->segbase[S_SS] + sp + s * i, s);
    for (int i = 0; i < 8; i++)
        if (i != R_ESP)
            wreg(ip, s, i, v[i]);
    ip->r[R_ESP] = sp + 8 * s;
}
void h_pushf(struct interp *ip, const struct insn *in)
{
    push(ip, in->size, get_eflags(ip) & ~(FL_VM | FL_RF));
}
/* POPF (SDM Vol. 2 "POPF"): IOPL changes only at CPL 0; IF only when
 * CPL <= IOPL — otherwise it is silently kept, which is why POPF is the
 * classic sensitive-but-unprivileged instruction (Popek & Goldberg). */
void h_popf(struct interp *ip, const struct insn *in)
{
    uint32_t v = ld(ip, ip->segbase[S_SS] + ip->r[R_ESP], in->size);
    uint32_t old = get_eflags(ip);
    uint32_t keep = FL_VM | FL_RF;
    int iopl = (old & FL_IOPL) >> 12;
    if (cpl(ip) > 0)
        keep |= FL_IOPL;
    if (cpl(ip) > iopl)
        keep |= FL_IF;
    if (in->size == 2)
        keep |= 0xffff0000u;
    if ((((v & ~keep) ^ old) & (FL_IF | FL_IOPL)) && strict_exit(ip, in, "popf changing IF/IOPL"))
        return;
    set_eflags(ip, (v & ~keep) | (old & keep));
    ip->r[R_ESP] += in->size;
}
void h_enter(struct interp *ip, const struct insn *in)
{
    int level = in->imm2 & 31;
    uint32_t ss = ip->segbase[S_SS], sp = ip->r[R_ESP], bp = ip->r[R_EBP];
    sp -= 4;
    st(ip, ss + sp, 4, bp);
    uint32_t frame = sp;
    for (int i = 1; i < level; i++) {
        sp -= 4;
        st(ip, ss + sp, 4, ld(ip, ss + bp - 4 * i, 4));
    }
    if (level > 0) {
        sp -= 4;
        st(ip, ss + sp, 4, frame);
    }
    sp -= in->imm;
    ip->r[R_EBP] = frame;
    ip->r[R_ESP] = sp;
}
void h_leave(struct interp *ip, const struct insn *in)
{
    (void)in;
    uint32_t v = ld(ip, ip->segbase[S_SS] + ip->r[R_EBP], 4);
    ip->r[R_ESP] = ip->r[R_EBP] + 4;
    ip->r[R_EBP] = v;
}
void h_xlat(struct interp *ip, const struct insn *in)
{
    uint32_t off = (ip->r[R_EBX] + (ip->r[R_EAX] & 0xff)) & in->amask;
    wreg(ip, 1, R_EAX, ld(ip, ip->segbase[in->seg] + off, 1));
}
void h_bound(struct interp *ip, const struct insn *in)
{
    uint32_t lin = ea(ip, in);
    int s = in->size;
    int32_t lo = (int32_t)ld(ip, lin, s), hi = (int32_t)ld(ip, lin + s, s),
            v = (int32_t)rreg(ip, s, in->reg);
    if (s == 2) {
        lo = (int16_t)lo;
        hi = (int16_t)hi;
        v = (int16_t)v;
    }
    if (v < lo || v > hi)
        raise_exc(ip, EXC_BR, 0);
}

/* ---- string instructions --------------------------------------------------
 * Source seg:(E)SI (DS unless overridden), destination ES:(E)DI; DF picks the
 * direction.  With REP each iteration updates the registers, so a fault in
 * the middle leaves a restartable state (EIP still at the instruction). */
struct sctx {
    uint32_t am;
    int d;
};
static struct sctx sctx(const struct interp *ip, const struct insn *in)
{
    return (struct sctx){ in->amask, (ip->eflags & FL_DF) ? -in->size : in->size };
}
static void adv(struct interp *ip, int r, const struct sctx *c)
{
    ip->r[r] = (ip->r[r] & ~c->am) | ((ip->r[r] + c->d) & c->am);
}
static uint32_t si(const struct interp *ip, const struct insn *in)
{
    return ip->segbase[in->seg] + (ip->r[R_ESI] & in->amask);
}
static uint32_t di(const struct interp *ip, const struct insn *in)
{
    return ip->segbase[S_ES] + (ip->r[R_EDI] & in->amask);
}
static bool rep_more(const struct interp *ip, const struct insn *in)
{
    return (ip->r[R_ECX] & in->amask) != 0;
}
static void rep_dec(struct interp *ip, const struct insn *in)
{
    ip->r[R_ECX] = (ip->r[R_ECX] & ~in->amask) | ((ip->r[R_ECX] - 1) & in->amask);
}
#define REP_LOOP(body) \
    do { \
        if (!(in->flags & (I_REP | I_REPNE))) { \
            body; \
            break; \
        } \
        for (unsigned n_ = 0; rep_more(ip, in);) { \
            body; \
            rep_dec(ip, in); \
            if (++n_ == REP_CHUNK && ip->rep_yield_ok && rep_more(ip, in)) { \
                ip->rep_yield = ip->stop = true; /* resume later */ \
                break; \
            } \
        } \
    } while (0)

void h_movs(struct interp *ip, const struct insn *in)
{
    struct sctx c = sctx(ip, in);
    REP_LOOP(st(ip, di(ip, in), in->size, ld(ip, si(ip, in), in->size)); adv(ip, R_ESI, &c);
             adv(ip, R_EDI, &c));
}
void h_stos(struct interp *ip, const struct insn *in)
{
    struct sctx c = sctx(ip, in);
    uint32_t v = rreg(ip, in->size, R_EAX);
    REP_LOOP(st(ip, di(ip, in), in->size, v); adv(ip, R_EDI, &c));
}
void h_lods(struct interp *ip, const struct insn *in)
{
    struct sctx c = sctx(ip, in);
    REP_LOOP(wreg(ip, in->size, R_EAX, ld(ip, si(ip, in), in->size)); adv(ip, R_ESI, &c));
}
/* CMPS/SCAS: REPE stops when ZF=0, REPNE when ZF=1 (checked after each). */
static bool rep_stop(const struct interp *ip, const struct insn *in)
{
    return (in->flags & I_REP) ? !cc_cond(ip, 4) : cc_cond(ip, 4);
}
static void cmp_set(struct interp *ip, int size, uint32_t a, uint32_t b)
{
    ip->cc_op = CCOP(CC_SUB, size);
    ip->cc_dst = a - b;
    ip->cc_src1 = a;
    ip->cc_src2 = b;
}
void h_cmps(struct interp *ip, const struct insn *in)
{
    struct sctx c = sctx(ip, in);
    REP_LOOP(uint32_t a = ld(ip, si(ip, in), in->size); uint32_t b = ld(ip, di(ip, in), in->size);
             cmp_set(ip, in->size, a, b); adv(ip, R_ESI, &c); adv(ip, R_EDI, &c);
             if ((in->flags & (I_REP | I_REPNE)) && rep_stop(ip, in)) {
                 rep_dec(ip, in);
                 break;
             });
}
void h_scas(struct interp *ip, const struct insn *in)
{
    struct sctx c = sctx(ip, in);
    uint32_t a = rreg(ip, in->size, R_EAX);
    REP_LOOP(cmp_set(ip, in->size, a, ld(ip, di(ip, in), in->size)); adv(ip, R_EDI, &c);
             if ((in->flags & (I_REP | I_REPNE)) && rep_stop(ip, in)) {
                 rep_dec(ip, in);
                 break;
             });
}

/* ---- I/O ------------------------------------------------------------------
 * Sensitive: CPL > IOPL gives #GP(0) (the TSS I/O permission bitmap is not
 * modelled).  IN/OUT leave to the VMM (interp.h explains the protocol);
 * INS/OUTS go through the pio hook here. */
static void io_check(struct interp *ip)
{
    if (cpl(ip) > (int)((ip->eflags & FL_IOPL) >> 12))
        raise_gp(ip, 0);
}
static uint32_t pio(struct interp *ip, uint16_t port, int size, bool write, uint32_t v)
{
    if (ip->hooks.pio)
        ip->hooks.pio(ip->opaque, port, size, write, &v);
    else if (!write)
        v = 0xffffffffu;
    return v & szmask(size);
}
static void io_exit(struct interp *ip, const struct insn *in, bool is_in)
{
    io_check(ip);
    if (strict_exit(ip, in, is_in ? "in" : "out"))
        return;
    struct vm_exit ex, *e = &ex;
    memset(e, 0, sizeof *e);
    uint16_t port = (in->flags & I_CL) ? (uint16_t)ip->r[R_EDX] : (uint16_t)in->imm;
    e->reason = EXIT_IO_INSTRUCTION;
    e->guest_eip = in->eip;
    e->instr_len = in->len;
    e->u.io.port = port;
    e->u.io.size = in->size;
    e->u.io.in = is_in;
    e->u.io.value = is_in ? 0 : rreg(ip, in->size, R_EAX);
    /* SDM Vol. 3C Table 28-5: size-1, direction, string, rep, operand
     * encoding (1 = immediate), port. */
    e->qualification = (uint64_t)(in->size - 1) | (is_in ? 8 : 0) |
                       ((in->flags & I_CL) ? 0 : 0x40) | ((uint64_t)port << 16);
    if (ip->hooks.exit_policy && !ip->hooks.exit_policy(ip->opaque, e)) {
        /* The VMX model's I/O bitmap lets this port through: no exit. */
        uint32_t v = pio(ip, port, in->size, !is_in, e->u.io.value);
        if (is_in)
            wreg(ip, in->size, R_EAX, v);
        return;
    }
    ip->pexit = *e;
    ip->exit_reason = EXIT_IO_INSTRUCTION;
    ip->io_pending = true;
    ip->io_eip = in->eip;
    EIP = in->eip; /* completed on the next run */
    ip->stop = true;
}
void h_in(struct interp *ip, const struct insn *in) { io_exit(ip, in, true); }
void h_out(struct interp *ip, const struct insn *in) { io_exit(ip, in, false); }
void h_ins(struct interp *ip, const struct insn *in)
{
    io_check(ip);
    if (strict_exit(ip, in, "ins"))
        return;
    struct sctx c = sctx(ip, in);
    uint16_t port = ip->r[R_EDX];
    REP_LOOP(uint32_t lin = di(ip, in);
             mem_xlate(ip, ip->tlb, lin, ACC_W); /* fault before the port read */
             if (!in_page(lin, in->size)) mem_xlate(ip, ip->tlb, lin + in->size - 1, ACC_W);
             st(ip, lin, in->size, pio(ip, port, in->size, false, 0)); adv(ip, R_EDI, &c));
}
void h_outs(struct interp *ip, const struct insn *in)
{
    io_check(ip);
    if (strict_exit(ip, in, "outs"))
        return;
    struct sctx c = sctx(ip, in);
    uint16_t port = ip->r[R_EDX];
    REP_LOOP(pio(ip, port, in->size, true, ld(ip, si(ip, in), in->size)); adv(ip, R_ESI, &c));
}

/* ---- HLT CLI STI ----------------------------------------------------------- */
void h_hlt(struct interp *ip, const struct insn *in)
{
    if (cpl(ip) != 0)
        raise_gp(ip, 0);
    if (strict_exit(ip, in, "hlt"))
        return;
    ip->cpu->halted = true;
    EIP = in->next;
    memset(&ip->pexit, 0, sizeof ip->pexit);
    ip->pexit.reason = EXIT_HLT;
    ip->pexit.guest_eip = in->eip;
    ip->pexit.instr_len = in->len;
    ip->exit_reason = EXIT_HLT;
    ip->stop = true;
}
void h_cli(struct interp *ip, const struct insn *in)
{
    io_check(ip); /* CPL <= IOPL, as for I/O */
    if (strict_exit(ip, in, "cli"))
        return;
    ip->eflags &= ~FL_IF;
}
void h_sti(struct interp *ip, const struct insn *in)
{
    io_check(ip);
    if (strict_exit(ip, in, "sti"))
        return;
    if (!(ip->eflags & FL_IF))
        ip->cpu->irq_shadow = true; /* interrupts after the NEXT instruction */
    ip->eflags |= FL_IF;
}

/* ---- software interrupts and IRET ---------------------------------------- */
void h_int(struct interp *ip, const struct insn *in)
{
    deliver_event(ip, in->imm & 0xff, false, 0, true, in->next);
}
void h_int3(struct interp *ip, const struct insn *in)
{
    deliver_event(ip, EXC_BP, false, 0, true, in->next);
}
void h_into(struct interp *ip, const struct insn *in)
{
    if (cc_cond(ip, 0))
        deliver_event(ip, EXC_OF, false, 0, true, in->next);
    else
        EIP = in->next;
}

/* IRET (SDM Vol. 2 "IRET", protected mode, no task return): pop EIP, CS,
 * EFLAGS; returning to an outer ring also pops ESP and SS. */
void h_iret(struct interp *ip, const struct insn *in)
{
    (void)in;
    if (ip->eflags & FL_NT)
        raise_gp(ip, 0); /* nested task return: no TSS switching */
    uint32_t ss = ip->segbase[S_SS], sp = ip->r[R_ESP];
    uint32_t neip = ld(ip, ss + sp, 4);
    uint16_t ncs = ld(ip, ss + sp + 4, 4);
    uint32_t nfl = ld(ip, ss + sp + 8, 4);
    int rpl = ncs & 3, old_cpl = cpl(ip);
    uint32_t lo, hi;
    check_code_seg(ip, ncs, rpl, true, &lo, &hi);
    uint32_t nesp = 0;
    uint16_t nss = 0;
    uint32_t slo = 0, shi = 0;
    if (rpl > old_cpl) {
        nesp = ld(ip, ss + sp + 12, 4);
        nss = ld(ip, ss + sp + 16, 4);
        check_stack_seg(ip, nss, rpl, EXC_GP, 0, &slo, &shi);
    }
    /* EFLAGS: IOPL only at CPL 0, IF only if CPL <= IOPL (old CPL). */
    uint32_t old = get_eflags(ip), keep = FL_VM;
    if (old_cpl > 0)
        keep |= FL_IOPL;
    if (old_cpl > (int)((old & FL_IOPL) >> 12))
        keep |= FL_IF;
    set_eflags(ip, (nfl & ~keep) | (old & keep));
    set_cs(ip, ncs, lo, hi, rpl);
    EIP = neip;
    if (rpl > old_cpl) {
        desc_to_seg(&ip->cpu->seg[S_SS], nss, slo, shi);
        ip->segbase[S_SS] = ip->cpu->seg[S_SS].base;
        ip->r[R_ESP] = nesp;
        seg_null_inaccessible(ip);
    } else {
        ip->r[R_ESP] = sp + 12;
    }
}

/* ---- far transfers (to code segments only; no call gates or tasks) -------- */
static void far_jump(struct interp *ip, uint16_t sel, uint32_t off)
{
    uint32_t lo, hi;
    check_code_seg(ip, sel, cpl(ip), false, &lo, &hi);
    set_cs(ip, sel, lo, hi, cpl(ip));
    EIP = off;
}
static void far_call(struct interp *ip, const struct insn *in, uint16_t sel, uint32_t off)
{
    uint32_t lo, hi;
    check_code_seg(ip, sel, cpl(ip), false, &lo, &hi);
    uint32_t ss = ip->segbase[S_SS], sp = ip->r[R_ESP];
    st(ip, ss + sp - 4, 4, ip->cpu->seg[S_CS].sel);
    st(ip, ss + sp - 8, 4, in->next);
    set_cs(ip, sel, lo, hi, cpl(ip));
    ip->r[R_ESP] = sp - 8;
    EIP = off;
}
void h_jmpf(struct interp *ip, const struct insn *in) { far_jump(ip, in->imm2, in->imm); }
void h_callf(struct interp *ip, const struct insn *in) { far_call(ip, in, in->imm2, in->imm); }
void h_jmpf_m(struct interp *ip, const struct insn *in)
{
    uint32_t lin = ea(ip, in);
    uint32_t off = ld(ip, lin, in->size);
    far_jump(ip, ld(ip, lin + in->size, 2), off);
}
void h_callf_m(struct interp *ip, const struct insn *in)
{
    uint32_t lin = ea(ip, in);
    uint32_t off = ld(ip, lin, in->size);
    far_call(ip, in, ld(ip, lin + in->size, 2), off);
}
/* RETF [imm]: to the same or an outer ring (then SS:ESP are popped too). */
void h_retf(struct interp *ip, const struct insn *in)
{
    uint32_t ss = ip->segbase[S_SS], sp = ip->r[R_ESP];
    uint32_t neip = ld(ip, ss + sp, 4);
    uint16_t ncs = ld(ip, ss + sp + 4, 4);
    int rpl = ncs & 3, old_cpl = cpl(ip);
    uint32_t lo, hi;
    check_code_seg(ip, ncs, rpl, true, &lo, &hi);
    if (rpl > old_cpl) {
        uint32_t nesp = ld(ip, ss + sp + 8 + in->imm, 4);
        uint16_t nss = ld(ip, ss + sp + 12 + in->imm, 4);
        uint32_t slo, shi;
        check_stack_seg(ip, nss, rpl, EXC_GP, 0, &slo, &shi);
        set_cs(ip, ncs, lo, hi, rpl);
        desc_to_seg(&ip->cpu->seg[S_SS], nss, slo, shi);
        ip->segbase[S_SS] = ip->cpu->seg[S_SS].base;
        ip->r[R_ESP] = nesp + in->imm;
        seg_null_inaccessible(ip);
    } else {
        set_cs(ip, ncs, lo, hi, rpl);
        ip->r[R_ESP] = sp + 8 + in->imm;
    }
    EIP = neip;
}
