/*
 * vm_exit.h — why a guest stopped running and the VMM got control.
 *
 * Every engine (interp, bt, vmx model, kvm) reports in the terms of Intel
 * VT-x: the basic exit reason numbers of SDM Vol. 3C Appendix C and the exit
 * qualifications of SDM Vol. 3C §28.2.1 (Table 28-1 ff.).  One exit handler,
 * one trace format and one visualizer then serve every stage.
 */
#ifndef CORE_VM_EXIT_H
#define CORE_VM_EXIT_H

#include <stdint.h>
#include <stdbool.h>

/* The reasons some engine reports (or, for EPT, that the trace format
 * carries for stage 04); every other number of Table C-1 still has its
 * name in exit_reason_name (a trace may hold any). */
enum exit_reason { /* SDM Vol. 3C, Table C-1          */
                   EXIT_EXCEPTION_NMI = 0,
                   EXIT_EXTERNAL_INTERRUPT = 1,
                   EXIT_TRIPLE_FAULT = 2,
                   EXIT_INTERRUPT_WINDOW = 7,
                   EXIT_CPUID = 10,
                   EXIT_HLT = 12,
                   EXIT_INVLPG = 14,
                   EXIT_RDTSC = 16,
                   EXIT_VMCALL = 18, /* a hypercall (stage 02) */
                   EXIT_CR_ACCESS = 28,
                   EXIT_DR_ACCESS = 29,
                   EXIT_IO_INSTRUCTION = 30,
                   EXIT_RDMSR = 31,
                   EXIT_WRMSR = 32,
                   EXIT_ENTRY_FAIL_GUEST = 33, /* VM-entry failure: invalid guest state */
                   EXIT_ENTRY_FAIL_MSR = 34,
                   EXIT_MONITOR_TRAP_FLAG = 37, /* an exit after each instruction */
                   EXIT_GDTR_IDTR = 46,         /* LGDT/LIDT/SGDT/SIDT (descriptor-table exiting) */
                   EXIT_LDTR_TR = 47,           /* LLDT/LTR/SLDT/STR                      */
                   EXIT_EPT_VIOLATION = 48,
                   EXIT_EPT_MISCONFIG = 49,
                   EXIT_REASON_MAX = 65,
                   /* Not a VT-x reason: the engine could not go on (see message). */
                   EXIT_VMM_ERROR = 0x1001, /* engine-internal error, see message  */
                   /* Not a VT-x reason either: a sensitive instruction in ring 0
                    * while x86_cpu.pv_strict is set (stage 02, --pv-strict); the
                    * message names it, EIP is on it, it has not executed. */
                   EXIT_SENSITIVE = 0x1002,
};
#define EXIT_REASON_ENTRY_FAILURE 0x80000000u /* bit 31 of the exit reason  */

/* I/O instruction qualification, SDM Vol. 3C Table 28-5. */
struct exit_io {
    uint16_t port;
    uint8_t size; /* 1, 2 or 4 bytes                        */
    bool in;      /* direction: 1 = IN                      */
    bool string;  /* INS/OUTS                               */
    bool rep;
    uint32_t value; /* OUT: the value; IN: filled by the VMM  */
    /* String I/O the VMM performs (KVM hands over a batch of REP INS/OUTS
     * elements in its kvm_run page): count elements of size bytes at data,
     * which an IN fills.  Engines that emulate INS/OUTS themselves (through
     * vm_pio) never report string exits; data NULL = no buffer. */
    uint32_t count;
    void *data;
};

/* Control-register access qualification, SDM Vol. 3C Table 28-3. */
struct exit_cr {
    uint8_t cr;     /* 0, 3, 4 (8 n/a on 32-bit)               */
    uint8_t access; /* 0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW */
    uint8_t gpr;    /* register operand (0 = EAX ... 7 = EDI)  */
    uint32_t value; /* the value written (MOV to CR)           */
};

/* Exception or NMI, SDM Vol. 3C §28.2.2 (VM-exit interruption information). */
struct exit_exception {
    uint8_t vector;
    bool has_error;
    uint32_t error_code;
    uint32_t cr2; /* for #PF: the faulting linear address    */
};

/* EPT violation, SDM Vol. 3C Table 28-7 (used from stage 04 on), and EPT
 * misconfiguration (SDM §29.3.3.1): how a VT-x VMM sees MMIO — KVM marks
 * guest-physical pages without RAM with misconfigured entries, so an
 * access to a device there exits with reason 49.  For such an MMIO exit
 * size is the access size (0: not MMIO) and value the value written, or
 * for a read the one the VMM fills in (completed by the next run, as IN). */
struct exit_ept {
    uint64_t gpa;
    uint32_t gla;
    uint32_t qual; /* bit 0 read, 1 write, 2 fetch, 3-5 permissions */
    uint8_t size;
    uint32_t value;
};

struct vm_exit {
    uint32_t reason;        /* enum exit_reason, bit 31 for entry failures */
    uint32_t guest_eip;     /* EIP of the instruction that caused it       */
    uint32_t instr_len;     /* VM-exit instruction length, where defined   */
    uint64_t qualification; /* the raw SDM exit qualification            */
    union {
        struct exit_io io;
        struct exit_cr cr;
        struct exit_exception exc;
        struct exit_ept ept;
        uint32_t msr;     /* RDMSR/WRMSR: ECX             */
        uint32_t address; /* INVLPG: linear address       */
    } u;
    uint64_t cost_ns;  /* time the VMM spent handling it (filled by the core) */
    char message[160]; /* for VMM_ERROR / entry failures: what is wrong */
};

/* "HLT", "I/O instruction", ... as named in SDM Table C-1. */
const char *exit_reason_name(uint32_t reason);
/* One line, decoded: "I/O instruction out port=0x3f8 size=1 value=0x41". */
int exit_format(const struct vm_exit *e, char *buf, int len);

#endif
