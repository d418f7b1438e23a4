/*
 * pic8259.h — the cascaded pair of 8259A programmable interrupt controllers.
 *
 * Master at ports 0x20/0x21 (IRQ0-7), slave at 0xA0/0xA1 (IRQ8-15) cascaded
 * into the master's IRQ2, as on every PC since the AT (Intel 8259A
 * datasheet).  Devices raise IRQ lines with pic_set_irq(); the CPU side asks
 * pic_pending() at instruction boundaries and, when it accepts the
 * interrupt, runs the INTA cycle with pic_ack() to get the vector.
 */
#ifndef DEVICES_PIC8259_H
#define DEVICES_PIC8259_H

#include <stdint.h>
#include <stdbool.h>

#define PIC_MASTER_BASE 0x20
#define PIC_SLAVE_BASE  0xA0
#define PIC_CASCADE_IRQ 2

struct pic8259 {
    uint8_t irr;          /* interrupt request register                  */
    uint8_t isr;          /* in-service register                         */
    uint8_t imr;          /* interrupt mask register (OCW1)              */
    uint8_t last_level;   /* input levels, for edge detection            */
    uint8_t elcr;         /* 1 = level-triggered input (ICW1 LTIM: all)  */
    uint8_t vector_base;  /* ICW2: vector of IR0 (multiple of 8)         */
    uint8_t priority_add; /* rotation: IR with the highest priority      */
    uint8_t icw3;         /* cascade wiring                              */
    uint8_t init_state;   /* 0 ready; 1,2,3: expecting ICW2, ICW3, ICW4  */
    bool icw4_needed, single;
    bool auto_eoi, rotate_on_aeoi, special_fully_nested;
    bool read_isr; /* OCW3: a read of the command port gives ISR  */
    bool poll;     /* OCW3 poll command pending                   */
    bool special_mask;
};

struct pic_pair {
    struct pic8259 chip[2]; /* [0] master, [1] slave */
    uint64_t spurious;      /* statistics: spurious IRQ7/IRQ15 acks        */
};

void pic_init(struct pic_pair *p);
/* Drive IRQ line irq (0-15) to level (edge-triggered: a 0->1 edge requests). */
void pic_set_irq(struct pic_pair *p, int irq, int level);
/* Is the INTR line to the CPU asserted? */
bool pic_pending(struct pic_pair *p);
/* INTA: the vector to deliver; sets ISR (unless auto-EOI).  With nothing
 * pending it returns the spurious vector of IR7 (datasheet: "if no
 * interrupt request is present ... the 8259A will issue an interrupt
 * level 7"), without setting ISR. */
int pic_ack(struct pic_pair *p);
/* iobus handlers: dev is the struct pic_pair, one per chip (2 ports each). */
void pic_master_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value);
void pic_slave_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value);

#endif
