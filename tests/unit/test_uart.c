/* test_uart.c — 16550 register behaviour (PC16550D datasheet). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "devices/uart16550.h"

struct sink {
    char buf[64];
    int n;
};
struct irqrec {
    int level, changes;
};

static void sink_tx(void *ctx, uint8_t b)
{
    struct sink *s = ctx;
    s->buf[s->n++] = (char)b;
}
static void irq_set(void *ctx, int irq, int level)
{
    struct irqrec *r = ctx;
    assert_int_equal(irq, 4);
    if (level != r->level)
        r->changes++;
    r->level = level;
}

static void wr(struct uart16550 *u, int reg, uint8_t v)
{
    uint32_t x = v;
    uart_io(u, reg, 1, true, &x);
}
static uint8_t rd(struct uart16550 *u, int reg)
{
    uint32_t x = 0xdead;
    uart_io(u, reg, 1, false, &x);
    return (uint8_t)x;
}

static void test_thr_goes_to_sink_and_lsr_always_ready(void **st)
{
    (void)st;
    struct uart16550 u;
    struct sink s = { 0 };
    uart_init(&u, sink_tx, &s, NULL);
    for (const char *p = "hi\n"; *p; p++) {
        assert_true(rd(&u, UART_LSR) & UART_LSR_THRE);
        assert_true(rd(&u, UART_LSR) & UART_LSR_TEMT);
        wr(&u, UART_THR, (uint8_t)*p);
    }
    assert_int_equal(s.n, 3);
    assert_memory_equal(s.buf, "hi\n", 3);
    assert_int_equal(u.tx_bytes, 3);
    assert_int_equal(rd(&u, UART_LSR) & UART_LSR_DR, 0); /* nothing received */
}

static void test_dlab_switches_divisor_latch(void **st)
{
    (void)st;
    struct uart16550 u;
    struct sink s = { 0 };
    uart_init(&u, sink_tx, &s, NULL);
    wr(&u, UART_IER, 0x05);
    wr(&u, UART_LCR, UART_LCR_DLAB | 0x03);
    wr(&u, UART_DLL, 0x01); /* 115200 baud */
    wr(&u, UART_DLM, 0x00);
    assert_int_equal(rd(&u, UART_DLL), 0x01);
    assert_int_equal(rd(&u, UART_DLM), 0x00);
    assert_int_equal(s.n, 0); /* a divisor write is not a transmission */
    wr(&u, UART_LCR, 0x03);   /* 8N1, DLAB off */
    assert_int_equal(rd(&u, UART_LCR), 0x03);
    assert_int_equal(rd(&u, UART_IER), 0x05); /* IER kept its own value */
    wr(&u, UART_THR, 'x');
    assert_int_equal(s.n, 1);
    wr(&u, UART_LCR, UART_LCR_DLAB);
    assert_int_equal(rd(&u, UART_DLL), 0x01); /* divisor survived */
}

static void test_scratch_register(void **st)
{
    (void)st;
    struct uart16550 u;
    uart_init(&u, NULL, NULL, NULL);
    wr(&u, UART_SCR, 0x5a);
    assert_int_equal(rd(&u, UART_SCR), 0x5a);
    wr(&u, UART_SCR, 0xa5);
    assert_int_equal(rd(&u, UART_SCR), 0xa5);
}

static void test_iir_thre_interrupt_and_irq_line(void **st)
{
    (void)st;
    struct uart16550 u;
    struct irqrec r = { 0 };
    struct irq_line line = { irq_set, &r, 4 };
    uart_init(&u, NULL, NULL, &line);
    assert_int_equal(rd(&u, UART_IIR) & 0x0f, UART_IIR_NONE);
    wr(&u, UART_MCR, UART_MCR_OUT2);
    wr(&u, UART_IER, UART_IER_THRI);
    assert_int_equal(r.level, 1); /* THR empty: asserted */
    assert_int_equal(rd(&u, UART_IIR) & 0x0f, UART_IIR_THRI);
    assert_int_equal(r.level, 0); /* reading IIR acknowledged it */
    assert_int_equal(rd(&u, UART_IIR) & 0x0f, UART_IIR_NONE);
    wr(&u, UART_THR, 'a'); /* sent: empty again */
    assert_int_equal(r.level, 1);
    wr(&u, UART_MCR, 0); /* OUT2 gates the line */
    assert_int_equal(r.level, 0);
}

/* 16450 mode (FIFOs off): the receiver holds one byte; another one
 * arriving before it was read replaces it and sets OE. */
static void test_receive_16450_mode_holds_one_byte(void **st)
{
    (void)st;
    struct uart16550 u;
    uart_init(&u, NULL, NULL, NULL);
    wr(&u, UART_IER, UART_IER_RDI | UART_IER_THRI);
    assert_int_equal(uart_rx_room(&u), 1);
    assert_true(uart_receive(&u, 'q'));
    assert_int_equal(uart_rx_room(&u), 0);
    assert_true(rd(&u, UART_LSR) & UART_LSR_DR);
    assert_int_equal(rd(&u, UART_IIR) & 0x0f, UART_IIR_RDI); /* RDI outranks THRE */
    assert_int_equal(rd(&u, UART_IIR) & 0x0f, UART_IIR_RDI); /* not acknowledged by IIR */
    assert_int_equal(rd(&u, UART_RBR), 'q');
    assert_false(rd(&u, UART_LSR) & UART_LSR_DR);
    assert_int_equal(rd(&u, UART_IIR) & 0x0f, UART_IIR_THRI); /* THRE was still pending */
    assert_true(uart_receive(&u, 'r'));
    assert_false(uart_receive(&u, 's')); /* overrun: replaces 'r' */
    assert_int_equal(u.rx_overruns, 1);
    uint8_t lsr = rd(&u, UART_LSR);
    assert_true(lsr & UART_LSR_OE);
    assert_true(lsr & UART_LSR_DR);
    assert_false(rd(&u, UART_LSR) & UART_LSR_OE); /* cleared by the read */
    assert_int_equal(rd(&u, UART_RBR), 's');
}

static void test_receive_fifo_16_bytes_and_overrun(void **st)
{
    (void)st;
    struct uart16550 u;
    uart_init(&u, NULL, NULL, NULL);
    wr(&u, UART_FCR, UART_FCR_ENABLE);
    assert_int_equal(uart_rx_room(&u), UART_RX_FIFO);
    for (int i = 0; i < UART_RX_FIFO; i++)
        assert_true(uart_receive(&u, (uint8_t)i));
    assert_false(uart_receive(&u, 0xff)); /* FIFO full: the new byte is lost */
    assert_true(rd(&u, UART_LSR) & UART_LSR_OE);
    assert_false(rd(&u, UART_LSR) & UART_LSR_OE);
    for (int i = 0; i < UART_RX_FIFO; i++)
        assert_int_equal(rd(&u, UART_RBR), i);
    assert_false(rd(&u, UART_LSR) & UART_LSR_DR);
}

static uint64_t fake_now;
static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}
static const struct vclock clk = { fake_clock, NULL };

/* FIFO mode: data available at the trigger level; below it, the character
 * timeout after 4 character times without a byte received or read. */
static void test_fifo_trigger_level_and_character_timeout(void **st)
{
    (void)st;
    struct uart16550 u;
    struct irqrec r = { 0 };
    struct irq_line line = { irq_set, &r, 4 };
    uart_init(&u, NULL, NULL, &line);
    uart_set_clock(&u, &clk);
    fake_now = 1000000;
    wr(&u, UART_LCR, 0x03); /* 8N1: 10 bits a character */
    wr(&u, UART_LCR, 0x83);
    wr(&u, UART_DLL, 1); /* 115200 baud: 86.8 us a character */
    wr(&u, UART_LCR, 0x03);
    wr(&u, UART_FCR, UART_FCR_ENABLE | 0x40); /* trigger level 4 */
    wr(&u, UART_MCR, UART_MCR_OUT2);
    wr(&u, UART_IER, UART_IER_RDI);
    for (int i = 0; i < 3; i++)
        uart_receive(&u, (uint8_t)('a' + i));
    assert_int_equal(rd(&u, UART_IIR), UART_IIR_FIFO | UART_IIR_NONE); /* below trigger */
    assert_true(rd(&u, UART_LSR) & UART_LSR_DR);
    uint64_t four_chars = (4 * 10 * 16 * 1000000000ull + UART_XTAL_HZ - 1) / UART_XTAL_HZ;
    fake_now += four_chars - 1;
    uart_update(&u);
    assert_int_equal(r.level, 0);
    fake_now += 1;
    uart_update(&u);
    assert_int_equal(r.level, 1);
    assert_int_equal(rd(&u, UART_IIR), UART_IIR_FIFO | UART_IIR_TIMEOUT);
    assert_int_equal(rd(&u, UART_RBR), 'a'); /* a read restarts the timer */
    assert_int_equal(r.level, 0);
    assert_int_equal(rd(&u, UART_IIR) & 0x0f, UART_IIR_NONE);
    uart_receive(&u, 'd');
    uart_receive(&u, 'e'); /* 4 bytes: the trigger level */
    assert_int_equal(r.level, 1);
    assert_int_equal(rd(&u, UART_IIR), UART_IIR_FIFO | UART_IIR_RDI);
    wr(&u, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
    assert_int_equal(r.level, 0);
    assert_false(rd(&u, UART_LSR) & UART_LSR_DR);
}

/* Table IV: line status over data over THRE over modem status. */
static void test_iir_priority_of_all_sources(void **st)
{
    (void)st;
    struct uart16550 u;
    uart_init(&u, NULL, NULL, NULL);
    wr(&u, UART_MCR, UART_MCR_LOOP); /* DCD, DSR, CTS drop: deltas */
    wr(&u, UART_IER, 0x0f);
    uart_receive(&u, 1);
    uart_receive(&u, 2); /* overrun in 16450 mode */
    assert_int_equal(rd(&u, UART_IIR), UART_IIR_RLSI);
    rd(&u, UART_LSR); /* clears the line status */
    assert_int_equal(rd(&u, UART_IIR), UART_IIR_RDI);
    rd(&u, UART_RBR);
    assert_int_equal(rd(&u, UART_IIR), UART_IIR_THRI);
    uint8_t msr = rd(&u, UART_IIR); /* THRE acknowledged: modem status now */
    assert_int_equal(msr, UART_IIR_MSI);
    assert_int_equal(rd(&u, UART_MSR), 0x0b); /* DDCD, DDSR, DCTS; inputs all off */
    assert_int_equal(rd(&u, UART_IIR), UART_IIR_NONE);
    wr(&u, UART_MCR, UART_MCR_LOOP | 0x04);            /* OUT1 -> RI on */
    assert_int_equal(rd(&u, UART_IIR), UART_IIR_NONE); /* RI rising is no delta */
    wr(&u, UART_MCR, UART_MCR_LOOP);                   /* RI off: trailing edge */
    assert_int_equal(rd(&u, UART_IIR), UART_IIR_MSI);
    assert_int_equal(rd(&u, UART_MSR), 0x04);
    assert_int_equal(uart_rx_room(&u), 0); /* loopback: input disconnected */
}

static void test_thre_cleared_by_iir_read_and_rearmed_by_thr_write(void **st)
{
    (void)st;
    struct uart16550 u;
    struct sink s = { 0 };
    struct irqrec r = { 0 };
    struct irq_line line = { irq_set, &r, 4 };
    uart_init(&u, sink_tx, &s, &line);
    wr(&u, UART_MCR, UART_MCR_OUT2);
    wr(&u, UART_IER, UART_IER_THRI);
    assert_int_equal(r.level, 1);
    assert_int_equal(rd(&u, UART_IIR) & 0x0f, UART_IIR_THRI);
    assert_int_equal(r.level, 0);
    wr(&u, UART_IER, UART_IER_THRI); /* already enabled: no new interrupt */
    wr(&u, UART_SCR, 0);
    rd(&u, UART_LSR);
    assert_int_equal(r.level, 0);
    wr(&u, UART_IER, 0); /* off and on again with THR empty: raised */
    wr(&u, UART_IER, UART_IER_THRI);
    assert_int_equal(r.level, 1);
    rd(&u, UART_IIR);
    wr(&u, UART_THR, 'z'); /* sent at once: THR empty again */
    assert_int_equal(r.level, 1);
    assert_int_equal(r.changes, 5);
}

static void test_loopback(void **st)
{
    (void)st;
    struct uart16550 u;
    struct sink s = { 0 };
    uart_init(&u, sink_tx, &s, NULL);
    wr(&u, UART_MCR, UART_MCR_LOOP | 0x03); /* loop, DTR, RTS */
    wr(&u, UART_THR, 0x42);
    assert_int_equal(s.n, 0);
    assert_int_equal(rd(&u, UART_RBR), 0x42);
    assert_int_equal(rd(&u, UART_MSR) & 0x30, 0x30); /* CTS, DSR from RTS, DTR */
}

static void test_fcr_enables_fifo_bits(void **st)
{
    (void)st;
    struct uart16550 u;
    uart_init(&u, NULL, NULL, NULL);
    assert_int_equal(rd(&u, UART_IIR) & 0xc0, 0);
    wr(&u, UART_FCR, 0x07);
    assert_int_equal(rd(&u, UART_IIR) & 0xc0, 0xc0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thr_goes_to_sink_and_lsr_always_ready),
        cmocka_unit_test(test_dlab_switches_divisor_latch),
        cmocka_unit_test(test_scratch_register),
        cmocka_unit_test(test_iir_thre_interrupt_and_irq_line),
        cmocka_unit_test(test_receive_16450_mode_holds_one_byte),
        cmocka_unit_test(test_receive_fifo_16_bytes_and_overrun),
        cmocka_unit_test(test_fifo_trigger_level_and_character_timeout),
        cmocka_unit_test(test_iir_priority_of_all_sources),
        cmocka_unit_test(test_thre_cleared_by_iir_read_and_rearmed_by_thr_write),
        cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_fcr_enables_fifo_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
