/*
 * console.h — COM1 console, panics and the debug-exit port.
 * kprintf(), result() and prog_fail() are declared in program.h.
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stdint.h>

/* Exit statuses written to the debug-exit port (README.md "Exit codes"). */
#define EXIT_PASS       0
#define EXIT_FAIL       1 /* a program printed FAIL              */
#define EXIT_BADCMDLINE 2 /* command line error                  */
#define EXIT_BADMODULE  3 /* module is not a usable ELF          */
#define EXIT_PANIC      4 /* unexpected exception in ring 0      */

void console_init(void);
void console_putc(char c);
void console_write(const char *s, uint32_t len);
/* "vmlab: error: <text>" then debug-exit `status`. */
void fatal(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
/* Write `status` to port 0xF4 (ends the VM), then halt forever. */
void debug_exit(int status) __attribute__((noreturn));

#endif
