/*
 * runloop.c — the run loop of the software engines (runloop.h), and the
 * interpreter's, interp_run:
 *
 *   for (;;) {
 *       at an instruction boundary: pending exit?  halted?  budget?  stop?
 *           interrupt (IF=1, no STI/MOV SS shadow)?  -> deliver via the IDT
 *       find the block at CS:EIP (successor cache, else hash on its
 *           guest-physical address, else decode it)
 *       run its handlers one after the other
 *   }
 *
 * Faults unwind with longjmp to the setjmp at the top of the loop, which
 * rewinds EIP to the faulting instruction and delivers the exception.
 */
#include <stdarg.h>
#include <stdio.h>
#include "x86/interp_int.h"
#include "x86/runloop.h"

_Static_assert(offsetof(struct interp, pub) == 0, "struct interp starts with its interp_state");

int runloop_finish(struct interp *ip, struct vm_exit *exit, uint32_t reason)
{
    interp_save_state(ip);
    memset(exit, 0, sizeof *exit);
    exit->reason = reason;
    exit->guest_eip = ip->cpu->eip;
    return 0;
}

int runloop_error(struct interp *ip, struct vm_exit *exit, const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ip->fatal, sizeof ip->fatal, fmt, ap);
        va_end(ap);
    }
    interp_save_state(ip);
    memset(exit, 0, sizeof *exit);
    exit->reason = EXIT_VMM_ERROR;
    exit->guest_eip = ip->cpu->eip;
    snprintf(exit->message, sizeof exit->message, "%s: %s",
             ip->obs.engine ? ip->obs.engine : "interp", ip->fatal);
    return -1;
}

int runloop_enter(struct interp *ip, struct vm_exit *exit, uint64_t budget, bool *io_done)
{
    struct x86_cpu *c = ip->cpu;
    interp_load_state(ip);
    ip->exit_reason = 0;
    ip->delivering = -1;
    ip->inj_delivering = false;
    ip->cur = NULL;
    ip->budget_end = budget ? ip->st.instructions + budget : 0;
    *io_done = false;
    if (ip->shutdown)
        return runloop_finish(ip, exit, EXIT_TRIPLE_FAULT);
    if (ip->io_pending) {
        /* Complete the IN/OUT reported by the last exit (see interp.h). */
        ip->io_pending = false;
        if (c->eip == ip->io_eip) {
            if (ip->pexit.u.io.in)
                wreg(ip, ip->pexit.u.io.size, R_EAX, exit->u.io.value);
            c->eip = ip->io_eip + ip->pexit.instr_len;
        }
        ip->st.instructions++;
        *io_done = true;
    }
    return RUNLOOP_GO;
}

jmp_buf *runloop_jmpbuf(struct interp *ip) { return &ip->jb; }

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

bool runloop_rewind(struct interp *ip)
{
    ip->rep_yield_ok = ip->rep_yield = false;
    if (!ip->cur)
        return false;
    ip->st.instructions += ip->cur - ip->cur_block->in;
    ip->cpu->eip = ip->cur->eip;
    ip->cur = NULL;
    return true;
}

bool runloop_failed(const struct interp *ip) { return ip->fatal[0] != 0; }

/* An exit is taken: an injected or external event whose delivery it
 * interrupted stays pending (IDT-vectoring, interp.h's xlate hook). */
static void vectoring(struct interp *ip, bool exiting)
{
    if (ip->inj_delivering)
        ip->inj_pending = exiting && ip->hooks.xlate;
    ip->inj_delivering = false;
}

int runloop_fault(struct interp *ip, struct vm_exit *exit)
{
    runloop_rewind(ip);
    if (ip->fatal[0])
        return runloop_error(ip, exit, NULL);
    if (ip->exc_vec == INTERP_VEC_EXIT) { /* the xlate hook's exit */
        vectoring(ip, true);
        interp_save_state(ip);
        *exit = ip->pexit;
        exit->guest_eip = ip->cpu->eip;
        return 0;
    }
    if ((ip->delivering < 0 || ip->hooks.xlate) && ip->hooks.exit_policy &&
        exception_exit(ip, exit)) {
        vectoring(ip, true);
        return 0;
    }
    vectoring(ip, false);
    if (!interp_deliver_exception(ip)) {
        ip->shutdown = true;
        return runloop_finish(ip, exit, EXIT_TRIPLE_FAULT);
    }
    return RUNLOOP_GO;
}

void runloop_inject(struct interp *ip)
{
    if (!ip->inj_pending)
        return;
    /* VM entry with event injection: deliver before the first instruction. */
    ip->inj_pending = false;
    ip->inj_delivering = true;
    if (ip->inj_external) {
        ip->st.interrupts++;
    } else {
        ip->delivering = ip->inj_vec;
        ip->st.exceptions++;
    }
    deliver_event(ip, ip->inj_vec, ip->inj_has_err, ip->inj_err, false, ip->cpu->eip);
    ip->delivering = -1;
    ip->inj_delivering = false;
}

HOT bool irq_pending(struct interp *ip)
{
    return (ip->eflags & FL_IF) && ip->hooks.irq_pending && ip->hooks.irq_pending(ip->opaque);
}

/* Inlined into interp_run: it runs at every block boundary. */
HOT int boundary(struct interp *ip, struct vm_exit *exit, bool *shadow)
{
    struct x86_cpu *c = ip->cpu;
    do {
        if (ip->exit_reason) { /* a handler prepared an exit */
            uint32_t eip = c->eip;
            interp_save_state(ip);
            *exit = ip->pexit;
            c->eip = eip;
            return 0;
        }
        if (ip->irq_window_exit && (ip->eflags & FL_IF) && !c->irq_shadow)
            return runloop_finish(ip, exit, EXIT_INTERRUPT_WINDOW);
        if (c->halted && !irq_pending(ip)) {
            interp_save_state(ip);
            *exit = ip->pexit;
            exit->reason = EXIT_HLT;
            return 0;
        }
        if (ip->budget_end && ip->st.instructions >= ip->budget_end) {
            interp_save_state(ip);
            return INTERP_BUDGET;
        }
        if (ip->hooks.stop_requested && ip->hooks.stop_requested(ip->opaque))
            return runloop_finish(ip, exit, EXIT_EXTERNAL_INTERRUPT);

        /* Interrupt window: IF=1 and not right after STI / MOV SS. */
        *shadow = c->irq_shadow;
        c->irq_shadow = false;
        if (!*shadow && irq_pending(ip)) {
            int v = ip->hooks.irq_ack ? ip->hooks.irq_ack(ip->opaque) : -1;
            if (v >= 0) {
                ip->st.interrupts++;
                if (ip->obs.irq_accepted)
                    ip->obs.irq_accepted(ip->observer, v);
                ip->inj_vec = v; /* for an exit while delivering it */
                ip->inj_external = true;
                ip->inj_has_err = false;
                ip->inj_delivering = true;
                deliver_event(ip, v, false, 0, false, c->eip);
                ip->inj_delivering = false;
            }
        }
    } while (c->halted); /* spurious: still waiting */
    return RUNLOOP_GO;
}

int runloop_boundary(struct interp *ip, struct vm_exit *exit, bool *shadow)
{
    return boundary(ip, exit, shadow);
}

void runloop_rep_yield(struct interp *ip, bool on) { ip->rep_yield_ok = on; }

uint32_t runloop_fetch_gpa(struct interp *ip) { return interp_fetch_gpa(ip); }

struct block *runloop_block(struct interp *ip, uint32_t gpa)
{
    uint32_t eip = ip->cpu->eip;
    struct block *b = interp_block_lookup(ip, eip, gpa);
    if (b)
        return b;
    b = decode_block(ip, eip, ip->segbase[S_CS] + eip, gpa);
    if (!b) {
        snprintf(ip->fatal, sizeof ip->fatal,
                 "cannot fetch code at EIP 0x%08x (guest-physical 0x%08x): outside RAM", eip, gpa);
        return NULL;
    }
    if (b->cached)
        interp_block_insert(ip, b);
    else
        ip->oneoff = b;
    interp_cc_event(ip, INTERP_CC_DECODE, b);
    return b;
}

/* An I/O exit retires on the next run; a policy exit (the VMM emulates the
 * instruction) never here.  HLT has retired. */
HOT void retire(struct interp *ip, unsigned done)
{
    ip->st.instructions += done - (ip->exit_reason && ip->exit_reason != EXIT_HLT);
}

void runloop_retire(struct interp *ip, const struct block *b, unsigned done)
{
    retire(ip, interp_block_stopped(ip, b, done));
}

HOT unsigned exec(struct interp *ip, struct block *b, unsigned start, unsigned n, bool rep_yield,
                  runloop_call_fn call, void *ctx)
{
    ip->cur_block = b;
    ip->stop = false;
    ip->cpu->eip = b->next_eip; /* a branch at the end overrides it */
    const struct insn *in = b->in + start, *end = b->in + n;
    ip->rep_yield_ok = rep_yield;
    if (unlikely(ip->track_flags) && !call) /* a lock-step reference (interp.h) */
        in = interp_run_tracked(ip, in, end);
    else
        do {
            ip->cur = in;
            if (call)
                call(ip, in, ctx);
            else
                in->fn(ip, in);
            in++;
        } while (in < end && !ip->stop);
    ip->cur = NULL;
    ip->rep_yield_ok = false;
    unsigned done = interp_block_stopped(ip, b, in - b->in);
    retire(ip, done);
    return done;
}

unsigned runloop_exec(struct interp *ip, struct block *b, unsigned start, unsigned n,
                      bool rep_yield, runloop_call_fn call, void *ctx)
{
    return exec(ip, b, start, n, rep_yield, call, ctx);
}

/* ---- the interpreter's loop ------------------------------------------------------ */
/* The block at CS:EIP from the successor cache of the block run last. */
HOT struct block *successor(struct interp *ip, uint32_t gpa)
{
    struct block *p = ip->prev;
    uint32_t eip = ip->cpu->eip;
    for (int k = 0; p && k < 2; k++)
        if (p->succ[k] && p->succ[k]->eip == eip && p->succ[k]->gpa == gpa && p->succ[k]->valid)
            return p->succ[k];
    return NULL;
}

int interp_run(struct interp *ip, struct vm_exit *exit, uint64_t budget)
{
    bool io_done, shadow;
    int rc = runloop_enter(ip, exit, budget, &io_done);
    if (rc != RUNLOOP_GO)
        return rc;
    if (setjmp(ip->jb)) {
        if ((rc = runloop_fault(ip, exit)) != RUNLOOP_GO)
            return rc;
    }
    runloop_inject(ip);

    for (;;) {
        if ((rc = boundary(ip, exit, &shadow)) != RUNLOOP_GO)
            return rc;
        if (cache_crowded(ip))
            interp_cache_flush(ip);
        uint32_t gpa = interp_fetch_gpa(ip);
        struct block *b = successor(ip, gpa), *p = ip->prev;
        if (!b) {
            b = runloop_block(ip, gpa);
            if (!b)
                return runloop_error(ip, exit, NULL);
            if (p && b->cached) {
                if (!p->succ[0] || !p->succ[0]->valid)
                    p->succ[0] = b;
                else
                    p->succ[1] = b;
            }
        }

        /* Run it: one instruction in an interrupt shadow, not past the budget. */
        unsigned n = shadow ? 1 : b->n;
        if (ip->budget_end && ip->budget_end - ip->st.instructions < n)
            n = ip->budget_end - ip->st.instructions;
        exec(ip, b, 0, n, true, NULL, NULL);
        ip->prev = b->cached ? b : NULL;
    }
}
