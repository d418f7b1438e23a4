/*
 * replay.c — the fuzz regression runner of `make test` (no libFuzzer needed).
 *
 *   replay CORPUS_DIR [-n N] [-s SEED] [TARGET...]
 *
 * For every target of targets.h (or the ones named): runs each file of
 * CORPUS_DIR/<target>/ (the inputs that once crashed a module, kept so the
 * bug stays fixed), then N deterministic pseudo-random inputs (seed SEED):
 * mutations of a well-formed input, so most of them get past the first
 * checks (an ELF with a Multiboot header, a trace header, option words,
 * device programs).  Built with ASan + UBSan against the sanitizer build of
 * the core library: a memory error, UB or a broken invariant of targets.c
 * aborts.  Each input runs in a child process with an alarm, so a crash or
 * a hang is reported as one TAP line and the run goes on:
 *     ok - loader: corpus/loader/elf-phnum-overflow
 *     not ok - devices: random input 17 (seed 0x...): killed by signal 6; saved in FILE
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/fuzz/targets.h"

#define HANG_SECONDS    20 /* one input, or the whole random batch */
#define MAX_INPUT_BYTES (1u << 20)

/* splitmix64: a small deterministic generator (the same on every host). */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint32_t below(uint32_t n) { return n ? (uint32_t)(rnd() % n) : 0; }

struct buf {
    uint8_t *p;
    size_t n, cap;
};
static void put(struct buf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}
static void put32(struct buf *b, uint32_t v) { put(b, &v, 4); }
static void put16(struct buf *b, uint16_t v) { put(b, &v, 2); }

/* Values that sit on the edges of what the modules check. */
static uint32_t interesting32(void)
{
    static const uint32_t v[] = {
        0,          1,          2,          3,          4,          7,          8,
        12,         32,         39,         40,         41,         47,         48,
        49,         52,         0x7f,       0x80,       0xff,       0x100,      0xfff,
        0x1000,     0xffff,     0x10000,    0x65536,    0x9000,     0x10000,    0xfffff,
        0x100000,   0x1ff000,   0x1fffff,   0x200000,   0x3ff000,   0x400000,   0x7fffffff,
        0x80000000, 0xfffff000, 0xfffffffc, 0xffffffff, 0x1BADB002, 0x2BADB002,
    };
    return v[below(sizeof v / sizeof v[0])];
}

/* Mutate b in place: a few random edits. */
static void mutate(struct buf *b)
{
    int edits = 1 + (int)below(6);
    for (int k = 0; k < edits; k++) {
        switch (below(6)) {
        case 0:
        case 1: /* one byte */
            if (b->n)
                b->p[below((uint32_t)b->n)] = (uint8_t)rnd();
            break;
        case 2:
        case 3: /* one aligned word */
            if (b->n >= 4) {
                uint32_t v = interesting32();
                memcpy(b->p + (below((uint32_t)b->n / 4) * 4), &v, 4);
            }
            break;
        case 4: /* truncate */ b->n = below((uint32_t)b->n + 1); break;
        default: { /* append junk */
            uint32_t m = below(64);
            for (uint32_t i = 0; i < m; i++) {
                uint8_t c = (uint8_t)rnd();
                put(b, &c, 1);
            }
        }
        }
    }
}

/* A small well-formed guest: ELF32 header, one PT_LOAD, a Multiboot
 * header, a PT_NOTE with a PVH entry, code. */
static void gen_elf(struct buf *b)
{
    const uint32_t base = 0x100000, phoff = 52, nph = 2, mb = phoff + 32 * nph;
    const uint32_t note = mb + 12, code = note + 20, size = code + 16;
    uint8_t ident[16] = { 0x7f, 'E', 'L', 'F', 1, 1, 1 };
    put(b, ident, 16);
    put16(b, 2);
    put16(b, 3);
    put32(b, 1); /* ET_EXEC, EM_386, version */
    put32(b, base + code);
    put32(b, phoff);
    put32(b, 0); /* entry, phoff, shoff */
    put32(b, 0);
    put16(b, 52);
    put16(b, 32);
    put16(b, (uint16_t)nph);
    put16(b, 40);
    put16(b, 0);
    put16(b, 0);
    /* PT_LOAD: the whole file at 1 MiB, plus some .bss. */
    put32(b, 1);
    put32(b, 0);
    put32(b, base);
    put32(b, base);
    put32(b, size);
    put32(b, size + 0x1000 * below(4));
    put32(b, 7);
    put32(b, 0x1000);
    /* PT_NOTE */
    put32(b, 4);
    put32(b, note);
    put32(b, 0);
    put32(b, 0);
    put32(b, 20);
    put32(b, 20);
    put32(b, 4);
    put32(b, 4);
    put32(b, 0x1BADB002);
    put32(b, 0);
    put32(b, (uint32_t)-0x1BADB002);
    put32(b, 4);
    put32(b, 4);
    put32(b, 18);
    put(b, "Xen", 4);
    put32(b, base + code);
    static const uint8_t hlt_loop[16] = { 0xfa, 0xf4, 0xeb, 0xfc };
    put(b, hlt_loop, 16);
}

static void gen_trace(struct buf *b)
{
    static const uint32_t hs[] = { 40, 40, 40, 41, 48, 64, 65536, 65537, 0, 39 };
    static const uint32_t es[] = { 48, 48, 48, 49, 64, 4096, 4097, 47, 0 };
    uint32_t h = hs[below(sizeof hs / 4)], e = es[below(sizeof es / 4)];
    put(b, "VMLTRACE", 8);
    put32(b, below(8) ? 1 : interesting32());
    put32(b, h);
    put32(b, e);
    put32(b, 0);
    put(b, "interp\0\0\0\0\0\0\0\0\0\0", 16);
    for (uint32_t i = 40; i < h && i < 200; i++) {
        uint8_t c = (uint8_t)rnd();
        put(b, &c, 1);
    }
    uint32_t nev = below(6);
    for (uint32_t k = 0; k < nev && e <= 4096; k++) {
        size_t at = b->n;
        for (uint32_t i = 0; i < e; i++) {
            uint8_t c = (uint8_t)rnd();
            put(b, &c, 1);
        }
        if (e >= 16) {
            uint16_t type = (uint16_t)below(6);
            uint32_t reason = below(2) ? below(70) : interesting32();
            memcpy(b->p + at + 8, &type, 2);
            memcpy(b->p + at + 12, &reason, 4);
        }
    }
}

static void gen_options(struct buf *b)
{
    static const char *const words[] = {
        "--engine",
        "--mem",
        "--module",
        "--trace",
        "--dot",
        "--walk",
        "--timeout",
        "--stats",
        "--viz",
        "--step",
        "--check",
        "--vmx-controls",
        "--bt-mode",
        "threaded",
        "--bt-mode=identical",
        "--bt-mode=",
        "--vmx-controls=hlt=off",
        "--help",
        "-h",
        "--",
        "-",
        "guest.elf",
        "64M",
        "0x",
        "1e300",
        "nan",
        "inf",
        "-1",
        "0",
        "4096K",
        "3G",
        "3073M",
        "2M",
        "2097151B",
        "1.5",
        "--mem=",
        "--timeout=0.001",
        "--walk=0x80000000",
        "--bogus",
        "bad\nline",
        "--stats=1",
        "--mem=18446744073709551615G",
        "1e-300",
        "--aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1",
        "test=all",
        "",
    };
    uint32_t nw = below(12);
    for (uint32_t k = 0; k < nw; k++) {
        const char *w = words[below(sizeof words / sizeof words[0])];
        put(b, w, strlen(w) + 1);
    }
}

static void gen_devices(struct buf *b)
{
    uint32_t ops = below(200);
    for (uint32_t k = 0; k < ops; k++) {
        uint8_t op[3] = { (uint8_t)rnd(), (uint8_t)rnd(), (uint8_t)rnd() };
        if (below(4) == 0) /* favour PIT control words that arm counter 0 */
            op[0] = 2, op[1] = 3, op[2] = (uint8_t)(rnd() & 0x3f);
        put(b, op, 3);
    }
}

/* Input i of a target: a well-formed input, mutated three times in four. */
static void generate(const struct fuzz_target *t, uint64_t tseed, int i, struct buf *b)
{
    rng_state = tseed + (uint64_t)i * 0x100000001b3ull;
    switch (t->name[0]) {
    case 'l': gen_elf(b); break;
    case 't': gen_trace(b); break;
    case 'o': gen_options(b); break;
    default: gen_devices(b); break;
    }
    if (t->name[0] != 'o' && below(4))
        mutate(b);
}

/* --- the runner --------------------------------------------------------- */

static int run_child(const struct fuzz_target *t, const uint8_t *d, size_t n, char *why, size_t len)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, len, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        alarm(HANG_SECONDS);
        t->run(d, n);
        _exit(0);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFSIGNALED(st))
        snprintf(why, len, "%s",
                 WTERMSIG(st) == SIGALRM ? "hang (no result after "
                                           "20 s)"
                                         : strsignal(WTERMSIG(st)));
    else
        snprintf(why, len, "exit status %d (sanitizer report above)", WEXITSTATUS(st));
    return -1;
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *d = malloc(MAX_INPUT_BYTES);
    *n = d ? fread(d, 1, MAX_INPUT_BYTES, f) : 0;
    fclose(f);
    return d;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int failures;

static void replay_target(const struct fuzz_target *t, const char *corpus, int nrandom,
                          uint64_t seed)
{
    char dir[512], path[1024], why[160];
    snprintf(dir, sizeof dir, "%s/%s", corpus, t->name);
    /* The regression files, in a stable order. */
    char *names[4096];
    int nn = 0;
    DIR *dp = opendir(dir);
    if (dp) {
        struct dirent *de;
        while ((de = readdir(dp)) && nn < 4096)
            if (de->d_name[0] != '.')
                names[nn++] = strdup(de->d_name);
        closedir(dp);
    }
    qsort(names, (size_t)nn, sizeof names[0], cmp);
    for (int i = 0; i < nn; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t n;
        uint8_t *d = slurp(path, &n);
        if (!d) {
            printf("not ok - %s: %s: cannot read\n", t->name, path);
            failures++;
        } else if (run_child(t, d, n, why, sizeof why) < 0) {
            printf("not ok - %s: %s: %s\n", t->name, path, why);
            failures++;
        } else {
            printf("ok - %s: %s\n", t->name, path);
        }
        free(d);
        free(names[i]);
    }

    /* Pseudo-random inputs, all in one child; input i depends only on
     * (seed, target, i), so a failing one is rebuilt and saved. */
    if (nrandom <= 0)
        return;
    volatile int *cur = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (cur == MAP_FAILED) {
        printf("not ok - %s: mmap failed\n", t->name);
        failures++;
        return;
    }
    uint64_t tseed = seed ^ (uint64_t)(strlen(t->name) * 0x1000193u + (uint8_t)t->name[0]);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(HANG_SECONDS);
        for (int i = 0; i < nrandom; i++) {
            struct buf b = { 0 };
            *cur = i;
            generate(t, tseed, i, &b);
            t->run(b.p ? b.p : (const uint8_t *)"", b.n);
            free(b.p);
        }
        _exit(0);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        printf("ok - %s: %d pseudo-random inputs (seed 0x%llx)\n", t->name, nrandom,
               (unsigned long long)seed);
    } else {
        int i = *cur;
        /* Rebuild input i and save it, to be added to the corpus once fixed. */
        struct buf b = { 0 };
        generate(t, tseed, i, &b);
        snprintf(path, sizeof path, "/tmp/vmlab-replay-%s-%d.bin", t->name, i);
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(b.p ? b.p : (uint8_t *)"", 1, b.n, f);
            fclose(f);
        }
        free(b.p);
        printf("not ok - %s: pseudo-random input %d (seed 0x%llx): %s; saved in %s\n", t->name, i,
               (unsigned long long)seed,
               WIFSIGNALED(st) ? (WTERMSIG(st) == SIGALRM ? "hang" : strsignal(WTERMSIG(st)))
                               : "sanitizer report above",
               path);
        failures++;
    }
    munmap((void *)cur, 4096);
}

int main(int argc, char **argv)
{
    int nrandom = 300;
    uint64_t seed = 0x766d6c6162ull; /* "vmlab" */
    const char *corpus = NULL;
    const char *only[8];
    int nonly = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            nrandom = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-s") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (!corpus)
            corpus = argv[i];
        else if (nonly < 8)
            only[nonly++] = argv[i];
    }
    if (!corpus) {
        fprintf(stderr, "usage: %s CORPUS_DIR [-n N] [-s SEED] [TARGET...]\n", argv[0]);
        return 64;
    }
    /* The targets print nothing on success; their output would go here. */
    for (const struct fuzz_target *t = fuzz_targets; t->name; t++) {
        bool want = nonly == 0;
        for (int i = 0; i < nonly; i++)
            want |= !strcmp(only[i], t->name);
        if (want)
            replay_target(t, corpus, nrandom, seed);
    }
    return failures ? 1 : 0;
}
