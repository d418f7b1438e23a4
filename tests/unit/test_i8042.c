/* test_i8042.c — the keyboard controller with no keyboard (i8042.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "devices/i8042.h"

static struct i8042 k;
static int level[16], rises[16];

static void irq_set(void *ctx, int irq, int l)
{
    (void)ctx;
    if (l && !level[irq])
        rises[irq]++;
    level[irq] = l;
}
static const struct irq_line irq1 = { irq_set, NULL, 1 }, irq12 = { irq_set, NULL, 12 };

static void cmd(uint8_t c)
{
    uint32_t v = c;
    i8042_cmd_io(&k, 0, 1, true, &v);
}
static void data(uint8_t d)
{
    uint32_t v = d;
    i8042_data_io(&k, 0, 1, true, &v);
}
static uint8_t status(void)
{
    uint32_t v = 0;
    i8042_cmd_io(&k, 0, 1, false, &v);
    return (uint8_t)v;
}
static uint8_t rd(void)
{
    uint32_t v = 0;
    i8042_data_io(&k, 0, 1, false, &v);
    return (uint8_t)v;
}

static int setup(void **st)
{
    (void)st;
    for (int i = 0; i < 16; i++)
        level[i] = rises[i] = 0;
    i8042_init(&k, &irq1, &irq12);
    return 0;
}

static void test_status_after_reset(void **st)
{
    (void)st;
    uint8_t s = status();
    assert_int_equal(s & I8042_STR_OBF, 0); /* nothing to read */
    assert_int_equal(s & I8042_STR_IBF, 0); /* ready for a command */
    assert_true(s & I8042_STR_SYS);
    assert_false(k.reset_requested);
}

static void test_self_test_and_interface_tests(void **st)
{
    (void)st;
    cmd(0xAA);
    assert_true(status() & I8042_STR_OBF);
    assert_true(status() & I8042_STR_CMD); /* last write was a command */
    assert_int_equal(rd(), 0x55);
    assert_int_equal(status() & I8042_STR_OBF, 0);
    cmd(0xAB);
    assert_int_equal(rd(), 0x00);
    cmd(0xA9);
    assert_int_equal(rd(), 0x00);
}

static void test_command_byte_read_write(void **st)
{
    (void)st;
    cmd(0x20);
    assert_int_equal(rd(), I8042_CTR_KBDINT | I8042_CTR_SYS | I8042_CTR_XLATE);
    cmd(0x60);
    data(0x30); /* both clocks off, interrupts off, SYS clear */
    assert_int_equal(status() & I8042_STR_SYS, 0);
    cmd(0x20);
    assert_int_equal(rd(), 0x30);
    cmd(0xAE); /* enable keyboard: clears bit 4 */
    cmd(0xA8); /* enable AUX: clears bit 5 */
    cmd(0x20);
    assert_int_equal(rd(), 0x00);
    assert_int_equal(rises[1], 1); /* the first 0x20 only: KBDINT off since */
}

static void test_keyboard_command_times_out(void **st)
{
    (void)st;
    data(0xFF); /* reset the keyboard: nobody answers */
    uint8_t s = status();
    assert_true(s & I8042_STR_OBF);
    assert_true(s & I8042_STR_TIMEOUT);
    assert_int_equal(s & I8042_STR_AUX, 0);
    assert_int_equal(rises[1], 1); /* KBDINT is on after reset */
    assert_int_equal(level[1], 1);
    assert_int_equal(rd(), 0xFE);
    assert_int_equal(level[1], 0); /* reading the buffer drops IRQ1 */
    assert_int_equal(status() & (I8042_STR_OBF | I8042_STR_TIMEOUT), 0);
    cmd(0x60);
    data(I8042_CTR_AUXINT);
    cmd(0xD4); /* a byte for the mouse: it times out on the AUX side */
    data(0xF2);
    assert_true(status() & I8042_STR_AUX);
    assert_true(status() & I8042_STR_TIMEOUT);
    assert_int_equal(rises[12], 1);
    assert_int_equal(rises[1], 1);
    assert_int_equal(rd(), 0xFE);
    assert_int_equal(k.timeouts, 2);
}

static void test_loopback_commands(void **st)
{
    (void)st;
    cmd(0xD3);
    data(0x5A); /* Linux's i8042_check_aux */
    assert_true(status() & I8042_STR_AUX);
    assert_int_equal(status() & I8042_STR_TIMEOUT, 0);
    assert_int_equal(rd(), 0x5A);
    cmd(0xD2);
    data(0x1C);
    assert_int_equal(status() & I8042_STR_AUX, 0);
    assert_int_equal(rd(), 0x1C);
}

static void test_pulse_reset_ends_the_machine(void **st)
{
    (void)st;
    cmd(0xFF); /* pulse nothing */
    assert_false(k.reset_requested);
    cmd(0xFE); /* pulse bit 0: CPU reset */
    assert_true(k.reset_requested);
}

static void test_output_port_reset_line(void **st)
{
    (void)st;
    cmd(0xD0);
    assert_int_equal(rd() & 3, 3); /* running, A20 on */
    cmd(0xD1);
    data(0x03);
    assert_false(k.reset_requested);
    cmd(0xD1);
    data(0x02); /* reset line low */
    assert_true(k.reset_requested);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_status_after_reset, setup),
        cmocka_unit_test_setup(test_self_test_and_interface_tests, setup),
        cmocka_unit_test_setup(test_command_byte_read_write, setup),
        cmocka_unit_test_setup(test_keyboard_command_times_out, setup),
        cmocka_unit_test_setup(test_loopback_commands, setup),
        cmocka_unit_test_setup(test_pulse_reset_ends_the_machine, setup),
        cmocka_unit_test_setup(test_output_port_reset_line, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
