/* test_pv_hypercall.c — stage 02's VMM side (02-paravirt/hypercall.c) on a
 * VM with no guest and a fake clock: the register protocol of a VMCALL
 * exit, the errors of bad arguments, the validation of HC_MMU_UPDATE (a
 * guest must not map memory it does not own), the virtual IF as interrupt
 * gate, and the PV timer keeping time when the guest takes its interrupts
 * late. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vmm/options.h"
#include "core/vm.h"
#include "02-paravirt/hypercall.h"

#define MEM (4u << 20)

static uint64_t fake_ns = 1000000000;
static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_ns;
}

static uint32_t invlpgs[8], ninvlpg, invalidated;
static void op_invlpg(struct vcpu *v, uint32_t lin)
{
    (void)v;
    if (ninvlpg < 8)
        invlpgs[ninvlpg] = lin;
    ninvlpg++;
}
static void op_invalidate(struct vcpu *v, uint32_t gpa, uint32_t len)
{
    (void)v;
    (void)gpa;
    invalidated += len;
}
static int nflush;
static void op_flush_tlb(struct vcpu *v)
{
    (void)v;
    nflush++;
}
static const struct pv_cpu_ops ops = { op_invlpg, op_invalidate, op_flush_tlb };

static char console[512];
static size_t nconsole;
static void tx(void *ctx, uint8_t b)
{
    (void)ctx;
    if (nconsole < sizeof console)
        console[nconsole++] = (char)b;
}

static const struct engine_ops no_engine = { .name = "none" };
static struct vm_options opts;

static int setup(void **st)
{
    vm_options_defaults(&opts, "vmm-test");
    opts.mem = MEM;
    struct vm *vm;
    char err[256];
    assert_int_equal(vm_create(&vm, &opts, &no_engine, err, sizeof err), 0);
    vm_set_clock(vm, fake_clock, NULL);
    vm_set_console(vm, tx, NULL);
    assert_int_equal(pv_attach(vm_vcpu(vm), &ops, err, sizeof err), 0);
    ninvlpg = invalidated = 0;
    nconsole = 0;
    *st = vm;
    return 0;
}

static int teardown(void **st)
{
    struct vm *vm = *st;
    pv_detach(vm_vcpu(vm));
    vm_destroy(vm);
    return 0;
}

static uint8_t *ram(struct vm *vm, uint32_t gpa) { return vm_ram(vm)->host + gpa; }

/* One VMCALL exit at EIP 0x1000: nr in EAX, arguments in EBX, ECX, EDX. */
static int32_t call(struct vm *vm, uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3)
{
    struct vcpu *v = vm_vcpu(vm);
    v->cpu.gpr[R_EAX] = nr;
    v->cpu.gpr[R_EBX] = a1;
    v->cpu.gpr[R_ECX] = a2;
    v->cpu.gpr[R_EDX] = a3;
    v->cpu.gpr[R_ESI] = 0x5151;
    v->cpu.eip = 0x1000;
    struct vm_exit e = { .reason = EXIT_VMCALL, .guest_eip = 0x1000, .instr_len = 3 };
    assert_int_equal(pv_handle_exit(v->stage_state, v, &e), VM_EXIT_HANDLED);
    assert_int_equal(v->cpu.eip, 0x1003);        /* stepped over */
    assert_int_equal(v->cpu.gpr[R_ESI], 0x5151); /* preserved */
    return (int32_t)v->cpu.gpr[R_EAX];
}

static void test_protocol_and_errors(void **st)
{
    struct vm *vm = *st;
    assert_int_equal(call(vm, HC_VERSION, 0, 0, 0), PV_VERSION);
    assert_int_equal(call(vm, HC_MAX + 1, 0, 0, 0), -PV_ENOSYS);
    assert_int_equal(call(vm, 0xffffffffu, 0, 0, 0), -PV_ENOSYS);
    assert_int_equal(call(vm, HC_SHARED_PAGE, 0x2004, 0, 0), -PV_EINVAL);
    assert_int_equal(call(vm, HC_SHARED_PAGE, MEM, 0, 0), -PV_EINVAL);
    assert_int_equal(call(vm, HC_LOAD_CR3, MEM, 0, 0), -PV_EINVAL);
    assert_int_equal(call(vm, HC_LOAD_CR3, 0x3001, 0, 0), -PV_EINVAL);
    int flushes = nflush;
    assert_int_equal(call(vm, HC_LOAD_CR3, 0x3018, 0, 0), 0);
    assert_int_equal(call(vm, HC_LOAD_CR3, 0x3018, 0, 0), 0); /* the same value ... */
    assert_int_equal(nflush, flushes + 2);                    /* ... flushes all the same */
    assert_int_equal(vm_vcpu(vm)->cpu.cr3, 0x3018);
    assert_int_equal(call(vm, HC_SET_TIMER, 1000, 0, 31), -PV_EINVAL);
    assert_int_equal(call(vm, HC_SET_TIMER, 1000, PV_TIMER_MIN_US - 1, 32), -PV_EINVAL);
    assert_int_equal(call(vm, HC_SHUTDOWN, 256, 0, 0), -PV_EINVAL);
    assert_int_equal(call(vm, HC_LOAD_GDT, MEM - 8, 0x2f, 0), -PV_EINVAL);
    assert_int_equal(call(vm, HC_LOAD_IDT, 0x1000, 0x10000, 0), -PV_EINVAL);
    assert_int_equal(call(vm, HC_LOAD_IDT, 0x1000, 0x7ff, 0), 0);
    assert_int_equal(vm_vcpu(vm)->cpu.idtr.base, 0x1000);
    assert_int_equal(vm_vcpu(vm)->cpu.idtr.limit, 0x7ff);
    /* Ring 3 may not call at all. */
    struct vcpu *v = vm_vcpu(vm);
    uint16_t cs = v->cpu.seg[S_CS].sel;
    v->cpu.seg[S_CS].sel = 0x1b;
    assert_int_equal(call(vm, HC_VERSION, 0, 0, 0), -PV_EPERM);
    v->cpu.seg[S_CS].sel = cs;
    /* Other exits are not the hypercall handler's. */
    struct vm_exit io = { .reason = EXIT_IO_INSTRUCTION };
    assert_int_equal(pv_handle_exit(v->stage_state, v, &io), VM_EXIT_PASS);
}

static void test_console_line(void **st)
{
    struct vm *vm = *st;
    memcpy(ram(vm, 0x5000), "RESULT x k=1\n", 13);
    assert_int_equal(call(vm, HC_CONSOLE_WRITE, 0x5000, 13, 0), 13);
    assert_int_equal(nconsole, 13);
    assert_memory_equal(console, "RESULT x k=1\n", 13);
    assert_int_equal(call(vm, HC_CONSOLE_WRITE, MEM - 4, 8, 0), -PV_EFAULT);
    assert_int_equal(call(vm, HC_CONSOLE_WRITE, 0x5000, PV_CONSOLE_MAX + 1, 0), -PV_E2BIG);
    assert_int_equal(nconsole, 13);
}

static void put(struct vm *vm, uint32_t gpa, uint32_t ptr, uint32_t val, uint32_t va)
{
    struct pv_mmu_update u = { ptr, val, va };
    memcpy(ram(vm, gpa), &u, sizeof u);
}
static uint32_t word(struct vm *vm, uint32_t gpa)
{
    uint32_t w;
    memcpy(&w, ram(vm, gpa), 4);
    return w;
}

/* A batch is done entry by entry; the first bad one stops it. */
static void test_mmu_update_validates(void **st)
{
    struct vm *vm = *st;
    const uint32_t req = 0x8000, pt = 0x9000;
    put(vm, req, pt, 0x200000 | 7, 0x400000);
    put(vm, req + 12, pt + 4, 0x300000 | 3, PV_NO_INVLPG);
    put(vm, req + 24, pt + 8, MEM | 1, 0x402000);       /* a frame beyond RAM */
    put(vm, req + 36, pt + 12, 0x100000 | 1, 0x403000); /* never reached */
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 4, 0), -PV_EINVAL);
    assert_int_equal(word(vm, pt), 0x200000 | 7);
    assert_int_equal(word(vm, pt + 4), 0x300000 | 3);
    assert_int_equal(word(vm, pt + 8), 0);
    assert_int_equal(word(vm, pt + 12), 0);
    assert_int_equal(ninvlpg, 1);
    assert_int_equal(invlpgs[0], 0x400000);
    assert_int_equal(invalidated, 8);
    /* A not-present entry may hold anything; a 4 MiB page must fit whole. */
    put(vm, req, pt + 8, 0xfffff000u, PV_NO_INVLPG);
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 1, 0), 1);
    put(vm, req, pt + 12, 0x000000 | 0x81, PV_NO_INVLPG); /* 4 MiB at 0: all of RAM */
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 1, 0), 1);
    put(vm, req, pt + 12, 0x200000 | 0x81, PV_NO_INVLPG); /* its frame is bits 31:22: 0 */
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 1, 0), 1);
    put(vm, req, pt + 12, 0x400000 | 0x81, PV_NO_INVLPG); /* 4 MiB at 4 MiB: none */
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 1, 0), -PV_EINVAL);
    put(vm, req, pt + 2, 0, PV_NO_INVLPG); /* unaligned entry */
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 1, 0), -PV_EFAULT);
    put(vm, req, MEM, 0, PV_NO_INVLPG); /* entry outside RAM */
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 1, 0), -PV_EFAULT);
    assert_int_equal(call(vm, HC_MMU_UPDATE, MEM - 12, 2, 0), -PV_EFAULT);
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, PV_MMU_MAX + 1, 0), -PV_E2BIG);
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 0, 0), 0);
}

/* The PV timer's interrupts, polled as an engine does at time t ms. */
static int poll_at(struct vm *vm, uint64_t t_ms)
{
    fake_ns = 1000000000 + t_ms * 1000000;
    vm_advance_time(vm);
    return vm_irq_pending(vm) ? vm_irq_ack(vm) : -1;
}

static void test_virtual_if_gate(void **st)
{
    struct vm *vm = *st;
    fake_ns = 1000000000;
    assert_int_equal(call(vm, HC_SHARED_PAGE, 0x6000, 0, 0), 0);
    struct pv_shared *s = (struct pv_shared *)ram(vm, 0x6000);
    s->vif = 0;
    assert_int_equal(call(vm, HC_SET_TIMER, 10000, 0, 0x30), 0); /* one-shot, 10 ms */
    assert_int_equal(poll_at(vm, 5), -1);
    assert_false(s->pending);
    assert_int_equal(poll_at(vm, 10), -1); /* due, held back */
    assert_true(s->pending);
    /* HC_IRQ_ENABLE is the sti: vif on even if the guest did not store it,
     * 1 because an interrupt was held, and the gate lets it in. */
    assert_int_equal(call(vm, HC_IRQ_ENABLE, 0, 0, 0), 1);
    assert_int_equal(s->vif, 1);
    assert_false(s->pending);
    assert_int_equal(poll_at(vm, 11), 0x30);
    assert_int_equal(poll_at(vm, 100), -1); /* one-shot: once */
    /* Nothing pending: nothing to let in, 0. */
    assert_int_equal(call(vm, HC_IRQ_ENABLE, 0, 0, 0), 0);
    struct pv_vmm *pv = vm_vcpu(vm)->stage_state;
    assert_int_equal(pv->st.held, 1);
    assert_int_equal(pv->st.released, 1);
    /* Ring 3 takes interrupts whatever vif says (the kernel's flag). */
    s->vif = 0;
    assert_int_equal(call(vm, HC_SET_TIMER, 1000, 0, 0x31), 0);
    struct vcpu *v = vm_vcpu(vm);
    uint16_t cs = v->cpu.seg[S_CS].sel;
    v->cpu.seg[S_CS].sel = 0x1b;
    assert_int_equal(poll_at(vm, 102), 0x31);
    v->cpu.seg[S_CS].sel = cs;
    assert_false(s->pending);
}

/* Before HC_SHARED_PAGE there is no virtual IF: the gate never holds, and
 * HC_IRQ_ENABLE has no page to write. */
static void test_irq_enable_without_shared_page(void **st)
{
    struct vm *vm = *st;
    struct pv_vmm *pv = vm_vcpu(vm)->stage_state;
    assert_int_equal(call(vm, HC_IRQ_ENABLE, 0, 0, 0), -PV_EINVAL);
    assert_int_equal(pv->st.refused[PVR_NO_SHARED], 1);
    fake_ns = 1000000000;
    assert_int_equal(call(vm, HC_SET_TIMER, 1000, 0, 0x30), 0);
    assert_int_equal(poll_at(vm, 2), 0x30);
}

/* Pinned page directories: the directory and the tables it points to are
 * page-table frames, which a writable entry may not map; read-only it may. */
static void test_mmu_update_page_tables(void **st)
{
    struct vm *vm = *st;
    struct pv_vmm *pv = vm_vcpu(vm)->stage_state;
    const uint32_t req = 0x8000, pd = 0x10000, pt = 0x11000, other = 0x12000;
    memcpy(ram(vm, pd), &(uint32_t){ pt | 7 }, 4);
    memcpy(ram(vm, pd + 4), &(uint32_t){ 0x400000 | 0x83 }, 4); /* a 4 MiB page: no table */
    assert_int_equal(call(vm, HC_PIN_TABLE, pd, 1, 0), 0);
    assert_true(pv_page_table_frame(pv, pd, 4096));
    assert_true(pv_page_table_frame(pv, pt, 4096));
    assert_false(pv_page_table_frame(pv, other, 4096));
    assert_false(pv_page_table_frame(pv, 0x400000, 4096)); /* the 4 MiB page's frames */
    put(vm, req, other, pd | 7, PV_NO_INVLPG);
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 1, 0), -PV_EINVAL);
    put(vm, req, other, pt | 3, PV_NO_INVLPG);
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 1, 0), -PV_EINVAL);
    put(vm, req, other, 0x83, PV_NO_INVLPG); /* writable 4 MiB over both */
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 1, 0), -PV_EINVAL);
    assert_int_equal(pv->st.refused[PVR_PAGE_TABLE], 3);
    assert_int_equal(word(vm, other), 0);
    put(vm, req, other, pd | 5, PV_NO_INVLPG); /* read-only: allowed */
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 1, 0), 1);
    assert_int_equal(word(vm, other), pd | 5);
    /* Pinning errors; unpinned, the frames are plain ones again. */
    assert_int_equal(call(vm, HC_PIN_TABLE, pd, 1, 0), -PV_EINVAL);
    assert_int_equal(call(vm, HC_PIN_TABLE, other, 0, 0), -PV_EINVAL);
    assert_int_equal(call(vm, HC_PIN_TABLE, pd + 8, 1, 0), -PV_EINVAL);
    assert_int_equal(call(vm, HC_PIN_TABLE, MEM, 1, 0), -PV_EINVAL);
    assert_int_equal(call(vm, HC_PIN_TABLE, other, 7, 0), -PV_EINVAL);
    assert_int_equal(pv->st.refused[PVR_PIN], 2);
    assert_int_equal(pv->st.refused[PVR_UNALIGNED], 1);
    assert_int_equal(pv->st.refused[PVR_OUTSIDE_RAM], 1);
    assert_int_equal(pv->st.refused[PVR_BAD_ARG], 1);
    assert_int_equal(call(vm, HC_PIN_TABLE, pd, 0, 0), 0);
    put(vm, req, other, pt | 3, PV_NO_INVLPG);
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 1, 0), 1);
    /* At most PV_PIN_MAX directories. */
    for (uint32_t i = 0; i < PV_PIN_MAX; i++)
        assert_int_equal(call(vm, HC_PIN_TABLE, 0x100000 + i * 4096, 1, 0), 0);
    assert_int_equal(call(vm, HC_PIN_TABLE, 0x200000, 1, 0), -PV_E2BIG);
}

/* Bad input: each gets its error, counted under its reason, nothing is
 * written, and the next good call works. */
static void test_mmu_update_bad_input(void **st)
{
    struct vm *vm = *st;
    struct pv_vmm *pv = vm_vcpu(vm)->stage_state;
    const uint32_t req = 0x8000, pt = 0x9000, sp = 0x6000;
    assert_int_equal(call(vm, HC_SHARED_PAGE, sp, 0, 0), 0);
    assert_int_equal(call(vm, HC_MMU_UPDATE, 0xfffffff4u, 1, 0), -PV_EFAULT);
    assert_int_equal(call(vm, HC_MMU_UPDATE, 0xfffffff4u, 2, 0), -PV_EFAULT); /* wraps */
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 0xffffffffu, 0), -PV_E2BIG);
    assert_int_equal(call(vm, HC_MMU_UPDATE, req + 2, 1, 0), -PV_EINVAL); /* unaligned list */
    put(vm, sp + 16, pt, 0, PV_NO_INVLPG);
    assert_int_equal(call(vm, HC_MMU_UPDATE, sp + 16, 1, 0),
                     -PV_EINVAL); /* list in the shared page */
    assert_int_equal(call(vm, HC_MMU_UPDATE, sp - 12, 2, 0), -PV_EINVAL); /* ... partly */
    put(vm, req, sp, 1, PV_NO_INVLPG); /* an entry in the shared page */
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 1, 0), -PV_EINVAL);
    assert_int_equal(word(vm, sp), 0);
    put(vm, req, req + 4, 0x5000 | 1, PV_NO_INVLPG); /* an entry rewriting itself */
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 1, 0), -PV_EINVAL);
    put(vm, req, pt, 0x5000 | 1, PV_NO_INVLPG);
    put(vm, req + 12, req + 8, 0, PV_NO_INVLPG); /* the second rewrites the first's va */
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 2, 0), -PV_EINVAL);
    assert_int_equal(word(vm, pt), 0x5000 | 1); /* the first was done */
    const struct pv_stats *s = &pv->st;
    assert_int_equal(s->refused[PVR_OUTSIDE_RAM], 2);
    assert_int_equal(s->refused[PVR_TOO_BIG], 1);
    assert_int_equal(s->refused[PVR_UNALIGNED], 1);
    assert_int_equal(s->refused[PVR_SHARED_PAGE], 3);
    assert_int_equal(s->refused[PVR_SELF], 2);
    assert_int_equal(s->errors[HC_MMU_UPDATE], 9);
    /* Other hypercalls' wild input. */
    assert_int_equal(call(vm, HC_CONSOLE_WRITE, 0xffffffffu, 2, 0), -PV_EFAULT);
    assert_int_equal(call(vm, HC_LOAD_GDT, 0xfffffff0u, 0x2f, 0), -PV_EINVAL);
    assert_int_equal(call(vm, HC_SET_TIMER, 1000, 1000, 256), -PV_EINVAL);
    assert_int_equal(s->refused[PVR_OUTSIDE_RAM], 4);
    assert_int_equal(s->refused[PVR_BAD_ARG], 1);
    /* Still serving. */
    put(vm, req, pt + 4, 0x5000 | 3, 0x1000);
    assert_int_equal(call(vm, HC_MMU_UPDATE, req, 1, 0), 1);
    assert_int_equal(word(vm, pt + 4), 0x5000 | 3);
}

/* 100 Hz; the guest takes nothing for 45 ms, then polls every ms: the
 * owed ticks come late, no more than 2 per period, none lost. */
static void test_timer_owes_late_ticks(void **st)
{
    struct vm *vm = *st;
    fake_ns = 1000000000;
    assert_int_equal(call(vm, HC_SET_TIMER, 10000, 10000, 0x20), 0);
    int got = 0, max_per_10ms = 0, window = 0;
    for (uint64_t t = 45; t <= 200; t++) {
        if (poll_at(vm, t) == 0x20) {
            got++;
            window++;
        }
        if (t % 10 == 9) {
            if (window > max_per_10ms)
                max_per_10ms = window;
            window = 0;
        }
    }
    assert_int_equal(got, 20); /* 10 ms .. 200 ms */
    assert_true(max_per_10ms <= 2);
    assert_int_equal(call(vm, HC_SET_TIMER, 0, 0, 0x20), 0); /* stop */
    assert_int_equal(poll_at(vm, 300), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_protocol_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_console_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmu_update_validates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_virtual_if_gate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_irq_enable_without_shared_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmu_update_page_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmu_update_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_owes_late_ticks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
