/* test_pic.c — 8259A pair: init, masks, priority, EOI, cascade, spurious. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "devices/pic8259.h"

static void out(struct pic_pair *p, uint16_t port, uint8_t v)
{
    uint32_t x = v;
    if (port >= 0xa0)
        pic_slave_io(p, port - 0xa0, 1, true, &x);
    else
        pic_master_io(p, port - 0x20, 1, true, &x);
}
static uint8_t in(struct pic_pair *p, uint16_t port)
{
    uint32_t x = 0;
    if (port >= 0xa0)
        pic_slave_io(p, port - 0xa0, 1, false, &x);
    else
        pic_master_io(p, port - 0x20, 1, false, &x);
    return (uint8_t)x;
}

/* The classic remap: master -> 0x20, slave -> 0x28, as the guest does. */
static void setup(struct pic_pair *p, uint8_t mmask, uint8_t smask)
{
    pic_init(p);
    out(p, 0x20, 0x11);
    out(p, 0xa0, 0x11); /* ICW1: edge, cascade, ICW4 */
    out(p, 0x21, 0x20);
    out(p, 0xa1, 0x28); /* ICW2: vector bases */
    out(p, 0x21, 0x04);
    out(p, 0xa1, 0x02); /* ICW3: slave on IR2 / id 2 */
    out(p, 0x21, 0x01);
    out(p, 0xa1, 0x01); /* ICW4: 8086 mode */
    out(p, 0x21, mmask);
    out(p, 0xa1, smask); /* OCW1 */
}
static void pulse(struct pic_pair *p, int irq)
{
    pic_set_irq(p, irq, 1);
    pic_set_irq(p, irq, 0);
}

static void test_init_sequence_sets_bases_and_masks(void **st)
{
    (void)st;
    struct pic_pair p;
    setup(&p, 0xfa, 0xff);
    assert_int_equal(p.chip[0].vector_base, 0x20);
    assert_int_equal(p.chip[1].vector_base, 0x28);
    assert_int_equal(in(&p, 0x21), 0xfa);
    assert_int_equal(in(&p, 0xa1), 0xff);
    assert_int_equal(p.chip[0].init_state, 0);
    pulse(&p, 0);
    assert_true(pic_pending(&p));
    assert_int_equal(pic_ack(&p), 0x20);
}

static void test_mask_holds_request_until_unmasked(void **st)
{
    (void)st;
    struct pic_pair p;
    setup(&p, 0xff, 0xff);
    pulse(&p, 1);
    assert_false(pic_pending(&p));
    out(&p, 0x20, 0x0a);                  /* OCW3: read IRR */
    assert_int_equal(in(&p, 0x20), 0x02); /* latched in IRR */
    out(&p, 0x21, 0xfd);                  /* unmask IRQ1 */
    assert_true(pic_pending(&p));
    assert_int_equal(pic_ack(&p), 0x21);
    out(&p, 0x20, 0x0b); /* OCW3: read ISR */
    assert_int_equal(in(&p, 0x20), 0x02);
}

static void test_priority_and_nesting(void **st)
{
    (void)st;
    struct pic_pair p;
    setup(&p, 0x00, 0xff);
    pulse(&p, 3);
    pulse(&p, 1);
    assert_int_equal(pic_ack(&p), 0x21); /* IR1 beats IR3 */
    assert_false(pic_pending(&p));       /* IR3 waits: lower than IR1 in service */
    pulse(&p, 0);
    assert_true(pic_pending(&p)); /* IR0 may nest into IR1's handler */
    assert_int_equal(pic_ack(&p), 0x20);
    out(&p, 0x20, 0x20); /* non-specific EOI: clears IR0 */
    out(&p, 0x20, 0x0b);
    assert_int_equal(in(&p, 0x20), 0x02);
    out(&p, 0x20, 0x20); /* clears IR1 */
    assert_true(pic_pending(&p));
    assert_int_equal(pic_ack(&p), 0x23);
}

static void test_specific_eoi(void **st)
{
    (void)st;
    struct pic_pair p;
    setup(&p, 0x00, 0xff);
    pulse(&p, 5);
    assert_int_equal(pic_ack(&p), 0x25);
    pulse(&p, 4);
    assert_int_equal(pic_ack(&p), 0x24);
    out(&p, 0x20, 0x65); /* specific EOI for IR5 */
    out(&p, 0x20, 0x0b);
    assert_int_equal(in(&p, 0x20), 0x10); /* IR4 still in service */
}

static void test_cascade_through_irq2(void **st)
{
    (void)st;
    struct pic_pair p;
    setup(&p, 0xfb, 0x00); /* master: only IR2 (cascade) open */
    pulse(&p, 10);         /* slave IR2 */
    assert_true(pic_pending(&p));
    assert_int_equal(pic_ack(&p), 0x2a);
    out(&p, 0xa0, 0x0b);
    assert_int_equal(in(&p, 0xa0), 0x04); /* slave ISR bit 2 */
    out(&p, 0x20, 0x0b);
    assert_int_equal(in(&p, 0x20), 0x04); /* master ISR bit 2 (cascade) */
    pulse(&p, 9);                         /* higher-priority slave IRQ */
    assert_false(pic_pending(&p));        /* master IR2 is in service */
    out(&p, 0xa0, 0x20);                  /* EOI slave, then master */
    out(&p, 0x20, 0x20);
    assert_true(pic_pending(&p));
    assert_int_equal(pic_ack(&p), 0x29);
}

static void test_spurious_irq7(void **st)
{
    (void)st;
    struct pic_pair p;
    setup(&p, 0x00, 0xff);
    assert_false(pic_pending(&p));
    assert_int_equal(pic_ack(&p), 0x27); /* nothing pending: IR7's vector */
    out(&p, 0x20, 0x0b);
    assert_int_equal(in(&p, 0x20), 0x00); /* and no ISR bit: handler must not EOI */
    assert_int_equal(p.spurious, 1);
}

static void test_edge_needs_new_rising_edge(void **st)
{
    (void)st;
    struct pic_pair p;
    setup(&p, 0x00, 0xff);
    pic_set_irq(&p, 3, 1);
    assert_int_equal(pic_ack(&p), 0x23);
    out(&p, 0x20, 0x20);
    assert_false(pic_pending(&p)); /* line still high, no new edge */
    pic_set_irq(&p, 3, 0);
    pic_set_irq(&p, 3, 1);
    assert_true(pic_pending(&p));
}

static void test_level_triggered_follows_line(void **st)
{
    (void)st;
    struct pic_pair p;
    pic_init(&p);
    out(&p, 0x20, 0x19); /* ICW1 with LTIM */
    out(&p, 0x21, 0x20);
    out(&p, 0x21, 0x04);
    out(&p, 0x21, 0x01);
    out(&p, 0x21, 0x00);
    pic_set_irq(&p, 3, 1);
    assert_int_equal(pic_ack(&p), 0x23);
    out(&p, 0x20, 0x20);
    assert_true(pic_pending(&p)); /* still asserted: requests again */
    pic_set_irq(&p, 3, 0);
    assert_false(pic_pending(&p));
}

static void test_auto_eoi(void **st)
{
    (void)st;
    struct pic_pair p;
    pic_init(&p);
    out(&p, 0x20, 0x11);
    out(&p, 0x21, 0x40);
    out(&p, 0x21, 0x04);
    out(&p, 0x21, 0x03); /* ICW4: AEOI */
    out(&p, 0x21, 0x00);
    pulse(&p, 2 + 4);
    assert_int_equal(pic_ack(&p), 0x46);
    out(&p, 0x20, 0x0b);
    assert_int_equal(in(&p, 0x20), 0x00); /* ISR not set */
}

static void test_rotate_on_eoi(void **st)
{
    (void)st;
    struct pic_pair p;
    setup(&p, 0x00, 0xff);
    pulse(&p, 1);
    assert_int_equal(pic_ack(&p), 0x21);
    out(&p, 0x20, 0xa0); /* rotate on non-specific EOI */
    pulse(&p, 0);
    pulse(&p, 3);
    assert_int_equal(pic_ack(&p), 0x23); /* IR1 now lowest, IR2 highest: IR3 before IR0 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_sequence_sets_bases_and_masks),
        cmocka_unit_test(test_mask_holds_request_until_unmasked),
        cmocka_unit_test(test_priority_and_nesting),
        cmocka_unit_test(test_specific_eoi),
        cmocka_unit_test(test_cascade_through_irq2),
        cmocka_unit_test(test_spurious_irq7),
        cmocka_unit_test(test_edge_needs_new_rising_edge),
        cmocka_unit_test(test_level_triggered_follows_line),
        cmocka_unit_test(test_auto_eoi),
        cmocka_unit_test(test_rotate_on_eoi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
