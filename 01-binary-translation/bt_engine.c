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
 * The architectural state is the interpreter's (struct interp_state of
 * x86/decoded.h, lazy flags and all), which is why a call-threaded
 * translation can call the interpreter's handlers directly.  Everything
 * around running a block is the run loop every software engine shares
 * (x86/runloop.h): I/O-exit completion, faults unwinding with longjmp out
 * of the generated code, the boundary checks.  Host signals from
 * translated code are bt_fault.c's; --stats is bt_stats.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <asm/prctl.h>
#include "core/vm.h"
#include "trace/trace.h"
#include "x86/runloop.h"
#include "x86/tlb.h"
#include "01-binary-translation/bt.h"
#include "01-binary-translation/check.h"
#include "01-binary-translation/poller.h"

#define BT_CODE_BYTES (32u << 20) /* code cache size                      */
#define BT_FUEL       512         /* threaded: block entries between IRQ polls */
#define BT_MAX_TB     16384       /* largest translation of one block     */

static void trace_window_flush(struct bt *bt, uint64_t flushes_before);

/* ---- called from generated code ----------------------------------------------- */
void bt_helper(struct interp *ip, const struct insn *in, struct bt *bt, int id)
{
    struct interp_state *s = bt->s;
    bt->st.helper[id]++;
    int reason = bt_helper_reason(id);
    if (reason >= 0)
        bt->st.helper_exits[reason]++;
    uint32_t lin = id == HLP_INVLPG ? state_ea(s, in) : 0;
    in->fn(ip, in);
    /* Any MOV to CR3 flushes the TLB, even of the value CR3 holds (SDM
     * Vol. 3A §4.10.4.1): Linux write-protects a forked process's pages for
     * copy-on-write and reloads the same CR3, so window_follow must drop
     * (or, with an MMU, re-choose) the window before the next block runs.
     * Without it, a parent wrote through to pages it shares with its child. */
    if (id == HLP_MOV_TO_CR)
        bt->cr_written = true;
    if (id == HLP_INVLPG && bt->use_window) { /* the shadow entry goes too */
        if (bt->mmu)
            bt->mmu->ops->invlpg(bt->mmu, lin);
        else
            win_invlpg(bt->w, lin);
        memset(bt->ibtc, 0, sizeof bt->ibtc);
    }
    if (id == HLP_RDTSC && bt->check && !s->exit_reason) /* replayed to the reference */
        check_record_tsc(bt->check, (uint64_t)s->r[R_EDX] << 32 | s->r[R_EAX]);
}

/* The VMM emulated an INVLPG for the guest (a paravirtual hypercall,
 * 02-paravirt): what the INVLPG helper drops, the TLB entry and the
 * window's shadow mapping of lin. */
void bt_invlpg(struct bt *bt, uint32_t lin)
{
    interp_invlpg(bt->ip, lin);
    if (bt->use_window) {
        if (bt->mmu)
            bt->mmu->ops->invlpg(bt->mmu, lin);
        else
            win_invlpg(bt->w, lin);
        memset(bt->ibtc, 0, sizeof bt->ibtc);
    }
}

/* A CR3 load made for the guest (a hypercall): the same TLB flush as a
 * MOV to CR3, even of the value CR3 holds (SDM Vol. 3A §4.10.4.1). */
void bt_flush_tlb(struct bt *bt)
{
    interp_flush_tlb(bt->ip);
    bt->cr_written = true; /* window_follow drops the window before the next block */
}

static bool flat(const struct x86_seg *s) { return s->base == 0 && s->limit == 0xffffffffu; }
static uint8_t cpu_mode(const struct x86_cpu *c)
{
    return (uint8_t)(x86_cpl(c) | ((c->seg[S_CS].attr & DA_DB) ? MODE_D : 0) |
                     (flat(&c->seg[S_DS]) && flat(&c->seg[S_ES]) && flat(&c->seg[S_SS]) ? MODE_FLAT
                                                                                        : 0) |
                     ((c->cr0 & (CR0_EM | CR0_TS)) ? 0 : MODE_FPU));
}

/* ---- the window: the gs base ------------------------------------------------------- */
static void set_gs_base(void *base)
{
    static int fsgsbase = -1; /* WRGSBASE allowed in user mode? */
    if (fsgsbase < 0)
        fsgsbase = (getauxval(AT_HWCAP2) & 2) != 0; /* HWCAP2_FSGSBASE */
    if (fsgsbase)
        __asm__ volatile("wrgsbase %0" : : "r"(base) : "memory");
    else
        syscall(SYS_arch_prctl, ARCH_SET_GS, base);
}

/* The window was unmapped whole (trace kind BT_CC_WINDOW_FLUSH). */
static void trace_window_flush(struct bt *bt, uint64_t flushes_before)
{
    if (bt->w->st.flushes != flushes_before && bt->tpend)
        trace_code_cache(vm_trace(bt->vcpu->vm), BT_CC_WINDOW_FLUSH, 0, 0, cc_used(bt->cc),
                         bt->cpu->eip);
}

/* The indirect-branch lookup: the block at CS:EIP if its translation is
 * cached and the TLB already maps the fetch; NULL sends the run loop in. */
void *bt_lookup(struct bt *bt)
{
    struct x86_cpu *c = bt->cpu;
    uint32_t lin = bt->s->segbase[S_CS] + c->eip;
    struct tlb_entry *e = tlb_entry(bt->s->tlb, lin);
    if (e->tag_x == (lin & PAGE_MASK) && !bt->check) { /* --check: one block per step */
        struct tblock *tb = cc_lookup(bt->cc, e->gpa | (lin & 0xfff), c->eip, cpu_mode(c));
        if (tb) {
            struct bt_ibtc *t = &bt->ibtc[bt_ibtc_slot(c->eip)];
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
        trace_code_cache(vm_trace(bt->vcpu->vm), INTERP_CC_INVALIDATE, b->gpa, b->gpa_end - b->gpa,
                         cc_used(bt->cc), bt->cpu->eip);
}
static void on_cache_flushed(void *ctx)
{
    struct bt *bt = ctx;
    ibtc_clear(bt);
    cc_flush(bt->cc);
    bt->last = NULL;
    bt->from = NULL;
    if (bt->vcpu && trace_on(vm_trace(bt->vcpu->vm)))
        trace_code_cache(vm_trace(bt->vcpu->vm), INTERP_CC_FLUSH, 0, 0, cc_used(bt->cc),
                         bt->cpu->eip);
}
/* --check: the reference takes the interrupt at the same count. */
static void on_irq_accepted(void *ctx, int vector)
{
    struct bt *bt = ctx;
    if (bt->check)
        check_irq(bt->check, bt->s->st.instructions, vector);
    bt->from = NULL; /* the handler is no successor to chain */
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
    size_t len =
        bt->identical ? bt_translate_identical(bt, tb, b, avail) : bt_translate(bt, tb, b, avail);
    if (!len) {
        cc_abandon(bt->cc, tb);
        return NULL;
    }
    cc_commit(bt->cc, tb, len);
    if (bt->perfmap) /* VMLAB_BT_PERFMAP=1: perf report names blocks by guest EIP */
        fprintf(bt->perfmap, "%lx %x guest_%08x\n", (unsigned long)(uintptr_t)tb->code,
                (unsigned)len, b->eip);
    if (bt->vcpu && trace_on(vm_trace(bt->vcpu->vm)))
        trace_code_cache(vm_trace(bt->vcpu->vm), INTERP_CC_DECODE, gpa, tb->guest_len,
                         cc_used(bt->cc), b->eip);
    return tb;
}

/* ---- the run loop ------------------------------------------------------------------ */
/* Run instructions [start, n) of b in C, as the interpreter does (one-off
 * blocks that cross a page, the one instruction after STI / MOV SS, and
 * the rest of a block after a window access bailed out at start);
 * sensitive instructions go through bt_helper, as in translated code. */
static void call_insn(struct interp *ip, const struct insn *in, void *ctx)
{
    int h = bt_helper_of(in);
    if (h >= 0)
        bt_helper(ip, in, ctx, h);
    else
        in->fn(ip, in);
}
static void run_interpreted(struct bt *bt, struct block *b, unsigned start, unsigned n)
{
    uint64_t before = bt->s->st.instructions;
    /* REP string pauses: see bt_cpu_run. */
    runloop_exec(bt->ip, b, start, n, !bt->check, call_insn, bt);
    /* The block's instructions before start ran in translated code and are
     * counted here too (a fault counts them in the run loop, as in interp). */
    bt->st.interpreted += bt->s->st.instructions - before - start;
}

/* The translation of the block at CS:EIP (guest-physical gpa) in mode,
 * translated now if needed; *tbp NULL: run *bp in C instead (a one-off
 * block, or the instruction in an interrupt shadow).  Returns RUNLOOP_GO,
 * or -1 with *exit filled (engine error). */
static int find_block(struct bt *bt, struct vm_exit *exit, uint32_t gpa, uint8_t mode, bool shadow,
                      struct tblock **tbp, struct block **bp)
{
    struct x86_cpu *c = bt->cpu;
    struct tblock *tb = cc_lookup(bt->cc, gpa, c->eip, mode);
    *tbp = tb;
    *bp = tb ? tb->dec : NULL;
    if (tb)
        return RUNLOOP_GO;
    bool was_code = interp_page_has_code(bt->ip, gpa);
    struct block *b = runloop_block(bt->ip, gpa);
    if (!b)
        return runloop_error(bt->ip, exit, NULL);
    *bp = b;
    if (b->cached && !was_code && bt->use_window) {
        uint64_t fl = bt->w->st.flushes;
        if (bt->mmu) /* no writable mapping of code */
            bt->mmu->ops->code_page(bt->mmu, gpa);
        else
            win_code_page(bt->w, gpa);
        trace_window_flush(bt, fl);
    }
    if (!b->cached || shadow)
        return RUNLOOP_GO;
    *tbp = translate(bt, b, gpa, mode);
    if (!*tbp)
        return runloop_error(bt->ip, exit, "block at EIP 0x%08x does not fit in the code cache",
                             c->eip);
    return RUNLOOP_GO;
}

/* The window follows the guest's paging: a new CR3 (or paging mode) drops
 * every shadow mapping, or, with an MMU plugged in (bt_set_mmu), picks the
 * window it keeps for that address space; the view (gs) follows CPL. */
static void window_follow(struct bt *bt)
{
    struct x86_cpu *c = bt->cpu;
    if (c->cr0 != bt->wcr0 || c->cr3 != bt->wcr3 || c->cr4 != bt->wcr4 || bt->cr_written) {
        bt->cr_written = false;
        if (bt->mmu) {
            struct window *w = bt->mmu->ops->paging(bt->mmu, c);
            if (bt->view >= 0 && w->base[bt->view] != bt->w->base[bt->view])
                bt->view = -1; /* gs must point into the new window's view */
            bt->w = w;
        } else {
            win_flush(bt->w);
            trace_window_flush(bt, bt->w->st.flushes - 1);
        }
        ibtc_clear(bt); /* EIP -> code depends on the address space */
        bt->wcr0 = c->cr0;
        bt->wcr3 = c->cr3;
        bt->wcr4 = c->cr4;
    }
    int view = x86_cpl(c) == 3 ? WIN_USER : WIN_KERNEL;
    if (view != bt->view) {
        set_gs_base(bt->w->base[view]);
        bt->view = view;
        bt->st.gs_switches++;
    }
}

/* Enter translated code at tb and account for how it came back. */
static void run_translated(struct bt *bt, struct tblock *tb)
{
    struct interp_state *s = bt->s;
    bt->fuel = bt->fuel_init + bt->identical; /* identical: exits at 0, not -1 */
    if (bt->identical)
        interp_flatten_flags(bt->ip); /* the entry glue loads them with popfq */
    s->stop = false;
    bt->st.loop_exits++;
    bt_fault_enter(bt);
    /* A REP string instruction run by its interpreter handler pauses
     * every REP_CHUNK iterations (EIP left on it, ECX counting down, as
     * when a real CPU takes an interrupt mid-string: SDM Vol. 2B "REP"),
     * so a huge count cannot hold off --timeout, Ctrl-C or interrupts.
     * Not under --check: the reference compares whole instructions. */
    runloop_rep_yield(bt->ip, !bt->check);
    if (bt->identical) /* the x87 state, for the enter glue's FRSTOR (bt_x87.c) */
        bt_x87_to_img(bt);
    int rc = bt->enter(bt, bt->ip, bt->cpu, tb->code);
    if (bt->identical) /* the exit glue's FNSAVE */
        bt_x87_from_img(bt);
    runloop_rep_yield(bt->ip, false);
    bt_fault_leave(bt);
    if (rc != BT_RET_BAIL)
        s->cur = NULL;
    switch (rc) {
    case BT_RET_CHAIN:
        bt->st.unchained++;
        bt->from = bt->last;
        bt->from_exit = (int)bt->last_exit;
        break;
    case BT_RET_STOP: runloop_retire(bt->ip, bt->last->dec, bt->done); break;
    case BT_RET_FUEL: bt->st.fuel_exits++; break;
    case BT_RET_BAIL: {
        /* The interpreter finishes the block from the faulting window
         * access (it raises the true #PF, does MMIO, handles SMC). */
        const struct insn *cur = s->cur;
        struct block *cb = s->cur_block;
        s->cur = NULL;
        run_interpreted(bt, cb, cur - cb->in, cb->n);
        break;
    }
    default: break;
    }
}

static int cpu_run(struct bt *bt, struct vm_exit *exit)
{
    struct interp *ip = bt->ip;
    struct x86_cpu *c = bt->cpu;
    volatile bool comparable = true; /* --check: state is at a block end */
    bool io_done, shadow;
    bt->from = NULL; /* unchained exit we came out of */
    int rc = runloop_enter(ip, exit, 0, &io_done);
    if (rc != RUNLOOP_GO)
        return rc;
    if (io_done && bt->check)
        check_io_done(bt->check, exit->u.io.value);
    if (setjmp(*runloop_jmpbuf(ip))) {
        /* A fault in a handler, maybe out of translated code (past the
         * lines after bt->enter that say we left it). */
        if (bt->in_code && bt->identical)
            bt_x87_unwind(bt);
        bt->in_code = false;
        bt->from = NULL;
        comparable = false;
        if (runloop_rewind(ip) && bt->check && !runloop_failed(ip)) {
            /* The exception frame pushes EFLAGS: the reference adopts our
             * undefined flags first (check.h). */
            char msg[160];
            interp_save_state(ip);
            if (check_fault(bt->check, c, bt->s->st.instructions, msg, sizeof msg) < 0)
                return runloop_error(ip, exit, "%s", msg);
        }
        if ((rc = runloop_fault(ip, exit)) != RUNLOOP_GO)
            return rc;
    }
    runloop_inject(ip);

    for (;;) {
        if (bt->check && comparable) {
            char msg[120];
            interp_save_state(ip);
            if (check_step(bt->check, c, bt->s->st.instructions, msg, sizeof msg) < 0)
                return runloop_error(ip, exit, "%s", msg);
        }
        comparable = true;
        if ((rc = runloop_boundary(ip, exit, &shadow)) != RUNLOOP_GO)
            return rc;

        /* Full flush when the code cache is nearly full, or when the
         * interpreter's cache of decoded blocks needs one. */
        size_t avail;
        cc_space(bt->cc, &avail);
        if (avail < BT_MAX_TB || interp_cache_crowded(ip))
            interp_cache_flush(ip); /* -> on_cache_flushed */

        uint32_t gpa = runloop_fetch_gpa(ip);
        uint8_t mode = cpu_mode(c);
        struct tblock *tb;
        struct block *b;
        if ((rc = find_block(bt, exit, gpa, mode, shadow, &tb, &b)) != RUNLOOP_GO)
            return rc;
        if (!tb || shadow) {
            run_interpreted(bt, b, 0, shadow ? 1 : b->n);
            bt->from = NULL;
            continue;
        }

        /* Chain the direct exit we left the last block by (same guest page,
         * same mode: the target's physical address cannot change under it). */
        struct tblock *from = bt->from;
        if (from && bt->chaining && from->valid && from->mode == mode &&
            from->exit[bt->from_exit].target == c->eip &&
            tb->gpa == ((from->gpa & PAGE_MASK) | (c->eip & 0xfff)))
            cc_link(bt->cc, from, bt->from_exit, tb);
        bt->from = NULL;
        if (bt->use_window)
            window_follow(bt);
        run_translated(bt, tb);
    }
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
    v->instructions = bt->s->st.instructions;
    return r;
}

/* ---- the VM's hooks (interp_vcpu_hooks), tapped for --check -------------------- */
/* The reference of --check never touches devices: what the guest read from
 * them (string I/O, MMIO) is recorded here and replayed to it. */
static bool tap_pio(void *o, uint16_t port, uint8_t size, bool write, uint32_t *val)
{
    struct bt *bt = ((struct vcpu *)o)->engine_state;
    bool r = bt->bus.pio(o, port, size, write, val);
    if (!write)
        check_record_read(bt->check, *val);
    return r;
}
static bool tap_mmio(void *o, uint64_t gpa, uint8_t size, bool write, uint32_t *val)
{
    struct bt *bt = ((struct vcpu *)o)->engine_state;
    bool r = bt->bus.mmio(o, gpa, size, write, val);
    if (!write)
        check_record_read(bt->check, *val);
    return r;
}

static bool page_has_code(void *ctx, uint32_t gpa) { return interp_page_has_code(ctx, gpa); }

/* The translator over cpu and ram (both the VM's engine and the
 * standalone API of bt.h use this).  The poller is started by the caller
 * once it knows whether --check turns chaining off. */
static struct bt *bt_setup(struct x86_cpu *cpu, struct guest_ram *ram,
                           const struct interp_hooks *hooks, void *opaque, bool identical,
                           char *err, size_t errlen)
{
    /* struct bt and, on the next page, the poll page (bt.h). */
    size_t bsz = (sizeof(struct bt) + 4095) & ~(size_t)4095;
    struct bt *bt =
        mmap(NULL, bsz + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (bt == MAP_FAILED) {
        snprintf(err, errlen, "bt: out of memory");
        return NULL;
    }
    bt->poll = (uint8_t *)bt + bsz;
    bt->poll_at = (void *)&bt->poll_at;
    bt_dfstep_init(bt);
    mprotect(bt->poll, 4096, PROT_NONE);
    bt->chaining = true;
    bt->fuel_init = BT_FUEL;
    bt->ip = interp_create(cpu, ram, hooks, opaque, err, errlen);
    if (!bt->ip)
        goto fail;
    static const struct interp_observer obs = { on_block_dropped, on_cache_flushed, on_irq_accepted,
                                                "bt" };
    interp_set_observer(bt->ip, &obs, bt);
    bt->s = interp_state(bt->ip);
    bt->cpu = cpu;
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
        bt->w = &bt->win;
        bt->wcr0 = cpu->cr0;
        bt->wcr3 = cpu->cr3;
        bt->wcr4 = cpu->cr4;
    }
    if (getenv("VMLAB_BT_PERFMAP")) { /* the perf JIT map convention */
        char path[64];
        snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
        bt->perfmap = fopen(path, "w");
        if (bt->perfmap)
            setvbuf(bt->perfmap, NULL, _IOLBF, 0);
    }
    bt_fault_install();
    size_t avail;
    uint8_t *p = cc_space(bt->cc, &avail);
    bt->identical = identical;
    size_t n = bt->identical ? bt_emit_glue_identical(bt, p, avail) : bt_emit_glue(bt, p, avail);
    if (!n) {
        snprintf(err, errlen, "bt: no room for the entry glue");
        goto fail;
    }
    struct tblock *glue = cc_new_block(bt->cc, 0, 0, 0xff); /* claims the bytes */
    cc_commit(bt->cc, glue, n);
    cc_drop(bt->cc, glue);
    cc_keep_static(bt->cc);
    return bt;
fail:
    bt_destroy(bt);
    return NULL;
}

struct bt *bt_create(struct x86_cpu *cpu, struct guest_ram *ram, bool identical, char *err,
                     size_t errlen)
{
    struct interp_hooks hooks = { 0 };
    struct bt *bt = bt_setup(cpu, ram, &hooks, NULL, identical, err, errlen);
    if (bt && bt_poller_start(bt, err, errlen) < 0) {
        bt_destroy(bt);
        return NULL;
    }
    return bt;
}

void bt_invalidate_range(struct bt *bt, uint32_t gpa, uint32_t len)
{
    interp_invalidate_range(bt->ip, gpa, len); /* -> on_block_dropped */
}

static int bt_init(struct vcpu *v, char *err, size_t errlen)
{
    /* bt's own options, checked by main.c's option table. */
    const char *mode = vm_engine_option(v->vm, "--bt-mode");
    bool identical = !mode || !strcmp(mode, "identical");
    const char *check = vm_engine_option(v->vm, "--check");
    if (check && strcmp(check, "interp") != 0) {
        snprintf(err, errlen, "bt: --check %s: only 'interp' can be the reference", check);
        return -1;
    }
    struct interp_hooks hooks, bus;
    interp_vcpu_hooks(&hooks, v);
    hooks.code_cache = NULL; /* translate() and the observers trace our cache */
    bus = hooks;
    if (check) {
        hooks.pio = tap_pio;
        hooks.mmio = tap_mmio;
    }
    struct bt *bt = bt_setup(&v->cpu, vm_ram(v->vm), &hooks, v, identical, err, errlen);
    if (!bt)
        return -1;
    v->engine_state = bt;
    bt->vcpu = v;
    bt->bus = bus;
    if (trace_on(vm_trace(v->vm)) && bt->use_window) {
        bt->tpend = calloc(BT_TPEND, sizeof *bt->tpend);
        if (!bt->tpend) {
            snprintf(err, errlen, "bt: out of memory");
            goto fail;
        }
    }
    if (check) {
        bt->check = check_create(v, err, errlen);
        if (!bt->check)
            goto fail;
        bt->chaining = false;                  /* one block per step */
        interp_split_flag_reads(bt->ip, true); /* see check.h */
        bt->fuel_init = 1;
    }
    if (bt_poller_start(bt, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    bt_destroy(bt);
    v->engine_state = NULL;
    return -1;
}

void bt_destroy(struct bt *bt)
{
    if (!bt)
        return;
    bt_poller_stop(bt);
    if (bt->ip) {
        static const struct interp_observer none = { 0 };
        interp_set_observer(bt->ip, &none, NULL); /* its cache flush is not ours */
        interp_destroy(bt->ip);
    }
    cc_destroy(bt->cc);
    if (bt->mmu)
        bt->mmu->ops->destroy(bt->mmu);
    if (bt->use_window)
        win_destroy(&bt->win);
    check_destroy(bt->check);
    free(bt->tpend);
    if (bt->perfmap)
        fclose(bt->perfmap);
    munmap(bt, (size_t)(bt->poll - (uint8_t *)bt) + 4096);
}

/* A later stage's MMU takes over the window (bt.h).  Stage 01's own
 * window is released: the MMU's windows replace it. */
int bt_set_mmu(struct bt *bt, struct bt_mmu *m)
{
    if (!bt->use_window)
        return -1;
    win_destroy(&bt->win);
    bt->mmu = m;
    bt->w = m->ops->paging(m, bt->cpu);
    bt->wcr0 = bt->cpu->cr0;
    bt->wcr3 = bt->cpu->cr3;
    bt->wcr4 = bt->cpu->cr4;
    bt->view = -1;
    return 0;
}

static void bt_fini(struct vcpu *v)
{
    bt_destroy(v->engine_state);
    v->engine_state = NULL;
}

const struct engine_ops bt_engine = {
    .name = "bt",
    .summary =
        "binary translator: guest blocks translated to host x86-64 code (identical translation)",
    .init = bt_init,
    .run = bt_run,
    .counts_instructions = true,
    .print_stats = bt_print_stats,
    .fini = bt_fini,
};
