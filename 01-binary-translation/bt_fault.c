/*
 * bt_fault.c — the translator's faults: host signals raised by translated
 * code, with rules of their own (the interpreter's faults are longjmps
 * from its handlers, x86/runloop.h).
 *
 *   the poll page      a block entry's load faults when the poller thread
 *                      revoked read access: leave through spill_exit
 *                      (BT_RET_FUEL) so the run loop polls interrupts
 *   the window         an access through gs faults: walk the guest page
 *                      tables and map the page (a hidden fault, retried),
 *                      or bail out so the interpreter finishes the block
 *                      (a true #PF, MMIO, a store into a code page)
 *   x87 exceptions     a native x87 instruction faults with #MF (SIGFPE)
 *                      when an earlier one left an unmasked exception
 *                      pending: bail out there, and the interpreter
 *                      raises the guest's #MF (ident_x87.c)
 *
 * The signal context is the guest state under identical translation
 * (ident_capture copies it into struct interp_state).  Window walks are
 * traced from here through a buffer the run loop drains (no stdio in a
 * signal handler).
 */
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <ucontext.h>
#include <pthread.h>
#include <time.h>
#include "core/vm.h"
#include "trace/trace.h"
#include "x86/decoded.h"
#include "01-binary-translation/bt.h"
#include "01-binary-translation/poller.h"

/* Identical translation: the poller's period (µs), 5% of the guest's
 * 100 Hz tick.  Each poll costs a signal (~2 µs); when it also cost two
 * mprotect calls, with a TLB shootdown each, 100 µs was 5-7% of compute
 * time. */
#define BT_POLL_US 500

/* The translator running on this thread (the signal handler's way back to
 * its VM; one vCPU per thread). */
static __thread struct bt *tls_bt;

void bt_fault_enter(struct bt *bt)
{
    tls_bt = bt;
    bt->in_code = true;
}

/* Identical translation: the signal context is the guest state.  Find the
 * guest instruction of the faulting host instruction (the block's fault
 * map) and copy the registers and flags into the interpreter's state, so
 * the interpreter can finish the block from that instruction. */
static int fmap_find(const struct tblock *tb, uintptr_t rip)
{
    uint32_t off = (uint32_t)(rip - (uintptr_t)tb->code);
    for (unsigned k = 0; k < tb->nfmap; k++)
        if (tb->fmap[k].off == off)
            return (int)k;
    return -1;
}
static bool ident_capture(struct bt *bt, ucontext_t *uc, uintptr_t rip)
{
    static const int greg[8] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX,
                                 REG_R12, REG_RBP, REG_RSI, REG_RDI };
    struct tblock *tb = cc_find_code(bt->cc, rip);
    int k = tb ? fmap_find(tb, rip) : -1;
    if (k < 0)
        return false;
    struct interp_state *s = bt->s;
    for (int g = 0; g < 8; g++)
        s->r[g] = (uint32_t)uc->uc_mcontext.gregs[greg[g]];
    state_set_arith_flags(s, (uint32_t)uc->uc_mcontext.gregs[REG_EFL]);
    s->st.instructions += (uint64_t)uc->uc_mcontext.gregs[REG_R10] /* earlier blocks */
                          + tb->fmap[k].bias;                      /* earlier copies */
    s->cur_block = tb->dec;
    s->cur = &tb->dec->in[tb->fmap[k].idx];
    return true;
}

/* ---- tracing window walks --------------------------------------------------------- */
/* The guest EIP of the instruction whose window access faulted at host
 * address rip: the block's fault map (identical), the current
 * instruction (threaded). */
static uint32_t fault_eip(struct bt *bt, uintptr_t rip)
{
    if (bt->identical) {
        struct tblock *tb = cc_find_code(bt->cc, rip);
        uint32_t off = tb ? (uint32_t)(rip - (uintptr_t)tb->code) : 0;
        for (unsigned k = 0; tb && k < tb->nfmap; k++)
            if (tb->fmap[k].off == off)
                return tb->dec->in[tb->fmap[k].idx].eip;
    } else if (bt->s->cur) {
        return bt->s->cur->eip;
    }
    return bt->cpu->eip;
}

static void tpend_add(struct bt *bt, const struct trace_event *ev)
{
    if (bt->ntpend < BT_TPEND)
        bt->tpend[bt->ntpend++] = *ev;
    else
        bt->tpend_lost++;
}

/* In the SIGSEGV handler, after win_fault walked the guest tables: the
 * same events trace_pt_walk records for the interpreter, flagged
 * TRACE_F_WALK_WINDOW, kept in bt->tpend until the run loop writes them
 * (bt_fault_drain).  A synchronous signal from translated code interrupts
 * no libc call, but trace_emit may fwrite when the ring is full, so the
 * handler only fills this buffer, and asks for a return to the run loop
 * when it fills up. */
static void trace_window_walk(struct bt *bt, uintptr_t rip)
{
    const struct pt_walk *w = &bt->w->walk;
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
    ev.flags =
        (uint16_t)(TRACE_F_WALK_WINDOW | TRACE_F_WALK_RESULT | (w->ok ? 0 : TRACE_F_WALK_FAULT) |
                   (w->ok && w->large ? TRACE_F_WALK_LARGE : 0));
    ev.reason = 0;
    ev.qual = w->ok ? w->gpa : 0;
    ev.value = w->ok ? 0 : w->error_code;
    tpend_add(bt, &ev);
    if (bt->ntpend > BT_TPEND_HIGH) { /* leave at the next block entry */
        if (bt->identical)
            __atomic_store_n(&bt->poll_at, bt->poll, __ATOMIC_RELAXED);
        else
            bt->fuel = 0;
    }
}

void bt_fault_leave(struct bt *bt)
{
    bt->in_code = false;
    struct trace *t = bt->ntpend ? vm_trace(bt->vcpu->vm) : NULL;
    for (unsigned i = 0; i < bt->ntpend; i++) /* the window walks, in order */
        trace_emit(t, &bt->tpend[i]);
    bt->ntpend = 0;
}

/* The interrupt poll at a block's entry (ident.c): nothing of the block
 * has run, the guest state is in the registers.  Leave through spill_exit
 * with EIP = the block's.  Or the poll at the top of a REP string loop
 * (ident_string.c): the registers are the state between two iterations,
 * so leave the same way with EIP on the REP instruction, as a CPU taking
 * an interrupt there (SDM Vol. 2B "REP"); the block's instructions before
 * it are counted.  The run loop goes on with a block that starts at the
 * REP instruction, translated like any other (not in the interpreter:
 * which accesses go through the window stays the same from run to run).
 * False: neither (a VMM bug). */
static bool poll_fault(struct bt *bt, ucontext_t *uc)
{
    uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    struct tblock *tb = cc_contains(bt->cc, rip) ? cc_find_code(bt->cc, rip) : NULL;
    __atomic_store_n(&bt->poll_at, (void *)&bt->poll_at, __ATOMIC_RELAXED);
    if (!tb)
        return false;
    if (rip == (uintptr_t)tb->code + bt->poll_fault) {
        bt->cpu->eip = tb->eip;
    } else {
        int k = fmap_find(tb, rip);
        if (k < 0)
            return false;
        bt->cpu->eip = tb->dec->in[tb->fmap[k].idx].eip;
        uc->uc_mcontext.gregs[REG_R10] += tb->fmap[k].bias + tb->fmap[k].idx;
    }
    bt->ret_code = BT_RET_FUEL;
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)bt->spill_exit;
    return true;
}

/* A window access at guest-linear lin faulted: map the page (hidden fault,
 * the access is retried), or send the translated code to the bail glue.
 * False: the fault is not the guest's (a VMM bug). */
static bool window_fault(struct bt *bt, ucontext_t *uc, uintptr_t a, uint32_t lin)
{
    uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    bool write = uc->uc_mcontext.gregs[REG_ERR] & 2;
    uint32_t pfec;
    int r = bt->mmu ? bt->mmu->ops->fault(bt->mmu, bt->view, bt->cpu, lin, write, &pfec)
                    : win_fault(bt->w, bt->view, bt->cpu, lin, write, &pfec);
    if (bt->tpend && bt->w->walked)
        trace_window_walk(bt, rip);
    if (bt->w->walked && bt->w->walk.ok && bt->w->walk.large)
        win_mapped_large(bt->w, bt->view, lin);
    uintptr_t key = a * 2 + write;
    if (r != WIN_HIDDEN || bt->last_fault == key) {
        if (bt->identical && !ident_capture(bt, uc, rip))
            return false;
        bt->st.bailouts++;
        bt->last_fault = 0;
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)bt->bail_glue;
    } else {
        bt->last_fault = key; /* the same fault again: bail out */
    }
    return true;
}

static void on_sigsegv(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    struct bt *bt = tls_bt;
    uintptr_t a = (uintptr_t)si->si_addr;
    (void)sig;
    if (bt && bt->in_code && a - (uintptr_t)bt->poll < 4096) {
        if (poll_fault(bt, uc))
            return;
    } else if (bt && bt->in_code && bt->view >= 0) {
        uintptr_t base = (uintptr_t)bt->w->base[bt->view];
        uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
        if (a - base < (1ull << 32) && cc_contains(bt->cc, rip) &&
            window_fault(bt, uc, a, (uint32_t)(a - base)))
            return;
    }
    /* Not a fault of translated code: a VMM bug.  Crash as usual. */
    signal(SIGSEGV, SIG_DFL);
}

/* #MF on the host (SDM Vol. 1 §8.7: the next waiting x87 instruction
 * after an unmasked exception) at a native x87 instruction: the guest's
 * x87 has the same exception pending.  The interpreter takes over at that
 * instruction (its fault-map entry) with the host x87 state the kernel
 * restores at sigreturn, which the bail glue's FNSAVE stores (no wait),
 * and raises the guest's #MF, or with CR0.NE = 0 runs on (x86/fpu.h). */
static void on_sigfpe(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    struct bt *bt = tls_bt;
    uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    (void)sig;
    (void)si;
    if (bt && bt->in_code && bt->identical && cc_contains(bt->cc, rip) &&
        ident_capture(bt, uc, rip)) {
        bt->st.bailouts++;
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)bt->bail_glue;
        return;
    }
    signal(SIGFPE, SIG_DFL); /* not translated code: a VMM bug */
}

void bt_fault_install(void)
{
    struct sigaction sa = { .sa_sigaction = on_sigsegv, .sa_flags = SA_SIGINFO | SA_NODEFER };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sa.sa_sigaction = on_sigfpe;
    sigaction(SIGFPE, &sa, NULL);
}

/* ---- the poller ------------------------------------------------------------------ */
/* The poller's tick (poller.h): while translated code runs, every
 * BT_POLL_US point bt->poll_at at the unreadable poll page, so the next
 * block entry faults back to the run loop, which polls the interrupt
 * controller and the stop request (the JVM's "safepoint poll").  It replaces a countdown
 * at every block entry, which cost a quarter of the compute benchmark's
 * time (x86 has no flag-free decrement-and-branch on a register other
 * than rcx).  The thread parks while the vCPU is outside the engine. */
static void poll_tick(void *arg)
{
    struct bt *bt = arg;
    if (bt->in_code)
        __atomic_store_n(&bt->poll_at, bt->poll, __ATOMIC_RELAXED);
}

int bt_poller_start(struct bt *bt, char *err, size_t errlen)
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

void bt_poller_stop(struct bt *bt)
{
    poller_stop(bt->poller);
    bt->poller = NULL;
}
