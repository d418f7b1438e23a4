/*
 * loader.h — put a guest kernel into RAM and the vCPU into its boot state.
 *
 * The guest is an ELF32 i386 executable with a Multiboot v1 header (the
 * Multiboot Specification 0.6.96).  The loader does what a boot loader such
 * as GRUB does: copies the PT_LOAD segments to their physical addresses,
 * loads modules after the kernel, writes the Multiboot information
 * structure (memory size, memory map, command line, modules) into low
 * memory, and sets the CPU to the state of spec §3.2: 32-bit protected
 * mode, paging off, flat segments, EAX = 0x2BADB002, EBX = the info.
 *
 * The image's PVH entry (ELF note "Xen", type 18 = XEN_ELFNOTE_PHYS32_ENTRY,
 * as Linux, QEMU -M microvm and Firecracker use it) is found and recorded in
 * struct boot_info, so a later stage can boot through PVH instead: same flat
 * 32-bit state, but EBX points to a struct hvm_start_info (Xen's
 * arch-x86/hvm/start_info.h, magic 0x336ec578) rather than a Multiboot info.
 * Stage 01 boots through Multiboot.
 *
 * loader_boot() tells the image's kind by its content: a file with the PC
 * boot flag 0xAA55 at 0x1FE is a Linux kernel, booted through the Linux
 * 32-bit boot protocol (core/bzimage.h) with an optional --initrd; any
 * other file must be a Multiboot ELF.
 */
#ifndef CORE_LOADER_H
#define CORE_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/guest_ram.h"
#include "x86/cpu.h"

#define MB_HEADER_MAGIC       0x1BADB002u /* in the image, spec §3.1.1       */
#define MB_BOOTLOADER_MAGIC   0x2BADB002u /* in EAX at entry, spec §3.2      */
#define MB_SEARCH_BYTES       8192        /* the header must be in the first 8 KiB */
#define LOADER_LOW_MEM_END    0x100000u   /* below 1 MiB: reserved for boot data */
#define LOADER_INFO_ADDR      0x9000u     /* Multiboot info, then its strings    */
#define LOADER_INFO_END       0x10000u
#define LOADER_BOOT_STACK     0x8000u /* ESP at entry (spec: undefined)      */
#define LOADER_BOOT_GDT       0x8800u /* flat GDT the boot selectors refer to */
#define PVH_NOTE_PHYS32_ENTRY 18      /* XEN_ELFNOTE_PHYS32_ENTRY            */
#define LOADER_MAX_MODULES    8       /* Multiboot modules the loader places */

/* Multiboot information flags (spec §3.3). */
#define MBI_MEM         (1u << 0)
#define MBI_CMDLINE     (1u << 2)
#define MBI_MODS        (1u << 3)
#define MBI_MMAP        (1u << 6)
#define MBI_LOADER_NAME (1u << 9)

/* Selectors the loader uses for the flat segments (the spec leaves them to
 * the boot loader; GRUB uses these too).  The guest must load its own GDT
 * before reloading any segment register. */
#define LOADER_CS_SEL 0x08
#define LOADER_DS_SEL 0x10

struct boot_info {
    uint32_t entry; /* Multiboot entry (physical)                   */
    bool linux;     /* booted through the Linux boot protocol          */
    bool has_pvh;
    uint32_t pvh_entry; /* from the Xen PVH note, if has_pvh            */
    uint32_t mb_header_flags;
    uint32_t kernel_start; /* lowest and highest physical byte loaded + 1 */
    uint32_t kernel_end;
    uint32_t info_addr;   /* the Multiboot information structure          */
    uint32_t modules_end; /* first free byte after modules (page aligned) */
    int nsegments;
};

/* Validate the ELF at path and copy its segments into ram.  -1 and a
 * one-line reason in err (which names the file) on failure. */
int loader_load_elf(struct guest_ram *ram, const char *path, struct boot_info *bi, char *err,
                    size_t errlen);
/* Load modules after the kernel and write the Multiboot information. */
int loader_multiboot_info(struct guest_ram *ram, struct boot_info *bi, const char *cmdline,
                          const char *const *modules, int nmodules, char *err, size_t errlen);
/* The machine state at the Multiboot entry point (spec §3.2). */
void loader_multiboot_cpu(struct x86_cpu *cpu, const struct boot_info *bi);
/* All three. */
int loader_boot_multiboot(struct guest_ram *ram, struct x86_cpu *cpu, const char *path,
                          const char *cmdline, const char *const *modules, int nmodules,
                          struct boot_info *bi, char *err, size_t errlen);

/* Read a whole file; what names it in messages ("guest image").  NULL and
 * a one-line reason in err on failure; the caller frees the buffer. */
uint8_t *loader_read_file(const char *what, const char *path, size_t *len, char *err,
                          size_t errlen);
/* 32-bit protected mode, paging and interrupts off, flat 4 GiB segments:
 * CS = cs (execute/read), the others = ds (read/write), GDTR = gdt (the
 * caller writes the descriptors there), TR a busy TSS for VT-x; all
 * general registers 0. */
void loader_flat_cpu(struct x86_cpu *cpu, uint16_t cs, uint16_t ds, uint32_t gdt,
                     uint16_t gdt_limit);
/* Boot path by its content: a Linux bzImage (with initrd, or NULL) or a
 * Multiboot ELF (with modules).  An initrd for an ELF, or modules for a
 * bzImage, are refused. */
int loader_boot(struct guest_ram *ram, struct x86_cpu *cpu, const char *path, const char *cmdline,
                const char *const *modules, int nmodules, const char *initrd, struct boot_info *bi,
                char *err, size_t errlen);

#endif
