/*
 * viz_replay.c — the visualizer on a trace file (build/vmtrace --viz FILE).
 *
 * The file is streamed with the trace reader (trace/trace_reader.h), never
 * loaded whole, so hours of trace replay in constant memory.  Each frame
 * plays 2^speed exits (and every walk, interrupt and code-cache event in
 * between); rates are computed on the trace's own clock, so they are the
 * guest's rates, not the replay's.  Space pauses, n plays exactly one more
 * exit, g jumps to the end.  At the end the histogram holds the counts
 * vmm-bt --stats printed for the same run.
 *
 * The page-walk pane shows recorded walks: the newest one, or the newest
 * one of the page chosen with 'a' (the last completed walk of each page is
 * kept in a small table, so choosing a page shows its walk at once).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/hangup.h"
#include "core/vm.h"
#include "trace/trace_reader.h"
#include "viz/viz.h"
#include "viz/viz_ui.h"

#define PAGES 4096 /* pages whose last walk is kept (a power of two) */

struct replay {
    struct trace_reader r;
    struct viz_model *m;
    bool eof;
    char err[256];
    struct viz_walker walks; /* the walks read so far (viz_walk.c) */
};

/* Play one event; true if it was an exit. */
static bool play_one(struct replay *rp)
{
    struct trace_event ev;
    int r = trace_reader_next(&rp->r, &ev, rp->err, sizeof rp->err);
    if (r <= 0) {
        rp->eof = true;
        viz_walker_done(&rp->walks);
        return false;
    }
    struct viz_model *m = rp->m;
    m->trace_pos++;
    if (ev.type == TRACE_EXIT) {
        struct vm_exit e;
        trace_event_to_exit(&ev, &e);
        viz_model_exit(m, &e, ev.time_ns);
        viz_model_tick(m, ev.time_ns);
        return true;
    }
    if (ev.type == TRACE_PAGE_WALK)
        viz_walker_event(&rp->walks, &ev);
    viz_model_event(m, &ev);
    return false;
}

static void replay_frame(void *ctx, struct viz_ui *ui)
{
    struct replay *rp = ctx;
    struct viz_model *m = rp->m;
    struct viz_ctl *c = &ui->ctl;
    uint64_t exits = 0, want, budget = 1000000; /* events per frame, at most */
    if (c->to_end)
        want = UINT64_MAX, budget = UINT64_MAX;
    else if (c->paused)
        want = c->step_grant;
    else
        want = 1ull << c->speed;
    while (!rp->eof && exits < want && budget--)
        if (play_one(rp))
            exits++;
    if (c->paused && c->step_grant)
        c->step_grant -= exits < c->step_grant ? exits : c->step_grant;
    if (!rp->eof && c->to_end && budget == 0)
        c->to_end = false;
    m->trace_speed = c->speed;
    if (rp->eof && !c->ended) {
        c->ended = true;
        viz_walker_done(&rp->walks);
        if (rp->err[0])
            snprintf(c->end_msg, sizeof c->end_msg, "trace cut short: %.150s", rp->err);
        else
            snprintf(c->end_msg, sizeof c->end_msg, "end of trace: %llu events, %llu exits",
                     (unsigned long long)m->trace_pos, (unsigned long long)m->nexits);
    }
    /* The walk pane: the newest walk, or the chosen page's. */
    if (m->walk_auto) {
        m->walk = rp->walks.newest;
        if (!rp->walks.newest.recorded)
            snprintf(m->walk.note, sizeof m->walk.note, "no page walk recorded yet");
    } else {
        const struct viz_walk *w = viz_walker_page(&rp->walks, m->walk_addr);
        if (w) {
            m->walk = *w;
        } else {
            memset(&m->walk, 0, sizeof m->walk);
            m->walk.lin = m->walk_addr;
            snprintf(m->walk.note, sizeof m->walk.note, "no walk of page %05x recorded so far",
                     m->walk_addr >> 12);
        }
    }
}

static void nop(void *ctx) { (void)ctx; }
static void replay_quit(void *ctx) { (void)ctx; }

static const struct viz_source_ops replay_ops = {
    .lock = nop,
    .unlock = nop,
    .wake = nop,
    .frame = replay_frame,
    .quit = replay_quit,
};

int viz_replay(const char *file, int argc, char **argv)
{
    const char *prog = "vmtrace";
    char err[512];
    bool step = false;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--step"))
            step = true;
    if (viz_term_check(err, sizeof err) < 0) {
        fprintf(stderr, "%s: error: %s\n", prog, err);
        return 2;
    }
    struct replay rp = { .m = calloc(1, sizeof *rp.m),
                         .walks = { .page = calloc(PAGES, sizeof(struct viz_walk)),
                                    .npages = PAGES } };
    if (!rp.m || !rp.walks.page) {
        fprintf(stderr, "%s: error: out of memory\n", prog);
        free(rp.m);
        free(rp.walks.page);
        return 1;
    }
    if (trace_reader_open(&rp.r, file, err, sizeof err) < 0) {
        fprintf(stderr, "%s: error: %s\n", prog, err);
        free(rp.m);
        free(rp.walks.page);
        return 1;
    }
    char source[96];
    const char *base = strrchr(file, '/');
    snprintf(source, sizeof source, "trace %.60s", base ? base + 1 : file);
    viz_model_init(rp.m, rp.r.info.engine, source);
    rp.m->trace_total = rp.r.info.nevents > 0 ? (uint64_t)rp.r.info.nevents : 0;

    struct viz_ui ui = {
        .prog = prog, .m = rp.m, .ops = &replay_ops, .ctx = &rp, .step_mode = step
    };
    ui.ctl.paused = step;
    /* Default pace: a few seconds for the whole trace at 15 frames/s
     * (taking about one event in four to be an exit). */
    while (ui.ctl.speed < 20 && (1ull << ui.ctl.speed) * 240 < rp.m->trace_total)
        ui.ctl.speed++;

    void *screen = viz_term_start(err, sizeof err);
    int status = 0;
    if (!screen) {
        fprintf(stderr, "%s: error: %s\n", prog, err);
        status = 2;
    } else {
        /* A stop signal or the terminal going away ends the replay too
         * (status 130, as a VMM's stop): nothing is left behind. */
        if (hangup_arm(NULL, true, err, sizeof err) < 0)
            snprintf(ui.note, sizeof ui.note, "%.100s", err);
        viz_ui_loop(&ui);
        viz_term_end(screen);
        hangup_disarm();
        if (ui.ctl.gone)
            status = VMM_STATUS_STOPPED;
    }
    trace_reader_close(&rp.r);
    free(rp.walks.page);
    free(rp.m);
    return status;
}
