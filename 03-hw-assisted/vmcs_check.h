/*
 * vmcs_check.h — the checks a VMX processor makes at VM entry (VMLAUNCH,
 * VMRESUME) before the guest runs, SDM Vol. 3C ch. 27.
 */
#ifndef HW_VMCS_CHECK_H
#define HW_VMCS_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include "03-hw-assisted/vmcs.h"

/* The VM-entry checks (SDM Vol. 3C §27.2-27.3).  0 if they pass.
 * vmcs_check_controls: checks on the VM-execution, exit and entry control
 *   fields (§27.2.1) and the host-state area (§27.2.2); failing is
 *   VMfailValid with the VM-instruction error returned (7 or 8).
 * vmcs_check_guest: checks on the guest-state area (§27.3.1); failing is a
 *   VM exit with reason 33 | 0x80000000 ("VM-entry failure due to invalid
 *   guest state"); *qual gets the exit qualification (§27.8).
 * On failure, why says which field and which rule, in one line. */
int vmcs_check_controls(const struct vmcs *v, const struct vmx_caps *caps, char *why, size_t len);
int vmcs_check_guest(const struct vmcs *v, const struct vmx_caps *caps, uint32_t *qual, char *why,
                     size_t len);

#endif
