/*
 * test_kvm_exit.c — the KVM engine's exits without /dev/kvm
 * (03-hw-assisted/kvm_exit.c): a kvm_run page filled as KVM_RUN leaves it
 * must become the struct vm_exit the core loop handles (so MMIO, REP
 * INS/OUTS batches and interrupt-window exits reach --stats, the trace and
 * the visualizer like any engine's), and the VMM's answer must land where
 * KVM reads it on the next KVM_RUN.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "03-hw-assisted/kvm.h"

static union {
    struct kvm_run run;
    uint8_t page[4096];
} pg;
static const struct x86_cpu cpu = { .eip = 0x1234 };

static struct kvm_run *fresh(uint32_t reason)
{
    memset(&pg, 0, sizeof pg);
    pg.run.exit_reason = reason;
    return &pg.run;
}

static void test_mmio_is_an_ept_misconfiguration(void **st)
{
    (void)st;
    struct vm_exit e;
    struct kvm_run *r = fresh(KVM_EXIT_MMIO);
    r->mmio.phys_addr = 0xfee00300;
    r->mmio.len = 4;
    r->mmio.is_write = 1;
    uint32_t v = 0xc0ffee;
    memcpy(r->mmio.data, &v, 4);
    assert_int_equal(kvm_exit_decode(r, &cpu, &e), KVM_X_EXIT);
    assert_int_equal(e.reason, EXIT_EPT_MISCONFIG);
    assert_int_equal(e.guest_eip, 0x1234);
    assert_int_equal(e.u.ept.gpa, 0xfee00300);
    assert_int_equal(e.u.ept.size, 4);
    assert_int_equal(e.u.ept.qual, 2);
    assert_int_equal(e.u.ept.value, 0xc0ffee);
    assert_false(kvm_exit_needs_answer(&e));

    r = fresh(KVM_EXIT_MMIO); /* a read: the VMM answers */
    r->mmio.phys_addr = 0xfee00020;
    r->mmio.len = 2;
    assert_int_equal(kvm_exit_decode(r, &cpu, &e), KVM_X_EXIT);
    assert_int_equal(e.u.ept.qual, 1);
    assert_true(kvm_exit_needs_answer(&e));
    e.u.ept.value = 0xbeef;
    kvm_exit_answer(r, &e);
    assert_int_equal(r->mmio.data[0], 0xef);
    assert_int_equal(r->mmio.data[1], 0xbe);
    assert_int_equal(r->mmio.data[2], 0);
}

static void test_io_and_string_io(void **st)
{
    (void)st;
    struct vm_exit e;
    struct kvm_run *r = fresh(KVM_EXIT_IO);
    r->io.direction = KVM_EXIT_IO_IN;
    r->io.size = 1;
    r->io.port = 0x3fd;
    r->io.count = 1;
    r->io.data_offset = 2048;
    assert_int_equal(kvm_exit_decode(r, &cpu, &e), KVM_X_EXIT);
    assert_int_equal(e.reason, EXIT_IO_INSTRUCTION);
    assert_true(e.u.io.in);
    assert_false(e.u.io.string);
    assert_int_equal(e.qualification, 0x3fd0008);
    assert_true(kvm_exit_needs_answer(&e));
    e.u.io.value = 0x60;
    kvm_exit_answer(r, &e);
    assert_int_equal(pg.page[2048], 0x60);

    r = fresh(KVM_EXIT_IO); /* rep outsb of 3 bytes */
    r->io.direction = KVM_EXIT_IO_OUT;
    r->io.size = 1;
    r->io.port = 0x3f8;
    r->io.count = 3;
    r->io.data_offset = 2048;
    memcpy(pg.page + 2048, "abc", 3);
    assert_int_equal(kvm_exit_decode(r, &cpu, &e), KVM_X_EXIT);
    assert_int_equal(e.reason, EXIT_IO_INSTRUCTION);
    assert_true(e.u.io.string && e.u.io.rep);
    assert_int_equal(e.u.io.count, 3);
    assert_ptr_equal(e.u.io.data, pg.page + 2048); /* the core reads KVM's buffer */
    assert_int_equal(e.qualification, 0x3f80030);
    assert_false(kvm_exit_needs_answer(&e));
}

static void test_other_exits(void **st)
{
    (void)st;
    struct vm_exit e;
    assert_int_equal(kvm_exit_decode(fresh(KVM_EXIT_IRQ_WINDOW_OPEN), &cpu, &e), KVM_X_EXIT);
    assert_int_equal(e.reason, EXIT_INTERRUPT_WINDOW);
    assert_int_equal(kvm_exit_decode(fresh(KVM_EXIT_HLT), &cpu, &e), KVM_X_EXIT);
    assert_int_equal(e.reason, EXIT_HLT);
    assert_int_equal(e.guest_eip, 0x1233);
    assert_int_equal(kvm_exit_decode(fresh(KVM_EXIT_SHUTDOWN), &cpu, &e), KVM_X_EXIT);
    assert_int_equal(e.reason, EXIT_TRIPLE_FAULT);
    assert_int_equal(kvm_exit_decode(fresh(KVM_EXIT_INTR), &cpu, &e), KVM_X_AGAIN);
    assert_int_equal(kvm_exit_decode(fresh(KVM_EXIT_HYPERCALL), &cpu, &e), KVM_X_ERROR);
    assert_int_equal(e.reason, EXIT_VMM_ERROR);
    assert_non_null(strstr(e.message, "unexpected KVM exit 3"));
}

/* --kvm-controls step: KVM_EXIT_DEBUG for a single step (#DB, DR6.BS) is
 * the monitor trap flag exit; any other debug exit is an engine error. */
static void test_single_step_is_monitor_trap_flag(void **st)
{
    (void)st;
    struct vm_exit e;
    struct kvm_run *r = fresh(KVM_EXIT_DEBUG);
    r->debug.arch.exception = 1;
    r->debug.arch.dr6 = 0xffff4ff0; /* BS */
    assert_int_equal(kvm_exit_decode(r, &cpu, &e), KVM_X_EXIT);
    assert_int_equal(e.reason, EXIT_MONITOR_TRAP_FLAG);
    assert_string_equal(exit_reason_name(e.reason), "Monitor trap flag");
    assert_int_equal(e.guest_eip, 0x1234); /* the next instruction */
    assert_false(kvm_exit_needs_answer(&e));
    r = fresh(KVM_EXIT_DEBUG);
    r->debug.arch.exception = 3; /* an INT3 breakpoint: not ours */
    assert_int_equal(kvm_exit_decode(r, &cpu, &e), KVM_X_ERROR);
    assert_non_null(strstr(e.message, "KVM_EXIT_DEBUG for exception 3"));
}

/* Every KVM_RUN return is counted once: an exit for the core, or a kick
 * (EINTR before entry, KVM_EXIT_INTR from inside), never both. */
static void test_every_return_counted_once(void **st)
{
    (void)st;
    struct kvm_stats s;
    memset(&s, 0, sizeof s);
    static const struct {
        int r;
        uint32_t reason;
        bool kick;
    } seq[] = {
        { 0, KVM_EXIT_IO, false },   { -1, KVM_EXIT_IO, true }, /* EINTR: stale reason */
        { 0, KVM_EXIT_INTR, true },  { 0, KVM_EXIT_HLT, false },
        { 0, KVM_EXIT_MMIO, false }, { 0, KVM_EXIT_IRQ_WINDOW_OPEN, false },
        { 0, KVM_EXIT_IO, false },   { 0, KVM_EXIT_DEBUG, false },
        { -1, KVM_EXIT_HLT, true },
    };
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++)
        assert_int_equal(kvm_count_return(&s, seq[i].r, seq[i].reason), seq[i].kick);
    uint64_t codes = 0;
    for (int i = 0; i < KVM_EXIT_CODES; i++)
        codes += s.kvm_exits[i];
    assert_int_equal(s.handed, 6);
    assert_int_equal(s.handed, codes - s.kvm_exits[KVM_EXIT_INTR]);
    assert_int_equal(s.kicks, 3);
    assert_int_equal(s.eintr, 2);
    assert_int_equal(s.kvm_exits[KVM_EXIT_IO], 2);

    char out[1024];
    FILE *f = fmemopen(out, sizeof out, "w");
    kvm_print_exit_stats(&s, false, f);
    fclose(f);
    assert_non_null(strstr(out, "kvm: KVM_RUN returns by KVM_EXIT_* code:\n"));
    assert_non_null(strstr(out, "kvm:   IO                        2\n"));
    assert_non_null(strstr(out, "kvm:   DEBUG                     1\n"));
    assert_non_null(strstr(out, "9 KVM_RUN returns = 6 exits handed to the VMM + 3 timer kicks "
                                "(2 EINTR, 1 KVM_EXIT_INTR)"));
    assert_null(strstr(out, "PVM")); /* the PVM label only on PVM */
    f = fmemopen(out, sizeof out, "w");
    kvm_print_exit_stats(&s, true, f);
    fclose(f);
    assert_non_null(strstr(out, "kvm: KVM_RUN returns by KVM_EXIT_* code on KVM (PVM):\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mmio_is_an_ept_misconfiguration),
        cmocka_unit_test(test_io_and_string_io),
        cmocka_unit_test(test_other_exits),
        cmocka_unit_test(test_single_step_is_monitor_trap_flag),
        cmocka_unit_test(test_every_return_counted_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
