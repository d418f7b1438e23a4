/* ulib.c — the ring-3 library (see ulib.h).  Runs in ring 3 only. */
#include <stdarg.h>
#include "ulib.h"
#include "format.h"

void u_exit(int code)
{
    u_syscall(SYS_exit, (uint32_t)code, 0, 0);
    for (;;)
        ;
}

int u_write(const char *buf, uint32_t len) { return u_syscall(SYS_write, 1, (uint32_t)buf, len); }

uint32_t u_time(void) { return (uint32_t)u_syscall(SYS_time, 0, 0, 0); }
int u_getpid(void) { return u_syscall(SYS_getpid, 0, 0, 0); }
void u_yield(void) { u_syscall(SYS_yield, 0, 0, 0); }

void *u_memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *u_memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

void u_printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnformat(buf, sizeof buf, fmt, ap);
    va_end(ap);
    u_write(buf, (uint32_t)n);
}

void u_result(const char *prog, const char *fmt, ...)
{
    char buf[256];
    int n = 0;
    const char *pre = "RESULT ";
    while (*pre)
        buf[n++] = *pre++;
    while (*prog && n < 100)
        buf[n++] = *prog++;
    buf[n++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    n += vsnformat(buf + n, sizeof buf - 1 - (uint32_t)n, fmt, ap);
    va_end(ap);
    buf[n++] = '\n';
    u_write(buf, (uint32_t)n);
}
