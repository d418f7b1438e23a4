/*
 * iobus.c — address decoding for the port-I/O and MMIO buses.
 *
 * On the ISA bus every device decodes its own address range; here the bus
 * keeps a small table of ranges and dispatches an access to the one device
 * whose range contains the address.  Nobody answering a read is what a real
 * floating bus does: the data lines are pulled up, so the CPU reads all ones.
 */
#include "core/iobus.h"

int iobus_register(struct iobus *bus, uint64_t base, uint64_t len, io_handler_t handler, void *dev,
                   const char *name)
{
    if (len == 0 || base + len < base || !handler || bus->n >= IOBUS_MAX_RANGES)
        return -1;
    for (int i = 0; i < bus->n; i++) {
        const struct io_range *r = &bus->r[i];
        if (base < r->base + r->len && r->base < base + len)
            return -1; /* overlaps an existing range */
    }
    bus->r[bus->n++] = (struct io_range){ base, len, handler, dev, name };
    return 0;
}

const struct io_range *iobus_find(const struct iobus *bus, uint64_t addr)
{
    for (int i = 0; i < bus->n; i++)
        if (addr - bus->r[i].base < bus->r[i].len)
            return &bus->r[i];
    return 0;
}

bool iobus_access(struct iobus *bus, uint64_t addr, uint8_t size, bool is_write, uint32_t *value)
{
    const struct io_range *r = iobus_find(bus, addr);
    if (!r) {
        if (!is_write)
            *value = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
        return false;
    }
    r->handler(r->dev, addr - r->base, size, is_write, value);
    return true;
}
