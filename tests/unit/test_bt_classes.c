/*
 * test_bt_classes.c — the translator's instruction classes (01-binary-
 * translation/translate.c): guest code is decoded by the interpreter's
 * decoder and each instruction must land in the right class — HELPER (with
 * its SDM exit reason) for every sensitive or privileged instruction of
 * docs/ARCHITECTURE.md §4, WINDOW for the 32-bit MOVs the window does natively, and
 * plain CALL for the rest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include "x86/interp_int.h"
#include "01-binary-translation/bt.h"

struct cls {
    const char *what;
    uint8_t bytes[8];
    int len;
    int helper;
    int reason;
    int window;
};

static const struct cls cases[] = {
    { "cli", { 0xfa }, 1, HLP_CLI, -1, 0 },
    { "sti", { 0xfb }, 1, HLP_STI, -1, 0 },
    { "pushf", { 0x9c }, 1, HLP_PUSHF, -1, 0 },
    { "popf", { 0x9d }, 1, HLP_POPF, -1, 0 },
    { "in al, 0x60", { 0xe4, 0x60 }, 2, HLP_IN, 30, 0 },
    { "out dx, al", { 0xee }, 1, HLP_OUT, 30, 0 },
    { "rep outsb", { 0xf3, 0x6e }, 2, HLP_OUTS, 30, 0 },
    { "insd", { 0x6d }, 1, HLP_INS, 30, 0 },
    { "hlt", { 0xf4 }, 1, HLP_HLT, 12, 0 },
    { "lgdt [eax]", { 0x0f, 0x01, 0x10 }, 3, HLP_LGDT, 46, 0 },
    { "lidt [eax]", { 0x0f, 0x01, 0x18 }, 3, HLP_LIDT, 46, 0 },
    { "sgdt [eax]", { 0x0f, 0x01, 0x00 }, 3, HLP_SGDT, 46, 0 },
    { "sidt [eax]", { 0x0f, 0x01, 0x08 }, 3, HLP_SIDT, 46, 0 },
    { "vmcall", { 0x0f, 0x01, 0xc1 }, 3, HLP_VMCALL, 18, 0 }, /* a PV guest's hypercall */
    { "smsw eax", { 0x0f, 0x01, 0xe0 }, 3, HLP_SMSW, 28, 0 },
    { "lldt ax", { 0x0f, 0x00, 0xd0 }, 3, HLP_LLDT, 47, 0 },
    { "ltr ax", { 0x0f, 0x00, 0xd8 }, 3, HLP_LTR, 47, 0 },
    { "str eax", { 0x0f, 0x00, 0xc8 }, 3, HLP_STR, 47, 0 },
    { "mov cr3, eax", { 0x0f, 0x22, 0xd8 }, 3, HLP_MOV_TO_CR, 28, 0 },
    { "mov eax, cr0", { 0x0f, 0x20, 0xc0 }, 3, HLP_MOV_FROM_CR, 28, 0 },
    { "mov dr7, eax", { 0x0f, 0x23, 0xf8 }, 3, HLP_MOV_DR, 29, 0 },
    { "invlpg [eax]", { 0x0f, 0x01, 0x38 }, 3, HLP_INVLPG, 14, 0 },
    { "iret", { 0xcf }, 1, HLP_IRET, -1, 0 },
    { "int 0x80", { 0xcd, 0x80 }, 2, HLP_INT, -1, 0 },
    { "cpuid", { 0x0f, 0xa2 }, 2, HLP_CPUID, 10, 0 },
    { "rdtsc", { 0x0f, 0x31 }, 2, HLP_RDTSC, 16, 0 },
    { "rdmsr", { 0x0f, 0x32 }, 2, HLP_RDMSR, 31, 0 },
    { "wrmsr", { 0x0f, 0x30 }, 2, HLP_WRMSR, 32, 0 },
    { "wbinvd", { 0x0f, 0x09 }, 2, HLP_WBINVD, 54, 0 },
    { "clts", { 0x0f, 0x06 }, 2, HLP_CLTS, 28, 0 },
    /* Not sensitive. */
    { "add eax, ebx", { 0x01, 0xd8 }, 2, -1, -1, 0 },
    { "mov eax, ebx", { 0x89, 0xd8 }, 2, -1, -1, 0 },
    { "push eax", { 0x50 }, 1, -1, -1, 0 },
    { "mov eax, ds", { 0x8c, 0xd8 }, 2, -1, -1, 0 }, /* sensitive, but harmless: CALL */
    /* WINDOW: 32-bit MOV with memory, not through FS/GS/CS, 32-bit addressing. */
    { "mov eax, [ebx+4]", { 0x8b, 0x43, 0x04 }, 3, -1, -1, 1 },
    { "mov [esp+8], ecx", { 0x89, 0x4c, 0x24, 0x08 }, 4, -1, -1, 2 },
    { "mov dword [eax], 5", { 0xc7, 0x00, 5, 0, 0, 0 }, 6, -1, -1, 3 },
    { "mov eax, fs:[ebx]", { 0x64, 0x8b, 0x03 }, 3, -1, -1, 0 },
    { "mov ax, [ebx]", { 0x66, 0x8b, 0x03 }, 3, -1, -1, 0 },
    { "mov eax, [bx+si]", { 0x67, 0x8b, 0x00 }, 3, -1, -1, 0 },
    { "add eax, [ebx]", { 0x03, 0x03 }, 2, -1, -1, 0 },
};

static void test_classes(void **state)
{
    (void)state;
    struct guest_ram ram;
    struct x86_cpu cpu;
    char err[128];
    assert_int_equal(guest_ram_init(&ram, 1 << 20, err, sizeof err), 0);
    memset(&cpu, 0, sizeof cpu);
    cpu.cr0 = CR0_PE;
    struct interp *ip = interp_create(&cpu, &ram, NULL, NULL, err, sizeof err);
    assert_non_null(ip);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct cls *c = &cases[i];
        uint32_t at = 0x10000 + 0x100 * (uint32_t)i;
        memcpy(ram.host + at, c->bytes, (size_t)c->len);
        struct block *b = decode_block(ip, at, at, at);
        assert_non_null(b);
        const struct insn *in = &b->in[0];
        if (in->len != c->len || bt_helper_of(in) != c->helper ||
            (c->helper >= 0 && bt_helper_reason(c->helper) != c->reason) ||
            bt_window_form(in) != c->window)
            fail_msg("%s: len %d helper %d (%s) reason %d window %d; want len %d helper %d "
                     "reason %d window %d",
                     c->what, in->len, bt_helper_of(in), bt_helper_name(bt_helper_of(in)),
                     bt_helper_reason(bt_helper_of(in)), bt_window_form(in), c->len, c->helper,
                     c->reason, c->window);
        free(b);
    }
    interp_destroy(ip);
    guest_ram_destroy(&ram);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),
    };
    return cmocka_run_group_tests_name("bt_classes", tests, NULL, NULL);
}
