/*
 * translate.c — guest block -> host code, call-threaded (step 1 of
 * docs/ARCHITECTURE.md §4 "Stage 01").
 *
 * Input is the interpreter's decoded block (x86/decoded.h): straight-line
 * guest code in one page, ending at a control transfer or a mode change.
 * Output, for a block of n instructions:
 *
 *   entry:  sub dword [r13+fuel], 1 ; js fuel_out   interrupts are polled
 *           ip->cur_block = b ; cpu->eip = b->next_eip   by the run loop
 *   per instruction i, by class:
 *     CALL    ip->cur = &in[i] ; call in[i].fn(ip, &in[i])   (the handler)
 *     HELPER  ip->cur = &in[i] ; call bt_helper(ip, &in[i], bt, id)
 *           cmp byte [ip->stop], 0 ; jne stop_i   (I/O exit, HLT, SMC...)
 *   tail:   ip->instructions += n
 *           for each direct exit k (target in this page):
 *               cmp dword [cpu->eip], target_k ; jne next ; jmp stub_k
 *           indirect: rax = bt_lookup(bt) ; jmp rax if found
 *   stubs:  return BT_RET_* to the run loop (stub_k is what a chained
 *           jmp rel32 is patched away from, and back to on unlinking)
 *
 * ip->cur before every call keeps faults precise: a handler that raises an
 * exception longjmps to the run loop, which rewinds EIP to ip->cur->eip.
 * The next steps replace CALL by COPY and REWRITE (identical translation).
 */
#include "core/lab.h"
#include "x86/handlers.h"
#include "x86/tlb.h"
#include "01-binary-translation/glue.h"

/* ---- instruction classes ----------------------------------------------------- */
/* The HELPER class (docs/ARCHITECTURE.md §4): is this decoded instruction sensitive,
 * and which helper emulates it?  The decoder already chose the handler
 * (in->fn, x86/handlers.h); an instruction is sensitive when running it
 * natively in the host's ring 3 would either trap (privileged: HLT, LGDT,
 * MOV CR, ...) or silently do the wrong thing (CLI/STI/PUSHF/POPF/IRET,
 * SGDT/SMSW/STR: Popek & Goldberg's "sensitive but unprivileged"
 * instructions).  Group opcodes 0F 00 and 0F 01 share one handler and
 * differ by the ModRM reg field (in->reg, SDM Vol. 2 Table A-6).  Return
 * the enum bt_helper_id of bt.h, or -1 for an ordinary instruction. */
int bt_helper_of(const struct insn *in)
{
    /* VMCALL is no instruction of the unmodified guest but the call of a
     * paravirtual one into the VMM (02-paravirt): always a helper, whose
     * interpreter handler leaves with exit reason 18. */
    if (in->fn == h_vmcall)
        return HLP_VMCALL;
    /* LAB 1 BEGIN: classify sensitive instructions (bt_helper_of) */
    /* LAB 1 STUB: (void)in; */
    insn_fn f = in->fn;
    if (f == h_cli)
        return HLP_CLI;
    if (f == h_sti)
        return HLP_STI;
    if (f == h_pushf)
        return HLP_PUSHF;
    if (f == h_popf)
        return HLP_POPF;
    if (f == h_in)
        return HLP_IN;
    if (f == h_out)
        return HLP_OUT;
    if (f == h_ins)
        return HLP_INS;
    if (f == h_outs)
        return HLP_OUTS;
    if (f == h_hlt)
        return HLP_HLT;
    if (f == h_grp6) { /* 0F 00 /reg, SDM Vol. 2 Table A-6 */
        static const int g6[6] = { HLP_SLDT, HLP_STR, HLP_LLDT, HLP_LTR, HLP_VERRW, HLP_VERRW };
        return in->reg < 6 ? g6[in->reg] : -1;
    }
    if (f == h_grp7) { /* 0F 01 /reg */
        static const int g7[8] = { HLP_SGDT, HLP_SIDT, HLP_LGDT, HLP_LIDT,
                                   HLP_SMSW, -1,       HLP_LMSW, HLP_INVLPG };
        return g7[in->reg & 7];
    }
    if (f == h_mov_cr_r)
        return HLP_MOV_TO_CR;
    if (f == h_mov_r_cr)
        return HLP_MOV_FROM_CR;
    if (f == h_mov_r_dr || f == h_mov_dr_r)
        return HLP_MOV_DR;
    if (f == h_iret)
        return HLP_IRET;
    if (f == h_int)
        return HLP_INT;
    if (f == h_int3)
        return HLP_INT3;
    if (f == h_into)
        return HLP_INTO;
    if (f == h_cpuid)
        return HLP_CPUID;
    if (f == h_rdtsc)
        return HLP_RDTSC;
    if (f == h_rdmsr)
        return HLP_RDMSR;
    if (f == h_wrmsr)
        return HLP_WRMSR;
    if (f == h_wbinvd)
        return HLP_WBINVD;
    if (f == h_clts)
        return HLP_CLTS;
    if (f == h_sysenter)
        return HLP_SYSENTER;
    if (f == h_sysexit)
        return HLP_SYSEXIT;
    return -1;
    /* LAB 1 END */
}

static const struct {
    const char *name;
    int reason;
} helpers[HLP_N] = {
    [HLP_CLI] = { "cli", -1 },
    [HLP_STI] = { "sti", -1 },
    [HLP_PUSHF] = { "pushf", -1 },
    [HLP_POPF] = { "popf", -1 },
    [HLP_IN] = { "in", 30 },
    [HLP_OUT] = { "out", 30 },
    [HLP_INS] = { "ins", 30 },
    [HLP_OUTS] = { "outs", 30 },
    [HLP_HLT] = { "hlt", 12 },
    [HLP_LGDT] = { "lgdt", 46 },
    [HLP_LIDT] = { "lidt", 46 },
    [HLP_SGDT] = { "sgdt", 46 },
    [HLP_SIDT] = { "sidt", 46 },
    [HLP_SMSW] = { "smsw", 28 },
    [HLP_LMSW] = { "lmsw", 28 },
    [HLP_LLDT] = { "lldt", 47 },
    [HLP_LTR] = { "ltr", 47 },
    [HLP_SLDT] = { "sldt", 47 },
    [HLP_STR] = { "str", 47 },
    [HLP_VERRW] = { "verr/verw", -1 },
    [HLP_MOV_TO_CR] = { "mov crN, r", 28 },
    [HLP_MOV_FROM_CR] = { "mov r, crN", 28 },
    [HLP_MOV_DR] = { "mov drN", 29 },
    [HLP_INVLPG] = { "invlpg", 14 },
    [HLP_IRET] = { "iret", -1 },
    [HLP_INT] = { "int n", -1 },
    [HLP_INT3] = { "int3", 0 },
    [HLP_INTO] = { "into", 0 },
    [HLP_CPUID] = { "cpuid", 10 },
    [HLP_RDTSC] = { "rdtsc", 16 },
    [HLP_RDMSR] = { "rdmsr", 31 },
    [HLP_WRMSR] = { "wrmsr", 32 },
    [HLP_WBINVD] = { "wbinvd", 54 },
    [HLP_CLTS] = { "clts", 28 },
    [HLP_SYSENTER] = { "sysenter", -1 },
    [HLP_SYSEXIT] = { "sysexit", -1 },
    [HLP_VMCALL] = { "vmcall", 18 },
};
const char *bt_helper_name(int id) { return id >= 0 && id < HLP_N ? helpers[id].name : "?"; }
int bt_helper_reason(int id) { return id >= 0 && id < HLP_N ? helpers[id].reason : -1; }

/* Where a block may go next without the run loop: direct near branches and
 * the fall-through.  Anything else (RET, indirect JMP/CALL) is looked up;
 * far transfers, mode changes and sensitive instructions return to the
 * run loop, which re-checks the mode and the interrupt window. */
enum tail { TAIL_LOOP, TAIL_LOOKUP };
static int block_exits(const struct block *b, uint32_t t[2], enum tail *tail)
{
    const struct insn *last = &b->in[b->n - 1];
    insn_fn f = last->fn;
    *tail = TAIL_LOOKUP;
    if (f == h_jcc || f == h_loop || f == h_jecxz) {
        t[0] = last->imm;
        t[1] = last->next;
        return 2;
    }
    if (f == h_jmp || f == h_call) {
        t[0] = last->imm;
        return 1;
    }
    if (f == h_ret || f == h_ret_imm || f == h_jmp_rm || f == h_call_rm)
        return 0;
    if (bt_helper_of(last) >= 0 || f == h_mov_sreg_rm || f == h_pop_sreg || f == h_jmpf ||
        f == h_jmpf_m || f == h_callf || f == h_callf_m || f == h_retf || f == h_ud || f == h_gp0 ||
        f == h_lxs || f == h_bound) {
        *tail = TAIL_LOOP;
        return 0;
    }
    t[0] = b->next_eip; /* page end, block size limit */
    return 1;
}

/* WINDOW class: 32-bit MOV between a register and memory, or of an
 * immediate to memory, done natively through the 4 GiB window when the
 * data segments are flat.  Step 2 of the plan: the registers still live in
 * struct interp, so the code loads the address registers, computes the
 * 32-bit address with LEA and does the access as gs:[ecx]. */
enum { WIN_LOAD = 1, WIN_STORE, WIN_STORE_IMM };
int bt_window_form(const struct insn *in)
{
    if (!(in->flags & I_MEM) || in->amask != 0xffffffffu || in->seg == S_FS || in->seg == S_GS ||
        in->seg == S_CS)
        return 0;
    if (in->fn == h_mov_r_rm[2][1])
        return WIN_LOAD;
    if (in->fn == h_mov_rm_r[2][1])
        return WIN_STORE;
    if (in->fn == h_mov_rm_i[2][1])
        return WIN_STORE_IMM;
    return 0;
}

static void emit_window(struct emit *e, const struct insn *in, int form)
{
    int base = in->base != 8 ? RCX : -1, index = in->index != 8 ? RDX : -1;
    if (base >= 0)
        emit_load_m32(e, RCX, RBX, OFF_R(in->base));
    if (index >= 0)
        emit_load_m32(e, RDX, RBX, OFF_R(in->index));
    emit_lea32(e, RCX, base, index, 1 << in->scale, (int32_t)in->disp);
    switch (form) {
    case WIN_LOAD:
        emit_gs_load32(e, RAX, RCX);
        emit_store_m32(e, RBX, OFF_R(in->reg), RAX);
        break;
    case WIN_STORE:
        emit_load_m32(e, RAX, RBX, OFF_R(in->reg));
        emit_gs_store32(e, RCX, RAX);
        break;
    default: emit_gs_store32_imm(e, RCX, in->imm); break;
    }
}

size_t bt_translate(struct bt *bt, struct tblock *tb, const struct block *b, size_t avail)
{
    struct emit e;
    emit_init(&e, tb->code, avail);
    uint8_t *stop_fix[MAX_BLOCK] = { 0 }, *exit_fix[TB_MAX_EXITS], *fuel_fix, *end_fix[2] = { 0 };
    uint32_t t[2];
    enum tail tail;
    int nexits = block_exits(b, t, &tail);
    uint32_t page = (bt->s->segbase[S_CS] + b->eip) & PAGE_MASK;

    /* Entry: poll for interrupts every fuel_init block entries. */
    emit_sub_m32_imm8(&e, R13, OFF_BT(fuel), 1);
    fuel_fix = emit_jcc_rel32(&e, CC_S, e.p);
    emit_mov_r64_imm64(&e, RAX, (uintptr_t)b);
    emit_store_r64(&e, RBX, OFF_IP(cur_block), RAX);
    emit_store_m32_imm32(&e, R14, OFF_CPU(eip), b->next_eip);

    for (unsigned i = 0; i < b->n; i++) {
        const struct insn *in = &b->in[i];
        int wf = bt->use_window && (tb->mode & MODE_FLAT) ? bt_window_form(in) : 0;
        stop_fix[i] = NULL;
        if (wf) { /* WINDOW: native access, faults resolved by SIGSEGV */
            emit_mov_r64_imm64(&e, RSI, (uintptr_t)in);
            emit_store_r64(&e, RBX, OFF_IP(cur), RSI); /* for the bail-out */
            emit_window(&e, in, wf);
            bt->st.window_insns++;
            continue;
        }
        stop_fix[i] = glue_call_insn(&e, RBX, in, bt_helper_of(in));
    }
    emit_add_m64_imm32(&e, RBX, OFF_IP(st.instructions), b->n);

    /* Direct exits within this page can be chained. */
    tb->nexits = 0;
    for (int k = 0; k < nexits; k++) {
        if (((bt->s->segbase[S_CS] + t[k]) & PAGE_MASK) != page)
            continue;
        int x = tb->nexits++;
        tb->exit[x].target = t[k];
        emit_cmp_m32_imm32(&e, R14, OFF_CPU(eip), t[k]);
        uint8_t *skip = emit_jcc_rel32(&e, CC_NE, e.p);
        emit_add_m64_imm32(&e, R13, OFF_BT(st.direct_exits), 1);
        tb->exit[x].field = emit_jmp_rel32(&e, e.p);
        exit_fix[x] = tb->exit[x].field;
        if (skip)
            emit_patch_rel32(skip, e.p);
    }
    if (tail == TAIL_LOOKUP) {
        emit_mov_r64_r64(&e, RDI, R13);
        emit_mov_r64_imm64(&e, RAX, (uintptr_t)bt_lookup);
        emit_call_r64(&e, RAX);
        emit_test_r64_r64(&e, RAX, RAX);
        end_fix[0] = emit_jcc_rel32(&e, CC_E, e.p);
        emit_jmp_r64(&e, RAX);
    }
    /* Stubs. */
    uint8_t *end_stub = e.p;
    glue_ret(&e, bt, BT_RET_END);
    if (end_fix[0])
        emit_patch_rel32(end_fix[0], end_stub);
    for (int x = 0; x < tb->nexits; x++) {
        tb->exit[x].stub = e.p;
        if (exit_fix[x])
            emit_patch_rel32(exit_fix[x], e.p);
        emit_mov_r64_imm64(&e, RAX, (uintptr_t)tb);
        emit_store_r64(&e, R13, OFF_BT(last), RAX);
        emit_store_m32_imm32(&e, R13, OFF_BT(last_exit), (uint32_t)x);
        glue_ret(&e, bt, BT_RET_CHAIN);
    }
    if (fuel_fix)
        emit_patch_rel32(fuel_fix, e.p);
    glue_ret(&e, bt, BT_RET_FUEL);
    glue_stop_stubs(&e, bt, tb, stop_fix, b->n);
    if (e.overflow)
        return 0;
    return emit_size(&e);
}

/* Enter / exit glue (glue.h): enter jumps into translated code; exit_glue
 * (eax = BT_RET_*) returns. */
size_t bt_emit_glue(struct bt *bt, uint8_t *buf, size_t avail)
{
    struct emit e;
    emit_init(&e, buf, avail);
    glue_prologue(&e, RBX);
    emit_jmp_r64(&e, RCX);
    uint8_t *bail = e.p; /* SIGSEGV resumes here */
    emit_mov_r32_imm32(&e, RAX, BT_RET_BAIL);
    uint8_t *exit = e.p;
    glue_epilogue(&e);
    if (e.overflow)
        return 0;
    bt->enter = (int (*)(struct bt *, struct interp *, struct x86_cpu *, const void *))(void *)buf;
    bt->exit_glue = exit;
    bt->bail_glue = bail;
    return emit_size(&e);
}
