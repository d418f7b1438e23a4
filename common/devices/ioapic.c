/*
 * ioapic.c — the 82093AA I/O APIC (see ioapic.h).
 */
#include <string.h>
#include "devices/ioapic.h"

enum { R_ID = 0x00, R_VER = 0x01, R_ARB = 0x02, R_REDIR = 0x10 };

/* Bits software may write: all but delivery status (12) and remote IRR
 * (14), and the reserved bits 17-55. */
#define REDIR_WRITABLE 0xff0000000001afffull

void ioapic_init(struct ioapic *io, void (*deliver)(void *ctx, const struct ioapic_msg *m),
                 void *ctx)
{
    memset(io, 0, sizeof *io);
    io->deliver = deliver;
    io->ctx = ctx;
    for (int i = 0; i < IOAPIC_PINS; i++)
        io->redir[i] = IORED_MASKED; /* §3.2.4: masked after reset */
}

static bool active(const struct ioapic *io, int pin)
{
    bool high = io->pin_level >> pin & 1;
    return (io->redir[pin] & IORED_LOW) ? !high : high;
}

static void send(struct ioapic *io, int pin)
{
    uint64_t e = io->redir[pin];
    int mode = (int)(e >> 8 & 7);
    if (mode > 1) /* SMI, NMI, INIT, ExtINT: not modelled (ioapic.h) */
        return;
    struct ioapic_msg m = {
        .vector = (int)(e & 0xff),
        .delivery_mode = mode,
        .logical = e & IORED_LOGICAL,
        .level = e & IORED_LEVEL,
        .dest = (uint8_t)(e >> 56),
    };
    if (m.level)
        io->redir[pin] |= IORED_RIRR;
    io->sent++;
    if (io->deliver)
        io->deliver(io->ctx, &m);
}

/* A level pin that is active, unmasked and not waiting for EOI sends. */
static void service_level(struct ioapic *io, int pin)
{
    uint64_t e = io->redir[pin];
    if ((e & IORED_LEVEL) && !(e & (IORED_MASKED | IORED_RIRR)) && active(io, pin))
        send(io, pin);
}

void ioapic_set_irq(struct ioapic *io, int pin, int level)
{
    if (pin < 0 || pin >= IOAPIC_PINS)
        return;
    bool was = active(io, pin);
    if (level)
        io->pin_level |= 1u << pin;
    else
        io->pin_level &= ~(1u << pin);
    uint64_t e = io->redir[pin];
    if (e & IORED_LEVEL)
        service_level(io, pin);
    else if (!was && active(io, pin) && !(e & IORED_MASKED))
        send(io, pin);
}

void ioapic_eoi(struct ioapic *io, int vector)
{
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t e = io->redir[pin];
        if ((e & IORED_RIRR) && (int)(e & 0xff) == vector) {
            io->redir[pin] &= ~IORED_RIRR;
            service_level(io, pin);
        }
    }
}

static uint32_t reg_read(const struct ioapic *io, uint32_t r)
{
    if (r >= R_REDIR && r < R_REDIR + 2 * IOAPIC_PINS) {
        uint64_t e = io->redir[(r - R_REDIR) / 2];
        return (r & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
    }
    switch (r) {
    case R_ID:
    case R_ARB: return io->id; /* arbitration ID: loaded from the ID */
    case R_VER: return IOAPIC_VERSION;
    default: return 0;
    }
}

static void reg_write(struct ioapic *io, uint32_t r, uint32_t v)
{
    if (r == R_ID) {
        io->id = v & 0x0f000000u;
        return;
    }
    if (r < R_REDIR || r >= R_REDIR + 2 * IOAPIC_PINS)
        return; /* version, arbitration: read only */
    int pin = (int)(r - R_REDIR) / 2;
    uint64_t e = io->redir[pin];
    uint64_t half = (r & 1) ? (uint64_t)v << 32 | (uint32_t)e : (e & ~0xffffffffull) | v;
    io->redir[pin] = (half & REDIR_WRITABLE) | (e & IORED_RIRR);
    if (!(io->redir[pin] & IORED_LEVEL))
        io->redir[pin] &= ~IORED_RIRR; /* remote IRR is for level entries */
    service_level(io, pin);            /* e.g. unmasked while active */
}

void ioapic_mmio(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    struct ioapic *io = dev;
    uint32_t mask = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    if (offset == 0x00) { /* IOREGSEL: bits 0-7 */
        if (is_write)
            io->regsel = *value & 0xff;
        else
            *value = io->regsel & mask;
        return;
    }
    if (offset != 0x10 || size != 4) { /* IOWIN is a 32-bit register */
        if (!is_write)
            *value = 0;
        return;
    }
    if (is_write)
        reg_write(io, io->regsel, *value);
    else
        *value = reg_read(io, io->regsel);
}
