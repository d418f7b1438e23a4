/*
 * cpu.h — the architectural state of one x86-32 virtual CPU.
 *
 * This is what every engine loads and stores: the interpreter works on it
 * directly, the binary translator keeps part of it in host registers, the
 * VMX model copies it to and from the VMCS guest-state area, KVM gets it
 * through KVM_GET/SET_REGS and _SREGS.  Layout follows SDM Vol. 3A ch. 2-3.
 */
#ifndef X86_CPU_H
#define X86_CPU_H

#include <stdint.h>
#include <stdbool.h>

enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI }; /* ModRM order */
enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_NSEG };             /* Sreg order  */

/* EFLAGS bits, SDM Vol. 1 §3.4.3. */
#define FL_CF     (1u << 0)
#define FL_PF     (1u << 2)
#define FL_AF     (1u << 4)
#define FL_ZF     (1u << 6)
#define FL_SF     (1u << 7)
#define FL_TF     (1u << 8)
#define FL_IF     (1u << 9)
#define FL_DF     (1u << 10)
#define FL_OF     (1u << 11)
#define FL_IOPL   (3u << 12)
#define FL_NT     (1u << 14)
#define FL_RF     (1u << 16)
#define FL_VM     (1u << 17)
#define FL_AC     (1u << 18)
#define FL_ID     (1u << 21)
#define FL_ARITH  (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
#define FL_FIXED1 (1u << 1) /* bit 1 always reads as 1 */

/* Control registers, SDM Vol. 3A §2.5. */
#define CR0_PE  (1u << 0)
#define CR0_MP  (1u << 1)
#define CR0_EM  (1u << 2)
#define CR0_TS  (1u << 3)
#define CR0_ET  (1u << 4)
#define CR0_NE  (1u << 5)
#define CR0_WP  (1u << 16)
#define CR0_AM  (1u << 18)
#define CR0_PG  (1u << 31)
#define CR4_TSD (1u << 2)
#define CR4_PSE (1u << 4)
#define CR4_PGE (1u << 7)

/* CR4.OSFXSR: the OS uses FXSAVE/FXRSTOR (SDM Vol. 3A §2.5). */
#define CR4_OSFXSR (1u << 9)

/* Exception vectors, SDM Vol. 3A Table 6-1. */
enum {
    EXC_DE = 0,
    EXC_DB = 1,
    EXC_NMI = 2,
    EXC_BP = 3,
    EXC_OF = 4,
    EXC_BR = 5,
    EXC_UD = 6,
    EXC_NM = 7,
    EXC_DF = 8,
    EXC_TS = 10,
    EXC_NP = 11,
    EXC_SS = 12,
    EXC_GP = 13,
    EXC_PF = 14,
    EXC_MF = 16,
    EXC_AC = 17,
    EXC_MC = 18,
    EXC_XM = 19,
};

/* A segment register with its hidden descriptor cache (SDM Vol. 3A §3.4.3). */
struct x86_seg {
    uint16_t sel;
    uint32_t base;
    uint32_t limit; /* byte granular, already scaled by G           */
    uint16_t attr;  /* descriptor bits 40-47 (type,S,DPL,P) | 52-55<<8 (AVL,L,D/B,G) */
};

/* Descriptor attribute bits as kept in x86_seg.attr (SDM Vol. 3A §3.4.5). */
#define DA_TYPE(a) ((a)&0xf)
#define DA_S       0x10 /* code/data (not system)                  */
#define DA_DPL(a)  ((int)(((a) >> 5) & 3))
#define DA_P       0x80
#define DA_DB      0x400
#define DA_G       0x800
#define DA_CODE    0x8 /* type bit 3 for S=1                      */
#define DA_CONF    0x4 /* conforming (code) / expand-down (data)   */
#define DA_RW      0x2 /* readable (code) / writable (data)        */
#define DA_ACC     0x1

struct x86_dtr { /* GDTR / IDTR */
    uint32_t base;
    uint16_t limit;
};

/* One x87 data register: 80-bit double extended precision (SDM Vol. 1
 * §4.2.2): 64-bit significand with explicit integer bit, sign and 15-bit
 * exponent in se. */
struct x87_reg {
    uint64_t sig;
    uint16_t se;
};

/* The x87 FPU (SDM Vol. 1 ch. 8, Figure 8-1): eight registers used as a
 * stack, ST(i) = r[(top + i) & 7]; the tag word kept in its abridged form
 * (bit i: physical register i is not empty; the full two-bit tags are
 * computed from the contents, as FNSTENV does); the last non-control
 * instruction's pointers and opcode (§8.1.8, §8.1.9); MXCSR, which only
 * FXSAVE/FXRSTOR see here (no SSE).  x86/fpu.h operates on it. */
struct x86_fpu {
    struct x87_reg r[8];
    uint16_t cw;  /* control word (§8.1.5)                     */
    uint16_t sw;  /* status word without TOP (§8.1.3)          */
    uint8_t top;  /* TOP, status word bits 11-13               */
    uint8_t full; /* abridged tags: bit i = R[i] not empty     */
    uint16_t fop; /* last opcode, 11 bits (§8.1.9)             */
    uint16_t fcs, fds;
    uint32_t fip, fdp;
    uint32_t mxcsr;
};

/* A VMM's additions to the CPU it shows its guest: CPUID leaves and MSRs
 * of its own (stage 02: KVM's paravirtual interface, 02-paravirt/kvm_pv.h),
 * asked before the plain i686 of x86/exec_sys.c answers.  Per vCPU, so
 * two VMs of one process can differ.  A NULL function is not asked. */
enum { X86_EXT_NONE = 0, X86_EXT_OK = 1, X86_EXT_GP = -1 }; /* not mine, done, #GP(0) */
struct x86_cpu_ext {
    bool (*cpuid)(void *ctx, uint32_t leaf, uint32_t out[4]); /* true: answered */
    int (*rdmsr)(void *ctx, uint32_t msr, uint64_t *v);       /* X86_EXT_*      */
    int (*wrmsr)(void *ctx, uint32_t msr, uint64_t v);        /* X86_EXT_*      */
    void *ctx;
};

struct x86_cpu {
    uint32_t gpr[8]; /* EAX..EDI in ModRM order                       */
    uint32_t eip;
    uint32_t eflags; /* architectural value (engines with lazy flags
                            must materialise it before anyone reads this) */
    struct x86_seg seg[S_NSEG];
    struct x86_seg ldtr, tr;
    struct x86_dtr gdtr, idtr;
    uint32_t cr0, cr2, cr3, cr4;
    uint32_t dr[8];
    uint64_t tsc_offset;                              /* guest TSC = host TSC + offset         */
    uint32_t sysenter_cs, sysenter_esp, sysenter_eip; /* MSRs 0x174-0x176 */
    uint32_t apic_base; /* IA32_APIC_BASE, MSR 0x1B (devices/lapic.h) */
    struct x86_fpu fpu; /* x87 state (x86/fpu.h)                   */
    bool halted;        /* HLT executed, waiting for an interrupt */
    /* Strict paravirtualization (stage 02's --pv-strict): a sensitive
     * instruction in ring 0 (interp_int.h, strict_exit) is not executed
     * but ends the run with EXIT_SENSITIVE naming it. */
    bool pv_strict;
    bool irq_shadow; /* blocking by STI / MOV SS (one instr.)  */
    /* The VMM's CPUID leaves and MSRs (NULL: the plain i686). */
    const struct x86_cpu_ext *ext;
};

static inline int x86_cpl(const struct x86_cpu *c) { return c->seg[S_CS].sel & 3; }

#endif
