/*
 * test_interp_xlate.c — the interpreter's xlate and tlb_flush hooks
 * (x86/interp.h), through which stage 04 gives the VMX model EPT and
 * shadow page tables: a VM exit in the middle of an instruction leaves it
 * undone (EIP on it, memory unchanged) and the instructions before it
 * retired; a #PF from the hook is delivered with CR2; the TLB serves only
 * the accesses the hook allowed; INVLPG reaches the hook; an exit while an
 * injected interrupt is delivered leaves it pending for the next run.
 */
#include "x86_harness.h"

/* mov eax,[DATA]; mov dword [DATA+4],5; hlt; invlpg [DATA]; hlt */
static const uint8_t code[] = { 0xa1, 0x00, 0x00, 0x02, 0x00, 0xc7, 0x05, 0x04,
                                0x00, 0x02, 0x00, 0x05, 0x00, 0x00, 0x00, 0xf4,
                                0x0f, 0x01, 0x3d, 0x00, 0x00, 0x02, 0x00, 0xf4 };

static struct {
    int calls, write_calls, flushes, last_kind;
    uint32_t last_lin;
    bool deny_write, read_only, pf_read, deny_stack;
} X;

static int exit48(uint32_t lin, struct vm_exit *e)
{
    memset(e, 0, sizeof *e);
    e->reason = EXIT_EPT_VIOLATION;
    e->u.ept.gpa = lin;
    e->u.ept.gla = lin;
    e->qualification = 2;
    return INTERP_XLATE_EXIT;
}

static int xlate(void *o, uint32_t lin, unsigned acc, struct interp_xlate *x, struct vm_exit *e)
{
    (void)o;
    X.calls++;
    X.write_calls += !!(acc & ACC_W);
    memset(&x->walk, 0, sizeof x->walk);
    x->walk.lin = lin;
    x->walk.ok = true;
    x->walk.gpa = lin; /* identity */
    x->read = x->write = x->fetch = true;
    uint32_t page = lin & ~0xfffu;
    if (page == DATA && (X.deny_write || X.read_only))
        x->write = false; /* a later store asks again */
    if (page == DATA && (acc & ACC_W) && X.deny_write)
        return exit48(lin, e);
    if (page == DATA && !(acc & ACC_W) && X.pf_read) {
        x->walk.error_code = 0;
        return INTERP_XLATE_PF;
    }
    if (page == ((KSTACK - 4) & ~0xfffu) && (acc & ACC_W) && X.deny_stack)
        return exit48(lin, e);
    return INTERP_XLATE_OK;
}

static void flush(void *o, int kind, uint32_t lin)
{
    (void)o;
    X.flushes++;
    X.last_kind = kind;
    X.last_lin = lin;
}

static int setup(void **state)
{
    int r = tm_setup(state);
    struct tm *t = *state;
    memset(&X, 0, sizeof X);
    interp_set_xlate(t->ip, xlate, flush);
    tm_load(t, CODE, code, code + sizeof code);
    tm_wr32(t, DATA, 0x1234);
    return r;
}

static void test_exit_mid_instruction(void **state)
{
    struct tm *t = *state;
    X.deny_write = true;
    assert_int_equal(tm_run(t), EXIT_EPT_VIOLATION);
    assert_int_equal(t->exit.guest_eip, CODE + 5); /* the store, not done */
    assert_int_equal(t->cpu.eip, CODE + 5);
    assert_int_equal(t->exit.u.ept.gpa, DATA + 4);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x1234); /* the load before it retired */
    assert_int_equal(tm_rd32(t, DATA + 4), 0);
    X.deny_write = false; /* the VMM restored access */
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_rd32(t, DATA + 4), 5);
}

static void test_page_fault(void **state)
{
    struct tm *t = *state;
    X.pf_read = true;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_PF);
    assert_int_equal(t->cpu.cr2, DATA);
}

static void test_tlb_serves_what_was_allowed(void **state)
{
    struct tm *t = *state;
    X.read_only = true; /* the read may be cached, the write must ask */
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(X.write_calls, 1);
    int calls = X.calls;
    t->cpu.eip = CODE; /* again: everything from the TLB but the write */
    t->cpu.halted = false;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(X.calls - calls, 1);
    assert_int_equal(X.write_calls, 2);
}

static void test_invlpg_reaches_the_hook(void **state)
{
    struct tm *t = *state;
    assert_int_equal(tm_run(t), EXIT_HLT);
    int f = X.flushes;
    t->cpu.halted = false;
    assert_int_equal(tm_run(t), EXIT_HLT); /* invlpg [DATA]; hlt */
    assert_int_equal(X.flushes, f + 1);
    assert_int_equal(X.last_kind, INTERP_FLUSH_PAGE);
    assert_int_equal(X.last_lin, DATA);
}

static void test_injected_event_stays_pending(void **state)
{
    struct tm *t = *state;
    X.deny_stack = true; /* delivering the interrupt pushes onto KSTACK */
    t->cpu.eflags |= FL_IF;
    interp_inject_event(t->ip, 0x21, true, false, 0);
    assert_int_equal(tm_run(t), EXIT_EPT_VIOLATION);
    assert_int_equal(t->cpu.eip, CODE); /* nothing ran */
    X.deny_stack = false;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), 0x21); /* delivered on the next run */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exit_mid_instruction, setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_page_fault, setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_tlb_serves_what_was_allowed, setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_invlpg_reaches_the_hook, setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_injected_event_stays_pending, setup, tm_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
