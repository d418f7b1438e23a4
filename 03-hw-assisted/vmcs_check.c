/*
 * vmcs_check.c — the VM-entry checks (vmcs_check.h): control and host-state
 * fields (SDM Vol. 3C §27.2) and the guest-state area (§27.3.1), each
 * failure named by field and rule in one line.
 */
#include "03-hw-assisted/vmcs_check.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int fail(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* A control field against the allowed 0- and 1-settings of its MSR. */
static int check_ctl(const struct vmcs *v, uint32_t enc, uint64_t cap, const char *msr, char *why,
                     size_t len)
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
    const char *n = vmcs_control_bit_name(enc, b);
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
                         ? (uint32_t)vmcs_get(v, SECONDARY_VM_EXEC_CONTROL)
                         : 0;
    if (check_ctl(v, PIN_BASED_VM_EXEC_CONTROL, caps->pinbased, "IA32_VMX_TRUE_PINBASED_CTLS", why,
                  len) ||
        check_ctl(v, CPU_BASED_VM_EXEC_CONTROL, caps->procbased, "IA32_VMX_TRUE_PROCBASED_CTLS",
                  why, len) ||
        ((proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
         check_ctl(v, SECONDARY_VM_EXEC_CONTROL, caps->procbased2, "IA32_VMX_PROCBASED_CTLS2", why,
                   len)) ||
        check_ctl(v, VM_EXIT_CONTROLS, caps->exit, "IA32_VMX_TRUE_EXIT_CTLS", why, len) ||
        check_ctl(v, VM_ENTRY_CONTROLS, caps->entry, "IA32_VMX_TRUE_ENTRY_CTLS", why, len))
        return VMXERR_ENTRY_INVALID_CONTROL_FIELD;
    if (vmcs_get(v, CR3_TARGET_COUNT) > 4)
        return fail(why, len, "CR3_TARGET_COUNT = %llu: at most 4 CR3-target values",
                    (unsigned long long)vmcs_get(v, CR3_TARGET_COUNT)),
               VMXERR_ENTRY_INVALID_CONTROL_FIELD;
    if (proc & CPU_BASED_USE_IO_BITMAPS) {
        if ((vmcs_get(v, IO_BITMAP_A) & 0xfff) || (vmcs_get(v, IO_BITMAP_B) & 0xfff) ||
            !vmcs_get(v, IO_BITMAP_A) || !vmcs_get(v, IO_BITMAP_B))
            return fail(why, len,
                        "IO_BITMAP_A/IO_BITMAP_B (0x2000/0x2002) = 0x%llx/0x%llx: "
                        "with USE_IO_BITMAPS each must be a 4-KByte aligned address",
                        (unsigned long long)vmcs_get(v, IO_BITMAP_A),
                        (unsigned long long)vmcs_get(v, IO_BITMAP_B)),
                   VMXERR_ENTRY_INVALID_CONTROL_FIELD;
    }
    if ((proc & CPU_BASED_USE_MSR_BITMAPS) &&
        ((vmcs_get(v, MSR_BITMAP) & 0xfff) || !vmcs_get(v, MSR_BITMAP)))
        return fail(why, len,
                    "MSR_BITMAP (0x2004) = 0x%llx: with USE_MSR_BITMAPS it must be a "
                    "4-KByte aligned address",
                    (unsigned long long)vmcs_get(v, MSR_BITMAP)),
               VMXERR_ENTRY_INVALID_CONTROL_FIELD;
    if (proc2 & SECONDARY_EXEC_ENABLE_EPT) {
        uint64_t eptp = vmcs_get(v, EPT_POINTER);
        if (((eptp & 7) != 0 && (eptp & 7) != 6) || ((eptp >> 3) & 7) != 3)
            return fail(why, len,
                        "EPT_POINTER (0x201a) = 0x%llx: memory type (bits 2:0) must "
                        "be 0 (UC) or 6 (WB) and the page-walk length - 1 (bits 5:3) must be 3",
                        (unsigned long long)eptp),
                   VMXERR_ENTRY_INVALID_CONTROL_FIELD;
        /* Bit 6 enables EPT A/D flags (offered); bits 11:7 and those above
         * the model's physical-address width (39) are reserved (§27.2.1.1). */
        if (eptp & (0xf80ull | ~((1ull << 39) - 1)))
            return fail(why, len, "EPT_POINTER (0x201a) = 0x%llx: bits 11:7 and 63:39 are reserved",
                        (unsigned long long)eptp),
                   VMXERR_ENTRY_INVALID_CONTROL_FIELD;
    }
    if ((proc2 & SECONDARY_EXEC_ENABLE_VPID) && !vmcs_get(v, VIRTUAL_PROCESSOR_ID))
        return fail(why, len,
                    "VIRTUAL_PROCESSOR_ID (0x0000) = 0: with ENABLE_VPID the VPID must not be "
                    "0 (the VMM's own)"),
               VMXERR_ENTRY_INVALID_CONTROL_FIELD;
    if ((proc2 & SECONDARY_EXEC_UNRESTRICTED_GUEST) && !(proc2 & SECONDARY_EXEC_ENABLE_EPT))
        return fail(why, len,
                    "SECONDARY_VM_EXEC_CONTROL (0x401e): UNRESTRICTED_GUEST requires "
                    "ENABLE_EPT"),
               VMXERR_ENTRY_INVALID_CONTROL_FIELD;
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
            return fail(why, len,
                        "VM_ENTRY_INTR_INFO_FIELD (0x4016) = 0x%08x: not a valid event "
                        "to inject (type %u vector %u)",
                        ii, type, vec),
                   VMXERR_ENTRY_INVALID_CONTROL_FIELD;
    }
    /* Host-state area (§27.2.2): the VMM's own CR0/CR4 must be VMX-capable. */
    uint32_t hcr0 = (uint32_t)vmcs_get(v, HOST_CR0), hcr4 = (uint32_t)vmcs_get(v, HOST_CR4);
    if ((hcr0 & caps->cr0_fixed0) != caps->cr0_fixed0 ||
        (hcr4 & caps->cr4_fixed0) != caps->cr4_fixed0)
        return fail(why, len,
                    "HOST_CR0/HOST_CR4 = 0x%08x/0x%08x: must have the bits of "
                    "IA32_VMX_CR0_FIXED0 (0x%08x) / IA32_VMX_CR4_FIXED0 (0x%08x) set",
                    hcr0, hcr4, caps->cr0_fixed0, caps->cr4_fixed0),
               VMXERR_ENTRY_INVALID_HOST_STATE_FIELD;
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
    if ((limit & 0xfff) != 0xfff && g)
        return false;
    if ((limit & 0xfff00000u) && !g)
        return false;
    return true;
}

#define GFAIL(...) (*qual = ENTRY_FAIL_DEFAULT, fail(why, len, __VA_ARGS__))

/* §27.3.1.1: control registers. */
static int check_guest_cr(const struct vmcs *v, const struct vmx_caps *caps, bool unrestricted,
                          uint32_t *qual, char *why, size_t len)
{
    uint32_t cr0 = (uint32_t)vmcs_get(v, GUEST_CR0), cr4 = (uint32_t)vmcs_get(v, GUEST_CR4);
    uint32_t fixed0 = caps->cr0_fixed0 & (unrestricted ? ~(CR0_PE | CR0_PG) : ~0u);
    for (int b = 0; b < 32; b++) {
        uint32_t m = 1u << b;
        if ((fixed0 & m) && !(cr0 & m))
            return GFAIL("GUEST_CR0 (0x6800) = 0x%08x: bit %d must be 1 in VMX operation "
                         "(IA32_VMX_CR0_FIXED0 = 0x%08x%s)",
                         cr0, b, caps->cr0_fixed0,
                         unrestricted ? "; PE and PG may be 0 with UNRESTRICTED_GUEST"
                                      : "; PE and PG may be 0 only with UNRESTRICTED_GUEST");
        if (!(caps->cr0_fixed1 & m) && (cr0 & m))
            return GFAIL("GUEST_CR0 (0x6800) = 0x%08x: bit %d must be 0 (IA32_VMX_CR0_FIXED1)", cr0,
                         b);
    }
    if ((cr0 & CR0_PG) && !(cr0 & CR0_PE))
        return GFAIL("GUEST_CR0 (0x6800) = 0x%08x: PG (bit 31) is 1 but PE (bit 0) is 0 "
                     "(SDM Vol. 3C §27.3.1.1)",
                     cr0);
    if ((cr4 & caps->cr4_fixed0) != caps->cr4_fixed0 || (cr4 & ~caps->cr4_fixed1))
        return GFAIL("GUEST_CR4 (0x6804) = 0x%08x: violates IA32_VMX_CR4_FIXED0/1 "
                     "(0x%08x/0x%08x; CR4.VMXE must be 1 in VMX operation)",
                     cr4, caps->cr4_fixed0, caps->cr4_fixed1);
    return 0;
}

/* §27.3.1.2: one segment register i (protected mode, no virtual-8086):
 * selector, limit and access rights. */
static int check_guest_seg(int i, uint32_t sel, uint32_t lim, uint32_t ar, bool unrestricted,
                           uint32_t *qual, char *why, size_t len)
{
    uint32_t type = ar & 0xf, dpl = (ar >> 5) & 3;
    const char *n = seg_names[i];
    if (ar & VMX_AR_UNUSABLE) {
        if (i == S_CS || i == 7)
            return GFAIL("GUEST_%s_AR_BYTES = 0x%x: %s must be usable", n, ar, n);
        return 0;
    }
    if (ar & 0xfffe0f00u)
        return GFAIL("GUEST_%s_AR_BYTES = 0x%05x: reserved bits 11:8 and 31:17 must be 0", n, ar);
    if (!(ar & 0x80))
        return GFAIL("GUEST_%s_AR_BYTES = 0x%05x: P (bit 7) must be 1 for a usable segment", n, ar);
    if (!limit_g_ok(lim, ar))
        return GFAIL("GUEST_%s_LIMIT = 0x%08x with G = %u in GUEST_%s_AR_BYTES: limit and "
                     "granularity disagree",
                     n, lim, (ar >> 15) & 1, n);
    if (i == 7) { /* TR */
        if (sel & 4)
            return GFAIL("GUEST_TR_SELECTOR (0x080e) = 0x%04x: TI must be 0", sel);
        if ((type != 11 && type != 3) || (ar & 0x10))
            return GFAIL("GUEST_TR_AR_BYTES (0x4822) = 0x%05x: type must be a busy TSS "
                         "(11 or 3) with S = 0",
                         ar);
        return 0;
    }
    if (i == 6) { /* LDTR */
        if ((sel & 4) || type != 2 || (ar & 0x10))
            return GFAIL("GUEST_LDTR: selector 0x%04x / AR 0x%05x: must be an LDT (type 2, "
                         "S = 0) from the GDT",
                         sel, ar);
        return 0;
    }
    if (!(ar & 0x10))
        return GFAIL("GUEST_%s_AR_BYTES = 0x%05x: S (bit 4) must be 1 (code or data)", n, ar);
    if (!(type & 1))
        return GFAIL("GUEST_%s_AR_BYTES = 0x%05x: the accessed bit (type bit 0) must be 1", n, ar);
    if (i == S_CS) {
        bool ok =
            type == 9 || type == 11 || type == 13 || type == 15 || (unrestricted && type == 3);
        if (!ok)
            return GFAIL("GUEST_CS_AR_BYTES (0x4816) = 0x%05x: type %u is not an accessed "
                         "code segment",
                         ar, type);
    } else if (i == S_SS) {
        if (type != 3 && type != 7)
            return GFAIL("GUEST_SS_AR_BYTES (0x4818) = 0x%05x: type %u is not a writable "
                         "data segment",
                         ar, type);
        if (!unrestricted && dpl != (sel & 3))
            return GFAIL("GUEST_SS: DPL %u differs from the selector's RPL %u", dpl, sel & 3);
    } else if ((type & 8) && !(type & 2)) {
        return GFAIL("GUEST_%s_AR_BYTES = 0x%05x: an execute-only code segment cannot be "
                     "a data segment register",
                     n, ar);
    }
    return 0;
}

/* §27.3.1.2: the segment registers, each and CS/SS together. */
static int check_guest_segs(const struct vmcs *v, bool unrestricted, uint32_t *qual, char *why,
                            size_t len)
{
    uint32_t ar[8], sel[8];
    for (int i = 0; i < 8; i++) {
        sel[i] = (uint32_t)vmcs_get(v, SEG_FIELD(GUEST_ES_SELECTOR, i));
        ar[i] = (uint32_t)vmcs_get(v, SEG_FIELD(GUEST_ES_AR_BYTES, i));
        uint32_t lim = (uint32_t)vmcs_get(v, SEG_FIELD(GUEST_ES_LIMIT, i));
        if (check_guest_seg(i, sel[i], lim, ar[i], unrestricted, qual, why, len))
            return -1;
    }
    if (!unrestricted && (sel[S_CS] & 3) != (sel[S_SS] & 3))
        return GFAIL("GUEST_CS_SELECTOR/GUEST_SS_SELECTOR = 0x%04x/0x%04x: RPLs must be equal",
                     sel[S_CS], sel[S_SS]);
    uint32_t csdpl = (ar[S_CS] >> 5) & 3, ssdpl = (ar[S_SS] >> 5) & 3;
    if ((ar[S_CS] & 0xf) == 9 || (ar[S_CS] & 0xf) == 11) {
        if (csdpl != ssdpl)
            return GFAIL("GUEST_CS_AR_BYTES: DPL %u of a non-conforming code segment must equal "
                         "SS.DPL %u",
                         csdpl, ssdpl);
    }
    return 0;
}

int vmcs_check_guest(const struct vmcs *v, const struct vmx_caps *caps, uint32_t *qual, char *why,
                     size_t len)
{
    uint32_t proc = (uint32_t)vmcs_get(v, CPU_BASED_VM_EXEC_CONTROL);
    uint32_t proc2 = (proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
                         ? (uint32_t)vmcs_get(v, SECONDARY_VM_EXEC_CONTROL)
                         : 0;
    bool unrestricted = proc2 & SECONDARY_EXEC_UNRESTRICTED_GUEST;
    *qual = ENTRY_FAIL_DEFAULT;

    if (check_guest_cr(v, caps, unrestricted, qual, why, len))
        return -1;
    uint32_t rflags = (uint32_t)vmcs_get(v, GUEST_RFLAGS);
    if (rflags & FL_VM)
        return GFAIL("GUEST_RFLAGS (0x6820) = 0x%08x: virtual-8086 mode is not modelled", rflags);
    if (check_guest_segs(v, unrestricted, qual, why, len))
        return -1;
    uint32_t ssdpl = ((uint32_t)vmcs_get(v, GUEST_SS_AR_BYTES) >> 5) & 3;

    /* §27.3.1.3: descriptor-table registers. */
    if (vmcs_get(v, GUEST_GDTR_LIMIT) > 0xffff || vmcs_get(v, GUEST_IDTR_LIMIT) > 0xffff)
        return GFAIL("GUEST_GDTR_LIMIT/GUEST_IDTR_LIMIT: bits 31:16 must be 0");

    /* §27.3.1.4: RFLAGS. */
    if ((rflags & 0xffc08028u) || !(rflags & FL_FIXED1))
        return GFAIL("GUEST_RFLAGS (0x6820) = 0x%08x: reserved bits (31:22, 15, 5, 3) must be 0 "
                     "and bit 1 must be 1",
                     rflags);
    uint32_t ii = (uint32_t)vmcs_get(v, VM_ENTRY_INTR_INFO_FIELD);
    bool inject_ext = (ii & INTR_INFO_VALID) && ((ii >> 8) & 7) == INTR_TYPE_EXT_INTR;
    if (inject_ext && !(rflags & FL_IF))
        return GFAIL("GUEST_RFLAGS (0x6820) = 0x%08x: IF must be 1 to inject an external "
                     "interrupt",
                     rflags);

    /* §27.3.1.5: non-register state. */
    uint32_t act = (uint32_t)vmcs_get(v, GUEST_ACTIVITY_STATE);
    if (act > GUEST_ACTIVITY_HLT)
        return GFAIL("GUEST_ACTIVITY_STATE (0x4826) = %u: this CPU supports only 0 (active) and "
                     "1 (HLT) (IA32_VMX_MISC bits 8:6)",
                     act);
    if (act == GUEST_ACTIVITY_HLT && ssdpl != 0)
        return GFAIL("GUEST_ACTIVITY_STATE (0x4826) = 1 (HLT) requires SS.DPL = 0 (it is %u)",
                     ssdpl);
    uint32_t intr = (uint32_t)vmcs_get(v, GUEST_INTERRUPTIBILITY_INFO);
    if (intr & ~0x1fu)
        return GFAIL("GUEST_INTERRUPTIBILITY_INFO (0x4824) = 0x%x: bits 31:5 are reserved", intr);
    if ((intr & 3) == 3)
        return GFAIL("GUEST_INTERRUPTIBILITY_INFO (0x4824) = 0x%x: blocking by STI and by MOV SS "
                     "cannot both be set",
                     intr);
    if ((intr & GUEST_INTR_STATE_STI) && !(rflags & FL_IF))
        return GFAIL("GUEST_INTERRUPTIBILITY_INFO (0x4824) = 0x%x: blocking by STI needs "
                     "RFLAGS.IF = 1",
                     intr);
    if (inject_ext && (intr & 3))
        return GFAIL("GUEST_INTERRUPTIBILITY_INFO (0x4824) = 0x%x: no external interrupt can be "
                     "injected while blocked by STI or MOV SS",
                     intr);
    if (vmcs_get(v, VMCS_LINK_POINTER) != ~0ull) {
        *qual = ENTRY_FAIL_VMCS_LINK_PTR;
        return fail(why, len,
                    "VMCS_LINK_POINTER (0x2800) = 0x%llx: must be 0xffffffffffffffff "
                    "(no shadow VMCS); exit qualification 4",
                    (unsigned long long)vmcs_get(v, VMCS_LINK_POINTER));
    }
    return 0;
}
