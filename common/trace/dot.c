/*
 * dot.c — the page-walk and exit-flow pictures as graphviz DOT (dot.h).
 *
 * Node labels are plain text, one fact per line ("\l" = a left-justified
 * line break in DOT), so the SVG reads like the walk a student does by hand
 * with the SDM open at Vol. 3A §4.3 (Figure 4-2, Tables 4-5 and 4-6).
 */
#include <string.h>
#include "trace/dot.h"
#include "core/vm_exit.h"
#include "devices/pc_ports.h"
#include "x86/paging.h"

/* --- page walk ---------------------------------------------------------- */

void dot_walk_from_pt(struct dot_walk *d, uint32_t cr3, const struct pt_walk *w)
{
    memset(d, 0, sizeof *d);
    d->lin = w->lin;
    d->paging = true;
    d->root = cr3;
    d->nrefs = w->nrefs;
    for (int i = 0; i < w->nrefs && i < 2; i++)
        d->ref[i] = (struct dot_walk_ref){ .dim = 0,
                                           .level = 2 - i,
                                           .dim1_of = -1,
                                           .table = w->ref[i].table,
                                           .entry = w->ref[i].entry };
    d->ok = w->ok;
    d->large = w->large;
    d->phys = w->gpa;
    d->error_code = w->error_code;
}

static const char *level_name(int dim, int level)
{
    static const char *const g[] = { "?", "page table entry (PTE)", "page directory entry (PDE)" };
    static const char *const e[] = { "?", "EPT PTE", "EPT PDE", "EPT PDPTE", "EPT PML4E" };
    if (dim == 0)
        return level >= 1 && level <= 2 ? g[level] : "?";
    return level >= 1 && level <= 4 ? e[level] : "?";
}

/* The entry's bits as "P=1 W=1 U=0 A=1 D=0" (SDM Vol. 3A Tables 4-5, 4-6;
 * PS only means "4 MiB page" in a PDE). */
static void entry_bits(FILE *f, uint64_t entry, bool pde)
{
    uint32_t e = (uint32_t)entry;
    fprintf(f, "P=%u W=%u U=%u A=%u D=%u", e & PTE_P ? 1 : 0, e & PTE_W ? 1 : 0, e & PTE_U ? 1 : 0,
            e & PTE_A ? 1 : 0, e & PTE_D ? 1 : 0);
    if (pde)
        fprintf(f, " PS=%u", e & PTE_PS ? 1 : 0);
    fprintf(f, "\\l");
}

static void pf_error(FILE *f, uint32_t ec)
{
    fprintf(f, "#PF error code 0x%x\\l(%s, %s, %s%s)\\l", ec,
            ec & PFEC_P ? "protection violation" : "not present", ec & ACC_W ? "write" : "read",
            ec & ACC_U ? "user" : "supervisor", ec & PFEC_RSVD ? ", reserved bit set" : "");
}

void dot_page_walk(FILE *f, const struct dot_walk *d)
{
    uint32_t dir = d->lin >> 22, tab = (d->lin >> 12) & 0x3ff, off = d->lin & 0xfff;
    fprintf(f,
            "digraph page_walk {\n"
            "  graph [rankdir=LR, fontname=\"Helvetica\", labelloc=t, label=\"32-bit paging: "
            "walk of linear address 0x%08x (%s)\\nSDM Vol. 3A 4.3, Figure 4-2\"];\n"
            "  node [shape=box, fontname=\"Courier\"];\n"
            "  edge [fontname=\"Helvetica\", fontsize=10];\n",
            d->lin, d->why ? d->why : "chosen address");
    fprintf(f,
            "  lin [shape=note, label=\"linear address 0x%08x\\l"
            "directory index 0x%03x (bits 31:22)\\l"
            "table index     0x%03x (bits 21:12)\\l"
            "offset          0x%03x (bits 11:0)\\l\"];\n",
            d->lin, dir, tab, off);
    if (!d->paging) {
        fprintf(f,
                "  phys [label=\"CR0.PG=0: paging is off\\lphysical address = linear "
                "= 0x%08x\\l\"];\n  lin -> phys;\n}\n",
                d->lin);
        return;
    }
    fprintf(f,
            "  cr3 [label=\"CR3 = 0x%08llx\\lpage directory at 0x%08llx\\l\"];\n"
            "  lin -> cr3 [style=dotted, arrowhead=none];\n",
            (unsigned long long)d->root, (unsigned long long)(d->root & ~0xfffull));

    char prev[16] = "cr3", name[16];
    int last0 = -1;
    for (int i = 0; i < d->nrefs; i++) {
        const struct dot_walk_ref *r = &d->ref[i];
        if (r->dim != 0)
            continue;
        bool pde = r->level == 2;
        snprintf(name, sizeof name, "r%d", i);
        fprintf(f, "  %s [label=\"%s [0x%03x]\\l@ 0x%08llx\\l%s = 0x%08llx\\l", name,
                level_name(0, r->level), pde ? dir : tab, (unsigned long long)r->table,
                pde ? "PDE" : "PTE", (unsigned long long)r->entry);
        entry_bits(f, r->entry, pde);
        if (!(r->entry & PTE_P))
            fprintf(f, "not present\\l");
        else if (pde && (r->entry & PTE_PS) && d->large)
            fprintf(f, "maps a 4 MiB page at 0x%08llx\\l",
                    (unsigned long long)(r->entry & 0xffc00000u));
        else if (pde)
            fprintf(f, "page table at 0x%08llx\\l", (unsigned long long)(r->entry & ~0xfffull));
        else
            fprintf(f, "frame at 0x%08llx\\l", (unsigned long long)(r->entry & ~0xfffull));
        fprintf(f, "\"%s];\n", r->entry & PTE_P ? "" : ", color=red");
        fprintf(f, "  %s -> %s [label=\"%s\"];\n", prev, name,
                pde ? "+ 4 x directory index" : "+ 4 x table index");
        snprintf(prev, sizeof prev, "%s", name);
        last0 = i;
    }
    /* Second dimension (stage 04): each group of EPT references translates
     * the guest-physical address used by one guest reference. */
    bool any_ept = false;
    for (int i = 0; i < d->nrefs; i++) {
        const struct dot_walk_ref *r = &d->ref[i];
        if (r->dim != 1)
            continue;
        if (!any_ept)
            fprintf(f, "  subgraph cluster_ept {\n    label=\"second dimension: EPT "
                       "(guest-physical -> host-physical)\";\n");
        any_ept = true;
        fprintf(f, "    e%d [label=\"%s\\l@ 0x%llx\\l= 0x%llx\\l\"];\n", i, level_name(1, r->level),
                (unsigned long long)r->table, (unsigned long long)r->entry);
        bool first = i == 0 || d->ref[i - 1].dim != 1 || d->ref[i - 1].dim1_of != r->dim1_of;
        if (!first)
            fprintf(f, "    e%d -> e%d;\n", i - 1, i);
    }
    if (any_ept) {
        fprintf(f, "  }\n");
        for (int i = 0; i < d->nrefs; i++) {
            const struct dot_walk_ref *r = &d->ref[i];
            bool lastg = r->dim == 1 && (i + 1 == d->nrefs || d->ref[i + 1].dim != 1 ||
                                         d->ref[i + 1].dim1_of != r->dim1_of);
            if (lastg)
                fprintf(f, "  e%d -> %s [style=dashed, label=\"host-physical\"];\n", i,
                        r->dim1_of >= 0 ? (snprintf(name, sizeof name, "r%d", r->dim1_of), name)
                                        : "frame");
        }
    }

    if (d->ok) {
        uint64_t base = d->large ? d->phys & ~0x3fffffull : d->phys & ~0xfffull;
        fprintf(f,
                "  frame [shape=box3d, label=\"%s at 0x%08llx\\lphysical address "
                "0x%08llx\\l\"];\n",
                d->large ? "4 MiB page" : "4 KiB frame", (unsigned long long)base,
                (unsigned long long)d->phys);
        fprintf(f, "  %s -> frame [label=\"+ offset\"];\n", last0 >= 0 ? prev : "cr3");
    } else {
        fprintf(f, "  fault [color=red, fontcolor=red, label=\"");
        pf_error(f, d->error_code);
        fprintf(f, "\"];\n  %s -> fault [color=red];\n", last0 >= 0 ? prev : "cr3");
    }
    fprintf(f, "}\n");
}

void dot_vm_page_walk(FILE *f, struct guest_ram *ram, const struct x86_cpu *cpu, bool have_lin,
                      uint32_t lin)
{
    struct dot_walk d;
    uint32_t addr = have_lin ? lin : cpu->cr2;
    if (cpu->cr0 & CR0_PG) {
        struct pt_walk w;
        pt_walk(ram, cpu->cr0, cpu->cr3, cpu->cr4, addr, ACC_R, &w);
        dot_walk_from_pt(&d, cpu->cr3, &w);
    } else {
        memset(&d, 0, sizeof d);
        d.lin = addr;
    }
    d.why = have_lin ? "--walk" : "the last #PF address, CR2, at the end of the run";
    dot_page_walk(f, &d);
}

void dot_fault_walk(FILE *f, const struct pt_walk *w, uint32_t cr3)
{
    struct dot_walk d;
    dot_walk_from_pt(&d, cr3, w);
    d.why = "the last #PF, walked when it happened";
    dot_page_walk(f, &d);
}

/* --- exit flow ----------------------------------------------------------- */

void exit_flow_init(struct exit_flow *fl, const char *engine)
{
    memset(fl, 0, sizeof *fl);
    snprintf(fl->engine, sizeof fl->engine, "%s", engine ? engine : "");
    fl->last = -1;
}

/* Which device the port bus gives a port to (devices/pc_ports.h). */
static const char *io_handler(uint16_t port)
{
    const struct pc_port_range *r = pc_port_find(port);
    return r ? r->device : "nobody (unclaimed)";
}

/* The VMM's handler for an exit, as vm_run's switch dispatches it. */
static const char *handler_of(const struct trace_event *ev)
{
    switch (ev->reason) {
    case EXIT_IO_INSTRUCTION: return io_handler((uint16_t)ev->addr);
    case EXIT_HLT: return "wait for interrupt (sleep to the next PIT edge)";
    case EXIT_EXTERNAL_INTERRUPT: return "stop check (debug exit, timeout, Ctrl-C)";
    case EXIT_TRIPLE_FAULT: return "fatal end: triple fault";
    case EXIT_VMM_ERROR: return "fatal end: engine error";
    default:
        if (ev->reason & EXIT_REASON_ENTRY_FAILURE)
            return "fatal end: VM-entry failure";
        return "VMM handler";
    }
}

void exit_flow_add(struct exit_flow *fl, const struct trace_event *ev)
{
    if (ev->type == TRACE_IRQ) {
        fl->irqs++;
        fl->irq_vector[ev->reason & 0xff]++;
        return;
    }
    if (ev->type != TRACE_EXIT)
        return;
    fl->exits++;
    int slot = ev->reason <= EXIT_REASON_MAX ? (int)ev->reason : EXIT_REASON_MAX + 1;
    fl->reason_count[slot]++;
    fl->reason_cost[slot] += ev->cost_ns;
    const char *label = handler_of(ev);
    uint32_t reason = slot == EXIT_REASON_MAX + 1 ? UINT32_MAX : ev->reason;
    int h;
    for (h = 0; h < fl->nhandlers; h++)
        if (fl->handler[h].reason == reason && strcmp(fl->handler[h].label, label) == 0)
            break;
    if (h == fl->nhandlers) {
        if (h == EXIT_FLOW_HANDLERS) { /* table full: count under the last one */
            h = EXIT_FLOW_HANDLERS - 1;
        } else {
            fl->handler[h] = (struct exit_flow_handler){ .reason = reason, .label = label };
            fl->nhandlers++;
        }
    }
    fl->handler[h].count++;
    if (strncmp(label, "fatal end", 9) == 0)
        fl->handler[h].ends++;
    fl->last = h;
}

void dot_exit_flow(FILE *f, const struct exit_flow *fl)
{
    fprintf(f,
            "digraph exit_flow {\n"
            "  graph [rankdir=LR, fontname=\"Helvetica\", labelloc=t, label=\"VM exits of a "
            "traced run (engine %s): %llu exits, %llu interrupts\\nguest -> exit reason "
            "(SDM Vol. 3C Table C-1) -> VMM handler -> resume\"];\n"
            "  node [shape=box, fontname=\"Helvetica\"];\n"
            "  edge [fontname=\"Helvetica\", fontsize=10];\n"
            "  guest [shape=ellipse, style=filled, fillcolor=\"#d8ecff\", "
            "label=\"guest running\\n(engine %s)\"];\n",
            fl->engine, (unsigned long long)fl->exits, (unsigned long long)fl->irqs, fl->engine);
    for (int r = 0; r <= EXIT_REASON_MAX + 1; r++) {
        uint64_t n = fl->reason_count[r];
        if (!n)
            continue;
        if (r <= EXIT_REASON_MAX)
            fprintf(f, "  r%d [label=\"%s\\nexit reason %d\\n%llu exits, mean %.0f ns\"];\n", r,
                    exit_reason_name((uint32_t)r), r, (unsigned long long)n,
                    (double)fl->reason_cost[r] / (double)n);
        else
            fprintf(f, "  r%d [label=\"VMM-internal / entry failure\\n%llu exits\"];\n", r,
                    (unsigned long long)n);
        fprintf(f, "  guest -> r%d [label=\"%llu\"];\n", r, (unsigned long long)n);
    }
    uint64_t resumed = 0, ended = 0;
    for (int h = 0; h < fl->nhandlers; h++) {
        const struct exit_flow_handler *x = &fl->handler[h];
        int r = x->reason <= EXIT_REASON_MAX ? (int)x->reason : EXIT_REASON_MAX + 1;
        /* The latest exit did not resume the guest: the run ended there. */
        uint64_t ends = x->ends + (h == fl->last && x->ends == 0 ? 1 : 0);
        fprintf(f, "  h%d [shape=component, label=\"%s%s\"];\n", h,
                x->reason == EXIT_IO_INSTRUCTION ? "port bus: " : "", x->label);
        fprintf(f, "  r%d -> h%d [label=\"%llu\"];\n", r, h, (unsigned long long)x->count);
        if (x->count > ends)
            fprintf(f, "  h%d -> resume [label=\"%llu\"];\n", h,
                    (unsigned long long)(x->count - ends));
        if (ends)
            fprintf(f, "  h%d -> end [label=\"%llu\"];\n", h, (unsigned long long)ends);
        resumed += x->count - ends;
        ended += ends;
    }
    fprintf(f,
            "  resume [shape=ellipse, label=\"resume\\n(VM entry)\"];\n"
            "  resume -> guest [label=\"%llu\"];\n",
            (unsigned long long)resumed);
    if (ended)
        fprintf(f, "  end [shape=doublecircle, label=\"VM ends\"];\n");
    if (fl->irqs) {
        fprintf(f,
                "  pic [shape=box, style=rounded, label=\"8259 PIC\\ninterrupts delivered\"];\n");
        for (int v = 0; v < 256; v++)
            if (fl->irq_vector[v])
                fprintf(f, "  pic -> guest [style=dashed, label=\"vector 0x%02x: %llu\"];\n", v,
                        (unsigned long long)fl->irq_vector[v]);
    }
    fprintf(f, "}\n");
}
