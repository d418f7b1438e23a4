/*
 * kvm_exit.c — KVM's exits in vmlab's terms: what KVM_RUN left in the
 * kvm_run page becomes the VT-x style struct vm_exit every engine hands
 * to the core loop (core/vm.c), so KVM's exits show in --stats, --trace
 * and the visualizer like any other engine's; and the VMM's answer (an IN
 * or MMIO read result) goes back into the page for the next KVM_RUN,
 * which completes the instruction (Documentation/virt/kvm/api.rst,
 * "kvm_run").
 *
 *   KVM_EXIT_IO             30 I/O instruction; a REP INS/OUTS batch as a
 *                              string exit over KVM's data area
 *   KVM_EXIT_MMIO           49 EPT misconfiguration (how VT-x KVM sees MMIO)
 *   KVM_EXIT_IRQ_WINDOW_OPEN 7 interrupt window
 *   KVM_EXIT_HLT            12 HLT
 *   KVM_EXIT_SHUTDOWN        2 triple fault
 *   KVM_EXIT_FAIL_ENTRY      VM-entry failure (invalid guest state)
 *   KVM_EXIT_INTR           -- a kick (the timer signal): run again
 */
#include <stdio.h>
#include <string.h>
#include "03-hw-assisted/kvm.h"

int kvm_exit_decode(struct kvm_run *run, const struct x86_cpu *cpu, struct vm_exit *exit)
{
    memset(exit, 0, sizeof *exit);
    exit->guest_eip = cpu->eip;
    switch (run->exit_reason) {
    case KVM_EXIT_INTR: return KVM_X_AGAIN;
    case KVM_EXIT_IRQ_WINDOW_OPEN: /* the engine injects at the next entry */
        exit->reason = EXIT_INTERRUPT_WINDOW;
        return KVM_X_EXIT;
    case KVM_EXIT_IO: {
        struct exit_io *io = &exit->u.io;
        uint8_t *data = (uint8_t *)run + run->io.data_offset;
        exit->reason = EXIT_IO_INSTRUCTION; /* guest_eip: KVM reports RIP past the IN/OUT */
        io->port = run->io.port;
        io->size = run->io.size;
        io->in = run->io.direction == KVM_EXIT_IO_IN;
        if (run->io.count != 1) { /* REP INS/OUTS: a batch, done by the core */
            io->string = io->rep = true;
            io->count = run->io.count;
            io->data = data;
        } else if (!io->in) {
            memcpy(&io->value, data, run->io.size);
        }
        /* Exit qualification, SDM Table 28-5: size-1, direction bit 3,
         * string bit 4, REP bit 5, port 31:16. */
        exit->qualification = (uint64_t)(run->io.size - 1) | (io->in ? 8u : 0u) |
                              (io->string ? 0x30u : 0u) | ((uint64_t)run->io.port << 16);
        return KVM_X_EXIT;
    }
    case KVM_EXIT_MMIO: {
        struct exit_ept *p = &exit->u.ept;
        exit->reason = EXIT_EPT_MISCONFIG;
        p->gpa = run->mmio.phys_addr;
        p->size = (uint8_t)(run->mmio.len > 4 ? 4 : run->mmio.len);
        p->qual = run->mmio.is_write ? 2 : 1;
        exit->qualification = p->qual;
        if (run->mmio.is_write)
            memcpy(&p->value, run->mmio.data, p->size);
        return KVM_X_EXIT;
    }
    case KVM_EXIT_HLT:
        exit->reason = EXIT_HLT;
        exit->guest_eip = cpu->eip - 1; /* RIP is past the HLT */
        exit->instr_len = 1;
        return KVM_X_EXIT;
    case KVM_EXIT_SHUTDOWN: /* triple fault, SDM Vol. 3A §6.15 */
        exit->reason = EXIT_TRIPLE_FAULT;
        return KVM_X_EXIT;
    case KVM_EXIT_FAIL_ENTRY:
        exit->reason = EXIT_REASON_ENTRY_FAILURE | EXIT_ENTRY_FAIL_GUEST;
        snprintf(exit->message, sizeof exit->message,
                 "VM entry failed: hardware entry failure reason 0x%llx",
                 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        return KVM_X_EXIT;
    case KVM_EXIT_INTERNAL_ERROR:
        exit->reason = EXIT_VMM_ERROR;
        snprintf(exit->message, sizeof exit->message,
                 "KVM internal error, suberror %u (%s) at EIP 0x%08x", run->internal.suberror,
                 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ? "emulation failed"
                                                                        : "see linux/kvm.h",
                 cpu->eip);
        return KVM_X_ERROR;
    default:
        exit->reason = EXIT_VMM_ERROR;
        snprintf(exit->message, sizeof exit->message, "unexpected KVM exit %u at EIP 0x%08x",
                 run->exit_reason, cpu->eip);
        return KVM_X_ERROR;
    }
}

bool kvm_exit_needs_answer(const struct vm_exit *exit)
{
    return (exit->reason == EXIT_IO_INSTRUCTION && exit->u.io.in && !exit->u.io.string) ||
           (exit->reason == EXIT_EPT_MISCONFIG && exit->u.ept.size && !(exit->u.ept.qual & 2));
}

void kvm_exit_answer(struct kvm_run *run, const struct vm_exit *exit)
{
    if (exit->reason == EXIT_IO_INSTRUCTION)
        memcpy((uint8_t *)run + run->io.data_offset, &exit->u.io.value, run->io.size);
    else
        memcpy(run->mmio.data, &exit->u.ept.value, exit->u.ept.size);
}
