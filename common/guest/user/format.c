/* format.c — minimal printf engine (see format.h). */
#include "format.h"

static void emit_num(fmt_emit_t emit, void *arg, unsigned long long v, int base, int upper, int neg,
                     int width, char pad, int left)
{
    char tmp[24];
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    do {
        tmp[n++] = digits[v % (unsigned)base];
        v /= (unsigned)base;
    } while (v);
    int len = n + neg;
    if (neg && pad == '0')
        emit('-', arg);
    if (!left)
        for (; width > len; width--)
            emit(pad, arg);
    if (neg && pad != '0')
        emit('-', arg);
    while (n)
        emit(tmp[--n], arg);
    if (left)
        for (; width > len; width--)
            emit(' ', arg);
}

void vformat(fmt_emit_t emit, void *arg, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(*fmt, arg);
            continue;
        }
        fmt++;
        char pad = ' ';
        int left = 0, width = 0, lng = 0;
        for (; *fmt == '0' || *fmt == '-'; fmt++) {
            if (*fmt == '0')
                pad = '0';
            else
                left = 1;
        }
        if (left)
            pad = ' ';
        for (; *fmt >= '0' && *fmt <= '9'; fmt++)
            width = width * 10 + (*fmt - '0');
        for (; *fmt == 'l'; fmt++)
            lng++;
        switch (*fmt) {
        case 'd':
        case 'i': {
            long long v = lng >= 2 ? va_arg(ap, long long) : va_arg(ap, int);
            unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
            emit_num(emit, arg, u, 10, 0, v < 0, width, pad, left);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            unsigned long long v =
                lng >= 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
            emit_num(emit, arg, v, *fmt == 'u' ? 10 : 16, *fmt == 'X', 0, width, pad, left);
            break;
        }
        case 'p':
            emit('0', arg);
            emit('x', arg);
            emit_num(emit, arg, (uint32_t)va_arg(ap, void *), 16, 0, 0, 8, '0', 0);
            break;
        case 'c': emit((char)va_arg(ap, int), arg); break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            int len = 0;
            if (!s)
                s = "(null)";
            while (s[len])
                len++;
            if (!left)
                for (; width > len; width--)
                    emit(' ', arg);
            while (*s)
                emit(*s++, arg);
            if (left)
                for (; width > len; width--)
                    emit(' ', arg);
            break;
        }
        case '%': emit('%', arg); break;
        case '\0': return;
        default: /* unknown: print it verbatim */ emit('%', arg); emit(*fmt, arg);
        }
    }
}

struct sbuf {
    char *p;
    uint32_t len, size;
};

static void sbuf_emit(char c, void *arg)
{
    struct sbuf *b = arg;
    if (b->len + 1 < b->size)
        b->p[b->len++] = c;
}

int vsnformat(char *buf, uint32_t size, const char *fmt, va_list ap)
{
    struct sbuf b = { buf, 0, size };
    vformat(sbuf_emit, &b, fmt, ap);
    if (size)
        buf[b.len] = '\0';
    return (int)b.len;
}
