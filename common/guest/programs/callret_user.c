/*
 * callret_user.c — ring-3 call/ret loop.  Each pass calls a one-instruction
 * leaf that adds the loop counter to EAX, so n passes compute
 * n + (n-1) + ... + 1 = n(n+1)/2: a wrong return (or a skipped call)
 * changes the sum.  Written in assembly so the compiler cannot inline or
 * fold the calls away.
 */
#include "../user/ulib.h"
#include "../compute/div64.h"

/* uint32_t callret_loop(uint32_t n), n >= 1 */
uint32_t callret_loop(uint32_t n);
__asm__(".pushsection .text\n"
        ".globl callret_loop\n"
        ".type callret_loop, @function\n"
        "callret_loop:\n"
        "    mov 4(%esp), %ecx\n"
        "    xor %eax, %eax\n"
        "1:  call callret_leaf\n"
        "    dec %ecx\n"
        "    jnz 1b\n"
        "    ret\n"
        "callret_leaf:\n"
        "    add %ecx, %eax\n"
        "    ret\n"
        ".popsection\n");

int callret_user_main(uint32_t n)
{
    uint32_t want = (n % 2 == 0) ? (n / 2) * (n + 1) : n * ((n + 1) / 2);
    uint64_t t0 = u_rdtsc();
    uint32_t sum = callret_loop(n);
    uint64_t cycles = u_rdtsc() - t0;
    u_result("callret", "calls=%u sum=0x%08x expect=0x%08x cycles=%llu cycles_per_call=%llu", n,
             sum, want, cycles, udiv64_32(cycles, n));
    return sum == want ? 0 : 1;
}
