/*
 * bootinfo.c — read the Multiboot v1 information structure or the PVH
 * hvm_start_info structure.  Runs before paging, so the physical addresses
 * the loader hands us are directly usable as pointers.
 */
#include "bootinfo.h"

struct bootinfo bootinfo;

/* Multiboot Specification 0.6.96, §3.3. */
struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
};
#define MB_INFO_MEM     (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS    (1u << 3)
#define MB_INFO_MMAP    (1u << 6)
struct mb_module {
    uint32_t mod_start, mod_end, string, reserved;
};
struct mb_mmap {
    uint32_t size;
    uint64_t addr, len;
    uint32_t type;
} __attribute__((packed));

/* xen/include/public/arch-x86/hvm/start_info.h */
struct hvm_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
    uint64_t memmap_paddr; /* version >= 1 */
    uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};
struct hvm_memmap_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};

#define E820_RAM 1

static void copy_cmdline(uint32_t paddr)
{
    const char *s = (const char *)paddr;
    int i = 0;
    if (paddr)
        for (; s[i] && i < BOOT_CMDLINE_MAX - 1; i++)
            bootinfo.cmdline[i] = s[i];
    bootinfo.cmdline[i] = '\0';
}

static void add_ram(uint64_t base, uint64_t len)
{
    if (len && bootinfo.nmem < BOOT_MAX_MEMMAP)
        bootinfo.mem[bootinfo.nmem++] = (struct boot_region){ base, len };
}

static void add_module(uint64_t start, uint64_t end)
{
    if (bootinfo.nmods < BOOT_MAX_MODULES && end <= 0xFFFFFFFFull && start <= end)
        bootinfo.mods[bootinfo.nmods++] = (struct boot_module){ (uint32_t)start, (uint32_t)end };
}

static void parse_multiboot(const struct mb_info *mbi)
{
    bootinfo.protocol = "multiboot";
    if (mbi->flags & MB_INFO_CMDLINE)
        copy_cmdline(mbi->cmdline);
    if (mbi->flags & MB_INFO_MODS) {
        const struct mb_module *m = (const void *)mbi->mods_addr;
        for (uint32_t i = 0; i < mbi->mods_count; i++)
            add_module(m[i].mod_start, m[i].mod_end);
    }
    if (mbi->flags & MB_INFO_MMAP) {
        uint32_t p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
        while (p < end) {
            const struct mb_mmap *e = (const void *)p;
            if (e->type == E820_RAM)
                add_ram(e->addr, e->len);
            p += e->size + 4;
        }
    }
    if (!bootinfo.nmem && (mbi->flags & MB_INFO_MEM)) {
        add_ram(0, (uint64_t)mbi->mem_lower * 1024);
        add_ram(0x100000, (uint64_t)mbi->mem_upper * 1024); /* KiB above 1 MiB */
    }
}

static void parse_pvh(const struct hvm_start_info *si)
{
    bootinfo.protocol = "pvh";
    copy_cmdline((uint32_t)si->cmdline_paddr);
    const struct hvm_modlist_entry *m = (const void *)(uint32_t)si->modlist_paddr;
    for (uint32_t i = 0; si->modlist_paddr && i < si->nr_modules; i++)
        add_module(m[i].paddr, m[i].paddr + m[i].size);
    if (si->version >= 1 && si->memmap_paddr) {
        const struct hvm_memmap_entry *e = (const void *)(uint32_t)si->memmap_paddr;
        for (uint32_t i = 0; i < si->memmap_entries; i++)
            if (e[i].type == E820_RAM)
                add_ram(e[i].addr, e[i].size);
    }
    if (!bootinfo.nmem) /* no map: assume a modest 16 MiB */
        add_ram(0x100000, 15 << 20);
}

int bootinfo_parse(uint32_t magic, uint32_t info)
{
    if (magic == MULTIBOOT_BOOT_MAGIC) {
        parse_multiboot((const struct mb_info *)info);
        return 0;
    }
    if (magic == PVH_START_MAGIC &&
        ((const struct hvm_start_info *)info)->magic == PVH_START_MAGIC) {
        parse_pvh((const struct hvm_start_info *)info);
        return 0;
    }
    bootinfo.protocol = "unknown";
    return -1;
}

uint64_t bootinfo_ram(void)
{
    uint64_t total = 0;
    for (int i = 0; i < bootinfo.nmem; i++)
        total += bootinfo.mem[i].len;
    return total;
}
