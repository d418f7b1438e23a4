/*
 * test_vmcs.c — the software VMCS of stage 03 (03-hw-assisted/vmcs.c):
 * field encodings, names and widths (SDM Vol. 3C App. B), VMREAD/VMWRITE
 * rules, and the VM-entry checks on controls (§27.2) and guest state
 * (§27.3.1) against the modelled capability MSRs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "03-hw-assisted/vmcs.h"
#include "03-hw-assisted/vmcs_check.h"

static void test_encodings(void **state)
{
    (void)state;
    assert_int_equal(GUEST_CR0, 0x6800);
    assert_int_equal(GUEST_RIP, 0x681e);
    assert_int_equal(CPU_BASED_VM_EXEC_CONTROL, 0x4002);
    assert_int_equal(EXCEPTION_BITMAP, 0x4004);
    assert_int_equal(IO_BITMAP_A, 0x2000);
    assert_int_equal(VM_EXIT_REASON, 0x4402);
    assert_int_equal(EXIT_QUALIFICATION, 0x6400);
    /* The encoding's own structure: type and width bits. */
    assert_int_equal(VMCS_ENC_TYPE(VM_EXIT_REASON), VMCS_TYPE_EXIT_INFO);
    assert_int_equal(VMCS_ENC_TYPE(GUEST_CR0), VMCS_TYPE_GUEST);
    assert_int_equal(VMCS_ENC_TYPE(HOST_RIP), VMCS_TYPE_HOST);
    assert_int_equal(VMCS_ENC_TYPE(PIN_BASED_VM_EXEC_CONTROL), VMCS_TYPE_CONTROL);
    assert_int_equal(vmcs_field_bits(GUEST_CS_SELECTOR), 16);
    assert_int_equal(vmcs_field_bits(IO_BITMAP_A), 64);
    assert_int_equal(vmcs_field_bits(IO_BITMAP_A | 1), 32);
    assert_int_equal(vmcs_field_bits(GUEST_CS_AR_BYTES), 32);
    assert_int_equal(vmcs_field_bits(GUEST_RIP), 32); /* natural width on IA-32 */
    assert_string_equal(vmcs_field_name(0x6800), "GUEST_CR0");
    assert_string_equal(vmcs_field_name(0x4826), "GUEST_ACTIVITY_STATE");
    assert_null(vmcs_field_name(0x6801)); /* high access: 64-bit only */
    assert_null(vmcs_field_name(0x7777));
    assert_int_equal(vmcs_field_by_name("guest_rflags"), GUEST_RFLAGS);
    assert_int_equal(vmcs_field_by_name("0x4004"), EXCEPTION_BITMAP);
    assert_int_equal(vmcs_field_by_name("NO_SUCH_FIELD"), -1);
}

static void test_vmread_vmwrite(void **state)
{
    (void)state;
    struct vmcs v;
    uint64_t x;
    vmcs_clear(&v);
    assert_false(v.launched);
    assert_int_equal(vmcs_write(&v, GUEST_CS_SELECTOR, 0x12345), 0);
    assert_int_equal(vmcs_read(&v, GUEST_CS_SELECTOR, &x), 0);
    assert_int_equal(x, 0x2345); /* truncated to 16 bits */
    assert_int_equal(vmcs_write(&v, TSC_OFFSET, 0x1122334455667788ull), 0);
    assert_int_equal(vmcs_read(&v, TSC_OFFSET | 1, &x), 0);
    assert_int_equal(x, 0x11223344); /* high access */
    assert_int_equal(vmcs_write(&v, TSC_OFFSET | 1, 0xaabbccdd), 0);
    assert_int_equal(vmcs_read(&v, TSC_OFFSET, &x), 0);
    assert_int_equal(x, 0xaabbccdd55667788ull);
    assert_int_equal(vmcs_write(&v, VM_EXIT_REASON, 12), VMXERR_VMWRITE_READ_ONLY_VMCS_COMPONENT);
    assert_int_equal(vmcs_write(&v, 0x7777, 1), VMXERR_UNSUPPORTED_VMCS_COMPONENT);
    assert_int_equal(vmcs_read(&v, 0x7777, &x), VMXERR_UNSUPPORTED_VMCS_COMPONENT);
}

/* A VMCS that passes every check: a flat ring-0 protected-mode guest. */
static void good_vmcs(struct vmcs *v)
{
    struct x86_cpu c;
    memset(&c, 0, sizeof c);
    for (int s = 0; s < S_NSEG; s++) {
        c.seg[s] = (struct x86_seg){ s == S_CS ? 0x08 : 0x10, 0, 0xffffffffu,
                                     (uint16_t)((s == S_CS ? 0x9b : 0x93) | 0xc00) };
    }
    c.tr = (struct x86_seg){ 0x28, 0x1000, 0x67, 0x8b };
    c.gdtr = (struct x86_dtr){ 0x1000, 0x2f };
    c.idtr = (struct x86_dtr){ 0x2000, 0x7ff };
    c.cr0 = CR0_PE | CR0_ET | CR0_NE;
    c.cr4 = 1u << 13;
    c.eflags = FL_FIXED1;
    vmcs_clear(v);
    vmcs_save_guest(v, &c);
    vmcs_write(v, PIN_BASED_VM_EXEC_CONTROL, (uint32_t)vmx_model_caps.pinbased);
    vmcs_write(v, CPU_BASED_VM_EXEC_CONTROL,
               (uint32_t)vmx_model_caps.procbased | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
    vmcs_write(v, SECONDARY_VM_EXEC_CONTROL,
               SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST);
    vmcs_write(v, EPT_POINTER, 0x1e);
    vmcs_write(v, VM_EXIT_CONTROLS, (uint32_t)vmx_model_caps.exit);
    vmcs_write(v, VM_ENTRY_CONTROLS, (uint32_t)vmx_model_caps.entry);
    vmcs_write(v, VMCS_LINK_POINTER, ~0ull);
    vmcs_write(v, HOST_CR0, 0x80000021u);
    vmcs_write(v, HOST_CR4, 1u << 13);
    vmcs_write(v, HOST_RIP, 0x1000);
}

static int guest_check(struct vmcs *v, char *why, uint32_t *qual)
{
    return vmcs_check_guest(v, &vmx_model_caps, qual, why, 256);
}

static void test_entry_checks_controls(void **state)
{
    (void)state;
    struct vmcs v;
    char why[256];
    good_vmcs(&v);
    assert_int_equal(vmcs_check_controls(&v, &vmx_model_caps, why, sizeof why), 0);
    vmcs_write(&v, PIN_BASED_VM_EXEC_CONTROL, 0); /* default1 bits cleared */
    assert_int_equal(vmcs_check_controls(&v, &vmx_model_caps, why, sizeof why),
                     VMXERR_ENTRY_INVALID_CONTROL_FIELD);
    assert_non_null(strstr(why, "PIN_BASED_VM_EXEC_CONTROL"));
    assert_non_null(strstr(why, "bit 1 must be 1"));
    good_vmcs(&v); /* a control this CPU lacks */
    vmcs_write(&v, CPU_BASED_VM_EXEC_CONTROL,
               vmcs_get(&v, CPU_BASED_VM_EXEC_CONTROL) | CPU_BASED_MONITOR_TRAP_FLAG);
    assert_int_equal(vmcs_check_controls(&v, &vmx_model_caps, why, sizeof why),
                     VMXERR_ENTRY_INVALID_CONTROL_FIELD);
    assert_non_null(strstr(why, "MONITOR_TRAP_FLAG"));
    good_vmcs(&v); /* misaligned I/O bitmap */
    vmcs_write(&v, CPU_BASED_VM_EXEC_CONTROL,
               vmcs_get(&v, CPU_BASED_VM_EXEC_CONTROL) | CPU_BASED_USE_IO_BITMAPS);
    vmcs_write(&v, IO_BITMAP_A, 0x1004);
    vmcs_write(&v, IO_BITMAP_B, 0x2000);
    assert_int_equal(vmcs_check_controls(&v, &vmx_model_caps, why, sizeof why),
                     VMXERR_ENTRY_INVALID_CONTROL_FIELD);
    assert_non_null(strstr(why, "IO_BITMAP_A"));
    good_vmcs(&v); /* unrestricted needs EPT */
    vmcs_write(&v, SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_UNRESTRICTED_GUEST);
    assert_int_equal(vmcs_check_controls(&v, &vmx_model_caps, why, sizeof why),
                     VMXERR_ENTRY_INVALID_CONTROL_FIELD);
    good_vmcs(&v);
    vmcs_write(&v, HOST_CR4, 0);
    assert_int_equal(vmcs_check_controls(&v, &vmx_model_caps, why, sizeof why),
                     VMXERR_ENTRY_INVALID_HOST_STATE_FIELD);
}

static void test_entry_checks_guest(void **state)
{
    (void)state;
    struct vmcs v;
    char why[256];
    uint32_t qual = 99;
    good_vmcs(&v);
    assert_int_equal(guest_check(&v, why, &qual), 0);
    vmcs_write(&v, GUEST_CR0, CR0_PG | CR0_NE | CR0_ET); /* PG without PE */
    assert_int_equal(guest_check(&v, why, &qual), -1);
    assert_non_null(strstr(why, "GUEST_CR0"));
    assert_non_null(strstr(why, "PE (bit 0) is 0"));
    vmcs_write(&v, GUEST_CR0, CR0_PE | CR0_ET); /* NE is fixed to 1 */
    assert_int_equal(guest_check(&v, why, &qual), -1);
    assert_non_null(strstr(why, "bit 5 must be 1"));
    good_vmcs(&v); /* without unrestricted guest */
    vmcs_write(&v, SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_ENABLE_EPT);
    assert_int_equal(guest_check(&v, why, &qual), -1); /* PG=0 not allowed */
    assert_non_null(strstr(why, "bit 31 must be 1"));
    good_vmcs(&v);
    vmcs_write(&v, GUEST_TR_AR_BYTES, 0x89); /* available, not busy TSS */
    assert_int_equal(guest_check(&v, why, &qual), -1);
    assert_non_null(strstr(why, "GUEST_TR_AR_BYTES"));
    good_vmcs(&v);
    vmcs_write(&v, GUEST_CS_LIMIT, 0xffff0); /* bits 11:0 not all 1 with G = 1 */
    assert_int_equal(guest_check(&v, why, &qual), -1);
    assert_non_null(strstr(why, "GUEST_CS_LIMIT"));
    good_vmcs(&v);
    vmcs_write(&v, GUEST_RFLAGS, FL_FIXED1 | (1u << 3)); /* reserved bit 3 */
    assert_int_equal(guest_check(&v, why, &qual), -1);
    assert_non_null(strstr(why, "GUEST_RFLAGS"));
    good_vmcs(&v);
    vmcs_write(&v, GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_SHUTDOWN);
    assert_int_equal(guest_check(&v, why, &qual), -1);
    assert_non_null(strstr(why, "GUEST_ACTIVITY_STATE"));
    good_vmcs(&v);
    vmcs_write(&v, GUEST_INTERRUPTIBILITY_INFO, GUEST_INTR_STATE_STI); /* IF = 0 */
    assert_int_equal(guest_check(&v, why, &qual), -1);
    assert_non_null(strstr(why, "GUEST_INTERRUPTIBILITY_INFO"));
    good_vmcs(&v);
    vmcs_write(&v, VMCS_LINK_POINTER, 0);
    assert_int_equal(guest_check(&v, why, &qual), -1);
    assert_int_equal(qual, ENTRY_FAIL_VMCS_LINK_PTR);
}

static void test_guest_state_round_trip(void **state)
{
    (void)state;
    struct vmcs v;
    struct x86_cpu a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.eip = 0x1234;
    a.gpr[R_ESP] = 0x8000;
    a.eflags = FL_FIXED1 | FL_IF;
    a.cr0 = 0x80010033;
    a.cr3 = 0x5000;
    a.cr4 = 0x2010;
    a.seg[S_CS] = (struct x86_seg){ 0x1b, 0, 0xffffffffu, 0xcfb };
    a.seg[S_SS] = (struct x86_seg){ 0x23, 0, 0xffffffffu, 0xcf3 };
    a.tr = (struct x86_seg){ 0x28, 0x3000, 0x67, 0x8b };
    a.halted = true;
    vmcs_clear(&v);
    vmcs_save_guest(&v, &a);
    assert_int_equal(vmcs_get(&v, GUEST_CS_AR_BYTES), 0xc0fb); /* D/B, G at 14, 15 */
    assert_int_equal(vmcs_get(&v, GUEST_DS_AR_BYTES), VMX_AR_UNUSABLE);
    assert_int_equal(vmcs_get(&v, GUEST_ACTIVITY_STATE), GUEST_ACTIVITY_HLT);
    vmcs_load_guest(&v, &b);
    assert_int_equal(b.eip, a.eip);
    assert_int_equal(b.cr0, a.cr0);
    assert_int_equal(b.seg[S_CS].attr, a.seg[S_CS].attr);
    assert_int_equal(b.tr.base, a.tr.base);
    assert_true(b.halted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_vmread_vmwrite),
        cmocka_unit_test(test_entry_checks_controls),
        cmocka_unit_test(test_entry_checks_guest),
        cmocka_unit_test(test_guest_state_round_trip),
    };
    return cmocka_run_group_tests_name("vmcs", tests, NULL, NULL);
}
