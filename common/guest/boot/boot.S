/*
 * boot.S — the first instructions of the teaching kernel.
 *
 * The same ELF image can be started by two boot protocols:
 *
 *  - Multiboot v1 (GRUB, `qemu-system-i386 -kernel`): the loader finds the
 *    header below in the first 8 KiB of the file, loads the ELF segments and
 *    jumps to the ELF entry point `_start` in 32-bit protected mode, paging
 *    off, with EAX = 0x2BADB002 and EBX = the Multiboot information
 *    structure (Multiboot Specification 0.6.96, §3.2).
 *
 *  - PVH (Xen's HVM direct boot ABI, used by `qemu -M microvm -kernel`,
 *    Firecracker, cloud-hypervisor): the loader finds the ELF note
 *    XEN_ELFNOTE_PHYS32_ENTRY (type 18) and jumps to the 32-bit address it
 *    holds, paging off, with EBX = the hvm_start_info structure
 *    (xen/include/public/arch-x86/hvm/start_info.h).
 *
 * Both paths clear .bss, set up a stack and call kmain(magic, info).
 */
#define MB_HEADER_MAGIC  0x1BADB002
#define MB_FLAGS         0x00000003   /* bit 0: page-align modules, bit 1: memory info */
#define PVH_MAGIC        0x336ec578

        .section .multiboot, "a"
        .align 4
mb_header:
        .long MB_HEADER_MAGIC
        .long MB_FLAGS
        .long -(MB_HEADER_MAGIC + MB_FLAGS)   /* the three words sum to 0 */

        /* ELF note: namesz, descsz, type, "Xen\0", 32-bit physical entry. */
        .section .note.Xen, "a", @note
        .align 4
        .long 4
        .long 4
        .long 18                              /* XEN_ELFNOTE_PHYS32_ENTRY */
        .asciz "Xen"
        .align 4
        .long pvh_start

        .section .boot.text, "ax"
        .code32
        .globl _start
_start:                                       /* Multiboot entry (ELF e_entry) */
        cli
        mov     %eax, %esi                    /* keep magic and info pointer  */
        mov     %ebx, %edi
        jmp     common_start

        .globl pvh_start
pvh_start:                                    /* PVH entry: EBX = start_info  */
        cli
        mov     $PVH_MAGIC, %esi
        mov     %ebx, %edi

common_start:
        cld
        /* Zero .bss (the boot stack lives there, so before using it). */
        mov     $__bss_start, %edx
        mov     $__bss_end, %ecx
        sub     %edx, %ecx
        shr     $2, %ecx
        mov     %edi, %ebx                    /* no stack yet: registers only */
        mov     %edx, %edi
        xor     %eax, %eax
        rep stosl
        mov     $boot_stack_top, %esp
        pushl   $0
        popfl                                 /* known EFLAGS: IF=0, DF=0     */
        push    %ebx                          /* info                         */
        push    %esi                          /* magic                        */
        call    kmain
1:      cli
        hlt
        jmp     1b

        .section .bss
        .align 4096
        .globl boot_stack, boot_stack_top
boot_stack:
        .skip 16384
boot_stack_top:
