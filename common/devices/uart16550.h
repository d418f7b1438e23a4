/*
 * uart16550.h — the 16550A serial port (COM1 at 0x3F8, IRQ4).
 *
 * Eight registers at base+0..7 (National Semiconductor PC16550D datasheet,
 * "Register summary"): the guest console of the teaching OS.  Transmitted
 * bytes go to a sink function (the VM's console: stdout, or a buffer in a
 * test); received bytes are pushed with uart_receive().
 */
#ifndef DEVICES_UART16550_H
#define DEVICES_UART16550_H

#include <stdint.h>
#include <stdbool.h>
#include "core/irq.h"

#define UART_COM1_BASE 0x3F8
#define UART_COM1_IRQ  4
#define UART_NPORTS    8
#define UART_RX_FIFO   16

/* Register offsets (DLAB = divisor latch access bit, LCR bit 7). */
enum {
    UART_RBR = 0,
    UART_THR = 0,
    UART_DLL = 0, /* DLAB=0: RBR/THR; DLAB=1: divisor low  */
    UART_IER = 1,
    UART_DLM = 1, /* DLAB=0: IER;     DLAB=1: divisor high */
    UART_IIR = 2,
    UART_FCR = 2, /* read: IIR, write: FCR                 */
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_MSR = 6,
    UART_SCR = 7,
};
#define UART_LCR_DLAB 0x80
#define UART_IER_RDI  0x01 /* received data available   */
#define UART_IER_THRI 0x02 /* transmitter holding empty */
#define UART_IIR_NONE 0x01 /* no interrupt pending      */
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI  0x04
#define UART_IIR_FIFO 0xC0 /* FIFOs enabled             */
#define UART_LSR_DR   0x01 /* data ready                */
#define UART_LSR_THRE 0x20 /* THR empty                 */
#define UART_LSR_TEMT 0x40 /* transmitter empty         */
#define UART_MCR_OUT2 0x08 /* on a PC, gates the IRQ line */
#define UART_MCR_LOOP 0x10

typedef void (*uart_tx_fn)(void *ctx, uint8_t byte);

struct uart16550 {
    uint8_t ier, lcr, mcr, lsr, msr, scr, fcr, dll, dlm;
    bool thr_irq;             /* THR-empty interrupt condition latched   */
    uint8_t rx[UART_RX_FIFO]; /* receive FIFO                            */
    int rx_head, rx_count;
    uart_tx_fn tx; /* where transmitted bytes go (may be NULL) */
    void *tx_ctx;
    struct irq_line irq; /* IRQ4 on COM1; unwired is fine           */
    uint64_t tx_bytes;   /* statistics                              */
};

/* irq may be NULL (no interrupt line). */
void uart_init(struct uart16550 *u, uart_tx_fn tx, void *tx_ctx, const struct irq_line *irq);
/* iobus handler for the 8 ports at the base. */
void uart_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value);
/* A byte arrives on the line; false if the receive FIFO is full. */
bool uart_receive(struct uart16550 *u, uint8_t byte);

#endif
