/*
 * format.h — the printf engine shared by kprintf (ring 0) and u_printf
 * (ring 3).  It lives in the user region so both rings may call it.
 * Subset: %d %i %u %x %X %s %c %p %%, flags 0 and -, width, l/ll.
 */
#ifndef GUEST_FORMAT_H
#define GUEST_FORMAT_H

#include <stdarg.h>
#include <stdint.h>

typedef void (*fmt_emit_t)(char c, void *arg);
void vformat(fmt_emit_t emit, void *arg, const char *fmt, va_list ap);

/* Format into buf (always NUL-terminated); returns the length written. */
int vsnformat(char *buf, uint32_t size, const char *fmt, va_list ap);

#endif
