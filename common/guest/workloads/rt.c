/*
 * rt.c — the workloads' runtime (wl.h): the driver, a malloc-like
 * allocator, the string routines and the output, identical in the module
 * and the Linux build.
 *
 * The string routines use the x86 string instructions (SDM Vol. 1 §7.3.9
 * and Vol. 2 "MOVS", "STOS", "SCAS", "CMPS", "REP/REPE/REPNE"), as
 * classic libcs did: they are what a translator has to run well.
 */
#include "wl.h"

extern const struct workload wl_program; /* the program's WORKLOAD() */

/* --- strings ----------------------------------------------------------- */

void *wl_memcpy(void *d, const void *s, size_t n)
{
    void *ret = d;
    size_t words = n >> 2, bytes = n & 3;
    __asm__ volatile("rep movsl\n\t"
                     "mov %k[b], %%ecx\n\t"
                     "rep movsb"
                     : "+D"(d), "+S"(s), "+c"(words)
                     : [b] "r"(bytes)
                     : "memory");
    return ret;
}

/* Overlapping copies to a higher address run backwards: DF = 1 (STD). */
void *wl_memmove(void *d, const void *s, size_t n)
{
    if ((uintptr_t)d <= (uintptr_t)s || (uintptr_t)d >= (uintptr_t)s + n)
        return wl_memcpy(d, s, n);
    const char *from = (const char *)s + n - 1;
    char *to = (char *)d + n - 1;
    __asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(to), "+S"(from), "+c"(n) : : "memory");
    return d;
}

void *wl_memset(void *d, int c, size_t n)
{
    void *ret = d;
    uint32_t v = (uint8_t)c * 0x01010101u;
    size_t words = n >> 2, bytes = n & 3;
    __asm__ volatile("rep stosl\n\t"
                     "mov %k[b], %%ecx\n\t"
                     "rep stosb"
                     : "+D"(d), "+c"(words)
                     : "a"(v), [b] "r"(bytes)
                     : "memory");
    return ret;
}

void *wl_memchr(const void *s, int c, size_t n)
{
    if (!n)
        return 0;
    const char *p = s;
    uint8_t found;
    __asm__ volatile("repne scasb\n\tsete %[f]"
                     : "+D"(p), "+c"(n), [f] "=q"(found)
                     : "a"(c)
                     : "memory", "cc");
    return found ? (void *)(p - 1) : 0;
}

int wl_memcmp(const void *a, const void *b, size_t n)
{
    if (!n)
        return 0;
    const uint8_t *p = a, *q = b;
    __asm__ volatile("repe cmpsb" : "+S"(p), "+D"(q), "+c"(n) : : "memory", "cc");
    return (int)p[-1] - (int)q[-1];
}

size_t wl_strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

int wl_strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (int)(uint8_t)*a - (int)(uint8_t)*b;
}

/* --- the allocator -------------------------------------------------------
 * Blocks of 16 << k bytes (k < NCLASS) with an 8-byte header holding k; a
 * freed block goes on its class's free list and is reused first.  Larger
 * requests fail: the programs allocate small nodes and a few buffers. */

#define NCLASS 12 /* 16 B .. 32 KiB */
#define CHUNK  (64 * 1024)

struct block {
    uint32_t cls, pad;
    struct block *next; /* while free */
};

static struct block *free_list[NCLASS];
static char *bump, *bump_end;

void *wl_malloc(size_t n)
{
    uint32_t cls = 0;
    while (cls < NCLASS && (16u << cls) < n + 8)
        cls++;
    if (cls == NCLASS)
        return 0;
    struct block *b = free_list[cls];
    if (b) {
        free_list[cls] = b->next;
        return (char *)b + 8;
    }
    uint32_t size = 16u << cls;
    if (bump_end - bump < (ptrdiff_t)size) {
        char *more = wl_sbrk(CHUNK);
        if (!more)
            return 0;
        if (more != bump_end) /* not contiguous: start a new run */
            bump = more;
        bump_end = more + CHUNK;
    }
    b = (struct block *)bump;
    bump += size;
    b->cls = cls;
    return (char *)b + 8;
}

void wl_free(void *p)
{
    if (!p)
        return;
    struct block *b = (struct block *)((char *)p - 8);
    b->next = free_list[b->cls];
    free_list[b->cls] = b;
}

/* --- output and the driver ---------------------------------------------- */

struct line {
    char buf[160];
    size_t n;
};

static void put(struct line *l, const char *s)
{
    while (*s && l->n < sizeof l->buf)
        l->buf[l->n++] = *s++;
}

static void put_u64(struct line *l, uint64_t v)
{
    char d[24];
    int i = 0;
    do
        d[i++] = (char)('0' + v % 10);
    while ((v /= 10) && i < 24);
    while (i && l->n < sizeof l->buf)
        l->buf[l->n++] = d[--i];
}

static void put_hex(struct line *l, uint32_t v)
{
    put(l, "0x");
    for (int s = 28; s >= 0; s -= 4)
        if (l->n < sizeof l->buf)
            l->buf[l->n++] = "0123456789abcdef"[(v >> s) & 15];
}

static void say(const char *a, const char *b)
{
    struct line l = { .n = 0 };
    put(&l, a);
    put(&l, b);
    put(&l, "\n");
    wl_write(l.buf, l.n);
}

/* argv[1]: rounds, a decimal number >= 1 (default 1). */
static int parse_rounds(int argc, char **argv, uint32_t *rounds)
{
    *rounds = 1;
    if (argc < 2)
        return 0;
    uint64_t n = 0;
    const char *c = argv[1];
    for (; *c >= '0' && *c <= '9' && n <= 0xFFFFFFFFu; c++)
        n = n * 10 + (uint32_t)(*c - '0');
    if (c == argv[1] || *c || n == 0 || n > 0xFFFFFFFFu || argc > 2)
        return -1;
    *rounds = (uint32_t)n;
    return 0;
}

int wl_main(int argc, char **argv)
{
    const struct workload *w = &wl_program;
    uint32_t rounds, sum = 0, bad = 0;
    if (parse_rounds(argc, argv, &rounds)) {
        say(w->name, ": usage: [rounds >= 1]");
        return 2;
    }
    uint64_t t0 = wl_now_ns();
    for (uint32_t r = 0; r < rounds; r++) {
        uint32_t c = w->round();
        if (c != w->expected) {
            bad++;
            sum = c; /* the first wrong one is reported */
        } else if (!bad) {
            sum = c;
        }
    }
    uint64_t t1 = wl_now_ns();
    struct line l = { .n = 0 };
    put(&l, "WORKLOAD ");
    put(&l, w->name);
    put(&l, " rounds=");
    put_u64(&l, rounds);
    put(&l, " checksum=");
    put_hex(&l, sum);
    put(&l, " expected=");
    put_hex(&l, w->expected);
    put(&l, " ns=");
    put_u64(&l, t1 - t0);
    put(&l, bad ? " verdict=bad\n" : " verdict=ok\n");
    wl_write(l.buf, l.n);
    return bad ? 1 : 0;
}
