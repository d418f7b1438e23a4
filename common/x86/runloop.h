/*
 * runloop.h — the run loop of the software engines, in pieces.
 *
 * interp_run (interp.c) and stage 01's bt_cpu_run differ only in how they
 * run a block (handlers one after the other, or translated host code);
 * everything around it is here, once:
 *
 *   rc = runloop_enter(ip, exit, budget, &io_done)     state in, finish the
 *   if (rc != RUNLOOP_GO) return rc;                   IN/OUT of the last exit
 *   if (setjmp(*runloop_jmpbuf(ip)))                   a handler faulted:
 *       if ((rc = runloop_fault(ip, exit)) != RUNLOOP_GO)   rewind EIP, deliver
 *           return rc;                                      the exception
 *   runloop_inject(ip);                                VM entry's event
 *   for (;;) {
 *       if ((rc = runloop_boundary(ip, exit, &shadow)) != RUNLOOP_GO)
 *           return rc;                     exit? HLT? budget? stop? interrupt?
 *       gpa = runloop_fetch_gpa(ip);       CS:EIP for a fetch (may fault)
 *       b = runloop_block(ip, gpa);        cached or decoded (NULL: error)
 *       ... run b: runloop_exec(ip, b, 0, n, ...) or translated code ...
 *   }
 *
 * Every function that returns int returns RUNLOOP_GO (keep running) or the
 * value the run returns, with *exit filled: 0 (an exit), INTERP_BUDGET, or
 * -1 (engine error, EXIT_VMM_ERROR with the message).  The protocols (I/O
 * exit completion, HLT, triple fault, stop requests) are those of
 * x86/interp.h.  A function marked "may longjmp" must be called after the
 * setjmp: a fault on the way lands there.
 */
#ifndef X86_RUNLOOP_H
#define X86_RUNLOOP_H

#include <setjmp.h>
#include "x86/decoded.h"

#define RUNLOOP_GO (-2)

/* Load the CPU state, forget what the last run left pending, and complete
 * the I/O instruction of the last exit (*io_done: it was completed, with
 * exit->u.io.value).  A CPU that triple-faulted stays shut down. */
int runloop_enter(struct interp *ip, struct vm_exit *exit, uint64_t budget, bool *io_done);
/* Where faults unwind to: the caller's setjmp(*runloop_jmpbuf(ip)). */
jmp_buf *runloop_jmpbuf(struct interp *ip);
/* After the longjmp: the faulting instruction did not happen — count the
 * block's instructions before it, rewind EIP to it (runloop_rewind: false
 * if the fault was outside an instruction, e.g. delivering an interrupt;
 * an engine may look at the state there first), and deliver the exception
 * (or exit, if the exit policy wants it; a fault while delivering #DF is a
 * triple fault).  May longjmp. */
bool runloop_rewind(struct interp *ip);
int runloop_fault(struct interp *ip, struct vm_exit *exit);
/* Deliver the event of interp_inject_event, if any.  May longjmp. */
void runloop_inject(struct interp *ip);
/* At an instruction (block) boundary: a pending exit, interrupt-window
 * exiting, HLT, the budget, a stop request; then an interrupt if the CPU
 * can take one (IF=1, not right after STI / MOV SS).  *shadow: the next
 * instruction is in such a shadow (run it alone).  May longjmp. */
int runloop_boundary(struct interp *ip, struct vm_exit *exit, bool *shadow);
/* The guest-physical address of CS:EIP (the fetch TLB, else a page walk,
 * which may raise #PF).  May longjmp. */
uint32_t runloop_fetch_gpa(struct interp *ip);
/* The block at CS:EIP (at gpa): from the cache, else decoded and cached
 * (a block across a page boundary is a one-off, dropped at the next
 * fetch).  NULL: not in RAM, ip's error message set (runloop_error). */
struct block *runloop_block(struct interp *ip, uint32_t gpa);

/* Run instructions [start, n) of b through their handlers, until one stops
 * the block (an exit, a written code page) or one faults (longjmp);
 * rep_yield: a REP string instruction may pause (see interp_int.h).
 * call, when not NULL, runs each instruction instead of in->fn.  Counts
 * the instructions that retired; returns how many of b's ran. */
typedef void (*runloop_call_fn)(struct interp *ip, const struct insn *in, void *ctx);
unsigned runloop_exec(struct interp *ip, struct block *b, unsigned start, unsigned n,
                      bool rep_yield, runloop_call_fn call, void *ctx);
/* b's code stopped after done instructions (translated code): set EIP and
 * count the instructions that retired (an I/O exit retires on the next
 * run). */
void runloop_retire(struct interp *ip, const struct block *b, unsigned done);

/* Let a REP string instruction pause (translated code calling its handler,
 * like runloop_exec's rep_yield). */
void runloop_rep_yield(struct interp *ip, bool on);
/* The state into struct x86_cpu (EFLAGS materialised), e.g. to compare it;
 * nothing is executing afterwards. */
void interp_save_state(struct interp *ip);

/* Save the state and return an exit with this reason at EIP. */
int runloop_finish(struct interp *ip, struct vm_exit *exit, uint32_t reason);
/* Has an engine error been recorded (the message runloop_error reports)? */
bool runloop_failed(const struct interp *ip);
/* Save the state and return -1 with EXIT_VMM_ERROR and ip's error message
 * (fmt, if not NULL, sets it first). */
int runloop_error(struct interp *ip, struct vm_exit *exit, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
