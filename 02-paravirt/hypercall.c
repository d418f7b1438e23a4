/*
 * hypercall.c — the VMM side of the paravirtual ABI (hypercall.h,
 * guest/include/vmlab_pv.h).
 *
 * A VMCALL exit arrives with EIP still on the instruction (VT-x reports it
 * so: SDM Vol. 3C §27.1); the handler reads the number and arguments from
 * the registers, does the work, writes EAX and steps over the instruction
 * (instr_len), as KVM's kvm_emulate_hypercall does.  Whatever the guest
 * passes, the answer is an error code, never a crash of the VMM.
 */
#include "02-paravirt/hypercall.h"

#include <stdlib.h>
#include <string.h>
#include "core/lab.h"
#include "x86/cpu.h"

#define PAGE     4096u
#define PTE_P    1u
#define PTE_ADDR 0xfffff000u
#define PS_BIT   0x80u /* a 4 MiB page in a directory entry (CR4.PSE) */

const char *pv_hypercall_name(uint32_t nr)
{
    static const char *const names[HC_MAX + 1] = {
        [HC_VERSION] = "version",
        [HC_SHARED_PAGE] = "shared_page",
        [HC_IRQ_ENABLE] = "irq_enable",
        [HC_BLOCK] = "block",
        [HC_CONSOLE_WRITE] = "console_write",
        [HC_SHUTDOWN] = "shutdown",
        [HC_LOAD_CR3] = "load_cr3",
        [HC_INVLPG] = "invlpg",
        [HC_MMU_UPDATE] = "mmu_update",
        [HC_SET_TIMER] = "set_timer",
        [HC_LOAD_GDT] = "load_gdt",
        [HC_LOAD_IDT] = "load_idt",
        [HC_PIN_TABLE] = "pin_table",
    };
    return nr <= HC_MAX ? names[nr] : "unknown";
}

static const char *const refusal_names[PVR_COUNT] = {
    [PVR_RING3] = "ring3",
    [PVR_UNKNOWN] = "unknown",
    [PVR_TOO_BIG] = "too_big",
    [PVR_OUTSIDE_RAM] = "outside_ram",
    [PVR_UNALIGNED] = "unaligned",
    [PVR_NOT_OWNED] = "not_owned",
    [PVR_PAGE_TABLE] = "page_table",
    [PVR_SHARED_PAGE] = "shared_page",
    [PVR_SELF] = "self",
    [PVR_PIN] = "pin",
    [PVR_NO_SHARED] = "no_shared",
    [PVR_BAD_ARG] = "bad_arg",
};

int32_t pv_refuse(struct pv_vmm *pv, enum pv_refusal why, int32_t err)
{
    pv->st.refused[why]++;
    return -err;
}

static struct pv_shared *shared(struct pv_vmm *pv)
{
    if (!pv->shared_gpa)
        return NULL;
    return gpa_to_hva(vm_ram(pv->v->vm), pv->shared_gpa, sizeof(struct pv_shared));
}

/*
 * The interrupt gate (core/vm.h): the controller (or the PV timer) has an
 * interrupt and EFLAGS.IF is 1; may the engine deliver it now?  The guest's
 * cli is a store of 0 to vif in the shared page, not a change of IF, so
 * the VMM must look there (lguest's lguest_data.irq_enabled):
 *   - no shared page registered yet (s NULL), vif 1, or the CPU in ring 3
 *     (x86_cpl: the virtual IF is the kernel's, user mode always takes
 *     interrupts): true, deliver;
 *   - else false: the interrupt waits in its controller, and the VMM sets
 *     s->pending so that the guest's sti knows to call HC_IRQ_ENABLE;
 *     count pv->st.held once per wait (only when pending was still 0).
 */
static bool irq_gate(void *ctx, struct vcpu *v)
{
    struct pv_vmm *pv = ctx;
    struct pv_shared *s = shared(pv);
    /* LAB 2 BEGIN: hold an interrupt back while the virtual IF is off */
    if (!s || s->vif || x86_cpl(&v->cpu) == 3)
        return true;
    if (!s->pending)
        pv->st.held++;
    s->pending = 1;
    return false;
    /* LAB 2 STUB: (void)s; (void)v; */
    /* LAB 2 END */
}

/*
 * HC_IRQ_ENABLE: the guest's sti found pending set (it calls only then:
 * the common sti costs no exit, lguest's LHCALL_SEND_INTERRUPTS and Xen's
 * xen_irq_enable -> force_evtchn_callback).  The call is the sti itself:
 *   - no shared page: PVR_NO_SHARED, -PV_EINVAL;
 *   - vif = 1, whatever the guest stored (a guest may call before it);
 *   - if an interrupt was held (pending): clear pending, count
 *     pv->st.released and return 1 — the gate now says yes and the engine
 *     delivers it at its next instruction boundary, right after the VMCALL;
 *   - nothing pending: return 0, nothing else to do.
 */
static int32_t irq_enable(struct pv_vmm *pv)
{
    struct pv_shared *s = shared(pv);
    /* LAB 2 BEGIN: virtual IF on, and let a held interrupt in */
    if (!s)
        return pv_refuse(pv, PVR_NO_SHARED, PV_EINVAL);
    s->vif = 1;
    if (!s->pending)
        return 0;
    s->pending = 0;
    pv->st.released++;
    return 1;
    /* LAB 2 STUB: (void)s; */
    /* LAB 2 END */
}

/* The PV timer as the core's interrupt source of the stage (core/vm.h).
 * Periods that pass while the guest cannot take them (a busy host, the
 * virtual IF off) are owed and delivered late, between the regular ones
 * and at half their rate, as the PIT's lost-tick policy does
 * (core/ticks.h), so a guest counting ticks keeps time without bursts;
 * more than a second of them is dropped. */
static uint64_t timer_next(const struct pv_vmm *pv)
{
    uint64_t n = pv->timer_sched;
    return pv->timer_owed && pv->timer_owed_at < n ? pv->timer_owed_at : n;
}
static int timer_due(void *ctx, uint64_t now)
{
    struct pv_vmm *pv = ctx;
    return timer_next(pv) <= now ? pv->timer_vector : -1;
}
static void timer_ack(void *ctx, uint64_t now)
{
    struct pv_vmm *pv = ctx;
    pv->st.timer_irqs++;
    if (pv->timer_sched > now) { /* an owed one; the next two periods later */
        pv->timer_owed--;
        pv->st.timer_late++;
        pv->timer_owed_at = now + 2 * pv->timer_period;
        return;
    }
    if (!pv->timer_period) {
        pv->timer_sched = UINT64_MAX; /* one-shot: done */
    } else {
        pv->timer_sched += pv->timer_period;
        if (pv->timer_sched <= now) {
            uint64_t missed = (now - pv->timer_sched) / pv->timer_period + 1;
            uint64_t cap = 1000000000ull / pv->timer_period;
            pv->timer_sched += missed * pv->timer_period;
            pv->timer_owed += missed;
            if (pv->timer_owed > cap) {
                pv->st.timer_dropped += pv->timer_owed - cap;
                pv->timer_owed = cap;
            }
        }
        /* An owed one no sooner than half a period after this one:
         * 1.5 periods' worth per period while catching up. */
        uint64_t half = now + pv->timer_period / 2;
        if (pv->timer_owed_at < half)
            pv->timer_owed_at = half;
    }
}
static uint64_t timer_deadline(void *ctx) { return timer_next(ctx); }

static const struct vm_irq_source pv_irq_source = { timer_due, timer_ack, timer_deadline,
                                                    irq_gate };

static int32_t set_timer(struct pv_vmm *pv, uint32_t first_us, uint32_t period_us, uint32_t vec)
{
    if (vec < 32 || vec > 255 || (period_us && period_us < PV_TIMER_MIN_US))
        return pv_refuse(pv, PVR_BAD_ARG, PV_EINVAL);
    pv->timer_vector = (uint8_t)vec;
    pv->timer_period = (uint64_t)period_us * 1000;
    pv->timer_sched = first_us ? vm_clock_ns(pv->v->vm) + (uint64_t)first_us * 1000 : UINT64_MAX;
    pv->timer_owed = 0;
    return 0;
}

/* A page-aligned guest-physical page in RAM, not page 0. */
static bool ram_page(struct pv_vmm *pv, uint32_t gpa)
{
    return gpa && !(gpa & (PAGE - 1)) && gpa_to_hva(vm_ram(pv->v->vm), gpa, PAGE);
}

static int32_t set_shared(struct pv_vmm *pv, uint32_t gpa)
{
    if (!ram_page(pv, gpa))
        return pv_refuse(pv, (gpa & (PAGE - 1)) ? PVR_UNALIGNED : PVR_OUTSIDE_RAM, PV_EINVAL);
    pv->shared_gpa = gpa;
    struct pv_shared *s = shared(pv);
    s->pending = 0;
    return 0;
}

/* "sti; hlt" in one call: both interrupt flags on, then the core's HLT
 * wait (it sleeps until the interrupt controller has something or a stop
 * is requested); the engine delivers the interrupt at its next boundary. */
static int32_t block(struct pv_vmm *pv, struct vm_exit *e)
{
    struct pv_shared *s = shared(pv);
    if (!s)
        return pv_refuse(pv, PVR_NO_SHARED, PV_EINVAL);
    s->vif = 1;
    s->pending = 0;
    pv->v->cpu.eflags |= FL_IF;
    if (vm_wait_for_interrupt(pv->v->vm, e->message, sizeof e->message) < 0)
        return INT32_MIN; /* fatal: the reason is in the message */
    return 0;
}

/* The whole line through the serial port's back end, as the UART would
 * have sent it byte by byte (one port write each, but no VM exit). */
static int32_t console_write(struct pv_vmm *pv, uint32_t gpa, uint32_t len)
{
    if (len > PV_CONSOLE_MAX)
        return pv_refuse(pv, PVR_TOO_BIG, PV_E2BIG);
    if (len == 0) /* as write(2): nothing to write, whatever the address */
        return 0;
    const uint8_t *p = gpa_to_hva(vm_ram(pv->v->vm), gpa, len);
    if (!p)
        return pv_refuse(pv, PVR_OUTSIDE_RAM, PV_EFAULT);
    for (uint32_t i = 0; i < len; i++) {
        uint32_t b = p[i];
        vm_pio(pv->v->vm, 0x3F8, 1, true, &b); /* COM1 THR */
    }
    pv->st.console_bytes += len;
    return (int32_t)len;
}

static int32_t shutdown(struct pv_vmm *pv, uint32_t status)
{
    if (status > 255)
        return pv_refuse(pv, PVR_BAD_ARG, PV_EINVAL);
    vm_pio(pv->v->vm, 0xF4, 1, true, &status); /* the debug-exit device ends the run */
    return 0;
}

/* MOV to CR3 for the guest: the engines see the new value on their next
 * run and drop their TLB (and window) as on a real CR3 load. */
static int32_t load_cr3(struct pv_vmm *pv, uint32_t gpa)
{
    if (gpa & ~PTE_ADDR & ~0x18u) /* PWT/PCD (bits 3-4) are the only other bits */
        return pv_refuse(pv, PVR_UNALIGNED, PV_EINVAL);
    if (!ram_page(pv, gpa & PTE_ADDR))
        return pv_refuse(pv, PVR_OUTSIDE_RAM, PV_EINVAL);
    pv->v->cpu.cr3 = gpa;
    pv->ops->flush_tlb(pv->v);
    return 0;
}

/* LGDT/LIDT for the guest (SDM Vol. 3A §2.4.1, §6.10): base and limit of a
 * descriptor table the guest keeps in its RAM (its kernel identity-maps
 * it, so the linear base is the guest-physical one).  The engines read
 * descriptors from it at the next segment load or interrupt. */
static int32_t load_dtr(struct pv_vmm *pv, struct x86_dtr *d, uint32_t base, uint32_t limit)
{
    if (limit > 0xffff)
        return pv_refuse(pv, PVR_TOO_BIG, PV_EINVAL);
    if (!gpa_to_hva(vm_ram(pv->v->vm), base, (uint64_t)limit + 1))
        return pv_refuse(pv, PVR_OUTSIDE_RAM, PV_EINVAL);
    d->base = base;
    d->limit = (uint16_t)limit;
    return 0;
}

static int32_t dispatch(struct pv_vmm *pv, struct vm_exit *e)
{
    uint32_t *r = pv->v->cpu.gpr;
    uint32_t nr = r[R_EAX], a1 = r[R_EBX], a2 = r[R_ECX];
    switch (nr) {
    case HC_VERSION: return PV_VERSION;
    case HC_SHARED_PAGE: return set_shared(pv, a1);
    case HC_IRQ_ENABLE: return irq_enable(pv);
    case HC_BLOCK: return block(pv, e);
    case HC_CONSOLE_WRITE: return console_write(pv, a1, a2);
    case HC_SHUTDOWN: return shutdown(pv, a1);
    case HC_LOAD_CR3: return load_cr3(pv, a1);
    case HC_INVLPG: pv->ops->invlpg(pv->v, a1); return 0;
    case HC_MMU_UPDATE: return pv_mmu_update(pv, a1, a2);
    case HC_SET_TIMER: return set_timer(pv, a1, a2, r[R_EDX]);
    case HC_LOAD_GDT: return load_dtr(pv, &pv->v->cpu.gdtr, a1, a2);
    case HC_LOAD_IDT: return load_dtr(pv, &pv->v->cpu.idtr, a1, a2);
    case HC_PIN_TABLE: return pv_pin_table(pv, a1, a2);
    default: return pv_refuse(pv, PVR_UNKNOWN, PV_ENOSYS);
    }
}

int pv_handle_exit(void *ctx, struct vcpu *v, struct vm_exit *e)
{
    struct pv_vmm *pv = ctx;
    if (e->reason != EXIT_VMCALL)
        return pv->next ? pv->next(pv->next_ctx, v, e) : VM_EXIT_PASS;
    uint32_t nr = v->cpu.gpr[R_EAX];
    int32_t ret;
    if (x86_cpl(&v->cpu) != 0) /* KVM: -KVM_EPERM for a hypercall from user mode */
        ret = pv_refuse(pv, PVR_RING3, PV_EPERM);
    else
        ret = dispatch(pv, e);
    if (ret == INT32_MIN)
        return VM_EXIT_FATAL;
    if (nr <= HC_MAX) {
        pv->st.calls[nr]++;
        if (ret < 0)
            pv->st.errors[nr]++;
    } else {
        pv->st.unknown++;
    }
    v->cpu.gpr[R_EAX] = (uint32_t)ret;
    v->cpu.eip = e->guest_eip + e->instr_len;
    v->cpu.irq_shadow = false;
    return VM_EXIT_HANDLED;
}

int pv_attach(struct vcpu *v, const struct pv_cpu_ops *ops, char *err, size_t errlen)
{
    struct pv_vmm *pv = calloc(1, sizeof *pv);
    if (!pv) {
        snprintf(err, errlen, "pv: out of memory");
        return -1;
    }
    pv->v = v;
    pv->ops = ops;
    pv->timer_sched = UINT64_MAX;
    pv->next = vm_exit_handler(v->vm, &pv->next_ctx);
    v->stage_state = pv;
    vm_set_exit_handler(v->vm, pv_handle_exit, pv);
    vm_set_irq_source(v->vm, &pv_irq_source, pv);
    return 0;
}

void pv_detach(struct vcpu *v)
{
    if (v->stage_state) {
        vm_set_irq_source(v->vm, NULL, NULL);
        struct pv_vmm *pv = v->stage_state;
        vm_set_exit_handler(v->vm, pv->next, pv->next_ctx);
    }
    free(v->stage_state);
    v->stage_state = NULL;
}

void pv_print_stats(const struct vcpu *v, FILE *out)
{
    const struct pv_vmm *pv = v->stage_state;
    if (!pv)
        return;
    const struct pv_stats *s = &pv->st;
    uint64_t total = s->unknown, errors = s->unknown;
    fprintf(out, "pv: hypercalls:");
    for (uint32_t i = 0; i <= HC_MAX; i++) {
        total += s->calls[i];
        errors += s->errors[i];
        if (s->calls[i])
            fprintf(out, " %s %llu", pv_hypercall_name(i), (unsigned long long)s->calls[i]);
        if (s->errors[i])
            fprintf(out, " (%llu errors)", (unsigned long long)s->errors[i]);
    }
    if (s->unknown)
        fprintf(out, " unknown %llu", (unsigned long long)s->unknown);
    fprintf(out, "; %llu in all, %llu answered with an error\n", (unsigned long long)total,
            (unsigned long long)errors);
    fprintf(out, "pv: refused:");
    uint64_t refused = 0;
    for (int i = 0; i < PVR_COUNT; i++)
        if (s->refused[i]) {
            fprintf(out, " %s %llu", refusal_names[i], (unsigned long long)s->refused[i]);
            refused += s->refused[i];
        }
    fprintf(out, "%s; %u page directories pinned\n", refused ? "" : " none", pv->npinned);
    fprintf(out,
            "pv: shared page at 0x%08x; %llu interrupts held back by the virtual IF "
            "(%llu let in by irq_enable); "
            "%llu page-table entries updated; %llu console bytes; PV timer %llu interrupts "
            "(%llu of them late, %llu periods dropped)\n",
            pv->shared_gpa, (unsigned long long)s->held, (unsigned long long)s->released,
            (unsigned long long)s->pte_updates, (unsigned long long)s->console_bytes,
            (unsigned long long)s->timer_irqs, (unsigned long long)s->timer_late,
            (unsigned long long)s->timer_dropped);
}
