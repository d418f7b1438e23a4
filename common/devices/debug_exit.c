/*
 * debug_exit.c — port 0xF4: a write ends the VM with the value written.
 * The run loop notices d->written (vm_stop_requested) and stops.
 */
#include "devices/debug_exit.h"

void debug_exit_init(struct debug_exit *d)
{
    d->written = false;
    d->value = 0;
}

void debug_exit_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    struct debug_exit *d = dev;
    (void)offset;
    if (!is_write) { /* nothing to read: a floating bus */
        *value = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
        return;
    }
    if (!d->written) { /* the first request wins */
        d->written = true;
        d->value = size >= 4 ? *value : *value & ((1u << (8 * size)) - 1);
    }
}
