/*
 * console_in.h — the VMM's standard input, typed into the guest's serial
 * console.
 *
 * A reader thread sleeps in poll(2) on the input descriptor and copies
 * what arrives into a buffer; the VM moves bytes from it into the 16550's
 * receive FIFO as fast as the FIFO takes them (uart_rx_room: the flow
 * control a terminal line would have), at every exit of the run loop and
 * in the HLT wait (core/vm.c), so the UART raises IRQ4 for them whatever
 * the engine.  Nothing is lost: when the buffer is full the thread stops
 * reading until the guest catches up.
 *
 * On a terminal the VMM's stdin switches to raw mode for the run, as a
 * serial line is: no line editing or echo (the guest echoes), Enter sends
 * CR, Ctrl-S/Ctrl-Q and Ctrl-V pass through (termios(3): ICANON, ECHO,
 * ICRNL, IXON, IEXTEN off; one byte at a time).  Signals stay on: Ctrl-C
 * still stops the VMM (core/hangup.h), Ctrl-\ still quits.  The terminal
 * is restored on every way out: the end of the run (console_in_stop), an
 * exit(3) (atexit), and the signals whose default action ends the process
 * (SIGTERM, SIGQUIT, SIGALRM — hangup.h's backstop —, SIGABRT, SIGSEGV,
 * SIGBUS, SIGFPE, SIGILL: the handler first passes the signal to the
 * handler that was there before — stage 01's engine resolves page faults
 * in its SIGSEGV handler —, and if that one gives up, restores the
 * terminal and lets the signal end the process as before).  Only SIGKILL cannot be caught;
 * `stty sane` repairs a terminal after it.
 *
 * A terminal the VMM does not own the foreground of (started with `&`
 * from an interactive shell) is left alone: reading it would stop the
 * VMM with SIGTTIN.  Input then comes from nowhere, as with --viz (the
 * visualizer reads the keyboard itself).
 *
 * One terminal per process: the saved terminal state is per process
 * (statics, for the signal handlers), the rest per struct console_in.
 */
#ifndef CORE_CONSOLE_IN_H
#define CORE_CONSOLE_IN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_IN_BUF 4096

struct console_in {
    int fd;      /* the input (0: stdin)                   */
    int quit[2]; /* a pipe that ends the reader             */
    pthread_t thread;
    bool running; /* the reader was started                 */
    bool raw;     /* fd is a terminal we put in raw mode    */
    pthread_mutex_t lock;
    pthread_cond_t room; /* the VM took bytes: the reader may go on */
    uint8_t buf[CONSOLE_IN_BUF];
    unsigned head, count; /* under lock                        */
    atomic_uint avail;    /* count, for a lock-free empty test  */
    atomic_bool eof;      /* the input ended (or failed)        */
    atomic_bool stopping;
    uint64_t bytes; /* statistics: bytes read            */
};

/* Start reading fd (raw mode if it is a terminal we own the foreground
 * of).  0, or -1 with why in err (the VM then runs without input). */
int console_in_start(struct console_in *c, int fd, char *err, size_t len);
/* Up to max bytes typed so far, without blocking; the number taken. */
int console_in_take(struct console_in *c, uint8_t *out, int max);
/* Could more input ever come?  (Started, and not at end of file.) */
bool console_in_live(const struct console_in *c);
/* End the reader and restore the terminal.  Safe if start failed or was
 * never called on a zeroed struct. */
void console_in_stop(struct console_in *c);

#endif
