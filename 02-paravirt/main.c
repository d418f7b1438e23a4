/*
 * vmm-pv — the stage 02 VMM: paravirtualization.
 *
 * The guest knows it is virtualized (build/guest/guest-pv.elf, the teaching
 * kernel built with -DVMLAB_PV): instead of executing sensitive
 * instructions it calls the VMM with VMCALL and shares a page with it
 * (hypercall.h).  The engines are stage 01's — the interpreter and the
 * binary translator — each wrapped so that its VM gets the hypercall
 * handler; everything else is theirs.  (The VMX model and KVM are stage 03,
 * which may use this stage, not the other way round: `vmm-hw --engine vmx
 * --pv on` runs the PV guest on the VMX model; see README.md.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmm/vmm_main.h"
#include "core/vm_exit.h"
#include "x86/cpu.h"
#include "x86/interp.h"
#include "01-binary-translation/bt.h"
#include "02-paravirt/hypercall.h"
#include "02-paravirt/kvm_pv.h"

/* ---- what the VMM cannot do through struct x86_cpu, per engine ---------- */
static void interp_pv_invlpg(struct vcpu *v, uint32_t lin) { interp_invlpg(v->engine_state, lin); }
static void interp_pv_invalidate(struct vcpu *v, uint32_t gpa, uint32_t len)
{
    interp_invalidate_range(v->engine_state, gpa, len);
}
static void interp_pv_flush_tlb(struct vcpu *v) { interp_flush_tlb(v->engine_state); }
static const struct pv_cpu_ops interp_pv = { interp_pv_invlpg, interp_pv_invalidate,
                                             interp_pv_flush_tlb };

static void bt_pv_invlpg(struct vcpu *v, uint32_t lin) { bt_invlpg(v->engine_state, lin); }
static void bt_pv_invalidate(struct vcpu *v, uint32_t gpa, uint32_t len)
{
    bt_invalidate_range(v->engine_state, gpa, len);
}
static void bt_pv_flush_tlb(struct vcpu *v) { bt_flush_tlb(v->engine_state); }
static const struct pv_cpu_ops bt_pv = { bt_pv_invlpg, bt_pv_invalidate, bt_pv_flush_tlb };

/* ---- --pv-strict: a sensitive instruction after boot is fatal --------------- */
/* The paravirtual kernel executes none once booted (README.md, "Strict
 * mode"): with the option, the vCPU's pv_strict (x86/cpu.h) is set when
 * the kernel starts its timer (HC_SET_TIMER from ring 0: the last step of
 * its bring-up, before its banner), and from then on the engines stop on
 * any sensitive instruction in ring 0 with EXIT_SENSITIVE, which this
 * handler, in front of the hypercalls', makes the end of the run. */
struct strict {
    vm_exit_handler_fn *next;
    void *next_ctx;
};

static int strict_handler(void *ctx, struct vcpu *v, struct vm_exit *e)
{
    struct strict *s = ctx;
    if (e->reason == EXIT_SENSITIVE) {
        char name[64];
        snprintf(name, sizeof name, "%.60s", e->message);
        snprintf(e->message, sizeof e->message,
                 "--pv-strict: sensitive instruction '%s' in ring 0 at eip=0x%08x", name,
                 e->guest_eip);
        return VM_EXIT_FATAL;
    }
    if (e->reason == EXIT_VMCALL && v->cpu.gpr[R_EAX] == HC_SET_TIMER && x86_cpl(&v->cpu) == 0)
        v->cpu.pv_strict = true; /* boot done */
    return s->next ? s->next(s->next_ctx, v, e) : VM_EXIT_PASS;
}

static int strict_check_option(const char *v, char *err, size_t len)
{
    if (strcmp(v, "on") && strcmp(v, "off")) {
        snprintf(err, len, "--pv-strict '%s': expected 'on' or 'off'", v);
        return -1;
    }
    return 0;
}

static int strict_attach(struct vcpu *v, char *err, size_t len)
{
    const char *opt = vm_engine_option(v->vm, "--pv-strict");
    if (!opt || strcmp(opt, "on"))
        return 0;
    struct strict *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, len, "--pv-strict: out of memory");
        return -1;
    }
    s->next = vm_exit_handler(v->vm, &s->next_ctx);
    vm_set_exit_handler(v->vm, strict_handler, s);
    return 0;
}

static void strict_detach(struct vcpu *v)
{
    void *ctx;
    if (vm_exit_handler(v->vm, &ctx) != strict_handler)
        return;
    struct strict *s = ctx;
    vm_set_exit_handler(v->vm, s->next, s->next_ctx);
    free(s);
}

/* ---- an engine of stage 01 plus the hypercalls ----------------------------- */
static int attach(const struct engine_ops *e, const struct pv_cpu_ops *ops, struct vcpu *v,
                  char *err, size_t len)
{
    if (e->init(v, err, len) < 0)
        return -1;
    if (pv_attach(v, ops, err, len) < 0 || kvm_pv_attach(v, ops->invalidate, err, len) < 0 ||
        strict_attach(v, err, len) < 0) {
        kvm_pv_detach(v);
        pv_detach(v);
        e->fini(v);
        return -1;
    }
    return 0;
}
static void print_stats(const struct engine_ops *e, struct vcpu *v, FILE *out)
{
    if (e->print_stats)
        e->print_stats(v, out);
    pv_print_stats(v, out);
    kvm_pv_print_stats(v, out);
}
static void fini(const struct engine_ops *e, struct vcpu *v)
{
    strict_detach(v);
    kvm_pv_detach(v);
    pv_detach(v);
    e->fini(v);
}

static int pv_interp_init(struct vcpu *v, char *err, size_t len)
{
    return attach(&interp_engine, &interp_pv, v, err, len);
}
static int pv_interp_run(struct vcpu *v, struct vm_exit *e) { return interp_engine.run(v, e); }
static void pv_interp_stats(struct vcpu *v, FILE *out) { print_stats(&interp_engine, v, out); }
static void pv_interp_fini(struct vcpu *v) { fini(&interp_engine, v); }
static const struct engine_ops pv_interp = {
    .name = "interp",
    .summary = "the reference interpreter, with hypercalls",
    .counts_instructions = true,
    .init = pv_interp_init,
    .run = pv_interp_run,
    .print_stats = pv_interp_stats,
    .fini = pv_interp_fini,
};

static int pv_bt_init(struct vcpu *v, char *err, size_t len)
{
    return attach(&bt_engine, &bt_pv, v, err, len);
}
static int pv_bt_run(struct vcpu *v, struct vm_exit *e) { return bt_engine.run(v, e); }
static void pv_bt_stats(struct vcpu *v, FILE *out) { print_stats(&bt_engine, v, out); }
static void pv_bt_fini(struct vcpu *v) { fini(&bt_engine, v); }
static const struct engine_ops pv_bt = {
    .name = "bt",
    .summary = "stage 01's binary translator, with hypercalls (VMCALL is a helper call)",
    .counts_instructions = true,
    .init = pv_bt_init,
    .run = pv_bt_run,
    .print_stats = pv_bt_stats,
    .fini = pv_bt_fini,
};

/* --pv-linux on: KVM's interface for Linux (kvm_pv.h), on both engines;
 * --pv-strict on: the sensitive instructions the PV kernel no longer
 * executes are fatal after its boot (above). */
static const struct engine_option pv_options[] = {
    KVM_PV_OPTION,
    { "--pv-strict", "on|off",
      "after the PV kernel's boot (its HC_SET_TIMER), end the run on any sensitive\n"
      "instruction in ring 0, naming it (02-paravirt/README.md)",
      strict_check_option },
    { NULL }
};

static const struct engine_entry engines[] = {
    { "bt", &pv_bt, NULL, pv_options },
    { "interp", &pv_interp, NULL, pv_options },
    { "vmx", NULL,
      "the VMX model is stage 03: run guest-pv.elf under vmm-hw (02-paravirt/README.md)", NULL },
    { "kvm", NULL, "KVM is stage 03: run guest-pv.elf under vmm-hw (02-paravirt/README.md)", NULL },
};

int main(int argc, char **argv)
{
    static const struct vmm_stage stage = {
        .prog = "vmm-pv",
        .engines = engines,
        .nengines = (int)(sizeof engines / sizeof engines[0]),
        .default_engine = "bt",
    };
    return vmm_main(&stage, argc, argv);
}
