/*
 * interp_engine.c — "--engine interp": the reference interpreter behind the
 * engine interface of core/engine.h.  The only file of the CPU model that
 * knows about struct vm; everything else talks through interp_hooks, and
 * every engine on the CPU model (stage 01's translator too) gets its hooks
 * here (interp_vcpu_hooks).
 */
#include <stdio.h>
#include <string.h>
#include "core/vm.h"
#include "trace/trace.h"
#include "x86/interp.h"
#include "x86/paging.h"

static bool hook_irq_pending(void *o) { return vm_irq_pending(((struct vcpu *)o)->vm); }
static int hook_irq_ack(void *o) { return vm_irq_ack(((struct vcpu *)o)->vm); }
static bool hook_stop(void *o) { return vm_stop_requested(((struct vcpu *)o)->vm); }
static bool hook_pio(void *o, uint16_t port, uint8_t size, bool write, uint32_t *val)
{
    return vm_pio(((struct vcpu *)o)->vm, port, size, write, val);
}

static bool hook_mmio(void *o, uint64_t gpa, uint8_t size, bool write, uint32_t *val)
{
    return vm_mmio(((struct vcpu *)o)->vm, gpa, size, write, val);
}
/* --trace: every reference of a page walk (level 2 = PDE, 1 = PTE) then
 * its outcome (physical address or #PF), and the block cache's
 * decode/invalidate/flush events.  --dot keeps the walk of the last #PF. */
static void hook_page_walk(void *o, const struct pt_walk *w, uint32_t eip)
{
    struct vcpu *v = o;
    vm_note_walk(v->vm, w, v->cpu.cr3);
    trace_pt_walk(vm_trace(v->vm), w, eip);
}
static void hook_code_cache(void *o, int kind, uint32_t gpa, uint32_t size, uint64_t occupancy,
                            uint32_t eip)
{
    trace_code_cache(vm_trace(((struct vcpu *)o)->vm), kind, gpa, size, occupancy, eip);
}

void interp_vcpu_hooks(struct interp_hooks *h, struct vcpu *v)
{
    memset(h, 0, sizeof *h);
    h->irq_pending = hook_irq_pending;
    h->irq_ack = hook_irq_ack;
    h->stop_requested = hook_stop;
    h->pio = hook_pio;
    h->mmio = hook_mmio;
    struct trace *t = vm_trace(v->vm);
    if (t && trace_on(t)) {
        h->page_walk = hook_page_walk;
        h->code_cache = hook_code_cache;
    }
    if (vm_wants_walks(v->vm))
        h->page_walk = hook_page_walk;
}

static int interp_init(struct vcpu *v, char *err, size_t errlen)
{
    struct interp_hooks hooks;
    interp_vcpu_hooks(&hooks, v);
    struct interp *ip = interp_create(&v->cpu, vm_ram(v->vm), &hooks, v, err, errlen);
    if (!ip)
        return -1;
    v->engine_state = ip;
    return 0;
}

/* I/O exits: the core fills exit->u.io.value for IN and passes the same
 * exit back; the next run completes the instruction (interp.h). */
static int interp_run_vcpu(struct vcpu *v, struct vm_exit *exit)
{
    struct interp *ip = v->engine_state;
    int r = interp_run(ip, exit, 0);
    v->instructions = interp_instructions(ip);
    return r < 0 ? -1 : 0;
}

static void interp_print_stats(struct vcpu *v, FILE *out)
{
    struct interp_stats s;
    interp_get_stats(v->engine_state, &s);
    fprintf(
        out,
        "interp: %llu instructions, %llu blocks decoded, %llu invalidated (self-modifying code), "
        "%llu TLB misses, %llu TLB flushes, %llu exceptions, %llu interrupts\n",
        (unsigned long long)s.instructions, (unsigned long long)s.blocks_decoded,
        (unsigned long long)s.blocks_invalidated, (unsigned long long)s.tlb_misses,
        (unsigned long long)s.tlb_flushes, (unsigned long long)s.exceptions,
        (unsigned long long)s.interrupts);
}

static void interp_fini(struct vcpu *v)
{
    interp_destroy(v->engine_state);
    v->engine_state = NULL;
}

const struct engine_ops interp_engine = {
    .name = "interp",
    .summary = "reference interpreter: decodes with capstone, executes the decoded blocks",
    .init = interp_init,
    .run = interp_run_vcpu,
    .counts_instructions = true,
    .print_stats = interp_print_stats,
    .fini = interp_fini,
};
