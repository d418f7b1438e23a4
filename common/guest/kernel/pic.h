/* pic.h — the two cascaded 8259A interrupt controllers. */
#ifndef GUEST_PIC_H
#define GUEST_PIC_H

#include <stdint.h>

void pic_init(void); /* remap IRQ 0-15 to vectors 32-47, mask all */
void pic_unmask(int irq);
void pic_mask(int irq);
/* End of interrupt; returns 0 if `irq` was spurious (no EOI needed). */
int pic_eoi(int irq);

#endif
