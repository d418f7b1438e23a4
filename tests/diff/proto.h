/*
 * proto.h — what the differential tester and its 32-bit host helper share.
 *
 * Compiled twice: into diff_interp (x86-64) and into diff_host32 (i386,
 * static).  Only fixed-size types, so both sides agree on the layout.
 *
 * Address space of a snippet, identical on the host (a 32-bit Linux
 * process) and in the interpreter (flat 32-bit protected mode, paging off):
 *
 *   DIFF_DATA_ADDR  64 KiB data area: memory operands and the stack (ESP)
 *   DIFF_CODE_ADDR  the snippet; at its end the "exit" jump (FF 25 ptr)
 *
 * A gap of 64 KiB between them stays unmapped on the host, so a stray
 * access just past the data area faults there instead of hitting code.
 */
#ifndef DIFF_PROTO_H
#define DIFF_PROTO_H

#include <stdint.h>

#define DIFF_DATA_ADDR 0x10000000u
#define DIFF_DATA_SIZE 0x10000u
#define DIFF_CODE_ADDR 0x10020000u
#define DIFF_CODE_SIZE 0x1000u
#define DIFF_CODE_MAX  512                                   /* snippet bytes                    */
#define DIFF_EXIT_PTR  (DIFF_CODE_ADDR + DIFF_CODE_SIZE - 4) /* &exit addr */
#define DIFF_BLOCK     32                                    /* granularity of memory comparison */
#define DIFF_NBLOCKS   (DIFF_DATA_SIZE / DIFF_BLOCK)
#define DIFF_MAGIC     0x46464944u /* "DIFF" */

/* Register file in and out: ModRM order like struct x86_cpu. */
struct diff_state {
    uint32_t gpr[8];
    uint32_t eflags;
    uint32_t eip;
};

/* Batch header, then count records of struct diff_in. */
struct diff_batch {
    uint32_t magic;
    uint32_t count;
    uint32_t data_seed; /* initial data area: diff_fill_data(seed)      */
};

struct diff_in {
    uint32_t len; /* snippet length in bytes          */
    uint8_t code[DIFF_CODE_MAX];
    struct diff_state st; /* eip ignored: starts at CODE_ADDR */
};

/* One result record, followed by ndirty struct diff_block: the 32-byte
 * blocks of the data area that differ from the initial contents. */
struct diff_out {
    int32_t vector;       /* -1: ran to the end; else the exception vector */
    uint32_t error_code;  /* pushed error code, where the vector has one    */
    struct diff_state st; /* at the end, or at the fault (eip = the EIP the
                             exception frame holds)                         */
    uint32_t ndirty;
};

struct diff_block {
    uint32_t index; /* offset / DIFF_BLOCK */
    uint8_t bytes[DIFF_BLOCK];
};

/* xorshift32: the one PRNG both sides use (Marsaglia 2003). */
static inline uint32_t diff_rand(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Values at the edges of signed/unsigned ranges, where flags flip. */
static const uint32_t diff_edge_values[] = {
    0,     1,       2,    0xffffffffu, 0x7fffffffu, 0x80000000u, 0x80000001u,
    0xff,  0x80,    0x7f, 0xffff,      0x8000,      0x7fff,      0xfffffffeu,
    0x100, 0x10000, 0x0f, 0x99,        0x09,        0xff7f,      0xffffff80u,
};
#define DIFF_NEDGE (sizeof diff_edge_values / sizeof diff_edge_values[0])

/* A value that is an edge value half of the time, random otherwise. */
static inline uint32_t diff_value(uint32_t *s)
{
    uint32_t r = diff_rand(s);
    if (r & 1)
        return diff_edge_values[(r >> 1) % DIFF_NEDGE];
    return diff_rand(s);
}

/* The initial contents of the data area. */
static inline void diff_fill_data(uint8_t *data, uint32_t seed)
{
    for (uint32_t i = 0; i < DIFF_DATA_SIZE; i += 4) {
        uint32_t v = diff_value(&seed);
        data[i] = v;
        data[i + 1] = v >> 8;
        data[i + 2] = v >> 16;
        data[i + 3] = v >> 24;
    }
}

/* Vectors that push an error code (SDM Vol. 3A Table 6-1). */
static inline int diff_has_error_code(int v) { return v == 8 || (v >= 10 && v <= 14) || v == 17; }

#endif
