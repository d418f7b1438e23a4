/*
 * pane_walk.c — one 32-bit page walk drawn level by level (SDM Vol. 3A
 * §4.3, Figure 4-2): CR3 gives the page directory; bits 31:22 of the
 * address pick the PDE, which gives the page table (or, with PS=1 and
 * CR4.PSE, a 4 MiB page); bits 21:12 pick the PTE, which gives the 4 KiB
 * frame; bits 11:0 are the offset in it.
 *
 * Each dimension is one column: the guest's walk (linear -> guest-physical)
 * now; stage 04's nested walk (guest-physical -> host-physical, EPT) goes
 * in a second column beside it when the model has one.
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

static void draw_dim(const struct viz_walk *wk, const struct viz_walk_dim *d, bool nested, int y,
                     int x, int h, int w)
{
    char f[40];
    int row = y;
    uint32_t lin = wk->lin;
    if (row < y + h)
        viz_put(row++, x, w, "%s %08x  dir[%03x] tbl[%03x] off %03x", nested ? "EPTP" : "CR3 ",
                wk->cr3, lin >> 22, (lin >> 12) & 0x3ff, lin & 0xfff);
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
        viz_put(row++, x, w, "-> frame %08llx + %06x = %s %08llx",
                (unsigned long long)(d->phys & ~(uint64_t)mask), lin & mask, nested ? "HPA" : "GPA",
                (unsigned long long)d->phys);
    } else {
        attron(A_BOLD);
        viz_put(row++, x, w, "-> #PF error code 0x%x (%s)", d->error_code,
                d->error_code & 1 ? "protection" : "not present");
        attroff(A_BOLD);
    }
}

void pane_walk(const struct viz_ui *ui, int y, int x, int h, int w)
{
    const struct viz_model *m = ui->m;
    const struct viz_walk *wk = &m->walk;
    if (m->walk_auto)
        viz_title(y, x, w, "Page walk of %08x (%s; a: choose)", wk->lin,
                  m->live ? "EIP" : "newest");
    else
        viz_title(y, x, w, "Page walk of %08x (a: change)", m->walk_addr);
    if (wk->note[0]) {
        viz_put(y + 1, x, w, "%s", wk->note);
        return;
    }
    bool two = wk->dim[1].present && w >= 100;
    int colw = two ? w / 2 : w;
    draw_dim(wk, &wk->dim[0], false, y + 1, x, h - 2, colw);
    if (two)
        draw_dim(wk, &wk->dim[1], true, y + 1, x + colw, h - 2, w - colw);
    char by[32] = "";
    if (wk->recorded)
        snprintf(by, sizeof by, "by eip=%08x  ", wk->eip);
    viz_put(y + h - 1, x, w, "%snested EPT: %s", by,
            two                  ? "right column"
            : wk->dim[1].present ? "needs 100+ columns"
                                 : "none (stage 04)");
}
