/*
 * bt_engine.c — "--engine bt": the binary translator behind core/engine.h.
 *
 *   for (;;) {
 *       at a block boundary: pending exit?  halted?  stop requested?
 *           interrupt window open and an interrupt pending? -> deliver (IDT)
 *       find the translated block for (guest-physical EIP, mode):
 *           code cache, else decode (interpreter) + translate
 *       chain the exit we came out of to it (if it was a direct exit)
 *       enter the code cache; it runs chained blocks until one returns:
 *           END/CHAIN (block done), STOP (I/O exit, HLT, its code was
 *           written), FUEL (time to poll for interrupts)
 *   }
 *
 * The architectural state lives in the interpreter's struct interp (lazy
 * flags and all), which is why a call-threaded translation can call the
 * interpreter's handlers directly.  Faults unwind with longjmp out of the
 * generated code to the setjmp here, exactly as in interp_run; the I/O-exit
 * completion and HLT protocols are the interpreter's (x86/interp.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>
#include <pthread.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <asm/prctl.h>
#include "core/vm.h"
#include "trace/trace.h"
#include "x86/interp_int.h"
#include "01-binary-translation/bt.h"
#include "01-binary-translation/check.h"
#include "01-binary-translation/poller.h"

#define BT_CODE_BYTES (32u << 20)   /* code cache size                      */
#define BT_FUEL       512           /* threaded: block entries between IRQ polls */
#define BT_POLL_US    500           /* identical: the poller's period (µs): 5% of
                                       the guest's 100 Hz tick; each poll costs a
                                       signal + 2 mprotect (~5 µs), 100 µs was 5-7%
                                       of compute time */
#define BT_MAX_TB     16384         /* largest translation of one block     */

/* ---- called from generated code ----------------------------------------------- */
void bt_helper(struct interp *ip, const struct insn *in, struct bt *bt, int id)
{
    bt->st.helper[id]++;
    int reason = bt_helper_reason(id);
    if (reason >= 0)
        bt->st.helper_exits[reason]++;
    uint32_t lin = id == HLP_INVLPG ? ea(ip, in) : 0;
    in->fn(ip, in);
    if (id == HLP_INVLPG && bt->use_window) { /* the shadow entry goes too */
        win_invlpg(&bt->win, lin);
        memset(bt->ibtc, 0, sizeof bt->ibtc);
    }
    if (id == HLP_RDTSC && bt->check && !ip->exit_reason)   /* replayed to the reference */
        check_record_tsc(bt->check, (uint64_t)ip->r[R_EDX] << 32 | ip->r[R_EAX]);
}

/* Identical translation calls this after an interpreter handler: the
 * lazy flags become plain bits (CC_EFLAGS), ready for popfq. */
void bt_norm_flags(struct interp *ip)
{
    if (ip->cc_op != CC_EFLAGS)
        set_arith_flags(ip, cc_compute(ip));
}

static bool flat(const struct x86_seg *s) { return s->base == 0 && s->limit == 0xffffffffu; }
static uint8_t cpu_mode(const struct x86_cpu *c)
{
    return (uint8_t)(x86_cpl(c) | ((c->seg[S_CS].attr & DA_DB) ? MODE_D : 0) |
                     (flat(&c->seg[S_DS]) && flat(&c->seg[S_ES]) && flat(&c->seg[S_SS]) ? MODE_FLAT : 0));
}

/* ---- the window: gs base and the SIGSEGV handler ---------------------------------- */
/* The translator running on this thread (the signal handler's way back to
 * its VM; one vCPU per thread). */
static __thread struct bt *tls_bt;

static void set_gs_base(void *base)
{
    static int fsgsbase = -1;          /* WRGSBASE allowed in user mode? */
    if (fsgsbase < 0)
        fsgsbase = (getauxval(AT_HWCAP2) & 2) != 0;   /* HWCAP2_FSGSBASE */
    if (fsgsbase)
        __asm__ volatile("wrgsbase %0" : : "r"(base) : "memory");
    else
        syscall(SYS_arch_prctl, ARCH_SET_GS, base);
}

/* Identical translation: the signal context is the guest state.  Find the
 * guest instruction of the faulting host instruction (the block's fault
 * map) and copy the registers and flags into struct interp, so the
 * interpreter can finish the block from that instruction. */
static bool ident_capture(struct bt *bt, ucontext_t *uc, uintptr_t rip)
{
    static const int greg[8] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_R12, REG_RBP,
                                 REG_RSI, REG_RDI };
    struct tblock *tb = cc_find_code(bt->cc, rip);
    if (!tb)
        return false;
    uint32_t off = (uint32_t)(rip - (uintptr_t)tb->code);
    for (unsigned k = 0; k < tb->nfmap; k++)
        if (tb->fmap[k].off == off) {
            struct interp *ip = bt->ip;
            for (int g = 0; g < 8; g++)
                ip->r[g] = (uint32_t)uc->uc_mcontext.gregs[greg[g]];
            set_arith_flags(ip, (uint32_t)uc->uc_mcontext.gregs[REG_EFL]);
            ip->st.instructions += (uint64_t)uc->uc_mcontext.gregs[REG_R10]   /* earlier blocks */
                                   + tb->fmap[k].bias;               /* earlier copies */
            ip->cur_block = tb->dec;
            ip->cur = &tb->dec->in[tb->fmap[k].idx];
            return true;
        }
    return false;
}

/* ---- tracing window walks --------------------------------------------------------- */
/* The guest EIP of the instruction whose window access faulted at host
 * address rip: the block's fault map (identical), ip->cur (threaded). */
static uint32_t fault_eip(struct bt *bt, uintptr_t rip)
{
    if (bt->identical) {
        struct tblock *tb = cc_find_code(bt->cc, rip);
        uint32_t off = tb ? (uint32_t)(rip - (uintptr_t)tb->code) : 0;
        for (unsigned k = 0; tb && k < tb->nfmap; k++)
            if (tb->fmap[k].off == off)
                return tb->dec->in[tb->fmap[k].idx].eip;
    } else if (bt->ip->cur) {
        return bt->ip->cur->eip;
    }
    return bt->ip->cpu->eip;
}

static void tpend_add(struct bt *bt, const struct trace_event *ev)
{
    if (bt->ntpend < BT_TPEND)
        bt->tpend[bt->ntpend++] = *ev;
    else
        bt->tpend_lost++;
}

/* In the SIGSEGV handler, after win_fault walked the guest tables: the
 * same events trace_page_walk / trace_page_walk_result record for the
 * interpreter, flagged TRACE_F_WALK_WINDOW, kept in bt->tpend until the
 * run loop writes them (tpend_drain).  A synchronous signal from
 * translated code interrupts no libc call, but trace_emit may fwrite when
 * the ring is full, so the handler only fills this buffer, and asks for
 * a return to the run loop when it fills up. */
static void trace_window_walk(struct bt *bt, uintptr_t rip)
{
    const struct pt_walk *w = &bt->win.walk;
    struct trace *t = vm_trace(bt->vcpu->vm);
    struct trace_event ev = { .type = TRACE_PAGE_WALK, .eip = fault_eip(bt, rip), .addr = w->lin };
    ev.time_ns = trace_now(t);
    for (int i = 0; i < w->nrefs; i++) {
        ev.flags = TRACE_F_WALK_WINDOW;
        ev.reason = (uint32_t)(2 - i);
        ev.qual = w->ref[i].table;
        ev.value = w->ref[i].entry;
        tpend_add(bt, &ev);
    }
    ev.flags = (uint16_t)(TRACE_F_WALK_WINDOW | TRACE_F_WALK_RESULT |
                          (w->ok ? 0 : TRACE_F_WALK_FAULT) | (w->ok && w->large ? TRACE_F_WALK_LARGE : 0));
    ev.reason = 0;
    ev.qual = w->ok ? w->gpa : 0;
    ev.value = w->ok ? 0 : w->error_code;
    tpend_add(bt, &ev);
    if (bt->ntpend > BT_TPEND_HIGH) {   /* leave at the next block entry */
        if (bt->identical)
            mprotect((void *)bt->poll, 4096, PROT_NONE);
        else
            bt->fuel = 0;
    }
}

/* In the run loop: the window walks into the trace ring, in order. */
static void tpend_drain(struct bt *bt)
{
    struct trace *t = vm_trace(bt->vcpu->vm);
    for (unsigned i = 0; i < bt->ntpend; i++)
        trace_emit(t, &bt->tpend[i]);
    bt->ntpend = 0;
}

/* The window was unmapped whole (trace kind BT_CC_WINDOW_FLUSH). */
static void trace_window_flush(struct bt *bt, uint64_t flushes_before)
{
    if (bt->win.st.flushes != flushes_before && bt->tpend)
        trace_code_cache(vm_trace(bt->vcpu->vm), BT_CC_WINDOW_FLUSH, 0, 0, cc_used(bt->cc),
                         bt->ip->cpu->eip);
}

/* A window access faulted: walk the guest tables and map the page (hidden
 * fault, the access is retried), or send the translated code to the bail
 * glue so the interpreter finishes the instruction (a true #PF, MMIO, a
 * store into a page holding code). */
static void on_sigsegv(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    struct bt *bt = tls_bt;
    uintptr_t a = (uintptr_t)si->si_addr;
    if (bt && bt->in_code && a - (uintptr_t)bt->poll < 4096) {
        /* The interrupt poll at a block's entry (ident.c): nothing of the
         * block has run, the guest state is in the registers.  Leave
         * through spill_exit with cpu->eip = the block. */
        uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
        struct tblock *tb = cc_contains(bt->cc, rip) ? cc_find_code(bt->cc, rip) : NULL;
        mprotect((void *)bt->poll, 4096, PROT_READ);
        if (!tb || rip != (uintptr_t)tb->code)
            goto crash;
        bt->ip->cpu->eip = tb->eip;
        bt->ret_code = BT_RET_FUEL;
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)bt->spill_exit;
        return;
    }
    if (bt && bt->in_code && bt->view >= 0) {
        uintptr_t base = (uintptr_t)bt->win.base[bt->view];
        uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
        if (a - base < (1ull << 32) && cc_contains(bt->cc, rip)) {
            bool write = uc->uc_mcontext.gregs[REG_ERR] & 2;
            uint32_t pfec;
            int r = win_fault(&bt->win, bt->view, bt->ip->cpu, (uint32_t)(a - base), write, &pfec);
            if (bt->tpend && bt->win.walked)
                trace_window_walk(bt, rip);
            if (bt->win.walked && bt->win.walk.ok && bt->win.walk.large)
                win_mapped_large(&bt->win, bt->view, (uint32_t)(a - base));
            uintptr_t key = a * 2 + write;
            if (r != WIN_HIDDEN || bt->last_fault == key) {
                if (bt->identical && !ident_capture(bt, uc, rip))
                    goto crash;
                bt->st.bailouts++;
                bt->last_fault = 0;
                uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)bt->bail_glue;
            } else {
                bt->last_fault = key;  /* the same fault again: bail out */
            }
            return;
        }
    }
    /* Not a window access by translated code: a VMM bug.  Crash as usual. */
crash:
    (void)sig;
    signal(SIGSEGV, SIG_DFL);
}

static bool page_has_code(void *ctx, uint32_t gpa)
{
    struct interp *ip = ctx;
    return (gpa >> 12) < ip->npages && ip->page_blocks[gpa >> 12];
}

/* The indirect-branch lookup: the block at CS:EIP if its translation is
 * cached and the TLB already maps the fetch; NULL sends the run loop in. */
void *bt_lookup(struct bt *bt)
{
    struct interp *ip = bt->ip;
    struct x86_cpu *c = ip->cpu;
    uint32_t lin = ip->segbase[S_CS] + c->eip;
    struct tlb_entry *e = tlb_entry(ip->tlb, lin);
    if (e->tag_x == (lin & PAGE_MASK) && !bt->check) {   /* --check: one block per step */
        struct tblock *tb = cc_lookup(bt->cc, e->gpa | (lin & 0xfff), c->eip, cpu_mode(c));
        if (tb) {
            struct bt_ibtc *t = &bt->ibtc[c->eip & (BT_IBTC_N - 1)];
            t->key = c->eip | (uint64_t)tb->mode << 32;
            t->code = tb->code;
            bt->st.indirect_hits++;
            return tb->code;
        }
    }
    bt->st.indirect_misses++;
    return NULL;
}

/* ---- the interpreter's block cache tells us what to drop ------------------------- */
static void ibtc_clear(struct bt *bt) { memset(bt->ibtc, 0, sizeof bt->ibtc); }

static void on_block_dropped(void *ctx, struct block *b)
{
    struct bt *bt = ctx;
    ibtc_clear(bt);
    cc_drop_guest(bt->cc, b->gpa, b->eip);
    if (bt->vcpu && trace_on(vm_trace(bt->vcpu->vm)))
        trace_code_cache(vm_trace(bt->vcpu->vm), INTERP_CC_INVALIDATE, b->gpa,
                         b->gpa_end - b->gpa, cc_used(bt->cc), bt->ip->cpu->eip);
}
static void on_cache_flushed(void *ctx)
{
    struct bt *bt = ctx;
    ibtc_clear(bt);
    cc_flush(bt->cc);
    bt->last = NULL;
    if (bt->vcpu && trace_on(vm_trace(bt->vcpu->vm)))
        trace_code_cache(vm_trace(bt->vcpu->vm), INTERP_CC_FLUSH, 0, 0, cc_used(bt->cc),
                         bt->ip->cpu->eip);
}

/* ---- translation ----------------------------------------------------------------- */
static struct tblock *translate(struct bt *bt, struct block *b, uint32_t gpa, uint8_t mode)
{
    size_t avail;
    cc_space(bt->cc, &avail);
    struct tblock *tb = cc_new_block(bt->cc, gpa, b->eip, mode);
    if (!tb)
        return NULL;
    tb->dec = b;
    tb->guest_len = b->gpa_end - b->gpa;
    size_t len = bt->identical ? bt_translate_identical(bt, tb, b, avail)
                               : bt_translate(bt, tb, b, avail);
    if (!len) {
        cc_abandon(bt->cc, tb);
        return NULL;
    }
    cc_commit(bt->cc, tb, len);
    if (bt->perfmap)          /* VMLAB_BT_PERFMAP=1: perf report names blocks by guest EIP */
        fprintf(bt->perfmap, "%lx %x guest_%08x\n", (unsigned long)(uintptr_t)tb->code,
                (unsigned)len, b->eip);
    if (bt->vcpu && trace_on(vm_trace(bt->vcpu->vm)))
        trace_code_cache(vm_trace(bt->vcpu->vm), INTERP_CC_DECODE, gpa, tb->guest_len,
                         cc_used(bt->cc), b->eip);
    return tb;
}

/* Run instructions [start, n) of b in C, as the interpreter does (one-off
 * blocks that cross a page, the one instruction after STI / MOV SS, and
 * the rest of a block after a window access bailed out at start). */
static void run_interpreted(struct bt *bt, struct block *b, unsigned start, unsigned n)
{
    struct interp *ip = bt->ip;
    struct x86_cpu *c = ip->cpu;
    ip->cur_block = b;
    ip->stop = false;
    c->eip = b->next_eip;
    const struct insn *in = b->in + start, *end = b->in + n;
    ip->rep_yield_ok = !bt->check;     /* see bt_cpu_run */
    do {
        ip->cur = in;
        int h = bt_helper_of(in);
        if (h >= 0)
            bt_helper(ip, in, bt, h);
        else
            in->fn(ip, in);
        in++;
    } while (in < end && !ip->stop);
    ip->cur = NULL;
    ip->rep_yield_ok = false;
    unsigned done = interp_block_stopped(ip, b, in - b->in);
    /* The block's instructions before start ran in translated code and are
     * counted here too (a fault counts them in the run loop, as in interp). */
    unsigned io = ip->exit_reason == EXIT_IO_INSTRUCTION;
    ip->st.instructions += done - io;
    bt->st.interpreted += done - start - io;
}

static int finish(struct interp *ip, struct vm_exit *exit, uint32_t reason)
{
    interp_save_state(ip);
    memset(exit, 0, sizeof *exit);
    exit->reason = reason;
    exit->guest_eip = ip->cpu->eip;
    return 0;
}

/* ---- the run loop ------------------------------------------------------------------ */
static int cpu_run(struct bt *bt, struct vm_exit *exit)
{
    struct interp *ip = bt->ip;
    struct x86_cpu *c = ip->cpu;
    struct tblock *volatile from = NULL;     /* unchained exit we came out of */
    volatile int from_exit = 0;
    volatile bool comparable = true;         /* --check: state is at a block end */

    interp_load_state(ip);
    ip->exit_reason = 0;
    ip->delivering = -1;
    ip->cur = NULL;
    ip->budget_end = 0;
    if (ip->shutdown)
        return finish(ip, exit, EXIT_TRIPLE_FAULT);
    if (ip->io_pending) {
        /* Complete the IN/OUT reported by the last exit (x86/interp.h). */
        ip->io_pending = false;
        if (c->eip == ip->io_eip) {
            if (ip->pexit.u.io.in)
                wreg(ip, ip->pexit.u.io.size, R_EAX, exit->u.io.value);
            c->eip = ip->io_eip + ip->pexit.instr_len;
        }
        ip->st.instructions++;
        if (bt->check)
            check_io_done(bt->check, exit->u.io.value);
    }

    if (setjmp(ip->jb)) {
        /* A fault in a handler: the faulting instruction did not happen.
         * It may have unwound out of translated code, past the lines after
         * bt->enter that say we left it. */
        bt->in_code = false;
        ip->rep_yield_ok = ip->rep_yield = false;
        if (ip->cur) {
            ip->st.instructions += ip->cur - ip->cur_block->in;
            c->eip = ip->cur->eip;
            ip->cur = NULL;
        }
        from = NULL;
        comparable = false;
        if (ip->fatal[0])
            goto engine_error;
        if (!interp_deliver_exception(ip)) {
            ip->shutdown = true;
            return finish(ip, exit, EXIT_TRIPLE_FAULT);
        }
    }

    for (;;) {
        if (bt->check && comparable) {
            interp_save_state(ip);
            if (check_step(bt->check, c, ip->st.instructions, ip->fatal, sizeof ip->fatal) < 0)
                goto engine_error;
        }
        comparable = true;
        if (ip->exit_reason) {
            uint32_t eip = c->eip;
            interp_save_state(ip);
            *exit = ip->pexit;
            c->eip = eip;
            return 0;
        }
        if (c->halted) {
            if (!((ip->eflags & FL_IF) && ip->hooks.irq_pending && ip->hooks.irq_pending(ip->opaque))) {
                interp_save_state(ip);
                *exit = ip->pexit;
                exit->reason = EXIT_HLT;
                return 0;
            }
        }
        if (ip->hooks.stop_requested && ip->hooks.stop_requested(ip->opaque))
            return finish(ip, exit, EXIT_EXTERNAL_INTERRUPT);

        /* Interrupt window: IF=1 and not right after STI / MOV SS. */
        bool shadow = c->irq_shadow;
        c->irq_shadow = false;
        if (!shadow && (ip->eflags & FL_IF) && ip->hooks.irq_pending &&
            ip->hooks.irq_pending(ip->opaque)) {
            int vec = ip->hooks.irq_ack ? ip->hooks.irq_ack(ip->opaque) : -1;
            if (vec >= 0) {
                ip->st.interrupts++;
                if (bt->check)
                    check_irq(bt->check, ip->st.instructions, vec);
                from = NULL;
                deliver_event(ip, vec, false, 0, false, c->eip);
            }
        }
        if (c->halted)
            continue;                  /* spurious: still waiting */

        /* Full flush when the code cache is nearly full, or when the
         * interpreter's cache of decoded blocks needs one. */
        size_t avail;
        cc_space(bt->cc, &avail);
        if (avail < BT_MAX_TB || ip->ndead > 256 || ip->nblocks > 32768) {
            interp_cache_flush(ip);    /* -> on_cache_flushed */
            from = NULL;
        }

        /* Find the block at CS:EIP. */
        uint32_t gpa = interp_fetch_gpa(ip);
        uint8_t mode = cpu_mode(c);
        struct tblock *tb = cc_lookup(bt->cc, gpa, c->eip, mode);
        struct block *b = tb ? tb->dec : NULL;
        if (!tb) {
            b = interp_block_lookup(ip, c->eip, gpa);
            if (!b) {
                b = decode_block(ip, c->eip, ip->segbase[S_CS] + c->eip, gpa);
                if (!b) {
                    snprintf(ip->fatal, sizeof ip->fatal,
                             "cannot fetch code at EIP 0x%08x (guest-physical 0x%08x): outside RAM",
                             c->eip, gpa);
                    goto engine_error;
                }
                if (b->cached) {
                    bool was_code = ip->page_blocks[gpa >> 12] != NULL;
                    interp_block_insert(ip, b);
                    if (!was_code && bt->use_window) {
                        uint64_t fl = bt->win.st.flushes;
                        win_code_page(&bt->win, gpa);   /* no writable mapping of code */
                        trace_window_flush(bt, fl);
                    }
                } else
                    ip->oneoff = b;
            }
            if (b->cached && !shadow) {
                tb = translate(bt, b, gpa, mode);
                if (!tb) {
                    snprintf(ip->fatal, sizeof ip->fatal,
                             "block at EIP 0x%08x does not fit in the code cache", c->eip);
                    goto engine_error;
                }
            }
        }
        if (!tb || shadow) {
            run_interpreted(bt, b, 0, shadow ? 1 : b->n);
            from = NULL;
            continue;
        }

        /* Chain the direct exit we left the last block by (same guest page,
         * same mode: the target's physical address cannot change under it). */
        if (from && bt->chaining && from->valid && from->mode == mode &&
            from->exit[from_exit].target == c->eip &&
            tb->gpa == ((from->gpa & PAGE_MASK) | (c->eip & 0xfff)))
            cc_link(bt->cc, from, from_exit, tb);
        from = NULL;

        /* The window follows the guest's paging: a new CR3 (or paging mode)
         * drops every shadow mapping; the view follows CPL. */
        if (bt->use_window) {
            if (c->cr0 != bt->wcr0 || c->cr3 != bt->wcr3 || c->cr4 != bt->wcr4) {
                win_flush(&bt->win);
                trace_window_flush(bt, bt->win.st.flushes - 1);
                ibtc_clear(bt);        /* EIP -> code depends on the address space */
                bt->wcr0 = c->cr0;
                bt->wcr3 = c->cr3;
                bt->wcr4 = c->cr4;
            }
            int view = x86_cpl(c) == 3 ? WIN_USER : WIN_KERNEL;
            if (view != bt->view) {
                set_gs_base(bt->win.base[view]);
                bt->view = view;
                bt->st.gs_switches++;
            }
        }

        /* Run translated code. */
        bt->fuel = bt->fuel_init + bt->identical;   /* identical: exits at 0, not -1 */
        if (bt->identical)
            bt_norm_flags(ip);         /* the entry glue loads them with popfq */
        ip->stop = false;
        bt->st.loop_exits++;
        tls_bt = bt;
        bt->in_code = true;
        /* A REP string instruction run by its interpreter handler pauses
         * every REP_CHUNK iterations (EIP left on it, ECX counting down, as
         * when a real CPU takes an interrupt mid-string: SDM Vol. 2B "REP"),
         * so a huge count cannot hold off --timeout, Ctrl-C or interrupts.
         * Not under --check: the reference compares whole instructions. */
        ip->rep_yield_ok = !bt->check;
        int rc = bt->enter(bt, ip, c, tb->code);
        ip->rep_yield_ok = false;
        bt->in_code = false;
        if (bt->ntpend)
            tpend_drain(bt);
        if (rc != BT_RET_BAIL)
            ip->cur = NULL;
        switch (rc) {
        case BT_RET_CHAIN:
            bt->st.unchained++;
            from = bt->last;
            from_exit = (int)bt->last_exit;
            break;
        case BT_RET_STOP: {
            unsigned done = interp_block_stopped(ip, bt->last->dec, bt->done);
            ip->st.instructions += done - (ip->exit_reason == EXIT_IO_INSTRUCTION);
            break;
        }
        case BT_RET_FUEL:
            bt->st.fuel_exits++;
            ip->cur = NULL;
            break;
        case BT_RET_BAIL: {
            /* The interpreter finishes the block from the faulting window
             * access (it raises the true #PF, does MMIO, handles SMC). */
            const struct insn *cur = ip->cur;
            struct block *cb = ip->cur_block;
            ip->cur = NULL;
            run_interpreted(bt, cb, cur - cb->in, cb->n);
            break;
        }
        default:
            break;
        }
    }

engine_error:
    interp_save_state(ip);
    memset(exit, 0, sizeof *exit);
    exit->reason = EXIT_VMM_ERROR;
    exit->guest_eip = c->eip;
    snprintf(exit->message, sizeof exit->message, "bt: %s", ip->fatal);
    return -1;
}

/* The poller parks while the vCPU is outside (poller.h). */
int bt_cpu_run(struct bt *bt, struct vm_exit *exit)
{
    poller_enter(bt->poller);
    int r = cpu_run(bt, exit);
    poller_leave(bt->poller);
    return r;
}

static int bt_run(struct vcpu *v, struct vm_exit *exit)
{
    struct bt *bt = v->engine_state;
    int r = bt_cpu_run(bt, exit);
    v->instructions = bt->ip->st.instructions;
    return r;
}

/* ---- hooks to the VM (as interp_engine.c) ------------------------------------------ */
static bool hook_irq_pending(void *o) { return vm_irq_pending(((struct vcpu *)o)->vm); }
static int  hook_irq_ack(void *o) { return vm_irq_ack(((struct vcpu *)o)->vm); }
static bool hook_stop(void *o) { return vm_stop_requested(((struct vcpu *)o)->vm); }
static bool hook_pio(void *o, uint16_t port, uint8_t size, bool write, uint32_t *val)
{
    struct vcpu *v = o;
    bool r = vm_pio(v->vm, port, size, write, val);
    struct bt *bt = v->engine_state;
    if (bt && bt->check && !write)
        check_record_read(bt->check, *val);
    return r;
}
static bool hook_mmio(void *o, uint64_t gpa, uint8_t size, bool write, uint32_t *val)
{
    struct vcpu *v = o;
    bool r = vm_mmio(v->vm, gpa, size, write, val);
    struct bt *bt = v->engine_state;
    if (bt && bt->check && !write)
        check_record_read(bt->check, *val);
    return r;
}
static void hook_page_walk(void *o, const struct pt_walk *w, uint32_t eip)
{
    trace_pt_walk(vm_trace(((struct vcpu *)o)->vm), w, eip);
}

/* The poller's tick (poller.h): while translated code runs, every
 * BT_POLL_US make the poll page unreadable, so the next block entry
 * faults back to the run loop, which polls the interrupt controller and
 * the stop request (the JVM's "safepoint poll").  It replaces a countdown
 * at every block entry, which cost a quarter of the compute benchmark's
 * time (x86 has no flag-free decrement-and-branch on a register other
 * than rcx). */
static void poll_tick(void *arg)
{
    struct bt *bt = arg;
    if (bt->in_code)
        mprotect((void *)bt->poll, 4096, PROT_NONE);
}

/* The translator over cpu and ram (both the VM's engine and the
 * standalone API of bt.h use this).  The poller is started by the caller
 * once it knows whether --check turns chaining off. */
static struct bt *bt_setup(struct x86_cpu *cpu, struct guest_ram *ram,
                           const struct interp_hooks *hooks, void *opaque, bool identical,
                           char *err, size_t errlen)
{
    /* struct bt and, on the next page, the poll page (ident.c loads it
     * r13-relative at every block entry). */
    size_t bsz = (sizeof(struct bt) + 4095) & ~(size_t)4095;
    struct bt *bt = mmap(NULL, bsz + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (bt == MAP_FAILED) {
        snprintf(err, errlen, "bt: out of memory");
        return NULL;
    }
    bt->poll = (uint8_t *)bt + bsz;
    bt->poll_off = (int32_t)bsz;
    mprotect((void *)bt->poll, 4096, PROT_READ);
    bt->chaining = true;
    bt->fuel_init = BT_FUEL;
    bt->ip = interp_create(cpu, ram, hooks, opaque, err, errlen);
    if (!bt->ip)
        goto fail;
    bt->ip->block_dropped = on_block_dropped;
    bt->ip->cache_flushed = on_cache_flushed;
    bt->ip->observer = bt;
    /* VMLAB_BT_CACHE_KB shrinks the code cache (tests use it to make the
     * full-cache flush happen in a real run; see README). */
    size_t code_bytes = BT_CODE_BYTES;
    const char *kb = getenv("VMLAB_BT_CACHE_KB");
    if (kb && atoi(kb) > 0) {
        code_bytes = (size_t)atoi(kb) << 10;
        if (code_bytes < 4 * BT_MAX_TB)
            code_bytes = 4 * BT_MAX_TB;
    }
    bt->cc = cc_create(code_bytes, ram->size, err, errlen);
    if (!bt->cc)
        goto fail;
    bt->view = -1;
    bt->use_window = getenv("VMLAB_BT_NO_WINDOW") == NULL;
    if (bt->use_window) {
        if (win_create(&bt->win, ram, err, errlen) < 0) {
            bt->use_window = false;
            goto fail;
        }
        bt->win.is_code = page_has_code;
        bt->win.ctx = bt->ip;
        bt->wcr0 = cpu->cr0;
        bt->wcr3 = cpu->cr3;
        bt->wcr4 = cpu->cr4;
    }
    if (getenv("VMLAB_BT_PERFMAP")) {   /* the perf JIT map convention */
        char path[64];
        snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
        bt->perfmap = fopen(path, "w");
        if (bt->perfmap)
            setvbuf(bt->perfmap, NULL, _IOLBF, 0);
    }
    struct sigaction sa = { .sa_sigaction = on_sigsegv, .sa_flags = SA_SIGINFO | SA_NODEFER };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    size_t avail;
    uint8_t *p = cc_space(bt->cc, &avail);
    bt->identical = identical;
    size_t n = bt->identical ? bt_emit_glue_identical(bt, p, avail) : bt_emit_glue(bt, p, avail);
    if (!n) {
        snprintf(err, errlen, "bt: no room for the entry glue");
        goto fail;
    }
    struct tblock *glue = cc_new_block(bt->cc, 0, 0, 0xff);   /* claims the bytes */
    cc_commit(bt->cc, glue, n);
    cc_drop(bt->cc, glue);
    cc_keep_static(bt->cc);
    return bt;
fail:
    bt_destroy(bt);
    return NULL;
}

/* Identical translation without --check: the poller thread. */
static int start_poller(struct bt *bt, char *err, size_t errlen)
{
    if (!bt->identical || bt->check)
        return 0;
    char why[128];
    bt->poller = poller_start(poll_tick, bt, BT_POLL_US, why, sizeof why);
    if (!bt->poller) {
        snprintf(err, errlen, "bt: interrupt poller: %s", why);
        return -1;
    }
    return 0;
}

struct bt *bt_create(struct x86_cpu *cpu, struct guest_ram *ram, bool identical,
                     char *err, size_t errlen)
{
    struct interp_hooks hooks = { 0 };
    struct bt *bt = bt_setup(cpu, ram, &hooks, NULL, identical, err, errlen);
    if (bt && start_poller(bt, err, errlen) < 0) {
        bt_destroy(bt);
        return NULL;
    }
    return bt;
}

void bt_invalidate_range(struct bt *bt, uint32_t gpa, uint32_t len)
{
    interp_invalidate_range(bt->ip, gpa, len);   /* -> on_block_dropped */
}

static int bt_init(struct vcpu *v, char *err, size_t errlen)
{
    struct interp_hooks hooks = {
        .irq_pending = hook_irq_pending,
        .irq_ack = hook_irq_ack,
        .stop_requested = hook_stop,
        .pio = hook_pio,
        .mmio = hook_mmio,
    };
    if (trace_on(vm_trace(v->vm)))
        hooks.page_walk = hook_page_walk;
    const char *mode = vm_get_options(v->vm)->bt_mode;   /* --bt-mode (options.c checked it) */
    struct bt *bt = bt_setup(&v->cpu, vm_ram(v->vm), &hooks, v,
                             !mode || !strcmp(mode, "identical"), err, errlen);
    if (!bt)
        return -1;
    v->engine_state = bt;
    bt->vcpu = v;
    if (trace_on(vm_trace(v->vm)) && bt->use_window) {
        bt->tpend = calloc(BT_TPEND, sizeof *bt->tpend);
        if (!bt->tpend) {
            snprintf(err, errlen, "bt: out of memory");
            goto fail;
        }
    }
    const char *check = vm_get_options(v->vm)->check;
    if (check) {
        if (strcmp(check, "interp") != 0) {
            snprintf(err, errlen, "bt: --check %s: only 'interp' can be the reference", check);
            goto fail;
        }
        bt->check = check_create(v, err, errlen);
        if (!bt->check)
            goto fail;
        bt->chaining = false;          /* one block per step */
        bt->fuel_init = 1;
    }
    if (start_poller(bt, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    bt_destroy(bt);
    v->engine_state = NULL;
    return -1;
}

static void bt_state_changed(struct vcpu *v) { (void)v; }   /* state reloaded on every run */

static void bt_print_stats(struct vcpu *v, FILE *out)
{
    struct bt *bt = v->engine_state;
    struct cc_stats cs;
    struct interp_stats is;
    cc_get_stats(bt->cc, &cs);
    interp_get_stats(bt->ip, &is);
    const struct bt_stats *s = &bt->st;
    uint64_t chained = s->direct_exits - s->unchained;
    fprintf(out, "bt: %llu instructions, %llu blocks translated (%u cached, %llu KiB of "
            "%llu KiB code cache in use, %llu bytes emitted), %llu flushes\n",
            (unsigned long long)is.instructions, (unsigned long long)cs.translated,
            cc_blocks(bt->cc), (unsigned long long)(cc_used(bt->cc) >> 10),
            (unsigned long long)(cc_capacity(bt->cc) >> 10), (unsigned long long)cs.code_bytes,
            (unsigned long long)cs.flushes);
    if (bt->identical)   /* chained exits are not counted: that would cost flags */
        fprintf(out, "bt: block exits: %llu unchained (through the run loop), "
                "indirect lookups %llu hit / %llu miss; %llu chains made, %llu unlinked; "
                "%llu run-loop entries (%llu to poll interrupts)\n",
                (unsigned long long)s->unchained,
                (unsigned long long)s->indirect_hits, (unsigned long long)s->indirect_misses,
                (unsigned long long)cs.chains, (unsigned long long)cs.unlinks,
                (unsigned long long)s->loop_exits, (unsigned long long)s->fuel_exits);
    else
        fprintf(out, "bt: block exits: %llu chained, %llu unchained (through the run loop), "
            "indirect lookups %llu hit / %llu miss; %llu chains made, %llu unlinked; "
            "%llu run-loop entries (%llu to poll interrupts)\n",
            (unsigned long long)chained, (unsigned long long)s->unchained,
            (unsigned long long)s->indirect_hits, (unsigned long long)s->indirect_misses,
            (unsigned long long)cs.chains, (unsigned long long)cs.unlinks,
            (unsigned long long)s->loop_exits, (unsigned long long)s->fuel_exits);
    fprintf(out, "bt: SMC: %llu translated blocks invalidated (guest code written); "
            "%llu instructions interpreted (page-crossing blocks, STI/MOV SS shadow); "
            "%llu TLB misses, %llu exceptions, %llu interrupts\n",
            (unsigned long long)cs.invalidated, (unsigned long long)s->interpreted,
            (unsigned long long)is.tlb_misses, (unsigned long long)is.exceptions,
            (unsigned long long)is.interrupts);
    if (bt->identical)
        fprintf(out, "bt: identical translation: %llu guest instructions translated NATIVE "
                "(copied/rewritten, registers in host registers)\n",
                (unsigned long long)s->native_insns);
    if (bt->use_window)
        fprintf(out, "bt: window: %llu MOV instructions translated to window accesses; "
                "%llu hidden page faults, %llu true faults (bailed out to the interpreter, "
                "%llu bail-outs in all), %llu window flushes, %llu invlpg, %llu view switches; "
                "%llu guest page-table walks (%llu of them hidden faults)\n",
                (unsigned long long)s->window_insns, (unsigned long long)bt->win.st.hidden,
                (unsigned long long)bt->win.st.true_faults, (unsigned long long)s->bailouts,
                (unsigned long long)bt->win.st.flushes, (unsigned long long)bt->win.st.invlpg,
                (unsigned long long)s->gs_switches, (unsigned long long)bt->win.st.walks,
                (unsigned long long)bt->win.st.walk_hidden);
    if (bt->tpend_lost)
        fprintf(out, "bt: trace: %llu window-walk events lost (buffer full)\n",
                (unsigned long long)bt->tpend_lost);
    fprintf(out, "bt: helper calls (sensitive instructions, never run natively):");
    bool any = false;
    for (int i = 0; i < HLP_N; i++)
        if (s->helper[i]) {
            int r = bt_helper_reason(i);
            fprintf(out, "%s %s %llu", any ? "," : "", bt_helper_name(i),
                     (unsigned long long)s->helper[i]);
            if (r >= 0)
                fprintf(out, " [%d]", r);
            any = true;
        }
    fprintf(out, "%s\n", any ? "" : " none");
    if (bt->check)
        check_print_stats(bt->check, out);
}

void bt_destroy(struct bt *bt)
{
    if (!bt)
        return;
    poller_stop(bt->poller);
    if (bt->ip) {
        bt->ip->cache_flushed = NULL;
        bt->ip->block_dropped = NULL;
        interp_destroy(bt->ip);
    }
    cc_destroy(bt->cc);
    if (bt->use_window)
        win_destroy(&bt->win);
    check_destroy(bt->check);
    free(bt->tpend);
    if (bt->perfmap)
        fclose(bt->perfmap);
    munmap(bt, (size_t)bt->poll_off + 4096);
}

static void bt_fini(struct vcpu *v)
{
    bt_destroy(v->engine_state);
    v->engine_state = NULL;
}

const struct engine_ops bt_engine = {
    .name = "bt",
    .summary = "binary translator: guest blocks translated to host x86-64 code (identical translation)",
    .init = bt_init,
    .run = bt_run,
    .state_changed = bt_state_changed,
    .print_stats = bt_print_stats,
    .fini = bt_fini,
};
