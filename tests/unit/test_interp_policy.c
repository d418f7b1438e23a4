/*
 * test_interp_policy.c — the interpreter's exit-policy hook and the other
 * VT-x helpers stage 03's VMX model uses (x86/interp.h): a policy that says
 * "exit" stops before the instruction executes, with the SDM exit
 * information; one that says "no" lets it run (an IN/OUT then goes to the
 * pio hook without any exit); CR0 read shadows; event injection;
 * interrupt-window exits; no hook = the behaviour of before.
 */
#include "x86_harness.h"

SNIP(cpuid0);
SNIP(io);
SNIP(nops);

struct pol {
    struct tm *t;
    bool answer; /* what the policy says           */
    int asked;
    struct vm_exit last; /* the exit it was asked about     */
    int pio_calls;
    uint16_t pio_port;
};
static struct pol P;

static bool policy(void *o, struct vm_exit *e)
{
    (void)o;
    P.asked++;
    P.last = *e;
    return P.answer;
}
static bool pio(void *o, uint16_t port, uint8_t size, bool write, uint32_t *val)
{
    (void)o;
    (void)size;
    P.pio_calls++;
    P.pio_port = port;
    if (!write)
        *val = 0x5a;
    return true;
}

static int setup(void **state)
{
    struct tm *t = malloc(sizeof *t);
    tm_init(t);
    interp_destroy(t->ip);
    struct interp_hooks h = {
        .irq_pending = tm_irq_pending, .irq_ack = tm_irq_ack, .pio = pio, .exit_policy = policy
    };
    char err[128];
    t->ip = interp_create(&t->cpu, &t->ram, &h, t, err, sizeof err);
    assert_non_null(t->ip);
    memset(&P, 0, sizeof P);
    P.t = t;
    *state = t;
    return 0;
}
static int teardown(void **state)
{
    tm_fini(*state);
    free(*state);
    return 0;
}

static void test_cpuid_exit_and_not(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, cpuid0);
    t->cpu.gpr[R_EBX] = 0x1111;
    P.answer = true;
    assert_int_equal(tm_run(t), EXIT_CPUID);
    assert_int_equal(t->exit.guest_eip, CODE + 2); /* xor eax,eax; then CPUID */
    assert_int_equal(t->exit.instr_len, 2);
    assert_int_equal(t->cpu.eip, CODE + 2); /* not executed */
    assert_int_equal(t->cpu.gpr[R_EBX], 0x1111);
    P.answer = false; /* now let it run */
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 1); /* max leaf of the model */
    assert_int_equal(P.asked, 2);
}

static void test_io_policy(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, io); /* in $0x60; out $0x61; hlt */
    P.answer = false;
    assert_int_equal(tm_run(t), EXIT_HLT); /* no I/O exit at all */
    assert_int_equal(P.pio_calls, 2);
    assert_int_equal(P.pio_port, 0x61);
    assert_int_equal(t->cpu.gpr[R_EAX] & 0xff, 0x5a); /* IN got the device's value */
    tm_ring0(t);
    t->cpu.eip = CODE;
    P.answer = true;
    assert_int_equal(tm_run(t), EXIT_IO_INSTRUCTION);
    assert_int_equal(t->exit.u.io.port, 0x60);
    assert_true(t->exit.u.io.in);
    assert_int_equal(t->exit.qualification, (0x60u << 16) | 0x40 | 8); /* Table 28-5 */
}

static void test_exception_bitmap_and_injection(void **state)
{
    struct tm *t = *state;
    memcpy(tm_mem(t, CODE), "\x0f\x0b", 2); /* ud2 */
    interp_invalidate_range(t->ip, CODE, 2);
    P.answer = true;
    assert_int_equal(tm_run(t), EXIT_EXCEPTION_NMI);
    assert_int_equal(t->exit.u.exc.vector, EXC_UD);
    assert_int_equal(t->cpu.eip, CODE); /* nothing delivered */
    assert_int_equal(t->cpu.gpr[R_ESP], KSTACK);
    interp_inject_event(t->ip, EXC_UD, false, false, 0); /* the VMM reinjects it */
    P.answer = false;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_UD);
}

static void test_shadow_and_window(void **state)
{
    struct tm *t = *state;
    memcpy(tm_mem(t, CODE), "\x0f\x20\xc0\xf4", 4); /* mov %cr0,%eax; hlt */
    interp_invalidate_range(t->ip, CODE, 4);
    t->cpu.cr0 = CR0_PE | CR0_ET | CR0_NE;
    interp_set_cr_shadows(t->ip, CR0_NE, CR0_PE | CR0_ET, 0, 0);
    P.answer = false;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], CR0_PE | CR0_ET); /* NE comes from the shadow */
    assert_true(P.asked >= 1);
    assert_int_equal(P.last.reason, EXIT_CR_ACCESS);
    assert_int_equal(P.last.qualification, 0 | (1u << 4)); /* CR0, MOV from CR, EAX */

    TM_LOAD(t, CODE, nops);
    tm_ring0(t);
    t->cpu.eip = CODE;
    t->cpu.eflags = FL_FIXED1 | FL_IF;
    interp_set_irq_window_exit(t->ip, true);
    assert_int_equal(tm_run(t), EXIT_INTERRUPT_WINDOW);
    interp_set_irq_window_exit(t->ip, false);
    interp_inject_event(t->ip, 0x20, true, false, 0);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), 0x20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cpuid_exit_and_not, setup, teardown),
        cmocka_unit_test_setup_teardown(test_io_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exception_bitmap_and_injection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shadow_and_window, setup, teardown),
    };
    return cmocka_run_group_tests_name("interp exit policy", tests, NULL, NULL);
}
