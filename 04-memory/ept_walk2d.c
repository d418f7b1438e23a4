/*
 * ept_walk2d.c — a 2-D walk the model CPU made (struct ept_2d, ept_mmu.h)
 * shown to people: as trace events, one per memory reference, which the
 * visualizer assembles into its grid; and as a graphviz grid for --dot
 * --walk.  Rows are the guest's walk (SDM Vol. 3A §4.3: the page
 * directory, the page table, the page), columns the EPT levels translating
 * each guest-physical address (SDM Vol. 3C §29.3.2: PML4E, PDPTE, PDE,
 * PTE): 3 x (4 + 1) - 1 = 14 references for a 4 KiB page.
 */
#include <string.h>
#include "04-memory/ept_mmu.h"
#include "trace/trace.h"

static const char *const row_name[EPT_ROWS] = { "page directory", "page table", "page" };
static const char *const gentry_name[2] = { "PDE", "PTE" };
static const char *const ept_name[5] = { "?", "PTE", "PDE", "PDPTE", "PML4E" };

static void emit(struct trace *t, uint16_t flags, int level, uint64_t qual, uint64_t value,
                 uint32_t lin, uint32_t eip)
{
    struct trace_event ev = {
        .time_ns = trace_now(t),
        .type = TRACE_PAGE_WALK,
        .flags = flags,
        .reason = (uint32_t)level,
        .qual = qual,
        .eip = eip,
        .addr = lin,
        .value = value,
    };
    trace_emit(t, &ev);
}

/* In the walk's order: each row's EPT references (or its cached
 * translation), then the guest entry read there; the EPT result (the HPA);
 * the guest result, which ends the walk (trace.h, TRACE_F_WALK_ROW). */
void ept_2d_trace(struct trace *t, const struct ept_2d *r, uint32_t eip)
{
    for (int i = 0; i < EPT_ROWS; i++) {
        const struct ept_row *rw = &r->row[i];
        uint16_t row = TRACE_F_WALK_ROWV(2 - i);
        if (!rw->used)
            continue;
        if (rw->cached)
            emit(t, TRACE_F_WALK_EPT | TRACE_F_WALK_CACHED | row, 0, rw->hpa, rw->gpa, r->lin, eip);
        for (int k = 0; k < rw->nept; k++)
            emit(t, TRACE_F_WALK_EPT | row, 4 - k, rw->ept[k].hpa, rw->ept[k].entry, r->lin, eip);
        if (i < EPT_ROW_PAGE && (rw->gref || rw->gcached))
            emit(t, rw->gcached ? TRACE_F_WALK_CACHED : 0, 2 - i, rw->gpa, rw->gentry, r->lin, eip);
    }
    uint16_t res = TRACE_F_WALK_RESULT | (r->large ? TRACE_F_WALK_LARGE : 0);
    if (r->result == INTERP_XLATE_OK) {
        emit(t, res | TRACE_F_WALK_EPT, 0, r->hpa, 0, r->lin, eip);
        emit(t, res, 0, r->gpa, 0, r->lin, eip);
    } else if (r->result == INTERP_XLATE_PF) {
        emit(t, res | TRACE_F_WALK_FAULT, 0, 0, r->error_code, r->lin, eip);
    } else {
        emit(t, res | TRACE_F_WALK_EXIT, 0, r->exit_gpa, r->exit_reason, r->lin, eip);
    }
}

/* EPT entry bits 2:0 as "rwx" (SDM Vol. 3C Table 29-6). */
static void rwx(uint64_t e, char out[4])
{
    out[0] = e & EPT_R ? 'r' : '-';
    out[1] = e & EPT_W ? 'w' : '-';
    out[2] = e & EPT_X ? 'x' : '-';
    out[3] = 0;
}

/* One row of the grid: its EPT references left to right, then the guest
 * entry it reads (or, for the page row, the host-physical result). */
static void dot_row(FILE *f, const struct ept_2d *r, int i, int *n, char *prev, size_t plen)
{
    const struct ept_row *rw = &r->row[i];
    char p[4];
    fprintf(f, "  subgraph row%d { rank=same;\n", i);
    fprintf(f, "    g%d [shape=plaintext, label=\"%s\\lGPA 0x%08llx\\l\"];\n", i, row_name[i],
            (unsigned long long)(i == EPT_ROW_PAGE ? rw->gpa : rw->gpa & ~0xfffull));
    for (int k = 0; k < rw->nept; k++) {
        rwx(rw->ept[k].entry, p);
        fprintf(f, "    e%d_%d [label=\"ref %d: EPT %s\\l@ HPA 0x%llx\\l= 0x%llx (%s)\\l\"%s];\n",
                i, 4 - k, ++*n, ept_name[4 - k], (unsigned long long)rw->ept[k].hpa,
                (unsigned long long)rw->ept[k].entry, p,
                rw->ept[k].entry & EPT_RWX ? "" : ", color=red");
    }
    if (rw->cached)
        fprintf(f, "    c%d [label=\"cached: HPA 0x%llx\\l(no EPT reference)\\l\"];\n", i,
                (unsigned long long)rw->hpa);
    if (i < EPT_ROW_PAGE && rw->gref)
        fprintf(f, "    r%d [label=\"ref %d: guest %s\\l@ GPA 0x%08llx\\l= 0x%08x\\l\"%s];\n", i,
                ++*n, gentry_name[i], (unsigned long long)rw->gpa, rw->gentry,
                rw->gentry & 1 ? "" : ", color=red");
    fprintf(f, "  }\n");
    /* The walk's order: previous row's end -> this row's references. */
    char cur[16];
    snprintf(cur, sizeof cur, "g%d", i);
    fprintf(f, "  %s -> %s [style=dotted, constraint=false];\n", prev, cur);
    for (int k = 0; k < rw->nept; k++) {
        fprintf(f, "  %s -> e%d_%d;\n", cur, i, 4 - k);
        snprintf(cur, sizeof cur, "e%d_%d", i, 4 - k);
    }
    if (rw->cached) {
        fprintf(f, "  %s -> c%d;\n", cur, i);
        snprintf(cur, sizeof cur, "c%d", i);
    }
    if (i < EPT_ROW_PAGE && rw->gref) {
        fprintf(f, "  %s -> r%d [label=\"HPA\"];\n", cur, i);
        snprintf(cur, sizeof cur, "r%d", i);
    }
    snprintf(prev, plen, "%s", cur);
}

void ept_2d_dot(FILE *f, const struct ept_2d *r, uint64_t eptp, const char *why)
{
    fprintf(f,
            "digraph walk_2d {\n"
            "  graph [fontname=\"Helvetica\", labelloc=t, label=\"2-D walk of linear address "
            "0x%08x (%s): %d memory references\\nrows: the guest's walk (SDM Vol. 3A 4.3); "
            "columns: the EPT walk of each guest-physical address (SDM Vol. 3C 29.3.2)\"];\n"
            "  node [shape=box, fontname=\"Courier\"];\n"
            "  edge [fontname=\"Helvetica\", fontsize=10];\n"
            "  root [shape=note, label=\"CR3 = 0x%08x (guest-physical)\\lEPTP = 0x%llx\\l\"];\n",
            r->lin, why ? why : "chosen address", r->nrefs, r->cr3, (unsigned long long)eptp);
    int n = 0, last = -1;
    char prev[16] = "root";
    for (int i = 0; i < EPT_ROWS; i++) {
        if (!r->row[i].used)
            continue;
        dot_row(f, r, i, &n, prev, sizeof prev);
        /* Columns: the same EPT level of each row one under the other. */
        if (last < 0)
            fprintf(f, "  root -> g%d [style=invis];\n", i);
        for (int lv = 4; last >= 0 && lv >= 1; lv--)
            if (r->row[last].nept > 4 - lv && r->row[i].nept > 4 - lv)
                fprintf(f, "  e%d_%d -> e%d_%d [style=invis];\n", last, lv, i, lv);
        if (last >= 0)
            fprintf(f, "  g%d -> g%d [style=invis];\n", last, i);
        last = i;
    }
    if (r->result == INTERP_XLATE_OK)
        fprintf(f,
                "  out [shape=box3d, label=\"GPA 0x%08llx -> HPA 0x%llx\\l%s\\l\"];\n"
                "  %s -> out;\n",
                (unsigned long long)r->gpa, (unsigned long long)r->hpa,
                r->large ? "(a 4 MiB guest page)" : "", prev);
    else if (r->result == INTERP_XLATE_PF)
        fprintf(f,
                "  out [color=red, label=\"#PF error code 0x%x\\l(the guest's tables)\\l\"];\n"
                "  %s -> out [color=red];\n",
                r->error_code, prev);
    else
        fprintf(f,
                "  out [color=red, label=\"EPT %s (exit %u)\\lat GPA 0x%llx\\l\"];\n"
                "  %s -> out [color=red];\n",
                r->exit_reason == 49 ? "misconfiguration" : "violation", r->exit_reason,
                (unsigned long long)r->exit_gpa, prev);
    fprintf(f, "}\n");
}
