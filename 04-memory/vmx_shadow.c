/*
 * vmx_shadow.c — shadow page tables on the VMX model, kept by the VMM
 * through CR3-load, #PF and INVLPG exits (vmx_shadow.h).
 *
 * A shadow address space is a directory of 1024 shadow page tables (NULL:
 * not present), each 1024 entries in the x86 PTE format whose frames are
 * host-physical (the RAM object, where the VMM maps guest RAM one to one).
 * The model CPU walks it: two references per TLB miss, never an EPT.
 */
#include <stdlib.h>
#include <string.h>
#include "core/vm.h"
#include "x86/cpu.h"
#include "x86/paging.h"
#include "03-hw-assisted/vmx.h"
#include "03-hw-assisted/vmx_mmu.h"
#include "03-hw-assisted/vmcs.h"
#include "04-memory/vmx_shadow.h"
#include "trace/trace.h"

#define VS_MAX     15 /* address spaces cached at most (--shadow-cache) */
#define VS_DEFAULT 8
#define WLIN_MANY  0xffffffffu

struct vspace {
    bool used;
    uint32_t gcr3; /* the guest directory (page frame) it shadows */
    uint64_t stamp;
    uint32_t *spt[1024]; /* shadow page tables                          */
    uint32_t gpt[1024];  /* guest frame each came from (PT, or the PD for 4 MiB) */
    bool large[1024];
};

struct vshadow {
    struct vmx_mmu mmu; /* first: the hook's view of us */
    struct vcpu *v;
    struct guest_ram *ram;
    unsigned npages, cap;
    struct vspace sp[VS_MAX];
    struct vspace *cur;
    uint64_t clock;
    uint32_t mode;      /* guest CR0.PG, CR4.PSE|PGE the shadows were built for */
    uint8_t *table;     /* per guest frame: a guest table, write-protected */
    uint32_t *wlin;     /* per frame: linear page + 1 mapped writable, or MANY */
    uint16_t *wsp;      /* per frame: spaces holding such a mapping         */
    uint64_t allow;     /* the store the VMM lets through (page), or ~0 */
    uint32_t allow_eip; /* ... for the instruction at this EIP          */
    vm_exit_handler_fn *next;
    void *next_ctx;
    struct {
        uint64_t walks, switches, hits, misses, evictions, mode_flushes;
        uint64_t syncs, true_faults, table_writes, zapped, protected_, revoked, invlpg;
        uint64_t spt_pages, spt_max;
    } st;
};

static struct vshadow *S(struct vmx_mmu *m) { return (struct vshadow *)m; }
static struct interp *IP(struct vshadow *s) { return vmx_interp(s->v); }

/* One TRACE_MMU event (trace/trace.h) by the instruction at the guest's EIP. */
static void event(struct vshadow *s, uint32_t kind, uint16_t flags, uint64_t qual, uint32_t addr,
                  uint64_t value)
{
    struct trace *t = vm_trace(s->v->vm);
    if (trace_on(t))
        trace_mmu(t, kind, flags, qual, addr, value, s->v->cpu.eip);
}

/* The guest's CR0 (PG lives in the read shadow) and CR4. */
static uint32_t guest_cr0(struct vshadow *s)
{
    uint32_t sh = (uint32_t)vmcs_get(vmx_vmcs(s->v), CR0_READ_SHADOW);
    return (s->v->cpu.cr0 & ~CR0_PG) | (sh & CR0_PG);
}
static uint32_t guest_mode(struct vshadow *s)
{
    return (guest_cr0(s) & CR0_PG) | (s->v->cpu.cr4 & (CR4_PSE | CR4_PGE));
}

/* ---- shadow spaces ------------------------------------------------------------------ */

static void drop_spt(struct vshadow *s, struct vspace *sp, unsigned i)
{
    if (!sp->spt[i])
        return;
    free(sp->spt[i]);
    sp->spt[i] = NULL;
    s->st.spt_pages--;
}

static void drop_space(struct vshadow *s, struct vspace *sp)
{
    for (unsigned i = 0; i < 1024; i++)
        drop_spt(s, sp, i);
    sp->used = false;
}

/* After an eviction: a frame is a guest table only if a cached shadow
 * still uses it (a freed table reused as data stops trapping). */
static void recount_tables(struct vshadow *s)
{
    for (unsigned k = 0; k < s->cap; k++) { /* bit 1: still used */
        struct vspace *sp = &s->sp[k];
        if (!sp->used)
            continue;
        if (sp->gcr3 < s->npages)
            s->table[sp->gcr3] |= 2;
        for (unsigned i = 0; i < 1024; i++)
            if (sp->spt[i] && sp->gpt[i] < s->npages)
                s->table[sp->gpt[i]] |= 2;
    }
    for (uint32_t p = 0; p < s->npages; p++) {
        if (s->table[p] == 1) /* a table no shadow uses: unsynced */
            event(s, TRACE_MMU_UNSYNC, 0, (uint64_t)p << 12, 0, 0);
        s->table[p] >>= 1;
    }
}

static void drop_all(struct vshadow *s)
{
    for (unsigned k = 0; k < s->cap; k++)
        if (s->sp[k].used)
            drop_space(s, &s->sp[k]);
    memset(s->table, 0, s->npages);
    memset(s->wsp, 0, s->npages * sizeof *s->wsp);
    s->cur = NULL;
    interp_flush_tlb_all(IP(s));
}

/* A guest CR3 load (or a paging-mode change): find the shadow. */
static void vs_switch(struct vshadow *s)
{
    uint32_t mode = guest_mode(s), gcr3 = s->v->cpu.cr3 >> 12;
    if (mode != s->mode) { /* rights and page sizes change meaning */
        drop_all(s);
        s->mode = mode;
        s->st.mode_flushes++;
    }
    s->st.switches++;
    struct vspace *lru = NULL, *sp = NULL;
    for (unsigned k = 0; k < s->cap && !sp; k++)
        if (s->sp[k].used && s->sp[k].gcr3 == gcr3)
            sp = &s->sp[k];
    for (unsigned k = 0; k < s->cap && !sp && !(lru && !lru->used); k++)
        if (!s->sp[k].used || !lru || s->sp[k].stamp < lru->stamp)
            lru = &s->sp[k]; /* a free one, else the least recently used */
    if (sp) {
        s->st.hits++;
    } else {
        s->st.misses++;
        sp = lru;
        if (sp->used) {
            s->st.evictions++;
            event(s, TRACE_MMU_EVICT, 0, (uint64_t)sp->gcr3 << 12, gcr3 << 12, 0);
            drop_space(s, sp);
            recount_tables(s);
        }
        sp->used = true;
        sp->gcr3 = gcr3;
    }
    sp->stamp = ++s->clock;
    s->cur = sp;
}

/* ---- write protection of guest tables -------------------------------------------------- */

/* Frame gfn becomes a guest table: no shadow may map it writable. */
static void protect(struct vshadow *s, uint32_t gfn)
{
    if (gfn >= s->npages || s->table[gfn])
        return;
    s->table[gfn] = 1;
    s->st.protected_++;
    for (unsigned k = 0; k < s->cap && s->wsp[gfn]; k++) {
        if (!(s->wsp[gfn] & (1u << k)))
            continue;
        struct vspace *sp = &s->sp[k];
        for (unsigned i = 0; i < 1024; i++) {
            if (!sp->spt[i] || (s->wlin[gfn] != WLIN_MANY && i != (s->wlin[gfn] - 1) >> 22))
                continue;
            for (unsigned j = 0; j < 1024; j++)
                if ((sp->spt[i][j] >> 12) == gfn && (sp->spt[i][j] & PTE_W)) {
                    sp->spt[i][j] &= ~PTE_W;
                    s->st.revoked++;
                    if (sp == s->cur)
                        interp_invlpg(IP(s), i << 22 | j << 12);
                }
        }
    }
    s->wsp[gfn] = 0;
    s->wlin[gfn] = 0;
}

/* The guest is about to store to its table entry at gpa: drop what the
 * entry produced, in every shadow built from that table. */
static void zap(struct vshadow *s, uint32_t gpa)
{
    uint32_t gfn = gpa >> 12, idx = (gpa & 0xfff) >> 2, lin = 0;
    uint64_t zapped = s->st.zapped;
    bool pde = false;
    for (unsigned k = 0; k < s->cap; k++) {
        struct vspace *sp = &s->sp[k];
        if (!sp->used)
            continue;
        if (sp->gcr3 == gfn && sp->spt[idx]) { /* a PDE: its 4 MiB */
            drop_spt(s, sp, idx);
            s->st.zapped++;
            pde = true;
            lin = idx << 22;
            if (sp == s->cur)
                interp_flush_tlb_all(IP(s));
        }
        for (unsigned i = 0; i < 1024; i++)
            if (sp->spt[i] && !sp->large[i] && sp->gpt[i] == gfn && sp->spt[i][idx]) {
                sp->spt[i][idx] = 0;
                s->st.zapped++;
                lin = i << 22 | idx << 12;
                if (sp == s->cur)
                    interp_invlpg(IP(s), i << 22 | idx << 12);
            }
    }
    if (s->st.zapped != zapped) /* the write changed what a shadow maps */
        event(s, TRACE_MMU_SYNC, pde ? TRACE_F_MMU_PDE : 0, gpa, lin, s->st.zapped - zapped);
}

/* ---- the VMM's #PF exit ------------------------------------------------------------------ */

/* Fill the shadow entry of lin from the guest's walk w. */
static void sync(struct vshadow *s, uint32_t lin, const struct pt_walk *w)
{
    struct vspace *sp = s->cur;
    unsigned i = lin >> 22, j = (lin >> 12) & 1023;
    if (!sp->spt[i]) {
        sp->spt[i] = calloc(1024, sizeof(uint32_t));
        if (!sp->spt[i])
            return; /* the fault repeats; the run's timeout ends it */
        if (++s->st.spt_pages > s->st.spt_max)
            s->st.spt_max = s->st.spt_pages;
    }
    sp->large[i] = w->large;
    sp->gpt[i] = (w->large ? w->ref[0].table : w->ref[1].table) >> 12;
    protect(s, sp->gcr3);
    protect(s, sp->gpt[i]);
    uint32_t gfn = w->gpa >> 12;
    bool wr = w->writable && w->dirty && !(gfn < s->npages && s->table[gfn]);
    sp->spt[i][j] =
        (w->gpa & ~0xfffu) | PTE_P | PTE_A | PTE_D | (w->user ? PTE_U : 0) | (wr ? PTE_W : 0);
    if (wr && gfn < s->npages) {
        uint32_t l = (lin & ~0xfffu) + 1;
        s->wlin[gfn] = s->wsp[gfn] && s->wlin[gfn] != l ? WLIN_MANY : l;
        s->wsp[gfn] |= (uint16_t)(1u << (sp - s->sp));
    }
    s->st.syncs++;
}

static int vs_exit(void *ctx, struct vcpu *v, struct vm_exit *e)
{
    struct vshadow *s = ctx;
    s->allow = ~0ull;
    if (e->reason != EXIT_EXCEPTION_NMI || e->u.exc.vector != EXC_PF || !s->cur)
        return s->next ? s->next(s->next_ctx, v, e) : VM_EXIT_PASS;
    uint32_t lin = e->u.exc.cr2, err = e->u.exc.error_code;
    struct pt_walk w;
    if (!pt_walk(s->ram, guest_cr0(s), v->cpu.cr3, v->cpu.cr4, lin, err & (ACC_W | ACC_U), &w)) {
        s->st.true_faults++; /* the guest's own: inject it with its error code */
        e->u.exc.error_code = w.error_code;
        return s->next ? s->next(s->next_ctx, v, e) : VM_EXIT_PASS;
    }
    uint32_t gfn = w.gpa >> 12;
    if ((err & ACC_W) && gfn < s->npages && s->table[gfn] && (err & PFEC_P)) {
        event(s, TRACE_MMU_WP_FAULT, 0, w.gpa, lin, 0);
        s->st.table_writes++;       /* a store to a guest table: the instruction may */
        s->allow = w.gpa & ~0xfffu; /* store to it, and each store zaps (vs_xlate) */
        s->allow_eip = e->guest_eip;
        return VM_EXIT_HANDLED;
    }
    sync(s, lin, &w);
    return VM_EXIT_HANDLED;
}

/* ---- the model CPU walks the shadow (vmx_mmu.h) ---------------------------------------- */

static int vs_xlate(struct vmx_mmu *m, struct x86_cpu *cpu, uint32_t lin, unsigned acc,
                    struct interp_xlate *x, struct vm_exit *e)
{
    struct vshadow *s = S(m);
    struct pt_walk *w = &x->walk;
    (void)e;
    memset(w, 0, sizeof *w);
    w->lin = lin;
    w->acc = acc;
    s->st.walks++;
    if (!(guest_cr0(s) & CR0_PG) || !s->cur) { /* the identity shadow */
        w->ok = w->writable = w->user = w->dirty = true;
        w->gpa = lin;
        x->read = x->write = x->fetch = true;
        return INTERP_XLATE_OK;
    }
    uint32_t *spt = s->cur->spt[lin >> 22];
    uint32_t pte = spt ? spt[(lin >> 12) & 1023] : 0, err = acc & (ACC_W | ACC_U);
    if (!(pte & PTE_P))
        return w->error_code = err, INTERP_XLATE_PF;
    bool user = pte & PTE_U, wr = pte & PTE_W, wp = cpu->cr0 & CR0_WP;
    bool ok = (!(acc & ACC_U) || user) && (!(acc & ACC_W) || wr || (!(acc & ACC_U) && !wp));
    if (!ok && (acc & ACC_W) && (pte & ~0xfffu) == s->allow && x->eip == s->allow_eip) {
        ok = true; /* a store to a guest table the VMM lets through: each */
        zap(s, (pte & ~0xfffu) | (lin & 0xfff)); /* store (REP STOS) drops its entry */
    }
    if (!ok)
        return w->error_code = err | PFEC_P, INTERP_XLATE_PF;
    w->ok = w->dirty = true;
    w->user = user;
    w->writable = wr;
    w->gpa = (pte & ~0xfffu) | (lin & 0xfff);
    x->read = x->fetch = true;
    x->write = (acc & ACC_U) ? user && wr : wr || !wp;
    return INTERP_XLATE_OK;
}

static void vs_tlb_flush(struct vmx_mmu *m, int kind, uint32_t lin)
{
    struct vshadow *s = S(m);
    if (kind != INTERP_FLUSH_PAGE || !s->cur)
        return;
    uint32_t *spt = s->cur->spt[lin >> 22]; /* INVLPG: KVM drops the entry too */
    if (spt && spt[(lin >> 12) & 1023]) {
        spt[(lin >> 12) & 1023] = 0;
        s->st.invlpg++;
    }
}

static void vs_cr_loaded(struct vmx_mmu *m, struct x86_cpu *cpu, int cr)
{
    cpu->cr0 |= CR0_PG; /* no unrestricted guest: the CPU pages, always */
    vs_switch(S(m));
    (void)cr;
}

static void vs_setup(struct vmx_mmu *m, struct vmcs *vmcs, struct x86_cpu *cpu)
{
    struct vshadow *s = S(m);
    uint32_t p = (uint32_t)vmcs_get(vmcs, CPU_BASED_VM_EXEC_CONTROL);
    vmcs_write(vmcs, CPU_BASED_VM_EXEC_CONTROL,
               p | CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_INVLPG_EXITING);
    uint32_t p2 = (uint32_t)vmcs_get(vmcs, SECONDARY_VM_EXEC_CONTROL);
    vmcs_write(vmcs, SECONDARY_VM_EXEC_CONTROL,
               p2 & ~(SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST));
    vmcs_write(vmcs, EXCEPTION_BITMAP, vmcs_get(vmcs, EXCEPTION_BITMAP) | 1u << EXC_PF);
    vmcs_write(vmcs, CR0_GUEST_HOST_MASK, vmcs_get(vmcs, CR0_GUEST_HOST_MASK) | CR0_PG);
    vmcs_write(vmcs, CR4_GUEST_HOST_MASK, vmcs_get(vmcs, CR4_GUEST_HOST_MASK) | CR4_PSE | CR4_PGE);
    vmcs_write(vmcs, GUEST_CR0, vmcs_get(vmcs, GUEST_CR0) | CR0_PG);
    cpu->cr0 |= CR0_PG;
    s->mode = ~0u;
}

static void vs_entry(struct vmx_mmu *m, const struct vmcs *vmcs)
{
    (void)m; /* no EPT, no VPID: the shadow is the VMM's business */
    (void)vmcs;
}

static void vs_stats(struct vmx_mmu *m, FILE *out)
{
    struct vshadow *s = S(m);
    unsigned used = 0;
    for (unsigned k = 0; k < s->cap; k++)
        used += s->sp[k].used;
    fprintf(out,
            "shadow: %llu address-space switches: %llu hits, %llu misses, %llu evictions "
            "(cache of %u, LRU), %llu mode flushes\n",
            (unsigned long long)s->st.switches, (unsigned long long)s->st.hits,
            (unsigned long long)s->st.misses, (unsigned long long)s->st.evictions, s->cap,
            (unsigned long long)s->st.mode_flushes);
    fprintf(out,
            "shadow: %llu #PF exits: %llu shadow syncs (hidden), %llu true faults injected, %llu "
            "guest table writes trapped; %llu shadow entries dropped by them, %llu by INVLPG; "
            "%llu tables write-protected, %llu writable mappings revoked; %llu walks\n",
            (unsigned long long)(s->st.syncs + s->st.true_faults + s->st.table_writes),
            (unsigned long long)s->st.syncs, (unsigned long long)s->st.true_faults,
            (unsigned long long)s->st.table_writes, (unsigned long long)s->st.zapped,
            (unsigned long long)s->st.invlpg, (unsigned long long)s->st.protected_,
            (unsigned long long)s->st.revoked, (unsigned long long)s->st.walks);
    fprintf(out,
            "shadow: memory: %u shadows cached, %llu shadow page tables (%llu KiB, at most "
            "%llu KiB) + %u KiB of directories\n",
            used, (unsigned long long)s->st.spt_pages, (unsigned long long)s->st.spt_pages * 4,
            (unsigned long long)s->st.spt_max * 4, used * 4);
}

static void vs_destroy(struct vmx_mmu *m)
{
    struct vshadow *s = S(m);
    for (unsigned k = 0; k < VS_MAX; k++)
        if (s->sp[k].used)
            drop_space(s, &s->sp[k]);
    free(s->table);
    free(s->wlin);
    free(s->wsp);
    free(s);
}

static const struct vmx_mmu_ops shadow_ops = {
    .setup = vs_setup,
    .entry = vs_entry,
    .xlate = vs_xlate,
    .tlb_flush = vs_tlb_flush,
    .cr_loaded = vs_cr_loaded,
    .print_stats = vs_stats,
    .destroy = vs_destroy,
};

int vmx_shadow_init(struct vcpu *v, char *err, size_t len)
{
    const char *n = vm_engine_option(v->vm, "--shadow-cache");
    if (vmx_engine.init(v, err, len) < 0)
        return -1;
    struct vshadow *s = calloc(1, sizeof *s);
    if (s) {
        s->ram = vm_ram(v->vm);
        s->npages = (unsigned)(s->ram->size >> 12);
        s->table = calloc(s->npages, 1);
        s->wlin = calloc(s->npages, sizeof *s->wlin);
        s->wsp = calloc(s->npages, sizeof *s->wsp);
    }
    if (!s || !s->table || !s->wlin || !s->wsp) {
        snprintf(err, len, "mem: out of memory");
        if (s)
            vs_destroy(&s->mmu);
        vmx_engine.fini(v);
        return -1;
    }
    s->mmu.ops = &shadow_ops;
    s->v = v;
    s->cap = n ? (unsigned)atoi(n) : VS_DEFAULT;
    if (s->cap < 1 || s->cap > VS_MAX)
        s->cap = VS_DEFAULT;
    s->allow = ~0ull;
    s->next = vm_exit_handler(v->vm, &s->next_ctx); /* stage 03's, behind ours */
    vm_set_exit_handler(v->vm, vs_exit, s);
    vmx_set_mmu(v, &s->mmu);
    return 0;
}
