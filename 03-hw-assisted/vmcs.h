/*
 * vmcs.h — a software VMCS (virtual-machine control structure), the data
 * structure through which a VMM programs Intel VT-x (SDM Vol. 3C ch. 25).
 *
 * Fields are named and encoded exactly as in SDM Vol. 3C Appendix B (the
 * names are those of Linux's arch/x86/include/asm/vmx.h), so what a student
 * writes with vmcs_write(v, GUEST_CR0, ...) here is what KVM writes with
 * vmcs_writel(GUEST_CR0, ...).  An encoding is itself structured (§25.11.2):
 *
 *    bit  0      access type (0 = full, 1 = high 32 bits of a 64-bit field)
 *    bits 9:1    index
 *    bits 11:10  type: 0 control, 1 VM-exit information (read-only),
 *                      2 guest state, 3 host state
 *    bits 14:13  width: 0 16-bit, 1 64-bit, 2 32-bit, 3 natural width
 *
 * Natural-width fields are 32 bits wide here: the modelled CPU is an IA-32
 * processor without Intel 64 (SDM §25.11.2: "natural width" = 32 bits).
 *
 * Chapter numbers are those of the 2023+ SDM (ch. 25 VMCS, 26 non-root
 * operation, 27 VM entries, 28 VM exits); older editions number them one
 * lower (24, 25, 26, 27).
 */
#ifndef HW_VMCS_H
#define HW_VMCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "x86/cpu.h"

enum vmcs_field {
    /* 16-bit control and guest-state fields (SDM App. B.1). */
    VIRTUAL_PROCESSOR_ID          = 0x0000,
    GUEST_ES_SELECTOR             = 0x0800,
    GUEST_CS_SELECTOR             = 0x0802,
    GUEST_SS_SELECTOR             = 0x0804,
    GUEST_DS_SELECTOR             = 0x0806,
    GUEST_FS_SELECTOR             = 0x0808,
    GUEST_GS_SELECTOR             = 0x080a,
    GUEST_LDTR_SELECTOR           = 0x080c,
    GUEST_TR_SELECTOR             = 0x080e,
    HOST_ES_SELECTOR              = 0x0c00,
    HOST_CS_SELECTOR              = 0x0c02,
    HOST_SS_SELECTOR              = 0x0c04,
    HOST_DS_SELECTOR              = 0x0c06,
    HOST_FS_SELECTOR              = 0x0c08,
    HOST_GS_SELECTOR              = 0x0c0a,
    HOST_TR_SELECTOR              = 0x0c0c,
    /* 64-bit fields (B.2). */
    IO_BITMAP_A                   = 0x2000,
    IO_BITMAP_B                   = 0x2002,
    MSR_BITMAP                    = 0x2004,
    VM_EXIT_MSR_STORE_ADDR        = 0x2006,
    VM_EXIT_MSR_LOAD_ADDR         = 0x2008,
    VM_ENTRY_MSR_LOAD_ADDR        = 0x200a,
    TSC_OFFSET                    = 0x2010,
    EPT_POINTER                   = 0x201a,
    GUEST_PHYSICAL_ADDRESS        = 0x2400,
    VMCS_LINK_POINTER             = 0x2800,
    GUEST_IA32_DEBUGCTL           = 0x2802,
    /* 32-bit fields (B.3). */
    PIN_BASED_VM_EXEC_CONTROL     = 0x4000,
    CPU_BASED_VM_EXEC_CONTROL     = 0x4002,
    EXCEPTION_BITMAP              = 0x4004,
    PAGE_FAULT_ERROR_CODE_MASK    = 0x4006,
    PAGE_FAULT_ERROR_CODE_MATCH   = 0x4008,
    CR3_TARGET_COUNT              = 0x400a,
    VM_EXIT_CONTROLS              = 0x400c,
    VM_EXIT_MSR_STORE_COUNT       = 0x400e,
    VM_EXIT_MSR_LOAD_COUNT        = 0x4010,
    VM_ENTRY_CONTROLS             = 0x4012,
    VM_ENTRY_MSR_LOAD_COUNT       = 0x4014,
    VM_ENTRY_INTR_INFO_FIELD      = 0x4016,
    VM_ENTRY_EXCEPTION_ERROR_CODE = 0x4018,
    VM_ENTRY_INSTRUCTION_LEN      = 0x401a,
    TPR_THRESHOLD                 = 0x401c,
    SECONDARY_VM_EXEC_CONTROL     = 0x401e,
    VM_INSTRUCTION_ERROR          = 0x4400,
    VM_EXIT_REASON                = 0x4402,
    VM_EXIT_INTR_INFO             = 0x4404,
    VM_EXIT_INTR_ERROR_CODE       = 0x4406,
    IDT_VECTORING_INFO_FIELD      = 0x4408,
    IDT_VECTORING_ERROR_CODE      = 0x440a,
    VM_EXIT_INSTRUCTION_LEN       = 0x440c,
    VMX_INSTRUCTION_INFO          = 0x440e,
    GUEST_ES_LIMIT                = 0x4800,
    GUEST_CS_LIMIT                = 0x4802,
    GUEST_SS_LIMIT                = 0x4804,
    GUEST_DS_LIMIT                = 0x4806,
    GUEST_FS_LIMIT                = 0x4808,
    GUEST_GS_LIMIT                = 0x480a,
    GUEST_LDTR_LIMIT              = 0x480c,
    GUEST_TR_LIMIT                = 0x480e,
    GUEST_GDTR_LIMIT              = 0x4810,
    GUEST_IDTR_LIMIT              = 0x4812,
    GUEST_ES_AR_BYTES             = 0x4814,
    GUEST_CS_AR_BYTES             = 0x4816,
    GUEST_SS_AR_BYTES             = 0x4818,
    GUEST_DS_AR_BYTES             = 0x481a,
    GUEST_FS_AR_BYTES             = 0x481c,
    GUEST_GS_AR_BYTES             = 0x481e,
    GUEST_LDTR_AR_BYTES           = 0x4820,
    GUEST_TR_AR_BYTES             = 0x4822,
    GUEST_INTERRUPTIBILITY_INFO   = 0x4824,
    GUEST_ACTIVITY_STATE          = 0x4826,
    GUEST_SYSENTER_CS             = 0x482a,
    HOST_IA32_SYSENTER_CS         = 0x4c00,
    /* Natural-width fields (B.4). */
    CR0_GUEST_HOST_MASK           = 0x6000,
    CR4_GUEST_HOST_MASK           = 0x6002,
    CR0_READ_SHADOW               = 0x6004,
    CR4_READ_SHADOW               = 0x6006,
    CR3_TARGET_VALUE0             = 0x6008,
    CR3_TARGET_VALUE1             = 0x600a,
    CR3_TARGET_VALUE2             = 0x600c,
    CR3_TARGET_VALUE3             = 0x600e,
    EXIT_QUALIFICATION            = 0x6400,
    GUEST_LINEAR_ADDRESS          = 0x640a,
    GUEST_CR0                     = 0x6800,
    GUEST_CR3                     = 0x6802,
    GUEST_CR4                     = 0x6804,
    GUEST_ES_BASE                 = 0x6806,
    GUEST_CS_BASE                 = 0x6808,
    GUEST_SS_BASE                 = 0x680a,
    GUEST_DS_BASE                 = 0x680c,
    GUEST_FS_BASE                 = 0x680e,
    GUEST_GS_BASE                 = 0x6810,
    GUEST_LDTR_BASE               = 0x6812,
    GUEST_TR_BASE                 = 0x6814,
    GUEST_GDTR_BASE               = 0x6816,
    GUEST_IDTR_BASE               = 0x6818,
    GUEST_DR7                     = 0x681a,
    GUEST_RSP                     = 0x681c,
    GUEST_RIP                     = 0x681e,
    GUEST_RFLAGS                  = 0x6820,
    GUEST_PENDING_DBG_EXCEPTIONS  = 0x6822,
    GUEST_SYSENTER_ESP            = 0x6824,
    GUEST_SYSENTER_EIP            = 0x6826,
    HOST_CR0                      = 0x6c00,
    HOST_CR3                      = 0x6c02,
    HOST_CR4                      = 0x6c04,
    HOST_FS_BASE                  = 0x6c06,
    HOST_GS_BASE                  = 0x6c08,
    HOST_TR_BASE                  = 0x6c0a,
    HOST_GDTR_BASE                = 0x6c0c,
    HOST_IDTR_BASE                = 0x6c0e,
    HOST_IA32_SYSENTER_ESP        = 0x6c10,
    HOST_IA32_SYSENTER_EIP        = 0x6c12,
    HOST_RSP                      = 0x6c14,
    HOST_RIP                      = 0x6c16,
};

/* The parts of an encoding (see the top of this file). */
#define VMCS_ENC_HIGH(enc)   ((enc) & 1u)
#define VMCS_ENC_INDEX(enc)  (((enc) >> 1) & 0x1ffu)
#define VMCS_ENC_TYPE(enc)   (((enc) >> 10) & 3u)
#define VMCS_ENC_WIDTH(enc)  (((enc) >> 13) & 3u)
enum { VMCS_TYPE_CONTROL, VMCS_TYPE_EXIT_INFO, VMCS_TYPE_GUEST, VMCS_TYPE_HOST };
enum { VMCS_WIDTH_16, VMCS_WIDTH_64, VMCS_WIDTH_32, VMCS_WIDTH_NATURAL };

/* Pin-based VM-execution controls, SDM Vol. 3C Table 25-5. */
#define PIN_BASED_EXT_INTR_MASK          (1u << 0)   /* external-interrupt exiting */
#define PIN_BASED_NMI_EXITING            (1u << 3)
#define PIN_BASED_VIRTUAL_NMIS           (1u << 5)
/* Primary processor-based VM-execution controls, Table 25-6. */
#define CPU_BASED_INTR_WINDOW_EXITING    (1u << 2)
#define CPU_BASED_USE_TSC_OFFSETTING     (1u << 3)
#define CPU_BASED_HLT_EXITING            (1u << 7)
#define CPU_BASED_INVLPG_EXITING         (1u << 9)
#define CPU_BASED_MWAIT_EXITING          (1u << 10)
#define CPU_BASED_RDPMC_EXITING          (1u << 11)
#define CPU_BASED_RDTSC_EXITING          (1u << 12)
#define CPU_BASED_CR3_LOAD_EXITING       (1u << 15)
#define CPU_BASED_CR3_STORE_EXITING      (1u << 16)
#define CPU_BASED_CR8_LOAD_EXITING       (1u << 19)
#define CPU_BASED_CR8_STORE_EXITING      (1u << 20)
#define CPU_BASED_TPR_SHADOW             (1u << 21)
#define CPU_BASED_NMI_WINDOW_EXITING     (1u << 22)
#define CPU_BASED_MOV_DR_EXITING         (1u << 23)
#define CPU_BASED_UNCOND_IO_EXITING      (1u << 24)
#define CPU_BASED_USE_IO_BITMAPS         (1u << 25)
#define CPU_BASED_MONITOR_TRAP_FLAG      (1u << 27)
#define CPU_BASED_USE_MSR_BITMAPS        (1u << 28)
#define CPU_BASED_MONITOR_EXITING        (1u << 29)
#define CPU_BASED_PAUSE_EXITING          (1u << 30)
#define CPU_BASED_ACTIVATE_SECONDARY_CONTROLS (1u << 31)
/* Secondary processor-based VM-execution controls, Table 25-7. */
#define SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES (1u << 0)
#define SECONDARY_EXEC_ENABLE_EPT        (1u << 1)   /* stage 04 builds real EPT tables */
#define SECONDARY_EXEC_DESC              (1u << 2)   /* descriptor-table exiting */
#define SECONDARY_EXEC_ENABLE_RDTSCP     (1u << 3)
#define SECONDARY_EXEC_ENABLE_VPID       (1u << 5)
#define SECONDARY_EXEC_WBINVD_EXITING    (1u << 6)
#define SECONDARY_EXEC_UNRESTRICTED_GUEST (1u << 7)
/* VM-exit controls (Table 25-13) and VM-entry controls (Table 25-15). */
#define VM_EXIT_SAVE_DEBUG_CONTROLS      (1u << 2)
#define VM_EXIT_HOST_ADDR_SPACE_SIZE     (1u << 9)
#define VM_EXIT_ACK_INTR_ON_EXIT         (1u << 15)
#define VM_ENTRY_LOAD_DEBUG_CONTROLS     (1u << 2)
#define VM_ENTRY_IA32E_MODE              (1u << 9)

/* VM-entry interruption-information field (§25.8.3) and VM-exit
 * interruption information (§25.9.2): vector, type, error code valid, valid. */
#define INTR_INFO_VECTOR_MASK      0xffu
#define INTR_INFO_TYPE_SHIFT       8
#define INTR_TYPE_EXT_INTR         0u
#define INTR_TYPE_NMI              2u
#define INTR_TYPE_HARD_EXCEPTION   3u
#define INTR_TYPE_SOFT_EXCEPTION   6u
#define INTR_INFO_DELIVER_CODE     (1u << 11)
#define INTR_INFO_VALID            (1u << 31)

/* Guest activity state (§25.4.2) and interruptibility state (Table 25-3). */
enum { GUEST_ACTIVITY_ACTIVE = 0, GUEST_ACTIVITY_HLT = 1, GUEST_ACTIVITY_SHUTDOWN = 2,
       GUEST_ACTIVITY_WAIT_SIPI = 3 };
#define GUEST_INTR_STATE_STI       (1u << 0)
#define GUEST_INTR_STATE_MOV_SS    (1u << 1)

/* Access rights of a segment in the VMCS (Table 25-2): descriptor bits
 * 40-47 in 7:0, bits 52-55 in 15:12, and "segment unusable" in bit 16. */
#define VMX_AR_UNUSABLE            (1u << 16)

/* VM-instruction error numbers (SDM Vol. 3C §31.4, Table 31-1). */
enum {
    VMXERR_VMLAUNCH_NONCLEAR_VMCS    = 4,
    VMXERR_VMRESUME_NONLAUNCHED_VMCS = 5,
    VMXERR_ENTRY_INVALID_CONTROL_FIELD = 7,
    VMXERR_ENTRY_INVALID_HOST_STATE_FIELD = 8,
    VMXERR_UNSUPPORTED_VMCS_COMPONENT = 12,
    VMXERR_VMWRITE_READ_ONLY_VMCS_COMPONENT = 13,
};
/* Exit qualification of a VM-entry failure (§27.8). */
enum { ENTRY_FAIL_DEFAULT = 0, ENTRY_FAIL_VMCS_LINK_PTR = 4 };

/* The VMX capability MSRs of the modelled CPU (SDM Vol. 3C App. A): for each
 * control field, the low 32 bits are the allowed 0-settings (a 1 there = the
 * bit must be 1) and the high 32 bits the allowed 1-settings (a 0 there = the
 * bit must be 0).  IA32_VMX_BASIC bit 55 = 1: the TRUE_* MSRs apply. */
struct vmx_caps {
    uint64_t basic;                  /* IA32_VMX_BASIC            0x480 */
    uint64_t pinbased;               /* IA32_VMX_TRUE_PINBASED_CTLS  0x48d */
    uint64_t procbased;              /* IA32_VMX_TRUE_PROCBASED_CTLS 0x48e */
    uint64_t procbased2;             /* IA32_VMX_PROCBASED_CTLS2     0x48b */
    uint64_t exit;                   /* IA32_VMX_TRUE_EXIT_CTLS      0x48f */
    uint64_t entry;                  /* IA32_VMX_TRUE_ENTRY_CTLS     0x490 */
    uint32_t cr0_fixed0, cr0_fixed1; /* IA32_VMX_CR0_FIXED0/1     0x486/7 */
    uint32_t cr4_fixed0, cr4_fixed1; /* IA32_VMX_CR4_FIXED0/1     0x488/9 */
};
extern const struct vmx_caps vmx_model_caps;

#define VMCS_NFIELDS 128

/* One VMCS region.  Values are kept per field (the layout of a real VMCS
 * region in memory is implementation-specific and not architectural). */
struct vmcs {
    uint32_t revision_id;            /* bits 30:0 of IA32_VMX_BASIC          */
    bool     launched;               /* launch state: "clear" or "launched"  */
    uint64_t val[VMCS_NFIELDS];      /* indexed like the field table (vmcs.c) */
};

/* Name <-> encoding.  NULL / -1 for fields this model does not have. */
const char *vmcs_field_name(uint32_t enc);
long        vmcs_field_by_name(const char *name);  /* also accepts "0x6800" */
unsigned    vmcs_field_bits(uint32_t enc);         /* 16, 32 or 64 (natural = 32) */

/* VMCLEAR: all fields zero, launch state clear. */
void vmcs_clear(struct vmcs *v);
/* VMWRITE / VMREAD as the instructions behave (SDM Vol. 3C ch. 31):
 * 0 on success, otherwise the VM-instruction error number (12 unsupported
 * component, 13 VMWRITE to a read-only field).  Values are truncated to the
 * field width; enc | 1 (high access) reaches bits 63:32 of a 64-bit field. */
int vmcs_write(struct vmcs *v, uint32_t enc, uint64_t value);
int vmcs_read(const struct vmcs *v, uint32_t enc, uint64_t *value);
/* For the modelled processor itself (which also fills read-only fields)
 * and for code that knows the field exists: no checks, no errors. */
uint64_t vmcs_get(const struct vmcs *v, uint32_t enc);
void     vmcs_set(struct vmcs *v, uint32_t enc, uint64_t value);

/* Guest-state area <-> architectural state (§25.4).  Selector, base, limit
 * and access-rights fields are laid out in the same order (ES CS SS DS FS
 * GS LDTR TR) in each group, 2 apart: SEG_FIELD(GUEST_ES_LIMIT, S_CS). */
#define SEG_FIELD(first_es, i) ((uint32_t)(first_es) + 2u * (uint32_t)(i))
void vmcs_save_guest(struct vmcs *v, const struct x86_cpu *c);
void vmcs_load_guest(const struct vmcs *v, struct x86_cpu *c);
uint32_t vmcs_seg_ar(const struct x86_seg *s, bool usable);

/* Names of the control bits set in a control field ("HLT_EXITING|..."). */
int vmcs_control_names(uint32_t enc, uint32_t value, char *buf, size_t len);
/* The name of bit `bit` of a control field, NULL if it has none here. */
const char *vmcs_control_bit_name(uint32_t enc, int bit);
/* Every nonzero field, grouped by type, with names and decoded controls. */
void vmcs_dump(const struct vmcs *v, FILE *out);

#endif
