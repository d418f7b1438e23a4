/*
 * interp.h — the reference interpreter: a pure x86-32 CPU model.
 *
 * The interpreter executes guest code from guest-physical RAM on a
 * struct x86_cpu (x86/cpu.h).  It knows nothing about struct vm: it talks to
 * the outside world only through the hooks below, so a unit test or the
 * differential tester (tests/diff) can drive it with a few lines of setup.
 * interp_engine (interp_engine.c) adapts it to the engine interface of
 * core/engine.h for the stage binaries.
 *
 * Inside, it is split like QEMU: a decoder front end (decode.c: capstone,
 * once per instruction, into a compact form cached per basic block keyed by
 * guest-physical address), execution (exec_*.c: one handler per operation,
 * lazy arithmetic flags), and the MMU (paging.c: the 2-level walk of SDM
 * Vol. 3A §4.3; tlb.c: a software TLB holding host pointers).
 *
 * What is handled inside (no exit): every ordinary instruction, exceptions
 * and interrupts through the guest IDT (SDM Vol. 3A ch. 6), paging, CPUID,
 * RDMSR/WRMSR, RDTSC, string I/O (through the pio hook).  What makes
 * interp_run return with an exit (core/vm_exit.h, SDM reason numbers):
 *
 *  EXIT_IO_INSTRUCTION (30)  IN/OUT with a port in a register or immediate.
 *      The exit is reported with the instruction NOT yet completed:
 *      cpu->eip == exit->guest_eip (the IN/OUT itself), exit->instr_len set,
 *      exit->u.io.{port,size,in} filled; for OUT, exit->u.io.value holds the
 *      value.  The VMM performs the device access and, for IN, stores the
 *      result in exit->u.io.value.  The NEXT interp_run(ip, exit, ...) with
 *      that same exit completes the instruction: IN writes u.io.value into
 *      AL/AX/EAX (size-masked, upper bits kept), then EIP advances.  The VMM
 *      must not touch EAX or EIP itself.  (Compatibility: if the VMM did
 *      advance EIP past the instruction itself, the interpreter sees that and
 *      does not complete it a second time.)
 *  EXIT_HLT (12)             HLT at CPL 0.  HLT has completed: cpu->eip is
 *      past it, cpu->halted is true, exit->guest_eip is the HLT.  The next
 *      interp_run delivers a pending interrupt if EFLAGS.IF=1 (clearing
 *      halted) and continues; otherwise it returns EXIT_HLT again at once,
 *      so the VMM can wait for device time to pass.
 *  EXIT_TRIPLE_FAULT (2)     a fault while delivering #DF (SDM §6.15).
 *      The CPU state is that of the shutdown; the VMM ends the VM.
 *  EXIT_EXTERNAL_INTERRUPT (1)  hooks->stop_requested() said yes: the VMM
 *      wants control at an instruction boundary (timeout, debug exit written
 *      by a string OUT, Ctrl-C).  Like a host interrupt kicking a vCPU out
 *      of VMX non-root mode: nothing about the guest, just run again (or not).
 *
 * State on return is always architectural: cpu->eflags is materialised from
 * the lazy flags, cpu->eip is at an instruction boundary.  The caller may
 * change any cpu field between runs (the interpreter reloads everything at
 * the start of interp_run); after writing guest RAM behind the
 * interpreter's back (loader, DMA), call interp_invalidate_range/_all so
 * stale decoded code is dropped.
 */
#ifndef X86_INTERP_H
#define X86_INTERP_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "core/vm_exit.h"
#include "core/guest_ram.h"
#include "core/engine.h"
#include "x86/cpu.h"

#include "x86/paging.h"

/* One translation by the xlate hook (below). */
struct interp_xlate {
    struct pt_walk walk;     /* the guest's walk: ok, gpa, error_code, global, large */
    bool read, write, fetch; /* may the TLB serve these without asking again */
    uint32_t eip;            /* in: the instruction that translates          */
};

/* How the CPU reaches the rest of the machine.  opaque is passed back to
 * every hook.  Any hook may be NULL: then no interrupt is ever pending, no
 * stop is requested, string I/O reads all ones and writes are dropped,
 * MMIO (physical addresses outside RAM) reads all ones and drops writes. */
struct interp_hooks {
    /* Is an external interrupt (INTR line) pending?  Called at basic-block
     * boundaries; may advance device time. */
    bool (*irq_pending)(void *opaque);
    /* INTA: the vector of the pending interrupt (called only when the CPU
     * accepts it: IF=1, no STI/MOV SS shadow).  A negative value = spurious,
     * nothing is delivered. */
    int (*irq_ack)(void *opaque);
    /* Should interp_run return at the next instruction boundary? */
    bool (*stop_requested)(void *opaque);
    /* Port I/O for INS/OUTS (executed inside the interpreter, one element
     * at a time).  *val is the value written or receives the value read.
     * Returns false if no device claimed the port. */
    bool (*pio)(void *opaque, uint16_t port, uint8_t size, bool write, uint32_t *val);
    /* Access to a guest-physical address outside RAM (memory-mapped I/O). */
    bool (*mmio)(void *opaque, uint64_t gpa, uint8_t size, bool write, uint32_t *val);
    /* Tracing: one guest page-table walk (every reference, see paging.h),
     * by the instruction at eip.  Called on each TLB miss that walks. */
    void (*page_walk)(void *opaque, const struct pt_walk *walk, uint32_t eip);
    /* Tracing: the decoded-block cache.  kind INTERP_CC_*; gpa and size
     * (guest bytes) of the block; occupancy = bytes of decoded blocks
     * cached afterwards. */
    void (*code_cache)(void *opaque, int kind, uint32_t gpa, uint32_t size, uint64_t occupancy,
                       uint32_t eip);
    /* Exit policy: the VM-execution controls of a (software) VMCS, for the
     * VMX model of stage 03 (03-hw-assisted/vmx.c).  NULL = the behaviour
     * described above.  Asked, after the instruction's own privilege checks
     * (those faults have priority over VM exits, SDM Vol. 3C §26.1.1), before
     *   CPUID (10), RDTSC (16), MOV to/from CR0/CR3/CR4, CLTS, LMSW (28),
     *   INVLPG (14), MOV to/from DR (29), RDMSR/WRMSR (31/32), IN/OUT (30),
     * and before a (non-nested) hardware exception is delivered (0), with *e
     * filled as VT-x fills its exit-information fields: reason, guest_eip,
     * instr_len, the SDM exit qualification (Tables 28-1 ff.) and u.
     * Returns true: interp_run returns 0 with that exit and the instruction
     * has NOT executed (the caller emulates it and advances EIP, or injects
     * the exception with interp_inject_event); an I/O exit keeps the
     * completion protocol above.  false: the instruction executes here; an
     * IN/OUT then goes through the pio hook without any exit.  Not asked
     * for HLT (callers see EXIT_HLT and decide), INS/OUTS (always done
     * through pio), INT n / INT3 / INTO, or a fault while delivering. */
    bool (*exit_policy)(void *opaque, struct vm_exit *e);
    /* Memory virtualization under VMX (stage 04: EPT, or the shadow page
     * tables a VMM keeps): on every TLB miss the CPU asks this hook instead
     * of walking the guest's tables itself (NULL: pt_walk, or no paging).
     * acc is ACC_R/W/X plus ACC_U for a CPL-3 access.  The hook fills x
     * (the guest's walk, with paging off nrefs 0 and gpa = lin, and which
     * accesses the TLB may then serve without asking again) and returns
     * INTERP_XLATE_OK, INTERP_XLATE_PF (#PF with x->walk.error_code) or
     * INTERP_XLATE_EXIT: a VM exit (*e: reason, qualification, u.ept) in
     * the middle of the instruction, which does not happen (EIP stays on
     * it).  An exit or an exception exit while an injected or external
     * event is being delivered leaves that event pending for the next run,
     * as a VMM does that re-injects it from the IDT-vectoring information
     * (SDM Vol. 3C §28.2.4); with this hook the exception bitmap is also
     * asked for a fault while delivering an exception. */
    int (*xlate)(void *opaque, uint32_t lin, unsigned acc, struct interp_xlate *x,
                 struct vm_exit *e);
    /* With xlate: the TLB was flushed (INTERP_FLUSH_*: INVLPG of lin, a
     * CR3 load, everything), so the hook drops what it caches too. */
    void (*tlb_flush)(void *opaque, int kind, uint32_t lin);
};
enum { INTERP_XLATE_OK, INTERP_XLATE_PF, INTERP_XLATE_EXIT };
enum { INTERP_FLUSH_PAGE, INTERP_FLUSH_NONGLOBAL, INTERP_FLUSH_ALL };

enum { INTERP_CC_DECODE = 1, INTERP_CC_INVALIDATE = 2, INTERP_CC_FLUSH = 3 };

struct interp;

/* A CPU model over cpu (state, owned by the caller) and ram (guest-physical
 * memory).  hooks is copied.  Returns NULL with a one-line reason in err. */
struct interp *interp_create(struct x86_cpu *cpu, struct guest_ram *ram,
                             const struct interp_hooks *hooks, void *opaque, char *err,
                             size_t errlen);
void interp_destroy(struct interp *ip);

/* Run guest code until an exit (see the list above) or until budget
 * instructions have retired (budget 0 = no limit).
 *   0   *exit is filled (reason, guest_eip, instr_len, qualification, u)
 *   1   budget exhausted; *exit untouched, state at an instruction boundary
 *  -1   engine error; exit->reason = EXIT_VMM_ERROR, exit->message says why
 * exit must be the one returned by the previous call when that was an I/O
 * exit (see above), otherwise its contents on entry are ignored. */
int interp_run(struct interp *ip, struct vm_exit *exit, uint64_t budget);

#define INTERP_BUDGET 1 /* interp_run's "budget exhausted" return value */

/* Guest instructions retired so far (an exception-causing instruction does
 * not retire; a delivered interrupt or exception is not an instruction). */
uint64_t interp_instructions(const struct interp *ip);

/* Undefined flags, for a lock-step reference (01-binary-translation/
 * check.c): while tracking is on, the interpreter accumulates the
 * arithmetic flags the SDM leaves undefined for the instructions it
 * retires, undef = (undef & ~def) | undef_new (x86/flag_effects.h), with
 * run-time counts; the caller reads and resets the set at its compare
 * points.  Off (the default) costs one test per basic block. */
void interp_track_flags(struct interp *ip, bool on);
uint32_t interp_undef_flags(const struct interp *ip);
void interp_set_undef_flags(struct interp *ip, uint32_t undef);
/* A translator checked against such a reference: decoded blocks end
 * before an instruction that reads a flag (as a condition or as data)
 * that an earlier instruction of the block may have left undefined, so
 * that the reference can adopt the translator's values at the boundary. */
void interp_split_flag_reads(struct interp *ip, bool on);

/* Forget all cached translations (decoded blocks and TLB). */
void interp_invalidate_all(struct interp *ip);
/* Guest-physical [gpa, gpa+len) was written behind the interpreter's back. */
void interp_invalidate_range(struct interp *ip, uint64_t gpa, uint64_t len);

/* Write watch, for a VMM that write-protects guest page tables to keep
 * shadow page tables coherent (04-memory/shadow.h): every store the
 * interpreter makes to a guest-physical page marked with interp_watch_page
 * takes the TLB's slow path and calls fn(ctx, gpa, len) just before it is
 * done.  interp_set_watch returns -1 when out of memory. */
int interp_set_watch(struct interp *ip, void (*fn)(void *ctx, uint32_t gpa, uint32_t len),
                     void *ctx);
void interp_watch_page(struct interp *ip, uint32_t gpa, bool on);

/* VT-x guest/host masks and read shadows of CR0 and CR4 (SDM Vol. 3C
 * §25.6.6, §26.3): a bit set in a mask is owned by the VMM.  MOV from CR0/CR4
 * and SMSW read such a bit from the shadow; MOV to CR0/CR4, LMSW and CLTS
 * leave it unchanged in the real register (whether they exit instead is
 * the exit policy's decision).  All zero (the default) = no effect. */
void interp_set_cr_shadows(struct interp *ip, uint32_t cr0_mask, uint32_t cr0_shadow,
                           uint32_t cr4_mask, uint32_t cr4_shadow);
/* Event injection (VM-entry interruption information, SDM Vol. 3C §27.6):
 * the next interp_run first delivers this event through the guest IDT — an
 * external interrupt (external = true, vector 32-255) or a hardware
 * exception with its error code; a fault while delivering it follows the
 * double-fault rules.  Clears cpu->halted like any delivered event. */
void interp_inject_event(struct interp *ip, int vector, bool external, bool has_err, uint32_t err);
/* Is an injected event still to be delivered, as an exit during its
 * delivery leaves it (the xlate hook's IDT-vectoring)?  Its vector and
 * kind, for the VMM, which must not inject another over it. */
bool interp_event_pending(const struct interp *ip, int *vector, bool *external);
/* Interrupt-window exiting (SDM Vol. 3C §26.2): while on, interp_run returns
 * EXIT_INTERRUPT_WINDOW (7) at the first instruction boundary where the CPU
 * could take an interrupt (EFLAGS.IF=1, no STI/MOV SS blocking), also from
 * the HLT state.  The caller turns it off. */
void interp_set_irq_window_exit(struct interp *ip, bool on);
/* The VMM invalidates the TLB entries of one linear address (what INVLPG
 * does; a VMM emulating INVLPG after an INVLPG exit calls this). */
void interp_invlpg(struct interp *ip, uint32_t lin);
/* The VMM invalidates every non-global TLB entry: what a MOV to CR3 does,
 * even of the value CR3 already holds (SDM Vol. 3A §4.10.4.1); a VMM
 * emulating MOV to CR3 after a CR3-load exit calls this. */
void interp_flush_tlb(struct interp *ip);
/* ... and the global ones too: what a VM entry without VPID or an INVEPT
 * does to the combined mappings (SDM Vol. 3C §29.4.3). */
void interp_flush_tlb_all(struct interp *ip);
/* Install the xlate and tlb_flush hooks after interp_create (a VMM that
 * plugs memory virtualization into a running CPU model); NULL removes. */
void interp_set_xlate(struct interp *ip,
                      int (*xlate)(void *, uint32_t, unsigned, struct interp_xlate *,
                                   struct vm_exit *),
                      void (*flush)(void *, int, uint32_t));

/* The model CPU's answers, for VMMs that emulate CPUID, RDMSR and WRMSR on
 * a VM exit (stage 03): exactly what the interpreter itself executes.
 * x86_cpuid is the plain i686's; x86_cpu_cpuid and x86_msr_* ask the
 * VMM's additions of c first (c->ext, x86/cpu.h).  x86_msr_* return false
 * for an MSR the model does not have (#GP). */
void x86_cpuid(uint32_t leaf, uint32_t out[4]);
void x86_cpu_cpuid(const struct x86_cpu *c, uint32_t leaf, uint32_t out[4]);
bool x86_msr_read(const struct x86_cpu *c, uint32_t msr, uint64_t *v);
bool x86_msr_write(struct x86_cpu *c, uint32_t msr, uint64_t v);

/* Counters for --stats and tests. */
struct interp_stats {
    uint64_t instructions;       /* retired                                */
    uint64_t blocks_decoded;     /* basic blocks run through capstone      */
    uint64_t blocks_invalidated; /* dropped because their code was written */
    uint64_t tlb_misses;         /* page walks                              */
    uint64_t tlb_flushes;        /* CR3 writes, CR0/CR4 paging changes     */
    uint64_t exceptions;         /* delivered through the IDT              */
    uint64_t interrupts;         /* external interrupts delivered          */
};
void interp_get_stats(const struct interp *ip, struct interp_stats *st);

/* The adapter to core/engine.h ("--engine interp"): creates an interp over
 * vcpu->cpu and vm_ram(vcpu->vm), hooks wired to vm_irq_pending, vm_irq_ack,
 * vm_stop_requested and vm_pio; run() uses no budget. */
extern const struct engine_ops interp_engine;
/* Those hooks, for any engine built on the CPU model (opaque = v): the
 * VM's interrupt controller, stop requests, port and memory-mapped I/O,
 * and with --trace the page walks and the decoded-block cache. */
void interp_vcpu_hooks(struct interp_hooks *h, struct vcpu *v);

#endif
