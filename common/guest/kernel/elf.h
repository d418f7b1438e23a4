/* elf.h — loading a user-supplied ELF32 i386 executable (a boot module). */
#ifndef GUEST_ELF_H
#define GUEST_ELF_H

#include <stdint.h>

/* Check the image at physical [start, end) and load it into a new address
 * space.  On success returns 0 and sets *cr3 and *entry; on failure returns
 * -1 and writes a short reason ("bad magic", ...) into why[len]. */
int elf_load(uint32_t start, uint32_t end, uint32_t *cr3, uint32_t *entry, char *why, uint32_t len);

#endif
