/* test_bzimage.c — the Linux 32-bit boot protocol (core/bzimage.h) on
 * synthetic bzImages built here: the zero page, the E820 map, the initrd's
 * place, the entry state, and every refusal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/bzimage.h"

#define MEM     (64u << 20)
#define PM_OFF  0x400 /* setup_sects = 1: boot sector + 1 sector */
#define PM_SIZE 0x1000
#define IMG_LEN (PM_OFF + PM_SIZE)

static uint8_t img[IMG_LEN];
static char err[512];
static struct guest_ram ram;
static struct x86_cpu cpu;
static struct bzimage_info bi;
static char path[64];

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v), put16(p + 2, v >> 16); }
static uint32_t zp32(uint32_t off)
{
    uint32_t v;
    memcpy(&v, ram.host + BZ_ZERO_PAGE + off, 4);
    return v;
}
static uint64_t zp64(uint32_t off)
{
    uint64_t v;
    memcpy(&v, ram.host + BZ_ZERO_PAGE + off, 8);
    return v;
}

/* A protocol 2.15 relocatable bzImage like Debian's 686 kernel, scaled down. */
static void make_image(void)
{
    memset(img, 0, sizeof img);
    img[BP_SETUP_SECTS] = 1;
    put16(img + 0x1F2, 0x1234); /* root_flags: copied as it is */
    put16(img + BP_BOOT_FLAG, BZ_BOOT_FLAG);
    img[BP_JUMP] = 0xEB; /* jmp short over the header, which ends at 0x26C */
    img[BP_JUMP + 1] = 0x6A;
    put32(img + BP_HEADER, BZ_HDRS_MAGIC);
    put16(img + BP_VERSION, 0x020F);
    img[BP_LOADFLAGS] = BZ_LOADED_HIGH | 0x80; /* CAN_USE_HEAP: the loader's to set */
    put32(img + BP_CODE32_START, 0x100000);
    put32(img + BP_INITRD_ADDR_MAX, 0x7FFFFFFF);
    put32(img + BP_KERNEL_ALIGN, 0x200000);
    img[BP_RELOCATABLE] = 1;
    put32(img + BP_CMDLINE_SIZE, 2047);
    put32(img + BP_HW_SUBARCH, 3); /* garbage the loader must overwrite */
    put32(img + BP_PREF_ADDRESS, 0x1000000);
    put32(img + BP_INIT_SIZE, 0x800000);
    img[0x270] = 0xAB; /* past the header's end: not copied */
    for (int i = 0; i < PM_SIZE; i++)
        img[PM_OFF + i] = (uint8_t)(i * 7 + 1);
}

static int setup(void **st)
{
    (void)st;
    make_image();
    memset(&bi, 0, sizeof bi);
    snprintf(path, sizeof path, "/tmp/vmlab-bzimage-%d", getpid());
    return guest_ram_init(&ram, MEM, err, sizeof err);
}
static int teardown(void **st)
{
    (void)st;
    unlink(path);
    guest_ram_destroy(&ram);
    return 0;
}

static int load(const char *cmdline, const uint8_t *initrd, size_t initrd_len)
{
    memset(ram.host + BZ_ZERO_PAGE, 0xee, 4096); /* zeroing is the loader's job */
    err[0] = 0;
    return bzimage_load(&ram, &cpu, img, sizeof img, "vmlinuz", cmdline, initrd, initrd_len,
                        "initrd.gz", &bi, err, sizeof err);
}

static void test_detect(void **st)
{
    (void)st;
    assert_true(bzimage_detect(img, sizeof img));
    assert_false(bzimage_detect(img, BP_BOOT_FLAG + 1));
    const uint8_t elf[0x400] = { 0x7f, 'E', 'L', 'F' };
    assert_false(bzimage_detect(elf, sizeof elf));
}

static void test_zero_page(void **st)
{
    (void)st;
    assert_int_equal(load("console=ttyS0 quiet", NULL, 0), 0);
    uint8_t *zp = ram.host + BZ_ZERO_PAGE;
    /* Before the header: zero (screen_info, ...); the header copied up to
     * its end (0x202 + the jump's offset), zero after it. */
    for (int i = 0; i < BP_HDR; i++)
        if (i != BP_E820_ENTRIES)
            assert_int_equal(zp[i], 0);
    assert_int_equal(zp32(0x1F2) & 0xffff, 0x1234);
    assert_int_equal(zp32(BP_HEADER), BZ_HDRS_MAGIC);
    assert_int_equal(zp32(BP_VERSION) & 0xffff, 0x020F);
    assert_int_equal(zp32(BP_INIT_SIZE), 0x800000);
    assert_int_equal(zp[0x270], 0);
    /* The loader's own fields. */
    assert_int_equal(zp[BP_TYPE_OF_LOADER], 0xFF);
    assert_int_equal(zp[BP_LOADFLAGS], BZ_LOADED_HIGH);
    assert_int_equal(zp32(BP_HW_SUBARCH), 0);
    assert_int_equal(zp32(BP_RAMDISK_IMAGE), 0);
    assert_int_equal(zp32(BP_RAMDISK_SIZE), 0);
    assert_int_equal(zp32(BP_CMD_LINE_PTR), BZ_CMDLINE_ADDR);
    assert_string_equal((char *)ram.host + BZ_CMDLINE_ADDR, "console=ttyS0 quiet");
    /* The protected-mode kernel at code32_start. */
    assert_memory_equal(ram.host + 0x100000, img + PM_OFF, PM_SIZE);
    assert_int_equal(bi.code32_start, 0x100000);
    assert_int_equal(bi.pm_size, PM_SIZE);
    assert_int_equal(bi.runtime_start, 0x1000000); /* pref_address above 1 MiB aligned */
}

static void test_entry_state(void **st)
{
    (void)st;
    assert_int_equal(load("", NULL, 0), 0);
    assert_int_equal(cpu.eip, 0x100000);
    assert_int_equal(cpu.gpr[R_ESI], BZ_ZERO_PAGE);
    assert_int_equal(cpu.gpr[R_EBP], 0);
    assert_int_equal(cpu.gpr[R_EDI], 0);
    assert_int_equal(cpu.gpr[R_EBX], 0);
    assert_int_equal(cpu.cr0, CR0_PE); /* protected mode, paging off */
    assert_int_equal(cpu.eflags, 0x2); /* interrupts off */
    assert_int_equal(cpu.seg[S_CS].sel, BZ_BOOT_CS);
    for (int s = 0; s < S_NSEG; s++) {
        assert_int_equal(cpu.seg[s].base, 0);
        assert_int_equal(cpu.seg[s].limit, 0xffffffff);
        if (s != S_CS)
            assert_int_equal(cpu.seg[s].sel, BZ_BOOT_DS);
    }
    assert_int_equal(cpu.seg[S_CS].attr & 0x1f, 0x1b); /* code, execute/read */
    assert_int_equal(cpu.seg[S_DS].attr & 0x1f, 0x13); /* data, read/write */
    /* The GDT in guest RAM holds the descriptors the selectors name. */
    assert_int_equal(cpu.gdtr.base, BZ_GDT_ADDR);
    assert_int_equal(cpu.gdtr.limit, 4 * 8 - 1);
    uint64_t cs, ds;
    memcpy(&cs, ram.host + BZ_GDT_ADDR + BZ_BOOT_CS, 8);
    memcpy(&ds, ram.host + BZ_GDT_ADDR + BZ_BOOT_DS, 8);
    assert_int_equal(cs, 0x00cf9b000000ffffull);
    assert_int_equal(ds, 0x00cf93000000ffffull);
}

static void test_e820(void **st)
{
    (void)st;
    assert_int_equal(load("", NULL, 0), 0);
    static const uint64_t want[][3] = {
        { 0, 0x9FC00, E820_RAM },
        { 0x9FC00, 0x400, E820_RESERVED },
        { 0xE0000, 0x20000, E820_RESERVED },
        { 0x100000, MEM - 0x100000, E820_RAM },
    };
    assert_int_equal(ram.host[BZ_ZERO_PAGE + BP_E820_ENTRIES], 4);
    assert_int_equal(bi.e820_entries, 4);
    for (int i = 0; i < 4; i++) {
        uint32_t e = BP_E820_TABLE + 20 * i;
        assert_int_equal(zp64(e), want[i][0]);
        assert_int_equal(zp64(e + 8), want[i][1]);
        assert_int_equal(zp32(e + 16), want[i][2]);
    }
    assert_int_equal(zp32(BP_E820_TABLE + 20 * 4 + 16), 0); /* nothing after */
}

static void test_initrd_placement(void **st)
{
    (void)st;
    static uint8_t rd[10000];
    for (size_t i = 0; i < sizeof rd; i++)
        rd[i] = (uint8_t)(i ^ 0x5a);
    /* As high as RAM allows, page-aligned. */
    assert_int_equal(load("", rd, sizeof rd), 0);
    uint32_t at = (MEM - sizeof rd) & ~0xfffu;
    assert_int_equal(bi.initrd_addr, at);
    assert_int_equal(zp32(BP_RAMDISK_IMAGE), at);
    assert_int_equal(zp32(BP_RAMDISK_SIZE), sizeof rd);
    assert_memory_equal(ram.host + at, rd, sizeof rd);
    /* Below initrd_addr_max when that is lower. */
    put32(img + BP_INITRD_ADDR_MAX, 0x2FFFFFF);
    assert_int_equal(load("", rd, sizeof rd), 0);
    assert_int_equal(bi.initrd_addr, (0x3000000 - sizeof rd) & ~0xfffu);
}

/* expect_error: loading fails with a message containing want. */
static void expect_error(const uint8_t *rd, size_t rdlen, const char *cmdline, const char *want)
{
    assert_int_equal(load(cmdline, rd, rdlen), -1);
    if (!strstr(err, want))
        fail_msg("error '%s' does not say '%s'", err, want);
    assert_null(strchr(err, '\n'));
}

static void test_bad_images(void **st)
{
    (void)st;
    put32(img + BP_HEADER, 0x12345678);
    expect_error(NULL, 0, "", "no \"HdrS\" at 0x202");
    make_image();
    put16(img + BP_BOOT_FLAG, 0);
    expect_error(NULL, 0, "", "not a Linux kernel image (no boot flag 0xAA55");
    make_image();
    put16(img + BP_VERSION, 0x0205);
    expect_error(NULL, 0, "", "boot protocol 2.05; this loader needs 2.06 or later");
    make_image();
    img[BP_LOADFLAGS] = 0;
    expect_error(NULL, 0, "", "is a zImage");
    make_image();
    img[BP_SETUP_SECTS] = 40;
    expect_error(NULL, 0, "", "is truncated");
    make_image();
    put32(img + BP_CODE32_START, 0x10000);
    expect_error(NULL, 0, "", "code32_start 0x10000 is below 1 MiB");
    /* 16 MiB + 64 MiB of decompression space in 64 MiB of RAM. */
    make_image();
    put32(img + BP_INIT_SIZE, 0x4000000);
    expect_error(NULL, 0, "", "needs 80 MiB of guest RAM");
    make_image();
    img[BP_RELOCATABLE] = 0;
    put32(img + BP_PREF_ADDRESS, 0x3C00000);
    expect_error(NULL, 0, "", "not relocatable");
    make_image();
    put32(img + BP_CMDLINE_SIZE, 8);
    expect_error(NULL, 0, "console=ttyS0",
                 "command line is too long (13 bytes; 'vmlinuz' takes at most 8)");
}

static void test_bad_initrd(void **st)
{
    (void)st;
    static uint8_t rd[16];
    /* Larger than RAM: refused before it is read (so rd can be short). */
    expect_error(rd, MEM + 1, "", "is larger than the guest's 64 MiB of RAM");
    /* initrd_addr_max below the kernel's memory (16 MiB + 8 MiB). */
    put32(img + BP_INITRD_ADDR_MAX, 0x17FFFFF);
    expect_error(rd, sizeof rd, "", "does not fit between the kernel (up to 0x1800000)");
    /* Fits in RAM but not above the kernel. */
    make_image();
    expect_error(rd, MEM - 0x1000000, "", "does not fit between the kernel");
}

static void write_file(const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* loader_boot picks the protocol by content, whatever the file's name. */
static void test_dispatch(void **st)
{
    (void)st;
    struct boot_info b;
    write_file(img, sizeof img);
    assert_int_equal(loader_boot(&ram, &cpu, path, "x=1", NULL, 0, NULL, &b, err, sizeof err), 0);
    assert_int_equal(cpu.gpr[R_ESI], BZ_ZERO_PAGE);
    assert_int_equal(b.entry, 0x100000);
    assert_int_equal(b.info_addr, BZ_ZERO_PAGE);
    const char *mods[] = { path };
    assert_int_equal(loader_boot(&ram, &cpu, path, "", mods, 1, NULL, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "takes an --initrd FILE, not Multiboot --module"));
    /* An initrd for a non-Linux image. */
    write_file("#!/bin/sh\n", 10);
    assert_int_equal(loader_boot(&ram, &cpu, path, "", NULL, 0, path, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "--initrd is for a Linux bzImage"));
    /* Without: the ELF loader's reason. */
    assert_int_equal(loader_boot(&ram, &cpu, path, "", NULL, 0, NULL, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "is not an ELF file"));
    /* A missing initrd file. */
    write_file(img, sizeof img);
    assert_int_equal(
        loader_boot(&ram, &cpu, path, "", NULL, 0, "/nonexistent/rd", &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open initrd '/nonexistent/rd'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entry_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_e820, setup, teardown),
        cmocka_unit_test_setup_teardown(test_initrd_placement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_images, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_initrd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dispatch, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
