/*
 * codecache.h — the translation cache: host code for guest blocks.
 *
 * One executable region (mmap'ed RWX; a real VMM would use a W^X dual
 * mapping) filled by a bump allocator.  Each translated block (struct
 * tblock) is keyed by the guest-physical address and EIP of its first
 * instruction and by the CPU mode it was translated for (CPL, CS.D), so it
 * survives guest address-space switches, like the interpreter's decoded
 * blocks (docs/ARCHITECTURE.md §4).
 *
 * Chaining: a block ends with up to two direct exits (the taken and
 * not-taken targets of a Jcc, the target of a JMP/CALL, the fall-through).
 * An exit first jumps to a stub that returns to the VMM's run loop; once
 * the target is translated, the exit's jmp rel32 is patched to go straight
 * to the target's code (cc_link).  Every block remembers who jumps into it,
 * so dropping a block (its guest code was overwritten) puts those jumps back
 * on their stubs (unlinking).  When the region is full everything is
 * flushed at once — the simplest policy, QEMU's too.
 */
#ifndef BT_CODECACHE_H
#define BT_CODECACHE_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

struct block; /* the decoded form (x86/decoded.h) */

#define TB_MAX_EXITS 2

struct tb_exit {
    uint32_t target;         /* guest EIP this exit goes to            */
    uint8_t *field;          /* rel32 of its jmp (patched when chained) */
    uint8_t *stub;           /* where it jumps while unchained          */
    struct tblock *to;       /* chained target, or NULL                 */
    struct tb_exit *next_in; /* next exit chained into the same target  */
};

struct tblock {
    uint32_t gpa, eip; /* key                                     */
    uint8_t mode;      /* key: CPL | CS.D << 2                    */
    bool valid;        /* false once dropped                      */
    uint8_t nexits;
    uint8_t *code; /* entry point                             */
    uint32_t code_len;
    uint32_t guest_len;   /* guest bytes covered                     */
    struct block *dec;    /* the decoded instructions it calls       */
    struct tblock *hnext; /* hash chain                              */
    struct tb_exit *in;   /* exits of other blocks chained into this */
    struct tb_exit exit[TB_MAX_EXITS];
    /* Identical translation: host code offset of each window access ->
     * the guest instruction it belongs to (precise faults). */
    struct tb_fmap {
        uint32_t off;
        uint16_t idx, bias;
    } * fmap; /* bias: instructions of
                            the block done before this copy (unrolled loops) */
    uint16_t nfmap;
};

struct cc_stats {
    uint64_t translated;  /* blocks translated                        */
    uint64_t code_bytes;  /* host code bytes emitted (all time)       */
    uint64_t chains;      /* exits patched to jump block-to-block     */
    uint64_t unlinks;     /* chained jumps put back on their stubs    */
    uint64_t invalidated; /* blocks dropped: their guest code changed */
    uint64_t flushes;     /* whole-cache flushes                      */
};

struct codecache;

/* A cache of code_bytes of executable memory for a guest with ram_bytes of
 * RAM.  NULL with a one-line reason in err. */
struct codecache *cc_create(size_t code_bytes, uint64_t ram_bytes, char *err, size_t errlen);
void cc_destroy(struct codecache *cc);

/* Emitting: cc_space gives where the next code goes and how much room is
 * left; cc_new_block a block record to embed in the code; cc_commit makes
 * the block findable (len bytes used), cc_abandon throws it away. */
uint8_t *cc_space(struct codecache *cc, size_t *avail);
struct tblock *cc_new_block(struct codecache *cc, uint32_t gpa, uint32_t eip, uint8_t mode);
void cc_commit(struct codecache *cc, struct tblock *tb, size_t len);
void cc_abandon(struct codecache *cc, struct tblock *tb);
/* Everything emitted so far (the VMM's entry/exit glue) survives flushes. */
void cc_keep_static(struct codecache *cc);

struct tblock *cc_lookup(const struct codecache *cc, uint32_t gpa, uint32_t eip, uint8_t mode);
/* Point exit k of from straight at to's code. */
void cc_link(struct codecache *cc, struct tblock *from, int k, struct tblock *to);
/* Drop one block: unhash, unlink both ways.  Its code stays until the next
 * flush (it may be running right now). */
void cc_drop(struct codecache *cc, struct tblock *tb);
/* Drop every block translated from the guest block at gpa/eip (any mode). */
void cc_drop_guest(struct codecache *cc, uint32_t gpa, uint32_t eip);
void cc_flush(struct codecache *cc);

/* Does the guest-physical page of gpa hold translated code? */
bool cc_page_has_code(const struct codecache *cc, uint64_t gpa);
uint64_t cc_used(const struct codecache *cc);                 /* bytes in use now  */
bool cc_contains(const struct codecache *cc, uintptr_t host); /* in the region? */
/* The block whose code holds host address pc (since the last flush,
 * dropped ones included), or NULL; O(log blocks). */
struct tblock *cc_find_code(const struct codecache *cc, uintptr_t pc);
uint64_t cc_capacity(const struct codecache *cc);
uint32_t cc_blocks(const struct codecache *cc); /* blocks cached now */
void cc_get_stats(const struct codecache *cc, struct cc_stats *st);

#endif
