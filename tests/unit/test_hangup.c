/* test_hangup.c — stop signals and a vanished terminal (core/hangup.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/hangup.h"
#include "vmm/options.h"
#include "core/vm.h"

static char err[512];

static bool readable(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void (*handler_of(int sig))(int)
{
    struct sigaction sa;
    sigaction(sig, NULL, &sa);
    return sa.sa_handler;
}

/* A stop signal: the cause, the pipe, the VM's stop flag, the backstop. */
static void test_signal_stops_the_vm(void **st)
{
    (void)st;
    static const struct engine_ops none = { .name = "none" };
    struct vm_options opt;
    struct vm *vm;
    vm_options_defaults(&opt, "vmm-test");
    assert_int_equal(vm_create(&vm, &opt, &none, err, sizeof err), 0);
    /* Default dispositions to start from: a job a shell started in the
     * background inherits SIGINT ignored, and arming keeps that (nohup). */
    signal(SIGHUP, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    assert_int_equal(hangup_arm(vm, false, err, sizeof err), 0);
    assert_int_equal(hangup_cause(), HANGUP_NONE);
    assert_false(readable(hangup_fd()));
    assert_false(vm_stop_requested(vm));
    raise(SIGHUP);
    assert_int_equal(hangup_cause(), SIGHUP);
    assert_true(readable(hangup_fd()));
    assert_true(readable(hangup_fd())); /* never drained */
    assert_true(vm_stop_requested(vm));
    assert_true(alarm(0) > 0); /* the backstop was set */
    raise(SIGHUP);             /* a second hang-up: no harm */
    raise(SIGINT);
    assert_int_equal(hangup_cause(), SIGHUP); /* the first cause stays */
    hangup_disarm();
    alarm(0);
    assert_int_equal(hangup_fd(), -1);
    assert_ptr_equal(handler_of(SIGHUP), SIG_IGN); /* more hang-ups cannot kill */
    assert_ptr_equal(handler_of(SIGINT), SIG_DFL);
    vm_destroy(vm);

    /* Our own SIG_IGN is not nohup's: the next arm catches SIGHUP again. */
    assert_int_equal(hangup_arm(NULL, false, err, sizeof err), 0);
    raise(SIGHUP);
    assert_int_equal(hangup_cause(), SIGHUP);
    hangup_disarm();
    alarm(0);
    signal(SIGHUP, SIG_DFL);
}

/* SIGTERM only when asked; without a stop, disarm restores everything. */
static void test_sigterm_and_restore(void **st)
{
    (void)st;
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL); /* as above: not inherited ignored */
    assert_int_equal(hangup_arm(NULL, false, err, sizeof err), 0);
    assert_ptr_equal(handler_of(SIGTERM), SIG_DFL);
    hangup_disarm();
    assert_int_equal(hangup_arm(NULL, true, err, sizeof err), 0);
    assert_ptr_not_equal(handler_of(SIGTERM), SIG_DFL);
    raise(SIGTERM);
    assert_int_equal(hangup_cause(), SIGTERM);
    assert_ptr_equal(handler_of(SIGTERM), SIG_DFL); /* a second one kills */
    hangup_disarm();
    alarm(0);
    signal(SIGHUP, SIG_DFL);
    assert_int_equal(hangup_arm(NULL, true, err, sizeof err), 0);
    hangup_disarm();
    assert_ptr_equal(handler_of(SIGHUP), SIG_DFL);
    assert_ptr_equal(handler_of(SIGINT), SIG_DFL);
    assert_int_equal(hangup_cause(), HANGUP_NONE);
    assert_non_null(strstr(hangup_cause_name(SIGHUP), "SIGHUP"));
    assert_non_null(strstr(hangup_cause_name(HANGUP_TERMINAL), "terminal"));
}

/* nohup: SIGHUP ignored on entry stays ignored. */
static void test_nohup(void **st)
{
    (void)st;
    signal(SIGHUP, SIG_IGN);
    assert_int_equal(hangup_arm(NULL, false, err, sizeof err), 0);
    assert_ptr_equal(handler_of(SIGHUP), SIG_IGN);
    raise(SIGHUP);
    assert_int_equal(hangup_cause(), HANGUP_NONE);
    hangup_disarm();
    assert_ptr_equal(handler_of(SIGHUP), SIG_IGN);
    signal(SIGHUP, SIG_DFL);
}

/* The watcher: stdin on a pty whose master closes (the terminal window
 * went away) is a stop, with no signal at all. */
static void test_terminal_goes_away(void **st)
{
    (void)st;
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    int saved = dup(STDIN_FILENO);
    dup2(slave, STDIN_FILENO);
    close(slave);
    signal(SIGHUP, SIG_DFL);
    assert_int_equal(hangup_arm(NULL, false, err, sizeof err), 0);
    struct timespec ms = { 0, 20000000 };
    nanosleep(&ms, NULL);
    assert_int_equal(hangup_cause(), HANGUP_NONE); /* a live terminal: nothing */
    close(master);
    struct pollfd p = { .fd = hangup_fd(), .events = POLLIN };
    assert_int_equal(poll(&p, 1, 2000), 1);
    assert_int_equal(hangup_cause(), HANGUP_TERMINAL);
    hangup_disarm();
    alarm(0);
    dup2(saved, STDIN_FILENO);
    close(saved);
    signal(SIGHUP, SIG_DFL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signal_stops_the_vm),
        cmocka_unit_test(test_sigterm_and_restore),
        cmocka_unit_test(test_nohup),
        cmocka_unit_test(test_terminal_goes_away),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
