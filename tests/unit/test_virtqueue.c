/*
 * test_virtqueue.c — the device side of the split virtqueue (05-io/virtqueue.h;
 * virtio 1.2 §2.7), driven by a hand-written driver in a small guest RAM:
 * chains, indirect tables, the 16-bit indices wrapping, event-index
 * suppression in both directions, and every kind of bad descriptor.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "05-io/virtqueue.h"

#define RAM_SIZE (1u << 20)
#define QSIZE    8
#define DESC     0x1000u /* 16 * 8 bytes   */
#define AVAIL    0x2000u /* 6 + 2 * 8      */
#define USED     0x3000u /* 6 + 8 * 8      */
#define DATA     0x10000u

struct fix {
    struct guest_ram ram;
    struct virtq q;
    struct virtq_req r;
    uint16_t avail_idx; /* the driver's */
};

static uint8_t *at(struct fix *f, uint32_t gpa) { return f->ram.host + gpa; }
static void w16(struct fix *f, uint32_t gpa, uint16_t v) { memcpy(at(f, gpa), &v, 2); }
static uint16_t r16(struct fix *f, uint32_t gpa)
{
    uint16_t v;
    memcpy(&v, at(f, gpa), 2);
    return v;
}
static uint32_t r32(struct fix *f, uint32_t gpa)
{
    uint32_t v;
    memcpy(&v, at(f, gpa), 4);
    return v;
}

/* Descriptor i of the table at `table`. */
static void desc(struct fix *f, uint32_t table, unsigned i, uint64_t addr, uint32_t len,
                 uint16_t flags, uint16_t next)
{
    uint8_t *d = at(f, table + 16 * i);
    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}

/* The driver makes chain `head` available. */
static void offer(struct fix *f, uint16_t head)
{
    w16(f, AVAIL + 4 + 2 * (f->avail_idx % QSIZE), head);
    f->avail_idx++;
    w16(f, AVAIL + 2, f->avail_idx);
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof *f);
    char err[128];
    assert_int_equal(guest_ram_init(&f->ram, RAM_SIZE, err, sizeof err), 0);
    virtq_init(&f->q, &f->ram, QSIZE);
    f->q.size = QSIZE;
    f->q.desc = DESC;
    f->q.avail = AVAIL;
    f->q.used = USED;
    f->q.indirect = true;
    assert_int_equal(virtq_enable(&f->q), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    guest_ram_destroy(&f->ram);
    free(f);
    return 0;
}

/* A request as virtio-blk sends it: header, data, status. */
static void test_chain(void **state)
{
    struct fix *f = *state;
    desc(f, DESC, 3, DATA, 16, VIRTQ_DESC_F_NEXT, 5);
    desc(f, DESC, 5, DATA + 0x100, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    desc(f, DESC, 1, DATA + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
    memcpy(at(f, DATA), "0123456789abcdef", 16);
    assert_int_equal(virtq_pop(&f->q, &f->r), 0); /* nothing offered yet */
    offer(f, 3);
    assert_int_equal(virtq_pop(&f->q, &f->r), 1);
    assert_int_equal(f->r.head, 3);
    assert_int_equal(f->r.nout, 1);
    assert_int_equal(f->r.nin, 2);
    assert_int_equal(f->r.out_len, 16);
    assert_int_equal(f->r.in_len, 513);
    char hdr[17] = { 0 };
    assert_int_equal(virtq_read_out(&f->r, 4, hdr, 16), 12); /* only 12 left */
    assert_string_equal(hdr, "456789abcdef");
    /* A write across the two writable buffers lands in both. */
    uint8_t buf[4] = { 1, 2, 3, 4 };
    assert_int_equal(virtq_write_in(&f->r, 510, buf, 4), 3);
    assert_int_equal(at(f, DATA + 0x100 + 511)[0], 2);
    assert_int_equal(at(f, DATA + 0x400)[0], 3);
    virtq_push(&f->q, &f->r, 513);
    assert_int_equal(r16(f, USED + 2), 1);   /* used->idx */
    assert_int_equal(r32(f, USED + 4), 3);   /* ring[0].id */
    assert_int_equal(r32(f, USED + 8), 513); /* ring[0].len */
    assert_int_equal(virtq_pop(&f->q, &f->r), 0);
}

static void test_indirect(void **state)
{
    struct fix *f = *state;
    const uint32_t table = 0x5000;
    desc(f, table, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 2);
    desc(f, table, 2, DATA + 0x200, 4096, VIRTQ_DESC_F_NEXT, 1);
    desc(f, table, 1, DATA + 0x2000, 1, VIRTQ_DESC_F_WRITE, 0);
    desc(f, DESC, 0, table, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(f, 0);
    assert_int_equal(virtq_pop(&f->q, &f->r), 1);
    assert_int_equal(f->r.nout, 2);
    assert_int_equal(f->r.out_len, 16 + 4096);
    assert_int_equal(f->r.nin, 1);
    assert_ptr_equal(f->r.in[0].p, at(f, DATA + 0x2000));
}

/* Rules of indirect descriptors (§2.7.5.3.1), each its own error. */
static void test_indirect_rules(void **state)
{
    struct fix *f = *state;
    const uint32_t table = 0x5000;
    static const char *const why[] = { "not negotiated", "both INDIRECT and NEXT",
                                       "inside an indirect", "indirect table of 24 bytes" };
    for (int c = 0; c < 4; c++) {
        virtq_reset(&f->q);
        f->q.size = QSIZE, f->q.desc = DESC, f->q.avail = AVAIL, f->q.used = USED;
        assert_int_equal(virtq_enable(&f->q), 0);
        f->q.indirect = c != 0;
        f->avail_idx = 0;
        desc(f, table, 0, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
        desc(f, DESC, 0, table, c == 3 ? 24 : 16,
             VIRTQ_DESC_F_INDIRECT | (c == 1 ? VIRTQ_DESC_F_NEXT : 0), 1);
        offer(f, 0);
        assert_int_equal(virtq_pop(&f->q, &f->r), -1);
        assert_non_null(strstr(f->q.err, why[c]));
    }
}

/* The 16-bit indices wrap at 65536: slot = idx % size all along. */
static void test_wrap(void **state)
{
    struct fix *f = *state;
    f->q.last_avail = f->q.used_idx = f->q.signalled_used = 65534;
    f->avail_idx = 65534;
    for (unsigned i = 0; i < 4; i++)
        desc(f, DESC, i, DATA + 64 * i, 8, VIRTQ_DESC_F_WRITE, 0);
    for (uint16_t i = 0; i < 4; i++)
        offer(f, i);
    assert_int_equal(r16(f, AVAIL + 2), 2); /* 65534 + 4 */
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(virtq_pop(&f->q, &f->r), 1);
        assert_int_equal(f->r.head, i);
        virtq_push(&f->q, &f->r, 8);
    }
    assert_int_equal(virtq_pop(&f->q, &f->r), 0);
    assert_int_equal(r16(f, USED + 2), 2);
    /* Entries 65534, 65535, 0, 1 went to slots 6, 7, 0, 1. */
    assert_int_equal(r32(f, USED + 4 + 8 * 6), 0);
    assert_int_equal(r32(f, USED + 4 + 8 * 7), 1);
    assert_int_equal(r32(f, USED + 4 + 8 * 0), 2);
    assert_int_equal(r32(f, USED + 4 + 8 * 1), 3);
    assert_true(virtq_should_notify(&f->q));
}

/* Without EVENT_IDX: interrupt unless VIRTQ_AVAIL_F_NO_INTERRUPT. */
static void test_no_interrupt_flag(void **state)
{
    struct fix *f = *state;
    desc(f, DESC, 0, DATA, 8, VIRTQ_DESC_F_WRITE, 0);
    assert_false(virtq_should_notify(&f->q)); /* nothing used */
    w16(f, AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
    offer(f, 0);
    assert_int_equal(virtq_pop(&f->q, &f->r), 1);
    virtq_push(&f->q, &f->r, 0);
    assert_false(virtq_should_notify(&f->q));
    w16(f, AVAIL, 0);
    offer(f, 0);
    assert_int_equal(virtq_pop(&f->q, &f->r), 1);
    virtq_push(&f->q, &f->r, 0);
    assert_true(virtq_should_notify(&f->q));
}

/* With EVENT_IDX (§2.7.10): the driver's used_event says after which used
 * entry it wants an interrupt; ours, avail_event, which avail entry. */
static void test_event_idx(void **state)
{
    struct fix *f = *state;
    f->q.event_idx = true;
    const uint32_t used_event = AVAIL + 4 + 2 * QSIZE, avail_event = USED + 4 + 8 * QSIZE;
    for (unsigned i = 0; i < 4; i++)
        desc(f, DESC, i, DATA, 8, VIRTQ_DESC_F_WRITE, 0);
    w16(f, used_event, 2); /* interrupt me when entry 2 is used (idx 2 -> 3) */
    for (uint16_t i = 0; i < 4; i++)
        offer(f, i);
    bool irq[4];
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(virtq_pop(&f->q, &f->r), 1);
        assert_int_equal(r16(f, avail_event), i + 1); /* notify me of the next */
        virtq_push(&f->q, &f->r, 0);
        irq[i] = virtq_should_notify(&f->q);
    }
    assert_false(irq[0]);
    assert_false(irq[1]);
    assert_true(irq[2]);
    assert_false(irq[3]);
    /* Batched: pushing 0..3 at once crosses used_event 2 once. */
    f->q.used_idx = f->q.signalled_used = 0;
    virtq_push(&f->q, &f->r, 0);
    virtq_push(&f->q, &f->r, 0);
    virtq_push(&f->q, &f->r, 0);
    virtq_push(&f->q, &f->r, 0);
    assert_true(virtq_should_notify(&f->q));
    assert_false(virtq_should_notify(&f->q));
    /* An empty ring leaves avail_event at the next entry to come. */
    assert_int_equal(virtq_pop(&f->q, &f->r), 0);
    assert_int_equal(r16(f, avail_event), 4);
}

/* vring_need_event (§2.7.10) on the 16-bit circle: is event in
 * [old, new_idx)? */
static void test_need_event_arithmetic(void **state)
{
    (void)state;
    assert_true(virtq_need_event(5, 6, 5));         /* exactly the entry just used */
    assert_false(virtq_need_event(6, 6, 5));        /* not reached yet             */
    assert_false(virtq_need_event(4, 6, 5));        /* passed before old: told then */
    assert_true(virtq_need_event(65535, 1, 65534)); /* across the wrap            */
    assert_true(virtq_need_event(0, 1, 65535));
    assert_false(virtq_need_event(1, 1, 65534));
    assert_false(virtq_need_event(65533, 2, 65535));
    assert_false(virtq_need_event(7, 7, 7)); /* nothing moved: never */
    /* A driver that put used_event half the circle ahead ("interrupts
     * off", common/guest/kernel/virtqueue.c) is not reached by 32767 pushes. */
    assert_false(virtq_need_event((uint16_t)(100 + 0x8000), (uint16_t)(100 + 0x7fff), 100));
}

/* The event index across 65535 -> 0, with the count of interrupts the
 * driver did not want (--stats). */
static void test_event_idx_wrap(void **state)
{
    struct fix *f = *state;
    f->q.event_idx = true;
    const uint32_t used_event = AVAIL + 4 + 2 * QSIZE;
    f->q.last_avail = f->q.used_idx = f->q.signalled_used = 65533;
    f->avail_idx = 65533;
    for (unsigned i = 0; i < 6; i++)
        desc(f, DESC, i, DATA, 8, VIRTQ_DESC_F_WRITE, 0);
    w16(f, used_event, 0); /* interrupt me when entry 0 (the 4th after 65533) is used */
    for (uint16_t i = 0; i < 6; i++)
        offer(f, i);
    unsigned irqs = 0;
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(virtq_pop(&f->q, &f->r), 1);
        virtq_push(&f->q, &f->r, 0);
        bool want = virtq_should_notify(&f->q);
        assert_int_equal(want, i == 3); /* used idx 0 -> 1, after 65535 -> 0 */
        irqs += want;
    }
    assert_int_equal(irqs, 1);
    assert_int_equal(f->q.irq_suppressed, 5);
    assert_int_equal(f->q.used_idx, 3);
}

static void expect_error(struct fix *f, const char *what)
{
    assert_int_equal(virtq_pop(&f->q, &f->r), -1);
    if (!strstr(f->q.err, what))
        fail_msg("error '%s' does not say '%s'", f->q.err, what);
}

static void test_loop(void **state)
{
    struct fix *f = *state;
    desc(f, DESC, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
    desc(f, DESC, 1, DATA, 8, VIRTQ_DESC_F_NEXT, 0);
    offer(f, 0);
    expect_error(f, "a loop?");
}

static void test_next_out_of_table(void **state)
{
    struct fix *f = *state;
    desc(f, DESC, 0, DATA, 8, VIRTQ_DESC_F_NEXT, QSIZE);
    offer(f, 0);
    expect_error(f, "past the table");
}

static void test_head_out_of_table(void **state)
{
    struct fix *f = *state;
    offer(f, 200);
    expect_error(f, "descriptor index 200");
}

static void test_buffer_outside_ram(void **state)
{
    struct fix *f = *state;
    desc(f, DESC, 0, RAM_SIZE - 4, 8, 0, 0); /* runs past the end */
    offer(f, 0);
    expect_error(f, "outside guest RAM");
}

static void test_length_wraps(void **state)
{
    struct fix *f = *state;
    desc(f, DESC, 0, 0xfffffffffffff000ull, 0x2000, 0, 0); /* addr + len wraps */
    offer(f, 0);
    expect_error(f, "outside guest RAM");
}

static void test_readable_after_writable(void **state)
{
    struct fix *f = *state;
    desc(f, DESC, 0, DATA, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    desc(f, DESC, 1, DATA, 8, 0, 0);
    offer(f, 0);
    expect_error(f, "readable buffer after a writable");
}

static void test_avail_jump(void **state)
{
    struct fix *f = *state;
    w16(f, AVAIL + 2, QSIZE + 1);
    expect_error(f, "moved by 9 entries");
}

static void test_indirect_outside_ram(void **state)
{
    struct fix *f = *state;
    desc(f, DESC, 0, RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(f, 0);
    expect_error(f, "outside guest RAM");
}

static void test_enable_checks(void **state)
{
    struct fix *f = *state;
    virtq_reset(&f->q);
    f->q.size = 6;
    f->q.desc = DESC, f->q.avail = AVAIL, f->q.used = USED;
    assert_int_equal(virtq_enable(&f->q), -1);
    assert_non_null(strstr(f->q.err, "not a power of two"));
    f->q.size = 16; /* more than the device offers (8) */
    assert_int_equal(virtq_enable(&f->q), -1);
    f->q.size = 4;
    f->q.desc = DESC + 8; /* the table must be 16-byte aligned */
    assert_int_equal(virtq_enable(&f->q), -1);
    assert_non_null(strstr(f->q.err, "misaligned"));
    f->q.desc = DESC;
    f->q.used = RAM_SIZE - 8;
    assert_int_equal(virtq_enable(&f->q), -1);
    assert_non_null(strstr(f->q.err, "used ring"));
    assert_false(f->q.ready);
    assert_int_equal(virtq_pop(&f->q, &f->r), 0); /* not ready: nothing */
    f->q.used = USED;
    assert_int_equal(virtq_enable(&f->q), 0);
}

/* Behind an IOMMU (core/dma.h) addresses are the device's: page 0x30000
 * maps to 0x12000 and 0x31000 to 0x11000 (scattered), 0x40000 nowhere,
 * 0x50000 read-only; the rest to itself, 4 KiB at a time. */
static unsigned dma_calls;
static int fake_iommu(void *ctx, uint64_t iova, bool write, uint64_t *gpa, uint64_t *run)
{
    (void)ctx;
    dma_calls++;
    uint64_t page = iova & ~0xfffull, off = iova & 0xfff;
    *run = 4096 - off;
    if (page == 0x40000 || (write && page == 0x50000))
        return -1;
    *gpa = page == 0x30000 ? 0x12000 + off : page == 0x31000 ? 0x11000 + off : iova;
    return 0;
}

static void test_dma_translated(void **state)
{
    struct fix *f = *state;
    static const struct dma_space iommu = { fake_iommu, NULL };
    virtq_set_dma(&f->q, &iommu);
    desc(f, DESC, 0, 0x30800, 4096, VIRTQ_DESC_F_NEXT, 1);  /* scattered */
    desc(f, DESC, 1, 0x20000, 8192, VIRTQ_DESC_F_WRITE, 0); /* merged */
    memcpy(at(f, 0x12800), "scatter", 7);
    memcpy(at(f, 0x11000), "gather", 6);
    offer(f, 0);
    dma_calls = 0;
    assert_int_equal(virtq_pop(&f->q, &f->r), 1);
    assert_true(dma_calls > 4); /* rings and buffers, page by page */
    assert_int_equal(f->r.nout, 2);
    assert_ptr_equal(f->r.out[0].p, at(f, 0x12800));
    assert_int_equal(f->r.out[0].len, 2048);
    assert_ptr_equal(f->r.out[1].p, at(f, 0x11000));
    assert_int_equal(f->r.out[1].len, 2048);
    char buf[16] = { 0 };
    assert_int_equal(virtq_read_out(&f->r, 0, buf, 7), 7);
    assert_string_equal(buf, "scatter");
    assert_int_equal(virtq_read_out(&f->r, 2048, buf, 6), 6);
    assert_memory_equal(buf, "gather", 6);
    assert_int_equal(f->r.nin, 1); /* two identity pages: one piece */
    assert_int_equal(f->r.in[0].len, 8192);
    assert_int_equal(virtq_push(&f->q, &f->r, 1), 0);
    /* a device write to the read-only page is blocked */
    desc(f, DESC, 3, 0x50000, 16, VIRTQ_DESC_F_WRITE, 0);
    offer(f, 3);
    assert_int_equal(virtq_pop(&f->q, &f->r), -1);
    assert_non_null(strstr(f->q.err, "blocked by the IOMMU"));
    /* rings the IOMMU does not map: the next pop and push fail */
    f->q.used = 0x40000;
    assert_int_equal(virtq_pop(&f->q, &f->r), -1);
    assert_non_null(strstr(f->q.err, "used ring at 0x40000"));
    assert_int_equal(virtq_push(&f->q, &f->r, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_translated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_indirect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_indirect_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_interrupt_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_idx, setup, teardown),
        cmocka_unit_test(test_need_event_arithmetic),
        cmocka_unit_test_setup_teardown(test_event_idx_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_out_of_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_out_of_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buffer_outside_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_length_wraps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readable_after_writable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_avail_jump, setup, teardown),
        cmocka_unit_test_setup_teardown(test_indirect_outside_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enable_checks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
