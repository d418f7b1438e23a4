/*
 * ept_mmu.c — the two-dimensional walk of the model CPU with EPT on (SDM
 * Vol. 3C §29.3: "guest-physical addresses ... used as part of the guest
 * paging structures are translated through EPT"), and its caches.  See
 * ept_mmu.h.
 */
#include <string.h>
#include "04-memory/ept_mmu.h"
#include "core/lab.h"
#include "x86/cpu.h"
#include "trace/trace.h"

void ept_cpu_init(struct ept_cpu *c, struct ept_mem *mem, bool vpid, bool caches)
{
    memset(c, 0, sizeof *c);
    c->mem = mem;
    c->vpid = vpid;
    c->caches = caches;
    c->mmio_allow = ~0ull;
}

void ept_flush_linear(struct ept_cpu *c)
{
    memset(c->pde_ok, 0, sizeof c->pde_ok);
    c->st.flushes++;
}

void ept_invept(struct ept_cpu *c)
{
    for (unsigned i = 0; i < EPT_GPA_CACHE; i++)
        if (c->gpa[i].eptp == c->eptp)
            c->gpa[i].eptp = 0;
    memset(c->pde_ok, 0, sizeof c->pde_ok); /* combined entries hold EP4TA too */
    c->st.invept++;
}

/* One guest-physical reference of the walk. */
struct gref {
    uint32_t lin;  /* the linear address being translated   */
    uint32_t eip;  /* by the instruction at                  */
    bool final;    /* the access to the translation itself   */
    int row;       /* EPT_ROW_*: the access being translated  */
    unsigned refs; /* references made so far by this walk    */
    unsigned perm; /* EPT permissions of the page (AND)      */
    bool dirty;    /* its EPT D flag (A/D on)                */
    uint64_t hpa;
};

/* Build the exit of a failed EPT walk (reason 48 or 49).  A violation's
 * exit qualification (SDM Vol. 3C Table 28-7): bit 0 the access was a
 * read, 1 a write, 2 an instruction fetch (one of them: w->acc); bits 5:3
 * the R, W, X the EPT entries allowed (w->perm); bit 7 the guest linear
 * address is valid (always here: every access of the model CPU has one);
 * bit 8 set when the access was to the translation of that linear address
 * (g->final), clear when it was to a guest paging-structure entry (the
 * guest's PDE or PTE, or setting their A/D bits).  It goes in both
 * e->qualification and e->u.ept.qual; count it in c->st as --stats says
 * (violations, viol_acc by access, viol_tables, viol_perm by bits 5:3). */
static int ept_exit(struct ept_cpu *c, const struct ept_walk *w, const struct gref *g,
                    struct vm_exit *e)
{
    memset(e, 0, sizeof *e);
    e->u.ept.gpa = w->gpa;
    e->u.ept.gla = g->lin;
    if (w->result == EPT_MISCONFIG) {
        e->reason = EXIT_EPT_MISCONFIG; /* qualification undefined: 0 */
        c->st.misconfigs++;
        return INTERP_XLATE_EXIT;
    }
    e->reason = EXIT_EPT_VIOLATION;
    /* LAB 4 BEGIN: the exit qualification of an EPT violation */
    uint32_t q = (w->acc & EPT_W) ? EPTQ_WRITE : (w->acc & EPT_X) ? EPTQ_FETCH : EPTQ_READ;
    q |= w->perm << EPTQ_PERM_SHIFT | EPTQ_GLA_VALID | (g->final ? EPTQ_GLA_XLATE : 0);
    e->qualification = q;
    e->u.ept.qual = q;
    c->st.violations++;
    c->st.viol_acc[(q & EPTQ_WRITE) ? 1 : (q & EPTQ_FETCH) ? 2 : 0]++;
    c->st.viol_tables += !g->final;
    c->st.viol_perm[w->perm & 7]++;
    /* LAB 4 END */
    return INTERP_XLATE_EXIT;
}

/* Translate guest-physical gpa for an EPT access acc: from the cache of
 * guest-physical mappings, else by an EPT walk (4 references). */
static int gpa_ref(struct ept_cpu *c, uint64_t gpa, unsigned acc, struct gref *g, struct vm_exit *e)
{
    uint32_t gfn = (uint32_t)(gpa >> 12);
    struct ept_gpa_entry *t = &c->gpa[gfn % EPT_GPA_CACHE];
    bool ad = c->eptp & EPTP_AD;
    struct ept_row *rw = c->rec ? &c->rec->row[g->row] : NULL;
    if (rw) {
        rw->used = true;
        rw->gpa = gpa;
    }
    if ((gpa & ~0xfffull) == c->mmio_allow && g->eip == c->mmio_eip) { /* the VMM emulates it */
        g->perm = EPT_RWX;
        g->dirty = true;
        g->hpa = gpa;
        if (rw)
            rw->cached = true, rw->hpa = gpa;
        return INTERP_XLATE_OK;
    }
    if (c->caches && t->eptp == c->eptp && t->gfn == gfn && !(acc & ~t->perm) &&
        (!(acc & EPT_W) || !ad || t->dirty)) {
        c->st.gpa_hits++;
        g->perm = t->perm;
        g->dirty = t->dirty;
        g->hpa = t->hfn << 12 | (gpa & 0xfff);
        if (rw)
            rw->cached = true, rw->hpa = g->hpa;
        return INTERP_XLATE_OK;
    }
    c->st.gpa_misses++;
    struct ept_walk w;
    int r = ept_walk(c->mem, c->eptp, gpa, acc, &w);
    g->refs += (unsigned)w.nrefs;
    c->st.ept_refs += (uint64_t)w.nrefs;
    if (rw) {
        rw->nept = w.nrefs;
        memcpy(rw->ept, w.ref, sizeof w.ref);
        rw->hpa = w.hpa;
    }
    if (r != EPT_OK)
        return ept_exit(c, &w, g, e);
    g->perm = w.perm;
    g->dirty = !ad || w.dirty;
    g->hpa = w.hpa;
    *t = (struct ept_gpa_entry){ c->eptp, gfn, w.hpa >> 12, w.perm, g->dirty };
    return INTERP_XLATE_OK;
}

/* A guest paging-structure entry at gpa, read through EPT; *p its host
 * address.  With EPT A/D flags on, such accesses are writes (§29.3.3.2). */
static int table_ref(struct ept_cpu *c, uint32_t gpa, struct gref *g, uint32_t **p,
                     struct vm_exit *e)
{
    int r = gpa_ref(c, gpa, EPT_R | ((c->eptp & EPTP_AD) ? EPT_W : 0), g, e);
    if (r != INTERP_XLATE_OK)
        return r;
    g->refs++;
    c->st.guest_refs++;
    *p = gpa_to_hva(c->mem->ram, g->hpa, 4); /* guest tables live in RAM */
    return INTERP_XLATE_OK;
}

/* Setting A or D in a guest entry is a write to its page (§29.3.3.2),
 * whose EPT permissions were perm when the entry was read. */
static int table_write(struct ept_cpu *c, uint32_t gpa, unsigned perm, struct gref *g,
                       struct vm_exit *e)
{
    if (perm & EPT_W)
        return INTERP_XLATE_OK;
    struct ept_walk w = { .gpa = gpa, .acc = EPT_W, .perm = perm, .result = EPT_VIOLATION };
    return ept_exit(c, &w, g, e);
}

static bool allowed(unsigned acc, bool user, bool writable, uint32_t cr0)
{
    if ((acc & ACC_U) && !user)
        return false;
    return !(acc & ACC_W) || writable || (!(acc & ACC_U) && !(cr0 & CR0_WP));
}

/* The guest's 2-level walk (SDM Vol. 3A §4.3), each reference through EPT. */
static int guest_walk(struct ept_cpu *c, uint32_t cr0, uint32_t cr3, uint32_t cr4,
                      struct pt_walk *w, struct gref *g, struct vm_exit *e)
{
    uint32_t lin = w->lin, err = w->acc & (ACC_W | ACC_U), *pdep = NULL, *ptep = NULL, pde;
    uint32_t pde_gpa = (cr3 & ~0xfffu) | (lin >> 22) << 2;
    unsigned i = lin >> 22, pd_perm = EPT_RWX, pt_perm = EPT_RWX;
    int r;
    g->row = EPT_ROW_PD;
    if (c->caches && c->pde_ok[i]) {
        pde = c->pde[i];
        c->st.pde_hits++;
        if (c->rec) /* no reference: the paging-structure cache */
            c->rec->row[EPT_ROW_PD] =
                (struct ept_row){ .used = true, .cached = true, .gcached = true, .gpa = pde_gpa };
    } else {
        c->st.pde_misses += c->caches;
        if ((r = table_ref(c, pde_gpa, g, &pdep, e)) != INTERP_XLATE_OK)
            return r;
        pd_perm = g->perm;
        pde = pdep ? *pdep : 0;
    }
    w->ref[0] = (struct pt_ref){ pde_gpa, pde };
    w->nrefs = 1;
    if (!(pde & PTE_P))
        return w->error_code = err, INTERP_XLATE_PF;
    bool large = (pde & PTE_PS) && (cr4 & CR4_PSE);
    if (large && (pde & 0x003fe000u))
        return w->error_code = err | PFEC_P | PFEC_RSVD, INTERP_XLATE_PF;
    uint32_t pte = pde, pte_gpa = (pde & ~0xfffu) | ((lin >> 12) & 0x3ff) << 2;
    if (!large) {
        g->row = EPT_ROW_PT;
        if ((r = table_ref(c, pte_gpa, g, &ptep, e)) != INTERP_XLATE_OK)
            return r;
        pt_perm = g->perm;
        pte = ptep ? *ptep : 0;
        w->ref[1] = (struct pt_ref){ pte_gpa, pte };
        w->nrefs = 2;
        if (!(pte & PTE_P))
            return w->error_code = err, INTERP_XLATE_PF;
    }
    w->user = (pde & PTE_U) && (pte & PTE_U);
    w->writable = (pde & PTE_W) && (pte & PTE_W);
    if (!allowed(w->acc, w->user, w->writable, cr0))
        return w->error_code = err | PFEC_P, INTERP_XLATE_PF;
    /* A at both levels, D in the entry that maps the page on a write (§4.8):
     * writes to guest tables, so EPT must allow them. */
    uint32_t set = PTE_A | ((w->acc & ACC_W) ? PTE_D : 0);
    uint32_t *leafp = large ? pdep : ptep;
    if (pdep && !(pde & PTE_A) && !large) {
        if ((r = table_write(c, pde_gpa, pd_perm, g, e)) != INTERP_XLATE_OK)
            return r;
        *pdep = pde |= PTE_A;
    }
    if (leafp && (pte & set) != set) {
        if ((r = table_write(c, large ? pde_gpa : pte_gpa, large ? pd_perm : pt_perm, g, e)) !=
            INTERP_XLATE_OK)
            return r;
        *leafp = pte |= set;
        if (large)
            pde = pte;
    }
    if (!large && c->caches) { /* the PDE that names a page table */
        c->pde[i] = pde;
        c->pde_ok[i] = 1;
    }
    w->ref[0].entry = pde;
    w->ref[w->nrefs - 1].entry = pte;
    w->large = large;
    w->dirty = pte & PTE_D;
    w->global = (pte & PTE_G) && (cr4 & CR4_PGE);
    w->gpa = large ? (pde & 0xffc00000u) | (lin & 0x3fffff) : (pte & ~0xfffu) | (lin & 0xfff);
    w->ok = true;
    return INTERP_XLATE_OK;
}

/* The guest entries the walk read (w), into the recorded rows. */
static void record_guest(struct ept_2d *rec, const struct pt_walk *w)
{
    for (int i = 0; i < w->nrefs && i < 2; i++) {
        struct ept_row *rw = &rec->row[i];
        rw->gref = !rw->gcached;
        rw->gentry = w->ref[i].entry;
        rw->gpa = w->ref[i].table; /* the entry's own GPA */
    }
}

static int translate(struct ept_cpu *c, uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t lin,
                     unsigned acc, struct interp_xlate *x, struct vm_exit *e)
{
    struct pt_walk *w = &x->walk;
    uint32_t eip = x->eip;
    struct gref g = { .lin = lin, .eip = eip };
    memset(x, 0, sizeof *x);
    x->eip = eip;
    w->lin = lin;
    w->acc = acc;
    c->st.walks++;
    int r = INTERP_XLATE_OK;
    if (cr0 & CR0_PG)
        r = guest_walk(c, cr0, cr3, cr4, w, &g, e);
    else {
        w->gpa = lin; /* paging off: linear = guest-physical */
        w->ok = w->writable = w->dirty = true;
    }
    if (r == INTERP_XLATE_OK) { /* the final access */
        g.final = true;
        g.row = EPT_ROW_PAGE;
        unsigned ea = (acc & ACC_W) ? EPT_W : (acc & ACC_X) ? EPT_X : EPT_R;
        r = gpa_ref(c, w->gpa, ea, &g, e);
    }
    if (g.refs > c->st.max_refs)
        c->st.max_refs = g.refs;
    c->st.full_walks += g.refs == ((cr0 & CR0_PG) ? (w->large ? 9u : 14u) : 4u);
    if (c->rec) {
        struct ept_2d *rec = c->rec;
        record_guest(rec, w);
        rec->nrefs = (int)g.refs;
        rec->result = r;
        rec->error_code = w->error_code;
        rec->large = w->large;
        if (r == INTERP_XLATE_EXIT)
            rec->exit_reason = e->reason, rec->exit_gpa = e->u.ept.gpa;
        rec->gpa = w->gpa;
        rec->hpa = g.hpa;
    }
    if (r != INTERP_XLATE_OK)
        return r;
    bool user = acc & ACC_U;
    bool gw = w->dirty && (user ? (w->user && w->writable) : (w->writable || !(cr0 & CR0_WP)));
    if (!(cr0 & CR0_PG))
        gw = true;
    x->read = g.perm & EPT_R;
    x->write = gw && (g.perm & EPT_W) && g.dirty;
    x->fetch = g.perm & EPT_X;
    w->gpa = (uint32_t)g.hpa; /* the TLB maps linear -> host-physical */
    return INTERP_XLATE_OK;
}

/* With a reader of the trace, every walk is recorded and traced (trace.h). */
int ept_translate(struct ept_cpu *c, uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t lin,
                  unsigned acc, struct interp_xlate *x, struct vm_exit *e)
{
    if (!c->trace || !trace_on(c->trace) || c->rec)
        return translate(c, cr0, cr3, cr4, lin, acc, x, e);
    struct ept_2d rec = { .lin = lin, .cr3 = cr3, .paging = cr0 & CR0_PG };
    uint32_t eip = x->eip;
    c->rec = &rec;
    int r = translate(c, cr0, cr3, cr4, lin, acc, x, e);
    c->rec = NULL;
    ept_2d_trace(c->trace, &rec, eip);
    return r;
}

void ept_walk_lin(struct ept_cpu *c, uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t lin,
                  struct ept_2d *out)
{
    struct interp_xlate x = { .eip = ~0u };
    struct vm_exit e;
    bool caches = c->caches;
    *out = (struct ept_2d){ .lin = lin, .cr3 = cr3, .paging = cr0 & CR0_PG };
    c->caches = false; /* every reference made, none from a cache */
    c->rec = out;
    translate(c, cr0, cr3, cr4, lin, 0, &x, &e);
    c->rec = NULL;
    c->caches = caches;
}

void ept_print_stats(const struct ept_cpu *c, FILE *out)
{
    const struct ept_stats *s = &c->st;
    fprintf(out,
            "ept: %llu walks (TLB misses): %llu guest + %llu EPT references, at most %llu in "
            "one walk, %llu full walks (no cache hit)\n",
            (unsigned long long)s->walks, (unsigned long long)s->guest_refs,
            (unsigned long long)s->ept_refs, (unsigned long long)s->max_refs,
            (unsigned long long)s->full_walks);
    fprintf(out,
            "ept: caches %s: guest-physical mappings %llu hits, %llu misses; guest PDE cache "
            "%llu hits, %llu misses; VPID %s: %llu TLB flushes at VM entry, %llu linear "
            "flushes, %llu INVEPT\n",
            c->caches ? "on" : "off", (unsigned long long)s->gpa_hits,
            (unsigned long long)s->gpa_misses, (unsigned long long)s->pde_hits,
            (unsigned long long)s->pde_misses, c->vpid ? "on" : "off",
            (unsigned long long)s->entry_flushes, (unsigned long long)s->flushes,
            (unsigned long long)s->invept);
    fprintf(out,
            "ept: %llu violations (read %llu, write %llu, fetch %llu; %llu on guest page "
            "tables), %llu misconfigurations; violations by EPT permissions found (XWR):",
            (unsigned long long)s->violations, (unsigned long long)s->viol_acc[0],
            (unsigned long long)s->viol_acc[1], (unsigned long long)s->viol_acc[2],
            (unsigned long long)s->viol_tables, (unsigned long long)s->misconfigs);
    for (unsigned p = 0; p < 8; p++)
        if (s->viol_perm[p])
            fprintf(out, " %c%c%c=%llu", p & 4 ? 'x' : '-', p & 2 ? 'w' : '-', p & 1 ? 'r' : '-',
                    (unsigned long long)s->viol_perm[p]);
    fprintf(out, "\n");
}
