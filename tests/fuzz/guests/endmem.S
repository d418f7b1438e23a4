/* endmem.S — an ELF whose last segment ends exactly at the end of --mem 2M
 * (0x200000), linked by endmem.ld.  The entry jumps to the last 16 bytes of
 * RAM, which are code:
 *   (default)      nops, then "mov $0, %al; out %al, $0xf4" whose last
 *                  byte is the last byte of RAM: status 0
 *   -DOVER         the same, one byte later: the segment does not fit in
 *                  --mem 2M, so the loader refuses it (status 65)
 *   -DFALL_OFF     nops up to the end: the next fetch is outside RAM (70)
 */
#include "guest.inc"

    MULTIBOOT_HEADER
    .text
    .globl _start
_start:
    jmp tail

    .section .tail, "ax"
tail:
#if defined(FALL_OFF)
    .fill 16, 1, 0x90
#elif defined(OVER)
    .fill 13, 1, 0x90
    mov $0, %al
    out %al, $DEBUG_EXIT_PORT
#else
    .fill 12, 1, 0x90
    mov $0, %al
    out %al, $DEBUG_EXIT_PORT
#endif
