/*
 * interp_int.h — the reference interpreter's internals, shared by its .c
 * files (not by anyone else: the API is interp.h; engines built on the
 * decoded form use decoded.h, handlers.h and runloop.h).
 *
 *  decode.c   guest bytes -> struct insn (capstone once per instruction)
 *  interp.c   the block cache, state in and out, life cycle
 *  runloop.c  the run loop (interp_run and the pieces bt shares), interrupt checks
 *  mem.c      linear memory access: TLB fast paths here, slow paths there
 *  flags.c    lazy arithmetic flags
 *  seg.c      segment descriptors, privilege checks
 *  excp.c     exception and interrupt delivery through the IDT
 *  exec_*.c   the instruction handlers
 */
#ifndef X86_INTERP_INT_H
#define X86_INTERP_INT_H

#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include "x86/interp.h"
#include "x86/tlb.h"
#include "x86/paging.h"
#include "x86/decoded.h"
#include "x86/runloop.h"
#include "x86/flag_effects.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define HOT         static inline __attribute__((always_inline)) /* fast paths */

#define BLOCK_HASH 4096

struct interp {
    /* The registers, lazy flags and execution cursor (x86/decoded.h): the
     * part stage 01's translated code addresses by offset.  tlb points at
     * tlbs[CPL == 3]. */
    union {
        struct interp_state pub;
        struct {
            INTERP_STATE_FIELDS
        };
    };
    struct guest_ram *ram;
    struct interp_hooks hooks;
    void *opaque;

    jmp_buf jb;  /* exceptions unwind to the run loop         */
    int exc_vec; /* the exception being raised               */
    bool exc_has_err;
    uint32_t exc_err;
    uint32_t exc_cr2; /* #PF: linear address, into CR2 at delivery */
    int delivering;   /* vector being delivered, -1 if none        */

    struct vm_exit pexit; /* exit prepared by a handler               */
    /* Stage 03's VMX model (interp.h): shadows, injection, window exits. */
    uint32_t cr0_mask, cr0_shadow, cr4_mask, cr4_shadow;
    bool inj_pending, inj_external, inj_has_err, irq_window_exit;
    int inj_vec;
    uint32_t inj_err;
    bool inj_delivering; /* inj_* (or an interrupt) being delivered      */
    bool io_pending;     /* IN/OUT reported, not completed yet        */
    uint32_t io_eip;

    struct block *hash[BLOCK_HASH];
    struct block **page_blocks; /* per guest-physical page             */
    /* Write watch (interp_watch_page): stores to a page with watch[pfn]
     * set take the slow path and call watch_fn first. */
    uint8_t *watch;
    void (*watch_fn)(void *ctx, uint32_t gpa, uint32_t len);
    void *watch_ctx;
    uint32_t npages;
    struct block *dead;    /* invalidated blocks, freed by cache_flush */
    struct block *oneoff;  /* last uncached block, freed at the next */
    struct block *prev;    /* block executed last (successor cache) */
    struct block *scratch; /* decode_block's work space             */
    uint32_t nblocks, ndead;
    uint64_t cache_bytes; /* decoded blocks in the cache          */
    uint64_t budget_end;  /* interp_run stops at this count (0: none) */
    bool shutdown;        /* triple fault happened                 */
    char fatal[120];      /* engine error message                  */

    uint32_t cr0, cr3, cr4; /* values the TLB was built for        */
    struct tlb tlbs[2];
    void *dec; /* decoder state (capstone)            */

    /* An engine layered on the decoded blocks (x86/decoded.h). */
    struct interp_observer obs; /* interp_set_observer                 */
    void *observer;             /* its ctx                             */

    /* A REP string instruction is interruptible between iterations (SDM
     * Vol. 2B, "REP/REPE/REPZ...": the registers are updated and EIP stays
     * on the instruction).  interp_run's loop allows it (rep_yield_ok):
     * every REP_CHUNK iterations the handler stops with rep_yield set, and
     * the instruction resumes after the stop/timeout/interrupt checks.
     * Without it, REP with ECX = 0xffffffff ran for ~30 s ignoring
     * --timeout (found by tests/fuzz/guests/random.S).  Stage 01 allows
     * it too, except under --check (the reference compares whole
     * instructions); elsewhere rep_yield_ok is false: run to the end. */
    bool rep_yield_ok, rep_yield;

    /* Undefined flags (interp_flags.c): a lock-step reference accumulates
     * the flags the SDM leaves undefined (track_flags, one test per block
     * when off); a translator under such a check ends a decoded block
     * before an instruction that reads a flag the block left undefined. */
    bool track_flags, split_flag_reads;
    uint32_t undef_flags;
};
#define REP_CHUNK 4096

/* --- exceptions (excp.c) --------------------------------------------- */
_Noreturn void raise_exc(struct interp *ip, int vec, uint32_t err);
_Noreturn void raise_gp(struct interp *ip, uint32_t err);
/* A VM exit in the middle of an instruction (the xlate hook's, ip->pexit):
 * unwinds like a fault; the instruction does not happen. */
#define INTERP_VEC_EXIT 0x100
_Noreturn void raise_vmexit(struct interp *ip);
_Noreturn void raise_ud(struct interp *ip);
/* Deliver an event through the IDT (SDM Vol. 3A §6.12).  soft: INT n /
 * INT3 / INTO (gate DPL checked, EXT=0); ret_eip is the EIP pushed. */
void deliver_event(struct interp *ip, int vec, bool has_err, uint32_t err, bool soft,
                   uint32_t ret_eip);

/* Ask hooks.exit_policy about the exit *e (interp.h).  True: the exit is
 * taken — the handler must return at once without executing anything. */
static inline bool policy_exit(struct interp *ip, struct vm_exit *e)
{
    if (!ip->hooks.exit_policy || !ip->hooks.exit_policy(ip->opaque, e))
        return false;
    ip->pexit = *e;
    ip->exit_reason = e->reason;
    ip->cpu->eip = e->guest_eip;
    ip->stop = true;
    return true;
}
/* A fresh exit for the instruction in (reason, EIP, length). */
static inline void exit_init(struct vm_exit *e, const struct insn *in, uint32_t reason)
{
    memset(e, 0, sizeof *e);
    e->reason = reason;
    e->guest_eip = in->eip;
    e->instr_len = in->len;
}
/* Strict paravirtualization (x86_cpu.pv_strict): in ring 0, the sensitive
 * instruction in (name: its mnemonic) ends the run with EXIT_SENSITIVE
 * before it executes, as a VMCALL ends it.  True if so: the handler
 * returns at once.  Called after the instruction's own fault checks. */
bool strict_exit(struct interp *ip, const struct insn *in, const char *name);
/* The guest's view of CR0/CR4: VMM-owned bits come from the read shadow. */
static inline uint32_t guest_cr0(const struct interp *ip)
{
    return (ip->cpu->cr0 & ~ip->cr0_mask) | (ip->cr0_shadow & ip->cr0_mask);
}
static inline uint32_t guest_cr4(const struct interp *ip)
{
    return (ip->cpu->cr4 & ~ip->cr4_mask) | (ip->cr4_shadow & ip->cr4_mask);
}

/* --- flags (flags.c) ------------------------------------------------- */
uint32_t cc_compute(const struct interp *ip);  /* FL_ARITH bits */
bool cc_cond(const struct interp *ip, int cc); /* Jcc condition 0-15 */
static inline uint32_t get_cf(const struct interp *ip) { return cc_compute(ip) & FL_CF; }
static inline uint32_t get_eflags(const struct interp *ip) { return ip->eflags | cc_compute(ip); }
static inline void set_arith_flags(struct interp *ip, uint32_t fl)
{
    state_set_arith_flags(&ip->pub, fl);
}
/* Load EFLAGS unconditionally (no privilege rules; callers apply them). */
void set_eflags(struct interp *ip, uint32_t v);

/* --- registers -------------------------------------------------------- */
HOT uint32_t szmask(int size) { return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1; }
HOT uint32_t rreg(const struct interp *ip, int size, int r)
{
    if (size == 4)
        return ip->r[r];
    if (size == 2)
        return ip->r[r] & 0xffff;
    return (ip->r[r & 3] >> ((r & 4) << 1)) & 0xff; /* AL..BL, AH..BH */
}
HOT void wreg(struct interp *ip, int size, int r, uint32_t v)
{
    if (size == 4)
        ip->r[r] = v;
    else if (size == 2)
        ip->r[r] = (ip->r[r] & 0xffff0000u) | (v & 0xffff);
    else {
        int sh = (r & 4) << 1;
        ip->r[r & 3] = (ip->r[r & 3] & ~(0xffu << sh)) | ((v & 0xff) << sh);
    }
}
static inline int cpl(const struct interp *ip) { return ip->cpu->seg[S_CS].sel & 3; }
HOT uint32_t ea_off(const struct interp *ip, const struct insn *in)
{
    return state_ea_off(&ip->pub, in);
}
HOT uint32_t ea(const struct interp *ip, const struct insn *in) { return state_ea(&ip->pub, in); }

/* --- memory (mem.c) --------------------------------------------------- */
/* Slow paths: walk, fill the TLB, handle page crossing, MMIO and writes to
 * pages holding decoded code.  t selects the privilege (tlbs[1] = user). */
uint32_t mem_read_slow(struct interp *ip, struct tlb *t, uint32_t lin, int size);
void mem_write_slow(struct interp *ip, struct tlb *t, uint32_t lin, int size, uint32_t v);
uint8_t *mem_rmw_slow(struct interp *ip, uint32_t lin, int size);
/* Translate for an access (faults with #PF); returns the guest-physical
 * address; fills the TLB. */
uint64_t mem_xlate(struct interp *ip, struct tlb *t, uint32_t lin, unsigned acc);
void mmu_flush(struct interp *ip, bool all);
void mmu_flush_page(struct interp *ip, uint32_t lin); /* INVLPG */
void mmu_set_cpl(struct interp *ip);
/* Physical page gpa is written: drop decoded blocks overlapping [gpa,+len). */
void code_written(struct interp *ip, uint32_t gpa, uint32_t len);
/* Is a store to guest-physical page gpa watched (interp_watch_page)? */
static inline bool page_watched(const struct interp *ip, uint64_t gpa)
{
    return ip->watch && (gpa >> 12) < ip->npages && ip->watch[gpa >> 12];
}

HOT uint32_t ld_host(const uint8_t *p, int size)
{
    if (size == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    if (size == 2) {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    return *p;
}
HOT void st_host(uint8_t *p, int size, uint32_t v)
{
    if (size == 4)
        memcpy(p, &v, 4);
    else if (size == 2) {
        uint16_t w = v;
        memcpy(p, &w, 2);
    } else
        *p = v;
}
HOT bool in_page(uint32_t lin, int size) { return (lin & 0xfff) <= 0x1000u - size; }

HOT uint32_t mem_read_t(struct interp *ip, struct tlb *t, uint32_t lin, int size)
{
    struct tlb_entry *e = tlb_entry(t, lin);
    if (likely(e->tag_r == (lin & PAGE_MASK) && in_page(lin, size)))
        return ld_host((uint8_t *)(e->addend + lin), size);
    return mem_read_slow(ip, t, lin, size);
}
HOT void mem_write_t(struct interp *ip, struct tlb *t, uint32_t lin, int size, uint32_t v)
{
    struct tlb_entry *e = tlb_entry(t, lin);
    if (likely(e->tag_w == (lin & PAGE_MASK) && in_page(lin, size)))
        st_host((uint8_t *)(e->addend + lin), size, v);
    else
        mem_write_slow(ip, t, lin, size, v);
}
/* Accesses with the current privilege. */
HOT uint32_t ld(struct interp *ip, uint32_t lin, int size)
{
    return mem_read_t(ip, ip->tlb, lin, size);
}
HOT void st(struct interp *ip, uint32_t lin, int size, uint32_t v)
{
    mem_write_t(ip, ip->tlb, lin, size, v);
}
/* Implicit supervisor accesses (descriptor tables, TSS, SDM §4.6). */
static inline uint32_t ld_sys(struct interp *ip, uint32_t lin, int size)
{
    return mem_read_t(ip, &ip->tlbs[0], lin, size);
}
static inline void st_sys(struct interp *ip, uint32_t lin, int size, uint32_t v)
{
    mem_write_t(ip, &ip->tlbs[0], lin, size, v);
}
/* Read-modify-write: a host pointer after the write check, or NULL when the
 * operand crosses a page or is MMIO (then use ld/st; rights are checked). */
HOT uint8_t *rmw_ptr(struct interp *ip, uint32_t lin, int size)
{
    struct tlb_entry *e = tlb_entry(ip->tlb, lin);
    if (likely(e->tag_w == (lin & PAGE_MASK) && in_page(lin, size)))
        return (uint8_t *)(e->addend + lin);
    return mem_rmw_slow(ip, lin, size);
}

/* Stack (32-bit SS assumed: the guest uses flat 32-bit segments). */
HOT void push(struct interp *ip, int size, uint32_t v)
{
    uint32_t sp = ip->r[R_ESP] - size;
    st(ip, ip->segbase[S_SS] + sp, size, v);
    ip->r[R_ESP] = sp;
}
HOT uint32_t pop(struct interp *ip, int size)
{
    uint32_t v = ld(ip, ip->segbase[S_SS] + ip->r[R_ESP], size);
    ip->r[R_ESP] += size;
    return v;
}

/* --- segments (seg.c) ------------------------------------------------- */
/* Read the 8-byte descriptor for selector sel (GDT or LDT); false if the
 * index is beyond the table limit. */
bool desc_read(struct interp *ip, uint16_t sel, uint32_t *lo, uint32_t *hi);
void desc_to_seg(struct x86_seg *s, uint16_t sel, uint32_t lo, uint32_t hi);
/* Load a data/stack segment register with full protected-mode checks
 * (SDM Vol. 3A §5.5 ff., MOV/POP Sreg pseudocode). */
void load_seg(struct interp *ip, int sreg, uint16_t sel);
/* Load CS:EIP for a far JMP/CALL/RET, checks done by the caller. */
void set_cs(struct interp *ip, uint16_t sel, uint32_t lo, uint32_t hi, int new_cpl);
/* Check a far-transfer target code segment; returns with lo/hi; raises. */
void check_code_seg(struct interp *ip, uint16_t sel, int rpl_cpl, bool ret, uint32_t *lo,
                    uint32_t *hi);
/* Check sel as the stack segment for privilege level pl (SS of an outer
 * ring for IRET/RETF, of an inner ring from the TSS): faults with exc
 * (#GP or #TS), or #SS if not present; err gets ext (the EXT bit). */
void check_stack_seg(struct interp *ip, uint16_t sel, int pl, int exc, uint32_t ext, uint32_t *lo,
                     uint32_t *hi);
void seg_reload_cache(struct interp *ip);
/* After a return to an outer ring: null data segments the new CPL may not
 * use (SDM IRET/RET pseudocode). */
void seg_null_inaccessible(struct interp *ip);

/* --- decoder (decode.c) ----------------------------------------------- */
int decoder_init(struct interp *ip, char *err, size_t errlen);
void decoder_fini(struct interp *ip);
/* Decode a block at EIP (linear lin, physical gpa); NULL on fetch fault
 * (raised) or allocation failure. */
struct block *decode_block(struct interp *ip, uint32_t eip, uint32_t lin, uint32_t gpa);

/* --- undefined flags (interp_flags.c) ---------------------------------- */
/* The flag effect of in about to run (ip NULL: at decode time, a shift
 * count in CL or a REP count unknown). */
struct x86_flag_effect insn_flag_effect(const struct interp *ip, const struct insn *in);
/* Run in[0..end) as the run loop does, accumulating ip->undef_flags. */
const struct insn *interp_run_tracked(struct interp *ip, const struct insn *in,
                                      const struct insn *end);

/* --- the run loop's pieces (interp.c, runloop.c) ------------------------ */
void interp_load_state(struct interp *ip); /* struct x86_cpu -> ip   */
/* Deliver the exception raise_exc recorded (combining into #DF per SDM
 * Table 6-5); false means shutdown (triple fault).  May longjmp. */
bool interp_deliver_exception(struct interp *ip);
/* The code-cache trace hook (hooks.code_cache), kind INTERP_CC_*. */
void interp_cc_event(struct interp *ip, int kind, const struct block *b);
/* The handlers of block b ran up to (not including) in[done]: a REP string
 * that paused there has not retired, and unless an exit already set EIP
 * the next instruction to run is the first one that did not complete.
 * Returns how many instructions completed. */
HOT unsigned interp_block_stopped(struct interp *ip, const struct block *b, unsigned done)
{
    if (ip->rep_yield) { /* a REP string paused: EIP stays on it */
        ip->rep_yield = false;
        done--;
    }
    if (done < b->n && !ip->exit_reason)
        ip->cpu->eip = b->in[done].eip;
    return done;
}

/* Many dropped blocks, or too many: time for interp_cache_flush. */
HOT bool cache_crowded(const struct interp *ip) { return ip->ndead > 256 || ip->nblocks > 32768; }

/* Where the next block starts: drop the previous one-off (uncached) block,
 * then translate CS:EIP for an instruction fetch — the fetch TLB when it
 * hits, else a page walk (which may raise #PF and longjmp).  Shared by the
 * interpreter's and the translator's run loops. */
HOT uint32_t interp_fetch_gpa(struct interp *ip)
{
    if (ip->oneoff) {
        free(ip->oneoff);
        ip->oneoff = NULL;
    }
    uint32_t lin = ip->segbase[S_CS] + ip->cpu->eip;
    struct tlb_entry *e = tlb_entry(ip->tlb, lin);
    if (likely(e->tag_x == (lin & PAGE_MASK)))
        return e->gpa | (lin & 0xfff);
    return (uint32_t)mem_xlate(ip, ip->tlb, lin, ACC_X);
}

#include "x86/handlers.h"

#endif
