/*
 * uart16550.h — the 16550A serial port (COM1 at 0x3F8, IRQ4).
 *
 * Eight registers at base+0..7 (National Semiconductor PC16550D datasheet,
 * "Register summary", Table II): the guest console.  Transmitted bytes go
 * to a sink function (the VM's console: stdout, or a buffer in a test);
 * received bytes are pushed with uart_receive() (the VMM's stdin through
 * core/console_in.h, or a test).
 *
 * Interrupts (datasheet Table IV, "Interrupt control functions"), by
 * priority, each enabled by an IER bit:
 *     IIR 0x06  receiver line status: overrun (LSR.OE)       IER.ELSI  (2)
 *     IIR 0x04  received data available: a byte (16450 mode)
 *               or the FIFO at its trigger level             IER.ERBFI (0)
 *     IIR 0x0C  character timeout (FIFO mode): bytes below the trigger
 *               level and none received or read for 4 character times
 *     IIR 0x02  transmitter holding register empty           IER.ETBEI (1)
 *     IIR 0x00  modem status: a delta bit of MSR set          IER.EDSSI (3)
 *     IIR 0x01  none
 * Line status clears by reading LSR, data available and the timeout by
 * reading RBR (below the trigger level), modem status by reading MSR.
 * THRE is raised when THR empties while ETBEI is set (also when ETBEI is
 * set with THR already empty) and cleared by reading IIR while it is the
 * source, or by writing THR.  Bits 7:6 of IIR read 11 with the FIFOs on.
 *
 * FCR: bit 0 enables the FIFOs (changing it empties them; the other bits
 * count only with it set), 1 clears the receive FIFO, 2 the transmit
 * FIFO, 7:6 the receive trigger level (1, 4, 8, 14 bytes).  With the FIFOs
 * off the receiver holds one byte (16450 mode): another one arriving
 * before it was read replaces it and sets LSR.OE; with them on, 16 bytes,
 * and a byte arriving when they are full is lost (OE).
 *
 * Transmission is instantaneous: a byte written to THR is handed to the
 * sink at once, so LSR always reports THRE|TEMT and THRE re-arms at once.
 * Character times (for the timeout) come from the divisor latch and LCR
 * (start + data + parity + stop bits at 1.8432 MHz / 16 / divisor) on the
 * VM clock given by uart_set_clock(); without one the timeout is reported
 * at once.  On a PC the IRQ line only reaches the PIC when MCR.OUT2 is
 * set; loopback (MCR bit 4) wires TX to RX and the modem outputs to the
 * inputs (DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD) and disconnects the
 * external receive line (uart_rx_room() is 0).
 */
#ifndef DEVICES_UART16550_H
#define DEVICES_UART16550_H

#include <stdint.h>
#include <stdbool.h>
#include "core/clock.h"
#include "core/irq.h"

#define UART_COM1_BASE 0x3F8
#define UART_COM1_IRQ  4
#define UART_NPORTS    8
#define UART_RX_FIFO   16
#define UART_XTAL_HZ   1843200u /* the PC's baud-rate crystal */

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
#define UART_LCR_DLAB     0x80
#define UART_IER_RDI      0x01 /* ERBFI: received data available */
#define UART_IER_THRI     0x02 /* ETBEI: transmitter holding empty */
#define UART_IER_RLSI     0x04 /* ELSI: receiver line status      */
#define UART_IER_MSI      0x08 /* EDSSI: modem status             */
#define UART_IIR_NONE     0x01 /* no interrupt pending            */
#define UART_IIR_MSI      0x00
#define UART_IIR_THRI     0x02
#define UART_IIR_RDI      0x04
#define UART_IIR_RLSI     0x06
#define UART_IIR_TIMEOUT  0x0C
#define UART_IIR_FIFO     0xC0 /* FIFOs enabled                   */
#define UART_FCR_ENABLE   0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04
#define UART_LSR_DR       0x01 /* data ready                      */
#define UART_LSR_OE       0x02 /* overrun error                   */
#define UART_LSR_THRE     0x20 /* THR empty                       */
#define UART_LSR_TEMT     0x40 /* transmitter empty               */
#define UART_MCR_OUT2     0x08 /* on a PC, gates the IRQ line     */
#define UART_MCR_LOOP     0x10

typedef void (*uart_tx_fn)(void *ctx, uint8_t byte);

struct uart16550 {
    uint8_t ier, lcr, mcr, lsr, scr, fcr, dll, dlm;
    uint8_t msr_in;           /* modem inputs (MSR 7:4) as last seen     */
    uint8_t msr_delta;        /* MSR 3:0: changes since MSR was read     */
    bool thr_irq;             /* THR-empty interrupt condition latched   */
    uint8_t rx[UART_RX_FIFO]; /* receive FIFO (one byte in 16450 mode)   */
    int rx_head, rx_count;
    uint64_t rx_last_ns;        /* last byte received or read (timeout)   */
    const struct vclock *clock; /* for the timeout; may be NULL           */
    uart_tx_fn tx;              /* where transmitted bytes go (may be NULL) */
    void *tx_ctx;
    struct irq_line irq; /* IRQ4 on COM1; unwired is fine           */
    uint64_t tx_bytes;   /* statistics                              */
    uint64_t rx_bytes, rx_overruns;
};

/* irq may be NULL (no interrupt line). */
void uart_init(struct uart16550 *u, uart_tx_fn tx, void *tx_ctx, const struct irq_line *irq);
/* The clock character times run on (the receive timeout). */
void uart_set_clock(struct uart16550 *u, const struct vclock *clock);
/* iobus handler for the 8 ports at the base. */
void uart_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value);
/* A byte arrives on the line; false if it overran (lost or replaced one). */
bool uart_receive(struct uart16550 *u, uint8_t byte);
/* Bytes the receiver can take now without an overrun (0 in loopback):
 * how a VMM paces its input, as a terminal's flow control would. */
int uart_rx_room(const struct uart16550 *u);
/* Bring the IRQ line up to date with time (the receive timeout). */
void uart_update(struct uart16550 *u);

#endif
