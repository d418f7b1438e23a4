/*
 * mem_vmx.c — "--engine vmx --mmu ept" of vmm-mem: the VMM's side of EPT.
 *
 * At start the VMM builds a 4-level EPT that maps guest RAM one to one
 * onto the RAM object (4 KiB pages, RWX, write-back), points EPTP at it
 * with "enable EPT" and, by default, "enable VPID" (VPID 1) set, and plugs
 * the model CPU's 2-D walk (ept_mmu.h) into stage 03's VMX model.  Then
 * the guest's paging never exits: CR3 loads, INVLPG and page faults are
 * the guest's own business.  What exits is what EPT does not map:
 *
 *   MMIO  a guest-physical page outside RAM (the local and I/O APICs):
 *         the first access is an EPT violation (48); the VMM marks the
 *         page with a misconfigured entry (write without read), as KVM
 *         does, so every later access is a misconfiguration (49), and
 *         lets the model complete the access against the device (KVM
 *         emulates the instruction);
 *   --ept-protect ro|xo  the experiment: every RAM page is made read-only
 *         (R+X, no W) or execute-only (X) behind the guest's back; each
 *         first access EPT does not allow is a violation whose
 *         qualification says which access and what EPT allowed, and the
 *         VMM restores RWX, INVEPTs and resumes: the guest never knows.
 */
#include <stdlib.h>
#include <string.h>
#include "core/vm.h"
#include "03-hw-assisted/vmx.h"
#include "03-hw-assisted/vmx_mmu.h"
#include "03-hw-assisted/vmcs.h"
#include "04-memory/mem_vmx.h"
#include "04-memory/mem_bt.h"
#include "04-memory/ept_mmu.h"
#include "04-memory/vmx_shadow.h"

struct mem_vmx {
    struct vmx_mmu mmu; /* first: the hook's view of us */
    struct vcpu *v;
    struct ept_mem mem;
    struct ept_cpu cpu;
    uint64_t eptp;
    unsigned protect; /* --ept-protect: permissions of RAM pages at start */
    vm_exit_handler_fn *next;
    void *next_ctx;
    struct {
        uint64_t restored, mmio_exits, mmio_pages;
    } st;
};

static struct mem_vmx *M(struct vmx_mmu *m) { return (struct mem_vmx *)m; }

/* ---- the hook (03-hw-assisted/vmx_mmu.h) ------------------------------------------ */

static void ept_setup(struct vmx_mmu *mm, struct vmcs *vmcs, struct x86_cpu *cpu)
{
    struct mem_vmx *m = M(mm);
    (void)cpu;
    uint32_t p2 = (uint32_t)vmcs_get(vmcs, SECONDARY_VM_EXEC_CONTROL);
    p2 |= SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST;
    if (m->cpu.vpid) {
        p2 |= SECONDARY_EXEC_ENABLE_VPID;
        vmcs_write(vmcs, VIRTUAL_PROCESSOR_ID, 1); /* 0 is the VMM's own */
    }
    vmcs_write(vmcs, SECONDARY_VM_EXEC_CONTROL, p2);
    vmcs_write(vmcs, EPT_POINTER, m->eptp);
}

/* VM entry: the CPU takes EPTP from the VMCS; without VPID the linear and
 * combined mappings do not survive it (SDM Vol. 3C §29.4.3.1). */
static void ept_entry(struct vmx_mmu *mm, const struct vmcs *vmcs)
{
    struct mem_vmx *m = M(mm);
    m->cpu.eptp = vmcs_get(vmcs, EPT_POINTER);
    if (!(vmcs_get(vmcs, SECONDARY_VM_EXEC_CONTROL) & SECONDARY_EXEC_ENABLE_VPID)) {
        interp_flush_tlb_all(vmx_interp(m->v));
        m->cpu.st.entry_flushes++;
    }
}

static int ept_xlate(struct vmx_mmu *mm, struct x86_cpu *cpu, uint32_t lin, unsigned acc,
                     struct interp_xlate *x, struct vm_exit *e)
{
    return ept_translate(&M(mm)->cpu, cpu->cr0, cpu->cr3, cpu->cr4, lin, acc, x, e);
}

static void ept_tlb_flush(struct vmx_mmu *mm, int kind, uint32_t lin)
{
    (void)kind; /* INVLPG drops every paging-structure cache entry too (SDM Vol. 3A §4.10.4.1) */
    (void)lin;
    ept_flush_linear(&M(mm)->cpu);
}

static void ept_stats(struct vmx_mmu *mm, FILE *out)
{
    struct mem_vmx *m = M(mm);
    ept_print_stats(&m->cpu, out);
    fprintf(out,
            "ept: VMM: EPTP 0x%llx, %u KiB of EPT tables for %llu MiB of RAM; %llu violations "
            "handled by restoring access (--ept-protect), %llu MMIO exits on %llu pages\n",
            (unsigned long long)m->eptp, m->mem.used * 4,
            (unsigned long long)(m->mem.ram->size >> 20), (unsigned long long)m->st.restored,
            (unsigned long long)m->st.mmio_exits, (unsigned long long)m->st.mmio_pages);
}

static void ept_destroy(struct vmx_mmu *mm)
{
    ept_mem_fini(&M(mm)->mem);
    free(mm);
}

static const struct vmx_mmu_ops ept_ops = {
    .setup = ept_setup,
    .entry = ept_entry,
    .xlate = ept_xlate,
    .tlb_flush = ept_tlb_flush,
    .print_stats = ept_stats,
    .destroy = ept_destroy,
};

/* ---- the VMM's exits 48 and 49 ---------------------------------------------------- */

/* INVEPT, single-context (SDM Vol. 3C ch. 31, "INVEPT"): the guest-physical and
 * combined mappings derived from this EPTP go. */
static void invept(struct mem_vmx *m)
{
    ept_invept(&m->cpu);
    interp_flush_tlb_all(vmx_interp(m->v));
}

static int mem_exit(void *ctx, struct vcpu *v, struct vm_exit *e)
{
    struct mem_vmx *m = ctx;
    uint64_t gpa = e->u.ept.gpa, page = gpa & ~0xfffull;
    bool ram = gpa < m->mem.ram->size;
    m->cpu.mmio_allow = ~0ull; /* the emulated access, if any, is done */
    switch (e->reason) {
    case EXIT_EPT_VIOLATION:
        if (!ram) { /* MMIO: a misconfigured entry from now on (KVM's MMIO sptes), */
            if (ept_map(&m->mem, m->eptp, page, page, EPT_W) == 0) /* if the pool has room */
                m->st.mmio_pages++;
            m->st.mmio_exits++;
            m->cpu.mmio_allow = page;
            m->cpu.mmio_eip = e->guest_eip;
            return VM_EXIT_HANDLED;
        }
        uint64_t *leaf = ept_leaf(&m->mem, m->eptp, gpa);
        if (m->protect && leaf && (*leaf & EPT_RWX) != EPT_RWX) {
            *leaf |= EPT_RWX; /* the guest may have it after all */
            invept(m);
            m->st.restored++;
            return VM_EXIT_HANDLED;
        }
        break;
    case EXIT_EPT_MISCONFIG:
        if (!ram) { /* MMIO: the device access, "emulated" */
            m->st.mmio_exits++;
            m->cpu.mmio_allow = page;
            m->cpu.mmio_eip = e->guest_eip;
            return VM_EXIT_HANDLED;
        }
        break;
    default: return m->next ? m->next(m->next_ctx, v, e) : VM_EXIT_PASS;
    }
    return VM_EXIT_PASS; /* nobody's: the core ends the run with the history */
}

/* ---- the engine ------------------------------------------------------------------- */

static int check_on_off(const char *opt, const char *v, char *err, size_t len)
{
    if (strcmp(v, "on") && strcmp(v, "off")) {
        snprintf(err, len, "%s '%s': expected 'on' or 'off'", opt, v);
        return -1;
    }
    return 0;
}
static int check_vpid(const char *v, char *err, size_t len)
{
    return check_on_off("--vpid", v, err, len);
}
static int check_ad(const char *v, char *err, size_t len)
{
    return check_on_off("--ept-ad", v, err, len);
}
static int check_cache(const char *v, char *err, size_t len)
{
    return check_on_off("--ept-cache", v, err, len);
}
static int check_protect(const char *v, char *err, size_t len)
{
    if (strcmp(v, "ro") && strcmp(v, "xo")) {
        snprintf(err, len,
                 "--ept-protect '%s': expected 'ro' (read+execute) or 'xo' (execute-only)", v);
        return -1;
    }
    return 0;
}
static int check_mmu(const char *v, char *err, size_t len)
{
    if (strcmp(v, "ept") && strcmp(v, "shadow")) {
        snprintf(err, len, "--mmu '%s': the vmx engine has 'ept' and 'shadow', bt 'shadow'", v);
        return -1;
    }
    return 0;
}

const struct engine_option mem_vmx_options[] = {
    { "--mmu", "MODE",
      "ept (default: the VMM's EPT, walked in two dimensions) or\nshadow (CR3-load, INVLPG and #PF "
      "exiting; the VMM's tables)",
      check_mmu },
    { "--vpid", "on|off", "tag the TLB with a VPID (default on); off flushes it\nat every VM entry",
      check_vpid },
    { "--ept-ad", "on|off", "EPT accessed and dirty flags (EPTP bit 6, default off)", check_ad },
    { "--ept-cache", "on|off",
      "the guest-physical and paging-structure caches (default\non); off: every TLB miss is a full "
      "2-D walk",
      check_cache },
    { "--shadow-cache", "N",
      "--mmu shadow: address spaces kept (1..15, default 8); a CR3\nnot cached evicts the least "
      "recently used",
      mem_check_cache },
    { "--ept-protect", "ro|xo",
      "make every RAM page read-only or execute-only in EPT\nbehind the guest's back; violations "
      "restore access",
      check_protect },
    { NULL },
};

static bool opt_on(struct vcpu *v, const char *name, bool dflt)
{
    const char *s = vm_engine_option(v->vm, name);
    return s ? !strcmp(s, "on") : dflt;
}

/* The VMM's EPT: guest RAM one to one, permissions perm. */
static int build_ept(struct mem_vmx *m, struct guest_ram *ram, bool ad, char *err, size_t len)
{
    unsigned pages = (unsigned)(ram->size >> 21) + 16; /* PTs + upper levels + MMIO */
    if (ept_mem_init(&m->mem, ram, pages) < 0) {
        snprintf(err, len, "mem: out of memory for the EPT");
        return -1;
    }
    m->eptp = ept_mem_alloc(&m->mem) | EPTP_WB | EPTP_WALK | (ad ? EPTP_AD : 0);
    uint64_t perm = m->protect ? m->protect : EPT_RWX;
    for (uint64_t gpa = 0; gpa < ram->size; gpa += 4096)
        if (ept_map(&m->mem, m->eptp, gpa, gpa, perm) < 0) {
            snprintf(err, len, "mem: the EPT does not fit its pool");
            return -1;
        }
    return 0;
}

/* A test hook (tests/mem/vmx.sh), as VMLAB_CHECK_INJECT is the lock-step
 * checker's: VMLAB_EPT_INJECT=rsvd|memtype|wonly breaks the EPT entry of
 * the guest's first page of code (1 MiB) — a reserved bit, memory type 7,
 * write without read, not present — so that its first fetch is a
 * misconfiguration (exit 49) or a violation (48) that nobody handles: a
 * fatal end with the history, status 70, never a VMM crash. */
static void inject_bad_entry(struct mem_vmx *m)
{
    const char *how = getenv("VMLAB_EPT_INJECT");
    uint64_t *pte = how ? ept_leaf(&m->mem, m->eptp, 0x100000) : NULL;
    if (!pte)
        return;
    if (!strcmp(how, "rsvd"))
        *pte |= 1ull << 45;
    else if (!strcmp(how, "memtype"))
        *pte |= EPT_MT(7);
    else if (!strcmp(how, "wonly"))
        *pte = (*pte & ~EPT_RWX) | EPT_W;
    else if (!strcmp(how, "absent")) /* not present: a violation (48) */
        *pte &= ~EPT_RWX;
}

static int mem_vmx_init(struct vcpu *v, char *err, size_t len)
{
    const char *mmu = vm_engine_option(v->vm, "--mmu");
    if (mmu && !strcmp(mmu, "shadow"))
        return vmx_shadow_init(v, err, len);
    if (vmx_engine.init(v, err, len) < 0)
        return -1;
    struct mem_vmx *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, len, "mem: out of memory");
        vmx_engine.fini(v);
        return -1;
    }
    m->mmu.ops = &ept_ops;
    m->v = v;
    const char *prot = vm_engine_option(v->vm, "--ept-protect");
    if (prot)
        m->protect = !strcmp(prot, "ro") ? (unsigned)(EPT_R | EPT_X) : (unsigned)EPT_X;
    if (build_ept(m, vm_ram(v->vm), opt_on(v, "--ept-ad", false), err, len) < 0) {
        ept_destroy(&m->mmu);
        vmx_engine.fini(v);
        return -1;
    }
    inject_bad_entry(m);
    ept_cpu_init(&m->cpu, &m->mem, opt_on(v, "--vpid", true), opt_on(v, "--ept-cache", true));
    m->cpu.trace = vm_trace(v->vm); /* every 2-D walk, when somebody reads the trace */
    m->next = vm_exit_handler(v->vm, &m->next_ctx); /* stage 03's, behind ours */
    vm_set_exit_handler(v->vm, mem_exit, m);
    vmx_set_mmu(v, &m->mmu);
    return 0;
}

/* The rest is stage 03's engine as it is. */
static int mem_vmx_run(struct vcpu *v, struct vm_exit *e) { return vmx_engine.run(v, e); }
static void mem_vmx_state_changed(struct vcpu *v) { vmx_engine.state_changed(v); }
static void mem_vmx_stats(struct vcpu *v, FILE *out) { vmx_engine.print_stats(v, out); }
static void mem_vmx_fini(struct vcpu *v) { vmx_engine.fini(v); }

/* --dot --walk ADDR under EPT: the model CPU's 2-D walk of ADDR with the
 * guest's final CR0/CR3/CR4, every reference made (the caches bypassed). */
static bool mem_vmx_dot_walk(struct vcpu *v, FILE *f, uint32_t lin)
{
    struct vmx_mmu *mm = vmx_get_mmu(v);
    if (!mm || mm->ops != &ept_ops)
        return false; /* --mmu shadow: the guest's own walk */
    struct mem_vmx *m = M(mm);
    struct ept_2d r;
    ept_walk_lin(&m->cpu, v->cpu.cr0, v->cpu.cr3, v->cpu.cr4, lin, &r);
    ept_2d_dot(f, &r, m->eptp, "--walk, at the end of the run");
    return true;
}

const struct engine_ops mem_vmx_engine = {
    .name = "vmx",
    .summary = "the VMX model (stage 03) with EPT or shadow page tables",
    .init = mem_vmx_init,
    .run = mem_vmx_run,
    .counts_instructions = true,
    .state_changed = mem_vmx_state_changed,
    .print_stats = mem_vmx_stats,
    .dot_walk = mem_vmx_dot_walk,
    .fini = mem_vmx_fini,
};
