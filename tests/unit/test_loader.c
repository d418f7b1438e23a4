/* test_loader.c — ELF32 loading and the Multiboot v1 boot state, on ELF
 * files generated here (good ones and every kind of bad one). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <cmocka.h>
#include "core/loader.h"

#define MEM (4u << 20)

struct seg {
    uint32_t paddr, vaddr;
    const void *data;
    uint32_t filesz, memsz;
};
struct elfspec {
    int cls; /* ELFCLASS32 / 64 */
    uint16_t machine, type;
    uint32_t entry;
    struct seg seg[3];
    int nseg;
    bool no_mb, bad_sum;
    uint32_t mb_flags;
    uint32_t pvh_entry; /* != 0: add the Xen PVH note */
};

static char path[64];
static char err[512];
static struct guest_ram ram;

static void write_elf(const struct elfspec *s)
{
    static uint8_t img[0x8000];
    memset(img, 0, sizeof img);
    Elf32_Ehdr *eh = (Elf32_Ehdr *)img;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = (uint8_t)s->cls;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = s->type;
    eh->e_machine = s->machine;
    eh->e_version = EV_CURRENT;
    eh->e_entry = s->entry;
    eh->e_phoff = sizeof *eh;
    eh->e_ehsize = sizeof *eh;
    eh->e_phentsize = sizeof(Elf32_Phdr);
    Elf32_Phdr *ph = (Elf32_Phdr *)(img + eh->e_phoff);
    int n = 0;
    uint32_t off = 0x1000;
    for (int i = 0; i < s->nseg; i++, n++) {
        ph[n] = (Elf32_Phdr){ .p_type = PT_LOAD,
                              .p_offset = off,
                              .p_vaddr = s->seg[i].vaddr,
                              .p_paddr = s->seg[i].paddr,
                              .p_filesz = s->seg[i].filesz,
                              .p_memsz = s->seg[i].memsz,
                              .p_flags = PF_R | PF_X,
                              .p_align = 0x1000 };
        memcpy(img + off, s->seg[i].data, s->seg[i].filesz);
        off += (s->seg[i].filesz + 0xfff) & ~0xfffu;
    }
    if (s->pvh_entry) { /* note: namesz 4 "Xen\0", descsz 4, type 18 */
        uint32_t note[5] = { 4, 4, PVH_NOTE_PHYS32_ENTRY, 0, s->pvh_entry };
        memcpy(&note[3], "Xen", 4);
        memcpy(img + 0x800, note, sizeof note);
        ph[n++] = (Elf32_Phdr){ .p_type = PT_NOTE, .p_offset = 0x800, .p_filesz = sizeof note };
    }
    eh->e_phnum = (uint16_t)n;
    if (!s->no_mb) { /* Multiboot header at file offset 0x400 */
        uint32_t mb[3] = { MB_HEADER_MAGIC, s->mb_flags, 0 };
        mb[2] = -(mb[0] + mb[1]) + (s->bad_sum ? 1 : 0);
        memcpy(img + 0x400, mb, sizeof mb);
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(img, 1, off, f), off);
    fclose(f);
}

static const uint8_t code[] = { 0xfa, 0xf4, 0xeb, 0xfd, 0x90, 0x90, 0x90, 0x90, 0x90,
                                0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xcc };
static const uint8_t data[] = { 1, 2, 3, 4 };

static struct elfspec good(void)
{
    struct elfspec s = { .cls = ELFCLASS32,
                         .machine = EM_386,
                         .type = ET_EXEC,
                         .entry = 0x100010,
                         .nseg = 2,
                         .mb_flags = 3 };
    s.seg[0] = (struct seg){ 0x100000, 0x100000, code, sizeof code, sizeof code };
    s.seg[1] = (struct seg){ 0x102000, 0x102000, data, sizeof data, 0x1000 }; /* + bss */
    return s;
}

static int setup(void **st)
{
    (void)st;
    snprintf(path, sizeof path, "/tmp/vmlab-loader-%d.elf", getpid());
    return guest_ram_init(&ram, MEM, err, sizeof err);
}
static int teardown(void **st)
{
    (void)st;
    unlink(path);
    guest_ram_destroy(&ram);
    return 0;
}

static uint32_t rd32(uint32_t gpa)
{
    uint32_t v;
    memcpy(&v, ram.host + gpa, 4);
    return v;
}

static void test_good_elf_multiboot_state(void **st)
{
    (void)st;
    struct elfspec s = good();
    write_elf(&s);
    memset(ram.host + 0x102000, 0xee, 0x1000); /* garbage where .bss goes */
    char modpath[80];
    snprintf(modpath, sizeof modpath, "%s.mod", path);
    FILE *f = fopen(modpath, "wb");
    fputs("MODULE", f);
    fclose(f);
    const char *mods[] = { modpath };
    struct boot_info bi;
    struct x86_cpu cpu;
    assert_int_equal(loader_boot_multiboot(&ram, &cpu, path, "test=hello iters=3", mods, 1, &bi,
                                           err, sizeof err),
                     0);
    /* Segments copied, .bss zeroed. */
    assert_memory_equal(ram.host + 0x100000, code, sizeof code);
    assert_memory_equal(ram.host + 0x102000, data, 4);
    for (int i = 4; i < 0x1000; i++)
        assert_int_equal(ram.host[0x102000 + i], 0);
    assert_int_equal(bi.kernel_start, 0x100000);
    assert_int_equal(bi.kernel_end, 0x103000);
    assert_int_equal(bi.nsegments, 2);
    assert_false(bi.has_pvh);

    /* Machine state, Multiboot spec §3.2. */
    assert_int_equal(cpu.gpr[R_EAX], 0x2BADB002);
    assert_int_equal(cpu.gpr[R_EBX], bi.info_addr);
    assert_int_equal(cpu.eip, 0x100010);
    assert_int_equal(cpu.cr0, CR0_PE);
    assert_int_equal(cpu.eflags, 0x2);
    assert_int_equal(cpu.seg[S_CS].base, 0);
    assert_int_equal(cpu.seg[S_CS].limit, 0xffffffff);
    assert_int_equal(cpu.seg[S_CS].attr & 0x1f, 0x1b); /* code, exec/read, accessed, S */
    assert_true(cpu.seg[S_CS].attr & 0x400);           /* D/B: 32-bit (x86/cpu.h layout) */
    for (int sr = 0; sr < S_NSEG; sr++) {
        assert_int_equal(cpu.seg[sr].limit, 0xffffffff);
        assert_true(cpu.seg[sr].attr & 0x80); /* present */
        if (sr != S_CS)
            assert_int_equal(cpu.seg[sr].attr & 0x1f, 0x13); /* data, read/write */
    }
    assert_int_equal(x86_cpl(&cpu), 0);

    /* The Multiboot information structure, spec §3.3. */
    uint32_t mbi = bi.info_addr;
    assert_true(mbi < 0x100000);
    uint32_t flags = rd32(mbi);
    assert_int_equal(flags & (MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP),
                     MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP);
    assert_int_equal(rd32(mbi + 4), 640);
    assert_int_equal(rd32(mbi + 8), (MEM - 0x100000) / 1024);
    assert_string_equal((char *)ram.host + rd32(mbi + 16), "test=hello iters=3");
    assert_int_equal(rd32(mbi + 20), 1);
    uint32_t mod = rd32(mbi + 24);
    uint32_t ms = rd32(mod), me = rd32(mod + 4);
    assert_int_equal(ms & 0xfff, 0); /* page aligned */
    assert_true(ms >= bi.kernel_end);
    assert_int_equal(me - ms, 6);
    assert_memory_equal(ram.host + ms, "MODULE", 6);
    assert_string_equal((char *)ram.host + rd32(mod + 8), modpath);
    /* Memory map: entries of "size" + 20 bytes; the last one is RAM above 1 MiB. */
    uint32_t mm = rd32(mbi + 48), mlen = rd32(mbi + 44), nent = 0, ram_bytes = 0;
    for (uint32_t p = mm; p < mm + mlen; p += rd32(p) + 4, nent++)
        if (rd32(p + 20) == 1)
            ram_bytes += rd32(p + 12);
    assert_int_equal(nent, 3);
    assert_int_equal(ram_bytes, 0x9fc00 + MEM - 0x100000);
    unlink(modpath);
}

static void test_pvh_note_recorded(void **st)
{
    (void)st;
    struct elfspec s = good();
    s.pvh_entry = 0x100008;
    write_elf(&s);
    struct boot_info bi;
    assert_int_equal(loader_load_elf(&ram, path, &bi, err, sizeof err), 0);
    assert_true(bi.has_pvh);
    assert_int_equal(bi.pvh_entry, 0x100008);
}

static void test_higher_half_entry_translated(void **st)
{
    (void)st;
    struct elfspec s = good();
    s.seg[0].vaddr = 0xc0100000;
    s.entry = 0xc0100004;
    write_elf(&s);
    struct boot_info bi;
    assert_int_equal(loader_load_elf(&ram, path, &bi, err, sizeof err), 0);
    assert_int_equal(bi.entry, 0x100004);
}

static void expect_fail(const struct elfspec *s, const char *needle)
{
    if (s)
        write_elf(s);
    struct boot_info bi;
    err[0] = 0;
    assert_int_equal(loader_load_elf(&ram, path, &bi, err, sizeof err), -1);
    if (!strstr(err, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
    assert_null(strchr(err, '\n'));
}

static void test_bad_files(void **st)
{
    (void)st;
    unlink(path);
    expect_fail(NULL, "cannot open guest image");
    FILE *f = fopen(path, "w");
    fputs("#!/bin/sh\necho not a kernel\n", f);
    fclose(f);
    expect_fail(NULL, "is not an ELF file");
    f = fopen(path, "w"); /* empty file */
    fclose(f);
    expect_fail(NULL, "is not an ELF file");

    struct elfspec s = good();
    s.cls = ELFCLASS64;
    expect_fail(&s, "is a 64-bit ELF");
    s = good();
    s.machine = EM_X86_64;
    expect_fail(&s, "is an ELF for x86-64");
    s = good();
    s.machine = EM_AARCH64;
    expect_fail(&s, "AArch64");
    s = good();
    s.type = ET_DYN;
    expect_fail(&s, "not an executable ELF");
    s = good();
    s.no_mb = true;
    expect_fail(&s, "no Multiboot v1 header");
    s = good();
    s.bad_sum = true;
    expect_fail(&s, "bad checksum");
    s = good();
    s.mb_flags = 1u << 5; /* a requirement we don't know */
    expect_fail(&s, "requires features");
    s = good();
    s.entry = 0x200000;
    expect_fail(&s, "entry point 0x200000 is not inside any loaded segment");
}

static void test_segments_must_fit(void **st)
{
    (void)st;
    struct elfspec s = good();
    s.seg[1].paddr = s.seg[1].vaddr = MEM - 0x800; /* .bss runs past the end of RAM */
    expect_fail(&s, "does not fit in 4 MiB of guest RAM (--mem)");
    s = good();
    s.seg[0].paddr = s.seg[0].vaddr = 0x8000;
    s.entry = 0x8000;
    expect_fail(&s, "overlaps low memory");
    s = good();
    s.nseg = 0;
    s.pvh_entry = 0x100000; /* only a PT_NOTE */
    expect_fail(&s, "no loadable segment");
}

static void test_missing_module(void **st)
{
    (void)st;
    struct elfspec s = good();
    write_elf(&s);
    const char *mods[] = { "/nonexistent/mod.bin" };
    struct boot_info bi;
    struct x86_cpu cpu;
    assert_int_equal(loader_boot_multiboot(&ram, &cpu, path, "", mods, 1, &bi, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "cannot open module '/nonexistent/mod.bin'"));
}

/* More modules than the boot information has room for: an error, not a
 * guest that silently gets fewer than it was given. */
static void test_too_many_modules(void **st)
{
    (void)st;
    struct elfspec s = good();
    write_elf(&s);
    const char *mods[LOADER_MAX_MODULES + 1];
    for (int i = 0; i <= LOADER_MAX_MODULES; i++)
        mods[i] = path; /* any readable file will do */
    struct boot_info bi;
    struct x86_cpu cpu;
    assert_int_equal(
        loader_boot_multiboot(&ram, &cpu, path, "", mods, LOADER_MAX_MODULES, &bi, err, sizeof err),
        0);
    assert_int_equal(loader_boot_multiboot(&ram, &cpu, path, "", mods, LOADER_MAX_MODULES + 1, &bi,
                                           err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "too many modules"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_elf_multiboot_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pvh_note_recorded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_higher_half_entry_translated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_segments_must_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_module, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_modules, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
