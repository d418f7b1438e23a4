/*
 * test_bt_emit.c — the translator's x86-64 encoder (01-binary-translation/
 * emit.c): every form is emitted, disassembled by capstone in 64-bit mode
 * and compared with the Intel-syntax text it must be.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <capstone/capstone.h>
#include "01-binary-translation/emit.h"

#define BASE 0x1000

/* Disassemble exactly one instruction covering all emitted bytes. */
static void expect_insn(struct emit *e, const char *want)
{
    csh h;
    cs_insn *ci;
    assert_int_equal(cs_open(CS_ARCH_X86, CS_MODE_64, &h), CS_ERR_OK);
    size_t n = cs_disasm(h, e->start, emit_size(e), BASE, 0, &ci);
    assert_int_equal(n, 1);
    assert_int_equal(ci[0].size, emit_size(e));
    char text[256];
    snprintf(text, sizeof text, "%s %s", ci[0].mnemonic, ci[0].op_str);
    cs_free(ci, n);
    cs_close(&h);
    assert_string_equal(text, want);
}

#define CASE(stmt, text) \
    do { \
        uint8_t buf[32]; \
        struct emit e; \
        emit_init(&e, buf, sizeof buf); \
        stmt; \
        assert_false(e.overflow); \
        expect_insn(&e, text); \
    } while (0)

static void test_moves(void **state)
{
    (void)state;
    CASE(emit_mov_r64_imm64(&e, RAX, 0x1122334455667788ull), "movabs rax, 0x1122334455667788");
    CASE(emit_mov_r64_imm64(&e, R9, 1), "movabs r9, 1");
    CASE(emit_mov_r32_imm32(&e, RCX, 7), "mov ecx, 7");
    CASE(emit_mov_r32_imm32(&e, R10, 0x80000000u), "mov r10d, 0x80000000");
    CASE(emit_mov_r64_r64(&e, RDI, RBX), "mov rdi, rbx");
    CASE(emit_mov_r64_r64(&e, R13, RDI), "mov r13, rdi");
    CASE(emit_mov_r64_r64(&e, RDX, R14), "mov rdx, r14");
    CASE(emit_store_r64(&e, RBX, 0x10, RSI), "mov qword ptr [rbx + 0x10], rsi");
    CASE(emit_store_r64(&e, R13, 0x1234, RAX), "mov qword ptr [r13 + 0x1234], rax");
    CASE(emit_store_r64(&e, R12, -8, R15), "mov qword ptr [r12 - 8], r15");
    CASE(emit_store_r64(&e, RSP, 8, RAX), "mov qword ptr [rsp + 8], rax");
    CASE(emit_load_r64(&e, RAX, RBP, 0), "mov rax, qword ptr [rbp]");
    CASE(emit_store_m32_imm32(&e, R14, 0x20, 0xdeadbeef), "mov dword ptr [r14 + 0x20], 0xdeadbeef");
    CASE(emit_store_m64_imm32(&e, RBX, 0x200, -1), "mov qword ptr [rbx + 0x200], -1");
    CASE(emit_lea_r64(&e, RSI, RBX, 0x40), "lea rsi, [rbx + 0x40]");
}

static void test_arith(void **state)
{
    (void)state;
    CASE(emit_cmp_m8_imm8(&e, RBX, 0x33, 0), "cmp byte ptr [rbx + 0x33], 0");
    CASE(emit_cmp_m32_imm32(&e, R14, 0x20, 0x00100000), "cmp dword ptr [r14 + 0x20], 0x100000");
    CASE(emit_sub_m32_imm8(&e, R13, 0, 1), "sub dword ptr [r13], 1");
    CASE(emit_add_m64_imm32(&e, RBX, 0x1000, 5), "add qword ptr [rbx + 0x1000], 5");
    CASE(emit_add_m64_imm32(&e, RBX, 8, 1000), "add qword ptr [rbx + 8], 0x3e8");
    CASE(emit_test_r64_r64(&e, RAX, RAX), "test rax, rax");
    CASE(emit_add_r64_imm8(&e, RSP, 8), "add rsp, 8");
    CASE(emit_sub_r64_imm8(&e, RSP, 8), "sub rsp, 8");
}

/* The window forms: guest addresses are 32-bit, through gs. */
static void test_window_forms(void **state)
{
    (void)state;
    CASE(emit_load_m32(&e, RAX, RBX, 0x0c), "mov eax, dword ptr [rbx + 0xc]");
    CASE(emit_load_m32(&e, R8, R13, 0x100), "mov r8d, dword ptr [r13 + 0x100]");
    CASE(emit_store_m32(&e, RBX, 0, RDX), "mov dword ptr [rbx], edx");
    CASE(emit_lea32(&e, RCX, RCX, RDX, 4, 8), "lea ecx, [rcx + rdx*4 + 8]");
    CASE(emit_lea32(&e, RCX, RCX, -1, 1, -4), "lea ecx, [rcx - 4]");
    CASE(emit_lea32(&e, RCX, R12, -1, 1, 0x1000), "lea ecx, [r12 + 0x1000]");
    CASE(emit_lea32(&e, RCX, -1, RDX, 8, 0x100), "lea ecx, [rdx*8 + 0x100]");
    CASE(emit_lea32(&e, RCX, -1, -1, 1, 0x1234), "mov ecx, 0x1234");
    CASE(emit_gs_load32(&e, RAX, RCX), "mov eax, dword ptr gs:[ecx]");
    CASE(emit_gs_store32(&e, RCX, RDX), "mov dword ptr gs:[ecx], edx");
    CASE(emit_gs_store32_imm(&e, RCX, 0x55aa), "mov dword ptr gs:[ecx], 0x55aa");
}

static void test_control(void **state)
{
    (void)state;
    CASE(emit_push_r64(&e, RBX), "push rbx");
    CASE(emit_push_r64(&e, R12), "push r12");
    CASE(emit_pop_r64(&e, R15), "pop r15");
    CASE(emit_call_r64(&e, RAX), "call rax");
    CASE(emit_call_r64(&e, R11), "call r11");
    CASE(emit_jmp_r64(&e, RCX), "jmp rcx");
    CASE(emit_ret(&e), "ret ");
}

/* Relative branches: the target is where the buffer says; patching moves it. */
static void test_relative(void **state)
{
    (void)state;
    uint8_t buf[16];
    struct emit e;
    emit_init(&e, buf, sizeof buf);
    uint8_t *f = emit_jmp_rel32(&e, buf + 0x100);
    assert_ptr_equal(f, buf + 1);
    csh h;
    cs_insn *ci;
    assert_int_equal(cs_open(CS_ARCH_X86, CS_MODE_64, &h), CS_ERR_OK);
    assert_int_equal(cs_disasm(h, buf, 5, BASE, 0, &ci), 1);
    assert_string_equal(ci[0].op_str, "0x1100");
    cs_free(ci, 1);
    emit_patch_rel32(f, buf + 5); /* now falls through */
    assert_int_equal(cs_disasm(h, buf, 5, BASE, 0, &ci), 1);
    assert_string_equal(ci[0].op_str, "0x1005");
    cs_free(ci, 1);
    emit_init(&e, buf, sizeof buf);
    emit_jcc_rel32(&e, CC_NE, buf + 0x20);
    assert_int_equal(cs_disasm(h, buf, 6, BASE, 0, &ci), 1);
    assert_string_equal(ci[0].mnemonic, "jne");
    assert_string_equal(ci[0].op_str, "0x1020");
    cs_free(ci, 1);
    emit_init(&e, buf, sizeof buf);
    emit_jcc_rel32(&e, CC_S, buf);
    assert_int_equal(cs_disasm(h, buf, 6, BASE, 0, &ci), 1);
    assert_string_equal(ci[0].mnemonic, "js");
    assert_string_equal(ci[0].op_str, "0x1000");
    cs_free(ci, 1);
    cs_close(&h);
}

/* Emitting past the end sets overflow and writes nothing out of bounds. */
static void test_overflow(void **state)
{
    (void)state;
    uint8_t buf[12] = { 0 };
    struct emit e;
    emit_init(&e, buf, 8);
    emit_mov_r64_imm64(&e, RAX, 0x1111111111111111ull); /* 10 bytes */
    assert_true(e.overflow);
    assert_int_equal(emit_size(&e), 8);
    assert_int_equal(buf[8], 0);
    assert_null(emit_jmp_rel32(&e, buf));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moves),        cmocka_unit_test(test_arith),
        cmocka_unit_test(test_window_forms), cmocka_unit_test(test_control),
        cmocka_unit_test(test_relative),     cmocka_unit_test(test_overflow),
    };
    return cmocka_run_group_tests_name("bt_emit", tests, NULL, NULL);
}
