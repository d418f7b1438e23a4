/*
 * viz.c — the visualizer's screen: layout, the redraw loop and the keys.
 *
 *   row 0        status: source, engine, RUNNING/PAUSED/ENDED, exit #, rate
 *   top          exit histogram (SDM reasons)   |  vCPU registers, mode, CPL
 *   middle       exit log, newest last (filter with 'f')
 *   bottom       page walk of one address        |  code cache, guest console
 *   last row     keys, the address prompt, or how the run ended
 *
 * 80x24 is the minimum (a projector's terminal); extra rows go to the log.
 * The loop redraws ~15 times a second from its own thread (live) or while
 * replaying, never per exit: drawing costs the guest nothing but a lock.
 */
#include <ctype.h>
#include <curses.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <term.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "core/hangup.h"
#include "core/sigchain.h"
#include "viz/viz_ui.h"

/* --- the terminal ------------------------------------------------------ */

int viz_term_check(char *err, size_t len)
{
    if (!isatty(STDOUT_FILENO)) {
        snprintf(err, len, "--viz needs a terminal of at least %dx%d (stdout is not a terminal)",
                 VIZ_MIN_COLS, VIZ_MIN_ROWS);
        return -1;
    }
    if (!isatty(STDIN_FILENO)) {
        snprintf(err, len,
                 "--viz needs a terminal of at least %dx%d (stdin is not a terminal, "
                 "so no keys can be read)",
                 VIZ_MIN_COLS, VIZ_MIN_ROWS);
        return -1;
    }
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row &&
        (ws.ws_col < VIZ_MIN_COLS || ws.ws_row < VIZ_MIN_ROWS)) {
        snprintf(err, len, "--viz needs a terminal of at least %dx%d (this one is %ux%u)",
                 VIZ_MIN_COLS, VIZ_MIN_ROWS, ws.ws_col, ws.ws_row);
        return -1;
    }
    const char *term = getenv("TERM");
    if (!term || !*term || !strcmp(term, "dumb")) {
        snprintf(err, len, "--viz needs a terminal of at least %dx%d (TERM is %s)", VIZ_MIN_COLS,
                 VIZ_MIN_ROWS, term && *term ? "'dumb'" : "not set");
        return -1;
    }
    return 0;
}

/* If the VMM itself crashes while the screen is up, the terminal must
 * still come back: a handler for the fatal signals puts back the saved
 * termios (tcsetattr is async-signal-safe) and writes the terminal's own
 * "leave full-screen mode, show the cursor, plain text" strings, then lets
 * the signal kill the process as before.  A signal that already had a
 * handler is passed to it first: stage 01's engine resolves its hidden
 * page faults in a SIGSEGV handler, and only when that handler gives up
 * (puts back SIG_DFL) is it a crash.  Signal handlers can only reach this
 * through statics; there is one terminal per process anyway. */
static struct termios crash_tio;
static char crash_seq[256];
static size_t crash_len;
static volatile sig_atomic_t crash_armed;
/* SIGALRM: hangup.h's backstop when a stop takes too long. */
static const int crash_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM };
#define NCRASH_SIGS (int)(sizeof crash_sigs / sizeof crash_sigs[0])
static struct sigaction crash_old[NCRASH_SIGS];

static void crash_restore(int sig, siginfo_t *si, void *uc)
{
    if (sigchain(sig, si, uc, crash_sigs, crash_old, NCRASH_SIGS)) /* core/sigchain.h */
        return;
    if (crash_armed) {
        crash_armed = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &crash_tio);
        if (write(STDOUT_FILENO, crash_seq, crash_len) < 0) {
            /* nothing more can be done */
        }
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void crash_add(const char *cap)
{
    const char *s = tigetstr(cap);
    size_t n = s && s != (char *)-1 ? strlen(s) : 0;
    if (n && crash_len + n < sizeof crash_seq) {
        memcpy(crash_seq + crash_len, s, n);
        crash_len += n;
    }
}

void *viz_term_start(char *err, size_t len)
{
    bool have_tio = tcgetattr(STDIN_FILENO, &crash_tio) == 0;
    /* newterm, not initscr: an unknown TERM is an error we report, not
     * an exit inside the library. */
    SCREEN *s = newterm(NULL, stdout, stdin);
    if (!s) {
        snprintf(err, len, "--viz cannot drive this terminal (TERM='%s' unknown to ncurses)",
                 getenv("TERM") ? getenv("TERM") : "");
        return NULL;
    }
    set_term(s);
    raw(); /* Ctrl-C is a key here: quit, cleanly         */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    timeout(0); /* getch never waits: next_key polls (below)     */
    if (have_tio) {
        crash_len = 0;
        crash_add("sgr0");
        crash_add("cnorm");
        crash_add("rmcup");
        for (int i = 0; i < NCRASH_SIGS; i++) {
            sigaction(crash_sigs[i], NULL, &crash_old[i]);
            struct sigaction sa = crash_old[i]; /* same mask and SA_NODEFER */
            sa.sa_sigaction = crash_restore;
            sa.sa_flags = (sa.sa_flags & SA_NODEFER) | SA_SIGINFO;
            sigaction(crash_sigs[i], &sa, NULL);
        }
        crash_armed = 1;
    }
    return s;
}

void viz_term_end(void *screen)
{
    if (!screen)
        return;
    if (crash_armed) {
        crash_armed = 0;
        for (int i = 0; i < NCRASH_SIGS; i++)
            sigaction(crash_sigs[i], &crash_old[i], NULL);
    }
    curs_set(1);
    endwin();
    delscreen(screen);
}

/* --- drawing helpers --------------------------------------------------- */

/* Keep a w-column field at (y, x) on the screen; false if none of it is. */
static bool clip(int y, int x, int *w)
{
    if (y < 0 || y >= LINES || x < 0 || x >= COLS || *w <= 0)
        return false;
    if (*w > COLS - x)
        *w = COLS - x;
    return true;
}

void viz_put(int y, int x, int w, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    if (!clip(y, x, &w))
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (char *p = buf; *p; p++) /* guest bytes: nothing that moves the cursor */
        if (!isprint((unsigned char)*p))
            *p = '.';
    mvaddnstr(y, x, buf, w);
}

void viz_title(int y, int x, int w, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    if (!clip(y, x, &w))
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    mvhline(y, x, '-', w); /* ASCII: right on every terminal and projector */
    attron(A_BOLD);
    viz_put(y, x + 1, w - 2, " %s ", buf);
    attroff(A_BOLD);
}

/* --- layout ------------------------------------------------------------ */

static const char *state_name(const struct viz_ui *ui)
{
    if (ui->ctl.ended)
        return "ENDED";
    if (ui->ctl.paused)
        return ui->ctl.at_exit || !ui->m->live ? (ui->step_mode ? "STEP" : "PAUSED") : "PAUSING";
    return ui->ctl.play ? "PLAY" : "RUNNING";
}

static void draw_status(const struct viz_ui *ui)
{
    const struct viz_model *m = ui->m;
    attron(A_REVERSE);
    mvhline(0, 0, ' ', COLS);
    char state[32];
    if (ui->ctl.play && !ui->ctl.paused && !ui->ctl.ended)
        snprintf(state, sizeof state, "PLAY %d/s", 1 << ui->ctl.speed);
    else
        snprintf(state, sizeof state, "%s", state_name(ui));
    viz_put(0, 0, COLS, " vmlab viz  %s  %s  %-7s exit #%llu  %.2fs  %.0f exits/s", m->source,
            m->engine, state, (unsigned long long)m->nexits, (double)m->now_ns / 1e9,
            m->total_rate);
    attroff(A_REVERSE);
}

static void draw_help(const struct viz_ui *ui)
{
    int y = LINES - 1;
    mvhline(y, 0, ' ', COLS);
    if (ui->prompt) {
        viz_put(y, 0, COLS, "walk address (hex; Enter = %s, Esc = cancel): %.*s_",
                ui->m->live ? "follow EIP" : "newest walk", ui->plen, ui->pbuf);
        return;
    }
    if (ui->ctl.ended) {
        attron(A_BOLD);
        viz_put(y, 0, COLS, "%s -- press q to leave", ui->ctl.end_msg);
        attroff(A_BOLD);
        return;
    }
    if (ui->note[0]) {
        viz_put(y, 0, COLS, "%s", ui->note);
        return;
    }
    viz_put(y, 0, COLS, "space %s  n step  %sf filter  a address  c console  %sq quit",
            ui->ctl.paused ? "run  " : "pause", ui->m->live ? "p play  +/- pace  " : "",
            ui->m->live ? "" : "+/- speed  g end  ");
}

static void draw(const struct viz_ui *ui)
{
    erase();
    if (COLS < VIZ_MIN_COLS || LINES < VIZ_MIN_ROWS) {
        viz_put(0, 0, COLS, "terminal is %dx%d;", COLS, LINES);
        viz_put(1, 0, COLS, "the visualizer needs %dx%d.", VIZ_MIN_COLS, VIZ_MIN_ROWS);
        viz_put(2, 0, COLS, "q quits.");
        return;
    }
    int top_h = 9, regs_w = 33, hist_w = COLS - regs_w - 1;
    int bot_h = LINES >= 40 ? 10 : 6;
    int bot_y = LINES - 1 - bot_h;
    int walk_w = 50;
    draw_status(ui);
    pane_hist(ui, 1, 0, top_h, hist_w);
    pane_regs(ui, 1, hist_w + 1, top_h, regs_w);
    if (ui->engine_pane) { /* 'e': log and bottom panes give way */
        pane_engine(ui, 1 + top_h, 0, LINES - 2 - top_h, COLS);
        draw_help(ui);
        return;
    }
    pane_log(ui, 1 + top_h, 0, bot_y - 1 - top_h, COLS);
    if (ui->wide_console) { /* 'c': the console across the screen */
        pane_console(ui, bot_y, 0, bot_h, COLS);
    } else if (ui->m->walk.twod) { /* the 2-D walk's grid needs the width */
        pane_walk(ui, bot_y, 0, bot_h, COLS);
    } else {
        pane_walk(ui, bot_y, 0, bot_h, walk_w);
        pane_cache(ui, bot_y, walk_w + 1, bot_h, COLS - walk_w - 1);
    }
    draw_help(ui);
}

/* --- keys -------------------------------------------------------------- */

/* parse_addr: "c0001000" or "0xc0001000", 1 to 8 hex digits and nothing
 * else (a linear address is 32 bits); false for anything else. */
static bool parse_addr(const char *s, uint32_t *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    size_t n = strspn(s, "0123456789abcdefABCDEF");
    if (n == 0 || n > 8 || s[n])
        return false;
    *out = (uint32_t)strtoul(s, NULL, 16);
    return true;
}

static void prompt_key(struct viz_ui *ui, int ch)
{
    struct viz_model *m = ui->m;
    if (ch == 27) { /* Esc */
        ui->prompt = false;
    } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        if (ui->plen)
            ui->plen--;
    } else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
        uint32_t a;
        ui->pbuf[ui->plen] = 0;
        ui->prompt = false;
        if (!ui->plen) {
            m->walk_auto = true;
        } else if (parse_addr(ui->pbuf, &a)) {
            m->walk_auto = false;
            m->walk_addr = a;
        } else { /* say so: a silently ignored typo looks like a wrong walk */
            snprintf(ui->note, sizeof ui->note,
                     "a: '%s' is not an address (1-8 hex digits, e.g. c0001000); walk unchanged",
                     ui->pbuf);
        }
    } else if (ch < 127 && isprint(ch) && ui->plen < (int)sizeof ui->pbuf - 1) {
        ui->pbuf[ui->plen++] = (char)ch;
    }
}

/* Returns true when the user leaves. */
static bool key(struct viz_ui *ui, int ch)
{
    struct viz_ctl *c = &ui->ctl;
    ui->note[0] = 0;
    if (ch == 3 || ((ch == 'q' || ch == 'Q') && !ui->prompt))
        return true; /* q or Ctrl-C */
    if (ch == KEY_RESIZE) {
        clearok(stdscr, TRUE);
        return false;
    }
    if (ch == 12) { /* Ctrl-L */
        clearok(stdscr, TRUE);
        return false;
    }
    if (ui->prompt) {
        prompt_key(ui, ch);
        return false;
    }
    if (c->ended && (ch == '\n' || ch == '\r' || ch == KEY_ENTER))
        return true; /* Enter leaves the end screen too */
    switch (ch) {
    case ' ':
        c->paused = !c->paused;
        if (!c->paused)
            ui->step_mode = false;
        break;
    case 'n':
    case 's':
        ui->step_mode = true;
        if (c->paused)
            c->step_grant++; /* exactly one more exit */
        else
            c->paused = true; /* stop at the next one  */
        break;
    case 'p': /* live: paced play for a lecture; again: full speed */
        if (!ui->m->live) {
            snprintf(ui->note, sizeof ui->note, "p plays a live VM; a trace: space, +/- speed");
            break;
        }
        c->play = !(c->play && !c->paused);
        c->paused = false;
        ui->step_mode = false;
        break;
    case 'c': ui->wide_console = !ui->wide_console; break;
    case 'e': ui->engine_pane = !ui->engine_pane; break;
    case 'f': ui->m->filter = viz_model_next_filter(ui->m, ui->m->filter); break;
    case 'a':
        ui->prompt = true;
        ui->plen = 0;
        break;
    case '+':
    case '=':
        if (c->speed < 20)
            c->speed++;
        break;
    case '-':
        if (c->speed > 0)
            c->speed--;
        break;
    case 'g': c->to_end = true; break;
    default:
        snprintf(ui->note, sizeof ui->note, "key not bound; keys: space n p + - f a c e q");
        break;
    }
    ui->ops->wake(ui->ctx);
    return false;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The next key, ERR after VIZ_POLL_MS without one, or VIZ_GONE when the
 * terminal went away or a stop came (hangup.h).  poll(2) waits, not
 * getch: after a hang-up a tty reads end of file at once and for ever, and
 * getch turns that into ERR, indistinguishable from "no key yet" — a loop
 * on getch alone spins a core.  A hung-up tty polls POLLHUP; readable yet
 * no key from getch, several times running, is end of file too. */
#define VIZ_POLL_MS 20
#define VIZ_GONE    (-2)
static int next_key(struct viz_ui *ui)
{
    struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
                           { .fd = hangup_fd(), .events = POLLIN } };
    int r = poll(p, p[1].fd >= 0 ? 2 : 1, VIZ_POLL_MS);
    if (r > 0 && p[1].fd >= 0 && p[1].revents)
        return VIZ_GONE;
    if (r > 0 && (p[0].revents & (POLLHUP | POLLERR | POLLNVAL))) {
        hangup_note(HANGUP_TERMINAL);
        return VIZ_GONE;
    }
    int ch = getch(); /* what ncurses buffered, or what poll saw */
    if (ch == ERR && r > 0 && (p[0].revents & POLLIN)) {
        if (++ui->empty_reads >= 3) {
            hangup_note(HANGUP_TERMINAL);
            return VIZ_GONE;
        }
    } else if (ch != ERR) {
        ui->empty_reads = 0;
    }
    return ch;
}

void viz_ui_loop(struct viz_ui *ui)
{
    uint64_t last = 0;
    for (;;) {
        int ch = next_key(ui);
        ui->ops->lock(ui->ctx);
        if (ui->ctl.quit) { /* the run was stopped from outside */
            ui->ops->unlock(ui->ctx);
            return;
        }
        bool gone = ch == VIZ_GONE;
        bool leave = gone || (ch != ERR && key(ui, ch));
        if (leave) {
            ui->ctl.quit = true;
            ui->ctl.gone = gone;
            ui->ctl.paused = false;
            ui->ops->wake(ui->ctx);
        }
        uint64_t now = mono_ms();
        bool drawn = false;
        if (!leave && (ch != ERR || now - last >= VIZ_FRAME_MS)) {
            ui->ops->frame(ui->ctx, ui);
            draw(ui);
            last = now;
            drawn = true;
        }
        ui->ops->unlock(ui->ctx);
        if (leave) {
            ui->ops->quit(ui->ctx);
            return;
        }
        if (drawn)
            refresh();
    }
}
