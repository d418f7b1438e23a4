/*
 * loader.c — ELF32 + Multiboot v1 loading (Multiboot Specification 0.6.96;
 * ELF: System V ABI, Intel386 supplement).
 *
 * Every check produces a sentence that names the file and says what is
 * wrong in terms a student can act on ("is a 64-bit ELF", "does not fit in
 * 64 MiB of guest RAM (--mem)"), because a wrong file is the most common
 * first mistake.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/bzimage.h"
#include "core/loader.h"
#include "x86/fpu.h"

#define MAX_IMAGE_BYTES (512u << 20)

/* Read a whole file (guest kernels and modules are small). */
uint8_t *loader_read_file(const char *what, const char *path, size_t *len, char *err, size_t errlen)
{
    /* O_NONBLOCK: opening a FIFO for reading blocks until a writer comes,
     * so `vmm --module some-fifo` hung before it could say "not a regular
     * file" (found by tests/fuzz).  It changes nothing for a regular file. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s '%s': %s", what, path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s '%s' is not a regular file", what, path);
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s '%s': %s", what, path, strerror(errno));
        close(fd);
        return NULL;
    }
    if ((uint64_t)st.st_size > MAX_IMAGE_BYTES) {
        snprintf(err, errlen, "%s '%s' is too large (%lld bytes)", what, path,
                 (long long)st.st_size);
        fclose(f);
        return NULL;
    }
    uint8_t *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        snprintf(err, errlen, "cannot read %s '%s'", what, path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)st.st_size;
    return buf;
}

static const char *machine_name(unsigned m)
{
    switch (m) {
    case EM_X86_64: return "x86-64";
    case EM_ARM: return "ARM";
    case EM_AARCH64: return "AArch64";
    case EM_RISCV: return "RISC-V";
    case EM_MIPS: return "MIPS";
    case EM_PPC: return "PowerPC";
    default: return "another machine";
    }
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Find the Multiboot header: 4-byte aligned, within the first 8 KiB (§3.1). */
static int find_multiboot_header(const uint8_t *img, size_t len, const char *path,
                                 struct boot_info *bi, char *err, size_t errlen)
{
    size_t lim = len < MB_SEARCH_BYTES ? len : MB_SEARCH_BYTES;
    for (size_t off = 0; off + 12 <= lim; off += 4) {
        if (rd32(img + off) != MB_HEADER_MAGIC)
            continue;
        uint32_t flags = rd32(img + off + 4), sum = rd32(img + off + 8);
        if ((uint32_t)(MB_HEADER_MAGIC + flags + sum) != 0) {
            snprintf(err, errlen,
                     "'%s': Multiboot header at offset 0x%zx has a bad checksum "
                     "(magic + flags + checksum must be 0)",
                     path, off);
            return -1;
        }
        /* Bits 0-15 are requirements a boot loader must refuse if it cannot
         * meet them (§3.1.2); we meet 0 (page-aligned modules), 1 (memory
         * info) and ignore 2 (video mode: we have no display). */
        uint32_t unknown = flags & 0xfff8;
        if (unknown) {
            snprintf(err, errlen,
                     "'%s': Multiboot header requires features 0x%x this "
                     "loader does not provide",
                     path, unknown);
            return -1;
        }
        bi->mb_header_flags = flags;
        return 0;
    }
    snprintf(err, errlen,
             "'%s' has no Multiboot v1 header (magic 0x1BADB002 in its first "
             "8 KiB), so it cannot be booted",
             path);
    return -1;
}

/* Look for the PVH entry note: name "Xen", type 18, a 32-bit address. */
static void find_pvh_note(const uint8_t *img, size_t len, const Elf32_Phdr *ph,
                          struct boot_info *bi)
{
    if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
        return;
    const uint8_t *p = img + ph->p_offset, *end = p + ph->p_filesz;
    while (end - p >= 12) {
        uint32_t namesz = rd32(p), descsz = rd32(p + 4), type = rd32(p + 8);
        const uint8_t *name = p + 12;
        const uint8_t *desc = name + ((namesz + 3) & ~3u);
        if (namesz > (size_t)(end - name) || desc > end || descsz > (size_t)(end - desc))
            return;
        if (namesz == 4 && memcmp(name, "Xen", 4) == 0 && type == PVH_NOTE_PHYS32_ENTRY &&
            descsz >= 4) {
            bi->has_pvh = true;
            bi->pvh_entry = rd32(desc);
        }
        p = desc + ((descsz + 3) & ~3u);
    }
}

/* The ELF header (System V ABI, "ELF Header" and "ELF Identification";
 * Intel386 supplement: ELFCLASS32, ELFDATA2LSB, EM_386): a 32-bit
 * little-endian i386 executable whose program header table lies inside
 * the file.  Each refusal says what the file is instead. */
static int check_elf_header(const uint8_t *img, size_t len, const char *path, char *err,
                            size_t errlen)
{
    const Elf32_Ehdr *eh = (const Elf32_Ehdr *)img;
    if (len < SELFMAG || memcmp(img, ELFMAG, SELFMAG) != 0) {
        snprintf(err, errlen, "'%s' is not an ELF file (it does not start with \\x7fELF)", path);
        return -1;
    }
    if (len < EI_NIDENT || img[EI_CLASS] != ELFCLASS32) {
        if (len >= EI_NIDENT && img[EI_CLASS] == ELFCLASS64)
            snprintf(err, errlen,
                     "'%s' is a 64-bit ELF; the guest must be a 32-bit i386 ELF "
                     "(ELFCLASS32, built with -m32)",
                     path);
        else
            snprintf(err, errlen, "'%s' has an unknown ELF class", path);
        return -1;
    }
    if (len < sizeof *eh) {
        snprintf(err, errlen, "'%s' is truncated (shorter than an ELF header)", path);
        return -1;
    }
    if (img[EI_DATA] != ELFDATA2LSB) {
        snprintf(err, errlen, "'%s' is a big-endian ELF; i386 is little-endian", path);
        return -1;
    }
    if (eh->e_machine != EM_386) {
        snprintf(err, errlen, "'%s' is an ELF for %s (e_machine %u), not i386 (EM_386)", path,
                 machine_name(eh->e_machine), eh->e_machine);
        return -1;
    }
    if (eh->e_type != ET_EXEC) {
        snprintf(err, errlen,
                 "'%s' is not an executable ELF (e_type %u%s); link the guest "
                 "with -static -no-pie at a fixed address",
                 path, eh->e_type,
                 eh->e_type == ET_DYN   ? ", a shared object or PIE"
                 : eh->e_type == ET_REL ? ", an object file"
                                        : "");
        return -1;
    }
    if (eh->e_phentsize != sizeof(Elf32_Phdr) || eh->e_phnum == 0 || eh->e_phoff > len ||
        (size_t)eh->e_phnum * sizeof(Elf32_Phdr) > len - eh->e_phoff) {
        snprintf(err, errlen, "'%s': program header table is missing or outside the file", path);
        return -1;
    }
    return 0;
}

/* Pass 1 over the program headers (System V ABI, "Program Header"):
 * check every PT_LOAD segment before touching RAM — its bytes inside the
 * file, p_filesz <= p_memsz, its physical range (p_paddr, where a boot
 * loader puts it) at or above 1 MiB and inside guest RAM — and record the
 * lowest and highest byte loaded.  PT_NOTE segments are searched for the
 * PVH entry on the way. */
static int check_segments(const struct guest_ram *ram, const uint8_t *img, size_t len,
                          const char *path, const Elf32_Phdr *ph, int phnum, struct boot_info *bi,
                          uint64_t *lo_out, uint64_t *hi_out, char *err, size_t errlen)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < phnum; i++) {
        const Elf32_Phdr *p = &ph[i];
        if (p->p_type == PT_NOTE)
            find_pvh_note(img, len, p, bi);
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        uint64_t start = p->p_paddr, end = start + p->p_memsz;
        if (p->p_filesz > p->p_memsz || p->p_offset > len || p->p_filesz > len - p->p_offset) {
            snprintf(err, errlen, "'%s': segment %d lies outside the file (truncated image?)", path,
                     i);
            return -1;
        }
        if (start < LOADER_LOW_MEM_END) {
            snprintf(err, errlen,
                     "'%s': segment %d at 0x%llx overlaps low memory (below 1 MiB, "
                     "reserved for boot data); link the kernel at 1 MiB or above",
                     path, i, (unsigned long long)start);
            return -1;
        }
        if (end > ram->size) {
            snprintf(err, errlen,
                     "'%s': segment %d [0x%llx-0x%llx) does not fit in %llu MiB "
                     "of guest RAM (--mem)",
                     path, i, (unsigned long long)start, (unsigned long long)end,
                     (unsigned long long)(ram->size >> 20));
            return -1;
        }
        if (start < lo)
            lo = start;
        if (end > hi)
            hi = end;
        bi->nsegments++;
    }
    if (bi->nsegments == 0) {
        snprintf(err, errlen, "'%s' has no loadable segment (PT_LOAD)", path);
        return -1;
    }
    *lo_out = lo;
    *hi_out = hi;
    return 0;
}

/* The entry point is a virtual address (e_entry); for a kernel linked where
 * it is loaded (vaddr == paddr) it is also physical.  Otherwise translate
 * it through the PT_LOAD segment that contains it, as GRUB does: Multiboot
 * §3.2 enters the kernel with paging off. */
static int physical_entry(const Elf32_Ehdr *eh, const Elf32_Phdr *ph, const char *path,
                          struct boot_info *bi, char *err, size_t errlen)
{
    bi->entry = eh->e_entry;
    for (int i = 0; i < eh->e_phnum; i++) {
        const Elf32_Phdr *p = &ph[i];
        if (p->p_type != PT_LOAD)
            continue;
        if (eh->e_entry - p->p_paddr < p->p_memsz)
            return 0;
        if (eh->e_entry - p->p_vaddr < p->p_memsz) {
            bi->entry = eh->e_entry - p->p_vaddr + p->p_paddr;
            return 0;
        }
    }
    snprintf(err, errlen, "'%s': entry point 0x%x is not inside any loaded segment", path,
             eh->e_entry);
    return -1;
}

/* Pass 2: copy each checked PT_LOAD segment to its physical address; the
 * p_memsz - p_filesz bytes past the file's are zero (.bss; System V ABI,
 * "Program Header"). */
static void copy_segments(struct guest_ram *ram, const uint8_t *img, const Elf32_Phdr *ph,
                          int phnum)
{
    for (int i = 0; i < phnum; i++) {
        const Elf32_Phdr *p = &ph[i];
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        uint8_t *dst = gpa_to_hva(ram, p->p_paddr, p->p_memsz);
        memcpy(dst, img + p->p_offset, p->p_filesz);
        memset(dst + p->p_filesz, 0, p->p_memsz - p->p_filesz); /* .bss */
    }
}

int loader_load_elf(struct guest_ram *ram, const char *path, struct boot_info *bi, char *err,
                    size_t errlen)
{
    size_t len;
    memset(bi, 0, sizeof *bi);
    uint8_t *img = loader_read_file("guest image", path, &len, err, errlen);
    if (!img)
        return -1;
    int rc = -1;
    const Elf32_Ehdr *eh = (const Elf32_Ehdr *)img;
    Elf32_Phdr *ph = NULL;

    if (check_elf_header(img, len, path, err, errlen) < 0 ||
        find_multiboot_header(img, len, path, bi, err, errlen) < 0)
        goto out;
    /* A copy of the program headers: e_phoff need not be a multiple of 4,
     * and reading an Elf32_Phdr in place at an odd offset is undefined
     * behaviour in C (C11 §6.3.2.3p7; found by tests/fuzz). */
    ph = malloc((size_t)eh->e_phnum * sizeof *ph);
    if (!ph) {
        snprintf(err, errlen, "'%s': out of memory for %u program headers", path, eh->e_phnum);
        goto out;
    }
    memcpy(ph, img + eh->e_phoff, (size_t)eh->e_phnum * sizeof *ph);
    uint64_t lo, hi;
    if (check_segments(ram, img, len, path, ph, eh->e_phnum, bi, &lo, &hi, err, errlen) < 0 ||
        physical_entry(eh, ph, path, bi, err, errlen) < 0)
        goto out;
    copy_segments(ram, img, ph, eh->e_phnum);
    bi->kernel_start = (uint32_t)lo;
    bi->kernel_end = (uint32_t)hi;
    rc = 0;
out:
    free(ph);
    free(img);
    return rc;
}

/* A bump allocator for the strings and tables in the low-memory info area. */
struct info_area {
    struct guest_ram *ram;
    uint32_t next;
};

static uint32_t info_put(struct info_area *a, const void *data, uint32_t len, uint32_t align)
{
    uint32_t at = (a->next + align - 1) & ~(align - 1);
    if (at + len > LOADER_INFO_END)
        return 0;
    memcpy(gpa_to_hva(a->ram, at, len), data, len);
    a->next = at + len;
    return at;
}

/* Multiboot information structure, spec §3.3 (only the fields we fill). */
struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
    uint32_t boot_loader_name, apm_table;
    uint32_t vbe[6];
};
struct mb_mmap_entry { /* "size" counts the bytes after itself */
    uint32_t size;
    uint64_t base, length;
    uint32_t type; /* 1 = available RAM, 2 = reserved */
} __attribute__((packed));
struct mb_module {
    uint32_t mod_start, mod_end, string, reserved;
};

/* Modules: each file copied page-aligned after the kernel (header flag bit
 * 0, Multiboot §3.1.2) and described by a struct mb_module (mod_start,
 * mod_end, its name as the string; §3.3).  Sets bi->modules_end. */
static int load_modules(struct guest_ram *ram, struct info_area *a, struct boot_info *bi,
                        const char *const *modules, int nmodules, struct mb_module *mods, char *err,
                        size_t errlen)
{
    uint32_t at = (bi->kernel_end + 0xfff) & ~0xfffu;
    if (nmodules > LOADER_MAX_MODULES) {
        snprintf(err, errlen, "too many modules (%d; this loader places at most %d)", nmodules,
                 LOADER_MAX_MODULES);
        return -1;
    }
    for (int i = 0; i < nmodules; i++) {
        size_t len;
        uint8_t *data = loader_read_file("module", modules[i], &len, err, errlen);
        if (!data)
            return -1;
        void *dst = gpa_to_hva(ram, at, len);
        if (!dst) {
            snprintf(err, errlen,
                     "module '%s' (%zu bytes) does not fit in %llu MiB of guest "
                     "RAM after the kernel (--mem)",
                     modules[i], len, (unsigned long long)(ram->size >> 20));
            free(data);
            return -1;
        }
        memcpy(dst, data, len);
        free(data);
        mods[i].mod_start = at;
        mods[i].mod_end = at + (uint32_t)len;
        mods[i].string = info_put(a, modules[i], (uint32_t)strlen(modules[i]) + 1, 1);
        if (!mods[i].string) {
            snprintf(err, errlen, "module name '%s' does not fit in the boot information",
                     modules[i]);
            return -1;
        }
        at = (at + (uint32_t)len + 0xfff) & ~0xfffu;
    }
    bi->modules_end = at;
    return 0;
}

/* The Multiboot information structure (§3.3) at LOADER_INFO_ADDR, its
 * memory map, strings and module table after it in the info area. */
int loader_multiboot_info(struct guest_ram *ram, struct boot_info *bi, const char *cmdline,
                          const char *const *modules, int nmodules, char *err, size_t errlen)
{
    struct mb_info mbi = { 0 };
    struct info_area a = { ram, LOADER_INFO_ADDR + sizeof mbi };
    memset(gpa_to_hva(ram, LOADER_INFO_ADDR, LOADER_INFO_END - LOADER_INFO_ADDR), 0,
           LOADER_INFO_END - LOADER_INFO_ADDR);

    /* Memory: 640 KiB conventional, the rest above 1 MiB; the memory map
     * says the same plus the reserved VGA/BIOS hole (as a PC BIOS's E820). */
    mbi.flags = MBI_MEM | MBI_MMAP | MBI_CMDLINE | MBI_LOADER_NAME;
    mbi.mem_lower = 640;
    mbi.mem_upper = (uint32_t)((ram->size - LOADER_LOW_MEM_END) >> 10);
    struct mb_mmap_entry map[3] = {
        { 20, 0, 0x9fc00, 1 },
        { 20, 0x9fc00, LOADER_LOW_MEM_END - 0x9fc00, 2 },
        { 20, LOADER_LOW_MEM_END, ram->size - LOADER_LOW_MEM_END, 1 },
    };
    mbi.mmap_addr = info_put(&a, map, sizeof map, 8);
    mbi.mmap_length = sizeof map;
    mbi.boot_loader_name = info_put(&a, "vmlab", 6, 1);
    mbi.cmdline =
        info_put(&a, cmdline ? cmdline : "", (uint32_t)strlen(cmdline ? cmdline : "") + 1, 1);
    if (!mbi.cmdline) {
        snprintf(err, errlen, "guest command line is too long (%zu bytes; about %u fit)",
                 strlen(cmdline), LOADER_INFO_END - LOADER_INFO_ADDR - 512);
        return -1;
    }

    struct mb_module mods[LOADER_MAX_MODULES] = { { 0 } };
    if (load_modules(ram, &a, bi, modules, nmodules, mods, err, errlen) < 0)
        return -1;
    if (nmodules > 0) {
        mbi.flags |= MBI_MODS;
        mbi.mods_count = (uint32_t)nmodules;
        mbi.mods_addr = info_put(&a, mods, (uint32_t)(nmodules * sizeof mods[0]), 16);
    }
    memcpy(gpa_to_hva(ram, LOADER_INFO_ADDR, sizeof mbi), &mbi, sizeof mbi);
    bi->info_addr = LOADER_INFO_ADDR;
    return 0;
}

static void flat_seg(struct x86_seg *s, uint16_t sel, uint16_t type)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffff;
    /* type | S (code/data) | DPL 0 | P, then D/B = 32-bit and G = 4 KiB units. */
    s->attr = (uint16_t)(type | 0x10 | 0x80 | 0x400 | 0x800); /* x86/cpu.h layout */
}

void loader_flat_cpu(struct x86_cpu *cpu, uint16_t cs, uint16_t ds, uint32_t gdt,
                     uint16_t gdt_limit)
{
    memset(cpu, 0, sizeof *cpu);
    cpu->eflags = FL_FIXED1;            /* IF = 0, VM = 0 */
    cpu->cr0 = CR0_PE;                  /* protected mode, paging off */
    fpu_reset(&cpu->fpu);               /* x87 and MXCSR as after RESET */
    flat_seg(&cpu->seg[S_CS], cs, 0xb); /* execute/read, accessed */
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            flat_seg(&cpu->seg[s], ds, 0x3); /* read/write, accessed */
    /* TR must be a usable 32-bit TSS for a VT-x VM entry (SDM §27.3.1.2);
     * LDTR is unusable (null). */
    cpu->tr.limit = 0xffff;
    cpu->tr.attr = 0x8b; /* busy 32-bit TSS, present */
    cpu->ldtr.attr = 0;
    /* A real flat GDT lies behind the selectors (written by the caller),
     * so the descriptor caches match memory: an engine that re-reads
     * descriptors (KVM's PVM back end does) sees the same segments. */
    cpu->gdtr.base = gdt;
    cpu->gdtr.limit = gdt_limit;
    cpu->idtr.limit = 0x3ff;
}

void loader_multiboot_cpu(struct x86_cpu *cpu, const struct boot_info *bi)
{
    /* Multiboot leaves GDTR undefined; like GRUB we leave a real GDT. */
    loader_flat_cpu(cpu, LOADER_CS_SEL, LOADER_DS_SEL, LOADER_BOOT_GDT, 3 * 8 - 1);
    cpu->gpr[R_EAX] = MB_BOOTLOADER_MAGIC;
    cpu->gpr[R_EBX] = bi->info_addr;
    cpu->gpr[R_ESP] = LOADER_BOOT_STACK;
    cpu->eip = bi->entry;
}

/* The boot GDT: null, flat 32-bit code (0x08), flat data (0x10), with the
 * accessed bit set (SDM Vol. 3A §3.4.5). */
static void write_boot_gdt(struct guest_ram *ram)
{
    static const uint64_t gdt[3] = { 0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull };
    memcpy(gpa_to_hva(ram, LOADER_BOOT_GDT, sizeof gdt), gdt, sizeof gdt);
}

int loader_boot_multiboot(struct guest_ram *ram, struct x86_cpu *cpu, const char *path,
                          const char *cmdline, const char *const *modules, int nmodules,
                          struct boot_info *bi, char *err, size_t errlen)
{
    if (loader_load_elf(ram, path, bi, err, errlen) < 0)
        return -1;
    if (loader_multiboot_info(ram, bi, cmdline, modules, nmodules, err, errlen) < 0)
        return -1;
    write_boot_gdt(ram);
    loader_multiboot_cpu(cpu, bi);
    return 0;
}

/* The first bytes of a file, to tell a Linux bzImage from an ELF by
 * content (a renamed file boots the same). */
static bool file_is_bzimage(const char *path)
{
    uint8_t head[BP_BOOT_FLAG + 2];
    FILE *f = fopen(path, "rbe");
    if (!f)
        return false; /* loader_read_file will say why */
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return bzimage_detect(head, n);
}

int loader_boot(struct guest_ram *ram, struct x86_cpu *cpu, const char *path, const char *cmdline,
                const char *const *modules, int nmodules, const char *initrd, struct boot_info *bi,
                char *err, size_t errlen)
{
    struct stat st;
    bool linux = stat(path, &st) == 0 && S_ISREG(st.st_mode) && file_is_bzimage(path);
    if (linux && nmodules > 0) {
        snprintf(err, errlen,
                 "'%s' is a Linux bzImage: it takes an --initrd FILE, not Multiboot --module",
                 path);
        return -1;
    }
    if (linux) {
        int rc = bzimage_boot(ram, cpu, path, cmdline, initrd, bi, err, errlen);
        bi->linux = rc == 0;
        return rc;
    }
    if (initrd) {
        snprintf(err, errlen,
                 "--initrd is for a Linux bzImage; '%s' is not one (a Multiboot kernel takes "
                 "--module FILE)",
                 path);
        return -1;
    }
    return loader_boot_multiboot(ram, cpu, path, cmdline, modules, nmodules, bi, err, errlen);
}
