/*
 * hangup.h — a VMM ends when it is told to stop or its terminal goes away.
 *
 * Stop signals (SIGINT; SIGHUP, the terminal hung up; SIGTERM when asked)
 * and a vanished terminal (tmux kill-session, an ssh connection dropped, a
 * window closed: the tty is hung up and reads give EOF, writes EIO) all
 * do the same thing: the VM is asked to stop at its next boundary
 * (vm_request_stop; vm_run then returns VMM_STATUS_STOPPED), and a pipe
 * becomes readable, so a loop that waits on something else (the
 * visualizer's key loop, poll(2)) wakes up and leaves too.
 *
 * A hang-up without a signal is found by a watcher thread that polls the
 * terminal file descriptors (0, 1, 2 if they are ttys) for POLLHUP — the
 * state of a tty after a hang-up (POSIX "Modem disconnect"), or a pty
 * whose master side closed.  The thread sleeps in poll(2): no cost.
 *
 *     hangup_arm(vm, true);            before vm_run (vm may be NULL)
 *     status = vm_run(vm);
 *     hangup_disarm();
 *     if (hangup_cause()) ... say why
 *
 * SIGUSR1 is no stop: with --stats the VMM prints its counts so far at
 * the next exit and runs on (vm_request_stats), so a script can take the
 * counts of a phase of a long run (tests/bench/linux-pv.sh).
 *
 * One terminal and one set of signal handlers per process, so this state
 * is per process (statics), not per VM.  A process that inherited SIGHUP
 * ignored (nohup) keeps ignoring it and is not watched.
 */
#ifndef CORE_HANGUP_H
#define CORE_HANGUP_H

#include <stdbool.h>
#include <stddef.h>

struct vm;

/* Why the stop came: a signal number, or HANGUP_TERMINAL. */
enum { HANGUP_NONE = 0, HANGUP_TERMINAL = -1 };

/* Seconds a stop may take before SIGALRM (default action: terminate) ends
 * the process anyway: an engine that never reaches a boundary must not
 * outlive its terminal. */
#define HANGUP_GRACE_S 5

/* Install the handlers (SIGINT and SIGHUP; SIGTERM too if term) and start
 * the watcher.  vm (may be NULL) is asked to stop.  0, or -1 with why in
 * err (no pipe or thread: signals still work, the watcher does not). */
int hangup_arm(struct vm *vm, bool term, char *err, size_t len);
/* Put the previous handlers back and end the watcher.  The cause stays. */
void hangup_disarm(void);
/* HANGUP_NONE, a signal number, or HANGUP_TERMINAL. */
int hangup_cause(void);
/* "SIGHUP", "the terminal went away", ... for messages. */
const char *hangup_cause_name(int cause);
/* Readable once a stop came (never drained: every poller sees it); -1
 * when not armed. */
int hangup_fd(void);
/* Record a stop found by the caller (the visualizer reads EOF from the
 * tty): the same effects as a signal.  Async-signal-safe. */
void hangup_note(int cause);

#endif
