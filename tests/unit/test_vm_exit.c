/* test_vm_exit.c — exit names/decoding, and the VM run loop driven by a
 * scripted engine: I/O exits reach devices and IN results come back through
 * the exit (x86/interp.h protocol), HLT sleeps until the PIT fires, fatal
 * ends give their status and print the exit history. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "vmm/options.h"
#include "core/vm.h"
#include "core/console_in.h"

/* --- names and formatting --------------------------------------------- */

static void test_reason_names_follow_sdm(void **st)
{
    (void)st;
    assert_string_equal(exit_reason_name(EXIT_IO_INSTRUCTION), "I/O instruction");
    assert_string_equal(exit_reason_name(EXIT_HLT), "HLT");
    assert_string_equal(exit_reason_name(EXIT_TRIPLE_FAULT), "Triple fault");
    assert_string_equal(exit_reason_name(EXIT_CR_ACCESS), "Control-register accesses");
    assert_string_equal(exit_reason_name(EXIT_EPT_VIOLATION), "EPT violation");
    assert_string_equal(exit_reason_name(EXIT_EXCEPTION_NMI),
                        "Exception or non-maskable interrupt (NMI)");
    assert_string_equal(exit_reason_name(EXIT_REASON_ENTRY_FAILURE | 33),
                        "VM-entry failure due to invalid guest state");
    assert_string_equal(exit_reason_name(35), "unknown exit reason");
    assert_string_equal(exit_reason_name(EXIT_VMM_ERROR), "VMM: internal error");
}

static void test_format_decodes_qualification(void **st)
{
    (void)st;
    char b[200];
    struct vm_exit e = { .reason = EXIT_IO_INSTRUCTION };
    e.u.io = (struct exit_io){ .port = 0x3f8, .size = 1, .in = false, .value = 0x41 };
    exit_format(&e, b, sizeof b);
    assert_string_equal(b, "I/O instruction out port=0x3f8 size=1 value=0x41");
    e.u.io = (struct exit_io){ .port = 0x60, .size = 2, .in = true, .string = true, .rep = true };
    exit_format(&e, b, sizeof b);
    assert_string_equal(b, "I/O instruction rep ins port=0x60 size=2 value=0x0");

    struct vm_exit pf = { .reason = EXIT_EXCEPTION_NMI };
    pf.u.exc = (struct exit_exception){
        .vector = 14, .has_error = true, .error_code = 2, .cr2 = 0xdeadb000
    };
    exit_format(&pf, b, sizeof b);
    assert_non_null(strstr(b, "vector=14 #PF error=0x2 cr2=0xdeadb000"));

    struct vm_exit cr = { .reason = EXIT_CR_ACCESS };
    cr.u.cr = (struct exit_cr){ .cr = 3, .access = 0, .gpr = R_EBX, .value = 0x5000 };
    exit_format(&cr, b, sizeof b);
    assert_string_equal(b, "Control-register accesses mov ebx -> cr3 value=0x5000");

    struct vm_exit ef = { .reason = EXIT_REASON_ENTRY_FAILURE | EXIT_ENTRY_FAIL_GUEST };
    strcpy(ef.message, "guest CS.L set outside IA-32e mode");
    exit_format(&ef, b, sizeof b);
    assert_string_equal(b, "VM-entry failure due to invalid guest state (0x80000021): "
                           "guest CS.L set outside IA-32e mode");
    /* Truncation is safe. */
    assert_true(exit_format(&ef, b, 10) > 0);
    assert_int_equal(strlen(b), 9);
}

/* --- a scripted engine ------------------------------------------------ */

struct step {
    uint32_t reason;
    uint16_t port;
    uint8_t size;
    bool in;
    uint32_t value;    /* OUT value                                  */
    int64_t expect_in; /* IN: value the VMM must return (-1: any)    */
    bool set_if;       /* set EFLAGS.IF before this exit             */
    int expect_irq;    /* >0: on entry, an interrupt with this vector */
    bool spin;         /* run "guest code" until a stop is requested */
    bool fail;         /* engine error                               */
    bool ask_stop;     /* vm_request_stop (what Ctrl-C does), then spin */
    uint64_t gpa;      /* EXIT_EPT_MISCONFIG: an MMIO access here     */
    const char *batch; /* string I/O handed over as a batch (as KVM): OUT
                              these bytes; IN that many, each expect_in */
};
static uint8_t batch_buf[16];

/* An engine's leftover in exit->cost_ns, which the core must replace with
 * its own handling time. */
#define STALE_COST 987654321987ull

static const struct step *script;
static int pos, nsteps;
static char console[256];
static int ncons;
static uint64_t fake_ns;

static void to_console(void *ctx, uint8_t b)
{
    (void)ctx;
    if (ncons < 255)
        console[ncons++] = (char)b;
}
static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_ns += 1000000;
} /* 1 ms per look */

static int sc_run(struct vcpu *v, struct vm_exit *e)
{
    const struct step *p = pos > 0 ? &script[pos - 1] : NULL;
    if (p && p->reason == EXIT_IO_INSTRUCTION && p->in && p->expect_in >= 0) {
        if (p->batch) /* the VMM filled the engine's buffer */
            for (size_t i = 0; i < strlen(p->batch); i++)
                assert_int_equal(batch_buf[i], p->expect_in);
        else
            assert_int_equal(e->u.io.value, p->expect_in);
    }
    if (p && p->reason == EXIT_EPT_MISCONFIG && p->expect_in >= 0)
        assert_int_equal(e->u.ept.value, p->expect_in); /* MMIO read answered */
    assert_true(pos < nsteps);
    const struct step *s = &script[pos++];
    if (s->expect_irq) {
        assert_true(vm_irq_pending(v->vm));
        assert_int_equal(vm_irq_ack(v->vm), s->expect_irq);
        v->cpu.halted = false;
    }
    memset(e, 0, sizeof *e);
    e->cost_ns = STALE_COST;
    e->guest_eip = 0x100000 + (uint32_t)pos;
    if (s->ask_stop)
        vm_request_stop(v->vm);
    if (s->spin || s->ask_stop) {
        while (!vm_stop_requested(v->vm))
            ;
        e->reason = EXIT_EXTERNAL_INTERRUPT;
        return 0;
    }
    if (s->fail) {
        e->reason = EXIT_VMM_ERROR;
        strcpy(e->message, "unsupported opcode 0f 0b (ud2)");
        return -1;
    }
    if (s->set_if)
        v->cpu.eflags |= FL_IF;
    e->reason = s->reason;
    if (s->reason == EXIT_IO_INSTRUCTION)
        e->u.io =
            (struct exit_io){ .port = s->port, .size = s->size, .in = s->in, .value = s->value };
    if (s->reason == EXIT_IO_INSTRUCTION && s->batch) {
        e->u.io.string = e->u.io.rep = true;
        e->u.io.count = (uint32_t)strlen(s->batch);
        e->u.io.data = batch_buf;
        memset(batch_buf, 0, sizeof batch_buf);
        if (!s->in)
            memcpy(batch_buf, s->batch, strlen(s->batch));
    }
    if (s->reason == EXIT_EPT_MISCONFIG)
        e->u.ept = (struct exit_ept){
            .gpa = s->gpa, .size = s->size, .qual = s->in ? 1 : 2, .value = s->value
        };
    if (s->reason == EXIT_HLT)
        v->cpu.halted = true;
    return 0;
}

static const struct engine_ops script_engine = { .name = "script", .run = sc_run };
/* The same engine, counting "instructions": one per exit. */
static int sc_run_counting(struct vcpu *v, struct vm_exit *e)
{
    v->instructions++;
    return sc_run(v, e);
}
static const struct engine_ops counting_engine = { .name = "script",
                                                   .run = sc_run_counting,
                                                   .counts_instructions = true };
static const struct engine_ops *engine = &script_engine;

#define OUTB(p, v) \
    { \
        .reason = EXIT_IO_INSTRUCTION, .port = (p), .size = 1, .value = (v), .expect_in = -1 \
    }
#define INB(p, want) \
    { \
        .reason = EXIT_IO_INSTRUCTION, .port = (p), .size = 1, .in = true, .expect_in = (want) \
    }

static char report[1 << 16];
static struct console_in *script_cin; /* typed input for the next run */

/* Run a script in a fresh VM; returns the status, the report in `report`. */
static int run_script(const struct step *s, int n, double timeout, bool stats, bool fake)
{
    struct vm_options o;
    vm_options_defaults(&o, "vmm-test");
    o.mem = 2 << 20;
    o.timeout_s = timeout;
    o.stats = stats;
    script = s;
    nsteps = n;
    pos = 0;
    ncons = 0;
    memset(console, 0, sizeof console);
    memset(report, 0, sizeof report);
    struct vm *vm;
    char err[256];
    assert_int_equal(vm_create(&vm, &o, engine, err, sizeof err), 0);
    vm_set_console(vm, to_console, NULL);
    if (script_cin)
        vm_set_console_input(vm, script_cin);
    if (fake)
        vm_set_clock(vm, fake_clock, NULL);
    FILE *rep = fmemopen(report, sizeof report - 1, "w");
    vm_set_report(vm, rep);
    int status = vm_run(vm);
    fclose(rep);
    vm_destroy(vm);
    return status;
}

static void test_io_exits_reach_devices_and_debug_exit_ends(void **st)
{
    (void)st;
    static const struct step s[] = {
        OUTB(0x3f8, 'h'),  OUTB(0x3f8, 'i'), INB(0x3fd, 0x60), /* LSR: THRE|TEMT */
        OUTB(0x3ff, 0x77), INB(0x3ff, 0x77),                   /* scratch register round trip */
        INB(0x80, 0xff), /* nobody at the POST port: all ones */
        OUTB(0xf4, 42),
    };
    int status = run_script(s, 7, 0, true, false);
    assert_int_equal(status, 42);
    assert_string_equal(console, "hi");
    assert_int_equal(pos, 7);
    /* --stats: by SDM name and number, with counts. */
    assert_non_null(strstr(report, "I/O instruction"));
    assert_non_null(strstr(report, " 30          7 "));
    assert_non_null(strstr(report, "unclaimed port accesses 1"));
}

/* --stats gives the guest's instruction count where the engine keeps one,
 * and says "not counted" (not 0) where it cannot (kvm). */
static void test_stats_say_whether_instructions_are_counted(void **st)
{
    (void)st;
    static const struct step s[] = { OUTB(0x3f8, 'h'), OUTB(0xf4, 0) };
    assert_int_equal(run_script(s, 2, 0, true, false), 0);
    assert_non_null(strstr(report, "2 exits, 0 interrupts, guest instructions not counted\n"));
    engine = &counting_engine;
    assert_int_equal(run_script(s, 2, 0, true, false), 0);
    engine = &script_engine;
    assert_non_null(strstr(report, "2 exits, 0 interrupts, 2 guest instructions\n"));
}

/* Exits an engine lets the VMM handle although VT-x hardware could be told
 * not to exit (KVM hands them to user space): MMIO as EPT misconfigurations,
 * REP INS/OUTS batches over the engine's buffer, the interrupt window.  They
 * reach the devices and show in --stats like every other exit. */
static void test_mmio_string_io_and_irq_window_exits(void **st)
{
    (void)st;
    static const struct step s[] = {
        { .reason = EXIT_IO_INSTRUCTION,
          .port = 0x3f8,
          .size = 1,
          .batch = "ok!",
          .expect_in = -1 },
        { .reason = EXIT_IO_INSTRUCTION,
          .port = 0x3fd,
          .size = 1,
          .in = true,
          .batch = "ab",
          .expect_in = 0x60 }, /* LSR twice: THRE|TEMT */
        { .reason = EXIT_EPT_MISCONFIG,
          .gpa = 0xfebf0000,
          .size = 4,
          .value = 0x1234,
          .expect_in = -1 }, /* write: nobody there, dropped */
        { .reason = EXIT_EPT_MISCONFIG,
          .gpa = 0xfebf0000,
          .size = 2,
          .in = true,
          .expect_in = 0xffff }, /* read: all ones */
        { .reason = EXIT_INTERRUPT_WINDOW },
        OUTB(0xf4, 42),
    };
    assert_int_equal(run_script(s, 6, 0, true, false), 42);
    assert_string_equal(console, "ok!");
    assert_int_equal(pos, 6);
    assert_non_null(strstr(report, " 49          2 "));
    assert_non_null(strstr(report, "  7          1 "));
    assert_non_null(strstr(report, " 30          3 "));
    struct vm_exit m = { .reason = EXIT_EPT_MISCONFIG,
                         .u.ept = { .gpa = 0xfebf0000, .size = 4, .qual = 2, .value = 0x1234 } };
    char b[128];
    exit_format(&m, b, sizeof b);
    assert_string_equal(b, "EPT misconfiguration mmio write gpa=0xfebf0000 size=4 value=0x1234");
}

static void test_triple_fault_is_fatal_with_history(void **st)
{
    (void)st;
    static const struct step s[] = {
        OUTB(0x3f8, 'x'),
        { .reason = EXIT_TRIPLE_FAULT },
    };
    assert_int_equal(run_script(s, 2, 0, false, false), VMM_STATUS_GUEST);
    assert_non_null(strstr(report, "last 2 of 2 exits"));
    assert_non_null(strstr(report, "I/O instruction out port=0x3f8 size=1 value=0x78"));
    assert_non_null(strstr(report, "eip=00100002 Triple fault"));
    /* The one-line reason comes last. */
    char *last = strstr(report, "vmm-test: error: guest triple fault at eip=0x00100002");
    assert_non_null(last);
    assert_null(strchr(last, '\n') ? strchr(strchr(last, '\n') + 1, '\n') : NULL);
}

/* The history line of exit #n: its handling cost in ns (-1: no such line). */
static long long history_cost(int n)
{
    char key[16];
    snprintf(key, sizeof key, "  #%-8d", n);
    const char *l = strstr(report, key), *c = l ? strstr(l, "  (") : NULL;
    long long ns = -1;
    if (c && sscanf(c, "  (%lld ns)", &ns) != 1)
        ns = -1;
    return ns;
}

/* Every end of a run records the last exit with the VMM's handling time,
 * like any other exit (never what the engine left in the structure). */
static void test_last_exit_has_its_handling_time(void **st)
{
    (void)st;
    static const struct step triple[] = { OUTB(0x3f8, 'x'), { .reason = EXIT_TRIPLE_FAULT } };
    static const struct step hlt_off[] = { { .reason = EXIT_HLT } };
    static const struct step hlt_never[] = { { .reason = EXIT_HLT, .set_if = true } };
    static const struct step engine_fails[] = { { .fail = true } };
    static const struct step unhandled[] = { { .reason = EXIT_CPUID } };
    static const struct {
        const struct step *s;
        int n;
    } runs[] = {
        { triple, 2 }, { hlt_off, 1 }, { hlt_never, 1 }, { engine_fails, 1 }, { unhandled, 1 },
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        assert_int_equal(run_script(runs[i].s, runs[i].n, 0, false, false), VMM_STATUS_GUEST);
        long long ns = history_cost(runs[i].n);
        if (ns < 0 || ns >= 1000000000ll)
            fail_msg("run %zu: last exit recorded with %lld ns:\n%s", i, ns, report);
    }
}

static void test_hlt_with_interrupts_off_is_fatal(void **st)
{
    (void)st;
    static const struct step s[] = { { .reason = EXIT_HLT } };
    assert_int_equal(run_script(s, 1, 0, false, false), VMM_STATUS_GUEST);
    assert_non_null(strstr(report, "error: guest halted with interrupts disabled"));
}

static void test_hlt_with_no_timer_is_fatal(void **st)
{
    (void)st;
    static const struct step s[] = { { .reason = EXIT_HLT, .set_if = true } };
    assert_int_equal(run_script(s, 1, 0, false, false), VMM_STATUS_GUEST);
    assert_non_null(strstr(report, "sleep forever"));
}

/* PIC remapped to 0x20, PIT channel 0 at 100 Hz, then HLT: the loop must
 * sleep until the tick and the engine then finds IRQ0 = vector 0x20. */
static void test_hlt_wakes_on_pit_tick(void **st)
{
    (void)st;
    static const struct step s[] = {
        OUTB(0x20, 0x11),
        OUTB(0x21, 0x20),
        OUTB(0x21, 0x04),
        OUTB(0x21, 0x01),
        OUTB(0x21, 0xfe),
        OUTB(0x43, 0x34),
        OUTB(0x40, 0x9c),
        OUTB(0x40, 0x2e),
        { .reason = EXIT_HLT, .set_if = true },
        { .reason = EXIT_IO_INSTRUCTION,
          .port = 0x20,
          .size = 1,
          .value = 0x20,
          .expect_in = -1,
          .expect_irq = 0x20 }, /* EOI from the handler */
        OUTB(0xf4, 0),
    };
    assert_int_equal(run_script(s, 11, 0, true, true), 0);
    assert_non_null(strstr(report, "HLT"));
    assert_non_null(strstr(report, "1 interrupts"));
}

/* The keyboard controller's pulse reset (a guest's reboot) ends the VM
 * cleanly, status 0, at once: the exit after it is never run. */
static void test_keyboard_controller_reset_ends_the_vm(void **st)
{
    (void)st;
    static const struct step s[] = {
        OUTB(0x64, 0xaa),
        INB(0x60, 0x55),  /* controller self-test */
        OUTB(0x64, 0xfe), /* pulse the CPU reset line */
        OUTB(0xf4, 42),
    };
    assert_int_equal(run_script(s, 4, 0, false, false), VMM_STATUS_RESET);
    assert_int_equal(pos, 3);
    assert_non_null(strstr(report, "vmm-test: the guest reset the machine (keyboard controller) "
                                   "at eip="));
    assert_non_null(strstr(report, ": the VM ends\n"));
}

/* The PIT not counting, the RTC's periodic interrupt enabled: HLT sleeps
 * until IRQ 8 comes through the slave PIC (vector 0x28), not a fatal end. */
static void test_hlt_wakes_on_rtc_periodic_interrupt(void **st)
{
    (void)st;
    static const struct step s[] = {
        OUTB(0x20, 0x11),
        OUTB(0x21, 0x20),
        OUTB(0x21, 0x04),
        OUTB(0x21, 0x01),
        OUTB(0x21, 0xfb), /* master: only the cascade */
        OUTB(0xa0, 0x11),
        OUTB(0xa1, 0x28),
        OUTB(0xa1, 0x02),
        OUTB(0xa1, 0x01),
        OUTB(0xa1, 0xfe), /* slave: IRQ 8 */
        OUTB(0x70, 0x0b),
        OUTB(0x71, 0x42), /* register B: PIE, 24-hour */
        INB(0x70, 0xff),  /* (the index port is write-only) */
        { .reason = EXIT_HLT, .set_if = true },
        { .reason = EXIT_IO_INSTRUCTION,
          .port = 0x70,
          .size = 1,
          .value = 0x0c,
          .expect_in = -1,
          .expect_irq = 0x28 },
        INB(0x71, -1), /* register C: acknowledges */
        OUTB(0xf4, 0),
    };
    assert_int_equal(run_script(s, 17, 0, false, true), 0);
}

/* Typed input (a pipe here, the VMM's stdin in a stage binary) reaches
 * the UART, which raises IRQ 4 and wakes a halted guest: the interrupt
 * engines see, whatever they are. */
static void test_console_input_raises_irq4(void **st)
{
    (void)st;
    static const struct step s[] = {
        OUTB(0x20, 0x11),
        OUTB(0x21, 0x20),
        OUTB(0x21, 0x04),
        OUTB(0x21, 0x01),
        OUTB(0x21, 0xef),  /* master: IRQ 4 only */
        OUTB(0x3f9, 0x01), /* IER: received data available */
        OUTB(0x3fc, 0x08), /* MCR: OUT2 lets IRQ 4 out */
        { .reason = EXIT_HLT, .set_if = true },
        { .reason = EXIT_IO_INSTRUCTION,
          .port = 0x3fd,
          .size = 1,
          .in = true,
          .expect_in = 0x61, /* LSR: data ready, THRE, TEMT */
          .expect_irq = 0x24 },
        INB(0x3f8, 'k'),
        INB(0x3fd, 0x60), /* nothing more */
        OUTB(0xf4, 0),
    };
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct console_in cin;
    char err[128];
    assert_int_equal(console_in_start(&cin, p[0], err, sizeof err), 0);
    script_cin = &cin;
    assert_int_equal(write(p[1], "k", 1), 1);
    assert_int_equal(run_script(s, 12, 5, false, false), 0);
    script_cin = NULL;
    console_in_stop(&cin);
    close(p[0]);
    close(p[1]);
}

static void test_timeout_stops_a_spinning_guest(void **st)
{
    (void)st;
    static const struct step s[] = { OUTB(0x3f8, 'a'), { .spin = true } };
    assert_int_equal(run_script(s, 2, 0.05, false, false), VMM_STATUS_TIMEOUT);
    assert_non_null(strstr(report, "error: guest still running after --timeout 0.05 s"));
    assert_non_null(strstr(report, "last 2 of 2 exits"));
    assert_non_null(strstr(report, "External interrupt")); /* the kick out of the guest */
}

static void test_requested_stop_ends_with_130(void **st)
{
    (void)st;
    static const struct step s[] = { { .ask_stop = true } };
    assert_int_equal(run_script(s, 1, 0, false, false), VMM_STATUS_STOPPED);
    assert_non_null(strstr(report, "stopped on request"));
}

static void test_engine_error_is_fatal_with_message(void **st)
{
    (void)st;
    static const struct step s[] = { { .fail = true } };
    assert_int_equal(run_script(s, 1, 0, false, false), VMM_STATUS_GUEST);
    assert_non_null(strstr(report, "error: engine script failed at eip=0x00100001: "
                                   "unsupported opcode 0f 0b (ud2)"));
}

static void test_unhandled_reason_is_fatal(void **st)
{
    (void)st;
    static const struct step s[] = { { .reason = EXIT_CPUID } };
    assert_int_equal(run_script(s, 1, 0, false, false), VMM_STATUS_GUEST);
    assert_non_null(strstr(report, "no handler for exit reason 10 (CPUID)"));
}

/* An engine's own options reach it through the VM (vm_engine_option). */
static void test_engine_reads_its_options(void **st)
{
    (void)st;
    struct vm_options o;
    vm_options_defaults(&o, "vmm-test");
    o.mem = 2 << 20;
    o.engine_opt[0] = (struct vm_engine_option){ "--bt-mode", "threaded" };
    o.engine_opt[1] = (struct vm_engine_option){ "--check", "interp" };
    o.nengine_opts = 2;
    struct vm *vm;
    char err[256];
    assert_int_equal(vm_create(&vm, &o, &script_engine, err, sizeof err), 0);
    assert_string_equal(vm_engine_option(vm, "--bt-mode"), "threaded");
    assert_string_equal(vm_engine_option(vm, "--check"), "interp");
    assert_null(vm_engine_option(vm, "--vmx-controls"));
    vm_destroy(vm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reason_names_follow_sdm),
        cmocka_unit_test(test_format_decodes_qualification),
        cmocka_unit_test(test_io_exits_reach_devices_and_debug_exit_ends),
        cmocka_unit_test(test_stats_say_whether_instructions_are_counted),
        cmocka_unit_test(test_mmio_string_io_and_irq_window_exits),
        cmocka_unit_test(test_triple_fault_is_fatal_with_history),
        cmocka_unit_test(test_last_exit_has_its_handling_time),
        cmocka_unit_test(test_hlt_with_interrupts_off_is_fatal),
        cmocka_unit_test(test_hlt_with_no_timer_is_fatal),
        cmocka_unit_test(test_hlt_wakes_on_pit_tick),
        cmocka_unit_test(test_keyboard_controller_reset_ends_the_vm),
        cmocka_unit_test(test_hlt_wakes_on_rtc_periodic_interrupt),
        cmocka_unit_test(test_console_input_raises_irq4),
        cmocka_unit_test(test_timeout_stops_a_spinning_guest),
        cmocka_unit_test(test_requested_stop_ends_with_130),
        cmocka_unit_test(test_engine_error_is_fatal_with_message),
        cmocka_unit_test(test_unhandled_reason_is_fatal),
        cmocka_unit_test(test_engine_reads_its_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
