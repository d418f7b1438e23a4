/*
 * vmx.c — the software VMX model: VMLAUNCH/VMRESUME, VMX non-root operation
 * on the reference interpreter, VM exits decided by the VMCS controls.
 *
 *   run():  VMM before entry: inject the PIC's interrupt or arm the
 *           interrupt window (exit_handler.c, hw_prepare_entry)
 *           VM entry: write the VMM's register cache back to the guest-state
 *           area, check controls (VMfailValid, error 7/8) and guest state
 *           (exit reason 0x80000021), load the guest state, inject the event
 *           non-root: interp_run with an exit policy = the controls
 *           VM exit: fill VM_EXIT_REASON, EXIT_QUALIFICATION, VM_EXIT_
 *           INSTRUCTION_LEN, VM_EXIT_INTR_INFO; save the guest state
 *
 * Which instruction exits (SDM Vol. 3C §26.1): CPUID always; HLT, INVLPG,
 * RDTSC, MOV DR, CR3 load/store when their control is 1; MOV to CR0/CR4
 * when a bit owned by the VMM (guest/host mask) would change against its
 * read shadow; IN/OUT by the I/O bitmaps (port-granular) if "use I/O
 * bitmaps", else all if "unconditional I/O exiting", else none; RDMSR/WRMSR
 * by the MSR bitmaps (else all); an exception if its bit is set in the
 * exception bitmap (#PF further filtered by the PFEC mask/match).
 *
 * HLT with HLT exiting off: the CPU enters the HLT activity state inside
 * non-root operation.  Real hardware then sleeps until an interrupt; here
 * the engine waits for device time itself (vm_wait_for_interrupt) without
 * a VM exit — the wait is the "hardware" halting, the VMM sees nothing.
 * The interrupt that ends it is an external-interrupt exit (reason 1) if
 * the VMM takes external interrupts (pin-based control 0), or is delivered
 * straight through the guest IDT if it does not.
 *
 * The core's exit protocol (core/engine.h) is kept: an I/O exit is completed
 * by the next run; a HLT exit is reported with the VMM's HLT handling done
 * (EIP past HLT, cpu.halted), as KVM's handle_halt() does.  The VMCS exit
 * fields hold what VT-x reports (GUEST_RIP at the HLT, length 1).
 */
#include "03-hw-assisted/vmx_int.h"
#include "03-hw-assisted/vmcs_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/lab.h"
#include "core/vm.h"
#include "x86/interp.h"

/* ---- the VMM's VMCS setup (KVM: vmx_vcpu_setup / init_vmcs) ------------------ */

static void setup_vmcs(struct vmx *x)
{
    struct vmcs *v = &x->vmcs;
    const struct vmx_config *c = &x->cfg;
    const struct x86_cpu *cpu = &x->v->cpu;
    vmcs_clear(v); /* VMCLEAR + VMPTRLD */

    uint32_t pin = (uint32_t)vmx_model_caps.pinbased | PIN_BASED_NMI_EXITING;
    if (c->extint)
        pin |= PIN_BASED_EXT_INTR_MASK;
    uint32_t proc = (uint32_t)vmx_model_caps.procbased | CPU_BASED_USE_TSC_OFFSETTING |
                    CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
    if (c->hlt)
        proc |= CPU_BASED_HLT_EXITING;
    if (c->invlpg)
        proc |= CPU_BASED_INVLPG_EXITING;
    if (c->rdtsc)
        proc |= CPU_BASED_RDTSC_EXITING;
    if (c->cr3load)
        proc |= CPU_BASED_CR3_LOAD_EXITING;
    if (c->cr3store)
        proc |= CPU_BASED_CR3_STORE_EXITING;
    if (c->movdr)
        proc |= CPU_BASED_MOV_DR_EXITING;
    if (c->msrbitmap)
        proc |= CPU_BASED_USE_MSR_BITMAPS;
    if (c->io == VMX_IO_UNCONDITIONAL)
        proc |= CPU_BASED_UNCOND_IO_EXITING;
    if (c->io == VMX_IO_BITMAP)
        proc |= CPU_BASED_USE_IO_BITMAPS;
    vmcs_write(v, PIN_BASED_VM_EXEC_CONTROL, pin);
    vmcs_write(v, CPU_BASED_VM_EXEC_CONTROL, proc);
    /* EPT with an identity map (the interpreter addresses guest-physical
     * RAM directly) so that "unrestricted guest" may run the guest with
     * paging off, as the loader starts it.  EPTP: WB, 4-level walk. */
    vmcs_write(v, SECONDARY_VM_EXEC_CONTROL,
               SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST);
    vmcs_write(v, EPT_POINTER, 6 | (3 << 3));
    vmcs_write(v, VM_EXIT_CONTROLS, (uint32_t)vmx_model_caps.exit);
    vmcs_write(v, VM_ENTRY_CONTROLS, (uint32_t)vmx_model_caps.entry);
    vmcs_write(v, EXCEPTION_BITMAP, c->excbitmap);
    memcpy(x->io_bitmap, c->io_exit, 8192);
    vmcs_write(v, IO_BITMAP_A, (uintptr_t)x->io_bitmap);
    vmcs_write(v, IO_BITMAP_B, (uintptr_t)(x->io_bitmap + 4096));
    vmcs_write(v, MSR_BITMAP, (uintptr_t)x->msr_bitmap); /* all zero: no MSR exits */
    vmcs_write(v, VMCS_LINK_POINTER, ~0ull);

    /* CR0.NE and CR4.VMXE must be 1 in VMX operation (IA32_VMX_CR0/CR4_
     * FIXED0) but the guest never set them: the VMM owns those bits (guest/
     * host mask) and shows the guest its own values (read shadows). */
    vmcs_write(v, CR0_GUEST_HOST_MASK, CR0_NE);
    vmcs_write(v, CR0_READ_SHADOW, cpu->cr0);
    vmcs_write(v, CR4_GUEST_HOST_MASK, vmx_model_caps.cr4_fixed0);
    vmcs_write(v, CR4_READ_SHADOW, cpu->cr4);
    vmcs_save_guest(v, cpu);
    vmcs_write(v, GUEST_CR0, cpu->cr0 | CR0_NE);
    vmcs_write(v, GUEST_CR4, cpu->cr4 | vmx_model_caps.cr4_fixed0);

    /* Host state: where a VM exit lands (the VMM's exit handler). */
    vmcs_write(v, HOST_CR0, 0x80050033u);
    vmcs_write(v, HOST_CR4, 0x000026f0u);
    vmcs_write(v, HOST_RIP, (uintptr_t)hw_handle_exit);
    vmcs_write(v, HOST_RSP, (uintptr_t)x);

    for (int i = 0; i < c->nwrites; i++) /* the student's vmwrites */
        vmcs_write(v, c->writes[i].enc, c->writes[i].value);
}

/* ---- exit policy: the controls decide (SDM Vol. 3C §26.1-26.3) ---------------- */

static bool bit(const uint8_t *map, uint32_t n) { return map[n / 8] >> (n % 8) & 1; }

static bool io_exits(struct vmx *x, const struct exit_io *io)
{
    x->st.io_checked++;
    /* With "use I/O bitmaps" (primary bit 25) the CPU ignores "unconditional
     * I/O exiting" and looks up every port the access touches (a 2-byte IN
     * at port p touches p and p+1): bitmap A covers ports 0-0x7fff, bitmap B
     * 0x8000-0xffff, one bit per port; one set bit makes the access exit,
     * and an access that wraps past port 0xffff always exits (§26.1.3).
     * Without bitmaps, "unconditional I/O exiting" (bit 24) decides for all
     * ports.  The bitmap addresses are in the VMCS (IO_BITMAP_A/B). */
    /* LAB 3 BEGIN: decide if IN/OUT exits: I/O bitmaps, else unconditional I/O exiting */
    if (x->proc & CPU_BASED_USE_IO_BITMAPS) {
        const uint8_t *a = (const uint8_t *)(uintptr_t)vmcs_get(&x->vmcs, IO_BITMAP_A);
        const uint8_t *b = (const uint8_t *)(uintptr_t)vmcs_get(&x->vmcs, IO_BITMAP_B);
        for (uint32_t p = io->port; p < (uint32_t)io->port + io->size; p++) {
            if (p > 0xffff || bit(p < 0x8000 ? a : b, p & 0x7fff))
                return true;
        }
        return false;
    }
    return x->proc & CPU_BASED_UNCOND_IO_EXITING;
    /* LAB 3 STUB: (void)io; */
    /* LAB 3 END */
}

static bool msr_exits(struct vmx *x, uint32_t msr, bool write)
{
    if (!(x->proc & CPU_BASED_USE_MSR_BITMAPS))
        return true;
    const uint8_t *m = (const uint8_t *)(uintptr_t)vmcs_get(&x->vmcs, MSR_BITMAP);
    uint32_t base = write ? 2048 : 0; /* read low/high, write low/high */
    if (msr <= 0x1fff)
        return bit(m + base, msr);
    if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
        return bit(m + base + 1024, msr - 0xc0000000u);
    return true;
}

static bool cr_exits(struct vmx *x, const struct exit_cr *c)
{
    switch (c->access) {
    case 0: /* MOV to CR */
        if (c->cr == 3) {
            /* MOV to CR3 exits if "CR3-load exiting" (primary bit 15) is 1,
             * unless the value is one of the first CR3_TARGET_COUNT
             * CR3-target values (x->cr3_count, x->cr3_target[], at most 4). */
            /* LAB 3 BEGIN: CR3-load exiting and the CR3-target values */
            if (!(x->proc & CPU_BASED_CR3_LOAD_EXITING))
                return false;
            for (uint32_t i = 0; i < x->cr3_count && i < 4; i++)
                if (x->cr3_target[i] == c->value)
                    return false; /* a CR3-target value */
            return true;
            /* LAB 3 END */
        }
        if (c->cr == 0)
            return ((c->value ^ x->cr0_shadow) & x->cr0_mask) != 0;
        return ((c->value ^ x->cr4_shadow) & x->cr4_mask) != 0;
    case 1: /* MOV from CR */
        /* MOV from CR3 exits if "CR3-store exiting" (bit 16) is 1; reads of
         * CR0/CR4 never exit (the guest sees the read shadows). */
        /* LAB 3 BEGIN: CR3-store exiting */
        return c->cr == 3 && (x->proc & CPU_BASED_CR3_STORE_EXITING);
        /* LAB 3 END */
    case 2: /* CLTS */ return (x->cr0_mask & CR0_TS) && (x->cr0_shadow & CR0_TS);
    default: /* LMSW */
        if ((x->cr0_mask & CR0_PE) && !(x->cr0_shadow & CR0_PE) && (c->value & CR0_PE))
            return true;
        return ((c->value ^ x->cr0_shadow) & x->cr0_mask & 0xe) != 0;
    }
}

/* Instructions that exit exactly when one primary processor-based control
 * is 1 (SDM Vol. 3C §26.1.3, Table 25-6): HLT exiting (bit 7), INVLPG
 * exiting (9), RDTSC exiting (12), MOV-DR exiting (23).  reason is the
 * basic exit reason of the instruction (EXIT_HLT, EXIT_INVLPG, EXIT_RDTSC,
 * EXIT_DR_ACCESS); any other reason: false. */
static bool control_exits(struct vmx *x, uint32_t reason)
{
    /* LAB 3 BEGIN: HLT, INVLPG, RDTSC and MOV-DR exiting */
    switch (reason) {
    case EXIT_HLT: return x->proc & CPU_BASED_HLT_EXITING;
    case EXIT_INVLPG: return x->proc & CPU_BASED_INVLPG_EXITING;
    case EXIT_RDTSC: return x->proc & CPU_BASED_RDTSC_EXITING;
    case EXIT_DR_ACCESS: return x->proc & CPU_BASED_MOV_DR_EXITING;
    default: return false;
    }
    /* LAB 3 STUB: (void)x; (void)reason; */
    /* LAB 3 END */
}

/* An exception (vector < 32) in non-root operation exits if its bit is set
 * in the exception bitmap (x->excbitmap), with one exception: a #PF (14)
 * is filtered by the page-fault error code, §26.2: it exits if
 *   (error code & PFEC_MASK) == PFEC_MATCH  and bit 14 is 1, or
 *   (error code & PFEC_MASK) != PFEC_MATCH  and bit 14 is 0.
 * (mask = match = 0, the VMM's default, makes bit 14 alone decide.) */
static bool exception_exits(struct vmx *x, const struct exit_exception *exc)
{
    /* LAB 3 BEGIN: the exception bitmap and the #PF error-code mask/match rule */
    uint8_t vec = exc->vector;
    if (vec >= 32)
        return false;
    bool in_bitmap = x->excbitmap >> vec & 1;
    if (vec == EXC_PF)
        return in_bitmap == ((exc->error_code & x->pfec_mask) == x->pfec_match);
    return in_bitmap;
    /* LAB 3 STUB: (void)x; (void)exc; */
    /* LAB 3 END */
}

static bool exit_policy(void *opaque, struct vm_exit *e)
{
    struct vmx *x = opaque;
    switch (e->reason) {
    case EXIT_CPUID: return true; /* always (§26.1.2) */
    case EXIT_CR_ACCESS: return cr_exits(x, &e->u.cr);
    case EXIT_RDMSR: return msr_exits(x, e->u.msr, false);
    case EXIT_WRMSR: return msr_exits(x, e->u.msr, true);
    case EXIT_IO_INSTRUCTION: {
        bool ex = io_exits(x, &e->u.io);
        x->st.io_no_exit += !ex;
        return ex;
    }
    case EXIT_EXCEPTION_NMI: return exception_exits(x, &e->u.exc);
    default: return control_exits(x, e->reason);
    }
}

/* ---- interpreter hooks in non-root operation ----------------------------------- */

static bool hook_irq_pending(void *o)
{
    struct vmx *x = o;
    if (x->pin & PIN_BASED_EXT_INTR_MASK)
        return false; /* the VMM takes them and injects (hw_prepare_entry) */
    return vm_irq_pending(x->v->vm);
}
static int hook_irq_ack(void *o) { return vm_irq_ack(((struct vmx *)o)->v->vm); }
/* External-interrupt exiting: a new PIC interrupt makes the CPU leave
 * non-root operation (reason 1), unless the VMM already waits for the
 * interrupt window (then exit 7 comes when the guest can take it). */
static bool hook_stop(void *o)
{
    struct vmx *x = o;
    if (vm_stop_requested(x->v->vm))
        return true;
    return (x->pin & PIN_BASED_EXT_INTR_MASK) && !(x->proc & CPU_BASED_INTR_WINDOW_EXITING) &&
           vm_irq_pending(x->v->vm);
}
static bool hook_pio(void *o, uint16_t port, uint8_t size, bool write, uint32_t *val)
{
    return vm_pio(((struct vmx *)o)->v->vm, port, size, write, val);
}
static bool hook_mmio(void *o, uint64_t gpa, uint8_t size, bool write, uint32_t *val)
{
    return vm_mmio(((struct vmx *)o)->v->vm, gpa, size, write, val);
}
/* --dot: the walk of the guest's last #PF, kept when it happened. */
static void hook_page_walk(void *o, const struct pt_walk *w, uint32_t eip)
{
    struct vcpu *v = ((struct vmx *)o)->v;
    (void)eip;
    vm_note_walk(v->vm, w, v->cpu.cr3);
}

/* ---- VM entry -------------------------------------------------------------------- */

/* VMLAUNCH / VMRESUME: 0 if the guest now runs; otherwise *exit describes
 * the failure and the return value is what run() returns. */
static int vm_entry(struct vmx *x, struct vm_exit *exit)
{
    struct vmcs *v = &x->vmcs;
    char why[sizeof exit->message];
    const char *insn = v->launched ? "VMRESUME" : "VMLAUNCH";

    int err = vmcs_check_controls(v, &vmx_model_caps, why, sizeof why);
    if (err) { /* VMfailValid (§27.1-27.2) */
        vmcs_set(v, VM_INSTRUCTION_ERROR, (uint32_t)err);
        x->st.entry_failures++;
        memset(exit, 0, sizeof *exit);
        exit->reason = EXIT_VMM_ERROR;
        exit->guest_eip = x->v->cpu.eip;
        snprintf(exit->message, sizeof exit->message, "%s failed (VM-instruction error %d): %.100s",
                 insn, err & 0xff, why);
        return -1;
    }
    uint32_t qual;
    if (vmcs_check_guest(v, &vmx_model_caps, &qual, why, sizeof why)) { /* §27.8 */
        uint32_t reason = EXIT_ENTRY_FAIL_GUEST | EXIT_REASON_ENTRY_FAILURE;
        vmcs_set(v, VM_EXIT_REASON, reason);
        vmcs_set(v, EXIT_QUALIFICATION, qual);
        x->st.entry_failures++;
        memset(exit, 0, sizeof *exit);
        exit->reason = reason;
        exit->qualification = qual;
        exit->guest_eip = (uint32_t)vmcs_get(v, GUEST_RIP);
        snprintf(exit->message, sizeof exit->message, "%s", why);
        return 1;
    }
    if (v->launched)
        x->st.resumes++;
    else
        x->st.launches++;
    v->launched = true;

    /* Load the guest state and the controls the CPU consults while the
     * guest runs (a real CPU caches them too, hence VMCLEAR/VMPTRLD). */
    vmcs_load_guest(v, &x->v->cpu);
    x->pin = (uint32_t)vmcs_get(v, PIN_BASED_VM_EXEC_CONTROL);
    x->proc = (uint32_t)vmcs_get(v, CPU_BASED_VM_EXEC_CONTROL);
    x->proc2 = (uint32_t)vmcs_get(v, SECONDARY_VM_EXEC_CONTROL);
    x->excbitmap = (uint32_t)vmcs_get(v, EXCEPTION_BITMAP);
    x->pfec_mask = (uint32_t)vmcs_get(v, PAGE_FAULT_ERROR_CODE_MASK);
    x->pfec_match = (uint32_t)vmcs_get(v, PAGE_FAULT_ERROR_CODE_MATCH);
    x->cr0_mask = (uint32_t)vmcs_get(v, CR0_GUEST_HOST_MASK);
    x->cr0_shadow = (uint32_t)vmcs_get(v, CR0_READ_SHADOW);
    x->cr4_mask = (uint32_t)vmcs_get(v, CR4_GUEST_HOST_MASK);
    x->cr4_shadow = (uint32_t)vmcs_get(v, CR4_READ_SHADOW);
    x->cr3_count = (uint32_t)vmcs_get(v, CR3_TARGET_COUNT);
    for (int i = 0; i < 4; i++)
        x->cr3_target[i] = (uint32_t)vmcs_get(v, CR3_TARGET_VALUE0 + 2u * (uint32_t)i);
    interp_set_cr_shadows(x->ip, x->cr0_mask, x->cr0_shadow, x->cr4_mask, x->cr4_shadow);
    interp_set_irq_window_exit(x->ip, x->proc & CPU_BASED_INTR_WINDOW_EXITING);
    if (x->mmu) /* EPTP, VPID (vmx_mmu.h) */
        x->mmu->ops->entry(x->mmu, v);

    uint32_t ii = (uint32_t)vmcs_get(v, VM_ENTRY_INTR_INFO_FIELD);
    if (ii & INTR_INFO_VALID) { /* event injection (§27.6) */
        uint32_t type = (ii >> INTR_INFO_TYPE_SHIFT) & 7;
        interp_inject_event(x->ip, (int)(ii & 0xff), type == INTR_TYPE_EXT_INTR,
                            ii & INTR_INFO_DELIVER_CODE,
                            (uint32_t)vmcs_get(v, VM_ENTRY_EXCEPTION_ERROR_CODE));
        vmcs_set(v, VM_ENTRY_INTR_INFO_FIELD, ii & ~INTR_INFO_VALID); /* consumed */
    }
    return 0;
}

/* ---- VM exit ------------------------------------------------------------------------ */

static void vm_exit_record(struct vmx *x, const struct vm_exit *e)
{
    struct vmcs *v = &x->vmcs;
    vmcs_save_guest(v, &x->v->cpu);
    vmcs_set(v, VM_EXIT_REASON, e->reason);
    vmcs_set(v, EXIT_QUALIFICATION, e->qualification);
    vmcs_set(v, VM_EXIT_INSTRUCTION_LEN, e->instr_len);
    vmcs_set(v, VM_EXIT_INTR_INFO, 0);
    if (e->reason == EXIT_IO_INSTRUCTION)
        x->io_port_exits[e->u.io.port]++;
    int vec;
    bool ext; /* an event whose delivery the exit interrupted (§28.2.4) */
    vmcs_set(v, IDT_VECTORING_INFO_FIELD,
             interp_event_pending(x->ip, &vec, &ext)
                 ? (uint32_t)vec | (ext ? INTR_TYPE_EXT_INTR : INTR_TYPE_HARD_EXCEPTION) << 8 |
                       INTR_INFO_VALID
                 : 0);
    if (e->reason == EXIT_EPT_VIOLATION || e->reason == EXIT_EPT_MISCONFIG) { /* §28.2.1 */
        vmcs_set(v, GUEST_PHYSICAL_ADDRESS, e->u.ept.gpa);
        vmcs_set(v, GUEST_LINEAR_ADDRESS, e->u.ept.gla);
    }
    if (e->reason == EXIT_EXCEPTION_NMI) {
        vmcs_set(v, VM_EXIT_INTR_INFO,
                 e->u.exc.vector | INTR_TYPE_HARD_EXCEPTION << 8 |
                     (e->u.exc.has_error ? INTR_INFO_DELIVER_CODE : 0) | INTR_INFO_VALID);
        vmcs_set(v, VM_EXIT_INTR_ERROR_CODE, e->u.exc.error_code);
    }
    if (e->reason != EXIT_EXTERNAL_INTERRUPT && e->reason != EXIT_INTERRUPT_WINDOW) {
        /* Instruction and exception exits report RIP = the instruction. */
        vmcs_set(v, GUEST_RIP, e->guest_eip);
        if (e->reason == EXIT_HLT)
            vmcs_set(v, GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
    }
}

/* ---- the engine ------------------------------------------------------------------- */

static int vmx_run(struct vcpu *v, struct vm_exit *exit)
{
    struct vmx *x = v->engine_state;
    char why[200];

    hw_prepare_entry(&x->vmm, v); /* the VMM, just before entry */
    if (x->vmcs.launched)         /* its register cache -> VMCS */
        vmcs_save_guest(&x->vmcs, &v->cpu);
    else if (x->cfg.dump)
        vmcs_dump(&x->vmcs, stderr);
    int rc = vm_entry(x, exit);
    if (rc)
        return rc < 0 ? -1 : 0;

    for (;;) { /* VMX non-root operation */
        int r = interp_run(x->ip, exit, 0);
        v->instructions = interp_instructions(x->ip);
        if (r < 0)
            return -1;
        if (exit->reason != EXIT_HLT || control_exits(x, EXIT_HLT) || !(v->cpu.eflags & FL_IF))
            break;
        /* HLT exiting off: the HLT activity state, inside non-root. */
        x->st.halt_waits++;
        if (vm_wait_for_interrupt(v->vm, why, sizeof why) < 0)
            break; /* never wakes: let the VMM see it */
        if (vm_stop_requested(v->vm) || (x->pin & PIN_BASED_EXT_INTR_MASK)) {
            memset(exit, 0, sizeof *exit); /* the interrupt is a VM exit */
            exit->reason = EXIT_EXTERNAL_INTERRUPT;
            exit->guest_eip = v->cpu.eip;
            break;
        }
    }
    vm_exit_record(x, exit);
    return 0;
}

static void vmx_free(struct vmx *x)
{
    if (x->mmu)
        x->mmu->ops->destroy(x->mmu);
    if (x->ip)
        interp_destroy(x->ip);
    free(x->io_port_exits);
    free(x->io_bitmap);
    free(x->msr_bitmap);
    free(x);
}

static int vmx_init(struct vcpu *v, char *err, size_t len)
{
    struct vmx *x = calloc(1, sizeof *x);
    if (!x) {
        snprintf(err, len, "vmx: out of memory");
        return -1;
    }
    x->v = v;
    x->io_bitmap = aligned_alloc(4096, 8192);
    x->msr_bitmap = aligned_alloc(4096, 4096);
    x->io_port_exits = calloc(65536, sizeof *x->io_port_exits);
    if (!x->io_bitmap || !x->msr_bitmap || !x->io_port_exits) {
        snprintf(err, len, "vmx: out of memory");
        goto fail;
    }
    memset(x->msr_bitmap, 0, 4096);
    if (vmx_config_parse(vm_engine_option(v->vm, "--vmx-controls"), &x->cfg, err, len) < 0)
        goto fail;
    struct interp_hooks hooks = {
        .irq_pending = hook_irq_pending,
        .irq_ack = hook_irq_ack,
        .stop_requested = hook_stop,
        .pio = hook_pio,
        .mmio = hook_mmio,
        .exit_policy = exit_policy,
        .page_walk = vm_wants_walks(v->vm) ? hook_page_walk : NULL,
    };
    x->ip = interp_create(&v->cpu, vm_ram(v->vm), &hooks, x, err, len);
    if (!x->ip)
        goto fail;
    v->engine_state = x;
    setup_vmcs(x);
    hw_exit_install(&x->vmm, v, &vmx_hw_ops);
    return 0;
fail:
    vmx_free(x);
    return -1;
}

static void vmx_state_changed(struct vcpu *v) { (void)v; } /* entry reloads everything */

static void vmx_print_stats(struct vcpu *v, FILE *out)
{
    struct vmx *x = v->engine_state;
    char pin[256], proc[512], proc2[256];
    vmcs_control_names(PIN_BASED_VM_EXEC_CONTROL, x->pin, pin, sizeof pin);
    vmcs_control_names(CPU_BASED_VM_EXEC_CONTROL, x->proc, proc, sizeof proc);
    vmcs_control_names(SECONDARY_VM_EXEC_CONTROL, x->proc2, proc2, sizeof proc2);
    fprintf(out,
            "vmx: %llu VMLAUNCH, %llu VMRESUME, %llu entry failures; %llu HLT-state waits "
            "in non-root; %llu of %llu IN/OUT ran without an exit (I/O bitmap)\n",
            (unsigned long long)x->st.launches, (unsigned long long)x->st.resumes,
            (unsigned long long)x->st.entry_failures, (unsigned long long)x->st.halt_waits,
            (unsigned long long)x->st.io_no_exit, (unsigned long long)x->st.io_checked);
    fprintf(out,
            "vmx: pin-based 0x%08x %s\nvmx: primary   0x%08x %s\nvmx: secondary 0x%08x %s\n"
            "vmx: exception bitmap 0x%08x\n",
            x->pin, pin, x->proc, proc, x->proc2, proc2, x->excbitmap);
    fprintf(out, "vmx: I/O exits by port:");
    for (unsigned p = 0; p < 65536; p++)
        if (x->io_port_exits[p])
            fprintf(out, " 0x%x=%u", p, x->io_port_exits[p]);
    fprintf(out, "\n");
    hw_print_stats(&x->vmm, out);
    struct interp_stats s;
    interp_get_stats(x->ip, &s);
    fprintf(out, "vmx: non-root: %llu instructions, %llu exceptions, %llu interrupts delivered\n",
            (unsigned long long)s.instructions, (unsigned long long)s.exceptions,
            (unsigned long long)s.interrupts);
    if (x->mmu)
        x->mmu->ops->print_stats(x->mmu, out);
}

static void vmx_fini(struct vcpu *v)
{
    struct vmx *x = v->engine_state;
    if (!x)
        return;
    vmx_free(x);
    v->engine_state = NULL;
}

const struct engine_ops vmx_engine = {
    .name = "vmx",
    .summary = VMX_ENGINE_SUMMARY,
    .init = vmx_init,
    .run = vmx_run,
    .counts_instructions = true,
    .state_changed = vmx_state_changed,
    .print_stats = vmx_print_stats,
    .fini = vmx_fini,
};
