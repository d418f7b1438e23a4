/*
 * mem_vmx.h — vmm-mem's vmx engine: stage 03's VMX model with the memory
 * virtualization of this stage plugged in (03-hw-assisted/vmx_mmu.h):
 * --mmu ept (the VMM builds an EPT for guest RAM, the model CPU walks it
 * in two dimensions, ept_mmu.h) or --mmu shadow (vmx_shadow.h).
 */
#ifndef MEM_MEM_VMX_H
#define MEM_MEM_VMX_H

#include <stddef.h>
#include "core/engine.h"
#include "vmm/vmm_main.h"

extern const struct engine_ops mem_vmx_engine;
extern const struct engine_option mem_vmx_options[];

#endif
