/*
 * bt.h — the stage 01 binary translator's engine state ("--engine bt").
 *
 *   bt_engine.c  the engine: run loop (x86/runloop.h), helpers, set-up
 *   bt_fault.c   host faults of translated code (SIGSEGV), the poller
 *   bt_stats.c   --stats
 *   bt_x87.c     the guest's x87 state in the host's x87 (identical)
 *   ident*.c     guest block -> host code, identical translation (the default)
 *   translate.c  guest block -> host code, call-threaded (--bt-mode threaded)
 *   glue.c       what both translations emit alike (enter/exit, calls, stubs)
 *   codecache.c  where the host code lives; chaining, invalidation
 *   emit.c       the x86-64 encoder
 *   window.c     the 4 GiB guest window (shadow page table)
 *   check.c      --check interp: lock-step comparison with the interpreter
 *
 * Identical translation (ident.c) keeps the guest's registers and flags in
 * the host's and re-emits most instructions as themselves; the rest call
 * the interpreter's handler for the decoded form (x86/decoded.h), and
 * sensitive instructions bt_helper, which counts them and emulates them
 * against the virtual CPU.  Call-threaded translation (translate.c) makes
 * every instruction such a call, with these host registers across a run
 * of chained blocks:
 *     rbx = struct interp *   r13 = struct bt *   r14 = struct x86_cpu *
 */
#ifndef BT_BT_H
#define BT_BT_H

#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include "core/engine.h"
#include "01-binary-translation/codecache.h"
#include "01-binary-translation/window.h"
#include "trace/trace.h"

#include "x86/decoded.h"

struct bt_check;

/* The MMU hook: who keeps the window (the shadow page table) in step with
 * the guest's paging.  Stage 01 has none (bt->mmu NULL): one window,
 * dropped whole on every CR0/CR3/CR4 change and INVLPG'd page by page.
 * A later stage (04-memory) plugs one in with bt_set_mmu to keep a window
 * per guest address space; the engine then calls it instead:
 *   paging     CR0, CR3 or CR4 changed (and once at bt_set_mmu): the
 *              window translated code uses from now on
 *   fault      an access through the current window faulted (win_fault's
 *              contract, window.h); runs in the SIGSEGV handler
 *   invlpg     the guest executed INVLPG lin
 *   code_page  guest-physical page gpa now holds translated code: no
 *              writable mapping of it may stay in any window
 *   get_stats  the windows' counters summed; print_stats: --stats lines
 *   destroy    the engine is going away */
struct bt_mmu;
struct bt_mmu_ops {
    struct window *(*paging)(struct bt_mmu *m, const struct x86_cpu *cpu);
    int (*fault)(struct bt_mmu *m, int view, struct x86_cpu *cpu, uint32_t lin, bool write,
                 uint32_t *pfec);
    void (*invlpg)(struct bt_mmu *m, uint32_t lin);
    void (*code_page)(struct bt_mmu *m, uint32_t gpa);
    void (*get_stats)(struct bt_mmu *m, struct win_stats *sum);
    void (*print_stats)(struct bt_mmu *m, FILE *out);
    void (*destroy)(struct bt_mmu *m);
};
struct bt_mmu {
    const struct bt_mmu_ops *ops;
};

/* Sensitive and privileged instructions: never run natively (docs/ARCHITECTURE.md §4
 * HELPER class).  Each has the VT-x exit reason it would cause under
 * hardware virtualization (SDM Vol. 3C App. C), or -1 when VT-x does not
 * exit on it (CLI/STI/PUSHF/POPF/IRET/INT n are exactly the instructions
 * that made x86 not classically virtualizable, Popek & Goldberg). */
enum bt_helper_id {
    HLP_CLI,
    HLP_STI,
    HLP_PUSHF,
    HLP_POPF,
    HLP_IN,
    HLP_OUT,
    HLP_INS,
    HLP_OUTS,
    HLP_HLT,
    HLP_LGDT,
    HLP_LIDT,
    HLP_SGDT,
    HLP_SIDT,
    HLP_SMSW,
    HLP_LMSW,
    HLP_LLDT,
    HLP_LTR,
    HLP_SLDT,
    HLP_STR,
    HLP_VERRW,
    HLP_MOV_TO_CR,
    HLP_MOV_FROM_CR,
    HLP_MOV_DR,
    HLP_INVLPG,
    HLP_IRET,
    HLP_INT,
    HLP_INT3,
    HLP_INTO,
    HLP_CPUID,
    HLP_RDTSC,
    HLP_RDMSR,
    HLP_WRMSR,
    HLP_WBINVD,
    HLP_CLTS,
    HLP_SYSENTER,
    HLP_SYSEXIT,
    HLP_VMCALL, /* a paravirtual guest's hypercall (stage 02) */
    HLP_N
};
/* The helper class of a decoded instruction, or -1 if it is not sensitive. */
int bt_helper_of(const struct insn *in);
const char *bt_helper_name(int id);
int bt_helper_reason(int id);
/* WINDOW class: 1 load, 2 store, 3 store immediate (32-bit MOV with a
 * memory operand the window can do natively), 0 otherwise. */
int bt_window_form(const struct insn *in);

/* What a run of translated code returns to the run loop (eax).  BAIL: a
 * window access faulted in a way only the interpreter can finish (a true
 * #PF, MMIO, a store into a page holding code): ip->cur is the instruction. */
enum { BT_RET_END, BT_RET_CHAIN, BT_RET_STOP, BT_RET_FUEL, BT_RET_BAIL };

/* The mode a translation is keyed by: CPL, CS.D, and whether DS, ES and SS
 * are flat (base 0, 4 GiB limit) so guest addresses are linear addresses
 * and the window can be used directly. */
#define MODE_D    4
#define MODE_FLAT 8
/* CR0.EM = CR0.TS = 0: x87 instructions run natively (ident_x87.c); with
 * either set each one is #NM (SDM Vol. 3A §2.5, Table 2-2), which the
 * interpreter's handler raises. */
#define MODE_FPU 16

struct bt_stats {
    uint64_t helper[HLP_N];    /* helper calls by instruction            */
    uint64_t helper_exits[64]; /* the same by SDM exit reason            */
    uint64_t direct_exits;     /* block ends through a direct exit (counted in code) */
    uint64_t unchained;        /* of those, through a stub (not chained yet) */
    uint64_t indirect_hits, indirect_misses; /* lookups in generated code */
    uint64_t loop_exits;                     /* returns to the run loop                */
    uint64_t fuel_exits;                     /* of those, to poll for interrupts       */
    uint64_t interpreted;  /* instructions run by the C loop (one-off blocks, STI shadow) */
    uint64_t window_insns; /* guest instructions translated to window accesses */
    uint64_t bailouts;     /* window accesses finished by the interpreter */
    uint64_t gs_switches;  /* kernel <-> user window view changes    */
    uint64_t native_insns; /* identical: instructions translated NATIVE/REWRITE */
    uint64_t x87_native;   /* of those, x87 instructions (ident_x87.c)       */
};

/* Identical translation's return/indirect-branch table: a direct-mapped
 * cache (guest EIP | mode << 32) -> host code, filled by bt_lookup on a
 * hit and read inline by every translated RET and every direct branch into
 * another page (ident_tail.c), cleared when the address space, the paging
 * mode or the code cache changes.  The slot is a multiplicative (Fibonacci)
 * hash of EIP: its low bits alone would put every function that starts at
 * the same offset in its page into one slot. */
#define BT_IBTC_BITS 12
#define BT_IBTC_N    (1u << BT_IBTC_BITS)
#define BT_IBTC_MUL  0x9e3779b1u /* 2^32 / golden ratio */
static inline uint32_t bt_ibtc_slot(uint32_t eip)
{
    return (eip * BT_IBTC_MUL) >> (32 - BT_IBTC_BITS);
}
struct bt_ibtc {
    uint64_t key;
    const void *code;
};

/* Identical translation keeps the guest's x87 state in the host's x87
 * while translated code runs (bt_x87.c): the enter glue loads img with
 * FRSTOR, every way out stores it with FNSAVE, and the run loop converts
 * between img and the interpreter's struct x86_fpu around each run.  The
 * host's own FIP/FDP/FOP would be host addresses, so native x87
 * instructions store the guest's in fip, fop, fdp and fseg (§8.1.9). */
#define BT_X87_SET 0x10000u /* in fop / fseg: stored by translated code */
struct bt_x87 {
    uint32_t fip;     /* EIP of the last non-control x87 instruction   */
    uint32_t fop;     /* its opcode (11 bits) | BT_X87_SET              */
    uint32_t fdp;     /* offset of the last x87 memory operand          */
    uint32_t fseg;    /* its segment register (S_*) | BT_X87_SET        */
    uint8_t img[108]; /* FNSAVE image, 32-bit protected mode (Figure 8-9) */
    bool in_struct;   /* a handler has the state in struct x86_fpu now */
};

struct bt {
    /* Read and written by the generated code (offsets in translate.c). */
    int32_t fuel;        /* block entries left before polling IRQs */
    uint32_t done;       /* instructions done when ip->stop ended a block */
    struct tblock *last; /* block that returned to the run loop    */
    uint32_t last_exit;  /* its unchained exit                     */
    uint32_t ret_code;   /* identical: BT_RET_* for the spill glue */
    struct bt_x87 x87;   /* identical: the x87 state (bt_x87.c)    */
    struct bt_stats st;

    struct vcpu *vcpu;
    struct interp *ip;       /* decoder, handlers, MMU (x86/decoded.h) */
    struct interp_state *s;  /* its state: registers, lazy flags, cursor */
    struct x86_cpu *cpu;     /* the rest of the CPU                    */
    struct interp_hooks bus; /* the VM's hooks (--check taps pio, mmio) */
    struct tblock *from;     /* the unchained exit we came out of ...  */
    int from_exit;           /* ... and which one (chained next)    */
    struct codecache *cc;
    /* Glue at the start of the code cache: enter(bt, ip, cpu, code) runs
     * translated code until it returns one of BT_RET_*. */
    int (*enter)(struct bt *bt, struct interp *ip, struct x86_cpu *cpu, const void *code);
    const uint8_t *exit_glue;   /* jump here with eax = BT_RET_*          */
    const uint8_t *bail_glue;   /* the SIGSEGV handler resumes here       */
    const uint8_t *spill_exit;  /* identical: save the guest state, return ret_code */
    const uint8_t *lookup_miss; /* identical: spill, return BT_RET_END    */
    bool identical;             /* --bt-mode identical (ident.c), the default */
    bool use_window;            /* MOV to/from memory through the window  */
    struct window win;          /* stage 01's 4 GiB guest window (two views) */
    struct window *w;           /* the window in use: &win, or the mmu's  */
    struct bt_mmu *mmu;         /* NULL: stage 01's policy (bt_set_mmu)   */
    int view;                   /* view gs points at, -1 = none yet       */
    bool in_code;               /* executing translated code (for SIGSEGV) */
    uintptr_t last_fault;       /* host address of the last hidden fault  */
    uint32_t wcr0, wcr3, wcr4;  /* paging state the window was built for  */
    bool cr_written;            /* MOV to CRn since: a CR3 reload flushes */
    bool chaining;
    int fuel_init;
    /* Identical translation polls for interrupts at every block entry
     * with a load through poll_at (ident.c): it points at itself, and the
     * poller thread points it at the poll page, which is never readable,
     * every BT_POLL_US while translated code runs (bt_fault.c). */
    void *poll_at;         /* written by two threads: __atomic_store_n */
    uint8_t *poll;         /* the poll page, right after this struct */
    uint32_t poll_fault;   /* offset in a block of the load that faults */
    struct poller *poller; /* poller.h; NULL: threaded mode or --check */
    struct bt_ibtc ibtc[BT_IBTC_N];
    /* String instructions (ident_string.c): the element step for byte 1
     * of EFLAGS (DF is its bit 2), per size 1, 2, 4: read without
     * touching the guest's flags. */
    int8_t dfstep[3][256];
    FILE *perfmap;          /* VMLAB_BT_PERFMAP=1: /tmp/perf-PID.map for perf */
    struct bt_check *check; /* --check interp, or NULL                */
    /* Trace events of window walks, made in the SIGSEGV handler and
     * written to the trace ring by the run loop (trace_emit may write the
     * file when the ring is full: no stdio in a signal handler). */
    struct trace_event *tpend; /* BT_TPEND slots, or NULL when not tracing */
    unsigned ntpend;
    uint64_t tpend_lost; /* events that found the buffer full      */
};
#define BT_TPEND      2048 /* pending window-walk events            */
#define BT_TPEND_HIGH 1024 /* above this the next block entry exits  */
/* Code-cache trace event kinds (trace_code_cache): 1-3 are the
 * interpreter's INTERP_CC_* (translate, invalidate, flush); 4 = the window
 * (bt's shadow page table) was unmapped whole. */
enum { BT_CC_WINDOW_FLUSH = 4 };

/* translate.c: emit host code for the decoded block b into tb (whose code
 * starts at tb->code with avail bytes).  Returns the bytes used, 0 if it
 * did not fit. */
size_t bt_translate(struct bt *bt, struct tblock *tb, const struct block *b, size_t avail);
/* Emit the enter/exit glue at buf; returns bytes used (0: no room). */
size_t bt_emit_glue(struct bt *bt, uint8_t *buf, size_t avail);

/* ident.c: identical translation (guest registers in host registers). */
size_t bt_translate_identical(struct bt *bt, struct tblock *tb, const struct block *b,
                              size_t avail);
size_t bt_emit_glue_identical(struct bt *bt, uint8_t *buf, size_t avail);

void bt_dfstep_init(struct bt *bt); /* ident_string.c */

/* Called from generated code (bt_engine.c). */
void bt_helper(struct interp *ip, const struct insn *in, struct bt *bt, int id);
void *bt_lookup(struct bt *bt);

/* bt_x87.c: the guest's x87 state between struct x86_fpu (the run loop,
 * the interpreter) and bt->x87 (translated code).  to_img before entering
 * translated code, from_img after it returned (the exit glue stored the
 * host x87 with FNSAVE); bt_x87_unwind when a handler called from
 * translated code longjmp'd out (the host x87 may still hold the state);
 * bt_x87_call runs an x87 instruction's handler from translated code. */
void bt_x87_to_img(struct bt *bt);
void bt_x87_from_img(struct bt *bt);
void bt_x87_unwind(struct bt *bt);
void bt_x87_call(struct interp *ip, const struct insn *in, struct bt *bt);

extern const struct engine_ops bt_engine;
/* Plug an MMU in (after init, before the first run); bt owns it from then
 * on (ops->destroy).  -1 when the window is off (VMLAB_BT_NO_WINDOW). */
int bt_set_mmu(struct bt *bt, struct bt_mmu *m);
void bt_print_stats(struct vcpu *v, FILE *out); /* bt_stats.c */

/* bt_fault.c: host faults of translated code (the poll page, the window,
 * x87 exceptions). */
void bt_fault_install(void);        /* the process's SIGSEGV/SIGFPE handlers */
void bt_fault_enter(struct bt *bt); /* about to run translated code       */
void bt_fault_leave(struct bt *bt); /* back: write the window walks traced */
int bt_poller_start(struct bt *bt, char *err, size_t errlen); /* identical, no --check */
void bt_poller_stop(struct bt *bt);

/* ---- Standalone use (tests/diff): the translator over a struct x86_cpu and
 * guest RAM without a VM, the way x86/interp.h's interp_create/interp_run
 * work.  No devices and no interrupts: IN/OUT and MMIO end the run as exits
 * (as in interp.h), HLT ends it with EXIT_HLT.  bt_cpu_run loads the state
 * from *cpu, runs translated code until an exit and saves the state back;
 * 0 with the exit in *exit, -1 on an engine error (exit->message).  Write
 * guest code behind its back only with bt_invalidate_range after it.  The
 * SIGSEGV handler (the window) is process-wide: one translator per thread. */
struct guest_ram;
struct vm_exit;
struct bt *bt_create(struct x86_cpu *cpu, struct guest_ram *ram, bool identical, char *err,
                     size_t errlen);
int bt_cpu_run(struct bt *bt, struct vm_exit *exit);
void bt_invalidate_range(struct bt *bt, uint32_t gpa, uint32_t len);
/* Drop the translation of the linear address lin, as INVLPG does (TLB and
 * window): for a VMM that emulates INVLPG itself (stage 02's hypercall). */
void bt_invlpg(struct bt *bt, uint32_t lin);
void bt_flush_tlb(struct bt *bt); /* a CR3 load's flush, for the VMM */
void bt_destroy(struct bt *bt);

#endif
