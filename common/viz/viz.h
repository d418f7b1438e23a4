/*
 * viz.h — the ncurses visualizer (docs/ARCHITECTURE.md §7): exit histogram and rates,
 * a scrolling exit log, the vCPU registers and mode, the page walk of a
 * chosen address, code-cache statistics; a step mode for lectures.
 *
 * Live, on a running VM (--viz, --step of every stage binary):
 *
 *     if (viz_check(err, len) < 0)   -> "<prog>: error: <err>", status 64
 *     vm_create(&vm, ...);
 *     v = viz_attach(vm, prog, engine, step, err, len);
 *     status = vm_run(vm);
 *     status = viz_detach(v, status);
 *     vm_destroy(vm);
 *
 * The screen runs in its own thread and redraws ~15 times a second; the
 * run loop only hands it each exit (vm_set_observer), and blocks there
 * when paused or stepping.  Guest console output, --stats and a fatal
 * end's dump are held back while the screen is up and printed after the
 * terminal is restored.
 *
 * Replay, from a --trace file (build/vmtrace --viz FILE): viz_replay.
 *
 * Keys: space pause/resume, n or s step one exit, f filter the log by
 * reason, a choose the page-walk address, q or Ctrl-C quit.
 */
#ifndef VIZ_VIZ_H
#define VIZ_VIZ_H

#include <stdbool.h>
#include <stddef.h>

struct vm;
struct viz;

/* Can the visualizer run here?  0, or -1 with one sentence in err (stdout
 * or stdin not a terminal, smaller than 80x24, no TERM).  Touches nothing. */
int viz_check(char *err, size_t len);
/* Take over the terminal and watch vm (before vm_run).  NULL with err if
 * ncurses cannot drive the terminal.  step: start paused, one exit per key. */
struct viz *viz_attach(struct vm *vm, const char *prog, const char *engine, bool step, char *err,
                       size_t len);
/* After vm_run returned status: unless the user quit, show how the run
 * ended until a key (or a stop: core/hangup.h); restore the terminal;
 * print the guest console and the held-back report.  Returns status. */
int viz_detach(struct viz *v, int status);

/* build/vmtrace --viz [--step] FILE: replay a trace file with the same
 * panes (argc/argv: vmtrace's whole command line, for --step).  Errors are
 * one line "vmtrace: error: ..." on stderr, nothing else printed.  Returns
 * the process status: 0 when the user quits, 1 if the file cannot be read,
 * 2 if the terminal cannot show it (vmtrace's usage status), 130 when a
 * stop signal (SIGINT, SIGHUP, SIGTERM) came or the terminal went away. */
int viz_replay(const char *file, int argc, char **argv);

#endif
