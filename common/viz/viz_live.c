/*
 * viz_live.c — the visualizer on a running VM.
 *
 * Two threads: the vCPU (vm_run) hands every exit to observe() through
 * vm_set_observer; the screen thread (viz_ui_loop) draws ~15 times a
 * second.  They share the model under one mutex; the vCPU holds it for a
 * few hundred nanoseconds per exit, and waits on the condition variable
 * while paused (step mode), re-checking vm_stop_requested every 50 ms so a
 * timeout or a signal still ends the run.
 *
 * The page-walk pane walks the guest's tables with the interpreter's own
 * walker (x86/paging.c) — but on a private copy-on-write mapping of guest
 * RAM (the memfd mapped MAP_PRIVATE): the walker sets Accessed/Dirty bits
 * as hardware does, and looking must not change what the guest sees.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include "core/vm.h"
#include "trace/trace.h"
#include "viz/viz.h"
#include "viz/viz_ui.h"
#include "x86/paging.h"

struct viz {
    struct viz_ui ui;
    struct viz_model *m;
    struct vm *vm;
    const char *prog;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    void *screen;
    sigset_t old_mask;
    /* The clock shown is the guest's running time: the time the vCPU
     * waited at a paused exit (a presenter talking between steps) is
     * left out, so step-mode timestamps read as the guest's own. */
    uint64_t paused_ns; /* waited at exits so far              */
    uint64_t pause_t0;  /* when the current wait began, or 0   */
    uint64_t play_next; /* play: when the next exit may go on  */
    FILE *report;       /* --stats / fatal dump, held back */
    char *report_buf;
    size_t report_len;
    struct trace_event ev[256];
    struct viz_walker walks; /* walks an MMU recorded (stage 04's 2-D walk) */
};

#define WALK_PAGES 1024 /* pages whose newest recorded walk is kept */

int viz_check(char *err, size_t len) { return viz_term_check(err, len); }

/* --- the vCPU side ----------------------------------------------------- */

/* The running clock at now (trace_now), without the waits at paused exits. */
static uint64_t run_ns(const struct viz *v, uint64_t now)
{
    uint64_t waited = v->paused_ns + (v->pause_t0 ? now - v->pause_t0 : 0);
    return now > waited ? now - waited : 0;
}

/* Play: a paced run for a lecture, 2^speed exits a second.  The vCPU
 * waits (keys still wake it: pause, step, a new pace, quit) until the
 * exit's slot; the wait is presenter time, left out of the clock. */
static void play_wait(struct viz *v, struct vm *vm)
{
    struct viz_ctl *c = &v->ui.ctl;
    struct trace *t = vm_trace(vm);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t now_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
    uint64_t slot = 1000000000ull >> (c->speed < 20 ? c->speed : 20);
    if (v->play_next < now_ns || v->play_next > now_ns + slot)
        v->play_next = now_ns; /* (re)started, or the pace went up */
    uint64_t until = v->play_next;
    v->play_next += slot;
    v->pause_t0 = trace_now(t);
    while (c->play && !c->paused && !c->quit && !vm_stop_requested(vm) && now_ns < until) {
        uint64_t dl_ns = until < now_ns + 50000000 ? until : now_ns + 50000000;
        struct timespec dl = { .tv_sec = (time_t)(dl_ns / 1000000000ull),
                               .tv_nsec = (long)(dl_ns % 1000000000ull) };
        pthread_cond_timedwait(&v->cond, &v->lock, &dl);
        clock_gettime(CLOCK_MONOTONIC, &now);
        now_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
    }
    v->paused_ns += trace_now(t) - v->pause_t0;
    v->pause_t0 = 0;
}

/* The engine's --stats so far, into the model: on the vCPU thread, which
 * owns the engine's counters (the screen thread only copies the text). */
static void engine_stats(struct viz *v, struct vm *vm, uint64_t now, bool force)
{
    const struct engine_ops *eng = vm_engine(vm);
    struct viz_model *m = v->m;
    if (!eng || !eng->print_stats || (!force && m->estats_ns && now - m->estats_ns < VIZ_RATE_NS))
        return;
    FILE *f = fmemopen(m->estats, sizeof m->estats - 1, "w");
    if (!f)
        return;
    eng->print_stats(vm_vcpu(vm), f);
    long n = ftell(f);
    fclose(f);
    m->estats[n > 0 ? (n < (long)sizeof m->estats - 1 ? n : (long)sizeof m->estats - 1) : 0] = 0;
    m->estats_ns = now ? now : 1;
}

static void observe(void *ctx, struct vm *vm, const struct vm_exit *e)
{
    struct viz *v = ctx;
    struct viz_model *m = v->m;
    struct trace *t = vm_trace(vm);
    pthread_mutex_lock(&v->lock);
    /* The ring first: its events (walks, code cache, IRQs, memory events)
     * happened before this exit, and the log shows them before it. */
    if (!m->trace_elsewhere) {
        size_t n;
        while ((n = trace_read(t, v->ev, sizeof v->ev / sizeof v->ev[0])) > 0)
            for (size_t i = 0; i < n; i++)
                if (v->ev[i].type != TRACE_EXIT) { /* exits come through here */
                    viz_model_event(m, &v->ev[i]);
                    if (v->ev[i].type == TRACE_PAGE_WALK)
                        viz_walker_event(&v->walks, &v->ev[i]);
                }
        m->trace_dropped = t->dropped;
    }
    viz_model_exit(m, e, run_ns(v, trace_now(t)));
    m->cpu = vm_vcpu(vm)->cpu;
    m->instructions = vm_vcpu(vm)->instructions;
    m->have_cpu = true;
    struct viz_ctl *c = &v->ui.ctl;
    engine_stats(v, vm, trace_now(t), c->paused);
    if (c->paused && !c->quit && !vm_stop_requested(vm)) {
        c->at_exit = true;
        v->pause_t0 = trace_now(t);
        while (c->paused && !c->step_grant && !c->quit && !vm_stop_requested(vm)) {
            struct timespec dl;
            clock_gettime(CLOCK_MONOTONIC, &dl);
            dl.tv_nsec += 50000000;
            if (dl.tv_nsec >= 1000000000L) {
                dl.tv_sec++;
                dl.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&v->cond, &v->lock, &dl);
        }
        if (c->step_grant)
            c->step_grant--;
        c->at_exit = false;
        v->paused_ns += trace_now(t) - v->pause_t0;
        v->pause_t0 = 0;
    }
    if (c->play && !c->paused)
        play_wait(v, vm);
    pthread_mutex_unlock(&v->lock);
}

static void console_tx(void *ctx, uint8_t byte)
{
    struct viz *v = ctx;
    pthread_mutex_lock(&v->lock);
    viz_model_console(v->m, byte);
    pthread_mutex_unlock(&v->lock);
}

/* --- the screen side --------------------------------------------------- */

static void live_lock(void *ctx) { pthread_mutex_lock(&((struct viz *)ctx)->lock); }
static void live_unlock(void *ctx) { pthread_mutex_unlock(&((struct viz *)ctx)->lock); }
static void live_wake(void *ctx) { pthread_cond_broadcast(&((struct viz *)ctx)->cond); }
static void live_quit(void *ctx) { vm_request_stop(((struct viz *)ctx)->vm); }

/* The 2-D walk the MMU made (stage 04's EPT): the newest, or the newest of
 * the chosen page; the visualizer does not walk again what the model CPU
 * walked (its caches, its A/D bits are its own). */
static void recorded_walk(struct viz *v)
{
    struct viz_model *m = v->m;
    const struct viz_walk *w =
        m->walk_auto ? &v->walks.newest : viz_walker_page(&v->walks, m->walk_addr);
    if (w && w->recorded) {
        m->walk = *w;
        return;
    }
    memset(&m->walk, 0, sizeof m->walk);
    m->walk.lin = m->walk_addr;
    snprintf(m->walk.note, sizeof m->walk.note,
             "no 2-D walk of page %05x recorded yet (a TLB miss walks)", m->walk_addr >> 12);
}

/* Walk lin with the CPU state of the newest exit (see the top comment). */
static void live_walk(struct viz *v)
{
    struct viz_model *m = v->m;
    struct viz_walk *wk = &m->walk;
    const struct x86_cpu *c = &m->cpu;
    if (v->walks.twod_seen) {
        recorded_walk(v);
        return;
    }
    memset(wk, 0, sizeof *wk);
    wk->lin = m->walk_auto ? c->eip : m->walk_addr;
    if (!m->have_cpu) {
        snprintf(wk->note, sizeof wk->note, "(no exit yet)");
        return;
    }
    if (!(c->cr0 & CR0_PG)) {
        snprintf(wk->note, sizeof wk->note, "paging is off (CR0.PG=0): linear = physical");
        return;
    }
    const struct guest_ram *ram = vm_ram(v->vm);
    struct guest_ram copy = { .fd = -1, .size = ram->size };
    copy.host =
        mmap(NULL, ram->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, ram->fd, 0);
    if (copy.host == MAP_FAILED) {
        snprintf(wk->note, sizeof wk->note, "cannot map guest RAM: %s", strerror(errno));
        return;
    }
    struct pt_walk w;
    pt_walk(&copy, c->cr0, c->cr3, c->cr4, wk->lin, ACC_R, &w);
    munmap(copy.host, ram->size);
    wk->paging = true;
    wk->cr3 = c->cr3 & ~0xfffu;
    struct viz_walk_dim *d = &wk->dim;
    d->present = true;
    d->nrefs = w.nrefs;
    for (int i = 0; i < w.nrefs && i < 2; i++) {
        d->table[i] = w.ref[i].table;
        d->entry[i] = w.ref[i].entry;
    }
    d->done = true;
    d->ok = w.ok;
    d->large = w.large;
    d->phys = w.gpa;
    d->error_code = w.error_code;
}

static void live_frame(void *ctx, struct viz_ui *ui)
{
    struct viz *v = ctx;
    if (!ui->ctl.ended) /* the clock stops with the guest */
        viz_model_tick(v->m, run_ns(v, trace_now(vm_trace(v->vm))));
    live_walk(v);
}

static const struct viz_source_ops live_ops = {
    .lock = live_lock,
    .unlock = live_unlock,
    .wake = live_wake,
    .frame = live_frame,
    .quit = live_quit,
};

static void *ui_thread(void *arg)
{
    struct viz *v = arg;
    viz_ui_loop(&v->ui);
    return NULL;
}

/* --- life cycle -------------------------------------------------------- */

struct viz *viz_attach(struct vm *vm, const char *prog, const char *engine, bool step, char *err,
                       size_t len)
{
    struct viz *v = calloc(1, sizeof *v);
    struct viz_model *m = calloc(1, sizeof *m);
    struct viz_walk *pages = calloc(WALK_PAGES, sizeof *pages);
    if (!v || !m || !pages) {
        free(v);
        free(m);
        free(pages);
        snprintf(err, len, "out of memory starting the visualizer");
        return NULL;
    }
    char source[64];
    snprintf(source, sizeof source, "%s live", prog);
    viz_model_init(m, engine, source);
    m->live = true;
    m->trace_elsewhere = vm_trace(vm)->file != NULL;
    v->m = m;
    v->walks.page = pages;
    v->walks.npages = WALK_PAGES;
    v->vm = vm;
    v->prog = prog;
    v->ui = (struct viz_ui){ .prog = prog, .m = m, .ops = &live_ops, .ctx = v, .step_mode = step };
    v->ui.ctl.paused = step;
    v->ui.ctl.speed = 2; /* play: 4 exits a second to start with */
    pthread_mutex_init(&v->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&v->cond, &ca);
    pthread_condattr_destroy(&ca);

    v->screen = viz_term_start(err, len);
    if (!v->screen)
        goto fail;
    v->report = open_memstream(&v->report_buf, &v->report_len);
    /* The screen thread takes SIGWINCH (ncurses turns it into KEY_RESIZE);
     * the vCPU thread blocks it so its HLT sleeps are not cut short. */
    if (pthread_create(&v->thread, NULL, ui_thread, v) != 0) {
        viz_term_end(v->screen);
        snprintf(err, len, "cannot start the visualizer thread");
        goto fail;
    }
    sigset_t winch;
    sigemptyset(&winch);
    sigaddset(&winch, SIGWINCH);
    pthread_sigmask(SIG_BLOCK, &winch, &v->old_mask);
    if (v->report)
        vm_set_report(vm, v->report);
    vm_set_console(vm, console_tx, v);
    vm_set_observer(vm, observe, v);
    return v;

fail:
    if (v->report)
        fclose(v->report);
    free(v->report_buf);
    pthread_cond_destroy(&v->cond);
    pthread_mutex_destroy(&v->lock);
    free(pages);
    free(m);
    free(v);
    return NULL;
}

/* "<prog>: error: why" — the last such line of the held-back report. */
static void fatal_line(const char *buf, size_t n, const char *prog, char *out, size_t len)
{
    char key[64];
    snprintf(key, sizeof key, "%s: error: ", prog);
    out[0] = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && buf[j] != '\n')
            j++;
        size_t k = strlen(key);
        if (j - i > k && !strncmp(buf + i, key, k))
            snprintf(out, len, "%.*s", (int)(j - i - k), buf + i + k);
        i = j + 1;
    }
}

int viz_detach(struct viz *v, int status)
{
    if (!v)
        return status;
    if (v->report)
        fflush(v->report);
    pthread_mutex_lock(&v->lock);
    engine_stats(v, v->vm, trace_now(vm_trace(v->vm)), true); /* the run's last counts */
    struct viz_ctl *c = &v->ui.ctl;
    char why[160];
    fatal_line(v->report_buf ? v->report_buf : "", v->report_len, v->prog, why, sizeof why);
    if (status == 130)
        snprintf(c->end_msg, sizeof c->end_msg, "stopped");
    else if (why[0])
        snprintf(c->end_msg, sizeof c->end_msg, "status %d: %s", status, why);
    else
        snprintf(c->end_msg, sizeof c->end_msg, "guest exited with status %d", status);
    c->ended = true;
    c->paused = false;
    /* Stopped on request (q, Ctrl-C, a signal): leave at once; otherwise
     * keep the final screen up until the user has seen it. */
    if (status == 130)
        c->quit = true;
    pthread_cond_broadcast(&v->cond);
    pthread_mutex_unlock(&v->lock);
    /* The screen thread sees ctl.quit (or waits for q) and returns. */
    pthread_join(v->thread, NULL);
    viz_term_end(v->screen);
    pthread_sigmask(SIG_SETMASK, &v->old_mask, NULL);

    vm_set_observer(v->vm, NULL, NULL);
    vm_set_console(v->vm, NULL, NULL);
    vm_set_report(v->vm, stderr);

    /* What the guest printed on its serial console, then the report
     * (--stats, fatal dump: its last line says why the run ended). */
    struct viz_model *m = v->m;
    uint64_t n = m->console_n < VIZ_CONSOLE ? m->console_n : VIZ_CONSOLE;
    if (m->console_n > n)
        fprintf(stderr, "%s: guest console, last %llu of %llu bytes:\n", v->prog,
                (unsigned long long)n, (unsigned long long)m->console_n);
    for (uint64_t i = m->console_n - n; i < m->console_n; i++)
        putchar(m->console[i % VIZ_CONSOLE]);
    fflush(stdout);
    if (v->report) {
        fclose(v->report);
        fwrite(v->report_buf, 1, v->report_len, stderr);
    }
    free(v->report_buf);
    pthread_cond_destroy(&v->cond);
    pthread_mutex_destroy(&v->lock);
    free(v->walks.page);
    free(m);
    free(v);
    return status;
}
