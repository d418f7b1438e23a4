/*
 * test_bt_codecache.c — the translator's code cache (01-binary-translation/
 * codecache.c): keys (gpa, EIP, mode), chaining and unlinking checked by
 * running the generated code, invalidation, pages holding code, flush,
 * host code address -> block.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "01-binary-translation/codecache.h"
#include "01-binary-translation/emit.h"

typedef int (*fn_t)(void);

/* A block whose code is "mov eax, v; ret". */
static struct tblock *ret_block(struct codecache *cc, uint32_t gpa, uint32_t eip, uint8_t mode,
                                int v)
{
    size_t avail;
    struct emit e;
    emit_init(&e, cc_space(cc, &avail), 0);
    struct tblock *tb = cc_new_block(cc, gpa, eip, mode);
    emit_init(&e, tb->code, avail);
    emit_mov_r32_imm32(&e, RAX, (uint32_t)v);
    emit_ret(&e);
    cc_commit(cc, tb, emit_size(&e));
    return tb;
}

/* A block with one direct exit: "jmp stub", stub = "mov eax, 99; ret". */
static struct tblock *exit_block(struct codecache *cc, uint32_t gpa, uint32_t eip, uint32_t target)
{
    size_t avail;
    cc_space(cc, &avail);
    struct tblock *tb = cc_new_block(cc, gpa, eip, 0);
    struct emit e;
    emit_init(&e, tb->code, avail);
    tb->exit[0].field = emit_jmp_rel32(&e, e.p);
    tb->exit[0].stub = e.p;
    tb->exit[0].target = target;
    emit_patch_rel32(tb->exit[0].field, e.p);
    emit_mov_r32_imm32(&e, RAX, 99);
    emit_ret(&e);
    tb->nexits = 1;
    cc_commit(cc, tb, emit_size(&e));
    return tb;
}

static int run(const struct tblock *tb) { return ((fn_t)(void *)tb->code)(); }

static void test_keys(void **state)
{
    (void)state;
    char err[128];
    struct codecache *cc = cc_create(1 << 16, 1 << 20, err, sizeof err);
    assert_non_null(cc);
    struct tblock *k = ret_block(cc, 0x5000, 0xc0005000, 0, 1);
    struct tblock *u = ret_block(cc, 0x5000, 0xc0005000, 3 | 4, 2); /* same code, ring 3 */
    struct tblock *o = ret_block(cc, 0x5000, 0x00005000, 0, 3);     /* same page, other EIP */
    assert_ptr_equal(cc_lookup(cc, 0x5000, 0xc0005000, 0), k);
    assert_ptr_equal(cc_lookup(cc, 0x5000, 0xc0005000, 7), u);
    assert_ptr_equal(cc_lookup(cc, 0x5000, 0x00005000, 0), o);
    assert_null(cc_lookup(cc, 0x5004, 0xc0005000, 0));
    assert_int_equal(run(k), 1);
    assert_int_equal(run(u), 2);
    assert_int_equal(cc_blocks(cc), 3);
    assert_true(cc_page_has_code(cc, 0x5fff));
    assert_false(cc_page_has_code(cc, 0x6000));
    /* Writing the guest code drops every mode's translation of it. */
    cc_drop_guest(cc, 0x5000, 0xc0005000);
    assert_null(cc_lookup(cc, 0x5000, 0xc0005000, 0));
    assert_null(cc_lookup(cc, 0x5000, 0xc0005000, 7));
    assert_ptr_equal(cc_lookup(cc, 0x5000, 0x00005000, 0), o);
    assert_true(cc_page_has_code(cc, 0x5000));
    cc_drop(cc, o);
    assert_false(cc_page_has_code(cc, 0x5000));
    struct cc_stats st;
    cc_get_stats(cc, &st);
    assert_int_equal(st.translated, 3);
    assert_int_equal(st.invalidated, 3);
    cc_destroy(cc);
}

static void test_chain_unlink(void **state)
{
    (void)state;
    char err[128];
    struct codecache *cc = cc_create(1 << 16, 1 << 20, err, sizeof err);
    assert_non_null(cc);
    struct tblock *a = ret_block(cc, 0x1100, 0x1100, 0, 1);
    struct tblock *b = ret_block(cc, 0x1200, 0x1200, 0, 2);
    struct tblock *f = exit_block(cc, 0x1000, 0x1000, 0x1100);
    assert_int_equal(run(f), 99); /* unchained: through its stub */
    cc_link(cc, f, 0, a);
    assert_ptr_equal(f->exit[0].to, a);
    assert_int_equal(run(f), 1); /* chained: straight into a */
    cc_drop(cc, a);              /* a's guest code was written */
    assert_null(f->exit[0].to);
    assert_int_equal(run(f), 99); /* back on the stub */
    cc_link(cc, f, 0, a);         /* a dropped block is never linked */
    assert_int_equal(run(f), 99);
    cc_link(cc, f, 0, b);
    assert_int_equal(run(f), 2);
    cc_drop(cc, f); /* the source goes: b forgets it */
    assert_null(b->in);
    struct cc_stats st;
    cc_get_stats(cc, &st);
    assert_int_equal(st.chains, 2);
    assert_int_equal(st.unlinks, 1);
    cc_destroy(cc);
}

static void test_flush(void **state)
{
    (void)state;
    char err[128];
    struct codecache *cc = cc_create(1 << 16, 1 << 20, err, sizeof err);
    assert_non_null(cc);
    struct tblock *glue = ret_block(cc, 0, 0, 0xff, 7); /* kept across flushes */
    uint8_t *glue_code = glue->code;
    cc_drop(cc, glue);
    cc_keep_static(cc);
    uint64_t base = cc_used(cc);
    assert_true(base > 0);
    for (int i = 0; i < 10; i++)
        ret_block(cc, 0x2000 + 16 * i, 0x2000 + 16 * i, 0, i);
    assert_int_equal(cc_blocks(cc), 10);
    assert_true(cc_used(cc) > base);
    cc_flush(cc);
    assert_int_equal(cc_blocks(cc), 0);
    assert_int_equal(cc_used(cc), base);
    assert_null(cc_lookup(cc, 0x2000, 0x2000, 0));
    assert_false(cc_page_has_code(cc, 0x2000));
    assert_int_equal(((fn_t)(void *)glue_code)(), 7);
    struct tblock *n = ret_block(cc, 0x3000, 0x3000, 0, 5);
    assert_int_equal(run(n), 5);
    struct cc_stats st;
    cc_get_stats(cc, &st);
    assert_int_equal(st.flushes, 1);
    cc_destroy(cc);
}

/* A block of n bytes of code (n-1 NOPs then ret), so blocks differ in size
 * and most end before the next 16-byte boundary (padding between blocks). */
static struct tblock *nop_block(struct codecache *cc, uint32_t gpa, size_t n)
{
    size_t avail;
    cc_space(cc, &avail);
    struct tblock *tb = cc_new_block(cc, gpa, gpa, 0);
    assert_non_null(tb);
    assert_true(n <= avail);
    memset(tb->code, 0x90, n - 1);
    tb->code[n - 1] = 0xc3;
    cc_commit(cc, tb, n);
    return tb;
}

/* cc_find_code: host address -> the block whose code holds it (the SIGSEGV
 * path of a hidden page fault).  Start, middle and last byte of each block
 * find it; the padding after a block, the glue before the first block
 * (after a flush), and addresses past the last block or outside the region
 * find none. */
static void test_find_code(void **state)
{
    (void)state;
    char err[128];
    struct codecache *cc = cc_create(1 << 20, 1 << 20, err, sizeof err);
    assert_non_null(cc);
    size_t avail;
    uint8_t *region = cc_space(cc, &avail);
    struct tblock *glue = ret_block(cc, 0, 0, 0xff, 7); /* survives flushes */
    assert_ptr_equal(cc_find_code(cc, (uintptr_t)region), glue);
    cc_drop(cc, glue);
    cc_keep_static(cc);
    assert_null(cc_find_code(cc, (uintptr_t)region - 1));
    for (int round = 0; round < 2; round++) {
        enum { N = 700 }; /* more than one growth of the index */
        static struct tblock *tb[N];
        for (int i = 0; i < N; i++)
            tb[i] = nop_block(cc, 0x1000 + 16 * i, 1 + (size_t)(i * 37 + round) % 90);
        for (int i = 0; i < N; i++) {
            uintptr_t c = (uintptr_t)tb[i]->code, len = tb[i]->code_len;
            assert_ptr_equal(cc_find_code(cc, c), tb[i]);
            assert_ptr_equal(cc_find_code(cc, c + len / 2), tb[i]);
            assert_ptr_equal(cc_find_code(cc, c + len - 1), tb[i]);
            /* One past the end: the next block if it starts there, else padding. */
            struct tblock *want =
                i + 1 < N && (uintptr_t)tb[i + 1]->code == c + len ? tb[i + 1] : NULL;
            assert_ptr_equal(cc_find_code(cc, c + len), want);
        }
        /* A dropped block's code may still be running: it is still found. */
        cc_drop(cc, tb[N / 2]);
        assert_ptr_equal(cc_find_code(cc, (uintptr_t)tb[N / 2]->code + 1), tb[N / 2]);
        uintptr_t end = (uintptr_t)tb[N - 1]->code + tb[N - 1]->code_len;
        assert_null(cc_find_code(cc, end + 4096));
        assert_null(cc_find_code(cc, (uintptr_t)region + (1 << 20) + 100));
        assert_null(cc_find_code(cc, 0));
        uintptr_t first = (uintptr_t)tb[0]->code;
        cc_flush(cc); /* nothing is found after a flush, */
        assert_null(cc_find_code(cc, first));
        assert_null(cc_find_code(cc, end - 1));
        assert_null(cc_find_code(cc, (uintptr_t)region)); /* not even the glue */
    }
    cc_destroy(cc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_chain_unlink),
        cmocka_unit_test(test_flush),
        cmocka_unit_test(test_find_code),
    };
    return cmocka_run_group_tests_name("bt_codecache", tests, NULL, NULL);
}
