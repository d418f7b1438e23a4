/*
 * debug_exit.h — the debug-exit port (0xF4): how a guest ends the VM.
 *
 * Like QEMU's isa-debug-exit device: a write of value v stops the VM.  Our
 * VMMs exit with v itself (as a process status, v & 0xff); QEMU exits with
 * (v << 1) | 1.  The teaching guest writes 0 for success.
 */
#ifndef DEVICES_DEBUG_EXIT_H
#define DEVICES_DEBUG_EXIT_H

#include <stdint.h>
#include <stdbool.h>

#define DEBUG_EXIT_PORT  0xF4
#define DEBUG_EXIT_PORTS 4 /* iosize=4 as in our QEMU command lines */

struct debug_exit {
    bool written; /* the guest asked to end the VM */
    uint32_t value;
};

void debug_exit_init(struct debug_exit *d);
void debug_exit_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value);

#endif
