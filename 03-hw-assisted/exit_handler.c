/*
 * exit_handler.c — the stage 03 VMM's decisions on VM exits (see
 * exit_handler.h).  Each case is what a VT-x VMM does for that exit reason
 * (compare Linux arch/x86/kvm/vmx/vmx.c, kvm_vmx_exit_handlers[]).
 */
#include "03-hw-assisted/exit_handler.h"

#include <string.h>
#include <x86intrin.h>
#include "core/lab.h"
#include "x86/interp.h"

void hw_exit_install(struct hw_vmm *h, struct vcpu *v, const struct hw_ops *ops)
{
    memset(h, 0, sizeof *h);
    h->ops = ops;
    vm_set_exit_handler(v->vm, hw_handle_exit, h);
}

/* The instruction was emulated: step over it (VM-exit instruction length,
 * SDM Vol. 3C §28.2.4); blocking by STI/MOV SS ends with it. */
static int skip(struct hw_vmm *h, struct vcpu *v, const struct vm_exit *e)
{
    v->cpu.eip = e->guest_eip + e->instr_len;
    v->cpu.irq_shadow = false;
    h->st.emulated++;
    return VM_EXIT_HANDLED;
}

static int inject_gp(struct hw_vmm *h, struct vcpu *v)
{
    h->st.gp_injected++;
    h->ops->inject(v, EXC_GP, false, true, 0);
    return VM_EXIT_HANDLED;
}

static uint32_t *gpr(struct vcpu *v, int r) { return &v->cpu.gpr[r & 7]; }

/* Control-register access, qualification of SDM Vol. 3C Table 28-3 (decoded
 * by the engine into e->u.cr): access type 0 = MOV to CR (from general
 * register c->gpr), 1 = MOV from CR (into c->gpr), 2 = CLTS, 3 = LMSW (its
 * source operand in c->value).  The VMM emulates the instruction on the
 * guest-visible registers through h->ops->get_cr / set_cr (the engine keeps
 * the read shadows and the VMX-required bits right); a value the guest may
 * not load (set_cr false) is a #GP injected into the guest, and the
 * instruction does not complete.  Otherwise step over it with skip(). */
static int cr_access(struct hw_vmm *h, struct vcpu *v, const struct vm_exit *e)
{
    const struct exit_cr *c = &e->u.cr;
    const struct hw_ops *o = h->ops;
    /* LAB 3 BEGIN: emulate MOV to/from CR, CLTS and LMSW, then skip the instruction */
    switch (c->access) {
    case 0: /* MOV to CR */
        if (!o->set_cr(v, c->cr, *gpr(v, c->gpr)))
            return inject_gp(h, v);
        break;
    case 1: /* MOV from CR */ *gpr(v, c->gpr) = o->get_cr(v, c->cr); break;
    case 2: /* CLTS */ o->set_cr(v, 0, o->get_cr(v, 0) & ~CR0_TS); break;
    default: { /* LMSW: PE can be set, not cleared */
        uint32_t cr0 = o->get_cr(v, 0);
        o->set_cr(v, 0, (cr0 & ~0xeu) | (c->value & 0xf) | (cr0 & CR0_PE));
        break;
    }
    }
    return skip(h, v, e);
    /* LAB 3 STUB: (void)c; (void)o; (void)v; (void)e; (void)gpr; */
    /* LAB 3 END */
}

/* INVLPG exit: the qualification is the linear address (SDM Table 28-1).
 * The guest changed a page-table entry and asks the CPU to forget the old
 * translation; with INVLPG exiting the CPU did not do it, the VMM must
 * (h->ops->invlpg), then step over the instruction. */
static int invlpg(struct hw_vmm *h, struct vcpu *v, const struct vm_exit *e)
{
    /* LAB 3 BEGIN: emulate INVLPG and skip the instruction */
    h->ops->invlpg(v, (uint32_t)e->qualification);
    return skip(h, v, e);
    /* LAB 3 STUB: (void)h; (void)v; (void)e; */
    /* LAB 3 END */
}

int hw_handle_exit(void *ctx, struct vcpu *v, struct vm_exit *e)
{
    struct hw_vmm *h = ctx;
    struct x86_cpu *c = &v->cpu;

    switch (e->reason) {
    case EXIT_CPUID: { /* always exits: the VMM's CPUID */
        uint32_t r[4];
        x86_cpu_cpuid(c, c->gpr[R_EAX], r);
        c->gpr[R_EAX] = r[0];
        c->gpr[R_EBX] = r[1];
        c->gpr[R_ECX] = r[2];
        c->gpr[R_EDX] = r[3];
        return skip(h, v, e);
    }
    case EXIT_RDTSC: { /* the guest's TSC: host TSC + offset */
        uint64_t t = __rdtsc() + c->tsc_offset;
        c->gpr[R_EAX] = (uint32_t)t;
        c->gpr[R_EDX] = (uint32_t)(t >> 32);
        return skip(h, v, e);
    }
    case EXIT_RDMSR: {
        uint64_t val;
        if (!h->ops)
            return VM_EXIT_PASS;
        if (!x86_msr_read(c, e->u.msr, &val))
            return inject_gp(h, v);
        c->gpr[R_EAX] = (uint32_t)val;
        c->gpr[R_EDX] = (uint32_t)(val >> 32);
        return skip(h, v, e);
    }
    case EXIT_WRMSR:
        if (!h->ops)
            return VM_EXIT_PASS;
        if (!x86_msr_write(c, e->u.msr, (uint64_t)c->gpr[R_EDX] << 32 | c->gpr[R_EAX]))
            return inject_gp(h, v);
        return skip(h, v, e);
    case EXIT_CR_ACCESS:
        if (!h->ops)
            return VM_EXIT_PASS;
        return cr_access(h, v, e);
    case EXIT_INVLPG: /* qualification: the address */
        if (!h->ops)
            return VM_EXIT_PASS;
        return invlpg(h, v, e);
    case EXIT_DR_ACCESS: { /* SDM Table 28-4 */
        int n = (int)(e->qualification & 7), r = (int)((e->qualification >> 8) & 7);
        if (n == 4 || n == 5)
            n += 2; /* DR4/DR5 alias DR6/DR7 */
        if (e->qualification & 0x10)
            c->gpr[r] = c->dr[n];
        else
            c->dr[n] = c->gpr[r];
        return skip(h, v, e);
    }
    case EXIT_EXCEPTION_NMI: { /* exception bitmap: reinject it */
        if (!h->ops)
            return VM_EXIT_PASS;
        const struct exit_exception *x = &e->u.exc;
        if (x->vector == EXC_PF)
            c->cr2 = (uint32_t)e->qualification; /* VT-x leaves CR2 to the VMM */
        h->st.reinjected[x->vector & 31]++;
        h->ops->inject(v, x->vector, false, x->has_error, x->error_code);
        return VM_EXIT_HANDLED;
    }
    case EXIT_MONITOR_TRAP_FLAG: /* the VMM's own single step: the exit is the point */
        return VM_EXIT_HANDLED;
    case EXIT_INTERRUPT_WINDOW: /* the guest can take it now */
        if (!h->ops)
            return VM_EXIT_PASS;
        h->ops->irq_window(v, false);
        return VM_EXIT_HANDLED;   /* injected by hw_prepare_entry */
    default: return VM_EXIT_PASS; /* I/O, HLT, ...: the core's */
    }
}

void hw_prepare_entry(struct hw_vmm *h, struct vcpu *v)
{
    const struct hw_ops *o = h->ops;
    if (!o || !o->extint_exiting(v))
        return; /* the CPU takes them itself */
    if (!vm_irq_pending(v->vm)) {
        o->irq_window(v, false);
        return;
    }
    if (!o->interruptible(v)) {
        o->irq_window(v, true); /* exit 7 when IF=1 */
        return;
    }
    o->irq_window(v, false);
    int vec = vm_irq_ack(v->vm);
    if (vec >= 0) {
        h->st.injected_irqs++;
        o->inject(v, vec, true, false, 0);
    }
}

void hw_print_stats(const struct hw_vmm *h, FILE *out)
{
    fprintf(out,
            "exit handler: %llu instructions emulated, %llu interrupts injected, "
            "%llu #GP injected",
            (unsigned long long)h->st.emulated, (unsigned long long)h->st.injected_irqs,
            (unsigned long long)h->st.gp_injected);
    for (int i = 0; i < 32; i++)
        if (h->st.reinjected[i])
            fprintf(out, ", vector %d reinjected %llu", i, (unsigned long long)h->st.reinjected[i]);
    fprintf(out, "\n");
}
