/*
 * viz_ui.h — inside the visualizer: the screen loop (viz.c), the panes
 * (pane_*.c) and the two data sources (viz_live.c, viz_replay.c).
 *
 * The screen loop owns ncurses.  A source fills the model; the loop locks
 * it (ops->lock) to draw and to change the controls below, which the
 * source reads: the live observer blocks the vCPU on them, the replay
 * consumes trace events according to them.
 */
#ifndef VIZ_VIZ_UI_H
#define VIZ_VIZ_UI_H

#include <stdbool.h>
#include <stdint.h>
#include "viz/viz_model.h"

#define VIZ_MIN_COLS 80
#define VIZ_MIN_ROWS 24
#define VIZ_FRAME_MS 66 /* ~15 redraws per second */

struct viz_ctl {         /* guarded by the source's lock */
    bool paused;         /* stop at the next exit              */
    uint64_t step_grant; /* exits allowed while paused ('n')   */
    bool quit;           /* the user left (q, Ctrl-C)          */
    bool gone;           /* ... or the terminal went away, or a
                                         stop signal came (core/hangup.h)   */
    bool ended;          /* the guest / the trace ended        */
    char end_msg[200];   /* why, for the status line           */
    int speed;           /* replay: exits per frame = 2^speed;
                                         live play: exits a second = 2^speed */
    bool to_end;         /* replay: jump to the end ('g')      */
    bool at_exit;        /* live: the vCPU waits at an exit    */
    bool play;           /* live: paced, 2^speed exits a second
                                         ('p'; +/- change the pace)         */
};

struct viz_ui;
struct viz_source_ops {
    void (*lock)(void *ctx);
    void (*unlock)(void *ctx);
    /* Controls changed (under the lock): wake whoever waits on them. */
    void (*wake)(void *ctx);
    /* Once per frame, locked: bring new data into the model (replay),
     * refresh the page walk for m->walk_addr (live: walk the tables). */
    void (*frame)(void *ctx, struct viz_ui *ui);
    /* The user quit (unlocked): stop the VM. */
    void (*quit)(void *ctx);
};

struct viz_ui {
    const char *prog;
    struct viz_model *m;
    struct viz_ctl ctl;
    const struct viz_source_ops *ops;
    void *ctx;
    bool step_mode;    /* --step: 'n' steps, space resumes */
    bool prompt;       /* reading a hex address for 'a'    */
    bool wide_console; /* 'c': the console across the bottom */
    bool engine_pane;  /* 'e': the engine's counters instead
                                     of the log and the bottom panes    */
    char pbuf[12];
    int plen;
    char note[120];  /* a transient line for the help bar */
    int empty_reads; /* stdin readable, no key: EOF soon  */
};

/* Run the screen until the user quits (and, once ctl.ended, a key).
 * ncurses must be started (viz_term_start) and is left started. */
void viz_ui_loop(struct viz_ui *ui);

/* Terminal: 0 if --viz can run (stdin/stdout terminals of >= 80x24), else
 * -1 and one sentence in err; touches nothing. */
int viz_term_check(char *err, size_t len);
/* Enter curses mode: the screen, or NULL with err.  viz_term_end leaves
 * it and gives the terminal back as it was. */
void *viz_term_start(char *err, size_t len);
void viz_term_end(void *screen);

/* Drawing helpers: clipped to the screen and to width w. */
void viz_put(int y, int x, int w, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void viz_title(int y, int x, int w, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The panes, each in the rectangle (y, x, h rows, w columns). */
void pane_hist(const struct viz_ui *ui, int y, int x, int h, int w);
void pane_regs(const struct viz_ui *ui, int y, int x, int h, int w);
void pane_log(const struct viz_ui *ui, int y, int x, int h, int w);
void pane_walk(const struct viz_ui *ui, int y, int x, int h, int w);
void pane_cache(const struct viz_ui *ui, int y, int x, int h, int w);
/* The engine's --stats so far (bt: helper calls, hidden faults, code
 * cache), each line wrapped to the width. */
void pane_engine(const struct viz_ui *ui, int y, int x, int h, int w);
/* The guest's serial console, its last lines wrapped to the width. */
void pane_console(const struct viz_ui *ui, int y, int x, int h, int w);

/* A shorter SDM reason name for narrow panes (the full name otherwise). */
const char *viz_reason_name(uint32_t reason);
/* One exit in one line for the log (the decoded details after the EIP). */
void viz_exit_text(const struct viz_exit *x, char *buf, size_t len);

#endif
