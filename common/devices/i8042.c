/*
 * i8042.c — the keyboard controller answering "no keyboard" (i8042.h).
 */
#include "devices/i8042.h"

#include <string.h>

/* IRQ1/IRQ12 follow OBF while the command byte enables them (the 8042
 * drives the line from its output buffer; the PIC latches the edge). */
static void update_irq(struct i8042 *k)
{
    bool full = k->status & I8042_STR_OBF, aux = k->status & I8042_STR_AUX;
    irq_line_set(&k->kbd_irq, full && !aux && (k->ctr & I8042_CTR_KBDINT));
    irq_line_set(&k->aux_irq, full && aux && (k->ctr & I8042_CTR_AUXINT));
}

/* Put a byte in the output buffer, from the keyboard side or the AUX side. */
static void output(struct i8042 *k, uint8_t byte, bool aux, bool timeout)
{
    k->out = byte;
    k->status |= I8042_STR_OBF;
    k->status &= (uint8_t) ~(I8042_STR_AUX | I8042_STR_TIMEOUT);
    if (aux)
        k->status |= I8042_STR_AUX;
    if (timeout)
        k->status |= I8042_STR_TIMEOUT;
    update_irq(k);
}

void i8042_init(struct i8042 *k, const struct irq_line *kbd_irq, const struct irq_line *aux_irq)
{
    memset(k, 0, sizeof *k);
    /* As the BIOS leaves it: keyboard interrupt and translation on,
     * self-test passed (SYS), not inhibited, A20 on, CPU running. */
    k->ctr = I8042_CTR_KBDINT | I8042_CTR_SYS | I8042_CTR_XLATE;
    k->status = I8042_STR_SYS | I8042_STR_INH;
    k->outport = 0x03;
    if (kbd_irq)
        k->kbd_irq = *kbd_irq;
    if (aux_irq)
        k->aux_irq = *aux_irq;
}

static void write_outport(struct i8042 *k, uint8_t v)
{
    k->outport = v;
    if (!(v & 1)) /* the CPU reset line pulled low */
        k->reset_requested = true;
}

/* A byte for a device (the keyboard, or the mouse after 0xD4): nobody is
 * there, the transmission times out. */
static void to_device(struct i8042 *k, bool aux)
{
    k->timeouts++;
    output(k, 0xFE, aux, true);
}

static void command(struct i8042 *k, uint8_t cmd)
{
    k->pending_cmd = 0;
    switch (cmd) {
    case 0x20: output(k, k->ctr, false, false); break;
    case 0x60: /* write command byte  */
    case 0xD1: /* write output port   */
    case 0xD2: /* write keyboard OBF  */
    case 0xD3: /* write AUX OBF       */
    case 0xD4: /* write to AUX device */ k->pending_cmd = cmd; break;
    case 0xA7: k->ctr |= I8042_CTR_AUXDIS; break;
    case 0xA8: k->ctr &= (uint8_t)~I8042_CTR_AUXDIS; break;
    case 0xA9: /* AUX interface test      */
    case 0xAB:
        output(k, 0x00, false, false); /* keyboard interface test */
        break;
    case 0xAA:
        k->status |= I8042_STR_SYS;
        output(k, 0x55, false, false);
        break;
    case 0xAD: k->ctr |= I8042_CTR_KBDDIS; break;
    case 0xAE: k->ctr &= (uint8_t)~I8042_CTR_KBDDIS; break;
    case 0xC0:
        output(k, 0x80, false, false); /* input port: not inhibited */
        break;
    case 0xD0: output(k, k->outport, false, false); break;
    default:
        if (cmd >= 0xF0) { /* pulse the output port bits that are 0 in cmd */
            if (!(cmd & 1))
                k->reset_requested = true;
        }
        /* other commands (vendor specific) are ignored, as many 8042s do */
        break;
    }
    update_irq(k);
}

static void data_write(struct i8042 *k, uint8_t v)
{
    uint8_t cmd = k->pending_cmd;
    k->pending_cmd = 0;
    switch (cmd) {
    case 0x60:
        k->ctr = v;
        k->status = (uint8_t)((k->status & ~I8042_STR_SYS) | (v & I8042_CTR_SYS));
        update_irq(k);
        break;
    case 0xD1: write_outport(k, v); break;
    case 0xD2: output(k, v, false, false); break;
    case 0xD3: output(k, v, true, false); break;
    case 0xD4: to_device(k, true); break;
    default: to_device(k, false); break; /* a byte for the keyboard */
    }
}

void i8042_data_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    struct i8042 *k = dev;
    (void)offset;
    (void)size; /* an 8-bit device */
    if (is_write) {
        k->status &= (uint8_t)~I8042_STR_CMD;
        data_write(k, (uint8_t)*value);
        return;
    }
    *value = k->out; /* reading an empty buffer gives the last byte again */
    k->status &= (uint8_t) ~(I8042_STR_OBF | I8042_STR_AUX | I8042_STR_TIMEOUT);
    update_irq(k);
}

void i8042_cmd_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    struct i8042 *k = dev;
    (void)offset;
    (void)size;
    if (!is_write) {
        *value = k->status;
        return;
    }
    k->status |= I8042_STR_CMD;
    command(k, (uint8_t)*value);
}
