/* test_acpi_pm.c — the ACPI PM1a event/control blocks and the PM timer on a
 * fake clock; an S5 write through the VM's port bus ends the VM with 0. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "devices/acpi_pm.h"
#include "devices/pc_ports.h"
#include "vmm/options.h"
#include "core/vm.h"

static uint64_t fake_now;
static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}
static const struct vclock clk = { fake_clock, NULL };

struct sci {
    int level, rises;
};
static void sci_set(void *ctx, int irq, int level)
{
    struct sci *s = ctx;
    assert_int_equal(irq, ACPI_PM_SCI_IRQ);
    if (level && !s->level)
        s->rises++;
    s->level = level;
}

static uint32_t rd(struct acpi_pm *pm, unsigned off, uint8_t size)
{
    uint32_t v = 0xdeadbeef;
    acpi_pm_io(pm, off, size, false, &v);
    return v;
}
static void wr(struct acpi_pm *pm, unsigned off, uint8_t size, uint32_t v)
{
    acpi_pm_io(pm, off, size, true, &v);
}

static void setup(struct acpi_pm *pm, struct sci *s)
{
    struct irq_line l = { sci_set, s, ACPI_PM_SCI_IRQ };
    memset(s, 0, sizeof *s);
    acpi_pm_init(pm, &clk, &l);
}

/* 3.579545 MHz, 24 bits wide, read as one dword (Linux's acpi_pm clocksource). */
static void test_timer_counts_at_3_579545_mhz(void **st)
{
    (void)st;
    struct acpi_pm pm;
    struct sci s;
    fake_now = 5000000000ull; /* 5 s: 17897725 ticks */
    setup(&pm, &s);
    uint32_t t0 = rd(&pm, ACPI_PM_TMR_OFF, 4);
    assert_int_equal(t0, 17897725u & 0xffffff);
    fake_now += 1000000000ull; /* one second: 3579545 ticks, mod 2^24 */
    assert_int_equal((rd(&pm, ACPI_PM_TMR_OFF, 4) - t0) & 0xffffff, 3579545);
    fake_now += 1000; /* 1 us: 3.58 ticks */
    uint32_t t1 = rd(&pm, ACPI_PM_TMR_OFF, 4);
    assert_int_equal((t1 - t0) & 0xffffff, 3579548);
    assert_int_equal(t1 >> 24, 0); /* TMR_VAL_EXT clear: bits 24-31 read 0 */
    /* Long runs do not overflow: 10 days later the rate is the same. */
    fake_now += 864000ull * 1000000000ull;
    uint32_t a = rd(&pm, ACPI_PM_TMR_OFF, 4);
    fake_now += 1000000;                                                  /* 1 ms */
    assert_int_equal((rd(&pm, ACPI_PM_TMR_OFF, 4) - a) & 0xffffff, 3580); /* .545 + 3579.545 */
    /* Byte reads assemble the same value; writes are ignored. */
    wr(&pm, ACPI_PM_TMR_OFF, 4, 0);
    uint32_t w = rd(&pm, ACPI_PM_TMR_OFF, 4);
    assert_int_equal(rd(&pm, ACPI_PM_TMR_OFF + 1, 1), (w >> 8) & 0xff);
    assert_int_equal(rd(&pm, ACPI_PM_TMR_OFF + 3, 1), 0);
}

/* TMR_STS on each change of bit 23; write 1 to clear; SCI = SCI_EN && STS & EN. */
static void test_timer_carry_status_and_sci(void **st)
{
    (void)st;
    struct acpi_pm pm;
    struct sci s;
    fake_now = 0;
    setup(&pm, &s);
    assert_int_equal(rd(&pm, 0, 2), 0);
    assert_int_equal(acpi_pm_next_deadline(&pm), UINT64_MAX); /* TMR_EN clear */
    wr(&pm, 2, 2, PM1_TMR);                                   /* TMR_EN */
    assert_int_equal(rd(&pm, 2, 2), PM1_TMR);
    uint64_t dl = acpi_pm_next_deadline(&pm); /* 2^23 ticks = 2.3435 s */
    assert_true(dl > 2343400000ull && dl < 2343600000ull);
    fake_now = dl - 1;
    acpi_pm_update(&pm);
    assert_int_equal(rd(&pm, 0, 2) & PM1_TMR, 0);
    assert_int_equal(s.rises, 0);
    fake_now = dl;
    acpi_pm_update(&pm);
    assert_int_equal(rd(&pm, 0, 2) & PM1_TMR, PM1_TMR);
    assert_int_equal(s.rises, 1);
    assert_int_equal(s.level, 1);
    wr(&pm, 0, 2, 0); /* writing 0 clears nothing */
    assert_int_equal(rd(&pm, 0, 2) & PM1_TMR, PM1_TMR);
    wr(&pm, 0, 2, PM1_TMR); /* write 1 to clear: the SCI falls */
    assert_int_equal(rd(&pm, 0, 2), 0);
    assert_int_equal(s.level, 0);
    /* Status without its enable bit raises no SCI. */
    wr(&pm, 2, 2, 0);
    assert_int_equal(acpi_pm_next_deadline(&pm), UINT64_MAX); /* nothing enabled */
    fake_now = 2 * dl;
    acpi_pm_update(&pm);
    assert_int_equal(rd(&pm, 0, 2) & PM1_TMR, PM1_TMR);
    assert_int_equal(s.level, 0);
    assert_int_equal(s.rises, 1);
}

/* PM1_CNT: SCI_EN reads 1 (no SMI_CMD: always ACPI mode); SLP_TYP alone does
 * nothing; SLP_TYP=S5 with SLP_EN is soft off; SLP_EN reads 0. */
static void test_s5_write_powers_off(void **st)
{
    (void)st;
    struct acpi_pm pm;
    struct sci s;
    fake_now = 0;
    setup(&pm, &s);
    assert_int_equal(rd(&pm, ACPI_PM1_CNT_OFF, 2), PM1_SCI_EN);
    wr(&pm, ACPI_PM1_CNT_OFF, 2, PM1_SLP_TYP(ACPI_PM_SLP_TYP_S5)); /* ACPICA's write #1 */
    assert_false(pm.poweroff);
    assert_int_equal(rd(&pm, ACPI_PM1_CNT_OFF, 2), PM1_SCI_EN | PM1_SLP_TYP(5));
    wr(&pm, ACPI_PM1_CNT_OFF, 2, PM1_SLP_TYP(ACPI_PM_SLP_TYP_S5) | PM1_SLP_EN);
    assert_true(pm.poweroff);
    assert_int_equal(rd(&pm, ACPI_PM1_CNT_OFF, 2) & PM1_SLP_EN, 0);

    /* The same through the high byte alone (SLP_TYP and SLP_EN are bits 10-13). */
    setup(&pm, &s);
    wr(&pm, ACPI_PM1_CNT_OFF + 1, 1, (PM1_SLP_TYP(5) | PM1_SLP_EN) >> 8);
    assert_true(pm.poweroff);
    assert_int_equal(rd(&pm, ACPI_PM1_CNT_OFF, 2) & PM1_SCI_EN, PM1_SCI_EN);
}

/* A sleep state we do not implement wakes at once: WAK_STS, no power-off. */
static void test_other_sleep_states_wake_at_once(void **st)
{
    (void)st;
    struct acpi_pm pm;
    struct sci s;
    fake_now = 0;
    setup(&pm, &s);
    for (unsigned typ = 0; typ < 8; typ++) {
        if (typ == ACPI_PM_SLP_TYP_S5)
            continue;
        wr(&pm, ACPI_PM1_CNT_OFF, 2, PM1_SLP_TYP(typ) | PM1_SLP_EN);
        assert_false(pm.poweroff);
        assert_int_equal(rd(&pm, 0, 2) & PM1_WAK_STS, PM1_WAK_STS);
        wr(&pm, 0, 2, PM1_WAK_STS);
        assert_int_equal(rd(&pm, 0, 2) & PM1_WAK_STS, 0);
    }
    assert_int_equal(pm.sleeps_refused, 7);
    /* A dword write at the event block reaches PM1_STS and PM1_EN both. */
    wr(&pm, 0, 4, (uint32_t)PM1_PWRBTN << 16);
    assert_int_equal(rd(&pm, 0, 4), (uint32_t)PM1_PWRBTN << 16);
}

/* --- through the VM: a scripted engine's OUTs reach the port map --------- */

struct step {
    uint16_t port;
    uint8_t size;
    bool in;
    uint32_t value;
};
static const struct step *script;
static int pos, nsteps;
static uint32_t last_in;

static int sc_run(struct vcpu *v, struct vm_exit *e)
{
    if (pos > 0 && script[pos - 1].in)
        last_in = e->u.io.value;
    if (pos >= nsteps) { /* the script ran out without the VM stopping */
        e->reason = EXIT_TRIPLE_FAULT;
        return 0;
    }
    const struct step *s = &script[pos++];
    memset(e, 0, sizeof *e);
    e->guest_eip = 0x100000 + (uint32_t)pos;
    e->reason = EXIT_IO_INSTRUCTION;
    e->u.io = (struct exit_io){ .port = s->port, .size = s->size, .in = s->in, .value = s->value };
    (void)v;
    return 0;
}
static const struct engine_ops script_engine = { .name = "script", .run = sc_run };

static int run_script(const struct step *s, int n)
{
    struct vm_options o;
    vm_options_defaults(&o, "vmm-test");
    o.mem = 2 << 20;
    script = s;
    nsteps = n;
    pos = 0;
    struct vm *vm;
    char err[256];
    assert_int_equal(vm_create(&vm, &o, &script_engine, err, sizeof err), 0);
    FILE *rep = fopen("/dev/null", "w");
    vm_set_report(vm, rep);
    int status = vm_run(vm);
    fclose(rep);
    vm_destroy(vm);
    return status;
}

static void test_vm_poweroff_ends_with_status_0(void **st)
{
    (void)st;
    assert_int_equal(pc_port_find(0x604)->base, ACPI_PM_BASE);
    assert_string_equal(pc_port_find(0x608)->name, "acpi-pm");
    static const struct step s[] = {
        { 0x604, 2, true, 0 },                                             /* PM1_CNT: SCI_EN */
        { 0x604, 2, false, PM1_SLP_TYP(ACPI_PM_SLP_TYP_S5) },              /* write #1     */
        { 0x604, 2, false, PM1_SLP_TYP(ACPI_PM_SLP_TYP_S5) | PM1_SLP_EN }, /* #2: off */
        { 0x3f8, 1, false, 'x' },                                          /* never reached */
    };
    assert_int_equal(run_script(s, 4), 0);
    assert_int_equal(pos, 3);
    /* Without the SLP_EN write the guest runs on (and here crashes: 70). */
    assert_int_equal(run_script(s, 2), VMM_STATUS_GUEST);
    assert_int_equal(last_in, PM1_SCI_EN);
    /* The PM timer answers a dword IN with 24 bits. */
    static const struct step t[] = { { 0x608, 4, true, 0 } };
    last_in = 0xffffffff;
    assert_int_equal(run_script(t, 1), VMM_STATUS_GUEST);
    assert_int_equal(last_in >> 24, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timer_counts_at_3_579545_mhz),
        cmocka_unit_test(test_timer_carry_status_and_sci),
        cmocka_unit_test(test_s5_write_powers_off),
        cmocka_unit_test(test_other_sleep_states_wake_at_once),
        cmocka_unit_test(test_vm_poweroff_ends_with_status_0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
