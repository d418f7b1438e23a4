/*
 * vmx_int.h — the VMX model's state, shared by vmx.c (VM entry, the exit
 * policy, non-root operation) and vmx_ops.c (what the VMM asks of VT-x).
 * Not an interface: other modules use vmx.h and vmx_mmu.h.
 */
#ifndef HW_VMX_INT_H
#define HW_VMX_INT_H

#include "03-hw-assisted/vmx.h"
#include "03-hw-assisted/vmx_mmu.h"
#include "03-hw-assisted/vmcs.h"
#include "03-hw-assisted/exit_handler.h"
#include "x86/interp.h"

struct vmx {
    struct vmcs vmcs;
    struct vmx_config cfg;
    struct interp *ip;
    struct vcpu *v;
    struct hw_vmm vmm;
    struct vmx_mmu *mmu;     /* a later stage's memory virtualization */
    uint8_t *io_bitmap;      /* 2 pages: A (ports 0-0x7fff), B      */
    uint8_t *msr_bitmap;     /* 1 page: read low/high, write low/high */
    uint32_t *io_port_exits; /* I/O exits by port, for --stats       */
    /* Controls, cached at VM entry for the exit policy. */
    uint32_t pin, proc, proc2, excbitmap, pfec_mask, pfec_match;
    uint32_t cr0_mask, cr0_shadow, cr4_mask, cr4_shadow, cr3_count, cr3_target[4];
    struct {
        uint64_t launches, resumes, entry_failures, halt_waits, io_no_exit, io_checked;
    } st;
};

extern const struct hw_ops vmx_hw_ops;

#endif
