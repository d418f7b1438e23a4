/*
 * sensitive.h — the "sensitive but unprivileged" instructions of x86, as the
 * program `sensitive` observes them, and the SYS_probe system call that lets
 * its ring-3 half ask for the ring-0 view.
 *
 * Popek & Goldberg: an ISA is classically virtualizable when every
 * sensitive instruction (one that reads or changes privileged state) is
 * privileged (traps when run outside ring 0).  On x86 these do not trap in
 * ring 3 (with CR4.UMIP=0) and reveal or silently ignore privileged state:
 *   pushf/popf   read IF and IOPL; popf in ring 3 silently keeps IF
 *   sgdt/sidt    the descriptor-table registers (base and limit)
 *   sldt/str     the LDT and task-register selectors
 *   smsw         the low 16 bits of CR0 (PE, MP, EM, TS, ...)
 *   mov from cs/ss   the selectors, whose RPL is the CPL
 *   lar/verr     access rights of any descriptor the CPL may see
 * (SDM Vol. 3A §2.8, §5.5; Robin & Irvine, USENIX Security 2000.)
 */
#ifndef PROGRAMS_SENSITIVE_H
#define PROGRAMS_SENSITIVE_H

#include <stdint.h>

/* One set of observations, made in one ring. */
struct sensitive_obs {
    uint32_t cs, ss, ds;          /* mov %cs/%ss/%ds                        */
    uint32_t flags;               /* pushf at the start                     */
    uint32_t flags_after_cli;     /* ring 0: pushf after cli                */
    uint32_t flags_after_sti;     /* ring 0: pushf after sti                */
    uint32_t gdt_base, gdt_limit; /* sgdt                                   */
    uint32_t idt_base, idt_limit; /* sidt                                   */
    uint32_t msw;                 /* smsw                                   */
    uint32_t tr, ldtr;            /* str, sldt                              */
    uint32_t lar_cs, lar_cs_ok;   /* lar %cs: access rights, ZF             */
    uint32_t verr_cs;             /* verr %cs: ZF (segment readable)        */
};

#define EFLAGS_IF   (1u << 9)
#define EFLAGS_IOPL (3u << 12)
#define CR0_PE      (1u << 0)

/* Observations every ring can make the same way (no cli/sti here). */
static inline void sensitive_observe(struct sensitive_obs *o)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) gdtr, idtr;
    uint16_t cs, ss, ds, msw, tr, ldtr;
    uint32_t flags, ar = 0, ar_ok, rd_ok;

    __asm__ volatile("pushf; pop %0" : "=r"(flags));
    __asm__ volatile("mov %%cs, %0; mov %%ss, %1; mov %%ds, %2" : "=r"(cs), "=r"(ss), "=r"(ds));
    __asm__ volatile("sgdt %0" : "=m"(gdtr));
    __asm__ volatile("sidt %0" : "=m"(idtr));
    __asm__ volatile("smsw %0" : "=r"(msw));
    __asm__ volatile("str %0" : "=r"(tr));
    __asm__ volatile("sldt %0" : "=r"(ldtr));
    /* lar/verr set ZF when the descriptor is visible from this CPL */
    __asm__ volatile("lar %2, %0; setz %b1" : "+r"(ar), "=q"(ar_ok) : "r"((uint32_t)cs) : "cc");
    __asm__ volatile("verr %w1; setz %b0" : "=q"(rd_ok) : "r"(cs) : "cc");

    o->cs = cs;
    o->ss = ss;
    o->ds = ds;
    o->flags = flags;
    o->flags_after_cli = o->flags_after_sti = 0;
    o->gdt_base = gdtr.base;
    o->gdt_limit = gdtr.limit;
    o->idt_base = idtr.base;
    o->idt_limit = idtr.limit;
    o->msw = msw;
    o->tr = tr;
    o->ldtr = ldtr;
    o->lar_cs = ar;
    o->lar_cs_ok = ar_ok & 1;
    o->verr_cs = rd_ok & 1;
}

/* lar on selector `sel` from the current CPL: 1 if visible (ZF=1). */
static inline uint32_t sensitive_lar_ok(uint32_t sel)
{
    uint32_t ar = 0, ok;
    __asm__ volatile("lar %2, %0; setz %b1" : "+r"(ar), "=q"(ok) : "r"(sel) : "cc");
    return ok & 1;
}

/* SYS_probe `what` values. */
#define SENSITIVE_PROBE_RING0 0 /* copy the ring-0 observations to out_ptr */

/* SYS_probe(what, out_user_ptr), called by the kernel's system-call
 * dispatcher in ring 0.  Writes a struct sensitive_obs to the caller's
 * memory after checking that it is mapped present, writable and user.
 * Returns 0, or -1 for an unknown `what` or a bad pointer. */
int sensitive_probe(uint32_t what, uint32_t out_user_ptr);

#endif
