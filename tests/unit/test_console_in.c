/* test_console_in.c — stdin into the serial console (core/console_in.h):
 * bytes from a pipe, raw mode on a terminal (a pseudo-terminal) and its
 * restoration. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/console_in.h"

/* Take n bytes, waiting up to 2 s for the reader thread. */
static int take_all(struct console_in *c, uint8_t *out, int n)
{
    int got = 0;
    for (int tries = 0; got < n && tries < 2000; tries++) {
        got += console_in_take(c, out + got, n - got);
        if (got < n) {
            struct timespec ms = { 0, 1000000 };
            nanosleep(&ms, NULL);
        }
    }
    return got;
}

static void wait_dead(struct console_in *c)
{
    for (int tries = 0; console_in_live(c) && tries < 2000; tries++) {
        struct timespec ms = { 0, 1000000 };
        nanosleep(&ms, NULL);
    }
}

static void test_pipe_bytes_in_order_then_end_of_file(void **st)
{
    (void)st;
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct console_in c;
    char err[128];
    assert_int_equal(console_in_start(&c, p[0], err, sizeof err), 0);
    assert_false(c.raw); /* a pipe has no terminal modes */
    assert_true(console_in_live(&c));
    assert_int_equal(write(p[1], "ls\r", 3), 3);
    uint8_t b[8] = { 0 };
    assert_int_equal(take_all(&c, b, 3), 3);
    assert_memory_equal(b, "ls\r", 3);
    assert_int_equal(console_in_take(&c, b, 8), 0); /* nothing more */
    assert_int_equal(write(p[1], "x", 1), 1);
    close(p[1]); /* end of input: what is left is still delivered */
    wait_dead(&c);
    assert_true(console_in_live(&c)); /* 'x' still buffered */
    assert_int_equal(console_in_take(&c, b, 8), 1);
    assert_int_equal(b[0], 'x');
    assert_false(console_in_live(&c));
    console_in_stop(&c);
    close(p[0]);
}

/* More input than the buffer holds: the reader waits for the VM, no
 * byte is lost or reordered. */
static void test_full_buffer_loses_nothing(void **st)
{
    (void)st;
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct console_in c;
    char err[128];
    assert_int_equal(console_in_start(&c, p[0], err, sizeof err), 0);
    enum { N = CONSOLE_IN_BUF * 3 };
    static uint8_t in[N], out[N];
    for (int i = 0; i < N; i++)
        in[i] = (uint8_t)(i * 7 + i / 256);
    pid_t pid = fork();
    if (pid == 0) { /* a writer that blocks when the pipe is full */
        ssize_t w = write(p[1], in, N);
        _exit(w == N ? 0 : 1);
    }
    close(p[1]);
    int got = 0;
    for (int tries = 0; got < N && tries < 5000; tries++) {
        got += take_all(&c, out + got, 16 < N - got ? 16 : N - got);
    }
    assert_int_equal(got, N);
    assert_memory_equal(in, out, N);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status, 0);
    console_in_stop(&c);
    close(p[0]);
}

/* On a terminal: raw mode for the run, the old modes back at the end. */
static void test_terminal_raw_mode_and_restore(void **st)
{
    (void)st;
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(m >= 0);
    assert_int_equal(grantpt(m), 0);
    assert_int_equal(unlockpt(m), 0);
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    assert_true(s >= 0);
    struct termios before, during, after;
    assert_int_equal(tcgetattr(s, &before), 0);
    assert_true(before.c_lflag & ICANON); /* a fresh pty is cooked */
    struct console_in c;
    char err[128];
    assert_int_equal(console_in_start(&c, s, err, sizeof err), 0);
    assert_true(c.raw);
    assert_int_equal(tcgetattr(s, &during), 0);
    assert_false(during.c_lflag & (ICANON | ECHO));
    assert_false(during.c_iflag & (ICRNL | IXON));
    assert_true(during.c_lflag & ISIG);      /* Ctrl-C still stops the VMM */
    assert_int_equal(write(m, "a\r", 2), 2); /* no line needed: raw */
    uint8_t b[2];
    assert_int_equal(take_all(&c, b, 2), 2);
    assert_memory_equal(b, "a\r", 2); /* CR not turned into NL */
    console_in_stop(&c);
    assert_int_equal(tcgetattr(s, &after), 0);
    assert_int_equal(after.c_lflag, before.c_lflag);
    assert_int_equal(after.c_iflag, before.c_iflag);
    assert_memory_equal(after.c_cc, before.c_cc, sizeof before.c_cc);
    close(s);
    close(m);
}

/* A fatal signal (here SIGTERM, as kill(1) sends) restores the terminal
 * before it ends the process. */
static void test_fatal_signal_restores_terminal(void **st)
{
    (void)st;
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(m >= 0);
    assert_int_equal(grantpt(m), 0);
    assert_int_equal(unlockpt(m), 0);
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    assert_true(s >= 0);
    struct termios before, after;
    assert_int_equal(tcgetattr(s, &before), 0);
    int sync[2];
    assert_int_equal(pipe(sync), 0);
    pid_t pid = fork();
    if (pid == 0) {
        struct console_in c;
        char err[128];
        if (console_in_start(&c, s, err, sizeof err) < 0)
            _exit(2);
        if (write(sync[1], "r", 1) != 1)
            _exit(3);
        for (;;)
            pause();
    }
    char r;
    assert_int_equal(read(sync[0], &r, 1), 1);
    struct termios during;
    assert_int_equal(tcgetattr(s, &during), 0);
    assert_false(during.c_lflag & ICANON); /* the child made it raw */
    kill(pid, SIGTERM);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGTERM); /* still ended by it */
    assert_int_equal(tcgetattr(s, &after), 0);
    assert_int_equal(after.c_lflag, before.c_lflag);
    close(s);
    close(m);
}

/* A handler that was there before (stage 01's SIGSEGV handler resolving
 * its page faults) still gets its signal and the run goes on; exit(3)
 * then restores the terminal (atexit). */
static volatile sig_atomic_t quits;
static void count_quit(int sig)
{
    (void)sig;
    quits++;
}

static void test_earlier_handler_chained_and_exit_restores(void **st)
{
    (void)st;
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(m >= 0);
    assert_int_equal(grantpt(m), 0);
    assert_int_equal(unlockpt(m), 0);
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    assert_true(s >= 0);
    struct termios before, after;
    assert_int_equal(tcgetattr(s, &before), 0);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGQUIT, count_quit);
        struct console_in c;
        char err[128];
        if (console_in_start(&c, s, err, sizeof err) < 0)
            _exit(2);
        raise(SIGQUIT);
        struct termios t;
        if (quits != 1 || tcgetattr(s, &t) < 0 || (t.c_lflag & ICANON))
            _exit(3); /* not passed on, or the terminal already restored */
        exit(0);      /* no console_in_stop: atexit restores */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(tcgetattr(s, &after), 0);
    assert_int_equal(after.c_lflag, before.c_lflag);
    close(s);
    close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipe_bytes_in_order_then_end_of_file),
        cmocka_unit_test(test_full_buffer_loses_nothing),
        cmocka_unit_test(test_terminal_raw_mode_and_restore),
        cmocka_unit_test(test_fatal_signal_restores_terminal),
        cmocka_unit_test(test_earlier_handler_chained_and_exit_restores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
