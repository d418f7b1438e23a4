/*
 * vmx_shadow.h — "--engine vmx --mmu shadow" of vmm-mem: shadow page tables
 * on the VMX model, kept by the VMM through CR3-load, INVLPG and #PF exits.
 */
#ifndef MEM_VMX_SHADOW_H
#define MEM_VMX_SHADOW_H

#include <stddef.h>
#include "core/engine.h"

/* Start stage 03's VMX model on v with shadow paging (the engine's init). */
int vmx_shadow_init(struct vcpu *v, char *err, size_t len);

#endif
