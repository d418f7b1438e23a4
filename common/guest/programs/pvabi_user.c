/*
 * pvabi_user — the ring-3 half of pvabi: a hypercall from user mode must
 * be refused (KVM does the same: -KVM_EPERM).  Exits with -result.
 */
#include <stdint.h>

int pvabi_user(uint32_t arg)
{
    (void)arg;
    int32_t r;
    __asm__ volatile("vmcall" : "=a"(r) : "a"(0) : "memory"); /* HC_VERSION */
    return -r;
}
