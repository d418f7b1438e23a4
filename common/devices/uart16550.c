/*
 * uart16550.c — 16550A UART emulation (uart16550.h; PC16550D datasheet).
 */
#include <string.h>
#include "devices/uart16550.h"

static bool fifo_on(const struct uart16550 *u) { return u->fcr & UART_FCR_ENABLE; }

static int rx_capacity(const struct uart16550 *u) { return fifo_on(u) ? UART_RX_FIFO : 1; }

/* FCR bits 7:6: the receive FIFO's interrupt trigger level. */
static int rx_trigger(const struct uart16550 *u)
{
    static const int level[4] = { 1, 4, 8, 14 };
    return level[u->fcr >> 6];
}

/* Four character times, the receive timeout: a character is start, 5-8
 * data, parity, 1 or 2 stop bits, each bit 16 cycles of the crystal
 * divided by the divisor latch (rounded up). */
static uint64_t timeout_ns(const struct uart16550 *u)
{
    unsigned bits = 1 + 5 + (u->lcr & 3) + ((u->lcr & 0x08) ? 1 : 0) + ((u->lcr & 0x04) ? 2 : 1);
    unsigned div = (unsigned)(u->dlm << 8 | u->dll);
    if (div == 0)
        div = 0x10000;
    return (4ull * bits * 16 * div * 1000000000ull + UART_XTAL_HZ - 1) / UART_XTAL_HZ;
}

/* Character timeout (FIFO mode): data below the trigger level, nothing
 * received or read for 4 character times. */
static bool rx_timeout(const struct uart16550 *u)
{
    if (!fifo_on(u) || u->rx_count == 0 || u->rx_count >= rx_trigger(u))
        return false;
    if (!u->clock)
        return true;
    return vclock_now(u->clock) - u->rx_last_ns >= timeout_ns(u);
}

static uint8_t uart_iir(const struct uart16550 *u)
{
    uint8_t fifo = fifo_on(u) ? UART_IIR_FIFO : 0;
    if ((u->ier & UART_IER_RLSI) && (u->lsr & UART_LSR_OE))
        return fifo | UART_IIR_RLSI;
    if (u->ier & UART_IER_RDI) {
        if (u->rx_count >= (fifo_on(u) ? rx_trigger(u) : 1))
            return fifo | UART_IIR_RDI;
        if (rx_timeout(u))
            return fifo | UART_IIR_TIMEOUT;
    }
    if ((u->ier & UART_IER_THRI) && u->thr_irq)
        return fifo | UART_IIR_THRI;
    if ((u->ier & UART_IER_MSI) && u->msr_delta)
        return fifo | UART_IIR_MSI;
    return fifo | UART_IIR_NONE;
}

static void uart_update_irq(struct uart16550 *u)
{
    bool pending = !(uart_iir(u) & UART_IIR_NONE);
    irq_line_set(&u->irq, pending && (u->mcr & UART_MCR_OUT2));
}

void uart_update(struct uart16550 *u) { uart_update_irq(u); }

/* The modem inputs (MSR 7:4): DCD, RI, DSR, CTS.  In loopback they are
 * the modem outputs; otherwise a terminal is attached (DCD, DSR, CTS). */
static uint8_t modem_inputs(const struct uart16550 *u)
{
    uint8_t m = u->mcr;
    if (m & UART_MCR_LOOP) /* OUT2->DCD, OUT1->RI, DTR->DSR, RTS->CTS */
        return (uint8_t)(((m & 0x08) << 4) | ((m & 0x04) << 4) | ((m & 0x01) << 5) |
                         ((m & 0x02) << 3));
    return 0xb0;
}

/* Delta bits (MSR 3:0): CTS, DSR, DCD changed; RI went from on to off. */
static void update_modem(struct uart16550 *u)
{
    uint8_t in = modem_inputs(u), changed = in ^ u->msr_in;
    if (changed & 0x10)
        u->msr_delta |= 0x01;
    if (changed & 0x20)
        u->msr_delta |= 0x02;
    if ((u->msr_in & 0x40) && !(in & 0x40))
        u->msr_delta |= 0x04;
    if (changed & 0x80)
        u->msr_delta |= 0x08;
    u->msr_in = in;
}

void uart_init(struct uart16550 *u, uart_tx_fn tx, void *tx_ctx, const struct irq_line *irq)
{
    memset(u, 0, sizeof *u);
    u->lsr = UART_LSR_THRE | UART_LSR_TEMT;
    u->dll = 12; /* 9600 baud at 1.8432 MHz, a BIOS default */
    u->msr_in = modem_inputs(u);
    u->tx = tx;
    u->tx_ctx = tx_ctx;
    if (irq)
        u->irq = *irq;
}

void uart_set_clock(struct uart16550 *u, const struct vclock *clock) { u->clock = clock; }

static uint64_t now_ns(const struct uart16550 *u) { return u->clock ? vclock_now(u->clock) : 0; }

static void rx_clear(struct uart16550 *u) { u->rx_head = u->rx_count = 0; }

bool uart_receive(struct uart16550 *u, uint8_t byte)
{
    bool ok = true;
    u->rx_last_ns = now_ns(u);
    if (u->rx_count == rx_capacity(u)) {
        u->lsr |= UART_LSR_OE;
        u->rx_overruns++;
        ok = false;
        if (!fifo_on(u)) /* 16450 mode: the new byte replaces RBR */
            u->rx[u->rx_head] = byte;
    } else {
        u->rx[(u->rx_head + u->rx_count) % UART_RX_FIFO] = byte;
        u->rx_count++;
        u->rx_bytes++;
    }
    uart_update_irq(u);
    return ok;
}

int uart_rx_room(const struct uart16550 *u)
{
    if (u->mcr & UART_MCR_LOOP) /* the serial input is disconnected */
        return 0;
    return rx_capacity(u) - u->rx_count;
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
    u->thr_irq = true; /* written (cleared), then empty again at once */
}

static uint8_t read_rbr(struct uart16550 *u)
{
    if (u->rx_count == 0)
        return 0;
    uint8_t b = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1) % UART_RX_FIFO;
    u->rx_count--;
    u->rx_last_ns = now_ns(u); /* a read restarts the timeout */
    return b;
}

static uint8_t uart_read(struct uart16550 *u, unsigned reg)
{
    bool dlab = u->lcr & UART_LCR_DLAB;
    switch (reg) {
    case UART_RBR: return dlab ? u->dll : read_rbr(u);
    case UART_IER: return dlab ? u->dlm : u->ier;
    case UART_IIR: {
        uint8_t iir = uart_iir(u);
        if ((iir & 0x0f) == UART_IIR_THRI) /* reading IIR acknowledges THRE */
            u->thr_irq = false;
        return iir;
    }
    case UART_LCR: return u->lcr;
    case UART_MCR: return u->mcr;
    case UART_LSR: {
        uint8_t lsr = u->lsr | (u->rx_count ? UART_LSR_DR : 0);
        u->lsr &= ~0x1e; /* error bits clear on read */
        return lsr;
    }
    case UART_MSR: {
        uint8_t msr = u->msr_in | u->msr_delta;
        u->msr_delta = 0;
        return msr;
    }
    default: /* UART_SCR */ return u->scr;
    }
}

static void write_fcr(struct uart16550 *u, uint8_t v)
{
    if ((v ^ u->fcr) & UART_FCR_ENABLE) /* switching the FIFOs empties them */
        rx_clear(u);
    if (!(v & UART_FCR_ENABLE)) { /* the other bits need bit 0 set */
        u->fcr = 0;
        return;
    }
    if (v & UART_FCR_CLEAR_RX)
        rx_clear(u);
    u->fcr = v & 0xc9; /* enable, DMA mode, trigger level */
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
    case UART_FCR: write_fcr(u, v); break;
    case UART_LCR: u->lcr = v; break;
    case UART_MCR:
        u->mcr = v & 0x1f;
        update_modem(u);
        break;
    case UART_LSR: /* read-only (factory test only) */
    case UART_MSR: break;
    default: u->scr = v; break;
    }
}

void uart_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value)
{
    struct uart16550 *u = dev;
    (void)size; /* the UART is an 8-bit device: byte lanes only */
    if (is_write)
        uart_write(u, (unsigned)offset & 7, (uint8_t)*value);
    else
        *value = uart_read(u, (unsigned)offset & 7);
    uart_update_irq(u);
}
