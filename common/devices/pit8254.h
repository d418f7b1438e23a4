/*
 * pit8254.h — the 8254 programmable interval timer (ports 0x40-0x43, 0x61).
 *
 * Three 16-bit down-counters clocked at 1.193182 MHz (Intel 8254
 * datasheet).  Channel 0's output drives IRQ0 (the guest's scheduler tick),
 * channel 2 is gated by port 0x61 bit 0 and its output readable at 0x61 bit 5.
 *
 * Time is virtual: the counters are not decremented one by one but computed
 * from "ticks since the count was loaded" on the VM's clock (core/clock.h).
 * pit_update() turns elapsed time into IRQ0 edges; pit_next_deadline() tells
 * the run loop how long a halted CPU may sleep.
 */
#ifndef DEVICES_PIT8254_H
#define DEVICES_PIT8254_H

#include <stdint.h>
#include <stdbool.h>
#include "core/clock.h"
#include "core/irq.h"

#define PIT_HZ     1193182u /* input clock of every counter       */
#define PIT_BASE   0x40     /* counters 0-2 at 0x40-0x42, control 0x43 */
#define PIT_NPORTS 4
#define PIT_PORT_B 0x61 /* "system control port B": gate 2, OUT2 */
#define PIT_IRQ    0

struct pit_channel {
    uint32_t reload;    /* N: the count loaded, 1..65536 (0 written = 65536) */
    uint16_t cr;        /* count register being written                   */
    uint8_t mode;       /* 0-5 (6, 7 are aliases of 2, 3)                  */
    uint8_t rw;         /* 1 LSB only, 2 MSB only, 3 LSB then MSB          */
    bool bcd;           /* recorded for status; counting is binary         */
    bool write_msb;     /* the next write is the MSB (rw = 3)              */
    bool read_msb;      /* the next read is the MSB (rw = 3)               */
    uint8_t latch_left; /* bytes of the latched count still to be read     */
    uint16_t latch;     /* counter latch command result                    */
    bool status_latched;
    uint8_t status;
    bool armed;        /* a count has been loaded: the counter runs       */
    bool wait_trigger; /* modes 1, 5: loaded, waiting for a rising gate   */
    bool gate;
    uint64_t load_tick; /* input-clock tick at which counting (re)started  */
    uint64_t frozen;    /* ticks elapsed when the gate went low            */
    uint64_t edges;     /* OUT rising edges already signalled              */
};

struct pit8254 {
    struct pit_channel ch[3];
    const struct vclock *clock;
    struct irq_line irq0;
    uint8_t port_b;       /* 0x61 bits 0 (gate 2) and 1 (speaker data)       */
    bool refresh;         /* 0x61 bit 4, toggles on every read              */
    uint64_t irq0_pulses; /* statistics: IRQ0 edges delivered               */
    uint64_t irq0_missed; /* periods that elapsed without their own edge    */
    uint64_t late;        /* of those, not yet taken by pit_take_missed()   */
};

void pit_init(struct pit8254 *p, const struct vclock *clock, const struct irq_line *irq0);
/* iobus handlers: dev is the struct pit8254. */
void pit_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value);
void pit_port_b_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value);
/* Bring device time up to now: raise IRQ0 if channel 0's OUT rose. */
void pit_update(struct pit8254 *p);
/* Channel 0 periods merged into an earlier edge since the last call (a
 * late pit_update() covering k rising edges raises one; k - 1 are counted
 * here).  The chip itself forgets them; a VMM's lost-tick policy
 * (core/ticks.h) may deliver them later.  Reprogramming channel 0 clears. */
uint64_t pit_take_missed(struct pit8254 *p);
/* Clock time (ns) of channel 0's latest rising OUT edge in a periodic mode
 * (2, 3): when it happened on the chip, not when it was noticed. */
uint64_t pit_last_edge_ns(const struct pit8254 *p);
/* Clock time (ns) of channel 0's next rising OUT edge, UINT64_MAX if none. */
uint64_t pit_next_deadline(const struct pit8254 *p);
/* For tests and port 0x61: the current counter value and OUT level. */
uint16_t pit_count(const struct pit8254 *p, int channel);
int pit_output(const struct pit8254 *p, int channel);
void pit_set_gate(struct pit8254 *p, int channel, bool level);

#endif
