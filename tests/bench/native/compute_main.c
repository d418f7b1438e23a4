/*
 * compute_main.c — the compute benchmark as a native 32-bit Linux process:
 * the baseline that execution engines are compared with (docs/ARCHITECTURE.md §9).
 *
 *   build/bench/compute.linux32 [ITERS]      (default 10)
 *
 * Prints the same RESULT/PASS lines as the guest program `compute`, so a
 * test can compare the checksums; exits 0 iff every iteration matched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include "common/guest/compute/compute.h"

static uint64_t workspace[COMPUTE_WS_BYTES / 8];

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

int main(int argc, char **argv)
{
    char *end = NULL;
    unsigned long iters = 10;
    if (argc > 2 || (argc == 2 && ((iters = strtoul(argv[1], &end, 10)) == 0 || *end))) {
        fprintf(stderr, "usage: %s [ITERS>0]\n", argv[0]);
        return 2;
    }
    struct compute_result r;
    uint64_t t0 = rdtsc();
    uint32_t bad = compute_run(workspace, (uint32_t)iters, &r);
    uint64_t cycles = rdtsc() - t0;
    printf("RESULT compute iters=%lu crc32=0x%08x listsort=0x%08x matmul=0x%08x fsm=0x%08x "
           "cycles=%llu cycles_per_iter=%llu\n",
           iters, r.crc32, r.listsort, r.matmul, r.fsm, (unsigned long long)cycles,
           (unsigned long long)(cycles / iters));
    if (bad) {
        printf("FAIL compute %u of %lu iterations gave wrong checksums (want crc32=0x%08x "
               "listsort=0x%08x matmul=0x%08x fsm=0x%08x)\n",
               bad, iters, compute_expected.crc32, compute_expected.listsort,
               compute_expected.matmul, compute_expected.fsm);
        return 1;
    }
    printf("PASS compute\n");
    return 0;
}
