/*
 * iobus.h — the two buses devices sit on: port I/O (64 Ki ports) and MMIO.
 *
 * A device registers a range and one handler; the VMM's exit handler for
 * "I/O instruction" (SDM reason 30) or an MMIO access looks the address up
 * here.  Reads of an unclaimed port return all ones, like a floating ISA bus.
 */
#ifndef CORE_IOBUS_H
#define CORE_IOBUS_H

#include <stdint.h>
#include <stdbool.h>

/* addr is the offset inside the device's range; size is 1, 2 or 4. */
typedef void (*io_handler_t)(void *dev, uint64_t offset, uint8_t size, bool is_write,
                             uint32_t *value);

struct io_range {
    uint64_t base, len;
    io_handler_t handler;
    void *dev;
    const char *name;
};

#define IOBUS_MAX_RANGES 32

struct iobus {
    struct io_range r[IOBUS_MAX_RANGES];
    int n;
};

/* 0 on success, -1 if it overlaps a range or the bus is full. */
int iobus_register(struct iobus *bus, uint64_t base, uint64_t len, io_handler_t handler, void *dev,
                   const char *name);
/* Dispatch an access; returns false if no device claims the address
 * (reads then give 0xffffffff masked to size). */
bool iobus_access(struct iobus *bus, uint64_t addr, uint8_t size, bool is_write, uint32_t *value);
const struct io_range *iobus_find(const struct iobus *bus, uint64_t addr);

#endif
