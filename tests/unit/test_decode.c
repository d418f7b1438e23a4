/*
 * test_decode.c — the decoder front end and the decoded-block cache:
 * blocks are decoded once and reused; a store into decoded code (by the
 * guest, even into the running block) or interp_invalidate_range() drops
 * them; prefixes (0x66, 0x67, segment override, LOCK), an instruction that
 * crosses a page, undefined opcodes.
 */
#include "x86_harness.h"

SNIP(loopsum);
SNIP(smc);
SNIP(movimm);
SNIP(o16);
SNIP(a16);
SNIP(fsread);
SNIP(lockreg);
SNIP(lockmem);
SNIP(badop);
SNIP(ud2);

static void start(struct tm *t, uint32_t eip)
{
    tm_ring0(t);
    t->cpu.eip = eip;
}
static struct interp_stats stats(struct tm *t)
{
    struct interp_stats s;
    interp_get_stats(t->ip, &s);
    return s;
}

static void test_blocks_decoded_once(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, loopsum);
    start(t, CODE);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 5050);
    uint64_t decoded = stats(t).blocks_decoded;
    assert_true(decoded >= 2 && decoded <= 4); /* not once per iteration */
    assert_int_equal(stats(t).instructions, 2 + 3 * 100 + 1);
    start(t, CODE);
    assert_int_equal(tm_run(t), EXIT_HLT); /* the second run decodes nothing */
    assert_int_equal(stats(t).blocks_decoded, decoded);
}

/* The snippet patches the immediate of an instruction later in its own
 * block; the interpreter must run the new bytes. */
static void test_self_modifying_code(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, smc);
    start(t, CODE);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x42);
    assert_true(stats(t).blocks_invalidated >= 1);
}

/* Code changed behind the interpreter's back is seen only after
 * interp_invalidate_range (what a loader or DMA must call). */
static void test_invalidate_range(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, movimm);
    start(t, CODE);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x11111111);
    tm_wr32(t, CODE + 1, 0x22222222); /* host write, not seen */
    start(t, CODE);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x11111111);
    interp_invalidate_range(t->ip, CODE + 1, 4);
    start(t, CODE);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x22222222);
}

static void test_prefixes(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, o16); /* 66: ADD AX only */
    start(t, CODE);
    t->cpu.gpr[R_EAX] = 0x1234ffff;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x12340000);
    assert_true(t->cpu.eflags & FL_CF);

    TM_LOAD(t, CODE, a16); /* 67: 16-bit addressing wraps at 64K */
    start(t, CODE);
    t->cpu.gpr[R_EBX] = 0xabcdfff0;
    t->cpu.gpr[R_ESI] = 0x20;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x12); /* (0xfff0 + 0x20 + 2) & 0xffff */

    TM_LOAD(t, CODE, fsread); /* FS override uses FS.base */
    start(t, CODE);
    t->cpu.seg[S_FS].base = DATA;
    tm_wr32(t, DATA + 0x10, 0x5eed);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x5eed);

    TM_LOAD(t, CODE, lockmem); /* LOCK on a memory RMW: fine */
    start(t, CODE);
    t->cpu.gpr[R_EDI] = DATA;
    tm_wr32(t, DATA, 1);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_rd32(t, DATA), 2);

    TM_LOAD(t, CODE, lockreg); /* LOCK on a register: #UD */
    start(t, CODE);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_UD);
}

/* MOV EAX, imm32 starting 2 bytes before a page boundary. */
static void test_page_crossing_instruction(void **state)
{
    struct tm *t = *state;
    uint32_t at = CODE + 0x1000 - 2;
    TM_LOAD(t, at, movimm);
    start(t, at);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x11111111);
    /* With paging, the second page missing: #PF for the second page while
     * fetching, EIP at the instruction. */
    tm_paging(t);
    tm_pte(t, CODE + 0x1000, 0);
    start(t, at);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_PF);
    assert_int_equal(t->cpu.cr2, CODE + 0x1000);
    assert_int_equal(tm_stack(t, 1), at);
}

static void test_undefined_opcodes(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, badop);
    start(t, CODE);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_UD);
    assert_int_equal(tm_stack(t, 0), CODE);
    TM_LOAD(t, CODE, ud2);
    start(t, CODE);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_UD);
}

/* The code_cache hook reports decodes and invalidations (for --trace). */
static int cc_counts[4];
static void cc_hook(void *o, int kind, uint32_t gpa, uint32_t size, uint64_t occupancy,
                    uint32_t eip)
{
    (void)o;
    (void)gpa;
    (void)eip;
    assert_true(kind >= 1 && kind <= 3);
    assert_true(kind == INTERP_CC_FLUSH || size > 0);
    if (kind == INTERP_CC_DECODE)
        assert_true(occupancy > 0);
    cc_counts[kind]++;
}
static void test_code_cache_hook(void **state)
{
    (void)state;
    struct tm t;
    tm_init(&t);
    interp_destroy(t.ip);
    struct interp_hooks h = { .code_cache = cc_hook };
    char err[128];
    t.ip = interp_create(&t.cpu, &t.ram, &h, &t, err, sizeof err);
    assert_non_null(t.ip);
    memset(cc_counts, 0, sizeof cc_counts);
    TM_LOAD(&t, CODE, smc);
    start(&t, CODE);
    assert_int_equal(tm_run(&t), EXIT_HLT);
    assert_true(cc_counts[INTERP_CC_DECODE] >= 3); /* call, the block, its re-decode */
    assert_true(cc_counts[INTERP_CC_INVALIDATE] >= 1);
    interp_invalidate_all(t.ip);
    assert_int_equal(cc_counts[INTERP_CC_FLUSH], 1);
    tm_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_blocks_decoded_once, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_self_modifying_code, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_invalidate_range, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_prefixes, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_page_crossing_instruction, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_undefined_opcodes, tm_setup, tm_teardown),
        cmocka_unit_test(test_code_cache_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
