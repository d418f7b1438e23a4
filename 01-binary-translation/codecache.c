/*
 * codecache.c — the translation cache (see codecache.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "01-binary-translation/codecache.h"
#include "01-binary-translation/emit.h"

/* Buckets of the block hash: a Linux boot keeps some 25 000 blocks, and
 * a lookup that walks a long chain misses the cache at every link. */
#define CC_HASH_BITS 16
#define CC_HASH      (1u << CC_HASH_BITS)

struct codecache {
    uint8_t *base; /* the executable region                    */
    size_t size;
    size_t static_end; /* glue that survives flushes               */
    size_t used;
    struct tblock *hash[CC_HASH];
    /* Every block committed since the last flush (dropped ones too: their
     * code may still be running), in allocation order.  The bump allocator
     * hands out code addresses in increasing order, so this is also sorted
     * by tb->code: cc_find_code binary-searches it. */
    struct tblock **all;
    uint32_t nall, all_cap;
    uint16_t *page_count; /* translated blocks per guest-physical page */
    uint64_t npages;
    uint32_t nblocks;
    struct cc_stats st;
};

static uint32_t hash(uint32_t gpa) { return (gpa * 0x9e3779b1u) >> (32 - CC_HASH_BITS); }

struct codecache *cc_create(size_t code_bytes, uint64_t ram_bytes, char *err, size_t errlen)
{
    struct codecache *cc = calloc(1, sizeof *cc);
    if (!cc) {
        snprintf(err, errlen, "code cache: out of memory");
        return NULL;
    }
    cc->npages = ram_bytes >> 12;
    cc->page_count = calloc(cc->npages ? cc->npages : 1, sizeof *cc->page_count);
    cc->base = mmap(NULL, code_bytes, PROT_READ | PROT_WRITE | PROT_EXEC,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (cc->base == MAP_FAILED || !cc->page_count) {
        snprintf(err, errlen, "code cache: cannot map %zu bytes of executable memory", code_bytes);
        cc->base = NULL;
        cc_destroy(cc);
        return NULL;
    }
    cc->size = code_bytes;
    return cc;
}

static void free_blocks(struct codecache *cc)
{
    for (uint32_t i = 0; i < cc->nall; i++) {
        free(cc->all[i]->fmap);
        free(cc->all[i]);
    }
    cc->nall = 0;
}

void cc_destroy(struct codecache *cc)
{
    if (!cc)
        return;
    free_blocks(cc);
    free(cc->all);
    if (cc->base)
        munmap(cc->base, cc->size);
    free(cc->page_count);
    free(cc);
}

uint8_t *cc_space(struct codecache *cc, size_t *avail)
{
    *avail = cc->size - cc->used;
    return cc->base + cc->used;
}

void cc_keep_static(struct codecache *cc) { cc->static_end = cc->used; }

struct tblock *cc_new_block(struct codecache *cc, uint32_t gpa, uint32_t eip, uint8_t mode)
{
    /* Room in cc->all now, so that cc_commit cannot fail. */
    if (cc->nall == cc->all_cap) {
        uint32_t cap = cc->all_cap ? 2 * cc->all_cap : 256;
        struct tblock **a = realloc(cc->all, cap * sizeof *a);
        if (!a)
            return NULL;
        cc->all = a;
        cc->all_cap = cap;
    }
    struct tblock *tb = calloc(1, sizeof *tb);
    if (!tb)
        return NULL;
    tb->gpa = gpa;
    tb->eip = eip;
    tb->mode = mode;
    tb->code = cc->base + cc->used;
    return tb;
}

void cc_commit(struct codecache *cc, struct tblock *tb, size_t len)
{
    tb->code_len = (uint32_t)len;
    tb->valid = true;
    cc->used += (len + 15) & ~(size_t)15; /* next block 16-byte aligned */
    if (cc->used > cc->size)
        cc->used = cc->size;
    uint32_t h = hash(tb->gpa);
    tb->hnext = cc->hash[h];
    cc->hash[h] = tb;
    cc->all[cc->nall++] = tb;
    if ((tb->gpa >> 12) < cc->npages)
        cc->page_count[tb->gpa >> 12]++;
    cc->nblocks++;
    cc->st.translated++;
    cc->st.code_bytes += len;
}

void cc_abandon(struct codecache *cc, struct tblock *tb)
{
    (void)cc;
    free(tb->fmap);
    free(tb);
}

struct tblock *cc_lookup(const struct codecache *cc, uint32_t gpa, uint32_t eip, uint8_t mode)
{
    for (struct tblock *tb = cc->hash[hash(gpa)]; tb; tb = tb->hnext)
        if (tb->gpa == gpa && tb->eip == eip && tb->mode == mode)
            return tb;
    return NULL;
}

void cc_link(struct codecache *cc, struct tblock *from, int k, struct tblock *to)
{
    struct tb_exit *x = &from->exit[k];
    if (x->to || !from->valid || !to->valid || !emit_rel32_ok(x->field, to->code))
        return;
    emit_patch_rel32(x->field, to->code);
    x->to = to;
    x->next_in = to->in;
    to->in = x;
    cc->st.chains++;
}

void cc_drop(struct codecache *cc, struct tblock *tb)
{
    if (!tb->valid)
        return;
    tb->valid = false;
    /* Out of the hash. */
    struct tblock **pp = &cc->hash[hash(tb->gpa)];
    while (*pp && *pp != tb)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = tb->hnext;
    /* Jumps into it go back to their stubs (the VMM then translates anew). */
    for (struct tb_exit *x = tb->in, *n; x; x = n) {
        n = x->next_in;
        emit_patch_rel32(x->field, x->stub);
        x->to = NULL;
        x->next_in = NULL;
        cc->st.unlinks++;
    }
    tb->in = NULL;
    /* Its own chained exits leave their targets' incoming lists. */
    for (int k = 0; k < tb->nexits; k++) {
        struct tb_exit *x = &tb->exit[k];
        if (!x->to)
            continue;
        struct tb_exit **ip = &x->to->in;
        while (*ip && *ip != x)
            ip = &(*ip)->next_in;
        if (*ip)
            *ip = x->next_in;
        emit_patch_rel32(x->field, x->stub);
        x->to = NULL;
        x->next_in = NULL;
    }
    if ((tb->gpa >> 12) < cc->npages && cc->page_count[tb->gpa >> 12])
        cc->page_count[tb->gpa >> 12]--;
    cc->nblocks--;
    cc->st.invalidated++;
}

void cc_drop_guest(struct codecache *cc, uint32_t gpa, uint32_t eip)
{
    struct tblock *tb = cc->hash[hash(gpa)];
    while (tb) {
        struct tblock *n = tb->hnext;
        if (tb->gpa == gpa && tb->eip == eip)
            cc_drop(cc, tb);
        tb = n;
    }
}

void cc_flush(struct codecache *cc)
{
    free_blocks(cc);
    memset(cc->hash, 0, sizeof cc->hash);
    memset(cc->page_count, 0, (cc->npages ? cc->npages : 1) * sizeof *cc->page_count);
    cc->used = cc->static_end;
    cc->nblocks = 0;
    cc->st.flushes++;
}

bool cc_page_has_code(const struct codecache *cc, uint64_t gpa)
{
    return (gpa >> 12) < cc->npages && cc->page_count[gpa >> 12] != 0;
}
uint64_t cc_used(const struct codecache *cc) { return cc->used; }
bool cc_contains(const struct codecache *cc, uintptr_t host)
{
    return host >= (uintptr_t)cc->base && host - (uintptr_t)cc->base < cc->size;
}
/* Binary search for the last block starting at or below pc; pc is in it
 * if it is before that block's end (gaps: alignment padding, glue). */
struct tblock *cc_find_code(const struct codecache *cc, uintptr_t pc)
{
    uint32_t lo = 0, hi = cc->nall; /* answer in [lo, hi) - 1 */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)cc->all[mid]->code <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    struct tblock *tb = cc->all[lo - 1];
    return pc - (uintptr_t)tb->code < tb->code_len ? tb : NULL;
}
uint64_t cc_capacity(const struct codecache *cc) { return cc->size; }
uint32_t cc_blocks(const struct codecache *cc) { return cc->nblocks; }
void cc_get_stats(const struct codecache *cc, struct cc_stats *st) { *st = cc->st; }
