/*
 * uart16550.c — 16550A UART emulation (PC16550D datasheet).
 *
 * Transmission is instantaneous: a byte written to THR is handed to the sink
 * at once, so LSR always reports THRE|TEMT ("holding register and shift
 * register empty") and a polling driver never waits.  Interrupts follow the
 * datasheet's priority (Table IV): receive data available over THR empty;
 * reading IIR while it reports THR empty clears that condition, as does a
 * write to THR.  On a PC the IRQ line only reaches the PIC when MCR.OUT2 is
 * set; we model that gate too.
 */
#include <string.h>
#include "devices/uart16550.h"

static uint8_t uart_iir(const struct uart16550 *u)
{
    uint8_t fifo = (u->fcr & 1) ? UART_IIR_FIFO : 0;
    if ((u->ier & UART_IER_RDI) && u->rx_count > 0)
        return fifo | UART_IIR_RDI;
    if ((u->ier & UART_IER_THRI) && u->thr_irq)
        return fifo | UART_IIR_THRI;
    return fifo | UART_IIR_NONE;
}

static void uart_update_irq(struct uart16550 *u)
{
    bool pending = !(uart_iir(u) & UART_IIR_NONE);
    irq_line_set(&u->irq, pending && (u->mcr & UART_MCR_OUT2));
}

void uart_init(struct uart16550 *u, uart_tx_fn tx, void *tx_ctx, const struct irq_line *irq)
{
    memset(u, 0, sizeof *u);
    u->lsr = UART_LSR_THRE | UART_LSR_TEMT;
    u->dll = 12; /* 9600 baud at 1.8432 MHz, a BIOS default */
    u->tx = tx;
    u->tx_ctx = tx_ctx;
    if (irq)
        u->irq = *irq;
}

bool uart_receive(struct uart16550 *u, uint8_t byte)
{
    if (u->rx_count == UART_RX_FIFO) {
        u->lsr |= 0x02; /* overrun error */
        return false;
    }
    u->rx[(u->rx_head + u->rx_count) % UART_RX_FIFO] = byte;
    u->rx_count++;
    uart_update_irq(u);
    return true;
}

static void uart_transmit(struct uart16550 *u, uint8_t byte)
{
    if (u->mcr & UART_MCR_LOOP) { /* loopback: TX is wired back to RX */
        uart_receive(u, byte);
    } else {
        u->tx_bytes++;
        if (u->tx)
            u->tx(u->tx_ctx, byte);
    }
    u->thr_irq = true; /* THR is empty again at once */
}

static uint8_t uart_read(struct uart16550 *u, unsigned reg)
{
    bool dlab = u->lcr & UART_LCR_DLAB;
    switch (reg) {
    case UART_RBR:
        if (dlab)
            return u->dll;
        if (u->rx_count == 0)
            return 0;
        {
            uint8_t b = u->rx[u->rx_head];
            u->rx_head = (u->rx_head + 1) % UART_RX_FIFO;
            u->rx_count--;
            uart_update_irq(u);
            return b;
        }
    case UART_IER: return dlab ? u->dlm : u->ier;
    case UART_IIR: {
        uint8_t iir = uart_iir(u);
        if ((iir & 0x0f) == UART_IIR_THRI) { /* reading IIR acknowledges THRE */
            u->thr_irq = false;
            uart_update_irq(u);
        }
        return iir;
    }
    case UART_LCR: return u->lcr;
    case UART_MCR: return u->mcr;
    case UART_LSR: {
        uint8_t lsr = u->lsr | (u->rx_count ? UART_LSR_DR : 0);
        u->lsr &= ~0x1e; /* error bits clear on read */
        return lsr;
    }
    case UART_MSR:
        if (u->mcr & UART_MCR_LOOP) /* loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
            return (uint8_t)(((u->mcr & 0x01) << 5) | ((u->mcr & 0x02) << 3) |
                             ((u->mcr & 0x04) << 4) | ((u->mcr & 0x08) << 4));
        return u->msr | 0xb0; /* DCD, DSR, CTS: a terminal is attached */
    default: /* UART_SCR */ return u->scr;
    }
}

static void uart_write(struct uart16550 *u, unsigned reg, uint8_t v)
{
    bool dlab = u->lcr & UART_LCR_DLAB;
    switch (reg) {
    case UART_THR:
        if (dlab)
            u->dll = v;
        else
            uart_transmit(u, v);
        break;
    case UART_IER:
        if (dlab) {
            u->dlm = v;
        } else {
            /* Enabling THRI while THR is empty raises the interrupt at once. */
            if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
                u->thr_irq = true;
            u->ier = v & 0x0f;
        }
        break;
    case UART_FCR:
        if (v & 0x02) { /* clear receive FIFO */
            u->rx_head = u->rx_count = 0;
        }
        u->fcr = v & 0xc9;
        break;
    case UART_LCR: u->lcr = v; break;
    case UART_MCR: u->mcr = v & 0x1f; break;
    case UART_LSR: /* read-only (factory test only) */
    case UART_MSR: break;
    default: u->scr = v; break;
    }
    uart_update_irq(u);
}

void uart_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    struct uart16550 *u = dev;
    (void)size; /* the UART is an 8-bit device: byte lanes only */
    if (is_write)
        uart_write(u, (unsigned)offset & 7, (uint8_t)*value);
    else
        *value = uart_read(u, (unsigned)offset & 7);
}
