/*
 * ulib.h — the tiny ring-3 library used by the built-in programs' user
 * halves (programs/NAME_user.c).  Everything goes through int 0x80
 * (include/vmlab_abi.h); nothing here may touch kernel data.
 */
#ifndef GUEST_ULIB_H
#define GUEST_ULIB_H

#include <stdint.h>
#include <stddef.h>
#include "vmlab_abi.h"

static inline int32_t u_syscall(uint32_t nr, uint32_t a, uint32_t b, uint32_t c)
{
    int32_t ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return ret;
}

void u_exit(int code) __attribute__((noreturn));
int u_write(const char *buf, uint32_t len);
uint32_t u_time(void);
int u_getpid(void);
void u_yield(void);
/* printf to COM1 through SYS_write (same format subset as kprintf). */
void u_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "RESULT <prog> " + text + "\n" */
void u_result(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void *u_memset(void *d, int c, size_t n);
void *u_memcpy(void *d, const void *s, size_t n);

static inline uint64_t u_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

#endif
