/*
 * vm_report.c — the VM's memory of its exits and its end-of-run report.
 *
 * Every exit the run loop handles is recorded here (vm_record_exit): kept
 * in a ring of the last VM_HISTORY exits, counted and timed by VT-x exit
 * reason, and passed on to the trace ring and the observer.  On a fatal
 * end the ring is printed decoded, oldest first, with the vCPU state, the
 * way hypervisor authors debug (docs/ARCHITECTURE.md §3); --stats prints
 * the counts and mean handling costs by SDM name.
 */
#include <stdarg.h>
#include "core/vm_int.h"
#include "core/vm_report.h"

static void print_registers(struct vm *vm, FILE *f)
{
    const struct x86_cpu *c = &vm->vcpu.cpu;
    fprintf(f, "  eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x ebp=%08x esp=%08x\n",
            c->gpr[R_EAX], c->gpr[R_EBX], c->gpr[R_ECX], c->gpr[R_EDX], c->gpr[R_ESI],
            c->gpr[R_EDI], c->gpr[R_EBP], c->gpr[R_ESP]);
    fprintf(f, "  eip=%08x eflags=%08x cr0=%08x cr2=%08x cr3=%08x cr4=%08x cpl=%d%s\n", c->eip,
            c->eflags, c->cr0, c->cr2, c->cr3, c->cr4, x86_cpl(c), c->halted ? " halted" : "");
    fprintf(f,
            "  cs=%04x ds=%04x es=%04x ss=%04x fs=%04x gs=%04x tr=%04x "
            "gdt=%08x/%04x idt=%08x/%04x\n",
            c->seg[S_CS].sel, c->seg[S_DS].sel, c->seg[S_ES].sel, c->seg[S_SS].sel,
            c->seg[S_FS].sel, c->seg[S_GS].sel, c->tr.sel, c->gdtr.base, c->gdtr.limit,
            c->idtr.base, c->idtr.limit);
}

/* docs/ARCHITECTURE.md §3: on every fatal end, the last exits, decoded, oldest first. */
static void print_history(struct vm *vm, FILE *f)
{
    uint64_t n = vm->nexits < VM_HISTORY ? vm->nexits : VM_HISTORY;
    fprintf(f, "%s: --- last %llu of %llu exits, oldest first ---\n", vm->opt.prog,
            (unsigned long long)n, (unsigned long long)vm->nexits);
    for (uint64_t i = vm->nexits - n; i < vm->nexits; i++) {
        const struct vm_exit *e = &vm->history[i % VM_HISTORY];
        char line[256];
        exit_format(e, line, sizeof line);
        fprintf(f, "  #%-8llu eip=%08x %s  (%llu ns)\n", (unsigned long long)i + 1, e->guest_eip,
                line, (unsigned long long)e->cost_ns);
    }
    fprintf(f, "%s: --- vCPU state at the end ---\n", vm->opt.prog);
    print_registers(vm, f);
}

/* --stats: wall time and totals, then one line per exit reason seen. */
void vm_print_stats(struct vm *vm, FILE *f)
{
    double wall = (double)(vm->end_ns - vm->start_ns) / 1e9;
    char insns[48] = "guest instructions not counted";
    if (vm->engine->counts_instructions)
        snprintf(insns, sizeof insns, "%llu guest instructions",
                 (unsigned long long)vm->vcpu.instructions);
    fprintf(f, "%s: stats: engine %s, %.3f s, %llu exits, %llu interrupts, %s\n", vm->opt.prog,
            vm->engine->name, wall, (unsigned long long)vm->nexits, (unsigned long long)vm->irqs,
            insns);
    fprintf(f, "  %-44s %3s %10s %12s\n", "exit reason (SDM Vol. 3C Table C-1)", "#", "count",
            "mean cost");
    for (int r = 0; r <= EXIT_REASON_MAX; r++) {
        const struct exit_stat *s = &vm->stats[r];
        if (!s->count)
            continue;
        fprintf(f, "  %-44s %3d %10llu %9.0f ns\n", exit_reason_name((uint32_t)r), r,
                (unsigned long long)s->count, (double)s->cost_ns / (double)s->count);
    }
    if (vm->other_stats.count)
        fprintf(f, "  %-44s %3s %10llu\n", "VMM-internal / entry failure", "-",
                (unsigned long long)vm->other_stats.count);
    fprintf(f,
            "  idle in HLT %.3f s; PIT IRQ0 edges %llu (%llu periods merged: "
            "%llu delivered late, %llu dropped); "
            "console %llu bytes; unclaimed port accesses %llu\n",
            (double)vm->idle_ns / 1e9, (unsigned long long)vm->pit.irq0_pulses,
            (unsigned long long)vm->pit.irq0_missed, (unsigned long long)vm->ticks.reinjected,
            (unsigned long long)vm->ticks.dropped, (unsigned long long)vm->uart.tx_bytes,
            (unsigned long long)vm->unclaimed_io);
    const struct irqchip *ic = &vm->irqchip;
    if (ic->lapic.delivered) /* the guest used the local APIC (irqchip.h) */
        fprintf(f,
                "  local APIC: %llu interrupts delivered; EOIs: %llu by register write, %llu "
                "paravirtual\n",
                (unsigned long long)ic->lapic.delivered, (unsigned long long)ic->lapic.eoi_writes,
                (unsigned long long)ic->pv_eois);
    if (vm->trace.file)
        fprintf(f, "  trace: %llu events written\n", (unsigned long long)vm->trace.written);
    if (vm->engine->print_stats)
        vm->engine->print_stats(&vm->vcpu, f);
}

/* A fatal end: history, registers, then the one-line reason last. */
int vm_fatal(struct vm *vm, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fflush(stdout);
    print_history(vm, vm->report);
    fprintf(vm->report, "%s: error: %s\n", vm->opt.prog, msg);
    return status;
}

/* One exit, handled: into the ring, its reason's count and cost, the trace
 * ring and the observer. */
void vm_record_exit(struct vm *vm, struct vm_exit *e)
{
    vm->history[vm->nexits % VM_HISTORY] = *e;
    vm->nexits++;
    uint32_t r = e->reason;
    struct exit_stat *s = r <= EXIT_REASON_MAX ? &vm->stats[r] : &vm->other_stats;
    s->count++;
    s->cost_ns += e->cost_ns;
    trace_exit(&vm->trace, e);
    if (vm->observer)
        vm->observer(vm->observer_ctx, vm, e);
}
