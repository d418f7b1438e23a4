/*
 * test_vtd_dma.c — a device's DMA through the VT-d unit: a split virtqueue
 * (05-io/virtqueue.h) whose addresses the unit translates for source-id
 * 00:01.0, as vmm-pt wires virtio-blk (06-passthrough/pt_machine.c).  With
 * translation on and an identity map the driver's request arrives (and the
 * IOTLB hits); with an empty domain the device's first access is blocked
 * and recorded; a read-only mapping blocks the device's writes.
 */
#include "vtd_harness.h"
#include "05-io/virtqueue.h"

#define QSIZE 8
#define DESC  0x100000u
#define AVAIL 0x101000u
#define USED  0x102000u
#define DATA  0x110000u

static int unit_translate(void *ctx, uint64_t iova, bool write, uint64_t *gpa, uint64_t *run)
{
    struct vtd_xlate x;
    if (vtd_translate(ctx, SID_BLK, iova, write, &x) != 0)
        return -1;
    *gpa = x.gpa;
    *run = x.run;
    return 0;
}

/* A virtqueue on the unit with one request offered: header (read) and a
 * status byte (written). */
static void queue(struct h *h, struct virtq *q, struct dma_space *dma)
{
    *dma = (struct dma_space){ unit_translate, &h->u };
    virtq_init(q, &h->ram, QSIZE);
    virtq_set_dma(q, dma);
    q->size = QSIZE;
    q->desc = DESC;
    q->avail = AVAIL;
    q->used = USED;
    assert_int_equal(virtq_enable(q), 0);
    uint64_t d0[2] = { DATA, 16 | (uint64_t)1 << 32 | (uint64_t)1 << 48 }; /* NEXT, next 1 */
    uint64_t d1[2] = { DATA + 0x100, 1 | (uint64_t)2 << 32 };              /* WRITE */
    put128(h, DESC, d0[0], d0[1]);
    put128(h, DESC + 16, d1[0], d1[1]);
    memcpy(h->ram.host + DATA, "request header!", 16);
    put64(h, AVAIL, (uint64_t)1 << 16); /* flags 0, idx 1, ring[0] = 0 */
}

/* Identity-map the first 2 MiB with one large page (4 levels), R/W or R. */
static void identity(struct h *h, unsigned perms)
{
    context(h, 0x08, SL, 2, 1);
    put64(h, SL, (SL + 0x1000) | 3);
    put64(h, SL + 0x1000, (SL + 0x2000) | 3);
    put64(h, SL + 0x2000, 0 | 1 << 7 | perms);
    enable(h);
}

static void test_identity_map_works(void **st)
{
    struct h *h = *st;
    struct virtq q;
    struct dma_space dma;
    static struct virtq_req r;
    identity(h, 3);
    queue(h, &q, &dma);
    assert_int_equal(virtq_pop(&q, &r), 1);
    char hdr[16];
    assert_int_equal(virtq_read_out(&r, 0, hdr, 16), 16);
    assert_string_equal(hdr, "request header!");
    uint8_t ok = 0;
    assert_int_equal(virtq_write_in(&r, 0, &ok, 1), 1);
    assert_int_equal(virtq_push(&q, &r, 1), 0);
    assert_int_equal(get64(h, USED) >> 16 & 0xffff, 1); /* used->idx */
    assert_int_equal(rd(h, VTD_FSTS), 0);
    const struct vtd_caches *c = &h->u.caches;
    assert_int_equal(c->tlb_stats.misses, 1); /* one 2 MiB page for everything */
    assert_true(c->tlb_stats.hits >= 4);
    assert_true(h->u.stats.translations >= 5);
}

static void test_empty_domain_faults(void **st)
{
    struct h *h = *st;
    struct virtq q;
    struct dma_space dma;
    static struct virtq_req r;
    context(h, 0x08, SL, 2, 1); /* nothing mapped */
    enable(h);
    queue(h, &q, &dma);
    assert_int_equal(virtq_pop(&q, &r), -1);
    assert_non_null(strstr(q.err, "blocked by the IOMMU"));
    uint64_t hi = frcd_hi(h, 0);
    assert_true(hi & VTD_FRCD_F);
    assert_int_equal(VTD_FRCD_SID(hi), SID_BLK);
    assert_int_equal(VTD_FRCD_FR(hi), VTD_FR_READ); /* the available ring */
    assert_int_equal(frcd_lo(h, 0), AVAIL);
}

static void test_read_only_domain_blocks_writes(void **st)
{
    struct h *h = *st;
    struct virtq q;
    struct dma_space dma;
    static struct virtq_req r;
    identity(h, 1);
    queue(h, &q, &dma);
    assert_int_equal(virtq_pop(&q, &r), -1); /* the used ring is written at pop */
    uint64_t hi = frcd_hi(h, 0);
    assert_int_equal(VTD_FRCD_FR(hi), VTD_FR_WRITE);
    assert_false(hi & VTD_FRCD_T);
    assert_int_equal(frcd_lo(h, 0), USED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identity_map_works, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_empty_domain_faults, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_read_only_domain_blocks_writes, h_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
