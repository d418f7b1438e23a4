/*
 * pane_regs.c — the vCPU as the VMM sees it at an exit: general registers,
 * EIP/EFLAGS, control registers, the operating mode (SDM Vol. 3A §2.2:
 * real / protected, paging from CR0.PG) and the CPL (CS.RPL, §5.5).
 * For an I/O exit EIP still points at the IN/OUT: the engine completes it
 * on the next entry (core/engine.h).  A trace (replay) keeps only EIP.
 */
#include <curses.h>
#include "viz/viz_ui.h"

static void regs_live(const struct viz_model *m, int y, int x, int h, int w)
{
    const struct x86_cpu *c = &m->cpu;
    static const char *const names[8] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI" };
    static const int order[8] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP };
    int row = y;
    for (int i = 0; i < 8 && row < y + h; i += 2)
        viz_put(row++, x, w, "%s %08x  %s %08x", names[order[i]], c->gpr[order[i]],
                names[order[i + 1]], c->gpr[order[i + 1]]);
    if (row < y + h)
        viz_put(row++, x, w, "EIP %08x  EFL %08x %s", c->eip, c->eflags,
                (c->eflags & FL_IF) ? "IF" : "  ");
    if (row < y + h)
        viz_put(row++, x, w, "CR0 %08x  CR3 %08x", c->cr0, c->cr3);
    if (row < y + h)
        viz_put(row++, x, w, "CR2 %08x  CR4 %08x", c->cr2, c->cr4);
    if (row < y + h) {
        const char *mode = !(c->cr0 & CR0_PE)  ? "real"
                           : (c->cr0 & CR0_PG) ? "prot+paging"
                                               : "protected";
        viz_put(row++, x, w, "%-11s CPL %d CS %04x%s", mode, x86_cpl(c), c->seg[S_CS].sel,
                c->halted ? " HLT" : "");
    }
}

static void regs_replay(const struct viz_model *m, int y, int x, int h, int w)
{
    const struct viz_exit *e = m->nexits ? &m->newest : NULL;
    int row = y;
    if (!e) {
        viz_put(row, x, w, "(no exit yet)");
        return;
    }
    viz_put(row++, x, w, "EIP %08x", e->eip);
    viz_put(row++, x, w, "at  %.6f s", (double)e->time_ns / 1e9);
    viz_put(row++, x, w, "why %s", viz_reason_name(e->reason));
    viz_put(row++, x, w, "VMM handled it in %llu ns", (unsigned long long)e->cost_ns);
    if (row < y + h)
        viz_put(row++, x, w, "interrupts so far %llu", (unsigned long long)m->irqs);
    if (row + 1 < y + h) {
        row++;
        viz_put(row++, x, w, "(a trace keeps EIP, not the");
        viz_put(row++, x, w, " register file)");
    }
}

void pane_regs(const struct viz_ui *ui, int y, int x, int h, int w)
{
    const struct viz_model *m = ui->m;
    viz_title(y, x, w, "vCPU at exit #%llu", (unsigned long long)m->nexits);
    if (m->live && m->have_cpu)
        regs_live(m, y + 1, x + 1, h - 1, w - 1);
    else if (m->live)
        viz_put(y + 1, x + 1, w - 1, "(no exit yet)");
    else
        regs_replay(m, y + 1, x + 1, h - 1, w - 1);
}
