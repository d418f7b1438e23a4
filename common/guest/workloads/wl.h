/*
 * wl.h — the workload suite (common/guest/README.md, "The workload
 * suite"): real-program shapes for measuring the engines, each one file,
 * each built twice from the same object: a boot module of the teaching
 * guest (start_vmlab.c, the module ABI) and a static i386 Linux process
 * (start_linux.c, glibc).
 *
 * A program is one function that does a fixed amount of work from fixed
 * inputs and returns a 32-bit checksum of it; WORKLOAD() registers it
 * with the checksum a correct CPU gives.  The driver (rt.c) runs it
 * `rounds` times (argv[1]), checks every round, times the loop with the
 * monotonic clock, prints one line
 *
 *     WORKLOAD <name> rounds=<n> checksum=<hex> expected=<hex> ns=<n> verdict=ok|bad
 *
 * and exits 0 (ok), 1 (a wrong checksum) or 2 (bad arguments).
 *
 * Everything a program uses besides its own code is here, compiled into
 * both builds alike (the allocator and the string routines too), so both
 * run the same instructions; only the three platform calls differ.
 */
#ifndef WL_H
#define WL_H

#include <stddef.h>
#include <stdint.h>

struct workload {
    const char *name;
    uint32_t expected;       /* the checksum of one round */
    uint32_t (*round)(void); /* one round of work        */
};

#define WORKLOAD(wname, wexpected, wround) \
    const struct workload wl_program = { .name = (wname), \
                                         .expected = (wexpected), \
                                         .round = (wround) }

/* --- the platform: start_vmlab.c or start_linux.c -------------------- */
void wl_write(const char *s, size_t n); /* to standard output              */
void *wl_sbrk(uint32_t n);              /* n more heap bytes, NULL if none */
uint64_t wl_now_ns(void);               /* CLOCK_MONOTONIC in ns           */
int wl_main(int argc, char **argv);     /* rt.c: the driver                */

/* --- the runtime: rt.c ------------------------------------------------ */
void *wl_malloc(size_t n); /* size classes with free lists over wl_sbrk */
void wl_free(void *p);
void *wl_memcpy(void *d, const void *s, size_t n);     /* rep movsl + rep movsb  */
void *wl_memmove(void *d, const void *s, size_t n);    /* std; rep movsb backward */
void *wl_memset(void *d, int c, size_t n);             /* rep stosl + rep stosb  */
void *wl_memchr(const void *s, int c, size_t n);       /* repne scasb            */
int wl_memcmp(const void *a, const void *b, size_t n); /* repe cmpsb          */
size_t wl_strlen(const char *s);
int wl_strcmp(const char *a, const char *b);

/* Checksums: fold a word into a running hash. */
static inline uint32_t wl_mix(uint32_t h, uint32_t v)
{
    h ^= v;
    h = (h << 5) | (h >> 27);
    return h * 0x9E3779B1u;
}

/* xorshift32 (Marsaglia 2003): the inputs of every program. */
static inline uint32_t wl_rand(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

#endif
