/*
 * pane_walk.c — one 32-bit page walk drawn level by level (SDM Vol. 3A
 * §4.3, Figure 4-2): CR3 gives the page directory; bits 31:22 of the
 * address pick the PDE, which gives the page table (or, with PS=1 and
 * CR4.PSE, a 4 MiB page); bits 21:12 pick the PTE, which gives the 4 KiB
 * frame; bits 11:0 are the offset in it.
 *
 * Under stage 04's EPT the walk has two dimensions (SDM Vol. 3C §29.3.2):
 * every guest-physical address of the guest's walk is translated by an
 * EPT walk, drawn as a grid (draw_grid), from the walk the model CPU made.
 */
#include <curses.h>
#include <string.h>
#include "viz/viz_ui.h"

#define F_P  (1u << 0)
#define F_W  (1u << 1)
#define F_U  (1u << 2)
#define F_A  (1u << 5)
#define F_D  (1u << 6)
#define F_PS (1u << 7)
#define F_G  (1u << 8)

/* Set flag bits as letters, SDM Vol. 3A Tables 4-5 and 4-6. */
static void flags(uint32_t e, bool pde, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s%s%s%s", e & F_P ? "P" : "not-present",
             e & F_P && e & F_W ? " W"
             : e & F_P          ? " RO"
                                : "",
             e & F_P ? (e & F_U ? " U" : " S") : "", e & F_P && e & F_A ? " A" : "",
             e & F_P && e & F_D ? " D" : "", e & F_P && pde && e & F_PS ? " PS" : "",
             e & F_P && e & F_G ? " G" : "");
}

static void draw_dim(const struct viz_walk *wk, const struct viz_walk_dim *d, int y, int x, int h,
                     int w)
{
    char f[40];
    int row = y;
    uint32_t lin = wk->lin;
    if (row < y + h)
        viz_put(row++, x, w, "CR3  %08x  dir[%03x] tbl[%03x] off %03x", wk->cr3, lin >> 22,
                (lin >> 12) & 0x3ff, lin & 0xfff);
    for (int i = 0; i < 2 && row < y + h; i++) {
        const char *name = i ? "PTE" : "PDE";
        if (i >= d->nrefs) {
            if (i == 1 && d->large)
                viz_put(row++, x, w, "PTE      (none: the PDE maps a 4 MiB page)");
            else if (i == 1 && d->nrefs == 1)
                viz_put(row++, x, w, "PTE      (not reached)");
            continue;
        }
        flags(d->entry[i], i == 0, f, sizeof f);
        if (!(d->entry[i] & F_P))
            attron(A_BOLD);
        viz_put(row++, x, w, "%s @%08x = %08x %s", name, d->table[i], d->entry[i], f);
        if (!(d->entry[i] & F_P))
            attroff(A_BOLD);
    }
    if (row >= y + h)
        return;
    if (!d->done) {
        viz_put(row++, x, w, "-> (outcome not recorded)");
    } else if (d->ok) {
        uint32_t mask = d->large ? 0x3fffffu : 0xfffu;
        viz_put(row++, x, w, "-> frame %08llx + %06x = GPA %08llx",
                (unsigned long long)(d->phys & ~(uint64_t)mask), lin & mask,
                (unsigned long long)d->phys);
    } else {
        attron(A_BOLD);
        viz_put(row++, x, w, "-> #PF error code 0x%x (%s)", d->error_code,
                d->error_code & 1 ? "protection" : "not present");
        attroff(A_BOLD);
    }
}

/* The 2-D walk (stage 04, EPT; SDM Vol. 3C §29.3.2) as the model CPU made
 * it: one line per guest-physical access of the guest's walk (the page
 * directory, the page table, the page), the EPT entries that translated
 * it from PML4E to PTE (or "cached": no reference), then the guest entry
 * read there.  A full walk of a 4 KiB page is 14 references. */
static void draw_grid(const struct viz_walk *wk, int y, int x, int h, int w)
{
    static const char *const label[3] = { "PD", "PT", "page" };
    static const char *const gname[2] = { "PDE", "PTE" };
    int row = y;
    viz_put(row++, x, w, "row  GPA      %10s %10s %10s %10s  guest entry", "EPT PML4E", "PDPTE",
            "PDE", "PTE");
    for (int i = 0; i < 3 && row < y + h - 1; i++) {
        const struct viz_walk_row *r = &wk->row[i];
        char cells[64] = "", g[32] = "";
        int n = 0;
        if (!r->used) {
            viz_put(row++, x, w, "%-4s (not reached)", label[i]);
            continue;
        }
        if (r->cached)
            n = snprintf(cells, sizeof cells, "%-43s", "     (guest-physical cache: no reference)");
        else
            for (int k = 0; k < 4; k++) /* "-": not reached */
                n += k < r->nept ? snprintf(cells + n, sizeof cells - (size_t)n, "%10llx ",
                                            (unsigned long long)r->ept_entry[k])
                                 : snprintf(cells + n, sizeof cells - (size_t)n, "%10s ", "-");
        if (i < 2 && (r->gref || r->gcached))
            snprintf(g, sizeof g, "%s=%08x%s", gname[i], r->gentry, r->gcached ? " (c)" : "");
        else if (i == 2 && !wk->ept_exit && wk->dim.ok)
            snprintf(g, sizeof g, "HPA %llx", (unsigned long long)wk->hpa);
        bool bad = (!r->cached && r->nept && !(r->ept_entry[r->nept - 1] & 7)) ||
                   (i < 2 && r->gref && !(r->gentry & F_P));
        if (bad)
            attron(A_BOLD);
        viz_put(row++, x, w, "%-4s %08llx %s %s", label[i],
                (unsigned long long)(i < 2 ? r->gpa & ~0xfffull : r->gpa), cells, g);
        if (bad)
            attroff(A_BOLD);
    }
    char out[80];
    if (wk->ept_exit)
        snprintf(out, sizeof out, "EPT %s (exit %u) at GPA %llx",
                 wk->exit_reason == 49 ? "misconfiguration" : "violation", wk->exit_reason,
                 (unsigned long long)wk->exit_gpa);
    else if (!wk->dim.done)
        snprintf(out, sizeof out, "(outcome not recorded)");
    else if (wk->dim.ok)
        snprintf(out, sizeof out, "GPA %08llx -> HPA %llx", (unsigned long long)wk->dim.phys,
                 (unsigned long long)wk->hpa);
    else
        snprintf(out, sizeof out, "#PF error code 0x%x", wk->dim.error_code);
    viz_put(y + h - 1, x, w, "-> %s; %d references; by eip=%08x", out, wk->refs, wk->eip);
}

void pane_walk(const struct viz_ui *ui, int y, int x, int h, int w)
{
    const struct viz_model *m = ui->m;
    const struct viz_walk *wk = &m->walk;
    const char *what = wk->twod ? "2-D walk" : "Page walk";
    if (m->walk_auto)
        viz_title(y, x, w, "%s of %08x (%s; a: choose)", what, wk->lin,
                  m->live && !wk->recorded ? "EIP" : "newest");
    else
        viz_title(y, x, w, "%s of %08x (a: change)", what, m->walk_addr);
    if (wk->note[0]) {
        viz_put(y + 1, x, w, "%s", wk->note);
        return;
    }
    if (wk->twod) {
        draw_grid(wk, y + 1, x, h - 1, w);
        return;
    }
    draw_dim(wk, &wk->dim, y + 1, x, h - 2, w);
    if (wk->recorded)
        viz_put(y + h - 1, x, w, "by eip=%08x", wk->eip);
}
