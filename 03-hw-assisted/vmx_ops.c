/*
 * vmx_ops.c — what the VMM asks of VT-x (struct hw_ops for exit_handler.c:
 * inject an event, arm the interrupt window, read and load a control
 * register as the guest sees it, invalidate the TLB), and the hook through
 * which a later stage plugs memory virtualization in (vmx_mmu.h).
 */
#include <string.h>
#include "03-hw-assisted/vmx_int.h"
#include "core/vm.h"

static struct vmx *X(struct vcpu *v) { return v->engine_state; }

static void op_inject(struct vcpu *v, int vector, bool external, bool has_err, uint32_t err)
{
    uint32_t type = external ? INTR_TYPE_EXT_INTR : INTR_TYPE_HARD_EXCEPTION;
    if (!external && (vector == EXC_BP || vector == EXC_OF))
        type = INTR_TYPE_SOFT_EXCEPTION;
    vmcs_write(&X(v)->vmcs, VM_ENTRY_INTR_INFO_FIELD,
               (uint32_t)vector | type << INTR_INFO_TYPE_SHIFT |
                   (has_err ? INTR_INFO_DELIVER_CODE : 0) | INTR_INFO_VALID);
    vmcs_write(&X(v)->vmcs, VM_ENTRY_EXCEPTION_ERROR_CODE, err);
}
static void op_irq_window(struct vcpu *v, bool on)
{
    struct vmcs *vm = &X(v)->vmcs;
    uint32_t p = (uint32_t)vmcs_get(vm, CPU_BASED_VM_EXEC_CONTROL);
    vmcs_write(vm, CPU_BASED_VM_EXEC_CONTROL,
               on ? p | CPU_BASED_INTR_WINDOW_EXITING : p & ~CPU_BASED_INTR_WINDOW_EXITING);
}
static bool op_interruptible(struct vcpu *v)
{
    int vec;
    bool ext; /* an event an exit interrupted is re-delivered first */
    return (v->cpu.eflags & FL_IF) && !v->cpu.irq_shadow &&
           !(vmcs_get(&X(v)->vmcs, VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) &&
           !interp_event_pending(X(v)->ip, &vec, &ext);
}
static bool op_extint(struct vcpu *v)
{
    return vmcs_get(&X(v)->vmcs, PIN_BASED_VM_EXEC_CONTROL) & PIN_BASED_EXT_INTR_MASK;
}
static uint32_t op_get_cr(struct vcpu *v, int cr)
{
    const struct vmcs *vm = &X(v)->vmcs;
    if (cr == 0) {
        uint32_t m = (uint32_t)vmcs_get(vm, CR0_GUEST_HOST_MASK);
        return (v->cpu.cr0 & ~m) | ((uint32_t)vmcs_get(vm, CR0_READ_SHADOW) & m);
    }
    if (cr == 4) {
        uint32_t m = (uint32_t)vmcs_get(vm, CR4_GUEST_HOST_MASK);
        return (v->cpu.cr4 & ~m) | ((uint32_t)vmcs_get(vm, CR4_READ_SHADOW) & m);
    }
    return cr == 3 ? v->cpu.cr3 : 0;
}
/* The guest loads CR0/CR4: it sees its value (read shadow); the real
 * register keeps what VMX operation requires (NE, VMXE). */
static bool load_cr(struct vcpu *v, int cr, uint32_t val)
{
    struct vmcs *vm = &X(v)->vmcs;
    switch (cr) {
    case 0:
        if (!(val & CR0_PE)) /* real mode is not modelled */
            return false;
        val |= CR0_ET;
        vmcs_write(vm, CR0_READ_SHADOW, val);
        v->cpu.cr0 = val | CR0_NE;
        return true;
    case 3: /* a MOV to CR3 flushes the TLB, also with the same value */
        v->cpu.cr3 = val;
        interp_flush_tlb(X(v)->ip);
        return true;
    case 4:
        if (val & ~0x39cu) /* TSD DE PSE PGE PCE OSFXSR, as the model CPU */
            return false;
        vmcs_write(vm, CR4_READ_SHADOW, val);
        v->cpu.cr4 = val | vmx_model_caps.cr4_fixed0;
        return true;
    default: return false;
    }
}
static bool op_set_cr(struct vcpu *v, int cr, uint32_t val)
{
    struct vmx_mmu *m = X(v)->mmu;
    if (!load_cr(v, cr, val))
        return false;
    if (m && m->ops->cr_loaded) /* a later stage's MMU: shadow tables follow */
        m->ops->cr_loaded(m, &v->cpu, cr);
    return true;
}
static void op_invlpg(struct vcpu *v, uint32_t lin) { interp_invlpg(X(v)->ip, lin); }
void vmx_invlpg(struct vcpu *v, uint32_t lin) { op_invlpg(v, lin); }
void vmx_flush_tlb(struct vcpu *v) { interp_flush_tlb(X(v)->ip); }
void vmx_invalidate(struct vcpu *v, uint32_t gpa, uint32_t len)
{
    interp_invalidate_range(X(v)->ip, gpa, len);
}

const struct hw_ops vmx_hw_ops = {
    .inject = op_inject,
    .irq_window = op_irq_window,
    .interruptible = op_interruptible,
    .extint_exiting = op_extint,
    .get_cr = op_get_cr,
    .set_cr = op_set_cr,
    .invlpg = op_invlpg,
};

/* ---- memory virtualization of a later stage (vmx_mmu.h) -------------------------- */

static int hook_xlate(void *o, uint32_t lin, unsigned acc, struct interp_xlate *xl,
                      struct vm_exit *e)
{
    struct vmx *x = o;
    return x->mmu->ops->xlate(x->mmu, &x->v->cpu, lin, acc, xl, e);
}
static void hook_tlb_flush(void *o, int kind, uint32_t lin)
{
    struct vmx *x = o;
    x->mmu->ops->tlb_flush(x->mmu, kind, lin);
}

void vmx_set_mmu(struct vcpu *v, struct vmx_mmu *m)
{
    struct vmx *x = X(v);
    x->mmu = m;
    m->ops->setup(m, &x->vmcs, &v->cpu);
    interp_set_xlate(x->ip, hook_xlate, hook_tlb_flush);
}
struct vmcs *vmx_vmcs(struct vcpu *v) { return &X(v)->vmcs; }
struct interp *vmx_interp(struct vcpu *v) { return X(v)->ip; }
struct vmx_mmu *vmx_get_mmu(struct vcpu *v) { return X(v)->mmu; }
