/*
 * hangup.c — stop signals and a vanished terminal end the VMM (hangup.h).
 *
 * Everything a signal handler touches is async-signal-safe (POSIX.1-2017
 * XSH §2.4.3): lock-free atomics, write(2) to a pipe, alarm(2).  The rest
 * of the program learns about the stop from the VM's stop flag (engines
 * poll it at every boundary) or from the pipe (poll(2) wakes up).
 */
#include "core/hangup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "core/vm.h"

static const int stop_sigs[] = { SIGINT, SIGHUP, SIGTERM };
#define NSIGS (int)(sizeof stop_sigs / sizeof stop_sigs[0])

/* Per process: signal handlers can reach nothing else (see hangup.h). */
static _Atomic(struct vm *) armed_vm;
static atomic_int cause = HANGUP_NONE;
static atomic_int note_fd = -1; /* write end of the notice pipe */
static atomic_bool backstop;    /* arm the SIGALRM backstop     */
static int read_fd = -1;        /* its read end (hangup_fd)     */
static struct sigaction old_sa[NSIGS];
static bool installed[NSIGS];
static bool hup_ignored; /* by hangup_disarm, not by nohup */
static pthread_t watcher;
static bool watching;
static int quit_fd[2] = { -1, -1 }; /* tells the watcher to end */

void hangup_note(int why)
{
    int none = HANGUP_NONE, saved = errno;
    atomic_compare_exchange_strong(&cause, &none, why);
    struct vm *vm = atomic_load(&armed_vm);
    if (vm)
        vm_request_stop(vm);
    int fd = atomic_load(&note_fd);
    if (fd >= 0 && write(fd, "!", 1) < 0) {
        /* full (it already says so) or closed: nothing to add */
    }
    if (atomic_exchange(&backstop, false))
        alarm(HANGUP_GRACE_S);
    errno = saved;
}

static void on_signal(int sig) { hangup_note(sig); }

/* SIGUSR1: --stats so far, and run on (hangup.h). */
static struct sigaction old_usr1;
static bool usr1_installed;
static void on_usr1(int sig)
{
    (void)sig;
    struct vm *vm = atomic_load(&armed_vm);
    if (vm)
        vm_request_stats(vm);
}

int hangup_cause(void) { return atomic_load(&cause); }
int hangup_fd(void) { return read_fd; }

const char *hangup_cause_name(int why)
{
    switch (why) {
    case SIGINT: return "SIGINT (Ctrl-C)";
    case SIGHUP: return "SIGHUP (the terminal hung up)";
    case SIGTERM: return "SIGTERM";
    case HANGUP_TERMINAL: return "the terminal went away (hung up: end of file, I/O error)";
    default: return "no stop";
    }
}

/* The watcher: poll(2) reports POLLHUP on a hung-up tty whatever events
 * were asked for, so asking for none reads nothing and costs nothing. */
static void *watch(void *arg)
{
    (void)arg;
    struct pollfd p[4];
    int n = 0;
    for (int fd = 0; fd <= 2; fd++)
        if (isatty(fd))
            p[n++] = (struct pollfd){ .fd = fd, .events = 0 };
    p[n++] = (struct pollfd){ .fd = quit_fd[0], .events = POLLIN };
    for (;;) {
        if (poll(p, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        if (p[n - 1].revents)
            return NULL;
        for (int i = 0; i < n - 1; i++)
            if (p[i].revents & (POLLHUP | POLLERR | POLLNVAL)) {
                hangup_note(HANGUP_TERMINAL);
                return NULL;
            }
    }
}

static int start_watcher(char *err, size_t len)
{
    if (!isatty(0) && !isatty(1) && !isatty(2))
        return 0;
    if (pipe2(quit_fd, O_CLOEXEC) < 0) {
        snprintf(err, len, "cannot watch the terminal: pipe: %s", strerror(errno));
        return -1;
    }
    /* Signals go to the other threads (SIGWINCH to the visualizer's). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&watcher, NULL, watch, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        close(quit_fd[0]);
        close(quit_fd[1]);
        quit_fd[0] = quit_fd[1] = -1;
        snprintf(err, len, "cannot watch the terminal: %s", strerror(rc));
        return -1;
    }
    watching = true;
    return 0;
}

int hangup_arm(struct vm *vm, bool term, char *err, size_t len)
{
    atomic_store(&cause, HANGUP_NONE);
    atomic_store(&armed_vm, vm);
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
        read_fd = p[0];
        atomic_store(&note_fd, p[1]);
    }
    signal(SIGALRM, SIG_DFL);
    atomic_store(&backstop, true);

    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    bool ignored_hup = false;
    for (int i = 0; i < NSIGS; i++) {
        installed[i] = false;
        if (stop_sigs[i] == SIGTERM && !term)
            continue;
        sigaction(stop_sigs[i], NULL, &old_sa[i]);
        if (stop_sigs[i] == SIGHUP && hup_ignored && old_sa[i].sa_handler == SIG_IGN)
            old_sa[i].sa_handler = SIG_DFL; /* ours (hangup_disarm), not nohup's */
        if (stop_sigs[i] == SIGHUP)
            hup_ignored = false;
        if (stop_sigs[i] == SIGHUP && old_sa[i].sa_handler == SIG_IGN) {
            ignored_hup = true; /* nohup: the user wants it to survive */
            continue;
        }
        /* A second Ctrl-C or SIGTERM kills; hang-ups may come twice
         * (an interactive shell passes its own on, then exits). */
        sa.sa_flags = stop_sigs[i] == SIGHUP ? 0 : SA_RESETHAND;
        installed[i] = sigaction(stop_sigs[i], &sa, NULL) == 0;
    }
    struct sigaction su = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
    sigemptyset(&su.sa_mask);
    usr1_installed = sigaction(SIGUSR1, &su, &old_usr1) == 0;
    if (read_fd < 0) {
        snprintf(err, len, "cannot watch the terminal: pipe: %s", strerror(errno));
        return -1;
    }
    return ignored_hup ? 0 : start_watcher(err, len);
}

void hangup_disarm(void)
{
    /* After a hang-up more SIGHUPs can follow (the kernel sends one to
     * the foreground group when the session leader exits): they must not
     * kill the VMM while it finishes, nor change its status. */
    bool hung = atomic_load(&cause) != HANGUP_NONE;
    for (int i = 0; i < NSIGS; i++)
        if (installed[i]) {
            if (stop_sigs[i] == SIGHUP && hung) {
                signal(SIGHUP, SIG_IGN);
                hup_ignored = true;
            } else {
                sigaction(stop_sigs[i], &old_sa[i], NULL);
            }
            installed[i] = false;
        }
    if (usr1_installed)
        sigaction(SIGUSR1, &old_usr1, NULL);
    usr1_installed = false;
    if (watching) {
        if (write(quit_fd[1], "q", 1) < 0) {
            /* cannot happen: the pipe is empty */
        }
        pthread_join(watcher, NULL);
        close(quit_fd[0]);
        close(quit_fd[1]);
        quit_fd[0] = quit_fd[1] = -1;
        watching = false;
    }
    atomic_store(&armed_vm, NULL);
    atomic_store(&backstop, false);
    int w = atomic_exchange(&note_fd, -1);
    if (w >= 0)
        close(w);
    if (read_fd >= 0)
        close(read_fd);
    read_fd = -1;
}
