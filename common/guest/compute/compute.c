/*
 * compute.c — the compute benchmark core (see compute.h).
 *
 * Built twice from this one file: into the guest's ring-3 image (through
 * programs/compute_core_user.c) and into the native Linux i386 executable
 * build/bench/compute.linux32, with the same code-generation flags, so the
 * two can be compared instruction for instruction.
 */
#include "compute.h"

/* Numerical Recipes' 32-bit linear congruential generator: the whole input
 * of every kernel is derived from one seed with it. */
#define LCG(x)       ((x)*1664525u + 1013904223u)
#define COMPUTE_SEED 0x1234abcdu

/* FNV-1a style mixing of 32-bit words, used to fold results to a checksum. */
#define FNV_PRIME 16777619u
#define FNV_BASIS 2166136261u
static inline uint32_t mix(uint32_t h, uint32_t v) { return (h ^ v) * FNV_PRIME; }

/* The kernels must not be inlined into the loop (the compiler could then
 * merge iterations); `noclone` stops constant propagation of the seed. */
#define KERNEL __attribute__((noinline, noclone))

/* Workspace layout (bytes). */
#define CRC_BYTES  8192u
#define LIST_NODES 2048u
#define MAT_N      40u
#define TEXT_BYTES 12288u

struct node {
    struct node *next;
    uint32_t key;
};

struct workspace {
    uint8_t crcbuf[CRC_BYTES];
    struct node nodes[LIST_NODES];
    uint32_t a[MAT_N][MAT_N], b[MAT_N][MAT_N], c[MAT_N][MAT_N];
    uint8_t text[TEXT_BYTES];
};
_Static_assert(sizeof(struct workspace) <= COMPUTE_WS_BYTES, "workspace too small");

/* Computed once natively and cross-checked against an independent Python
 * model (tests/bench/native/compute_ref.py, which uses zlib's CRC-32, the
 * built-in sort and a regular-expression tokenizer). */
const struct compute_result compute_expected = {
    .crc32 = 0x440f4a8cu,
    .listsort = 0x60c2f037u,
    .matmul = 0xf04d0afbu,
    .fsm = 0x6a53e5aeu,
};

/* ---- 1. CRC-32 -----------------------------------------------------------
 * The reflected CRC-32 of IEEE 802.3 / zlib (polynomial 0x04C11DB7, bit
 * reversed 0xEDB88320), one bit at a time: shift right, and xor in the
 * polynomial when the bit shifted out was 1. */
static KERNEL uint32_t k_crc32(uint8_t *buf, uint32_t seed)
{
    uint32_t x = seed, crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < CRC_BYTES; i++) {
        x = LCG(x);
        buf[i] = (uint8_t)(x >> 24);
    }
    for (uint32_t i = 0; i < CRC_BYTES; i++) {
        crc ^= buf[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* ---- 2. linked-list merge sort -------------------------------------------
 * Top-down merge sort: split the list in halves with a slow and a fast
 * pointer, sort each half recursively, merge.  O(n log n) pointer chasing. */
static struct node *merge(struct node *a, struct node *b)
{
    struct node head, *t = &head;
    while (a && b) {
        if (a->key <= b->key) {
            t->next = a;
            a = a->next;
        } else {
            t->next = b;
            b = b->next;
        }
        t = t->next;
    }
    t->next = a ? a : b;
    return head.next;
}

static struct node *msort(struct node *l)
{
    if (!l || !l->next)
        return l;
    struct node *slow = l, *fast = l->next;
    while (fast && fast->next) {
        slow = slow->next;
        fast = fast->next->next;
    }
    struct node *right = slow->next;
    slow->next = 0;
    return merge(msort(l), msort(right));
}

static KERNEL uint32_t k_listsort(struct node *nodes, uint32_t seed)
{
    uint32_t x = seed ^ 0x5bd1e995u;
    for (uint32_t i = 0; i < LIST_NODES; i++) {
        x = LCG(x);
        nodes[i].key = x >> 8; /* 24-bit keys, some equal */
        nodes[i].next = i + 1 < LIST_NODES ? &nodes[i + 1] : 0;
    }
    struct node *l = msort(&nodes[0]);
    /* Fold the keys in list order; an out-of-order pair or a lost node
     * changes the checksum. */
    uint32_t h = FNV_BASIS, n = 0, prev = 0;
    for (; l; l = l->next, n++) {
        if (l->key < prev)
            h ^= 0xBADC0DEu;
        prev = l->key;
        h = mix(h, l->key);
    }
    return mix(h, n);
}

/* ---- 3. integer matrix multiply -----------------------------------------
 * C = A x B over 32-bit integers (wrapping, like the hardware). */
static KERNEL uint32_t k_matmul(struct workspace *w, uint32_t seed)
{
    uint32_t x = seed ^ 0x9e3779b9u;
    for (uint32_t i = 0; i < MAT_N; i++)
        for (uint32_t j = 0; j < MAT_N; j++) {
            x = LCG(x);
            w->a[i][j] = x >> 16;
            x = LCG(x);
            w->b[i][j] = x >> 16;
        }
    for (uint32_t i = 0; i < MAT_N; i++)
        for (uint32_t j = 0; j < MAT_N; j++) {
            uint32_t s = 0;
            for (uint32_t k = 0; k < MAT_N; k++)
                s += w->a[i][k] * w->b[k][j];
            w->c[i][j] = s;
        }
    uint32_t h = FNV_BASIS;
    for (uint32_t i = 0; i < MAT_N; i++)
        for (uint32_t j = 0; j < MAT_N; j++)
            h = mix(h, w->c[i][j]);
    return h;
}

/* ---- 4. tokenizer state machine ------------------------------------------
 * A deterministic finite automaton that splits generated text into tokens:
 * identifiers [a-z_][a-z0-9_]*, numbers [0-9]+ (a number running into a
 * letter is a bad token), operators (+ - * / < > ! =, optionally followed
 * by '='), brackets ( ) ; and comments from '#' to the end of the line. */
enum { C_LETTER, C_DIGIT, C_SPACE, C_NL, C_OP, C_EQ, C_HASH, C_PAREN, NCLASS };
enum { S_START, S_IDENT, S_NUMBER, S_BADNUM, S_OP1, S_OP2, S_COMMENT, S_PAREN, NSTATE };
#define EMIT 0x80 /* this transition ends the token being scanned */

/* The 32 characters the text is drawn from. */
static const char alphabet[33] = "abcdefghijklmn_0123456   \n+-=#(;";

static const uint8_t dfa[NSTATE][NCLASS] = {
    /*             letter           digit             space          nl             op            eq            hash               paren */
    [S_START] = { S_IDENT, S_NUMBER, S_START, S_START, S_OP1, S_OP1, S_COMMENT, S_PAREN },
    [S_IDENT] = { S_IDENT, S_IDENT, EMIT | S_START, EMIT | S_START, EMIT | S_OP1, EMIT | S_OP1,
                  EMIT | S_COMMENT, EMIT | S_PAREN },
    [S_NUMBER] = { S_BADNUM, S_NUMBER, EMIT | S_START, EMIT | S_START, EMIT | S_OP1, EMIT | S_OP1,
                   EMIT | S_COMMENT, EMIT | S_PAREN },
    [S_BADNUM] = { S_BADNUM, S_BADNUM, EMIT | S_START, EMIT | S_START, EMIT | S_OP1, EMIT | S_OP1,
                   EMIT | S_COMMENT, EMIT | S_PAREN },
    [S_OP1] = { EMIT | S_IDENT, EMIT | S_NUMBER, EMIT | S_START, EMIT | S_START, EMIT | S_OP1,
                S_OP2, EMIT | S_COMMENT, EMIT | S_PAREN },
    [S_OP2] = { EMIT | S_IDENT, EMIT | S_NUMBER, EMIT | S_START, EMIT | S_START, EMIT | S_OP1,
                EMIT | S_OP1, EMIT | S_COMMENT, EMIT | S_PAREN },
    [S_COMMENT] = { S_COMMENT, S_COMMENT, S_COMMENT, EMIT | S_START, S_COMMENT, S_COMMENT,
                    S_COMMENT, S_COMMENT },
    [S_PAREN] = { EMIT | S_IDENT, EMIT | S_NUMBER, EMIT | S_START, EMIT | S_START, EMIT | S_OP1,
                  EMIT | S_OP1, EMIT | S_COMMENT, EMIT | S_PAREN },
};

static uint8_t char_class(uint8_t c)
{
    if ((c >= 'a' && c <= 'z') || c == '_')
        return C_LETTER;
    if (c >= '0' && c <= '9')
        return C_DIGIT;
    switch (c) {
    case ' ': return C_SPACE;
    case '\n': return C_NL;
    case '=': return C_EQ;
    case '#': return C_HASH;
    case '(':
    case ')':
    case ';': return C_PAREN;
    default: return C_OP;
    }
}

static KERNEL uint32_t k_fsm(uint8_t *text, uint32_t seed)
{
    uint8_t cls[256];
    for (uint32_t c = 0; c < 256; c++)
        cls[c] = char_class((uint8_t)c);

    uint32_t x = seed ^ 0x85ebca6bu;
    for (uint32_t i = 0; i < TEXT_BYTES; i++) {
        x = LCG(x);
        text[i] = (uint8_t)alphabet[x >> 27];
    }

    uint32_t h = FNV_BASIS, count[NSTATE] = { 0 };
    uint32_t state = S_START, start = 0;
    for (uint32_t i = 0; i < TEXT_BYTES; i++) {
        uint32_t t = dfa[state][cls[text[i]]];
        if (t & EMIT) { /* token [start, i) of kind `state` */
            count[state]++;
            h = mix(h, (state << 16) | (i - start));
        }
        if ((t & EMIT) || state == S_START) /* a new token may start */
            start = i;
        state = t & ~EMIT;
    }
    if (state != S_START) { /* the last token runs to the end */
        count[state]++;
        h = mix(h, (state << 16) | (TEXT_BYTES - start));
    }
    for (uint32_t s = 0; s < NSTATE; s++)
        h = mix(h, count[s]);
    return h;
}

/* ---- driver --------------------------------------------------------------- */
uint32_t compute_run(void *ws, uint32_t iters, struct compute_result *last)
{
    struct workspace *w = ws;
    /* Read through a volatile each iteration: the compiler cannot know the
     * inputs are the same and hoist or merge the kernels across iterations. */
    volatile uint32_t seed_box = COMPUTE_SEED;
    uint32_t bad = 0;

    last->crc32 = last->listsort = last->matmul = last->fsm = 0;
    for (uint32_t it = 0; it < iters; it++) {
        uint32_t seed = seed_box;
        last->crc32 = k_crc32(w->crcbuf, seed);
        last->listsort = k_listsort(w->nodes, seed);
        last->matmul = k_matmul(w, seed);
        last->fsm = k_fsm(w->text, seed);
        if (last->crc32 != compute_expected.crc32 || last->listsort != compute_expected.listsort ||
            last->matmul != compute_expected.matmul || last->fsm != compute_expected.fsm)
            bad++;
    }
    return bad;
}
