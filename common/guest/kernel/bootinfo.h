/*
 * bootinfo.h — what the boot loader told us, in one protocol-neutral form.
 * bootinfo_parse() copies everything out of the loader's structures before
 * the frame allocator may reuse that memory.
 */
#ifndef GUEST_BOOTINFO_H
#define GUEST_BOOTINFO_H

#include <stdint.h>

#define MULTIBOOT_BOOT_MAGIC 0x2BADB002u /* EAX after a Multiboot v1 load */
#define PVH_START_MAGIC      0x336ec578u /* hvm_start_info.magic          */

#define BOOT_MAX_MODULES 4
#define BOOT_MAX_MEMMAP  32
#define BOOT_CMDLINE_MAX 256

struct boot_region {
    uint64_t base, len;
};
struct boot_module {
    uint32_t start, end;
}; /* physical [start, end) */

struct bootinfo {
    const char *protocol; /* "multiboot" or "pvh" */
    char cmdline[BOOT_CMDLINE_MAX];
    int nmem; /* usable RAM regions   */
    struct boot_region mem[BOOT_MAX_MEMMAP];
    int nmods;
    struct boot_module mods[BOOT_MAX_MODULES];
};

extern struct bootinfo bootinfo;

/* Fills `bootinfo`; returns 0, or -1 if `magic` is no known protocol. */
int bootinfo_parse(uint32_t magic, uint32_t info);
/* Total usable RAM in bytes. */
uint64_t bootinfo_ram(void);

#endif
