/*
 * vmx_shadow.c — shadow page tables on the VMX model (vmx_shadow.h).
 */
#include <stdio.h>
#include "04-memory/vmx_shadow.h"

int vmx_shadow_init(struct vcpu *v, char *err, size_t len)
{
    (void)v;
    snprintf(err, len, "vmx --mmu shadow is not built yet");
    return -1;
}
