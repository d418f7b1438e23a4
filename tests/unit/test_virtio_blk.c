/*
 * test_virtio_blk.c — virtio-blk on the modern virtio-pci transport
 * (05-io/virtio_blk.h, 05-io/virtio_pci.h), driven the way a driver does
 * (virtio 1.2 §3.1.1, §4.1, §5.2): configuration space and capabilities,
 * feature negotiation, a queue set up in a small guest RAM, requests
 * through the notify register, INTx through the ISR; reads, writes and
 * flushes seen in the backing file, get-id, a read-only disk, requests past
 * the end, and a broken chain that sets DEVICE_NEEDS_RESET.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "05-io/virtio_blk.h"
#include "05-io/virtio_pci.h"

#define RAM_SIZE (1u << 20)
#define BAR      0xfeb00000u
#define QSIZE    8
#define DESC     0x1000u
#define AVAIL    0x2000u
#define USED     0x3000u
#define HDR      0x8000u
#define DATA     0x10000u
#define STATUS   0x9000u
#define DISK     (64 * 1024)

struct fix {
    struct guest_ram ram;
    struct pci_host bus;
    struct virtio_blk blk;
    struct virtio_pci vp;
    char path[64];
    int level; /* the INTx line */
    char *log;
    size_t loglen;
    FILE *logf;
    uint16_t avail_idx;
    unsigned nmsg; /* MSI-X messages sent, the last one */
    uint32_t msg_addr, msg_data;
};

static void set_line(void *ctx, int irq, int level)
{
    (void)irq;
    ((struct fix *)ctx)->level = level;
}

static void send_msi(void *ctx, uint32_t addr, uint32_t data)
{
    struct fix *f = ctx;
    f->nmsg++;
    f->msg_addr = addr;
    f->msg_data = data;
}

static uint32_t bar_rd(struct fix *f, unsigned off, unsigned size)
{
    uint32_t v = 0;
    virtio_pci_bar_io(&f->vp, off, (uint8_t)size, false, &v);
    return v;
}
static void bar_wr(struct fix *f, unsigned off, unsigned size, uint32_t v)
{
    virtio_pci_bar_io(&f->vp, off, (uint8_t)size, true, &v);
}

static int open_disk(struct fix *f, bool ro)
{
    char err[256];
    strcpy(f->path, "/tmp/vmlab-vblk.XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    uint8_t *img = malloc(DISK);
    for (unsigned i = 0; i < DISK; i++)
        img[i] = (uint8_t)(i / 512 * 7 + i);
    assert_int_equal(write(fd, img, DISK), DISK);
    free(img);
    close(fd);
    char spec[80];
    snprintf(spec, sizeof spec, "%s%s", f->path, ro ? ",ro" : "");
    assert_int_equal(virtio_blk_open(&f->blk, spec, err, sizeof err), 0);
    return 0;
}

static struct fix *make(bool ro)
{
    struct fix *f = calloc(1, sizeof *f);
    char err[128];
    assert_int_equal(guest_ram_init(&f->ram, RAM_SIZE, err, sizeof err), 0);
    pci_host_init(&f->bus);
    open_disk(f, ro);
    f->logf = open_memstream(&f->log, &f->loglen);
    struct irq_line irq = { set_line, f, 11 };
    assert_int_equal(virtio_pci_init(&f->vp, &f->bus, PCI_DEVFN(1, 0), BAR, &f->ram,
                                     virtio_blk_ops(&f->blk), &f->blk, irq, f->logf, "test"),
                     0);
    pci_cfg_set(f->vp.pci, PCI_COMMAND, 2, 0x0006); /* memory space, bus master */
    return f;
}

static int setup(void **state)
{
    *state = make(false);
    return 0;
}
static int setup_ro(void **state)
{
    *state = make(true);
    return 0;
}
static int setup_msix(void **state)
{
    struct fix *f = make(false);
    virtio_pci_enable_msix(&f->vp, send_msi, f);
    *state = f;
    return 0;
}
static int teardown(void **state)
{
    struct fix *f = *state;
    virtio_blk_close(&f->blk);
    unlink(f->path);
    fclose(f->logf);
    free(f->log);
    guest_ram_destroy(&f->ram);
    free(f);
    return 0;
}

/* §3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queue 0, DRIVER_OK. */
static uint8_t driver_init(struct fix *f, uint64_t features)
{
    bar_wr(f, VP_COMMON_OFF + 0x14, 1, 0);
    bar_wr(f, VP_COMMON_OFF + 0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
    for (unsigned sel = 0; sel < 2; sel++) {
        bar_wr(f, VP_COMMON_OFF + 0x08, 4, sel);
        bar_wr(f, VP_COMMON_OFF + 0x0C, 4, (uint32_t)(features >> (32 * sel)));
    }
    bar_wr(f, VP_COMMON_OFF + 0x14, 1,
           VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
    uint8_t st = (uint8_t)bar_rd(f, VP_COMMON_OFF + 0x14, 1);
    if (!(st & VIRTIO_S_FEATURES_OK))
        return st;
    bar_wr(f, VP_COMMON_OFF + 0x16, 2, 0);
    assert_int_equal(bar_rd(f, VP_COMMON_OFF + 0x18, 2), 128); /* offered size */
    bar_wr(f, VP_COMMON_OFF + 0x18, 2, QSIZE);
    bar_wr(f, VP_COMMON_OFF + 0x20, 4, DESC); /* as Linux: two 32-bit halves */
    bar_wr(f, VP_COMMON_OFF + 0x24, 4, 0);
    bar_wr(f, VP_COMMON_OFF + 0x28, 4, AVAIL);
    bar_wr(f, VP_COMMON_OFF + 0x2C, 4, 0);
    bar_wr(f, VP_COMMON_OFF + 0x30, 4, USED);
    bar_wr(f, VP_COMMON_OFF + 0x34, 4, 0);
    bar_wr(f, VP_COMMON_OFF + 0x1C, 2, 1);
    bar_wr(f, VP_COMMON_OFF + 0x14, 1, st | VIRTIO_S_DRIVER_OK);
    return (uint8_t)bar_rd(f, VP_COMMON_OFF + 0x14, 1);
}

#define F_V1 (1ull << VIRTIO_F_VERSION_1)

static void desc(struct fix *f, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                 uint16_t next)
{
    uint8_t *d = f->ram.host + DESC + 16 * i;
    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}

/* Queue a request of `type` at `sector` with `len` data bytes, kick, and
 * return its status byte (0xff: none written). */
static uint8_t request(struct fix *f, uint32_t type, uint64_t sector, uint32_t len)
{
    uint8_t *h = f->ram.host + HDR;
    memset(h, 0, 16);
    memcpy(h, &type, 4);
    memcpy(h + 8, &sector, 8);
    f->ram.host[STATUS] = 0xff;
    bool out = type == VIRTIO_BLK_T_OUT;
    desc(f, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    desc(f, 1, DATA, len, VIRTQ_DESC_F_NEXT | (out ? 0 : VIRTQ_DESC_F_WRITE), 2);
    desc(f, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    if (len == 0)
        desc(f, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 2);
    uint8_t *a = f->ram.host + AVAIL;
    a[4 + 2 * (f->avail_idx % QSIZE)] = 0;
    f->avail_idx++;
    memcpy(a + 2, &f->avail_idx, 2);
    bar_wr(f, VP_NOTIFY_OFF, 2, 0);
    return f->ram.host[STATUS];
}

static uint32_t used_len(struct fix *f, uint16_t i)
{
    uint32_t v;
    memcpy(&v, f->ram.host + USED + 4 + 8 * (i % QSIZE) + 4, 4);
    return v;
}

static void test_pci_identity(void **state)
{
    struct fix *f = *state;
    struct pci_function *p = f->vp.pci;
    assert_int_equal(pci_cfg_get(p, PCI_VENDOR_ID, 2), 0x1af4);
    assert_int_equal(pci_cfg_get(p, PCI_DEVICE_ID, 2), 0x1042);
    assert_int_equal(pci_cfg_get(p, PCI_REVISION, 1), 1);
    assert_int_equal(pci_cfg_get(p, PCI_SUBSYS_ID, 2), 0x42);
    assert_int_equal(pci_cfg_get(p, PCI_INT_PIN, 1), 1);
    assert_int_equal(pci_cfg_get(p, PCI_INT_LINE, 1), 11);
    assert_true(pci_cfg_get(p, PCI_STATUS, 2) & 0x10);
    assert_int_equal(pci_bar_address(p, 0), BAR);
    /* The vendor capabilities, in list order: common, ISR, device, notify,
     * PCI configuration access. */
    static const uint8_t type[5] = { 1, 3, 4, 2, 5 };
    static const uint32_t off[5] = { VP_COMMON_OFF, VP_ISR_OFF, VP_DEVICE_OFF, VP_NOTIFY_OFF, 0 };
    unsigned at = pci_cfg_get(p, 0x34, 1), n = 0;
    for (; at && n < 5; at = pci_cfg_get(p, at + 1, 1), n++) {
        assert_int_equal(pci_cfg_get(p, at, 1), 0x09);
        assert_int_equal(pci_cfg_get(p, at + 3, 1), type[n]);
        assert_int_equal(pci_cfg_get(p, at + 4, 1), 0); /* BAR0 */
        assert_int_equal(pci_cfg_get(p, at + 8, 4), off[n]);
        if (type[n] == 2)
            assert_int_equal(pci_cfg_get(p, at + 16, 4), VP_NOTIFY_MULT);
    }
    assert_int_equal(n, 5);
    assert_int_equal(at, 0);
    /* The BAR is decoded only with memory space on. */
    uint64_t o;
    assert_true(virtio_pci_decodes(&f->vp, BAR + 0x1000, &o));
    assert_int_equal(o, 0x1000);
    assert_false(virtio_pci_decodes(&f->vp, BAR + VIRTIO_PCI_BAR_SIZE, &o));
    pci_cfg_set(p, PCI_COMMAND, 2, 0);
    assert_false(virtio_pci_decodes(&f->vp, BAR, &o));
}

/* A configuration cycle through mechanism #1 (devices/pci_host.h). */
static uint32_t cfg_rw(struct fix *f, unsigned reg, unsigned len, bool write, uint32_t v)
{
    uint32_t a = PCI_ENABLE | PCI_DEVFN(1, 0) << 8 | (reg & 0xfc);
    pci_host_io(&f->bus, 0, 4, true, &a);
    pci_host_io(&f->bus, 4 + (reg & 3), (uint8_t)len, write, &v);
    return v;
}

/* §4.1.4.9: BAR0 through configuration space, with the same effects. */
static void test_pci_cfg_window(void **state)
{
    struct fix *f = *state;
    const unsigned cap = 0x84;
    assert_int_equal(cfg_rw(f, cap, 4, false, 0) & 0xffff00ff,
                     0x05140009);               /* vendor, len 20, type 5 */
    cfg_rw(f, cap + 4, 1, true, 0);             /* bar 0 */
    cfg_rw(f, cap + 8, 4, true, VP_DEVICE_OFF); /* offset: the capacity */
    cfg_rw(f, cap + 12, 4, true, 4);            /* length */
    assert_int_equal(cfg_rw(f, cap + 16, 4, false, 0), DISK / 512);
    cfg_rw(f, cap + 8, 4, true, VP_COMMON_OFF + 0x14); /* device_status, a byte */
    cfg_rw(f, cap + 12, 4, true, 1);
    cfg_rw(f, cap + 16, 1, true, VIRTIO_S_ACKNOWLEDGE);
    assert_int_equal(bar_rd(f, VP_COMMON_OFF + 0x14, 1), VIRTIO_S_ACKNOWLEDGE);
    assert_int_equal(cfg_rw(f, cap + 16, 1, false, 0), VIRTIO_S_ACKNOWLEDGE);
    /* A length we do not do, or a misaligned offset: the window is shut. */
    cfg_rw(f, cap + 12, 4, true, 3);
    cfg_rw(f, cap + 16, 1, true, 0);
    assert_int_equal(bar_rd(f, VP_COMMON_OFF + 0x14, 1), VIRTIO_S_ACKNOWLEDGE);
    cfg_rw(f, cap + 8, 4, true, VP_COMMON_OFF + 0x15);
    cfg_rw(f, cap + 12, 4, true, 2);
    cfg_rw(f, cap + 16, 2, true, 0);
    assert_int_equal(bar_rd(f, VP_COMMON_OFF + 0x14, 1), VIRTIO_S_ACKNOWLEDGE);
}

static void test_features(void **state)
{
    struct fix *f = *state;
    bar_wr(f, VP_COMMON_OFF + 0x00, 4, 1);
    assert_int_equal(bar_rd(f, VP_COMMON_OFF + 0x04, 4) & 1, 1); /* VERSION_1 = bit 32 */
    bar_wr(f, VP_COMMON_OFF + 0x00, 4, 0);
    uint32_t lo = bar_rd(f, VP_COMMON_OFF + 0x04, 4);
    assert_true(lo & 1u << VIRTIO_BLK_F_FLUSH);
    assert_false(lo & 1u << VIRTIO_BLK_F_RO);
    assert_true(lo & 1u << VIRTIO_F_EVENT_IDX);
    /* FEATURES_OK is refused without VERSION_1, or with a feature not offered. */
    assert_false(driver_init(f, 1ull << VIRTIO_BLK_F_FLUSH) & VIRTIO_S_FEATURES_OK);
    assert_false(driver_init(f, F_V1 | 1ull << 40) & VIRTIO_S_FEATURES_OK);
    assert_int_equal(driver_init(f, F_V1), VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER |
                                               VIRTIO_S_FEATURES_OK | VIRTIO_S_DRIVER_OK);
    /* No MSI-X: every vector reads VIRTIO_MSI_NO_VECTOR. */
    assert_int_equal(bar_rd(f, VP_COMMON_OFF + 0x10, 2), 0xffff);
    assert_int_equal(bar_rd(f, VP_COMMON_OFF + 0x12, 2), 1); /* num_queues */
    /* The device configuration: capacity in 512-byte sectors. */
    assert_int_equal(bar_rd(f, VP_DEVICE_OFF, 4), DISK / 512);
    assert_int_equal(bar_rd(f, VP_DEVICE_OFF + 4, 4), 0);
    assert_int_equal(bar_rd(f, VP_DEVICE_OFF + 12, 4), VIRTIO_BLK_SEG_MAX);
}

static void test_read(void **state)
{
    struct fix *f = *state;
    driver_init(f, F_V1);
    assert_int_equal(f->level, 0);
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, 3, 1024), VIRTIO_BLK_S_OK);
    uint8_t want[1024];
    assert_int_equal(pread(f->blk.fd, want, sizeof want, 3 * 512), 1024);
    assert_memory_equal(f->ram.host + DATA, want, 1024);
    assert_int_equal(used_len(f, 0), 1025);
    /* INTx: asserted, the ISR says "queue", reading it clears both. */
    assert_int_equal(f->level, 1);
    assert_true(pci_cfg_get(f->vp.pci, PCI_STATUS, 2) & 0x08);
    assert_int_equal(bar_rd(f, VP_ISR_OFF, 1), 1);
    assert_int_equal(f->level, 0);
    assert_int_equal(bar_rd(f, VP_ISR_OFF, 1), 0);
    /* Interrupt Disable in the Command register holds the line low. */
    pci_cfg_set(f->vp.pci, PCI_COMMAND, 2, 0x0406);
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512), VIRTIO_BLK_S_OK);
    assert_int_equal(f->level, 0);
}

static void test_write_flush(void **state)
{
    struct fix *f = *state;
    driver_init(f, F_V1);
    memset(f->ram.host + DATA, 0xa5, 2048);
    assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 10, 2048), VIRTIO_BLK_S_OK);
    assert_int_equal(used_len(f, 0), 1); /* only the status byte written */
    assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0), VIRTIO_BLK_S_OK);
    uint8_t got[2048], want[2048];
    memset(want, 0xa5, sizeof want);
    assert_int_equal(pread(f->blk.fd, got, sizeof got, 10 * 512), 2048);
    assert_memory_equal(got, want, 2048);
    assert_int_equal(f->blk.nflush, 1);
}

static void test_get_id_and_errors(void **state)
{
    struct fix *f = *state;
    driver_init(f, F_V1);
    assert_int_equal(request(f, VIRTIO_BLK_T_GET_ID, 0, 20), VIRTIO_BLK_S_OK);
    assert_int_equal(memcmp(f->ram.host + DATA, "vmlab-vmlab-vblk.", 17), 0);
    /* Past the end of the disk, a partial sector, an unknown type. */
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, DISK / 512 - 1, 1024), VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, ~0ull, 512), VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, 100), VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(f, 11 /* DISCARD */, 0, 16), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(f->vp.vd.status & VIRTIO_S_NEEDS_RESET, 0);
}

static void test_read_only(void **state)
{
    struct fix *f = *state;
    bar_wr(f, VP_COMMON_OFF + 0x00, 4, 0);
    assert_true(bar_rd(f, VP_COMMON_OFF + 0x04, 4) & 1u << VIRTIO_BLK_F_RO);
    driver_init(f, F_V1 | 1ull << VIRTIO_BLK_F_RO);
    uint8_t before[512], after[512];
    assert_int_equal(pread(f->blk.fd, before, 512, 0), 512);
    memset(f->ram.host + DATA, 0, 512);
    assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, 512), VIRTIO_BLK_S_IOERR);
    assert_int_equal(pread(f->blk.fd, after, 512, 0), 512);
    assert_memory_equal(before, after, 512);
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512), VIRTIO_BLK_S_OK);
}

/* A chain with a buffer outside RAM: NEEDS_RESET, one line, a
 * configuration interrupt; the queue is dead until the driver resets. */
static void test_needs_reset(void **state)
{
    struct fix *f = *state;
    driver_init(f, F_V1);
    desc(f, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    desc(f, 1, RAM_SIZE - 100, 4096, VIRTQ_DESC_F_WRITE, 0);
    uint8_t *a = f->ram.host + AVAIL;
    a[4] = 0;
    f->avail_idx = 1;
    memcpy(a + 2, &f->avail_idx, 2);
    bar_wr(f, VP_NOTIFY_OFF, 2, 0);
    assert_true(bar_rd(f, VP_COMMON_OFF + 0x14, 1) & VIRTIO_S_NEEDS_RESET);
    fflush(f->logf);
    assert_non_null(strstr(f->log, "test: virtio-blk: queue 0: descriptor 1"));
    assert_non_null(strstr(f->log, "outside guest RAM; device needs reset\n"));
    assert_int_equal(bar_rd(f, VP_ISR_OFF, 1), 2); /* configuration change */
    assert_int_equal(f->vp.vd.errors, 1);
    /* A reset and a new initialization bring it back. */
    f->avail_idx = 0;
    assert_int_equal(driver_init(f, F_V1) & VIRTIO_S_NEEDS_RESET, 0);
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512), VIRTIO_BLK_S_OK);
}

static void test_bad_queue_size(void **state)
{
    struct fix *f = *state;
    bar_wr(f, VP_COMMON_OFF + 0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
    bar_wr(f, VP_COMMON_OFF + 0x18, 2, 6); /* not a power of two */
    bar_wr(f, VP_COMMON_OFF + 0x1C, 2, 1);
    assert_true(bar_rd(f, VP_COMMON_OFF + 0x14, 1) & VIRTIO_S_NEEDS_RESET);
    assert_int_equal(bar_rd(f, VP_COMMON_OFF + 0x1C, 2), 0); /* not enabled */
    fflush(f->logf);
    assert_non_null(strstr(f->log, "queue size 6 is not a power of two"));
}

static void test_parse(void **state)
{
    (void)state;
    char path[32], err[128];
    bool ro;
    assert_int_equal(virtio_blk_parse("a.img,ro", path, sizeof path, &ro, err, sizeof err), 0);
    assert_string_equal(path, "a.img");
    assert_true(ro);
    assert_int_equal(virtio_blk_parse("a.img", path, sizeof path, &ro, err, sizeof err), 0);
    assert_false(ro);
    assert_int_equal(virtio_blk_parse("a.img,rw", path, sizeof path, &ro, err, sizeof err), -1);
    assert_int_equal(virtio_blk_parse(",ro", path, sizeof path, &ro, err, sizeof err), -1);
    struct virtio_blk b;
    assert_int_equal(virtio_blk_open(&b, "/nonexistent/disk", err, sizeof err), -1);
    assert_string_equal(
        err, "cannot open disk '/nonexistent/disk' for writing: No such file or directory");
}

/* MSI-X (PCI 3.0 §6.8.2, virtio §4.1.5.1.2): the capability after the
 * others, vectors chosen by the driver, messages instead of INTx#, masks
 * holding them in the PBA. */
static void test_msix(void **state)
{
    struct fix *f = *state;
    struct pci_function *p = f->vp.pci;
    const unsigned cap = 0x98;
    assert_int_equal(pci_cfg_get(p, 0x84 + 1, 1), cap); /* after the PCI cfg capability */
    assert_int_equal(pci_cfg_get(p, cap, 1), 0x11);
    assert_int_equal(pci_cfg_get(p, cap + 2, 2), 1); /* 2 entries: config, queue 0 */
    assert_int_equal(pci_cfg_get(p, cap + 4, 4), VP_MSIX_TABLE);
    assert_int_equal(pci_cfg_get(p, cap + 8, 4), VP_MSIX_PBA);
    driver_init(f, F_V1);
    /* The driver picks vectors and reads them back; one we lack is NO_VECTOR. */
    bar_wr(f, VP_COMMON_OFF + 0x10, 2, 0);
    assert_int_equal(bar_rd(f, VP_COMMON_OFF + 0x10, 2), 0);
    bar_wr(f, VP_COMMON_OFF + 0x16, 2, 0);
    bar_wr(f, VP_COMMON_OFF + 0x1A, 2, 5);
    assert_int_equal(bar_rd(f, VP_COMMON_OFF + 0x1A, 2), 0xffff);
    bar_wr(f, VP_COMMON_OFF + 0x1A, 2, 1);
    assert_int_equal(bar_rd(f, VP_COMMON_OFF + 0x1A, 2), 1);
    /* Entry 1: address, data, masked after reset. */
    bar_wr(f, VP_MSIX_TABLE + 16, 4, 0xfee00000);
    bar_wr(f, VP_MSIX_TABLE + 24, 4, 0x41);
    assert_int_equal(bar_rd(f, VP_MSIX_TABLE + 28, 4), 1);
    pci_cfg_set(p, cap + 2, 2, MSIX_ENABLE | 1);
    /* Masked: held in the PBA, no INTx# either. */
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512), VIRTIO_BLK_S_OK);
    assert_int_equal(f->nmsg, 0);
    assert_int_equal(f->level, 0);
    assert_int_equal(bar_rd(f, VP_MSIX_PBA, 4), 2);
    bar_wr(f, VP_MSIX_TABLE + 28, 4, 0); /* unmask: the message goes */
    assert_int_equal(f->nmsg, 1);
    assert_int_equal(f->msg_addr, 0xfee00000);
    assert_int_equal(f->msg_data, 0x41);
    assert_int_equal(bar_rd(f, VP_MSIX_PBA, 4), 0);
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512), VIRTIO_BLK_S_OK);
    assert_int_equal(f->nmsg, 2);
    assert_int_equal(bar_rd(f, VP_ISR_OFF, 1), 0); /* the ISR is INTx's */
    /* The function mask holds every vector; clearing it sends. */
    uint32_t v = MSIX_ENABLE | MSIX_MASKALL;
    uint32_t a = PCI_ENABLE | PCI_DEVFN(1, 0) << 8 | cap;
    pci_host_io(&f->bus, 0, 4, true, &a);
    pci_host_io(&f->bus, 6, 2, true, &v);
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512), VIRTIO_BLK_S_OK);
    assert_int_equal(f->nmsg, 2);
    v = MSIX_ENABLE;
    pci_host_io(&f->bus, 6, 2, true, &v);
    assert_int_equal(f->nmsg, 3);
    /* NO_VECTOR: no interrupt at all. */
    bar_wr(f, VP_COMMON_OFF + 0x1A, 2, 0xffff);
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512), VIRTIO_BLK_S_OK);
    assert_int_equal(f->nmsg, 3);
    assert_int_equal(f->level, 0);
    /* MSI-X off again: back to INTx#. */
    v = 0;
    pci_host_io(&f->bus, 6, 2, true, &v);
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512), VIRTIO_BLK_S_OK);
    assert_int_equal(f->level, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pci_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pci_cfg_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_features, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_id_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only, setup_ro, teardown),
        cmocka_unit_test_setup_teardown(test_needs_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_queue_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msix, setup_msix, teardown),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
