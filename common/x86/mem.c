/*
 * mem.c — the slow paths of guest memory access: TLB misses (page walk and
 * refill), accesses that cross a page, memory-mapped I/O, and stores to
 * pages that hold decoded code (self-modifying code, docs/ARCHITECTURE.md §4).
 * The fast paths (a TLB hit) are the inline functions in interp_int.h.
 */
#include "x86/interp_int.h"

static bool paging(const struct interp *ip) { return ip->cpu->cr0 & CR0_PG; }

/* Raise #PF: CR2 gets the linear address (SDM Vol. 3A §4.7) when the fault
 * is delivered (interp.c); a #PF that becomes a VM exit leaves CR2 alone,
 * as on VT-x (the address is in the exit qualification instead). */
static _Noreturn void page_fault(struct interp *ip, uint32_t lin, uint32_t err)
{
    ip->exc_cr2 = lin;
    raise_exc(ip, EXC_PF, err);
}

uint64_t mem_xlate(struct interp *ip, struct tlb *t, uint32_t lin, unsigned acc)
{
    struct tlb_entry *e = tlb_entry(t, lin);
    uint32_t page = lin & PAGE_MASK;
    uint32_t tag = (acc & ACC_W) ? e->tag_w : (acc & ACC_X) ? e->tag_x : e->tag_r;
    if (tag == page || ((acc & ACC_W) && e->wcode && e->tag_r == page))
        return e->gpa | (lin & 0xfff);

    bool user = t == &ip->tlbs[1];
    struct x86_cpu *c = ip->cpu;
    uint32_t gpa;
    bool rd = true, wr = true, fx = true, global = false, large = false;
    ip->st.tlb_misses++;
    if (ip->hooks.xlate) { /* EPT or shadow page tables (interp.h) */
        uint32_t eip = ip->cur ? ip->cur->eip : c->eip;
        struct interp_xlate x = { .eip = eip };
        int r = ip->hooks.xlate(ip->opaque, lin, acc | (user ? ACC_U : 0), &x, &ip->pexit);
        if (x.walk.nrefs && ip->hooks.page_walk)
            ip->hooks.page_walk(ip->opaque, &x.walk, eip);
        if (r == INTERP_XLATE_PF)
            page_fault(ip, lin, x.walk.error_code);
        if (r == INTERP_XLATE_EXIT)
            raise_vmexit(ip);
        gpa = x.walk.gpa;
        rd = x.read;
        wr = x.write;
        fx = x.fetch;
        global = x.walk.global;
        large = x.walk.large;
    } else if (paging(ip)) {
        struct pt_walk w;
        bool ok = pt_walk(ip->ram, c->cr0, c->cr3, c->cr4, lin, acc | (user ? ACC_U : 0), &w);
        if (ip->hooks.page_walk)
            ip->hooks.page_walk(ip->opaque, &w, ip->cur ? ip->cur->eip : c->eip);
        if (!ok)
            page_fault(ip, lin, w.error_code);
        gpa = w.gpa;
        /* Writes may use the entry without a walk only when they are allowed
         * and D is already set (so the walk that sets D happens). */
        wr = w.dirty && (user ? (w.user && w.writable) : (w.writable || !(c->cr0 & CR0_WP)));
        global = w.global;
        large = w.large;
    } else {
        gpa = lin;
    }
    uint8_t *host = gpa_to_hva(ip->ram, gpa & PAGE_MASK, 0x1000);
    bool code = host && (ip->page_blocks[gpa >> 12] || page_watched(ip, gpa));
    tlb_fill(t, lin, gpa, host, rd, wr && !code, fx, global, large);
    if (code && wr)
        e->wcode = true;
    return gpa;
}

static uint32_t phys_read(struct interp *ip, uint64_t gpa, int size)
{
    uint8_t *p = gpa_to_hva(ip->ram, gpa, size);
    if (p)
        return ld_host(p, size);
    uint32_t v = 0xffffffffu; /* nothing there: floating bus */
    if (ip->hooks.mmio)
        ip->hooks.mmio(ip->opaque, gpa, size, false, &v);
    return v & szmask(size);
}

static void phys_write(struct interp *ip, uint64_t gpa, int size, uint32_t v)
{
    uint8_t *p = gpa_to_hva(ip->ram, gpa, size);
    if (p) {
        if (page_watched(ip, gpa))
            ip->watch_fn(ip->watch_ctx, (uint32_t)gpa, (uint32_t)size);
        if (ip->page_blocks[gpa >> 12])
            code_written(ip, gpa, size);
        st_host(p, size, v);
    } else if (ip->hooks.mmio) {
        ip->hooks.mmio(ip->opaque, gpa, size, true, &v);
    }
}

/* Both pages of a page-crossing access are translated before any byte is
 * touched, so a fault on the second page leaves memory unchanged. */
uint32_t mem_read_slow(struct interp *ip, struct tlb *t, uint32_t lin, int size)
{
    uint64_t g1 = mem_xlate(ip, t, lin, ACC_R);
    if (in_page(lin, size))
        return phys_read(ip, g1, size);
    unsigned n1 = 0x1000 - (lin & 0xfff);
    uint64_t g2 = mem_xlate(ip, t, lin + n1, ACC_R);
    uint32_t v = 0;
    for (int i = 0; i < size; i++)
        v |= phys_read(ip, (unsigned)i < n1 ? g1 + i : g2 + (i - n1), 1) << (8 * i);
    return v;
}

void mem_write_slow(struct interp *ip, struct tlb *t, uint32_t lin, int size, uint32_t v)
{
    uint64_t g1 = mem_xlate(ip, t, lin, ACC_W);
    if (in_page(lin, size)) {
        phys_write(ip, g1, size, v);
        return;
    }
    unsigned n1 = 0x1000 - (lin & 0xfff);
    uint64_t g2 = mem_xlate(ip, t, lin + n1, ACC_W);
    for (int i = 0; i < size; i++)
        phys_write(ip, (unsigned)i < n1 ? g1 + i : g2 + (i - n1), 1, v >> (8 * i));
}

uint8_t *mem_rmw_slow(struct interp *ip, uint32_t lin, int size)
{
    uint64_t g1 = mem_xlate(ip, ip->tlb, lin, ACC_W);
    if (!in_page(lin, size)) {
        mem_xlate(ip, ip->tlb, lin + (0x1000 - (lin & 0xfff)), ACC_W);
        return NULL;
    }
    uint8_t *p = gpa_to_hva(ip->ram, g1, size);
    if (p && page_watched(ip, g1))
        ip->watch_fn(ip->watch_ctx, (uint32_t)g1, (uint32_t)size);
    if (p && ip->page_blocks[g1 >> 12])
        code_written(ip, g1, size);
    return p;
}

void mmu_flush(struct interp *ip, bool all)
{
    for (int i = 0; i < 2; i++) {
        if (all)
            tlb_flush_all(&ip->tlbs[i]);
        else
            tlb_flush_nonglobal(&ip->tlbs[i]);
    }
    ip->cr0 = ip->cpu->cr0;
    ip->cr3 = ip->cpu->cr3;
    ip->cr4 = ip->cpu->cr4;
    ip->st.tlb_flushes++;
    if (ip->hooks.tlb_flush)
        ip->hooks.tlb_flush(ip->opaque, all ? INTERP_FLUSH_ALL : INTERP_FLUSH_NONGLOBAL, 0);
}

void mmu_flush_page(struct interp *ip, uint32_t lin)
{
    tlb_flush_page(&ip->tlbs[0], lin);
    tlb_flush_page(&ip->tlbs[1], lin);
    if (ip->hooks.tlb_flush)
        ip->hooks.tlb_flush(ip->opaque, INTERP_FLUSH_PAGE, lin);
}

void mmu_set_cpl(struct interp *ip) { ip->tlb = &ip->tlbs[cpl(ip) == 3]; }
