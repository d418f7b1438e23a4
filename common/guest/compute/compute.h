/*
 * compute.h — the compute-bound benchmark core shared by the guest program
 * `compute` (ring 3, programs/compute_user.c) and the native Linux build
 * (tests/bench/native/compute_main.c).
 *
 * Four integer kernels, each a classic workload with a different shape:
 *   crc32    — bit-serial CRC-32 (IEEE 802.3) of an LCG-generated buffer:
 *              tight loop of shifts, xors and data-dependent masks;
 *   listsort — merge sort of a singly linked list of LCG keys: pointer
 *              chasing, unpredictable branches, recursion;
 *   matmul   — 40x40 integer matrix multiply: multiply-accumulate, strided
 *              memory access;
 *   fsm      — a table-driven tokenizer DFA over generated "source text":
 *              table lookups and indirect-looking control flow.
 *
 * Every iteration regenerates its inputs from the same seed, so every
 * iteration's checksums equal the constants in compute_expected; a wrong
 * result from any execution engine (interpreter, binary translator, ...)
 * shows up as a mismatch.  One iteration is about 2 million instructions.
 *
 * The code is freestanding C: no libc, no initialised data besides const
 * tables, all memory comes from the caller's workspace.
 */
#ifndef GUEST_COMPUTE_H
#define GUEST_COMPUTE_H

#include <stdint.h>

struct compute_result {
    uint32_t crc32, listsort, matmul, fsm;
};

/* The checksums every iteration must produce. */
extern const struct compute_result compute_expected;

/* Size of the scratch memory compute_run() needs (any 4-byte alignment;
 * 8 with 64-bit pointers: the x86-64 host build of tests/bench/bench.mk,
 * whose list nodes are twice as big). */
#define COMPUTE_WS_BYTES (sizeof(void *) == 4 ? 64u * 1024u : 96u * 1024u)

/* Runs `iters` iterations in workspace `ws`; stores the last iteration's
 * checksums in *last (all zero if iters == 0) and returns the number of
 * iterations whose checksums differ from compute_expected (0 = all good). */
uint32_t compute_run(void *ws, uint32_t iters, struct compute_result *last);

#endif
