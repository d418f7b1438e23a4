/*
 * uproc.h — what a user program (a boot module) gets beyond the tiny ABI:
 * its command line on the initial stack (argc/argv, as Linux lays it out),
 * a heap break (brk), and a monotonic clock read from the TSC.
 */
#ifndef GUEST_UPROC_H
#define GUEST_UPROC_H

#include <stdint.h>

#define UPROC_MAX_ARGS 32

/* Build the initial stack of address space `cr3` (its top page, mapped
 * here): argc, argv[] (argv0, then the space-separated words of `args`),
 * a NULL, an empty envp and an empty auxiliary vector.  Sets *esp to where
 * argc is.  Returns 0, or -1 (no memory, or too many arguments). */
int uproc_stack(uint32_t cr3, const char *argv0, const char *args, uint32_t *esp);

int32_t sys_brk(uint32_t addr);                       /* -> the (new) break      */
int32_t sys_clock_gettime(uint32_t clk, uint32_t ts); /* CLOCK_MONOTONIC only    */
int32_t sys_tsc_hz(uint32_t out);                     /* *(uint64_t *)out = rate */

#endif
