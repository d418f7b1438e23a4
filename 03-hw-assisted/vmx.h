/*
 * vmx.h — the software VMX model ("--engine vmx"): VT-x as a program.
 *
 * The VMM (this stage) fills a VMCS (vmcs.h) with controls chosen on the
 * command line (--vmx-controls), "launches" the guest, handles the exits
 * (exit_handler.c) and "resumes".  The modelled CPU checks the VMCS at every
 * VM entry as SDM Vol. 3C ch. 27 says, runs the guest on the reference
 * interpreter in "VMX non-root operation", and leaves it exactly where the
 * controls say it must (SDM Vol. 3C ch. 26): see vmx.c.
 */
#ifndef HW_VMX_H
#define HW_VMX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/engine.h"
#include "03-hw-assisted/vmx_config.h"

extern const struct engine_ops vmx_engine;
/* For a VMM that emulates INVLPG or writes guest RAM itself (stage 02's
 * hypercalls, --pv on): drop lin's TLB entry; forget code decoded in
 * [gpa, gpa+len). */
/* The engine's one-line summary (--help), shared by vmm-hw's PV wrapper. */
#define VMX_ENGINE_SUMMARY \
    "software VT-x model: VMCS controls decide the exits of the software engine"
void vmx_invlpg(struct vcpu *v, uint32_t lin);
void vmx_invalidate(struct vcpu *v, uint32_t gpa, uint32_t len);
void vmx_flush_tlb(struct vcpu *v); /* a CR3 load's TLB flush */

#endif
