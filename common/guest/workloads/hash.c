/*
 * hash.c — a chained hash table with string keys (FNV-1a hash, 1024
 * buckets): insert 3000 generated keys, look every one up and as many
 * that are absent, delete half, look them up again, free the table.
 * Hashing, byte compares and short pointer chains through the heap.
 */
#include "wl.h"

#define BUCKETS 1024
#define KEYS    3000

struct entry {
    struct entry *next;
    uint32_t hash, value;
    char key[16];
};

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

/* "k" + the number in base 36 + a suffix letter. */
static void make_key(char *k, uint32_t n, char suffix)
{
    char d[8];
    int len = 0;
    do
        d[len++] = "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36];
    while ((n /= 36) != 0);
    *k++ = 'k';
    while (len)
        *k++ = d[--len];
    *k++ = suffix;
    *k = '\0';
}

static struct entry **slot(struct entry **table, const char *key, uint32_t h)
{
    struct entry **p = &table[h & (BUCKETS - 1)];
    while (*p && ((*p)->hash != h || wl_strcmp((*p)->key, key) != 0))
        p = &(*p)->next;
    return p;
}

static uint32_t hash_round(void)
{
    static struct entry *table[BUCKETS];
    char key[16];
    uint32_t seed = 3141592653u, h = 0, hits = 0, misses = 0;
    wl_memset(table, 0, sizeof table);
    for (uint32_t i = 0; i < KEYS; i++) {
        make_key(key, wl_rand(&seed) % 20000, 'x');
        uint32_t kh = fnv1a(key);
        struct entry **p = slot(table, key, kh);
        if (*p) {
            (*p)->value += i;
            continue;
        }
        struct entry *e = wl_malloc(sizeof *e);
        e->next = 0;
        e->hash = kh;
        e->value = i;
        wl_memcpy(e->key, key, wl_strlen(key) + 1);
        *p = e;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t n = 0; n < 20000; n += 3) {
            make_key(key, n, pass ? 'y' : 'x');
            struct entry *e = *slot(table, key, fnv1a(key));
            if (e)
                hits++, h = wl_mix(h, e->value);
            else
                misses++;
        }
    }
    for (uint32_t n = 0; n < 20000; n += 2) { /* delete the even keys */
        make_key(key, n, 'x');
        struct entry **p = slot(table, key, fnv1a(key));
        if (*p) {
            struct entry *e = *p;
            *p = e->next;
            wl_free(e);
        }
    }
    uint32_t left = 0, longest = 0;
    for (int b = 0; b < BUCKETS; b++) {
        uint32_t chain = 0;
        for (struct entry *e = table[b], *next; e; e = next) {
            next = e->next;
            h = wl_mix(h, e->hash ^ e->value);
            chain++;
            wl_free(e);
        }
        left += chain;
        longest = chain > longest ? chain : longest;
    }
    return wl_mix(wl_mix(wl_mix(h, hits), misses), left * 64 + longest);
}

WORKLOAD("hash", 0xb0dde7c3, hash_round);
