/*
 * bzimage.h — booting a Linux bzImage through the 32-bit boot protocol
 * (Documentation/arch/x86/boot.rst, "32-bit Boot Protocol"; the zero
 * page: Documentation/arch/x86/zero-page.rst).
 *
 * A bzImage is a real-mode setup (a boot sector, 0xAA55 at 0x1FE, and the
 * setup header whose magic "HdrS" is at 0x202) followed by the
 * protected-mode kernel (a decompressor and the compressed vmlinux) at
 * file offset (setup_sects + 1) * 512.  A 32-bit boot loader skips the
 * real-mode setup: it
 *   - zeroes a struct boot_params (the "zero page") in guest RAM and
 *     copies the setup header into it, from 0x1F1 to 0x202 + the byte at
 *     0x201 (the length the header's own short jump gives);
 *   - fills in what the setup code would have found out: the E820 memory
 *     map (the BIOS's INT 15h AX=E820h), and the loader's own fields:
 *     type_of_loader 0xFF (undefined loader), loadflags, cmd_line_ptr,
 *     ramdisk_image/ramdisk_size, hardware_subarch 0 (a PC);
 *   - loads the protected-mode kernel at code32_start (0x100000);
 *   - enters it at code32_start in 32-bit protected mode, paging off,
 *     interrupts off, with a GDT whose __BOOT_CS (0x10) and __BOOT_DS
 *     (0x18) are flat 4 GiB code and data, CS = 0x10, DS = ES = SS = 0x18,
 *     ESI = the zero page, EBP = EDI = EBX = 0.
 *
 * The decompressor then moves itself and unpacks vmlinux at
 * max(code32_start aligned to kernel_alignment, pref_address) (a
 * relocatable kernel; pref_address otherwise), using init_size bytes from
 * there: the image needs RAM up to that address + init_size.  The initrd
 * goes as high as RAM and initrd_addr_max allow, above all of that.
 *
 * Guest-physical layout below 1 MiB: the GDT at BZ_GDT_ADDR, the zero page
 * at BZ_ZERO_PAGE, the command line at BZ_CMDLINE_ADDR.  The E820 map
 * reserves the EBDA (0x9FC00-0x9FFFF) and the BIOS area (0xE0000-0xFFFFF)
 * for firmware tables (MP, ACPI) and leaves 0xA0000-0xDFFFF (VGA, option
 * ROMs) out, as a PC BIOS does.
 */
#ifndef CORE_BZIMAGE_H
#define CORE_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/guest_ram.h"
#include "core/loader.h"
#include "x86/cpu.h"

/* Where things go in guest RAM. */
#define BZ_GDT_ADDR     0x8800u  /* 4 descriptors: null, null, __BOOT_CS, __BOOT_DS */
#define BZ_ZERO_PAGE    0x10000u /* struct boot_params, 4 KiB                        */
#define BZ_CMDLINE_ADDR 0x20000u /* the kernel command line                          */
#define BZ_CMDLINE_MAX  0x10000u /* room for it there                                */
#define BZ_BOOT_STACK   0x8000u  /* ESP at entry (the protocol does not need one)    */

#define BZ_BOOT_CS 0x10 /* __BOOT_CS, arch/x86/include/asm/segment.h */
#define BZ_BOOT_DS 0x18 /* __BOOT_DS                                  */

/* Offsets in the image and in struct boot_params (boot.rst, "The Real-Mode
 * Kernel Header"; zero-page.rst). */
#define BP_E820_ENTRIES    0x1E8 /* u8                                         */
#define BP_HDR             0x1F1 /* the setup header starts here               */
#define BP_SETUP_SECTS     0x1F1 /* u8; 0 means 4                              */
#define BP_BOOT_FLAG       0x1FE /* u16, 0xAA55                                */
#define BP_JUMP            0x200 /* u16: a short jump over the header          */
#define BP_HEADER          0x202 /* u32, "HdrS"                                */
#define BP_VERSION         0x206 /* u16, protocol version (0x020F = 2.15)      */
#define BP_TYPE_OF_LOADER  0x210 /* u8                                         */
#define BP_LOADFLAGS       0x211 /* u8                                         */
#define BP_CODE32_START    0x214 /* u32                                        */
#define BP_RAMDISK_IMAGE   0x218 /* u32                                        */
#define BP_RAMDISK_SIZE    0x21C /* u32                                        */
#define BP_CMD_LINE_PTR    0x228 /* u32                                        */
#define BP_INITRD_ADDR_MAX 0x22C /* u32, highest address the initrd may touch  */
#define BP_KERNEL_ALIGN    0x230 /* u32                                        */
#define BP_RELOCATABLE     0x234 /* u8                                         */
#define BP_CMDLINE_SIZE    0x238 /* u32, longest command line (no NUL)         */
#define BP_HW_SUBARCH      0x23C /* u32, 0 = X86_SUBARCH_PC                    */
#define BP_PREF_ADDRESS    0x258 /* u64 (protocol 2.10)                        */
#define BP_INIT_SIZE       0x260 /* u32 (protocol 2.10)                        */
#define BP_E820_TABLE      0x2D0 /* 128 x struct boot_e820_entry               */
#define BP_E820_MAX        128

#define BZ_BOOT_FLAG   0xAA55u
#define BZ_HDRS_MAGIC  0x53726448u /* "HdrS" */
#define BZ_MIN_VERSION 0x0206u     /* cmdline_size (2.06)                  */
#define BZ_LOADED_HIGH 0x01u       /* loadflags: a bzImage, loaded at 1 MiB */
#define BZ_LOADER_FLAGS \
    0xE0u                       /* loadflags the loader sets: CAN_USE_HEAP,
                                   KEEP_SEGMENTS, QUIET (we set none)     */
#define BZ_TYPE_UNDEFINED 0xFFu /* type_of_loader: "undefined" boot loader */

#define E820_RAM      1
#define E820_RESERVED 2

/* What the loader did (for tests, the visualizer and later stages). */
struct bzimage_info {
    uint16_t version;       /* boot protocol, e.g. 0x020F     */
    uint32_t code32_start;  /* where the 32-bit kernel is     */
    uint32_t pm_size;       /* its size                       */
    uint32_t runtime_start; /* where it will decompress to    */
    uint32_t init_size;     /* and the memory it needs there  */
    uint32_t initrd_addr;   /* 0 if no initrd                 */
    uint32_t initrd_size;
    int e820_entries;
};

/* Is this the start of a Linux kernel image (a boot sector: 0xAA55 at
 * 0x1FE; a bzImage also has "HdrS" at 0x202)?  The loader dispatches on
 * this: such a file is refused with a Linux reason, never as "not an ELF". */
bool bzimage_detect(const uint8_t *img, size_t len);

/* Load the bzImage img (named name in messages) with the command line and
 * initrd (initrd NULL: none) into ram, and set cpu to the protocol's entry
 * state.  0, or -1 with a one-line reason in err. */
int bzimage_load(struct guest_ram *ram, struct x86_cpu *cpu, const uint8_t *img, size_t len,
                 const char *name, const char *cmdline, const uint8_t *initrd, size_t initrd_len,
                 const char *initrd_name, struct bzimage_info *out, char *err, size_t errlen);

/* The same from files (initrd_path NULL: none); fills bi's generic fields
 * (entry, kernel range, info_addr = the zero page). */
int bzimage_boot(struct guest_ram *ram, struct x86_cpu *cpu, const char *path, const char *cmdline,
                 const char *initrd_path, struct boot_info *bi, char *err, size_t errlen);

#endif
