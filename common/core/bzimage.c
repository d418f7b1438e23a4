/*
 * bzimage.c — the Linux 32-bit boot protocol (bzimage.h;
 * Documentation/arch/x86/boot.rst and zero-page.rst).
 *
 * Every refusal is one sentence naming the file, in the spirit of
 * loader.c: a student who hands the VMM the wrong kernel learns why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/bzimage.h"

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4); /* x86 hosts and guests are little-endian */
}

bool bzimage_detect(const uint8_t *img, size_t len)
{
    return len >= BP_BOOT_FLAG + 2 && rd16(img + BP_BOOT_FLAG) == BZ_BOOT_FLAG;
}

/* The facts about the image the loader needs, checked (boot.rst, "Details
 * of Header Fields"). */
struct bz_header {
    size_t hdr_end;     /* 0x202 + the byte at 0x201       */
    uint32_t pm_offset; /* (setup_sects + 1) * 512         */
    uint32_t cmdline_size, initrd_max;
    bool relocatable;
};

static int check_header(const uint8_t *img, size_t len, const char *name, struct bz_header *h,
                        struct bzimage_info *bi, char *err, size_t errlen)
{
    if (len < BP_INIT_SIZE + 4 || rd32(img + BP_HEADER) != BZ_HDRS_MAGIC) {
        snprintf(err, errlen,
                 "'%s' is a boot sector without a Linux setup header (no \"HdrS\" at 0x202): "
                 "not a bzImage",
                 name);
        return -1;
    }
    bi->version = (uint16_t)rd16(img + BP_VERSION);
    if (bi->version < BZ_MIN_VERSION) {
        snprintf(err, errlen,
                 "'%s' speaks Linux boot protocol %u.%02u; this loader needs 2.06 or later "
                 "(Linux 2.6.22+)",
                 name, bi->version >> 8, bi->version & 0xff);
        return -1;
    }
    if (!(img[BP_LOADFLAGS] & BZ_LOADED_HIGH)) {
        snprintf(err, errlen,
                 "'%s' is a zImage (loaded at 0x10000, LOADED_HIGH clear); only bzImages "
                 "are supported",
                 name);
        return -1;
    }
    unsigned sects = img[BP_SETUP_SECTS] ? img[BP_SETUP_SECTS] : 4; /* 0 means 4 */
    h->pm_offset = (sects + 1) * 512;
    h->hdr_end = BP_HEADER + img[BP_JUMP + 1];
    if (h->hdr_end > 0x290) /* the header's room in boot_params */
        h->hdr_end = 0x290;
    if (h->pm_offset >= len || h->hdr_end > len) {
        snprintf(err, errlen, "'%s' is truncated (%zu bytes; the setup alone takes %u)", name, len,
                 h->pm_offset);
        return -1;
    }
    bi->code32_start = rd32(img + BP_CODE32_START);
    bi->pm_size = (uint32_t)(len - h->pm_offset);
    h->cmdline_size = rd32(img + BP_CMDLINE_SIZE);
    h->initrd_max = rd32(img + BP_INITRD_ADDR_MAX);
    h->relocatable = img[BP_RELOCATABLE] != 0;
    if (bi->code32_start < LOADER_LOW_MEM_END) {
        snprintf(err, errlen, "'%s': code32_start 0x%x is below 1 MiB", name, bi->code32_start);
        return -1;
    }
    return 0;
}

/* Where the decompressor will put vmlinux and how much RAM all of it
 * needs (arch/x86/boot/compressed/head_32.S: a relocatable kernel at
 * max(its load address aligned to kernel_alignment, LOAD_PHYSICAL_ADDR =
 * pref_address), else at pref_address; init_size bytes from there). */
static int check_fit(const struct guest_ram *ram, const uint8_t *img, const char *name,
                     const struct bz_header *h, struct bzimage_info *bi, uint64_t *end, char *err,
                     size_t errlen)
{
    uint64_t loaded_end = (uint64_t)bi->code32_start + bi->pm_size, need = loaded_end;
    bi->runtime_start = bi->code32_start;
    if (bi->version >= 0x020A) { /* pref_address and init_size (2.10) */
        uint64_t pref = rd64(img + BP_PREF_ADDRESS), run = pref;
        uint32_t align = rd32(img + BP_KERNEL_ALIGN);
        if (h->relocatable) {
            uint64_t a = align && !(align & (align - 1)) ? align : 1;
            run = (bi->code32_start + a - 1) & ~(a - 1);
            if (run < pref)
                run = pref;
        }
        bi->init_size = rd32(img + BP_INIT_SIZE);
        bi->runtime_start = (uint32_t)run;
        if (run + bi->init_size > need)
            need = run + bi->init_size;
    }
    if (need > ram->size) {
        snprintf(err, errlen,
                 "'%s' needs %llu MiB of guest RAM (%skernel at 0x%x, decompressed to 0x%x "
                 "using 0x%x bytes) but has %llu MiB (--mem)",
                 name, (unsigned long long)((need + (1 << 20) - 1) >> 20),
                 h->relocatable ? "" : "not relocatable: ", bi->code32_start, bi->runtime_start,
                 bi->init_size, (unsigned long long)(ram->size >> 20));
        return -1;
    }
    *end = need;
    return 0;
}

/* The initrd as high as RAM and initrd_addr_max allow (boot.rst:
 * "ramdisk_image ... as high as possible"), page-aligned, above the
 * kernel's memory (which ends at kend). */
static int place_initrd(const struct guest_ram *ram, const struct bz_header *h, uint64_t kend,
                        size_t len, const char *name, struct bzimage_info *bi, char *err,
                        size_t errlen)
{
    if (len > ram->size) {
        snprintf(err, errlen,
                 "initrd '%s' (%zu bytes) is larger than the guest's %llu MiB of RAM "
                 "(--mem)",
                 name, len, (unsigned long long)(ram->size >> 20));
        return -1;
    }
    uint64_t top = ram->size, max = bi->version >= 0x0203 ? h->initrd_max : 0x37FFFFFFu;
    if (top > max + 1)
        top = max + 1;
    uint64_t at = top >= len ? (top - len) & ~0xfffull : 0;
    if (top < len || at < kend) {
        snprintf(err, errlen,
                 "initrd '%s' (%zu bytes) does not fit between the kernel (up to 0x%llx) and "
                 "0x%llx (the end of RAM or initrd_addr_max; --mem)",
                 name, len, (unsigned long long)kend, (unsigned long long)top);
        return -1;
    }
    bi->initrd_addr = (uint32_t)at;
    bi->initrd_size = (uint32_t)len;
    return 0;
}

/* The E820 map (zero-page.rst: e820_entries at 0x1E8, e820_table at
 * 0x2D0; struct boot_e820_entry is addr u64, size u64, type u32). */
static int fill_e820(uint8_t *zp, uint64_t ram_size)
{
    const struct {
        uint64_t addr, size;
        uint32_t type;
    } map[] = {
        { 0, 0x9FC00, E820_RAM },            /* conventional memory  */
        { 0x9FC00, 0x400, E820_RESERVED },   /* EBDA                 */
        { 0xE0000, 0x20000, E820_RESERVED }, /* BIOS area: MP, ACPI  */
        { LOADER_LOW_MEM_END, ram_size - LOADER_LOW_MEM_END, E820_RAM },
    };
    int n = (int)(sizeof map / sizeof map[0]);
    for (int i = 0; i < n; i++) {
        uint8_t *e = zp + BP_E820_TABLE + 20 * i;
        memcpy(e, &map[i].addr, 8);
        memcpy(e + 8, &map[i].size, 8);
        memcpy(e + 16, &map[i].type, 4);
    }
    zp[BP_E820_ENTRIES] = (uint8_t)n;
    return n;
}

/* The zero page: zeroed, the image's setup header, then the loader's
 * fields (boot.rst, "32-bit Boot Protocol"; "Details of Header Fields"
 * for what a loader writes). */
static void write_zero_page(struct guest_ram *ram, const uint8_t *img, const struct bz_header *h,
                            uint64_t ram_size, struct bzimage_info *bi)
{
    uint8_t *zp = gpa_to_hva(ram, BZ_ZERO_PAGE, 4096);
    if (!zp) /* RAM is at least VM_MIN_MEM; cannot happen */
        return;
    memset(zp, 0, 4096);
    memcpy(zp + BP_HDR, img + BP_HDR, h->hdr_end - BP_HDR);
    zp[BP_TYPE_OF_LOADER] = BZ_TYPE_UNDEFINED;
    zp[BP_LOADFLAGS] = (uint8_t)(img[BP_LOADFLAGS] & ~BZ_LOADER_FLAGS);
    wr32(zp + BP_CMD_LINE_PTR, BZ_CMDLINE_ADDR);
    wr32(zp + BP_RAMDISK_IMAGE, bi->initrd_addr);
    wr32(zp + BP_RAMDISK_SIZE, bi->initrd_size);
    wr32(zp + BP_HW_SUBARCH, 0); /* X86_SUBARCH_PC */
    bi->e820_entries = fill_e820(zp, ram_size);
}

/* The boot GDT: null, unused, __BOOT_CS flat code, __BOOT_DS flat data
 * (SDM Vol. 3A §3.4.5; the same layout as Linux's own boot GDT). */
static void write_gdt(struct guest_ram *ram)
{
    static const uint64_t gdt[4] = { 0, 0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull };
    memcpy(gpa_to_hva(ram, BZ_GDT_ADDR, sizeof gdt), gdt, sizeof gdt);
}

int bzimage_load(struct guest_ram *ram, struct x86_cpu *cpu, const uint8_t *img, size_t len,
                 const char *name, const char *cmdline, const uint8_t *initrd, size_t initrd_len,
                 const char *initrd_name, struct bzimage_info *out, char *err, size_t errlen)
{
    struct bzimage_info bi = { 0 };
    struct bz_header h;
    uint64_t kend;
    if (!bzimage_detect(img, len)) {
        snprintf(err, errlen, "'%s' is not a Linux kernel image (no boot flag 0xAA55 at 0x1FE)",
                 name);
        return -1;
    }
    if (check_header(img, len, name, &h, &bi, err, errlen) < 0 ||
        check_fit(ram, img, name, &h, &bi, &kend, err, errlen) < 0)
        return -1;
    if (initrd && place_initrd(ram, &h, kend, initrd_len, initrd_name, &bi, err, errlen) < 0)
        return -1;
    size_t clen = strlen(cmdline ? cmdline : "");
    if (clen > h.cmdline_size || clen >= BZ_CMDLINE_MAX) {
        snprintf(err, errlen, "guest command line is too long (%zu bytes; '%s' takes at most %u)",
                 clen, name, h.cmdline_size < BZ_CMDLINE_MAX ? h.cmdline_size : BZ_CMDLINE_MAX - 1);
        return -1;
    }
    memcpy(gpa_to_hva(ram, BZ_CMDLINE_ADDR, clen + 1), cmdline ? cmdline : "", clen + 1);
    memcpy(gpa_to_hva(ram, bi.code32_start, bi.pm_size), img + h.pm_offset, bi.pm_size);
    if (initrd)
        memcpy(gpa_to_hva(ram, bi.initrd_addr, initrd_len), initrd, initrd_len);
    write_zero_page(ram, img, &h, ram->size, &bi);
    write_gdt(ram);

    loader_flat_cpu(cpu, BZ_BOOT_CS, BZ_BOOT_DS, BZ_GDT_ADDR, 4 * 8 - 1);
    cpu->eip = bi.code32_start;
    cpu->gpr[R_ESI] = BZ_ZERO_PAGE; /* EBP, EDI, EBX: 0 (loader_flat_cpu) */
    cpu->gpr[R_ESP] = BZ_BOOT_STACK;
    if (out)
        *out = bi;
    return 0;
}

int bzimage_boot(struct guest_ram *ram, struct x86_cpu *cpu, const char *path, const char *cmdline,
                 const char *initrd_path, struct boot_info *bi, char *err, size_t errlen)
{
    size_t len, ilen = 0;
    uint8_t *initrd = NULL, *img = loader_read_file("guest image", path, &len, err, errlen);
    if (!img)
        return -1;
    if (initrd_path && !(initrd = loader_read_file("initrd", initrd_path, &ilen, err, errlen))) {
        free(img);
        return -1;
    }
    struct bzimage_info info;
    int rc = bzimage_load(ram, cpu, img, len, path, cmdline, initrd, ilen, initrd_path, &info, err,
                          errlen);
    if (rc == 0) {
        memset(bi, 0, sizeof *bi);
        bi->entry = info.code32_start;
        bi->kernel_start = info.code32_start;
        bi->kernel_end = info.code32_start + info.pm_size;
        bi->info_addr = BZ_ZERO_PAGE;
        bi->nsegments = 1;
    }
    free(initrd);
    free(img);
    return rc;
}
