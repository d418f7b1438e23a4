/*
 * sigchain.h — give a signal to the handler that was installed before ours.
 *
 * Two parts of a VMM catch crash signals to put the terminal back (the
 * visualizer's curses screen, console input's raw mode), and stage 01's
 * engine catches SIGSEGV for its own reasons: it resolves the page faults
 * it provokes on purpose (hidden pages of its window).  So a handler that
 * installs itself over another must first hand the signal on (POSIX
 * sigaction(2): the old action, with SA_SIGINFO or not), and treat it as
 * a crash only when the old handler gave up — it put back SIG_DFL, or
 * there was none.
 */
#ifndef CORE_SIGCHAIN_H
#define CORE_SIGCHAIN_H

#include <signal.h>
#include <stdbool.h>

/* sigs[i] had the action olds[i] before ours (n of them).  Calls the old
 * action of sig, if it has one; true if it dealt with the signal (our
 * handler is still installed afterwards), false if sig is a crash to
 * handle now. */
bool sigchain(int sig, siginfo_t *si, void *uc, const int *sigs, const struct sigaction *olds,
              int n);

#endif
