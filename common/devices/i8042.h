/*
 * i8042.h — the PC/AT keyboard controller, with no keyboard and no mouse.
 *
 * An Intel 8042 (on later PCs its copy in the super I/O chip) between the
 * CPU and the PS/2 ports (IBM PC/AT Technical Reference, "Keyboard
 * Controller"; the command set below is the one Linux's
 * drivers/input/serio/i8042.h uses):
 *
 *     0x60  data: read the output buffer; write the input buffer (a byte
 *           for the keyboard, or the parameter of the last command)
 *     0x64  read: status register; write: a controller command
 *
 * Status (read 0x64): bit 0 OBF output buffer full, 1 IBF input buffer
 * full (always 0: commands complete at once), 2 SYS system flag (set by a
 * passed self-test, and command byte bit 2), 3 A2 last write was a
 * command, 4 INH keyboard not inhibited, 5 AUXB output buffer holds AUX
 * data, 6 TIMEOUT, 7 PARITY.
 *
 * Commands: 0x20 read / 0x60 write the command byte (bit 0 keyboard IRQ1,
 * 1 AUX IRQ12, 2 SYS, 4 keyboard clock disabled, 5 AUX clock disabled,
 * 6 translation); 0xA7/0xA8 disable/enable AUX; 0xA9 AUX interface test
 * and 0xAB keyboard interface test (0x00: lines fine — the controller's
 * side is fine even with nothing plugged in); 0xAA self-test (0x55);
 * 0xAD/0xAE disable/enable the keyboard; 0xC0 read the input port; 0xD0
 * read / 0xD1 write the output port (bit 0 = CPU reset line, active low;
 * bit 1 = A20 gate); 0xD2/0xD3 write the keyboard/AUX output buffer
 * (loopback: the byte comes back as if the device sent it); 0xD4 write
 * to the AUX device; 0xF0-0xFF pulse output port bits 3:0 low (0xFE:
 * bit 0, the CPU reset).
 *
 * "No keyboard": a byte written to port 0x60 for the keyboard (or after
 * 0xD4 for the mouse) gets no answer; the controller gives up after its
 * timeout and reports 0xFE with status TIMEOUT set (PC/AT Technical
 * Reference: "Transmit time-out ... the keyboard did not respond"), and
 * raises IRQ1 (IRQ12) if enabled.  Linux's atkbd/psmouse then see
 * SERIO_TIMEOUT and give up on the device; the i8042 driver stays.
 *
 * A CPU reset (0xFE, or 0xD1 with bit 0 clear) sets reset_requested: the
 * VM treats it as the end of the machine, status 0 (core/vm.c), as QEMU
 * does with -no-reboot: a guest's "reboot" ends the run cleanly.
 */
#ifndef DEVICES_I8042_H
#define DEVICES_I8042_H

#include <stdbool.h>
#include <stdint.h>
#include "core/irq.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT  0x64
#define I8042_KBD_IRQ   1
#define I8042_AUX_IRQ   12

#define I8042_STR_OBF     0x01
#define I8042_STR_IBF     0x02
#define I8042_STR_SYS     0x04
#define I8042_STR_CMD     0x08
#define I8042_STR_INH     0x10
#define I8042_STR_AUX     0x20
#define I8042_STR_TIMEOUT 0x40

#define I8042_CTR_KBDINT 0x01
#define I8042_CTR_AUXINT 0x02
#define I8042_CTR_SYS    0x04
#define I8042_CTR_KBDDIS 0x10
#define I8042_CTR_AUXDIS 0x20
#define I8042_CTR_XLATE  0x40

struct i8042 {
    uint8_t status;
    uint8_t ctr;         /* the command byte                          */
    uint8_t out;         /* the output buffer (valid when OBF)        */
    uint8_t pending_cmd; /* a command waiting for its parameter, or 0 */
    uint8_t outport;     /* output port: bit 0 reset (1 = running), 1 A20 */
    bool reset_requested;
    struct irq_line kbd_irq, aux_irq; /* IRQ1 and IRQ12; unwired is fine */
    uint64_t timeouts;                /* bytes no device answered       */
};

/* Irqs may be NULL. */
void i8042_init(struct i8042 *k, const struct irq_line *kbd_irq, const struct irq_line *aux_irq);
/* iobus handlers: dev is the struct i8042, one port each. */
void i8042_data_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value);
void i8042_cmd_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value);

#endif
