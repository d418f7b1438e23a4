/*
 * interp.c — the decoded-block cache, the CPU state in and out, and the
 * interpreter's life cycle (its run loop is in runloop.c).
 *
 * Blocks are keyed by guest-physical address (and EIP), so they survive
 * address-space switches; each physical page lists its blocks, and a store
 * into such a page (the TLB never caches write access to it) drops the
 * blocks it overlaps — self-modifying code works.
 */
#include <stdio.h>
#include <stdlib.h>
#include "x86/interp_int.h"

static uint32_t hash(uint32_t gpa) { return (gpa * 0x9e3779b1u) >> 20; } /* 12 bits */

/* ---- block cache ------------------------------------------------------------ */
struct block *interp_block_lookup(struct interp *ip, uint32_t eip, uint32_t gpa)
{
    for (struct block *b = ip->hash[hash(gpa)]; b; b = b->hnext)
        if (b->gpa == gpa && b->eip == eip)
            return b;
    return NULL;
}

void interp_block_insert(struct interp *ip, struct block *b)
{
    uint32_t h = hash(b->gpa), pfn = b->gpa >> 12;
    b->hnext = ip->hash[h];
    ip->hash[h] = b;
    if (!ip->page_blocks[pfn]) { /* the page becomes a code page */
        tlb_protect_code(&ip->tlbs[0], b->gpa);
        tlb_protect_code(&ip->tlbs[1], b->gpa);
    }
    b->pnext = ip->page_blocks[pfn];
    ip->page_blocks[pfn] = b;
    ip->nblocks++;
    ip->cache_bytes += BLOCK_BYTES(b);
}

static void free_list(struct block *b, bool by_hash)
{
    while (b) {
        struct block *n = by_hash ? b->hnext : b->pnext;
        free(b);
        b = n;
    }
}

void interp_cc_event(struct interp *ip, int kind, const struct block *b)
{
    if (ip->hooks.code_cache)
        ip->hooks.code_cache(ip->opaque, kind, b ? b->gpa : 0, b ? b->gpa_end - b->gpa : 0,
                             ip->cache_bytes, ip->cpu->eip);
}

/* Drop every block (between blocks only: none is executing). */
void interp_cache_flush(struct interp *ip)
{
    for (unsigned i = 0; i < BLOCK_HASH; i++) {
        free_list(ip->hash[i], true);
        ip->hash[i] = NULL;
    }
    free_list(ip->dead, false);
    ip->dead = NULL;
    free(ip->oneoff);
    ip->oneoff = NULL;
    memset(ip->page_blocks, 0, ip->npages * sizeof *ip->page_blocks);
    ip->prev = NULL;
    ip->nblocks = ip->ndead = 0;
    ip->cache_bytes = 0;
    interp_cc_event(ip, INTERP_CC_FLUSH, NULL);
    if (ip->obs.cache_flushed)
        ip->obs.cache_flushed(ip->observer);
}

/* Guest-physical [gpa, gpa+len) inside one page was written. */
void code_written(struct interp *ip, uint32_t gpa, uint32_t len)
{
    struct block **pp = &ip->page_blocks[gpa >> 12];
    while (*pp) {
        struct block *b = *pp;
        if (gpa < b->gpa_end && gpa + len > b->gpa) {
            *pp = b->pnext;
            struct block **hp = &ip->hash[hash(b->gpa)];
            while (*hp != b)
                hp = &(*hp)->hnext;
            *hp = b->hnext;
            b->valid = false;
            b->pnext = ip->dead; /* freed later: it may be running now */
            ip->dead = b;
            ip->nblocks--;
            ip->cache_bytes -= BLOCK_BYTES(b);
            ip->ndead++;
            ip->st.blocks_invalidated++;
            interp_cc_event(ip, INTERP_CC_INVALIDATE, b);
            if (ip->obs.block_dropped)
                ip->obs.block_dropped(ip->observer, b);
            if (b == ip->cur_block)
                ip->stop = true; /* its next instructions may be stale */
        } else {
            pp = &b->pnext;
        }
    }
}

bool interp_page_has_code(const struct interp *ip, uint32_t gpa)
{
    return (gpa >> 12) < ip->npages && ip->page_blocks[gpa >> 12];
}

bool interp_cache_crowded(const struct interp *ip) { return cache_crowded(ip); }

int interp_set_watch(struct interp *ip, void (*fn)(void *ctx, uint32_t gpa, uint32_t len),
                     void *ctx)
{
    if (!ip->watch)
        ip->watch = calloc(ip->npages ? ip->npages : 1, 1);
    if (!ip->watch)
        return -1;
    ip->watch_fn = fn;
    ip->watch_ctx = ctx;
    return 0;
}

void interp_watch_page(struct interp *ip, uint32_t gpa, bool on)
{
    if (!ip->watch || (gpa >> 12) >= ip->npages || ip->watch[gpa >> 12] == on)
        return;
    ip->watch[gpa >> 12] = on;
    if (on) /* no TLB entry may store to it without the slow path */
        for (int i = 0; i < 2; i++)
            tlb_protect_code(&ip->tlbs[i], gpa);
}

void interp_set_observer(struct interp *ip, const struct interp_observer *obs, void *ctx)
{
    ip->obs = *obs;
    ip->observer = ctx;
}

void interp_invalidate_range(struct interp *ip, uint64_t gpa, uint64_t len)
{
    for (uint64_t a = gpa & PAGE_MASK; a < gpa + len && a < ip->ram->size; a += 0x1000) {
        uint64_t lo = a > gpa ? a : gpa, hi = a + 0x1000 < gpa + len ? a + 0x1000 : gpa + len;
        if (ip->page_blocks[a >> 12])
            code_written(ip, lo, hi - lo);
    }
}

void interp_invalidate_all(struct interp *ip)
{
    interp_cache_flush(ip);
    mmu_flush(ip, true);
}

/* ---- state in and out ----------------------------------------------------------- */
void interp_load_state(struct interp *ip)
{
    struct x86_cpu *c = ip->cpu;
    memcpy(ip->r, c->gpr, sizeof c->gpr);
    ip->r[8] = 0;
    set_eflags(ip, c->eflags);
    seg_reload_cache(ip);
    mmu_set_cpl(ip);
    if (c->cr0 != ip->cr0 || c->cr3 != ip->cr3 || c->cr4 != ip->cr4)
        mmu_flush(ip, true);
}

void interp_save_state(struct interp *ip)
{
    memcpy(ip->cpu->gpr, ip->r, sizeof ip->cpu->gpr);
    ip->cpu->eflags = get_eflags(ip);
    ip->cur = NULL;
    ip->cur_block = NULL;
}

static bool contributory(int v) { return v == EXC_DE || (v >= EXC_TS && v <= EXC_GP); }

/* The exception recorded by raise_exc: combine with one being delivered
 * (SDM Vol. 3A Table 6-5), then deliver.  Returns false on triple fault. */
bool interp_deliver_exception(struct interp *ip)
{
    int vec = ip->exc_vec;
    bool has_err = ip->exc_has_err;
    uint32_t err = ip->exc_err;
    int first = ip->delivering;
    if (vec == EXC_PF)
        ip->cpu->cr2 = ip->exc_cr2; /* written even if it becomes #DF */
    if (first >= 0) {
        if (first == EXC_DF)
            return false; /* shutdown */
        if ((contributory(first) && contributory(vec)) ||
            (first == EXC_PF && (contributory(vec) || vec == EXC_PF))) {
            vec = EXC_DF;
            has_err = true;
            err = 0;
        }
    }
    ip->delivering = vec;
    ip->st.exceptions++;
    deliver_event(ip, vec, has_err, err, false, ip->cpu->eip); /* may longjmp again */
    ip->delivering = -1;
    return true;
}

void interp_set_cr_shadows(struct interp *ip, uint32_t cr0_mask, uint32_t cr0_shadow,
                           uint32_t cr4_mask, uint32_t cr4_shadow)
{
    ip->cr0_mask = cr0_mask;
    ip->cr0_shadow = cr0_shadow;
    ip->cr4_mask = cr4_mask;
    ip->cr4_shadow = cr4_shadow;
}

void interp_inject_event(struct interp *ip, int vector, bool external, bool has_err, uint32_t err)
{
    ip->inj_pending = true;
    ip->inj_vec = vector;
    ip->inj_external = external;
    ip->inj_has_err = has_err;
    ip->inj_err = err;
}

bool interp_event_pending(const struct interp *ip, int *vector, bool *external)
{
    if (ip->inj_pending) {
        *vector = ip->inj_vec;
        *external = ip->inj_external;
    }
    return ip->inj_pending;
}

void interp_set_irq_window_exit(struct interp *ip, bool on) { ip->irq_window_exit = on; }

void interp_invlpg(struct interp *ip, uint32_t lin) { mmu_flush_page(ip, lin); }
void interp_flush_tlb(struct interp *ip) { mmu_flush(ip, false); }
void interp_flush_tlb_all(struct interp *ip) { mmu_flush(ip, true); }
void interp_set_xlate(struct interp *ip,
                      int (*xlate)(void *, uint32_t, unsigned, struct interp_xlate *,
                                   struct vm_exit *),
                      void (*flush)(void *, int, uint32_t))
{
    ip->hooks.xlate = xlate;
    ip->hooks.tlb_flush = flush;
    mmu_flush(ip, true);
}

/* ---- life cycle ------------------------------------------------------------------- */
struct interp *interp_create(struct x86_cpu *cpu, struct guest_ram *ram,
                             const struct interp_hooks *hooks, void *opaque, char *err,
                             size_t errlen)
{
    struct interp *ip = calloc(1, sizeof *ip);
    if (!ip) {
        snprintf(err, errlen, "interp: out of memory");
        return NULL;
    }
    ip->cpu = cpu;
    ip->ram = ram;
    if (hooks)
        ip->hooks = *hooks;
    ip->opaque = opaque;
    ip->delivering = -1;
    ip->npages = ram->size >> 12;
    ip->page_blocks = calloc(ip->npages ? ip->npages : 1, sizeof *ip->page_blocks);
    ip->scratch = malloc(sizeof(struct block) + MAX_BLOCK * sizeof(struct insn));
    if (!ip->page_blocks || !ip->scratch) {
        snprintf(err, errlen, "interp: out of memory");
        interp_destroy(ip);
        return NULL;
    }
    if (decoder_init(ip, err, errlen) < 0) {
        interp_destroy(ip);
        return NULL;
    }
    mmu_flush(ip, true);
    ip->st.tlb_flushes = 0;
    return ip;
}

void interp_destroy(struct interp *ip)
{
    if (!ip)
        return;
    if (ip->page_blocks)
        interp_cache_flush(ip);
    decoder_fini(ip);
    free(ip->page_blocks);
    free(ip->watch);
    free(ip->scratch);
    free(ip);
}

uint64_t interp_instructions(const struct interp *ip) { return ip->st.instructions; }

void interp_get_stats(const struct interp *ip, struct interp_stats *st) { *st = ip->st; }
