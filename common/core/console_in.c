/*
 * console_in.c — stdin to the guest's serial console (console_in.h).
 */
#include "core/console_in.h"
#include "core/sigchain.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* --- the terminal's state, per process (signal handlers reach it) ----- */

static const int fatal_sigs[] = { SIGTERM, SIGQUIT, SIGALRM, SIGABRT,
                                  SIGSEGV, SIGBUS,  SIGFPE,  SIGILL };
#define NFATAL (int)(sizeof fatal_sigs / sizeof fatal_sigs[0])

static struct termios saved_tio;
static atomic_int raw_fd = -1; /* the terminal in raw mode, or -1 */
static struct sigaction old_fatal[NFATAL];
static bool atexit_done;

/* Async-signal-safe: tcsetattr(3) is on POSIX's list. */
static void restore_terminal(void)
{
    int fd = atomic_exchange(&raw_fd, -1);
    if (fd >= 0)
        tcsetattr(fd, TCSANOW, &saved_tio);
}

/* Put the terminal back, then let the signal do what it did before. */
static void on_fatal(int sig, siginfo_t *si, void *uc)
{
    /* Stage 01's engine resolves its own page faults in a SIGSEGV
     * handler installed before ours (core/sigchain.h). */
    if (sigchain(sig, si, uc, fatal_sigs, old_fatal, NFATAL))
        return;
    restore_terminal();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int make_raw(int fd, char *err, size_t len)
{
    if (tcgetattr(fd, &saved_tio) < 0) {
        snprintf(err, len, "console input: tcgetattr: %s", strerror(errno));
        return -1;
    }
    struct termios t = saved_tio;
    t.c_lflag &= (tcflag_t) ~(ICANON | ECHO | ECHONL | IEXTEN);
    t.c_iflag &= (tcflag_t) ~(ICRNL | INLCR | IGNCR | IXON | ISTRIP);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (!atexit_done && atexit(restore_terminal) == 0)
        atexit_done = true;
    for (int i = 0; i < NFATAL; i++) {
        sigaction(fatal_sigs[i], NULL, &old_fatal[i]);
        struct sigaction sa = old_fatal[i]; /* same mask and SA_NODEFER */
        sa.sa_sigaction = on_fatal;
        sa.sa_flags = (sa.sa_flags & SA_NODEFER) | SA_SIGINFO;
        sigaction(fatal_sigs[i], &sa, NULL);
    }
    atomic_store(&raw_fd, fd);
    if (tcsetattr(fd, TCSANOW, &t) < 0) {
        snprintf(err, len, "console input: tcsetattr: %s", strerror(errno));
        atomic_store(&raw_fd, -1);
        for (int i = 0; i < NFATAL; i++)
            sigaction(fatal_sigs[i], &old_fatal[i], NULL);
        return -1;
    }
    return 0;
}

static void unmake_raw(void)
{
    restore_terminal();
    for (int i = 0; i < NFATAL; i++)
        sigaction(fatal_sigs[i], &old_fatal[i], NULL);
}

/* --- the reader -------------------------------------------------------- */

/* Wait for room in the buffer; false if the VMM is stopping. */
static bool wait_room(struct console_in *c)
{
    pthread_mutex_lock(&c->lock);
    while (c->count == CONSOLE_IN_BUF && !atomic_load(&c->stopping))
        pthread_cond_wait(&c->room, &c->lock);
    pthread_mutex_unlock(&c->lock);
    return !atomic_load(&c->stopping);
}

static void push(struct console_in *c, const uint8_t *b, unsigned n)
{
    pthread_mutex_lock(&c->lock);
    for (unsigned i = 0; i < n; i++)
        c->buf[(c->head + c->count++) % CONSOLE_IN_BUF] = b[i];
    atomic_store(&c->avail, c->count);
    c->bytes += n;
    pthread_mutex_unlock(&c->lock);
}

static void *reader(void *arg)
{
    struct console_in *c = arg;
    struct pollfd p[2] = { { .fd = c->fd, .events = POLLIN },
                           { .fd = c->quit[0], .events = POLLIN } };
    while (wait_room(c)) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents)
            break;
        uint8_t b[256];
        pthread_mutex_lock(&c->lock);
        unsigned room = CONSOLE_IN_BUF - c->count;
        pthread_mutex_unlock(&c->lock);
        ssize_t n = read(c->fd, b, room < sizeof b ? room : sizeof b);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) /* end of file; EIO: the terminal hung up */
            break;
        push(c, b, (unsigned)n);
    }
    atomic_store(&c->eof, true);
    return NULL;
}

/* Is fd a terminal whose foreground belongs to another process group? */
static bool background_of(int fd)
{
    pid_t fg = tcgetpgrp(fd); /* fails if it is not our controlling tty */
    return fg >= 0 && fg != getpgrp();
}

int console_in_start(struct console_in *c, int fd, char *err, size_t len)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->quit[0] = c->quit[1] = -1;
    atomic_store(&c->eof, true); /* until the reader runs */
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->room, NULL);
    if (isatty(fd) && background_of(fd))
        return 0; /* not ours to read (console_in.h) */
    if (pipe2(c->quit, O_CLOEXEC) < 0) {
        snprintf(err, len, "console input: pipe: %s", strerror(errno));
        return -1;
    }
    if (isatty(fd)) {
        if (make_raw(fd, err, len) < 0)
            return -1;
        c->raw = true;
    }
    atomic_store(&c->eof, false);
    /* Signals go to the other threads (as hangup.c's watcher). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&c->thread, NULL, reader, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        atomic_store(&c->eof, true);
        snprintf(err, len, "console input: %s", strerror(rc));
        return -1;
    }
    c->running = true;
    return 0;
}

int console_in_take(struct console_in *c, uint8_t *out, int max)
{
    if (atomic_load_explicit(&c->avail, memory_order_relaxed) == 0 || max <= 0)
        return 0;
    pthread_mutex_lock(&c->lock);
    int n = 0;
    while (n < max && c->count > 0) {
        out[n++] = c->buf[c->head];
        c->head = (c->head + 1) % CONSOLE_IN_BUF;
        c->count--;
    }
    atomic_store(&c->avail, c->count);
    pthread_cond_signal(&c->room);
    pthread_mutex_unlock(&c->lock);
    return n;
}

bool console_in_live(const struct console_in *c)
{
    return !atomic_load(&c->eof) || atomic_load(&c->avail) > 0;
}

void console_in_stop(struct console_in *c)
{
    if (c->running) {
        pthread_mutex_lock(&c->lock);
        atomic_store(&c->stopping, true);
        pthread_cond_broadcast(&c->room);
        pthread_mutex_unlock(&c->lock);
        if (write(c->quit[1], "q", 1) < 0) {
            /* the pipe is ours and empty: cannot fail */
        }
        pthread_join(c->thread, NULL);
        c->running = false;
    }
    if (c->raw) {
        unmake_raw();
        c->raw = false;
    }
    for (int i = 0; i < 2; i++)
        if (c->quit[i] >= 0) {
            close(c->quit[i]);
            c->quit[i] = -1;
        }
}
