/*
 * exec_sys.c — system instructions: segment registers and descriptor
 * tables, control and debug registers, TLB control, CPUID, time stamp
 * counter, MSRs, SYSENTER/SYSEXIT (SDM Vol. 3A ch. 2-5, Vol. 2).
 *
 * Privileged ones (#GP(0) unless CPL 0) are marked "CPL 0"; SGDT, SIDT,
 * SLDT, STR, SMSW and MOV from a segment register are NOT privileged, yet
 * reveal the real machine state — the sensitive-but-unprivileged
 * instructions that make x86 hard to virtualize by trap-and-emulate.
 */
#include <x86intrin.h>
#include "x86/interp_int.h"

#define MEM (in->flags & I_MEM)
#define CPU (ip->cpu)

static void need_cpl0(struct interp *ip)
{
    if (cpl(ip) != 0)
        raise_gp(ip, 0);
}
static uint32_t rm_read(struct interp *ip, const struct insn *in, int size)
{
    return MEM ? ld(ip, ea(ip, in), size) : rreg(ip, size, in->rm);
}
/* Stores of a selector or MSW: 16 bits to memory, operand size to a register. */
static void rm_write16(struct interp *ip, const struct insn *in, uint32_t v)
{
    if (MEM)
        st(ip, ea(ip, in), 2, v);
    else
        wreg(ip, in->size, in->rm, v);
}

/* ---- segment registers ---------------------------------------------------- */
void h_mov_rm_sreg(struct interp *ip, const struct insn *in)
{
    rm_write16(ip, in, CPU->seg[in->reg].sel);
}
void h_mov_sreg_rm(struct interp *ip, const struct insn *in)
{
    load_seg(ip, in->reg, rm_read(ip, in, 2));
    if (in->reg == S_SS)
        CPU->irq_shadow = true; /* MOV SS: the next instruction (MOV ESP) runs shadowed */
}
void h_lxs(struct interp *ip, const struct insn *in) /* LDS LES LSS LFS LGS */
{
    uint32_t lin = ea(ip, in);
    uint32_t off = ld(ip, lin, in->size);
    load_seg(ip, in->op, ld(ip, lin + in->size, 2));
    wreg(ip, in->size, in->reg, off);
}

/* ---- LDTR, TR (0F 00) ------------------------------------------------------ */
static void load_sys_desc(struct interp *ip, uint16_t sel, struct x86_seg *s, bool tss)
{
    uint32_t lo, hi;
    if (sel & 4) /* must be in the GDT */
        raise_gp(ip, sel & 0xfffc);
    if (!desc_read(ip, sel, &lo, &hi))
        raise_gp(ip, sel & 0xfffc);
    unsigned type = (hi >> 8) & 0x1f;                           /* S=0 plus type */
    bool ok = tss ? (type == 0x9 || type == 0x1) : type == 0x2; /* available TSS / LDT */
    if (!ok)
        raise_gp(ip, sel & 0xfffc);
    if (!(hi & 0x8000))
        raise_exc(ip, EXC_NP, sel & 0xfffc);
    if (tss) { /* LTR marks the TSS busy */
        hi |= 0x200;
        st_sys(ip, CPU->gdtr.base + (sel & ~7u) + 4, 4, hi);
    }
    desc_to_seg(s, sel, lo, hi);
}
static void verify(struct interp *ip, uint16_t sel, bool write)
{
    uint32_t lo, hi, fl = cc_compute(ip) & ~FL_ZF;
    if ((sel & 0xfffc) && desc_read(ip, sel, &lo, &hi)) {
        unsigned a = (hi >> 8) & 0xff;
        bool conf_code = (a & DA_CODE) && (a & DA_CONF);
        bool priv = conf_code || (DA_DPL(a) >= cpl(ip) && DA_DPL(a) >= (sel & 3));
        bool ok = (a & DA_S) && priv &&
                  (write ? !(a & DA_CODE) && (a & DA_RW) : !(a & DA_CODE) || (a & DA_RW));
        if (ok)
            fl |= FL_ZF;
    }
    set_arith_flags(ip, fl);
}
void h_grp6(struct interp *ip, const struct insn *in)
{
    switch (in->op) {
    case 0: rm_write16(ip, in, CPU->ldtr.sel); break; /* SLDT */
    case 1: rm_write16(ip, in, CPU->tr.sel); break;   /* STR  */
    case 2: {                                         /* LLDT, CPL 0 */
        need_cpl0(ip);
        if (strict_exit(ip, in, "lldt"))
            return;
        uint16_t sel = rm_read(ip, in, 2);
        if ((sel & 0xfffc) == 0)
            memset(&CPU->ldtr, 0, sizeof CPU->ldtr);
        else
            load_sys_desc(ip, sel, &CPU->ldtr, false);
        break;
    }
    case 3: { /* LTR, CPL 0 */
        need_cpl0(ip);
        if (strict_exit(ip, in, "ltr"))
            return;
        uint16_t sel = rm_read(ip, in, 2);
        if ((sel & 0xfffc) == 0)
            raise_gp(ip, 0);
        load_sys_desc(ip, sel, &CPU->tr, true);
        break;
    }
    case 4: verify(ip, rm_read(ip, in, 2), false); break; /* VERR */
    case 5: verify(ip, rm_read(ip, in, 2), true); break;  /* VERW */
    default: raise_ud(ip);
    }
}

/* ---- GDTR, IDTR, MSW, INVLPG (0F 01) --------------------------------------- */
static void set_cr0(struct interp *ip, uint32_t v);
void h_grp7(struct interp *ip, const struct insn *in)
{
    struct x86_dtr *dt = (in->op & 1) ? &CPU->idtr : &CPU->gdtr;
    switch (in->op) {
    case 0:
    case 1: { /* SGDT SIDT */
        if (!MEM)
            raise_ud(ip);
        uint32_t lin = ea(ip, in);
        st(ip, lin, 2, dt->limit);
        st(ip, lin + 2, 4, dt->base);
        break;
    }
    case 2:
    case 3: { /* LGDT LIDT, CPL 0 */
        if (!MEM)
            raise_ud(ip);
        need_cpl0(ip);
        if (strict_exit(ip, in, in->op == 2 ? "lgdt" : "lidt"))
            return;
        uint32_t lin = ea(ip, in);
        uint16_t limit = ld(ip, lin, 2);
        uint32_t base = ld(ip, lin + 2, 4);
        dt->limit = limit;
        dt->base = in->size == 2 ? base & 0xffffff : base;
        break;
    }
    case 4: rm_write16(ip, in, guest_cr0(ip)); break; /* SMSW */
    case 6: {                                         /* LMSW, CPL 0 */
        need_cpl0(ip);
        if (strict_exit(ip, in, "lmsw"))
            return;
        uint32_t v = rm_read(ip, in, 2) & 0xf; /* PE MP EM TS; cannot clear PE */
        struct vm_exit e;                      /* SDM Table 28-3: LMSW */
        exit_init(&e, in, EXIT_CR_ACCESS);
        e.u.cr = (struct exit_cr){ .cr = 0, .access = 3, .value = v };
        e.qualification = (3u << 4) | (MEM ? 0x40u : 0) | ((uint64_t)v << 16);
        if (policy_exit(ip, &e))
            return;
        set_cr0(ip, (CPU->cr0 & ~0xeu) | v | (CPU->cr0 & CR0_PE));
        break;
    }
    case 7: { /* INVLPG, CPL 0 */
        if (!MEM)
            raise_ud(ip);
        need_cpl0(ip);
        if (strict_exit(ip, in, "invlpg"))
            return;
        uint32_t lin = ea(ip, in);
        struct vm_exit e; /* qualification: the address */
        exit_init(&e, in, EXIT_INVLPG);
        e.u.address = lin;
        e.qualification = lin;
        if (policy_exit(ip, &e))
            return;
        mmu_flush_page(ip, lin);
        break;
    }
    default: raise_ud(ip);
    }
}

/* LAR / LSL: ZF=1 and the access rights / limit if the descriptor is
 * visible at CPL and RPL (SDM Vol. 2 "LAR", "LSL"). */
static bool lar_lsl_ok(struct interp *ip, uint16_t sel, bool lsl, uint32_t *lo, uint32_t *hi)
{
    if ((sel & 0xfffc) == 0 || !desc_read(ip, sel, lo, hi))
        return false;
    unsigned a = (*hi >> 8) & 0xff;
    if (!(a & DA_S)) {
        unsigned t = a & 0xf; /* system types LAR accepts; LSL only those with a limit */
        bool ok = t == 1 || t == 2 || t == 3 || t == 9 || t == 0xb ||
                  (!lsl && (t == 4 || t == 5 || t == 0xc));
        if (!ok)
            return false;
    }
    bool conf_code = (a & DA_S) && (a & DA_CODE) && (a & DA_CONF);
    return conf_code || (DA_DPL(a) >= cpl(ip) && DA_DPL(a) >= (sel & 3));
}
void h_lar(struct interp *ip, const struct insn *in)
{
    uint32_t lo, hi, fl = cc_compute(ip) & ~FL_ZF;
    if (lar_lsl_ok(ip, rm_read(ip, in, 2), false, &lo, &hi)) {
        wreg(ip, in->size, in->reg, hi & 0x00f0ff00u);
        fl |= FL_ZF;
    }
    set_arith_flags(ip, fl);
}
void h_lsl(struct interp *ip, const struct insn *in)
{
    uint32_t lo, hi, fl = cc_compute(ip) & ~FL_ZF;
    if (lar_lsl_ok(ip, rm_read(ip, in, 2), true, &lo, &hi)) {
        struct x86_seg s;
        desc_to_seg(&s, 0, lo, hi);
        wreg(ip, in->size, in->reg, s.limit);
        fl |= FL_ZF;
    }
    set_arith_flags(ip, fl);
}

/* ---- control and debug registers (CPL 0) ----------------------------------- */
static void set_cr0(struct interp *ip, uint32_t v)
{
    v = (v & ~ip->cr0_mask) | (CPU->cr0 & ip->cr0_mask); /* VMM-owned bits stay */
    v |= CR0_ET;
    if ((v & CR0_PG) && !(v & CR0_PE))
        raise_gp(ip, 0);
    if (!(v & CR0_PE))
        raise_gp(ip, 0); /* real mode is not modelled */
    uint32_t old = CPU->cr0;
    CPU->cr0 = v;
    if ((old ^ v) & (CR0_PG | CR0_WP | CR0_PE))
        mmu_flush(ip, true);
}
#define CR4_OK (CR4_TSD | (1u << 3) /* DE */ | CR4_PSE | CR4_PGE | (1u << 8) /* PCE */ | CR4_OSFXSR)
/* A MOV CR exit (SDM Vol. 3C Table 28-3): CR number, access type 0 = MOV
 * to CR, 1 = MOV from CR, the general register.  True if it is taken. */
static bool cr_exit(struct interp *ip, const struct insn *in, int access, uint32_t value)
{
    if (!ip->hooks.exit_policy || in->reg == 2) /* CR2 accesses never exit */
        return false;
    struct vm_exit e;
    exit_init(&e, in, EXIT_CR_ACCESS);
    e.u.cr = (struct exit_cr){ .cr = in->reg, .access = access, .gpr = in->rm, .value = value };
    e.qualification = in->reg | ((uint32_t)access << 4) | ((uint32_t)in->rm << 8);
    return policy_exit(ip, &e);
}
void h_mov_r_cr(struct interp *ip, const struct insn *in)
{
    need_cpl0(ip);
    uint32_t v;
    if ((in->reg == 0 || in->reg == 3 || in->reg == 4) && cr_exit(ip, in, 1, 0))
        return;
    switch (in->reg) {
    case 0: v = guest_cr0(ip); break;
    case 2: v = CPU->cr2; break;
    case 3: v = CPU->cr3; break;
    case 4: v = guest_cr4(ip); break;
    default: raise_ud(ip);
    }
    ip->r[in->rm] = v;
}
void h_mov_cr_r(struct interp *ip, const struct insn *in)
{
    static const char *const name[] = { "mov to cr0", "mov to cr1", "mov to cr2", "mov to cr3",
                                        "mov to cr4", "mov to cr5", "mov to cr6", "mov to cr7" };
    need_cpl0(ip);
    if (strict_exit(ip, in, name[in->reg & 7]))
        return;
    uint32_t v = ip->r[in->rm];
    if ((in->reg == 0 || in->reg == 3 || in->reg == 4) && cr_exit(ip, in, 0, v))
        return;
    switch (in->reg) {
    case 0: set_cr0(ip, v); break;
    case 2: CPU->cr2 = v; break;
    case 3: /* new address space */
        CPU->cr3 = v;
        mmu_flush(ip, false);
        break;
    case 4:
        if (v & ~CR4_OK)
            raise_gp(ip, 0);
        v = (v & ~ip->cr4_mask) | (CPU->cr4 & ip->cr4_mask); /* VMM-owned bits stay */
        if ((CPU->cr4 ^ v) & (CR4_PSE | CR4_PGE)) {
            CPU->cr4 = v;
            mmu_flush(ip, true);
        }
        CPU->cr4 = v;
        break;
    default: raise_ud(ip);
    }
}
static int dr_index(struct interp *ip, int n)
{
    if (n == 4 || n == 5) {
        if (CPU->cr4 & (1u << 3)) /* CR4.DE: DR4/DR5 are reserved */
            raise_ud(ip);
        n += 2; /* aliases of DR6/DR7 */
    }
    return n;
}
/* A MOV DR exit (SDM Vol. 3C Table 28-4): DR number, direction (1 = MOV
 * from DR), the general register.  True if it is taken. */
static bool dr_exit(struct interp *ip, const struct insn *in, bool from)
{
    if (!ip->hooks.exit_policy)
        return false;
    struct vm_exit e;
    exit_init(&e, in, EXIT_DR_ACCESS);
    e.u.cr = (struct exit_cr){
        .cr = in->reg, .access = from, .gpr = in->rm, .value = from ? 0 : ip->r[in->rm]
    };
    e.qualification = in->reg | (from ? 0x10u : 0) | ((uint32_t)in->rm << 8);
    return policy_exit(ip, &e);
}
void h_mov_r_dr(struct interp *ip, const struct insn *in)
{
    need_cpl0(ip);
    int n = dr_index(ip, in->reg);
    if (strict_exit(ip, in, "mov from dr") || dr_exit(ip, in, true))
        return;
    ip->r[in->rm] = CPU->dr[n];
}
void h_mov_dr_r(struct interp *ip, const struct insn *in)
{
    need_cpl0(ip);
    int n = dr_index(ip, in->reg);
    if (strict_exit(ip, in, "mov to dr") || dr_exit(ip, in, false))
        return;
    CPU->dr[n] = ip->r[in->rm]; /* stored; breakpoints not modelled */
}
void h_clts(struct interp *ip, const struct insn *in)
{
    need_cpl0(ip);
    if (strict_exit(ip, in, "clts"))
        return;
    struct vm_exit e; /* SDM Table 28-3: CLTS */
    exit_init(&e, in, EXIT_CR_ACCESS);
    e.u.cr.access = 2;
    e.qualification = 2u << 4;
    if (policy_exit(ip, &e))
        return;
    if (!(ip->cr0_mask & CR0_TS)) /* VMM-owned: unchanged */
        CPU->cr0 &= ~CR0_TS;
}
void h_wbinvd(struct interp *ip, const struct insn *in) /* WBINVD / INVD: no caches */
{
    need_cpl0(ip);
    strict_exit(ip, in, "wbinvd");
}

/* ---- identification, time, MSRs ------------------------------------------- */
/* A Pentium II-class CPU without MMX/SSE: family 6 model 3 stepping 3, so
 * SEP is genuine.  FPU: the x87 (x86/fpu.h), with FCMOV/FCOMI as CMOV
 * implies; FXSR: FXSAVE/FXRSTOR and CR4.OSFXSR.  APIC: an on-chip local
 * APIC and its IA32_APIC_BASE MSR (SDM Vol. 3A §11.4.2). */
#define CPUID_FEATURES \
    ((1u << 0) /* FPU */ | (1u << 3) /* PSE */ | (1u << 4) /* TSC */ | (1u << 5) /* MSR */ | \
     (1u << 8) /* CX8 */ | (1u << 9) /* APIC */ | (1u << 11) /* SEP */ | (1u << 13) /* PGE */ | \
     (1u << 15) /* CMOV */ | (1u << 24) /* FXSR */)
/* CPUID (SDM Vol. 2A "CPUID", Table 3-8).  The leaves of a plain i686:
 *   0            highest basic leaf (1) and the vendor string.  It is
 *                Intel's, so an OS takes the code paths of a plain i686;
 *                an unknown vendor makes Linux warn that "your system may
 *                be unstable".
 *   1            signature (family 6, model 3, stepping 3), APIC ID 0 in
 *                EBX[31:24], features in EDX, and ECX bit 31: "running
 *                under a hypervisor", a bit real CPUs leave 0 so guests
 *                can tell (Linux's X86_FEATURE_HYPERVISOR).
 *   0x40000000   the hypervisor's own leaf range (the convention KVM, Xen,
 *                VMware and Hyper-V share): highest hypervisor leaf in EAX,
 *                signature "vmlabvmlabvm" in EBX, ECX, EDX.
 *   0x80000000   highest extended leaf; 0x80000001 has no extended
 *                features (no NX, no long mode); 0x80000002-4 hold the
 *                48-byte brand string /proc/cpuinfo shows as "model name".
 * Any other leaf returns zeros. */
enum { CPUID_HV_BASE = 0x40000000u, CPUID_EXT_BASE = 0x80000000u };
static void put4(uint32_t *reg, const char *s) { memcpy(reg, s, 4); }
void x86_cpuid(uint32_t leaf, uint32_t out[4])
{
    uint32_t a = 0, b = 0, c = 0, d = 0;
    static const char brand[48] = "vmlab virtual i686 CPU";
    if (leaf == 0) {
        a = 1;
        put4(&b, "Genu"), put4(&d, "ineI"), put4(&c, "ntel");
    } else if (leaf == 1) {
        a = (6 << 8) | (3 << 4) | 3;
        c = 1u << 31; /* hypervisor present */
        d = CPUID_FEATURES;
    } else if (leaf == CPUID_HV_BASE) {
        a = CPUID_HV_BASE;
        put4(&b, "vmla"), put4(&c, "bvml"), put4(&d, "abvm");
    } else if (leaf == CPUID_EXT_BASE) {
        a = CPUID_EXT_BASE + 4;
    } else if (leaf >= CPUID_EXT_BASE + 2 && leaf <= CPUID_EXT_BASE + 4) {
        const char *p = brand + 16 * (leaf - CPUID_EXT_BASE - 2);
        put4(&a, p), put4(&b, p + 4), put4(&c, p + 8), put4(&d, p + 12);
    }
    out[0] = a;
    out[1] = b;
    out[2] = c;
    out[3] = d;
}
/* CPUID as the guest of c sees it: its VMM's leaves first (cpu.h). */
void x86_cpu_cpuid(const struct x86_cpu *c, uint32_t leaf, uint32_t out[4])
{
    if (c->ext && c->ext->cpuid && c->ext->cpuid(c->ext->ctx, leaf, out))
        return;
    x86_cpuid(leaf, out);
}
/* VMCALL (0F 01 C1): a hypercall.  In VMX non-root operation it always
 * causes a VM exit, at any CPL (SDM Vol. 3C §26.1.2, exit reason 18,
 * Table C-1); outside VMX operation it is #UD.  Every engine runs its guest
 * under a VMM, so here it is always the exit.  Like an exit of the policy
 * hook, the instruction has NOT executed: EIP stays on it, and the VMM
 * writes the result (EAX) and steps over it (guest_eip + instr_len). */
void h_vmcall(struct interp *ip, const struct insn *in)
{
    exit_init(&ip->pexit, in, EXIT_VMCALL);
    ip->exit_reason = EXIT_VMCALL;
    ip->cpu->eip = in->eip;
    ip->stop = true;
}
bool strict_exit(struct interp *ip, const struct insn *in, const char *name)
{
    if (!CPU->pv_strict || cpl(ip) != 0)
        return false;
    exit_init(&ip->pexit, in, EXIT_SENSITIVE);
    snprintf(ip->pexit.message, sizeof ip->pexit.message, "%s", name);
    ip->exit_reason = EXIT_SENSITIVE;
    ip->cpu->eip = in->eip;
    ip->stop = true;
    return true;
}
void h_cpuid(struct interp *ip, const struct insn *in)
{
    struct vm_exit e; /* CPUID always exits under VT-x */
    exit_init(&e, in, EXIT_CPUID);
    if (policy_exit(ip, &e))
        return;
    uint32_t r[4];
    x86_cpu_cpuid(CPU, ip->r[R_EAX], r);
    ip->r[R_EAX] = r[0];
    ip->r[R_EBX] = r[1];
    ip->r[R_ECX] = r[2];
    ip->r[R_EDX] = r[3];
}
static uint64_t guest_tsc(struct interp *ip) { return __rdtsc() + CPU->tsc_offset; }
void h_rdtsc(struct interp *ip, const struct insn *in)
{
    (void)in;
    if ((CPU->cr4 & CR4_TSD) && cpl(ip) != 0)
        raise_gp(ip, 0);
    struct vm_exit e;
    exit_init(&e, in, EXIT_RDTSC);
    if (policy_exit(ip, &e))
        return;
    uint64_t t = guest_tsc(ip);
    ip->r[R_EAX] = (uint32_t)t;
    ip->r[R_EDX] = (uint32_t)(t >> 32);
}
enum {
    MSR_TSC = 0x10,
    MSR_APIC_BASE = 0x1B,
    MSR_BIOS_SIGN_ID = 0x8B, /* microcode revision (SDM Vol. 3A §9.11.7) */
    MSR_SYSENTER_CS = 0x174,
    MSR_SYSENTER_ESP = 0x175,
    MSR_SYSENTER_EIP = 0x176
};
bool x86_msr_read(const struct x86_cpu *c, uint32_t msr, uint64_t *v)
{
    int ext = c->ext && c->ext->rdmsr ? c->ext->rdmsr(c->ext->ctx, msr, v) : X86_EXT_NONE;
    if (ext != X86_EXT_NONE)
        return ext == X86_EXT_OK;
    switch (msr) {
    case MSR_TSC: *v = __rdtsc() + c->tsc_offset; return true;
    case MSR_APIC_BASE: *v = c->apic_base; return true;
    case MSR_BIOS_SIGN_ID: *v = 0; return true; /* no microcode update loaded */
    case MSR_SYSENTER_CS: *v = c->sysenter_cs; return true;
    case MSR_SYSENTER_ESP: *v = c->sysenter_esp; return true;
    case MSR_SYSENTER_EIP: *v = c->sysenter_eip; return true;
    default: return false;
    }
}
bool x86_msr_write(struct x86_cpu *c, uint32_t msr, uint64_t v)
{
    int ext = c->ext && c->ext->wrmsr ? c->ext->wrmsr(c->ext->ctx, msr, v) : X86_EXT_NONE;
    if (ext != X86_EXT_NONE)
        return ext == X86_EXT_OK;
    switch (msr) {
    case MSR_TSC: c->tsc_offset = v - __rdtsc(); return true;
    case MSR_APIC_BASE:
        /* SDM Vol. 3A §11.4.4 Figure 11-5: base (bits 12-31, physical
         * addresses are 32 bits here), global enable (11), BSP (8); the
         * rest, x2APIC enable (10) included, is reserved: #GP. */
        if (v & ~(uint64_t)0xfffff900u)
            return false;
        c->apic_base = (uint32_t)v;
        return true;
    case MSR_BIOS_SIGN_ID: return true; /* an OS writes 0 before CPUID, then reads */
    case MSR_SYSENTER_CS: c->sysenter_cs = (uint32_t)v; return true;
    case MSR_SYSENTER_ESP: c->sysenter_esp = (uint32_t)v; return true;
    case MSR_SYSENTER_EIP: c->sysenter_eip = (uint32_t)v; return true;
    default: return false;
    }
}
static bool msr_exit(struct interp *ip, const struct insn *in, uint32_t reason)
{
    struct vm_exit e; /* RDMSR/WRMSR: ECX in u.msr */
    exit_init(&e, in, reason);
    e.u.msr = ip->r[R_ECX];
    return policy_exit(ip, &e);
}
void h_rdmsr(struct interp *ip, const struct insn *in)
{
    need_cpl0(ip);
    if (msr_exit(ip, in, EXIT_RDMSR))
        return;
    uint64_t v;
    if (!x86_msr_read(CPU, ip->r[R_ECX], &v))
        raise_gp(ip, 0);
    ip->r[R_EAX] = (uint32_t)v;
    ip->r[R_EDX] = (uint32_t)(v >> 32);
}
void h_wrmsr(struct interp *ip, const struct insn *in)
{
    need_cpl0(ip);
    if (strict_exit(ip, in, "wrmsr") || msr_exit(ip, in, EXIT_WRMSR))
        return;
    uint64_t v = ((uint64_t)ip->r[R_EDX] << 32) | ip->r[R_EAX];
    if (!x86_msr_write(CPU, ip->r[R_ECX], v))
        raise_gp(ip, 0);
}

/* ---- SYSENTER / SYSEXIT (SDM Vol. 2): flat segments derived from
 * IA32_SYSENTER_CS: CS, SS = CS+8 at ring 0; ring-3 CS+16, SS+24. ---------- */
static void flat_seg(struct x86_seg *s, uint16_t sel, bool code, int dpl)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->attr = DA_P | DA_S | (dpl << 5) | (code ? DA_CODE | DA_RW : DA_RW) | DA_ACC | DA_DB | DA_G;
}
void h_sysenter(struct interp *ip, const struct insn *in)
{
    (void)in;
    uint16_t cs = CPU->sysenter_cs & 0xfffc;
    if (cs == 0)
        raise_gp(ip, 0);
    ip->eflags &= ~(FL_VM | FL_IF | FL_RF);
    flat_seg(&CPU->seg[S_CS], cs, true, 0);
    flat_seg(&CPU->seg[S_SS], cs + 8, false, 0);
    seg_reload_cache(ip);
    mmu_set_cpl(ip);
    ip->r[R_ESP] = CPU->sysenter_esp;
    CPU->eip = CPU->sysenter_eip;
}
void h_sysexit(struct interp *ip, const struct insn *in)
{
    (void)in;
    uint16_t cs = CPU->sysenter_cs & 0xfffc;
    if (cs == 0 || cpl(ip) != 0)
        raise_gp(ip, 0);
    flat_seg(&CPU->seg[S_CS], (cs + 16) | 3, true, 3);
    flat_seg(&CPU->seg[S_SS], (cs + 24) | 3, false, 3);
    seg_reload_cache(ip);
    mmu_set_cpl(ip);
    ip->r[R_ESP] = ip->r[R_ECX];
    CPU->eip = ip->r[R_EDX];
}
