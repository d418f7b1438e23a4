/*
 * test_virtio_mmio.c — the virtio-mmio transport (05-io/virtio_mmio.h;
 * virtio 1.2 §4.2.2), with the entropy device (05-io/virtio_rng.h) and the
 * console (05-io/virtio_console.h) behind it, driven the way Linux's
 * drivers/virtio/virtio_mmio.c does: identity registers, feature
 * negotiation, queue set-up, the doorbell, InterruptStatus/ACK and the
 * level of the line, reset, and a driver that breaks the rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "05-io/virtio_console.h"
#include "05-io/virtio_mmio.h"
#include "05-io/virtio_rng.h"

#define RAM_SIZE (1u << 20)
#define QSIZE    8
#define DESC     0x1000u
#define AVAIL    0x2000u
#define USED     0x3000u
#define DATA     0x10000u

struct fix {
    struct guest_ram ram;
    struct virtio_rng rng;
    struct virtio_console con;
    struct virtio_mmio vm;
    char path[64];
    int level, edges; /* the line, and how often it rose */
    char *log;
    size_t loglen;
    FILE *logf;
    uint16_t avail_idx;
};

static void set_line(void *ctx, int irq, int level)
{
    struct fix *f = ctx;
    (void)irq;
    f->edges += level && !f->level;
    f->level = level;
}

static uint32_t rd(struct fix *f, unsigned off)
{
    uint32_t v = 0xdeadbeef;
    virtio_mmio_io(&f->vm, off, 4, false, &v);
    return v;
}
static void wr(struct fix *f, unsigned off, uint32_t v)
{
    virtio_mmio_io(&f->vm, off, 4, true, &v);
}
static uint8_t *at(struct fix *f, uint32_t gpa) { return f->ram.host + gpa; }
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

static struct fix *make(bool console)
{
    struct fix *f = calloc(1, sizeof *f);
    char err[128];
    assert_int_equal(guest_ram_init(&f->ram, RAM_SIZE, err, sizeof err), 0);
    f->logf = open_memstream(&f->log, &f->loglen);
    struct irq_line irq = { set_line, f, 11 };
    if (console) {
        strcpy(f->path, "/tmp/vmlab-vcon.XXXXXX");
        int fd = mkstemp(f->path);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(virtio_console_open(&f->con, f->path, err, sizeof err), 0);
        virtio_mmio_init(&f->vm, 0xd0000000, &f->ram, virtio_console_ops(&f->con), &f->con, irq,
                         f->logf, "test");
    } else {
        virtio_mmio_init(&f->vm, 0xd0000000, &f->ram, virtio_rng_ops(&f->rng), &f->rng, irq,
                         f->logf, "test");
    }
    return f;
}
static int setup(void **state)
{
    *state = make(false);
    return 0;
}
static int setup_console(void **state)
{
    *state = make(true);
    return 0;
}
static int teardown(void **state)
{
    struct fix *f = *state;
    if (f->path[0]) {
        virtio_console_close(&f->con);
        unlink(f->path);
    }
    fclose(f->logf);
    free(f->log);
    guest_ram_destroy(&f->ram);
    free(f);
    return 0;
}

/* §3.1.1 as Linux's virtio_mmio does it, features = what we offer, and
 * queue n set up with QSIZE entries. */
static void bring_up(struct fix *f, unsigned n)
{
    wr(f, VM_STATUS, 0);
    wr(f, VM_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
    for (unsigned sel = 0; sel < 2; sel++) {
        wr(f, VM_DEV_FEATURES_SEL, sel);
        uint32_t v = rd(f, VM_DEV_FEATURES);
        wr(f, VM_DRV_FEATURES_SEL, sel);
        wr(f, VM_DRV_FEATURES, v);
    }
    wr(f, VM_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
    assert_true(rd(f, VM_STATUS) & VIRTIO_S_FEATURES_OK);
    wr(f, VM_QUEUE_SEL, n);
    assert_int_equal(rd(f, VM_QUEUE_READY), 0);
    wr(f, VM_QUEUE_NUM, QSIZE);
    wr(f, VM_QUEUE_DESC_LO, DESC);
    wr(f, VM_QUEUE_DESC_HI, 0);
    wr(f, VM_QUEUE_DRIVER_LO, AVAIL);
    wr(f, VM_QUEUE_DRIVER_HI, 0);
    wr(f, VM_QUEUE_DEVICE_LO, USED);
    wr(f, VM_QUEUE_DEVICE_HI, 0);
    wr(f, VM_QUEUE_READY, 1);
    assert_int_equal(rd(f, VM_QUEUE_READY), 1);
    wr(f, VM_STATUS,
       VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK | VIRTIO_S_DRIVER_OK);
}

/* One buffer as descriptor 0, offered. */
static void offer(struct fix *f, uint32_t addr, uint32_t len, uint16_t flags)
{
    uint8_t *d = at(f, DESC);
    uint64_t a = addr;
    memcpy(d, &a, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memset(d + 14, 0, 2);
    memset(at(f, AVAIL + 4 + 2 * (f->avail_idx % QSIZE)), 0, 2);
    /* used_event (EVENT_IDX is negotiated): interrupt me when this is used. */
    memcpy(at(f, AVAIL + 4 + 2 * QSIZE), &f->avail_idx, 2);
    f->avail_idx++;
    memcpy(at(f, AVAIL + 2), &f->avail_idx, 2);
}

static void test_identity(void **state)
{
    struct fix *f = *state;
    assert_int_equal(rd(f, VM_MAGIC), 0x74726976); /* "virt" */
    assert_int_equal(rd(f, VM_VERSION), 2);
    assert_int_equal(rd(f, VM_DEVICE_ID), VIRTIO_ID_RNG);
    assert_int_equal(rd(f, VM_VENDOR_ID), VIRTIO_MMIO_VENDOR);
    wr(f, VM_QUEUE_SEL, 0);
    assert_int_equal(rd(f, VM_QUEUE_NUM_MAX), 64);
    wr(f, VM_QUEUE_SEL, 1); /* rng has one queue */
    assert_int_equal(rd(f, VM_QUEUE_NUM_MAX), 0);
    assert_int_equal(rd(f, VM_QUEUE_READY), 0);
    /* A write-only register and a reserved one read 0; a 16-bit access to
     * a register is ignored; each is counted. */
    assert_int_equal(rd(f, VM_QUEUE_NOTIFY), 0);
    assert_int_equal(rd(f, 0x0c0), 0);
    uint32_t v = 0xffff;
    virtio_mmio_io(&f->vm, VM_MAGIC, 2, false, &v);
    assert_int_equal(v, 0);
    assert_int_equal(f->vm.bad, 3);
}

static void test_features(void **state)
{
    struct fix *f = *state;
    wr(f, VM_DEV_FEATURES_SEL, 0);
    uint32_t lo = rd(f, VM_DEV_FEATURES);
    wr(f, VM_DEV_FEATURES_SEL, 1);
    uint32_t hi = rd(f, VM_DEV_FEATURES);
    assert_true(lo >> VIRTIO_F_INDIRECT_DESC & 1);
    assert_true(lo >> VIRTIO_F_EVENT_IDX & 1);
    assert_int_equal(hi, 1); /* VIRTIO_F_VERSION_1, bit 32 */
    wr(f, VM_DEV_FEATURES_SEL, 2);
    assert_int_equal(rd(f, VM_DEV_FEATURES), 0);
    /* Without VERSION_1 the device keeps FEATURES_OK clear (§2.2.2). */
    wr(f, VM_DRV_FEATURES_SEL, 0);
    wr(f, VM_DRV_FEATURES, 1u << VIRTIO_F_EVENT_IDX);
    wr(f, VM_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
    assert_int_equal(rd(f, VM_STATUS) & VIRTIO_S_FEATURES_OK, 0);
    /* Accepted with it; later feature writes change nothing. */
    wr(f, VM_DRV_FEATURES_SEL, 1);
    wr(f, VM_DRV_FEATURES, 1);
    wr(f, VM_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
    assert_true(rd(f, VM_STATUS) & VIRTIO_S_FEATURES_OK);
    assert_true(f->vm.vd.vq[0].event_idx);
    assert_false(f->vm.vd.vq[0].indirect);
    wr(f, VM_DRV_FEATURES_SEL, 0);
    wr(f, VM_DRV_FEATURES, 0);
    assert_true(virtio_has(&f->vm.vd, VIRTIO_F_EVENT_IDX));
}

/* An identity "IOMMU" that counts the device's lookups (core/dma.h). */
static int count_translate(void *ctx, uint64_t iova, bool write, uint64_t *gpa, uint64_t *run)
{
    (void)write;
    *(unsigned *)ctx += 1;
    *gpa = iova;
    *run = 0x1000 - (iova & 0xFFF);
    return 0;
}

/* Behind a DMA address space the device offers VIRTIO_F_ACCESS_PLATFORM
 * (virtio 1.2 §6.1) and asks the space for every access of its queues. */
static void test_access_platform(void **state)
{
    struct fix *f = *state;
    unsigned lookups = 0;
    const struct dma_space space = { count_translate, &lookups };
    virtio_dev_set_dma(&f->vm.vd, &space);
    wr(f, VM_DEV_FEATURES_SEL, 1);
    assert_int_equal(rd(f, VM_DEV_FEATURES), 3); /* VERSION_1 and ACCESS_PLATFORM */
    bring_up(f, 0);
    assert_true(virtio_has(&f->vm.vd, VIRTIO_F_ACCESS_PLATFORM));
    offer(f, DATA, 64, VIRTQ_DESC_F_WRITE);
    wr(f, VM_QUEUE_NOTIFY, 0);
    assert_int_equal(r32(f, USED + 8), 64);
    assert_true(lookups >= 4); /* the rings, the table, the buffer */
    assert_int_equal(f->rng.bytes, 64);
    virtio_dev_set_dma(&f->vm.vd, NULL);
    wr(f, VM_DEV_FEATURES_SEL, 1);
    assert_int_equal(rd(f, VM_DEV_FEATURES), 1);
}

/* The entropy device fills a writable buffer; the interrupt is a level
 * that InterruptACK lowers. */
static void test_rng_request(void **state)
{
    struct fix *f = *state;
    bring_up(f, 0);
    offer(f, DATA, 64, VIRTQ_DESC_F_WRITE);
    assert_int_equal(f->level, 0);
    wr(f, VM_QUEUE_NOTIFY, 0);
    assert_int_equal(r16(f, USED + 2), 1);
    assert_int_equal(r32(f, USED + 4), 0);  /* id: descriptor 0 */
    assert_int_equal(r32(f, USED + 8), 64); /* len: all of it */
    static const uint8_t zero[64];
    assert_memory_not_equal(at(f, DATA), zero, 64);
    assert_int_equal(rd(f, VM_INT_STATUS), VIRTIO_MMIO_INT_VRING);
    assert_int_equal(f->level, 1);
    wr(f, VM_INT_ACK, VIRTIO_MMIO_INT_VRING);
    assert_int_equal(rd(f, VM_INT_STATUS), 0);
    assert_int_equal(f->level, 0);
    assert_int_equal(f->rng.bytes, 64);
    assert_int_equal(f->vm.vd.notifies, 1);
    assert_int_equal(f->vm.vd.interrupts, 1);
    /* A second request without acknowledging the first keeps the line up:
     * no new edge (a level-triggered line). */
    offer(f, DATA, 16, VIRTQ_DESC_F_WRITE);
    wr(f, VM_QUEUE_NOTIFY, 0);
    offer(f, DATA, 16, VIRTQ_DESC_F_WRITE);
    wr(f, VM_QUEUE_NOTIFY, 0);
    assert_int_equal(f->edges, 2);
    assert_int_equal(r16(f, USED + 2), 3);
}

/* A live queue's set-up is read-only; a notify for another queue or
 * before DRIVER_OK does nothing; reset forgets everything. */
static void test_queue_rules_and_reset(void **state)
{
    struct fix *f = *state;
    wr(f, VM_QUEUE_NOTIFY, 0); /* nothing set up: ignored */
    bring_up(f, 0);
    wr(f, VM_QUEUE_NUM, 4);
    assert_int_equal(f->vm.vd.vq[0].size, QSIZE);
    offer(f, DATA, 8, VIRTQ_DESC_F_WRITE);
    wr(f, VM_QUEUE_NOTIFY, 3); /* no queue 3 */
    assert_int_equal(r16(f, USED + 2), 0);
    wr(f, VM_QUEUE_NOTIFY, 0);
    assert_int_equal(r16(f, USED + 2), 1);
    wr(f, VM_STATUS, 0);
    assert_int_equal(rd(f, VM_STATUS), 0);
    assert_int_equal(rd(f, VM_INT_STATUS), 0);
    assert_int_equal(f->level, 0);
    assert_int_equal(rd(f, VM_QUEUE_READY), 0);
    assert_int_equal(f->vm.vd.driver_features, 0);
}

/* A queue size that is not a power of two, at QueueReady: NEEDS_RESET,
 * and once DRIVER_OK a configuration-change interrupt; one log line. */
static void test_bad_queue_size(void **state)
{
    struct fix *f = *state;
    bring_up(f, 0);
    wr(f, VM_QUEUE_READY, 0);
    assert_int_equal(rd(f, VM_QUEUE_READY), 0);
    wr(f, VM_QUEUE_NUM, 6);
    wr(f, VM_QUEUE_READY, 1);
    assert_int_equal(rd(f, VM_QUEUE_READY), 0);
    assert_true(rd(f, VM_STATUS) & VIRTIO_S_NEEDS_RESET);
    assert_int_equal(rd(f, VM_INT_STATUS), VIRTIO_MMIO_INT_CONFIG);
    assert_int_equal(f->level, 1);
    fflush(f->logf);
    assert_non_null(
        strstr(f->log, "test: virtio-rng: queue 0: queue size 6 is not a power of two"));
    assert_non_null(strstr(f->log, "device needs reset"));
    wr(f, VM_STATUS, 0); /* the driver resets: the device works again */
    bring_up(f, 0);
    assert_int_equal(rd(f, VM_STATUS) & VIRTIO_S_NEEDS_RESET, 0);
}

/* §5.4.6.1: the entropy device's buffers are device-writable only. */
static void test_rng_readable_buffer(void **state)
{
    struct fix *f = *state;
    bring_up(f, 0);
    offer(f, DATA, 16, 0);
    wr(f, VM_QUEUE_NOTIFY, 0);
    assert_true(rd(f, VM_STATUS) & VIRTIO_S_NEEDS_RESET);
    assert_int_equal(r16(f, USED + 2), 0);
    assert_int_equal(f->vm.vd.errors, 1);
    fflush(f->logf);
    assert_non_null(strstr(f->log, "1 device-readable buffers"));
}

/* --stats: three requests behind one doorbell are two notifies saved;
 * a completion the driver's used_event does not ask for is an interrupt
 * saved. */
static void test_suppression_counts(void **state)
{
    struct fix *f = *state;
    bring_up(f, 0);
    for (uint16_t i = 0; i < 3; i++) { /* descriptors 0..2, offered, no kick yet */
        uint8_t *d = at(f, DESC + 16 * i);
        uint64_t a = DATA + 64 * i;
        uint32_t len = 8;
        uint16_t w = VIRTQ_DESC_F_WRITE;
        memset(d, 0, 16);
        memcpy(d, &a, 8), memcpy(d + 8, &len, 4), memcpy(d + 12, &w, 2);
        memcpy(at(f, AVAIL + 4 + 2 * i), &i, 2);
    }
    uint16_t idx = 3, event = 1; /* interrupt me when entry 1 is used */
    memcpy(at(f, AVAIL + 4 + 2 * QSIZE), &event, 2);
    memcpy(at(f, AVAIL + 2), &idx, 2);
    wr(f, VM_QUEUE_NOTIFY, 0);
    assert_int_equal(r16(f, USED + 2), 3);
    assert_int_equal(f->vm.vd.interrupts, 1); /* 0..3 crossed used_event once */
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    virtio_mmio_print_stats(&f->vm, out);
    fclose(out);
    assert_non_null(strstr(text, "1 notifies, 3 requests, 1 interrupts"));
    /* One check per notify, so the batch of three is one decision: the
     * interrupt was wanted (none suppressed); two requests rode along. */
    assert_non_null(strstr(text, "suppressed: 0 interrupts"));
    assert_non_null(strstr(text, "2 notifies (requests behind another's doorbell)"));
    free(text);
    /* A fourth request, used_event left at 1: its interrupt is suppressed. */
    uint16_t i3 = 3;
    memcpy(at(f, AVAIL + 4 + 2 * 3), &i3, 2);
    uint8_t *d = at(f, DESC + 48);
    uint64_t a = DATA + 256;
    uint32_t l = 8;
    uint16_t w = VIRTQ_DESC_F_WRITE;
    memcpy(d, &a, 8), memcpy(d + 8, &l, 4), memcpy(d + 12, &w, 2);
    idx = 4;
    memcpy(at(f, AVAIL + 2), &idx, 2);
    wr(f, VM_QUEUE_NOTIFY, 0);
    assert_int_equal(f->vm.vd.interrupts, 1);
    assert_int_equal(f->vm.vd.vq[0].irq_suppressed, 1);
}

/* Indirect tables through the transport (§2.7.5.3): a good one serves
 * the request; a nested one, one outside RAM, one whose length is not a
 * multiple of 16 each set NEEDS_RESET with their reason, and the VMM goes
 * on (the driver's reset makes the device work again). */
static void test_indirect_through_transport(void **state)
{
    struct fix *f = *state;
    const uint32_t table = 0x5000;
    static const struct {
        uint32_t addr, len;
        const char *why; /* NULL: served */
    } c[] = {
        { table, 16, NULL },
        { table + 0x100, 16, "an indirect table inside an indirect table" },
        { RAM_SIZE - 8, 16, "indirect table of 16 bytes is outside guest RAM" },
        { table, 40, "indirect table of 40 bytes" },
    };
    for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) {
        bring_up(f, 0); /* a reset: the rings start again from 0 */
        f->avail_idx = 0;
        memset(at(f, AVAIL), 0, 6 + 2 * QSIZE);
        memset(at(f, USED), 0, 6 + 8 * QSIZE);
        /* table: one writable buffer; table + 0x100: an INDIRECT entry. */
        uint8_t *t = at(f, table), *n = at(f, table + 0x100);
        uint64_t a = DATA, tb = table;
        uint32_t len = 32;
        uint16_t w = VIRTQ_DESC_F_WRITE, ind = VIRTQ_DESC_F_INDIRECT;
        memset(t, 0, 48);
        memcpy(t, &a, 8), memcpy(t + 8, &len, 4), memcpy(t + 12, &w, 2);
        memcpy(n, &tb, 8), memcpy(n + 8, &len, 4), memcpy(n + 12, &ind, 2);
        offer(f, c[i].addr, c[i].len, VIRTQ_DESC_F_INDIRECT);
        wr(f, VM_QUEUE_NOTIFY, 0);
        if (!c[i].why) {
            assert_int_equal(r16(f, USED + 2), 1);
            assert_int_equal(r32(f, USED + 8), 32);
            assert_int_equal(rd(f, VM_STATUS) & VIRTIO_S_NEEDS_RESET, 0);
            continue;
        }
        assert_int_equal(r16(f, USED + 2), 0);
        assert_true(rd(f, VM_STATUS) & VIRTIO_S_NEEDS_RESET);
        fflush(f->logf);
        if (!strstr(f->log, c[i].why))
            fail_msg("case %u: log '%s' does not say '%s'", i, f->log, c[i].why);
    }
    assert_int_equal(f->vm.vd.errors, 3);
}

/* The console's transmitq: device-readable bytes go to the file, used
 * with len 0; the receiveq keeps its buffers (no input). */
static void test_console(void **state)
{
    struct fix *f = *state;
    assert_int_equal(rd(f, VM_DEVICE_ID), VIRTIO_ID_CONSOLE);
    bring_up(f, VCON_TRANSMITQ);
    memcpy(at(f, DATA), "hello, hvc0\n", 12);
    offer(f, DATA, 12, 0);
    wr(f, VM_QUEUE_NOTIFY, VCON_TRANSMITQ);
    assert_int_equal(r16(f, USED + 2), 1);
    assert_int_equal(r32(f, USED + 8), 0);
    char buf[32] = { 0 };
    FILE *in = fopen(f->path, "r");
    assert_non_null(in);
    assert_int_equal(fread(buf, 1, sizeof buf - 1, in), 12);
    fclose(in);
    assert_string_equal(buf, "hello, hvc0\n");
    assert_int_equal(f->con.bytes, 12);
    /* The configuration: 12 bytes, all 0 (no feature names a field). */
    uint32_t v = 0xffffffff;
    virtio_mmio_io(&f->vm, VM_CONFIG + 4, 4, false, &v);
    assert_int_equal(v, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_features, setup, teardown),
        cmocka_unit_test_setup_teardown(test_access_platform, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rng_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_rules_and_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_queue_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rng_readable_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suppression_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_indirect_through_transport, setup, teardown),
        cmocka_unit_test_setup_teardown(test_console, setup_console, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
