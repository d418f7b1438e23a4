/*
 * vmcs.c — the software VMCS: field table, VMREAD/VMWRITE, the guest-state
 * area <-> struct x86_cpu, control-bit names, a dump (SDM Vol. 3C ch. 25).
 * The VM-entry checks are in vmcs_check.c.
 */
#include "03-hw-assisted/vmcs.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define F(name) { name, #name }
static const struct { uint32_t enc; const char *name; } fields[] = {
    F(VIRTUAL_PROCESSOR_ID),
    F(GUEST_ES_SELECTOR), F(GUEST_CS_SELECTOR), F(GUEST_SS_SELECTOR), F(GUEST_DS_SELECTOR),
    F(GUEST_FS_SELECTOR), F(GUEST_GS_SELECTOR), F(GUEST_LDTR_SELECTOR), F(GUEST_TR_SELECTOR),
    F(HOST_ES_SELECTOR), F(HOST_CS_SELECTOR), F(HOST_SS_SELECTOR), F(HOST_DS_SELECTOR),
    F(HOST_FS_SELECTOR), F(HOST_GS_SELECTOR), F(HOST_TR_SELECTOR),
    F(IO_BITMAP_A), F(IO_BITMAP_B), F(MSR_BITMAP), F(VM_EXIT_MSR_STORE_ADDR),
    F(VM_EXIT_MSR_LOAD_ADDR), F(VM_ENTRY_MSR_LOAD_ADDR), F(TSC_OFFSET), F(EPT_POINTER),
    F(GUEST_PHYSICAL_ADDRESS), F(VMCS_LINK_POINTER), F(GUEST_IA32_DEBUGCTL),
    F(PIN_BASED_VM_EXEC_CONTROL), F(CPU_BASED_VM_EXEC_CONTROL), F(EXCEPTION_BITMAP),
    F(PAGE_FAULT_ERROR_CODE_MASK), F(PAGE_FAULT_ERROR_CODE_MATCH), F(CR3_TARGET_COUNT),
    F(VM_EXIT_CONTROLS), F(VM_EXIT_MSR_STORE_COUNT), F(VM_EXIT_MSR_LOAD_COUNT),
    F(VM_ENTRY_CONTROLS), F(VM_ENTRY_MSR_LOAD_COUNT), F(VM_ENTRY_INTR_INFO_FIELD),
    F(VM_ENTRY_EXCEPTION_ERROR_CODE), F(VM_ENTRY_INSTRUCTION_LEN), F(TPR_THRESHOLD),
    F(SECONDARY_VM_EXEC_CONTROL),
    F(VM_INSTRUCTION_ERROR), F(VM_EXIT_REASON), F(VM_EXIT_INTR_INFO),
    F(VM_EXIT_INTR_ERROR_CODE), F(IDT_VECTORING_INFO_FIELD), F(IDT_VECTORING_ERROR_CODE),
    F(VM_EXIT_INSTRUCTION_LEN), F(VMX_INSTRUCTION_INFO),
    F(GUEST_ES_LIMIT), F(GUEST_CS_LIMIT), F(GUEST_SS_LIMIT), F(GUEST_DS_LIMIT),
    F(GUEST_FS_LIMIT), F(GUEST_GS_LIMIT), F(GUEST_LDTR_LIMIT), F(GUEST_TR_LIMIT),
    F(GUEST_GDTR_LIMIT), F(GUEST_IDTR_LIMIT),
    F(GUEST_ES_AR_BYTES), F(GUEST_CS_AR_BYTES), F(GUEST_SS_AR_BYTES), F(GUEST_DS_AR_BYTES),
    F(GUEST_FS_AR_BYTES), F(GUEST_GS_AR_BYTES), F(GUEST_LDTR_AR_BYTES), F(GUEST_TR_AR_BYTES),
    F(GUEST_INTERRUPTIBILITY_INFO), F(GUEST_ACTIVITY_STATE), F(GUEST_SYSENTER_CS),
    F(HOST_IA32_SYSENTER_CS),
    F(CR0_GUEST_HOST_MASK), F(CR4_GUEST_HOST_MASK), F(CR0_READ_SHADOW), F(CR4_READ_SHADOW),
    F(CR3_TARGET_VALUE0), F(CR3_TARGET_VALUE1), F(CR3_TARGET_VALUE2), F(CR3_TARGET_VALUE3),
    F(EXIT_QUALIFICATION), F(GUEST_LINEAR_ADDRESS),
    F(GUEST_CR0), F(GUEST_CR3), F(GUEST_CR4),
    F(GUEST_ES_BASE), F(GUEST_CS_BASE), F(GUEST_SS_BASE), F(GUEST_DS_BASE),
    F(GUEST_FS_BASE), F(GUEST_GS_BASE), F(GUEST_LDTR_BASE), F(GUEST_TR_BASE),
    F(GUEST_GDTR_BASE), F(GUEST_IDTR_BASE), F(GUEST_DR7), F(GUEST_RSP), F(GUEST_RIP),
    F(GUEST_RFLAGS), F(GUEST_PENDING_DBG_EXCEPTIONS), F(GUEST_SYSENTER_ESP),
    F(GUEST_SYSENTER_EIP),
    F(HOST_CR0), F(HOST_CR3), F(HOST_CR4), F(HOST_FS_BASE), F(HOST_GS_BASE),
    F(HOST_TR_BASE), F(HOST_GDTR_BASE), F(HOST_IDTR_BASE), F(HOST_IA32_SYSENTER_ESP),
    F(HOST_IA32_SYSENTER_EIP), F(HOST_RSP), F(HOST_RIP),
};
#undef F
#define NFIELDS ((int)(sizeof fields / sizeof fields[0]))
_Static_assert(sizeof fields / sizeof fields[0] <= VMCS_NFIELDS, "VMCS_NFIELDS too small");

/* A CPU like a Core i7 of the Nehalem/Westmere generation as far as the
 * controls this stage models go (others are not offered: their allowed-1
 * bit is 0).  Bits that must be 1 are the "default1" classes of SDM App.
 * A.2: pin 1,2,4; primary 1,4-6,8,13,14,26 (CR3-load/store exiting may be
 * 0 through the TRUE MSR); exit 0,1,3-8,10,11,13,14,16,17; entry 0,1,3-8,12.
 * Enable EPT and unrestricted guest are offered: the software engine
 * addresses guest-physical memory directly, which is what EPT with an
 * identity map gives; stage 04 builds and walks real EPT tables. */
#define PIN_DEFAULT1   0x00000016u
#define PROC_DEFAULT1  0x04006172u
#define EXIT_DEFAULT1  0x00036dfbu
#define ENTRY_DEFAULT1 0x000011fbu
#define CAP(allowed0, allowed1) ((uint64_t)(allowed1) << 32 | (allowed0))
const struct vmx_caps vmx_model_caps = {
    .basic      = (1ull << 55) | (1ull << 54) /* INS/OUTS info */ | (4096ull << 32) | 1,
    .pinbased   = CAP(PIN_DEFAULT1, PIN_DEFAULT1 | PIN_BASED_EXT_INTR_MASK |
                      PIN_BASED_NMI_EXITING | PIN_BASED_VIRTUAL_NMIS),
    .procbased  = CAP(PROC_DEFAULT1, PROC_DEFAULT1 | CPU_BASED_INTR_WINDOW_EXITING |
                      CPU_BASED_USE_TSC_OFFSETTING | CPU_BASED_HLT_EXITING |
                      CPU_BASED_INVLPG_EXITING | CPU_BASED_RDTSC_EXITING |
                      CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |
                      CPU_BASED_MOV_DR_EXITING | CPU_BASED_UNCOND_IO_EXITING |
                      CPU_BASED_USE_IO_BITMAPS | CPU_BASED_USE_MSR_BITMAPS |
                      CPU_BASED_ACTIVATE_SECONDARY_CONTROLS),
    .procbased2 = CAP(0, SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID |
                        SECONDARY_EXEC_UNRESTRICTED_GUEST),
    .exit       = CAP(EXIT_DEFAULT1, EXIT_DEFAULT1 | VM_EXIT_SAVE_DEBUG_CONTROLS |
                      VM_EXIT_ACK_INTR_ON_EXIT),
    .entry      = CAP(ENTRY_DEFAULT1, ENTRY_DEFAULT1 | VM_ENTRY_LOAD_DEBUG_CONTROLS),
    .cr0_fixed0 = CR0_PG | CR0_NE | CR0_PE,          /* 0x80000021 on every VT-x CPU */
    .cr0_fixed1 = 0xffffffffu,
    .cr4_fixed0 = 1u << 13,                          /* CR4.VMXE */
    .cr4_fixed1 = 0x000027ffu,
};

/* Encoding -> position in fields[].  A VMCS encoding is at most 15 bits
 * (SDM Vol. 3C App. B: access type, index, type, width), so a direct table
 * replaces a search on every VMREAD/VMWRITE.  It is built once, is never
 * written afterwards and holds no VM state. */
static int16_t enc_index[1u << 15];

__attribute__((constructor)) static void build_enc_index(void)
{
    for (size_t i = 0; i < sizeof enc_index / sizeof enc_index[0]; i++)
        enc_index[i] = -1;
    for (int i = 0; i < NFIELDS; i++)
        enc_index[fields[i].enc] = (int16_t)i;
}

static int field_index(uint32_t enc)
{
    return enc < (1u << 15) ? enc_index[enc] : -1;
}

const char *vmcs_field_name(uint32_t enc)
{
    int i = field_index(enc & ~1u);
    if (i < 0 || (VMCS_ENC_HIGH(enc) && VMCS_ENC_WIDTH(enc) != VMCS_WIDTH_64))
        return NULL;
    return fields[i].name;
}

long vmcs_field_by_name(const char *name)
{
    for (int i = 0; i < NFIELDS; i++)
        if (strcasecmp(fields[i].name, name) == 0)
            return fields[i].enc;
    char *end;
    unsigned long v = strtoul(name, &end, 0);
    if (*name && !*end && field_index((uint32_t)v) >= 0)
        return (long)v;
    return -1;
}

unsigned vmcs_field_bits(uint32_t enc)
{
    switch (VMCS_ENC_WIDTH(enc)) {
    case VMCS_WIDTH_16: return 16;
    case VMCS_WIDTH_64: return VMCS_ENC_HIGH(enc) ? 32 : 64;
    default:            return 32;       /* 32-bit, and natural on IA-32 */
    }
}

static uint64_t width_mask(uint32_t enc)
{
    unsigned b = vmcs_field_bits(enc);
    return b == 64 ? ~0ull : (1ull << b) - 1;
}

void vmcs_clear(struct vmcs *v)
{
    memset(v, 0, sizeof *v);
    v->revision_id = (uint32_t)(vmx_model_caps.basic & 0x7fffffff);
}

int vmcs_read(const struct vmcs *v, uint32_t enc, uint64_t *value)
{
    if (!vmcs_field_name(enc))
        return VMXERR_UNSUPPORTED_VMCS_COMPONENT;
    uint64_t x = v->val[field_index(enc & ~1u)];
    *value = VMCS_ENC_HIGH(enc) ? x >> 32 : x;
    return 0;
}

int vmcs_write(struct vmcs *v, uint32_t enc, uint64_t value)
{
    if (!vmcs_field_name(enc))
        return VMXERR_UNSUPPORTED_VMCS_COMPONENT;
    if (VMCS_ENC_TYPE(enc) == VMCS_TYPE_EXIT_INFO)   /* no "VMWRITE any field" here */
        return VMXERR_VMWRITE_READ_ONLY_VMCS_COMPONENT;
    uint64_t *x = &v->val[field_index(enc & ~1u)];
    if (VMCS_ENC_HIGH(enc))
        *x = (*x & 0xffffffffull) | (value & 0xffffffffull) << 32;
    else
        *x = value & width_mask(enc);
    return 0;
}

uint64_t vmcs_get(const struct vmcs *v, uint32_t enc) { return v->val[field_index(enc)]; }
void vmcs_set(struct vmcs *v, uint32_t enc, uint64_t value)
{
    v->val[field_index(enc)] = value & width_mask(enc);
}

/* ---- guest-state area ------------------------------------------------------ */

uint32_t vmcs_seg_ar(const struct x86_seg *s, bool usable)
{
    if (!usable)
        return VMX_AR_UNUSABLE;
    return (s->attr & 0xffu) | ((uint32_t)(s->attr & 0xf00u) << 4);
}
static uint16_t ar_to_attr(uint32_t ar) { return (uint16_t)((ar & 0xffu) | ((ar >> 4) & 0xf00u)); }

static void save_seg(struct vmcs *v, int i, const struct x86_seg *s, bool usable)
{
    vmcs_set(v, SEG_FIELD(GUEST_ES_SELECTOR, i), s->sel);
    vmcs_set(v, SEG_FIELD(GUEST_ES_BASE, i), s->base);
    vmcs_set(v, SEG_FIELD(GUEST_ES_LIMIT, i), s->limit);
    vmcs_set(v, SEG_FIELD(GUEST_ES_AR_BYTES, i), vmcs_seg_ar(s, usable));
}
static void load_seg(const struct vmcs *v, int i, struct x86_seg *s)
{
    s->sel = (uint16_t)vmcs_get(v, SEG_FIELD(GUEST_ES_SELECTOR, i));
    s->base = (uint32_t)vmcs_get(v, SEG_FIELD(GUEST_ES_BASE, i));
    s->limit = (uint32_t)vmcs_get(v, SEG_FIELD(GUEST_ES_LIMIT, i));
    uint32_t ar = (uint32_t)vmcs_get(v, SEG_FIELD(GUEST_ES_AR_BYTES, i));
    s->attr = (ar & VMX_AR_UNUSABLE) ? 0 : ar_to_attr(ar);
}

void vmcs_save_guest(struct vmcs *v, const struct x86_cpu *c)
{
    for (int i = 0; i < S_NSEG; i++)     /* a null data selector is "unusable" */
        save_seg(v, i, &c->seg[i], i == S_CS || (c->seg[i].sel & 0xfffc) || (c->seg[i].attr & 0x80));
    save_seg(v, 6, &c->ldtr, (c->ldtr.sel & 0xfffc) != 0);
    save_seg(v, 7, &c->tr, true);
    vmcs_set(v, GUEST_GDTR_BASE, c->gdtr.base);
    vmcs_set(v, GUEST_GDTR_LIMIT, c->gdtr.limit);
    vmcs_set(v, GUEST_IDTR_BASE, c->idtr.base);
    vmcs_set(v, GUEST_IDTR_LIMIT, c->idtr.limit);
    vmcs_set(v, GUEST_CR0, c->cr0);
    vmcs_set(v, GUEST_CR3, c->cr3);
    vmcs_set(v, GUEST_CR4, c->cr4);
    vmcs_set(v, GUEST_DR7, c->dr[7]);
    vmcs_set(v, GUEST_RSP, c->gpr[R_ESP]);
    vmcs_set(v, GUEST_RIP, c->eip);
    vmcs_set(v, GUEST_RFLAGS, c->eflags);
    vmcs_set(v, GUEST_SYSENTER_CS, c->sysenter_cs);
    vmcs_set(v, GUEST_SYSENTER_ESP, c->sysenter_esp);
    vmcs_set(v, GUEST_SYSENTER_EIP, c->sysenter_eip);
    vmcs_set(v, TSC_OFFSET, c->tsc_offset);
    vmcs_set(v, GUEST_ACTIVITY_STATE, c->halted ? GUEST_ACTIVITY_HLT : GUEST_ACTIVITY_ACTIVE);
    vmcs_set(v, GUEST_INTERRUPTIBILITY_INFO, c->irq_shadow ? GUEST_INTR_STATE_STI : 0);
}

void vmcs_load_guest(const struct vmcs *v, struct x86_cpu *c)
{
    for (int i = 0; i < S_NSEG; i++)
        load_seg(v, i, &c->seg[i]);
    load_seg(v, 6, &c->ldtr);
    load_seg(v, 7, &c->tr);
    c->gdtr.base = (uint32_t)vmcs_get(v, GUEST_GDTR_BASE);
    c->gdtr.limit = (uint16_t)vmcs_get(v, GUEST_GDTR_LIMIT);
    c->idtr.base = (uint32_t)vmcs_get(v, GUEST_IDTR_BASE);
    c->idtr.limit = (uint16_t)vmcs_get(v, GUEST_IDTR_LIMIT);
    c->cr0 = (uint32_t)vmcs_get(v, GUEST_CR0);
    c->cr3 = (uint32_t)vmcs_get(v, GUEST_CR3);
    c->cr4 = (uint32_t)vmcs_get(v, GUEST_CR4);
    c->dr[7] = (uint32_t)vmcs_get(v, GUEST_DR7);
    c->gpr[R_ESP] = (uint32_t)vmcs_get(v, GUEST_RSP);
    c->eip = (uint32_t)vmcs_get(v, GUEST_RIP);
    c->eflags = (uint32_t)vmcs_get(v, GUEST_RFLAGS);
    c->sysenter_cs = (uint32_t)vmcs_get(v, GUEST_SYSENTER_CS);
    c->sysenter_esp = (uint32_t)vmcs_get(v, GUEST_SYSENTER_ESP);
    c->sysenter_eip = (uint32_t)vmcs_get(v, GUEST_SYSENTER_EIP);
    c->tsc_offset = vmcs_get(v, TSC_OFFSET);
    c->halted = vmcs_get(v, GUEST_ACTIVITY_STATE) == GUEST_ACTIVITY_HLT;
    c->irq_shadow = (vmcs_get(v, GUEST_INTERRUPTIBILITY_INFO) &
                     (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)) != 0;
}

/* ---- control bit names ------------------------------------------------------ */

struct bitname { uint32_t bit; const char *name; };
static const struct bitname pin_names[] = {
    { PIN_BASED_EXT_INTR_MASK, "EXTERNAL_INTERRUPT_EXITING" },
    { PIN_BASED_NMI_EXITING, "NMI_EXITING" }, { PIN_BASED_VIRTUAL_NMIS, "VIRTUAL_NMIS" },
    { 0, NULL } };
static const struct bitname proc_names[] = {
    { CPU_BASED_INTR_WINDOW_EXITING, "INTERRUPT_WINDOW_EXITING" },
    { CPU_BASED_USE_TSC_OFFSETTING, "USE_TSC_OFFSETTING" },
    { CPU_BASED_HLT_EXITING, "HLT_EXITING" }, { CPU_BASED_INVLPG_EXITING, "INVLPG_EXITING" },
    { CPU_BASED_MWAIT_EXITING, "MWAIT_EXITING" }, { CPU_BASED_RDPMC_EXITING, "RDPMC_EXITING" },
    { CPU_BASED_RDTSC_EXITING, "RDTSC_EXITING" },
    { CPU_BASED_CR3_LOAD_EXITING, "CR3_LOAD_EXITING" },
    { CPU_BASED_CR3_STORE_EXITING, "CR3_STORE_EXITING" },
    { CPU_BASED_CR8_LOAD_EXITING, "CR8_LOAD_EXITING" },
    { CPU_BASED_CR8_STORE_EXITING, "CR8_STORE_EXITING" },
    { CPU_BASED_TPR_SHADOW, "USE_TPR_SHADOW" },
    { CPU_BASED_NMI_WINDOW_EXITING, "NMI_WINDOW_EXITING" },
    { CPU_BASED_MOV_DR_EXITING, "MOV_DR_EXITING" },
    { CPU_BASED_UNCOND_IO_EXITING, "UNCONDITIONAL_IO_EXITING" },
    { CPU_BASED_USE_IO_BITMAPS, "USE_IO_BITMAPS" },
    { CPU_BASED_MONITOR_TRAP_FLAG, "MONITOR_TRAP_FLAG" },
    { CPU_BASED_USE_MSR_BITMAPS, "USE_MSR_BITMAPS" },
    { CPU_BASED_MONITOR_EXITING, "MONITOR_EXITING" },
    { CPU_BASED_PAUSE_EXITING, "PAUSE_EXITING" },
    { CPU_BASED_ACTIVATE_SECONDARY_CONTROLS, "ACTIVATE_SECONDARY_CONTROLS" },
    { 0, NULL } };
static const struct bitname proc2_names[] = {
    { SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES, "VIRTUALIZE_APIC_ACCESSES" },
    { SECONDARY_EXEC_ENABLE_EPT, "ENABLE_EPT" },
    { SECONDARY_EXEC_DESC, "DESCRIPTOR_TABLE_EXITING" },
    { SECONDARY_EXEC_ENABLE_RDTSCP, "ENABLE_RDTSCP" },
    { SECONDARY_EXEC_ENABLE_VPID, "ENABLE_VPID" },
    { SECONDARY_EXEC_WBINVD_EXITING, "WBINVD_EXITING" },
    { SECONDARY_EXEC_UNRESTRICTED_GUEST, "UNRESTRICTED_GUEST" },
    { 0, NULL } };
static const struct bitname exit_names[] = {
    { VM_EXIT_SAVE_DEBUG_CONTROLS, "SAVE_DEBUG_CONTROLS" },
    { VM_EXIT_HOST_ADDR_SPACE_SIZE, "HOST_ADDRESS_SPACE_SIZE" },
    { VM_EXIT_ACK_INTR_ON_EXIT, "ACKNOWLEDGE_INTERRUPT_ON_EXIT" }, { 0, NULL } };
static const struct bitname entry_names[] = {
    { VM_ENTRY_LOAD_DEBUG_CONTROLS, "LOAD_DEBUG_CONTROLS" },
    { VM_ENTRY_IA32E_MODE, "IA32E_MODE_GUEST" }, { 0, NULL } };

static const struct bitname *names_for(uint32_t enc)
{
    switch (enc) {
    case PIN_BASED_VM_EXEC_CONTROL: return pin_names;
    case CPU_BASED_VM_EXEC_CONTROL: return proc_names;
    case SECONDARY_VM_EXEC_CONTROL: return proc2_names;
    case VM_EXIT_CONTROLS:          return exit_names;
    case VM_ENTRY_CONTROLS:         return entry_names;
    default:                        return NULL;
    }
}

const char *vmcs_control_bit_name(uint32_t enc, int bit)
{
    const struct bitname *n = names_for(enc);
    for (; n && n->name; n++)
        if (n->bit == 1u << bit)
            return n->name;
    return NULL;
}

int vmcs_control_names(uint32_t enc, uint32_t value, char *buf, size_t len)
{
    int n = 0;
    buf[0] = 0;
    for (int b = 0; b < 32; b++) {
        if (!(value & (1u << b)))
            continue;
        const char *name = vmcs_control_bit_name(enc, b);
        char tmp[16];
        if (!name) {
            snprintf(tmp, sizeof tmp, "bit%d", b);
            name = tmp;
        }
        n += snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0, "%s%s", n ? "|" : "", name);
    }
    return n;
}

/* ---- dump -------------------------------------------------------------------- */

void vmcs_dump(const struct vmcs *v, FILE *out)
{
    static const char *const types[4] = { "control fields", "VM-exit information fields",
                                          "guest-state area", "host-state area" };
    fprintf(out, "VMCS (revision %u, launch state %s):\n", v->revision_id,
            v->launched ? "launched" : "clear");
    for (unsigned t = 0; t < 4; t++) {
        fprintf(out, "  -- %s --\n", types[t]);
        for (int i = 0; i < NFIELDS; i++) {
            uint32_t enc = fields[i].enc;
            if (VMCS_ENC_TYPE(enc) != t || (!v->val[i] && enc != VMCS_LINK_POINTER))
                continue;
            char names[512] = "";
            if (names_for(enc))
                vmcs_control_names(enc, (uint32_t)v->val[i], names, sizeof names);
            fprintf(out, "  %-30s 0x%04x = 0x%08llx%s%s\n", fields[i].name, enc,
                    (unsigned long long)v->val[i], names[0] ? "  " : "", names);
        }
    }
}
