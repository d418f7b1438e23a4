/*
 * pane_cache.c — the engine's code cache (decoded blocks for interp,
 * translations for bt) from its TRACE_CODE_CACHE events, the page walks
 * it did (TLB misses), and the last lines the guest wrote to its serial
 * console (which --viz keeps off the screen's own output).
 */
#include <curses.h>
#include <string.h>
#include "viz/viz_ui.h"

/* The last n lines of the console ring into lines[], oldest first. */
static int console_lines(const struct viz_model *m, char lines[][128], int n)
{
    uint64_t end = m->console_n, start = end > 4096 ? end - 4096 : 0;
    if (end > VIZ_CONSOLE && start < end - VIZ_CONSOLE)
        start = end - VIZ_CONSOLE;
    /* Skip one trailing newline: the line being written is the last. */
    if (end > start && m->console[(end - 1) % VIZ_CONSOLE] == '\n')
        end--;
    int got = 0;
    uint64_t p = end;
    while (got < n && p > start) {
        uint64_t q = p;
        while (q > start && m->console[(q - 1) % VIZ_CONSOLE] != '\n')
            q--;
        char *l = lines[n - 1 - got];
        size_t k = 0;
        for (uint64_t i = q; i < p && k < 127; i++) {
            char c = m->console[i % VIZ_CONSOLE];
            if (c != '\r')
                l[k++] = c;
        }
        l[k] = 0;
        got++;
        p = q ? q - 1 : 0;
        if (q == start)
            break;
    }
    /* Move them to the front. */
    if (got < n)
        memmove(lines, lines + (n - got), (size_t)got * sizeof lines[0]);
    return got;
}

void pane_cache(const struct viz_ui *ui, int y, int x, int h, int w)
{
    const struct viz_model *m = ui->m;
    int row = y;
    viz_title(row++, x, w, "Code cache");
    if (m->trace_elsewhere) {
        viz_put(row++, x, w, " going to the --trace file");
        viz_put(row++, x, w, " (replay it: vmtrace --viz)");
    } else if (!m->cc_seen) {
        viz_put(row++, x, w, " n/a: engine reports none");
        viz_put(row++, x, w, " page walks %llu", (unsigned long long)m->walks_seen);
    } else {
        viz_put(row++, x, w, " blocks +%llu -%llu flush %llu", (unsigned long long)m->cc_decoded,
                (unsigned long long)m->cc_invalidated, (unsigned long long)m->cc_flushed);
        viz_put(row++, x, w, " cached %llu KiB, %llu walks",
                (unsigned long long)(m->cc_occupancy + 1023) / 1024,
                (unsigned long long)m->walks_seen);
    }
    if (!m->live) {
        viz_title(row++, x, w, "Trace");
        if (row < y + h)
            viz_put(row++, x, w, " event %llu of %llu", (unsigned long long)m->trace_pos,
                    (unsigned long long)m->trace_total);
        if (row < y + h)
            viz_put(row++, x, w, " %llu interrupts", (unsigned long long)m->irqs);
        if (row < y + h)
            viz_put(row++, x, w, " speed %d exits/frame (+/-)", 1 << m->trace_speed);
        return;
    }
    viz_title(row++, x, w, "Guest console");
    int n = y + h - row;
    if (n <= 0)
        return;
    char lines[16][128];
    if (n > 16)
        n = 16;
    int got = console_lines(m, lines, n);
    for (int i = 0; i < got; i++)
        viz_put(row + i, x, w, " %s", lines[i]);
}
