/*
 * pane_hist.c — exits by basic exit reason (SDM Vol. 3C Table C-1): count,
 * rate over the last half second, and a bar when the pane is wide enough.
 * The counts are those of --stats for the same run.
 */
#include <curses.h>
#include <string.h>
#include "viz/viz_ui.h"

const char *viz_reason_name(uint32_t reason)
{
    switch (reason) {
    case EXIT_EXCEPTION_NMI: return "Exception or NMI";
    case EXIT_CR_ACCESS: return "Control-register access";
    case EXIT_ENTRY_FAIL_GUEST: return "Entry fail: guest state";
    case EXIT_ENTRY_FAIL_MSR: return "Entry fail: MSR loading";
    case EXIT_GDTR_IDTR: return "GDTR/IDTR access";
    case EXIT_LDTR_TR: return "LDTR/TR access";
    default: return exit_reason_name(reason);
    }
}

void pane_hist(const struct viz_ui *ui, int y, int x, int h, int w)
{
    const struct viz_model *m = ui->m;
    viz_title(y, x, w, "Exits by reason (SDM Table C-1)");
    int namew = w - 25, row = y + 1;
    if (namew < 8)
        namew = 8;
    int barw = namew > 30 ? namew - 26 : 0; /* wide screens: a bar after a 24-column name */
    if (barw)
        namew = 24;
    viz_put(row++, x, w, " %-*s %3s %9s %9s", namew, "reason", "#", "count", "exits/s");
    uint64_t max = 1;
    int shown = 0;
    for (int s = 0; s < VIZ_NSLOTS; s++)
        if (m->count[s] > max)
            max = m->count[s];
    for (int s = 0; s < VIZ_NSLOTS; s++) {
        if (!m->count[s])
            continue;
        if (row >= y + h) {
            viz_put(y + h - 1, x, w, " ... more reasons (f cycles through them)");
            break;
        }
        const char *name =
            s == VIZ_OTHER ? "VMM-internal / entry failure" : viz_reason_name((uint32_t)s);
        char num[8];
        snprintf(num, sizeof num, s == VIZ_OTHER ? "-" : "%d", s);
        if (m->filter == s)
            attron(A_REVERSE);
        viz_put(row, x, w, "%c%-*.*s %3s %9llu %9.0f", m->filter == s ? '>' : ' ', namew, namew,
                name, num, (unsigned long long)m->count[s], m->rate[s]);
        if (m->filter == s)
            attroff(A_REVERSE);
        if (barw) {
            int n = (int)((double)barw * (double)m->count[s] / (double)max + 0.5);
            if (n < 1)
                n = 1;
            mvhline(row, x + namew + 26, '#', n);
        }
        row++;
        shown++;
    }
    if (!shown)
        viz_put(row, x, w, " (no exits yet)");
}
