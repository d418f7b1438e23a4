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
    viz_title(row++, x, w, "Code cache (e: engine)");
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
    pane_console(ui, row, x, y + h - row, w);
}

/* The console's last lines, each wrapped to the pane's width, so that a
 * narrow pane (29 columns at 80x24) still shows whole lines; the newest
 * rows win.  'c' gives it the whole bottom of the screen. */
void pane_console(const struct viz_ui *ui, int y, int x, int h, int w)
{
    const struct viz_model *m = ui->m;
    viz_title(y, x, w,
              ui->wide_console ? "Guest console (c: page walk)" : "Guest console (c: wide)");
    int rows = h - 1, cw = w - 1; /* one column of margin */
    if (rows <= 0 || cw <= 0)
        return;
    char lines[16][128];
    int got = console_lines(m, lines, rows < 16 ? rows : 16);
    /* Count the wrapped rows from the newest line back. */
    int first = got, used = 0;
    while (first > 0) {
        int len = (int)strlen(lines[first - 1]), need = len ? (len + cw - 1) / cw : 1;
        if (used + need > rows && used > 0)
            break;
        used += need;
        first--;
    }
    int r = y + 1;
    for (int i = first; i < got && r < y + h; i++) {
        int len = (int)strlen(lines[i]);
        /* a line taller than the pane shows its end */
        int skip = len > rows * cw ? ((len - rows * cw + cw - 1) / cw) * cw : 0;
        for (int o = skip; (o < len || o == 0) && r < y + h; o += cw)
            viz_put(r++, x, w, " %.*s", cw, lines[i] + o);
    }
}

/* The lines a lecture asks about first: a binary translator's helper
 * calls (sensitive instructions), its hidden faults (the window, a shadow
 * page table) and its code cache; then the rest, in the engine's order. */
static const char *const engine_first[] = { "helper calls", "hidden page faults",
                                            "blocks translated" };

static int engine_rank(const char *l, int len)
{
    for (int k = 0; k < 3; k++) {
        size_t n = strlen(engine_first[k]);
        for (int i = 0; i + (int)n <= len; i++)
            if (!strncmp(l + i, engine_first[k], n))
                return k;
    }
    return 3;
}

void pane_engine(const struct viz_ui *ui, int y, int x, int h, int w)
{
    const struct viz_model *m = ui->m;
    viz_title(y, x, w, "Engine %s: its --stats so far (e: back)", m->engine);
    int row = y + 1, cw = w - 1;
    if (!m->estats_ns) {
        viz_put(row, x, w,
                m->live ? " (no exit yet, or the engine keeps no counters)"
                        : " (live only: a trace holds no engine counters)");
        return;
    }
    for (int rank = 0; rank <= 3; rank++) {
        for (const char *l = m->estats; *l && row < y + h;) {
            const char *nl = strchr(l, '\n');
            int len = nl ? (int)(nl - l) : (int)strlen(l);
            int o = 0;
            while (engine_rank(l, len) == rank && row < y + h) { /* wrapped, indented */
                int take = o ? cw - 3 : cw;
                take = take < len - o ? take : len - o;
                viz_put(row++, x, w, "%s%.*s", o ? "    " : " ", take, l + o);
                o += take;
                if (o >= len)
                    break;
            }
            l += len + (nl != NULL);
        }
    }
}
