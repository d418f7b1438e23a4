/*
 * vmcs.c — the software VMCS: field table, VMREAD/VMWRITE, the guest-state
 * area <-> struct x86_cpu, and the VM-entry checks (SDM Vol. 3C ch. 25, 27).
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
    .procbased2 = CAP(0, SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST),
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

/* Selector, base, limit and access-rights fields are laid out in the same
 * order (ES CS SS DS FS GS LDTR TR) in each group, 2 apart. */
#define SEG_FIELD(first_es, i) ((uint32_t)(first_es) + 2u * (uint32_t)(i))

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

static const char *bit_name(uint32_t enc, int bit)
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
        const char *name = bit_name(enc, b);
        char tmp[16];
        if (!name) {
            snprintf(tmp, sizeof tmp, "bit%d", b);
            name = tmp;
        }
        n += snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0, "%s%s", n ? "|" : "", name);
    }
    return n;
}

/* ---- VM-entry checks --------------------------------------------------------- */

static int fail(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* A control field against the allowed 0- and 1-settings of its MSR. */
static int check_ctl(const struct vmcs *v, uint32_t enc, uint64_t cap, const char *msr,
                     char *why, size_t len)
{
    uint32_t val = (uint32_t)vmcs_get(v, enc);
    uint32_t must1 = (uint32_t)cap, may1 = (uint32_t)(cap >> 32);
    /* Allowed 0-settings are the low half of the capability MSR, allowed
     * 1-settings the high half (SDM Vol. 3D App. A.3): the field is fine
     * when every must-be-1 bit is set and no may-not-be-1 bit is. */
    uint32_t bad = (must1 & ~val) | (~may1 & val);
    if (!bad)
        return 0;
    int b = __builtin_ctz(bad);
    const char *n = bit_name(enc, b);
    char nb[48];
    snprintf(nb, sizeof nb, "%s%sbit %d%s", n ? n : "", n ? " (" : "", b, n ? ")" : "");
    if (must1 & (1u << b))
        return fail(why, len, "%s = 0x%08x: %s must be 1 (allowed 0-settings, %s)",
                    vmcs_field_name(enc), val, nb, msr);
    return fail(why, len, "%s = 0x%08x: %s must be 0 (allowed 1-settings, %s)",
                vmcs_field_name(enc), val, nb, msr);
}

int vmcs_check_controls(const struct vmcs *v, const struct vmx_caps *caps, char *why, size_t len)
{
    uint32_t proc = (uint32_t)vmcs_get(v, CPU_BASED_VM_EXEC_CONTROL);
    uint32_t proc2 = (proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
                   ? (uint32_t)vmcs_get(v, SECONDARY_VM_EXEC_CONTROL) : 0;
    if (check_ctl(v, PIN_BASED_VM_EXEC_CONTROL, caps->pinbased, "IA32_VMX_TRUE_PINBASED_CTLS", why, len) ||
        check_ctl(v, CPU_BASED_VM_EXEC_CONTROL, caps->procbased, "IA32_VMX_TRUE_PROCBASED_CTLS", why, len) ||
        ((proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
         check_ctl(v, SECONDARY_VM_EXEC_CONTROL, caps->procbased2, "IA32_VMX_PROCBASED_CTLS2", why, len)) ||
        check_ctl(v, VM_EXIT_CONTROLS, caps->exit, "IA32_VMX_TRUE_EXIT_CTLS", why, len) ||
        check_ctl(v, VM_ENTRY_CONTROLS, caps->entry, "IA32_VMX_TRUE_ENTRY_CTLS", why, len))
        return VMXERR_ENTRY_INVALID_CONTROL_FIELD;
    if (vmcs_get(v, CR3_TARGET_COUNT) > 4)
        return fail(why, len, "CR3_TARGET_COUNT = %llu: at most 4 CR3-target values",
                    (unsigned long long)vmcs_get(v, CR3_TARGET_COUNT)), VMXERR_ENTRY_INVALID_CONTROL_FIELD;
    if (proc & CPU_BASED_USE_IO_BITMAPS) {
        if ((vmcs_get(v, IO_BITMAP_A) & 0xfff) || (vmcs_get(v, IO_BITMAP_B) & 0xfff) ||
            !vmcs_get(v, IO_BITMAP_A) || !vmcs_get(v, IO_BITMAP_B))
            return fail(why, len, "IO_BITMAP_A/IO_BITMAP_B (0x2000/0x2002) = 0x%llx/0x%llx: "
                        "with USE_IO_BITMAPS each must be a 4-KByte aligned address",
                        (unsigned long long)vmcs_get(v, IO_BITMAP_A),
                        (unsigned long long)vmcs_get(v, IO_BITMAP_B)), VMXERR_ENTRY_INVALID_CONTROL_FIELD;
    }
    if ((proc & CPU_BASED_USE_MSR_BITMAPS) &&
        ((vmcs_get(v, MSR_BITMAP) & 0xfff) || !vmcs_get(v, MSR_BITMAP)))
        return fail(why, len, "MSR_BITMAP (0x2004) = 0x%llx: with USE_MSR_BITMAPS it must be a "
                    "4-KByte aligned address", (unsigned long long)vmcs_get(v, MSR_BITMAP)),
               VMXERR_ENTRY_INVALID_CONTROL_FIELD;
    if (proc2 & SECONDARY_EXEC_ENABLE_EPT) {
        uint64_t eptp = vmcs_get(v, EPT_POINTER);
        if (((eptp & 7) != 0 && (eptp & 7) != 6) || ((eptp >> 3) & 7) != 3)
            return fail(why, len, "EPT_POINTER (0x201a) = 0x%llx: memory type (bits 2:0) must "
                        "be 0 (UC) or 6 (WB) and the page-walk length - 1 (bits 5:3) must be 3",
                        (unsigned long long)eptp), VMXERR_ENTRY_INVALID_CONTROL_FIELD;
    }
    if ((proc2 & SECONDARY_EXEC_UNRESTRICTED_GUEST) && !(proc2 & SECONDARY_EXEC_ENABLE_EPT))
        return fail(why, len, "SECONDARY_VM_EXEC_CONTROL (0x401e): UNRESTRICTED_GUEST requires "
                    "ENABLE_EPT"), VMXERR_ENTRY_INVALID_CONTROL_FIELD;
    uint32_t ii = (uint32_t)vmcs_get(v, VM_ENTRY_INTR_INFO_FIELD);
    if (ii & INTR_INFO_VALID) {
        uint32_t type = (ii >> INTR_INFO_TYPE_SHIFT) & 7, vec = ii & 0xff;
        bool bad = (ii & 0x7ffff000u) || type == 1 || type == 7 ||
                   (type == INTR_TYPE_HARD_EXCEPTION && vec > 31) ||
                   (type == INTR_TYPE_NMI && vec != 2);
        bool code = vec == 8 || (vec >= 10 && vec <= 14) || vec == 17;
        if (!bad && (ii & INTR_INFO_DELIVER_CODE) && !(type == INTR_TYPE_HARD_EXCEPTION && code))
            bad = true;
        if (bad)
            return fail(why, len, "VM_ENTRY_INTR_INFO_FIELD (0x4016) = 0x%08x: not a valid event "
                        "to inject (type %u vector %u)", ii, type, vec),
                   VMXERR_ENTRY_INVALID_CONTROL_FIELD;
    }
    /* Host-state area (§27.2.2): the VMM's own CR0/CR4 must be VMX-capable. */
    uint32_t hcr0 = (uint32_t)vmcs_get(v, HOST_CR0), hcr4 = (uint32_t)vmcs_get(v, HOST_CR4);
    if ((hcr0 & caps->cr0_fixed0) != caps->cr0_fixed0 || (hcr4 & caps->cr4_fixed0) != caps->cr4_fixed0)
        return fail(why, len, "HOST_CR0/HOST_CR4 = 0x%08x/0x%08x: must have the bits of "
                    "IA32_VMX_CR0_FIXED0 (0x%08x) / IA32_VMX_CR4_FIXED0 (0x%08x) set", hcr0, hcr4,
                    caps->cr0_fixed0, caps->cr4_fixed0), VMXERR_ENTRY_INVALID_HOST_STATE_FIELD;
    if (!vmcs_get(v, HOST_RIP))
        return fail(why, len, "HOST_RIP (0x6c16) = 0: where would a VM exit go?"),
               VMXERR_ENTRY_INVALID_HOST_STATE_FIELD;
    return 0;
}

static const char *const seg_names[8] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };

/* A segment's limit and G bit agree (§27.3.1.2): limit bits 11:0 not all
 * ones -> G = 0; limit bits 31:20 not all zero -> G = 1. */
static bool limit_g_ok(uint32_t limit, uint32_t ar)
{
    bool g = ar & (1u << 15);
    if ((limit & 0xfff) != 0xfff && g) return false;
    if ((limit & 0xfff00000u) && !g) return false;
    return true;
}

#define GFAIL(...) (*qual = ENTRY_FAIL_DEFAULT, fail(why, len, __VA_ARGS__))

int vmcs_check_guest(const struct vmcs *v, const struct vmx_caps *caps, uint32_t *qual,
                     char *why, size_t len)
{
    uint32_t proc = (uint32_t)vmcs_get(v, CPU_BASED_VM_EXEC_CONTROL);
    uint32_t proc2 = (proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
                   ? (uint32_t)vmcs_get(v, SECONDARY_VM_EXEC_CONTROL) : 0;
    bool unrestricted = proc2 & SECONDARY_EXEC_UNRESTRICTED_GUEST;
    uint32_t cr0 = (uint32_t)vmcs_get(v, GUEST_CR0), cr4 = (uint32_t)vmcs_get(v, GUEST_CR4);
    uint32_t fixed0 = caps->cr0_fixed0 & (unrestricted ? ~(CR0_PE | CR0_PG) : ~0u);
    *qual = ENTRY_FAIL_DEFAULT;

    /* §27.3.1.1: control registers. */
    for (int b = 0; b < 32; b++) {
        uint32_t m = 1u << b;
        if ((fixed0 & m) && !(cr0 & m))
            return GFAIL("GUEST_CR0 (0x6800) = 0x%08x: bit %d must be 1 in VMX operation "
                         "(IA32_VMX_CR0_FIXED0 = 0x%08x%s)", cr0, b, caps->cr0_fixed0,
                         unrestricted ? "; PE and PG may be 0 with UNRESTRICTED_GUEST"
                                      : "; PE and PG may be 0 only with UNRESTRICTED_GUEST");
        if (!(caps->cr0_fixed1 & m) && (cr0 & m))
            return GFAIL("GUEST_CR0 (0x6800) = 0x%08x: bit %d must be 0 (IA32_VMX_CR0_FIXED1)", cr0, b);
    }
    if ((cr0 & CR0_PG) && !(cr0 & CR0_PE))
        return GFAIL("GUEST_CR0 (0x6800) = 0x%08x: PG (bit 31) is 1 but PE (bit 0) is 0 "
                     "(SDM Vol. 3C §27.3.1.1)", cr0);
    if ((cr4 & caps->cr4_fixed0) != caps->cr4_fixed0 || (cr4 & ~caps->cr4_fixed1))
        return GFAIL("GUEST_CR4 (0x6804) = 0x%08x: violates IA32_VMX_CR4_FIXED0/1 "
                     "(0x%08x/0x%08x; CR4.VMXE must be 1 in VMX operation)", cr4,
                     caps->cr4_fixed0, caps->cr4_fixed1);

    /* §27.3.1.2: segment registers (protected mode, no virtual-8086). */
    uint32_t ar[8], sel[8], lim[8];
    for (int i = 0; i < 8; i++) {
        sel[i] = (uint32_t)vmcs_get(v, SEG_FIELD(GUEST_ES_SELECTOR, i));
        lim[i] = (uint32_t)vmcs_get(v, SEG_FIELD(GUEST_ES_LIMIT, i));
        ar[i] = (uint32_t)vmcs_get(v, SEG_FIELD(GUEST_ES_AR_BYTES, i));
    }
    uint32_t rflags = (uint32_t)vmcs_get(v, GUEST_RFLAGS);
    if (rflags & FL_VM)
        return GFAIL("GUEST_RFLAGS (0x6820) = 0x%08x: virtual-8086 mode is not modelled", rflags);
    for (int i = 0; i < 8; i++) {
        bool usable = !(ar[i] & VMX_AR_UNUSABLE);
        uint32_t type = ar[i] & 0xf, dpl = (ar[i] >> 5) & 3;
        const char *n = seg_names[i];
        if (!usable) {
            if (i == S_CS || i == 7)
                return GFAIL("GUEST_%s_AR_BYTES = 0x%x: %s must be usable", n, ar[i], n);
            continue;
        }
        if (ar[i] & 0xfffe0f00u)
            return GFAIL("GUEST_%s_AR_BYTES = 0x%05x: reserved bits 11:8 and 31:17 must be 0",
                         n, ar[i]);
        if (!(ar[i] & 0x80))
            return GFAIL("GUEST_%s_AR_BYTES = 0x%05x: P (bit 7) must be 1 for a usable segment",
                         n, ar[i]);
        if (!limit_g_ok(lim[i], ar[i]))
            return GFAIL("GUEST_%s_LIMIT = 0x%08x with G = %u in GUEST_%s_AR_BYTES: limit and "
                         "granularity disagree", n, lim[i], (ar[i] >> 15) & 1, n);
        if (i == 7) {                                  /* TR */
            if (sel[i] & 4)
                return GFAIL("GUEST_TR_SELECTOR (0x080e) = 0x%04x: TI must be 0", sel[i]);
            if ((type != 11 && type != 3) || (ar[i] & 0x10))
                return GFAIL("GUEST_TR_AR_BYTES (0x4822) = 0x%05x: type must be a busy TSS "
                             "(11 or 3) with S = 0", ar[i]);
            continue;
        }
        if (i == 6) {                                  /* LDTR */
            if ((sel[i] & 4) || type != 2 || (ar[i] & 0x10))
                return GFAIL("GUEST_LDTR: selector 0x%04x / AR 0x%05x: must be an LDT (type 2, "
                             "S = 0) from the GDT", sel[i], ar[i]);
            continue;
        }
        if (!(ar[i] & 0x10))
            return GFAIL("GUEST_%s_AR_BYTES = 0x%05x: S (bit 4) must be 1 (code or data)", n, ar[i]);
        if (!(type & 1))
            return GFAIL("GUEST_%s_AR_BYTES = 0x%05x: the accessed bit (type bit 0) must be 1", n, ar[i]);
        if (i == S_CS) {
            bool ok = type == 9 || type == 11 || type == 13 || type == 15 || (unrestricted && type == 3);
            if (!ok)
                return GFAIL("GUEST_CS_AR_BYTES (0x4816) = 0x%05x: type %u is not an accessed "
                             "code segment", ar[i], type);
        } else if (i == S_SS) {
            if (type != 3 && type != 7)
                return GFAIL("GUEST_SS_AR_BYTES (0x4818) = 0x%05x: type %u is not a writable "
                             "data segment", ar[i], type);
            if (!unrestricted && dpl != (sel[i] & 3))
                return GFAIL("GUEST_SS: DPL %u differs from the selector's RPL %u", dpl, sel[i] & 3);
        } else if ((type & 8) && !(type & 2)) {
            return GFAIL("GUEST_%s_AR_BYTES = 0x%05x: an execute-only code segment cannot be "
                         "a data segment register", n, ar[i]);
        }
    }
    if (!unrestricted && (sel[S_CS] & 3) != (sel[S_SS] & 3))
        return GFAIL("GUEST_CS_SELECTOR/GUEST_SS_SELECTOR = 0x%04x/0x%04x: RPLs must be equal",
                     sel[S_CS], sel[S_SS]);
    uint32_t csdpl = (ar[S_CS] >> 5) & 3, ssdpl = (ar[S_SS] >> 5) & 3;
    if ((ar[S_CS] & 0xf) == 9 || (ar[S_CS] & 0xf) == 11) {
        if (csdpl != ssdpl)
            return GFAIL("GUEST_CS_AR_BYTES: DPL %u of a non-conforming code segment must equal "
                         "SS.DPL %u", csdpl, ssdpl);
    }

    /* §27.3.1.3: descriptor-table registers. */
    if (vmcs_get(v, GUEST_GDTR_LIMIT) > 0xffff || vmcs_get(v, GUEST_IDTR_LIMIT) > 0xffff)
        return GFAIL("GUEST_GDTR_LIMIT/GUEST_IDTR_LIMIT: bits 31:16 must be 0");

    /* §27.3.1.4: RFLAGS. */
    if ((rflags & 0xffc08028u) || !(rflags & FL_FIXED1))
        return GFAIL("GUEST_RFLAGS (0x6820) = 0x%08x: reserved bits (31:22, 15, 5, 3) must be 0 "
                     "and bit 1 must be 1", rflags);
    uint32_t ii = (uint32_t)vmcs_get(v, VM_ENTRY_INTR_INFO_FIELD);
    bool inject_ext = (ii & INTR_INFO_VALID) && ((ii >> 8) & 7) == INTR_TYPE_EXT_INTR;
    if (inject_ext && !(rflags & FL_IF))
        return GFAIL("GUEST_RFLAGS (0x6820) = 0x%08x: IF must be 1 to inject an external "
                     "interrupt", rflags);

    /* §27.3.1.5: non-register state. */
    uint32_t act = (uint32_t)vmcs_get(v, GUEST_ACTIVITY_STATE);
    if (act > GUEST_ACTIVITY_HLT)
        return GFAIL("GUEST_ACTIVITY_STATE (0x4826) = %u: this CPU supports only 0 (active) and "
                     "1 (HLT) (IA32_VMX_MISC bits 8:6)", act);
    if (act == GUEST_ACTIVITY_HLT && ssdpl != 0)
        return GFAIL("GUEST_ACTIVITY_STATE (0x4826) = 1 (HLT) requires SS.DPL = 0 (it is %u)", ssdpl);
    uint32_t intr = (uint32_t)vmcs_get(v, GUEST_INTERRUPTIBILITY_INFO);
    if (intr & ~0x1fu)
        return GFAIL("GUEST_INTERRUPTIBILITY_INFO (0x4824) = 0x%x: bits 31:5 are reserved", intr);
    if ((intr & 3) == 3)
        return GFAIL("GUEST_INTERRUPTIBILITY_INFO (0x4824) = 0x%x: blocking by STI and by MOV SS "
                     "cannot both be set", intr);
    if ((intr & GUEST_INTR_STATE_STI) && !(rflags & FL_IF))
        return GFAIL("GUEST_INTERRUPTIBILITY_INFO (0x4824) = 0x%x: blocking by STI needs "
                     "RFLAGS.IF = 1", intr);
    if (inject_ext && (intr & 3))
        return GFAIL("GUEST_INTERRUPTIBILITY_INFO (0x4824) = 0x%x: no external interrupt can be "
                     "injected while blocked by STI or MOV SS", intr);
    if (vmcs_get(v, VMCS_LINK_POINTER) != ~0ull) {
        *qual = ENTRY_FAIL_VMCS_LINK_PTR;
        return fail(why, len, "VMCS_LINK_POINTER (0x2800) = 0x%llx: must be 0xffffffffffffffff "
                    "(no shadow VMCS); exit qualification 4",
                    (unsigned long long)vmcs_get(v, VMCS_LINK_POINTER));
    }
    return 0;
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
