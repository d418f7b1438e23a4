/*
 * compute_user.c — ring-3 half of the compute benchmark: runs the shared
 * compute core `iters` times on a workspace in the (demand-zero) heap and
 * prints the checksums and the cycles it took.  Exit code 0 = every
 * iteration gave the expected checksums, 1 = some did not.
 */
#include "../user/ulib.h"
#include "../compute/compute.h"
#include "../compute/div64.h"

int compute_user_main(uint32_t iters)
{
    struct compute_result r;
    int have_tsc = u_syscall(SYS_rdtsc_ok, 0, 0, 0) == 1;
    uint64_t t0 = have_tsc ? u_rdtsc() : 0;
    uint32_t bad = compute_run((void *)USER_HEAP_BASE, iters, &r);
    uint64_t cycles = have_tsc ? u_rdtsc() - t0 : 0;

    u_result("compute",
             "iters=%u crc32=0x%08x listsort=0x%08x matmul=0x%08x fsm=0x%08x "
             "cycles=%llu cycles_per_iter=%llu",
             iters, r.crc32, r.listsort, r.matmul, r.fsm, cycles, udiv64_32(cycles, iters));
    if (bad) {
        u_printf("compute: %u of %u iterations wrong; expected crc32=0x%08x listsort=0x%08x "
                 "matmul=0x%08x fsm=0x%08x\n",
                 bad, iters, compute_expected.crc32, compute_expected.listsort,
                 compute_expected.matmul, compute_expected.fsm);
        return 1;
    }
    return 0;
}
