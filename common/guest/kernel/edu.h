/*
 * edu.h — a driver for QEMU's "edu" teaching device (PCI 1234:11e8,
 * QEMU's docs/specs/edu.rst), the simplest PCI device that does DMA.
 *
 * BAR0 (1 MiB memory) holds 32-bit registers:
 *   0x00 identification 0xRRrr00ed (major.minor version, "ed")
 *   0x04 liveness: reads back the bitwise NOT of what was written
 *   0x08 factorial: write n, the device computes n! (0x20 bit 0 while busy)
 *   0x20 status: bit 0 computing, bit 7 raise an interrupt after a factorial
 *   0x24 interrupt status; 0x60 raise (ORed into the status); 0x64 ack
 *   0x80 DMA source, 0x88 destination, 0x90 count (64-bit, written as the
 *        low dword: that write sets the whole register)
 *   0x98 DMA command: bit 0 start (reads 1 until done), bit 1 direction
 *        (0 RAM -> device, 1 device -> RAM), bit 2 interrupt when done
 * The device side of a DMA is its 4 KiB buffer at device address 0x40000;
 * the RAM side is a bus address, masked to the device's DMA mask (28 bits
 * by default: QEMU clamps anything above 256 MiB).  QEMU runs each DMA
 * from a 100 ms timer, so a transfer takes that long, and stops the
 * machine on a device-side range outside the buffer (edu_dma refuses it).
 */
#ifndef GUEST_EDU_H
#define GUEST_EDU_H

#include <stdint.h>
#include "pci.h"

#define EDU_VENDOR   0x1234
#define EDU_DEVICE   0x11E8
#define EDU_BUF      0x40000u    /* the device's DMA buffer ...       */
#define EDU_BUF_SIZE 4096u       /* ... and its size                   */
#define EDU_DMA_MASK 0x0FFFFFFFu /* 28 bits: QEMU's default        */
/* The longest transfer from offset 0: QEMU 7.2 aborts on one that ends at
 * the buffer's end (its range check takes that end as outside). */
#define EDU_XFER_MAX (EDU_BUF_SIZE - 1)

#define EDU_TO_DEVICE 0 /* a DMA read of RAM  */
#define EDU_TO_RAM    1 /* a DMA write of RAM */

struct edu {
    struct pci_dev pci;
    volatile uint32_t *regs;
    uint32_t id;
    const char *err;
    uint32_t err_val;
};

/* Find the device, map BAR0, enable memory decoding and bus mastering,
 * check the identification and liveness registers.  0, -1 no device,
 * -2 with e->err set. */
int edu_init(struct edu *e);
/* n! computed by the device; -1 on a timeout. */
int edu_factorial(struct edu *e, uint32_t n, uint32_t *out);
/* Raise interrupt-status bits, read them, acknowledge them: returns the
 * status seen after the raise and after the ack, in *raised and *acked. */
void edu_irq_roundtrip(struct edu *e, uint32_t bits, uint32_t *raised, uint32_t *acked);
/* One DMA of len bytes between bus address `bus` and the device's buffer
 * at offset `off`, dir EDU_TO_DEVICE or EDU_TO_RAM; waits for it.  0, or
 * < 0 with e->err set (bad range, timeout). */
int edu_dma(struct edu *e, int dir, uint32_t bus, uint32_t off, uint32_t len);

#endif
