/*
 * test_interp_ctl.c — string instructions (REP prefixes, direction flag),
 * the stack (PUSH/POP, PUSHA/POPA, PUSHF, ENTER/LEAVE) and control transfers
 * (CALL/RET, RET imm, LOOP, JECXZ, Jcc, indirect CALL).
 */
#include "x86_harness.h"

SNIP(rep_movsb);
SNIP(rep_movsd);
SNIP(rep_stosd);
SNIP(repe_cmpsb);
SNIP(repne_scasb);
SNIP(lodsb);
SNIP(stack);
SNIP(pusha);
SNIP(enter);
SNIP(call);
SNIP(retimm);
SNIP(loop);
SNIP(jecxz);
SNIP(jl);
SNIP(callind);
SNIP(ret5);

static void start(struct tm *t, uint32_t flags)
{
    tm_ring0(t);
    t->cpu.eip = CODE;
    t->cpu.eflags = FL_FIXED1 | flags;
}

static void test_rep_movs(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, rep_movsb);
    memcpy(tm_mem(t, DATA), "abcdefgh", 8);
    start(t, 0);
    t->cpu.gpr[R_ESI] = DATA;
    t->cpu.gpr[R_EDI] = DATA + 0x100;
    t->cpu.gpr[R_ECX] = 5;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_memory_equal(tm_mem(t, DATA + 0x100), "abcde\0", 6);
    assert_int_equal(t->cpu.gpr[R_ECX], 0);
    assert_int_equal(t->cpu.gpr[R_ESI], DATA + 5);
    assert_int_equal(t->cpu.gpr[R_EDI], DATA + 0x105);

    /* DF=1: backwards, dwords, registers decrement by 4. */
    TM_LOAD(t, CODE, rep_movsd);
    for (int i = 0; i < 4; i++)
        tm_wr32(t, DATA + 4 * i, 0x1000 + i);
    start(t, FL_DF);
    t->cpu.gpr[R_ESI] = DATA + 12;
    t->cpu.gpr[R_EDI] = DATA + 0x20c;
    t->cpu.gpr[R_ECX] = 3;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_rd32(t, DATA + 0x20c), 0x1003);
    assert_int_equal(tm_rd32(t, DATA + 0x208), 0x1002);
    assert_int_equal(tm_rd32(t, DATA + 0x204), 0x1001);
    assert_int_equal(tm_rd32(t, DATA + 0x200), 0); /* only 3 moved */
    assert_int_equal(t->cpu.gpr[R_ESI], DATA);
    assert_int_equal(t->cpu.gpr[R_EDI], DATA + 0x200);

    /* ECX = 0: nothing happens at all. */
    start(t, 0);
    t->cpu.gpr[R_ESI] = DATA;
    t->cpu.gpr[R_EDI] = DATA + 0x300;
    t->cpu.gpr[R_ECX] = 0;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_rd32(t, DATA + 0x300), 0);
    assert_int_equal(t->cpu.gpr[R_EDI], DATA + 0x300);
}

static void test_rep_stos_lods(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, rep_stosd);
    start(t, 0);
    t->cpu.gpr[R_EAX] = 0xcafef00d;
    t->cpu.gpr[R_EDI] = DATA;
    t->cpu.gpr[R_ECX] = 1000;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_rd32(t, DATA), 0xcafef00du);
    assert_int_equal(tm_rd32(t, DATA + 3996), 0xcafef00du);
    assert_int_equal(tm_rd32(t, DATA + 4000), 0);
    assert_int_equal(t->cpu.gpr[R_EDI], DATA + 4000);
    assert_int_equal(interp_instructions(t->ip), 2); /* a REP instruction retires once */

    TM_LOAD(t, CODE, lodsb);
    memcpy(tm_mem(t, DATA), "xy", 2);
    start(t, 0);
    t->cpu.gpr[R_EAX] = 0x11223344;
    t->cpu.gpr[R_ESI] = DATA;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x11223300u | 'y');
    assert_int_equal(t->cpu.gpr[R_ESI], DATA + 2);
}

static void test_repe_repne(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, repe_cmpsb);
    memcpy(tm_mem(t, DATA), "hello world", 11);
    memcpy(tm_mem(t, DATA + 0x100), "help!", 5);
    start(t, 0);
    t->cpu.gpr[R_ESI] = DATA;
    t->cpu.gpr[R_EDI] = DATA + 0x100;
    t->cpu.gpr[R_ECX] = 5;
    assert_int_equal(tm_run(t), EXIT_HLT);
    /* Stops after comparing 'l' with 'p' (the 4th byte): ZF=0, 'l' < 'p'. */
    assert_int_equal(t->cpu.gpr[R_ECX], 1);
    assert_int_equal(t->cpu.gpr[R_ESI], DATA + 4);
    assert_false(t->cpu.eflags & FL_ZF);
    assert_true(t->cpu.eflags & FL_CF);

    TM_LOAD(t, CODE, repne_scasb);
    start(t, 0);
    t->cpu.gpr[R_EAX] = 'w';
    t->cpu.gpr[R_EDI] = DATA;
    t->cpu.gpr[R_ECX] = 100;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_true(t->cpu.eflags & FL_ZF);            /* found */
    assert_int_equal(t->cpu.gpr[R_EDI], DATA + 7); /* one past the 'w' at 6 */
    assert_int_equal(t->cpu.gpr[R_ECX], 100 - 7);
}

static void test_stack(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, stack);
    start(t, FL_CF | FL_ZF);
    t->cpu.gpr[R_EAX] = 0xaaaa;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_ECX], FL_FIXED1 | FL_CF | FL_ZF); /* PUSHF image */
    assert_int_equal(t->cpu.gpr[R_EDX], 0x1234);
    assert_int_equal(t->cpu.gpr[R_EBX], 0xaaaa);
    assert_int_equal(t->cpu.gpr[R_ESP], KSTACK);
    assert_int_equal(tm_rd32(t, KSTACK - 4), 0xaaaa);

    TM_LOAD(t, CODE, pusha);
    start(t, 0);
    for (int r = 0; r < 8; r++)
        if (r != R_ESP)
            t->cpu.gpr[r] = 0x100 + r;
    assert_int_equal(tm_run(t), EXIT_HLT);
    for (int r = 0; r < 8; r++)
        if (r != R_ESP)
            assert_int_equal(t->cpu.gpr[r], 0x100 + r);
    assert_int_equal(tm_rd32(t, KSTACK - 20), KSTACK); /* 5th push: ESP before PUSHA */
    assert_int_equal(t->cpu.gpr[R_ESP], KSTACK);

    TM_LOAD(t, CODE, enter);
    start(t, 0);
    t->cpu.gpr[R_EBP] = 0xbbbb;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EBX], KSTACK - 4); /* frame = ESP after push EBP */
    assert_int_equal(t->cpu.gpr[R_EAX], KSTACK - 4 - 16);
    assert_int_equal(t->cpu.gpr[R_EBP], 0xbbbb); /* LEAVE restored it */
    assert_int_equal(t->cpu.gpr[R_ESP], KSTACK);
}

static void test_calls(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, call);
    start(t, 0);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 6); /* callee set 5, caller added 1 */
    assert_int_equal(t->cpu.gpr[R_ESP], KSTACK);
    assert_int_equal(tm_rd32(t, KSTACK - 4), CODE + 5); /* return address = after CALL rel32 */

    TM_LOAD(t, CODE, retimm);
    start(t, 0);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_ESP], KSTACK); /* RET 8 popped both arguments */

    TM_LOAD(t, CODE, callind);
    TM_LOAD(t, CODE + 0x100, ret5);
    start(t, 0);
    t->cpu.gpr[R_ESI] = CODE + 0x100;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 5);
    assert_int_equal(t->exit.guest_eip, CODE + 2); /* CALL *%esi is 2 bytes */
}

static void test_branches(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, loop);
    start(t, 0);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 20);
    assert_int_equal(t->cpu.gpr[R_ECX], 0);

    TM_LOAD(t, CODE, jecxz);
    start(t, 0);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 1); /* jumped over mov $2 */

    TM_LOAD(t, CODE, jl);
    start(t, 0);
    t->cpu.gpr[R_EAX] = (uint32_t)-1;
    t->cpu.gpr[R_EBX] = 1;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_ECX], 1); /* signed: -1 < 1 */
    start(t, 0);
    t->cpu.gpr[R_EAX] = 2;
    t->cpu.gpr[R_EBX] = 1;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_ECX], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rep_movs, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_rep_stos_lods, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_repe_repne, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_stack, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_calls, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_branches, tm_setup, tm_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
