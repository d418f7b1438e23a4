/*
 * sensitive.c — kernel half of `sensitive`: what the sensitive instructions
 * show in ring 0, plus SYS_probe so the ring-3 half (sensitive_user.c) can
 * compare its own view with the kernel's.
 *
 * On a real CPU (CR4.UMIP=0) ring 3 sees exactly the kernel's GDTR, IDTR,
 * TR, LDTR and MSW, and a popf that tries to clear IF is silently ignored:
 * these are the instructions that make x86 not classically virtualizable,
 * and that a VMM must translate (stage 01) or the hardware must help with
 * (stage 03).  The program reports what it sees so engines can be compared.
 */
#include "../kernel/program.h"
#include "sensitive.h"

int sensitive_user_main(uint32_t arg); /* sensitive_user.c */

/* The ring-0 view: the common observations plus IF across cli and sti,
 * which only ring 0 (or IOPL 3) may change. */
static void observe_ring0(struct sensitive_obs *o)
{
    uint32_t f1, f2;
    sensitive_observe(o);
    __asm__ volatile("cli; pushf; pop %0" : "=r"(f1)::"memory");
    __asm__ volatile("sti; pushf; pop %0" : "=r"(f2)::"memory");
    if (!(o->flags & EFLAGS_IF)) /* put IF back as we found it */
        __asm__ volatile("cli" ::: "memory");
    o->flags_after_cli = f1;
    o->flags_after_sti = f2;
}

/* Is [va, va+len) mapped present, writable and user in this address space? */
static int user_writable(uint32_t va, uint32_t len)
{
    uint32_t cr3 = read_cr3(), end = va + len;
    if (len == 0 || end < va)
        return 0;
    for (uint32_t page = va & ~0xFFFu; page < end; page += 0x1000) {
        uint32_t *pte = pte_of(cr3, page, 0);
        if (!pte || (*pte & 7u) != 7u) /* P, R/W, U/S (SDM Vol. 3A §4.3) */
            return 0;
        if (page + 0x1000 < page)
            break;
    }
    return 1;
}

int sensitive_probe(uint32_t what, uint32_t out_user_ptr)
{
    struct sensitive_obs o;
    if (what != SENSITIVE_PROBE_RING0 || !user_writable(out_user_ptr, sizeof o))
        return -1;
    observe_ring0(&o);
    volatile uint32_t *dst = (volatile uint32_t *)out_user_ptr;
    const uint32_t *src = (const uint32_t *)&o;
    for (uint32_t i = 0; i < sizeof o / 4; i++)
        dst[i] = src[i];
    return 0;
}

static int sensitive_prog(struct prog_ctx *ctx)
{
    struct sensitive_obs o;
    uint32_t cr0;
    observe_ring0(&o);
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));

    result(ctx,
           "ring=0 cs=0x%02x ss=0x%02x ds=0x%02x if_after_cli=%u if_after_sti=%u "
           "gdtr=0x%08x:0x%04x idtr=0x%08x:0x%04x msw=0x%04x tr=0x%02x ldtr=0x%02x "
           "lar_cs=0x%08x verr_cs=%u",
           o.cs, o.ss, o.ds, !!(o.flags_after_cli & EFLAGS_IF), !!(o.flags_after_sti & EFLAGS_IF),
           o.gdt_base, o.gdt_limit, o.idt_base, o.idt_limit, o.msw, o.tr, o.ldtr, o.lar_cs,
           o.verr_cs);

    /* What any x86 CPU running this kernel must show in ring 0. */
    if ((o.cs & 3) != 0 || (o.ss & 3) != 0)
        return prog_fail(ctx, "ring 0: CS/SS RPL is not the CPL 0");
    if (o.flags_after_cli & EFLAGS_IF)
        return prog_fail(ctx, "ring 0: IF still set after cli");
    if (!(o.flags_after_sti & EFLAGS_IF))
        return prog_fail(ctx, "ring 0: IF clear after sti");
    if (!(o.msw & CR0_PE) || o.msw != (cr0 & 0xFFFF))
        return prog_fail(ctx, "ring 0: smsw 0x%x is not the low half of CR0 0x%x with PE=1", o.msw,
                         cr0);
    if (!o.lar_cs_ok || ((o.lar_cs >> 13) & 3) != 0 || !(o.lar_cs & (1u << 11)))
        return prog_fail(ctx, "ring 0: lar %%cs does not show a DPL-0 code segment");
    /* IDT must reach the system-call gate, int 0x80 (8 bytes per gate). */
    if (o.idt_limit < 0x80 * 8 + 7)
        return prog_fail(ctx, "ring 0: IDT limit 0x%x does not cover int 0x80", o.idt_limit);
    /* TR must select a busy 32-bit TSS in the GDT (type 0xB, S=0, P=1). */
    uint32_t idx = o.tr & ~7u;
    if ((o.tr & 4) || idx == 0 || idx + 7 > o.gdt_limit)
        return prog_fail(ctx, "ring 0: TR 0x%x is not a GDT selector", o.tr);
    uint32_t hi = ((volatile uint32_t *)(o.gdt_base + idx))[1];
    if (((hi >> 8) & 0x1F) != 0x0B || !(hi & (1u << 15)))
        return prog_fail(ctx,
                         "ring 0: TR 0x%x does not select a busy 32-bit TSS "
                         "(descriptor high word 0x%08x)",
                         o.tr, hi);

    int rc = run_user("sensitive", sensitive_user_main, ctx->iters);
    if (rc >= 128)
        return prog_fail(ctx, "ring-3 task killed by exception %d", rc - 128);
    if (rc != 0)
        return prog_fail(ctx, "ring 3: %d observation(s) differ from a real CPU's", rc);
    return 0;
}

PROGRAM("sensitive", "sensitive unprivileged instructions seen from ring 0 and ring 3", 1,
        sensitive_prog);
