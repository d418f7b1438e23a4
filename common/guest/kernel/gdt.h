/* gdt.h — segment descriptors and the TSS (SDM Vol. 3A §3.4.5, §7.2). */
#ifndef GUEST_GDT_H
#define GUEST_GDT_H

#include <stdint.h>

void gdt_init(void);
/* The kernel stack the CPU switches to on an interrupt from ring 3. */
void tss_set_esp0(uint32_t esp0);

#endif
