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
 *   KVM_EXIT_DEBUG          37 monitor trap flag (--kvm-controls step)
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
    case KVM_EXIT_DEBUG: /* the VMM's single step (kvm.h): #DB with DR6.BS */
        if (run->debug.arch.exception == 1 && (run->debug.arch.dr6 & (1u << 14))) {
            exit->reason = EXIT_MONITOR_TRAP_FLAG;
            return KVM_X_EXIT;
        }
        exit->reason = EXIT_VMM_ERROR;
        snprintf(exit->message, sizeof exit->message,
                 "KVM_EXIT_DEBUG for exception %u (dr6 0x%llx) at EIP 0x%08x: not a single step",
                 run->debug.arch.exception, (unsigned long long)run->debug.arch.dr6, cpu->eip);
        return KVM_X_ERROR;
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

bool kvm_count_return(struct kvm_stats *st, int r, uint32_t reason)
{
    if (r < 0) { /* the signal came before the guest ran: no exit code */
        st->eintr++;
        st->kicks++;
        return true;
    }
    if (reason < KVM_EXIT_CODES)
        st->kvm_exits[reason]++;
    if (reason == KVM_EXIT_INTR) { /* the same, from inside the guest */
        st->kicks++;
        return true;
    }
    st->handed++;
    return false;
}

static const char *kvm_exit_name(unsigned r)
{
    static const char *n[] = {
        [KVM_EXIT_IO] = "IO",
        [KVM_EXIT_DEBUG] = "DEBUG",
        [KVM_EXIT_HLT] = "HLT",
        [KVM_EXIT_MMIO] = "MMIO",
        [KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
        [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
        [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
        [KVM_EXIT_INTR] = "INTR",
        [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
    };
    return r < sizeof n / sizeof n[0] && n[r] ? n[r] : "other";
}

void kvm_print_exit_stats(const struct kvm_stats *st, bool pvm, FILE *out)
{
    uint64_t returns = st->eintr;
    for (unsigned i = 0; i < KVM_EXIT_CODES; i++)
        returns += st->kvm_exits[i];
    fprintf(out, "kvm: KVM_RUN returns by KVM_EXIT_* code%s:\n", pvm ? " on KVM (PVM)" : "");
    for (unsigned i = 0; i < KVM_EXIT_CODES; i++)
        if (st->kvm_exits[i])
            fprintf(out, "kvm:   %-16s %10llu\n", kvm_exit_name(i),
                    (unsigned long long)st->kvm_exits[i]);
    fprintf(out,
            "kvm: %llu KVM_RUN returns = %llu exits handed to the VMM + %llu timer kicks "
            "(%llu EINTR, %llu KVM_EXIT_INTR); %llu stop exits without KVM_RUN\n",
            (unsigned long long)returns, (unsigned long long)st->handed,
            (unsigned long long)st->kicks, (unsigned long long)st->eintr,
            (unsigned long long)(st->kicks - st->eintr), (unsigned long long)st->stops);
    fprintf(out, "kvm: interrupts injected %llu, string I/O batches %llu\n",
            (unsigned long long)st->injected, (unsigned long long)st->string_io);
}
