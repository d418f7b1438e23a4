/*
 * console.c — the COM1 serial console (a 16550 UART at I/O port 0x3F8),
 * kprintf and the line protocol helpers of program.h, and debug-exit.
 *
 * The UART is programmed for 115200 baud, 8 data bits, no parity, 1 stop
 * bit, and written by polling: wait until the Line Status Register says the
 * Transmitter Holding Register is empty (LSR bit 5), then write the byte
 * (PC16550D datasheet, §8).  No interrupts, so it works in every VMM.
 */
#include <stdarg.h>
#include "console.h"
#include "program.h"
#include "x86.h"
#include "format.h"

#define COM1     0x3F8
#define UART_THR 0 /* transmit holding register (DLAB=0)  */
#define UART_IER 1 /* interrupt enable                    */
#define UART_DLL 0 /* divisor latch low/high (DLAB=1)     */
#define UART_DLM 1
#define UART_FCR 2 /* FIFO control                        */
#define UART_LCR 3 /* line control: DLAB, word length     */
#define UART_MCR 4 /* modem control                       */
#define UART_LSR 5 /* line status                         */
#define LSR_THRE 0x20

#define DEBUG_EXIT_PORT 0xF4

#ifdef VMLAB_PV
/* The paravirtual console: whole lines, one hypercall each, instead of two
 * port accesses (and two VM exits) per byte. */
static char line[PV_CONSOLE_MAX];
static uint32_t nline;

static void console_flush(void)
{
    if (nline)
        hypercall3(HC_CONSOLE_WRITE, (uint32_t)line, nline, 0);
    nline = 0;
}

void console_init(void) { pv_init(); }

void console_putc(char c)
{
    line[nline++] = c;
    if (c == '\n' || nline == sizeof line)
        console_flush();
}

void debug_exit(int status)
{
    console_flush();
    hypercall1(HC_SHUTDOWN, (uint8_t)status);
    for (;;) /* the VM ends at the VMM's next look */
        hypercall0(HC_BLOCK);
}
#else
void console_init(void)
{
    outb(COM1 + UART_IER, 0x00); /* no interrupts: we poll          */
    outb(COM1 + UART_LCR, 0x80); /* DLAB=1 to reach the divisor     */
    outb(COM1 + UART_DLL, 1);    /* 115200 / 1 = 115200 baud        */
    outb(COM1 + UART_DLM, 0);
    outb(COM1 + UART_LCR, 0x03); /* DLAB=0, 8 bits, no parity, 1 stop */
    outb(COM1 + UART_FCR, 0x07); /* enable and clear the FIFOs      */
    outb(COM1 + UART_MCR, 0x03); /* DTR + RTS                       */
}

void console_putc(char c)
{
    while (!(inb(COM1 + UART_LSR) & LSR_THRE))
        ;
    outb(COM1 + UART_THR, (uint8_t)c);
}

#endif

void console_write(const char *s, uint32_t len)
{
    while (len--)
        console_putc(*s++);
}

static void emit_console(char c, void *arg)
{
    (void)arg;
    console_putc(c);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(emit_console, 0, fmt, ap);
    va_end(ap);
}

void result(struct prog_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    kprintf("RESULT %s ", ctx->name);
    va_start(ap, fmt);
    vformat(emit_console, 0, fmt, ap);
    va_end(ap);
    console_putc('\n');
}

int prog_fail(struct prog_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnformat(ctx->reason, sizeof ctx->reason, fmt, ap);
    va_end(ap);
    return -1;
}

#ifndef VMLAB_PV
void debug_exit(int status)
{
    /* QEMU's isa-debug-exit ends with (status << 1) | 1, our VMMs with
     * status itself.  If nothing is listening, stop here forever. */
    outb(DEBUG_EXIT_PORT, (uint8_t)status);
    for (;;)
        __asm__ volatile("cli; hlt");
}
#endif

void fatal(int status, const char *fmt, ...)
{
    va_list ap;
    kprintf("vmlab: error: ");
    va_start(ap, fmt);
    vformat(emit_console, 0, fmt, ap);
    va_end(ap);
    console_putc('\n');
    debug_exit(status);
}
