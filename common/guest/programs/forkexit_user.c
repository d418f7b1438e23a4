/* forkexit_user — the ring-3 half of `forkexit`: touch four fresh heap
 * pages (demand-zero faults), check they read back, exit with i & 0x3f
 * (0x40 set when a page came back wrong). */
#include "ulib.h"

#define PAGE 4096u

int forkexit_user(uint32_t i)
{
    uint32_t bad = 0;
    for (uint32_t k = 0; k < 4; k++) {
        volatile uint32_t *p = (volatile uint32_t *)(USER_HEAP_BASE + k * PAGE);
        bad += p[0] != 0;
        p[0] = i + k;
    }
    for (uint32_t k = 0; k < 4; k++)
        bad += ((volatile uint32_t *)(USER_HEAP_BASE + k * PAGE))[0] != i + k;
    return (int)((i & 0x3f) | (bad ? 0x40 : 0));
}
