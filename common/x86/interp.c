/*
 * interp.c — the run loop and the decoded-block cache.
 *
 *   for (;;) {
 *       at an instruction boundary: pending exit?  halted?  budget?  stop?
 *           interrupt (IF=1, no STI/MOV SS shadow)?  -> deliver via the IDT
 *       find the block at CS:EIP (successor cache, else hash on its
 *           guest-physical address, else decode it)
 *       run its handlers one after the other
 *   }
 *
 * Faults unwind with longjmp to the setjmp at the top of interp_run, which
 * rewinds EIP to the faulting instruction and delivers the exception.
 * Blocks are keyed by guest-physical address (and EIP), so they survive
 * address-space switches; each physical page lists its blocks, and a store
 * into such a page (the TLB never caches write access to it) drops the
 * blocks it overlaps — self-modifying code works.
 */
#include <stdio.h>
#include <stdlib.h>
#include "x86/interp_int.h"

static uint32_t hash(uint32_t gpa) { return (gpa * 0x9e3779b1u) >> 20; }   /* 12 bits */

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
    if (!ip->page_blocks[pfn]) {       /* the page becomes a code page */
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

static void cc_event(struct interp *ip, int kind, const struct block *b)
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
    cc_event(ip, INTERP_CC_FLUSH, NULL);
    if (ip->cache_flushed)
        ip->cache_flushed(ip->observer);
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
            b->pnext = ip->dead;       /* freed later: it may be running now */
            ip->dead = b;
            ip->nblocks--;
            ip->cache_bytes -= BLOCK_BYTES(b);
            ip->ndead++;
            ip->st.blocks_invalidated++;
            cc_event(ip, INTERP_CC_INVALIDATE, b);
            if (ip->block_dropped)
                ip->block_dropped(ip->observer, b);
            if (b == ip->cur_block)
                ip->stop = true;       /* its next instructions may be stale */
        } else {
            pp = &b->pnext;
        }
    }
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

static int finish(struct interp *ip, struct vm_exit *exit, uint32_t reason)
{
    interp_save_state(ip);
    memset(exit, 0, sizeof *exit);
    exit->reason = reason;
    exit->guest_eip = ip->cpu->eip;
    return 0;
}

/* The exception recorded by raise_exc: combine with one being delivered
 * (SDM Vol. 3A Table 6-5), then deliver.  Returns false on triple fault. */
bool interp_deliver_exception(struct interp *ip)
{
    int vec = ip->exc_vec;
    bool has_err = ip->exc_has_err;
    uint32_t err = ip->exc_err;
    int first = ip->delivering;
    if (vec == EXC_PF)
        ip->cpu->cr2 = ip->exc_cr2;     /* written even if it becomes #DF */
    if (first >= 0) {
        if (first == EXC_DF)
            return false;                                    /* shutdown */
        if ((contributory(first) && contributory(vec)) ||
            (first == EXC_PF && (contributory(vec) || vec == EXC_PF))) {
            vec = EXC_DF;
            has_err = true;
            err = 0;
        }
    }
    ip->delivering = vec;
    ip->st.exceptions++;
    deliver_event(ip, vec, has_err, err, false, ip->cpu->eip);   /* may longjmp again */
    ip->delivering = -1;
    return true;
}

/* The exception bitmap (SDM Vol. 3C §25.6.3): ask the exit policy before
 * delivering the exception recorded by raise_exc.  True: *exit is filled
 * (reason 0, the faulting instruction's EIP, the #PF address as the exit
 * qualification, SDM Table 28-1) and nothing was delivered. */
static bool exception_exit(struct interp *ip, struct vm_exit *exit)
{
    struct vm_exit e;
    memset(&e, 0, sizeof e);
    e.reason = EXIT_EXCEPTION_NMI;
    e.guest_eip = ip->cpu->eip;
    e.u.exc.vector = (uint8_t)ip->exc_vec;
    e.u.exc.has_error = ip->exc_has_err;
    e.u.exc.error_code = ip->exc_err;
    if (ip->exc_vec == EXC_PF) {
        e.u.exc.cr2 = ip->exc_cr2;
        e.qualification = ip->exc_cr2;
    }
    if (!ip->hooks.exit_policy(ip->opaque, &e))
        return false;
    interp_save_state(ip);
    *exit = e;
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

void interp_inject_event(struct interp *ip, int vector, bool external, bool has_err,
                         uint32_t err)
{
    ip->inj_pending = true;
    ip->inj_vec = vector;
    ip->inj_external = external;
    ip->inj_has_err = has_err;
    ip->inj_err = err;
}

void interp_set_irq_window_exit(struct interp *ip, bool on) { ip->irq_window_exit = on; }

void interp_invlpg(struct interp *ip, uint32_t lin)
{
    tlb_flush_page(&ip->tlbs[0], lin);
    tlb_flush_page(&ip->tlbs[1], lin);
}

/* ---- the run loop ---------------------------------------------------------------- */
int interp_run(struct interp *ip, struct vm_exit *exit, uint64_t budget)
{
    struct x86_cpu *c = ip->cpu;
    interp_load_state(ip);
    ip->exit_reason = 0;
    ip->delivering = -1;
    ip->cur = NULL;
    ip->budget_end = budget ? ip->st.instructions + budget : 0;

    if (ip->shutdown)
        return finish(ip, exit, EXIT_TRIPLE_FAULT);
    if (ip->io_pending) {
        /* Complete the IN/OUT reported by the last exit (see interp.h). */
        ip->io_pending = false;
        if (c->eip == ip->io_eip) {
            if (ip->pexit.u.io.in)
                wreg(ip, ip->pexit.u.io.size, R_EAX, exit->u.io.value);
            c->eip = ip->io_eip + ip->pexit.instr_len;
        }
        ip->st.instructions++;
    }

    if (setjmp(ip->jb)) {
        /* A fault: the faulting instruction did not happen. */
        ip->rep_yield_ok = ip->rep_yield = false;
        if (ip->cur) {
            ip->st.instructions += ip->cur - ip->cur_block->in;
            c->eip = ip->cur->eip;
            ip->cur = NULL;
        }
        if (ip->fatal[0])
            goto engine_error;
        if (ip->delivering < 0 && ip->hooks.exit_policy && exception_exit(ip, exit))
            return 0;
        if (!interp_deliver_exception(ip)) {
            ip->shutdown = true;
            return finish(ip, exit, EXIT_TRIPLE_FAULT);
        }
    }

    if (ip->inj_pending) {
        /* VM entry with event injection: deliver before the first
         * instruction (a fault on the way unwinds to the setjmp above). */
        ip->inj_pending = false;
        if (ip->inj_external) {
            ip->st.interrupts++;
        } else {
            ip->delivering = ip->inj_vec;
            ip->st.exceptions++;
        }
        deliver_event(ip, ip->inj_vec, ip->inj_has_err, ip->inj_err, false, c->eip);
        ip->delivering = -1;
    }

    for (;;) {
        if (ip->exit_reason) {
            uint32_t eip = c->eip;
            interp_save_state(ip);
            *exit = ip->pexit;
            c->eip = eip;
            return 0;
        }
        if (ip->irq_window_exit && (ip->eflags & FL_IF) && !c->irq_shadow)
            return finish(ip, exit, EXIT_INTERRUPT_WINDOW);
        if (c->halted) {
            if (!((ip->eflags & FL_IF) && ip->hooks.irq_pending && ip->hooks.irq_pending(ip->opaque))) {
                interp_save_state(ip);
                *exit = ip->pexit;
                exit->reason = EXIT_HLT;
                return 0;
            }
        }
        if (ip->budget_end && ip->st.instructions >= ip->budget_end) {
            interp_save_state(ip);
            return INTERP_BUDGET;
        }
        if (ip->hooks.stop_requested && ip->hooks.stop_requested(ip->opaque))
            return finish(ip, exit, EXIT_EXTERNAL_INTERRUPT);

        /* Interrupt window: IF=1 and not right after STI / MOV SS. */
        bool shadow = c->irq_shadow;
        c->irq_shadow = false;
        if (!shadow && (ip->eflags & FL_IF) && ip->hooks.irq_pending &&
            ip->hooks.irq_pending(ip->opaque)) {
            int v = ip->hooks.irq_ack ? ip->hooks.irq_ack(ip->opaque) : -1;
            if (v >= 0) {
                ip->st.interrupts++;
                deliver_event(ip, v, false, 0, false, c->eip);
            }
        }
        if (c->halted)
            continue;                  /* spurious: still waiting */

        /* Find the block at CS:EIP. */
        if (ip->ndead > 256 || ip->nblocks > 32768)
            interp_cache_flush(ip);
        uint32_t gpa = interp_fetch_gpa(ip);
        struct block *b = NULL, *p = ip->prev;
        if (p) {
            if (p->succ[0] && p->succ[0]->eip == c->eip && p->succ[0]->gpa == gpa && p->succ[0]->valid)
                b = p->succ[0];
            else if (p->succ[1] && p->succ[1]->eip == c->eip && p->succ[1]->gpa == gpa && p->succ[1]->valid)
                b = p->succ[1];
        }
        if (!b) {
            b = interp_block_lookup(ip, c->eip, gpa);
            if (!b) {
                b = decode_block(ip, c->eip, ip->segbase[S_CS] + c->eip, gpa);
                if (!b) {
                    snprintf(ip->fatal, sizeof ip->fatal,
                             "cannot fetch code at EIP 0x%08x (guest-physical 0x%08x): outside RAM",
                             c->eip, gpa);
                    goto engine_error;
                }
                if (b->cached)
                    interp_block_insert(ip, b);
                else
                    ip->oneoff = b;
                cc_event(ip, INTERP_CC_DECODE, b);
            }
            if (p && b->cached) {
                if (!p->succ[0] || !p->succ[0]->valid) p->succ[0] = b;
                else p->succ[1] = b;
            }
        }

        /* Run it. */
        unsigned n = b->n;
        if (shadow)
            n = 1;
        if (ip->budget_end && ip->budget_end - ip->st.instructions < n)
            n = ip->budget_end - ip->st.instructions;
        ip->cur_block = b;
        ip->stop = false;
        c->eip = b->next_eip;          /* a branch at the end overrides it */
        const struct insn *in = b->in, *end = in + n;
        ip->rep_yield_ok = true;
        if (unlikely(ip->track_flags))
            in = interp_run_tracked(ip, in, end);
        else
            do {
                ip->cur = in;
                in->fn(ip, in);
                in++;
            } while (in < end && !ip->stop);
        ip->cur = NULL;
        ip->rep_yield_ok = false;
        unsigned done = interp_block_stopped(ip, b, in - b->in);
        /* An I/O exit retires on the next run; a policy exit (the VMM
         * emulates the instruction) never here.  HLT has retired. */
        ip->st.instructions += done - (ip->exit_reason && ip->exit_reason != EXIT_HLT);
        ip->prev = b->cached ? b : NULL;
    }

engine_error:
    interp_save_state(ip);
    memset(exit, 0, sizeof *exit);
    exit->reason = EXIT_VMM_ERROR;
    exit->guest_eip = c->eip;
    snprintf(exit->message, sizeof exit->message, "interp: %s", ip->fatal);
    return -1;
}

/* ---- life cycle ------------------------------------------------------------------- */
struct interp *interp_create(struct x86_cpu *cpu, struct guest_ram *ram,
                             const struct interp_hooks *hooks, void *opaque,
                             char *err, size_t errlen)
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
    free(ip->scratch);
    free(ip);
}

uint64_t interp_instructions(const struct interp *ip) { return ip->st.instructions; }

void interp_get_stats(const struct interp *ip, struct interp_stats *st) { *st = ip->st; }
