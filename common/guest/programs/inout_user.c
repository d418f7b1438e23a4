/*
 * inout_user.c — ring-3 half of `inout`: ring 3 may not touch I/O ports
 * (IOPL 0, no I/O bitmap), so it asks the kernel for the pairs with one
 * SYS_inout call, which writes (uint8_t)i at step i and returns the last
 * byte read back: (uint8_t)(n - 1) if the device kept every write.
 */
#include "../user/ulib.h"
#include "../compute/div64.h"

int inout_user_main(uint32_t n)
{
    uint64_t t0 = u_rdtsc();
    int32_t last = u_syscall(SYS_inout, n, 0, 0);
    uint64_t cycles = u_rdtsc() - t0;
    uint32_t want = (uint8_t)(n - 1);

    u_result("inout",
             "ring=3 via=SYS_inout pairs=%u last=0x%02x expect=0x%02x cycles=%llu "
             "cycles_per_pair=%llu",
             n, (uint32_t)last, want, cycles, udiv64_32(cycles, n));
    return (uint32_t)last == want ? 0 : 1;
}
