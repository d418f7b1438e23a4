/*
 * edu.c — QEMU's edu device (edu.h; QEMU docs/specs/edu.rst).
 */
#include "edu.h"
#include "mm.h"
#include "program.h"
#include "timer.h"

#define EDU_ID        0x00
#define EDU_LIVENESS  0x04
#define EDU_FACT      0x08
#define EDU_STATUS    0x20
#define EDU_IRQ_STS   0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK   0x64
#define EDU_DMA_SRC   0x80
#define EDU_DMA_DST   0x88
#define EDU_DMA_CNT   0x90
#define EDU_DMA_CMD   0x98
#define EDU_CMD_RUN   1u
#define EDU_CMD_DIR   2u
#define TIMEOUT_MS    5000 /* edu DMA takes 100 ms; room for a loaded host */

static uint32_t rd(struct edu *e, uint32_t off) { return e->regs[off / 4]; }
static void wr(struct edu *e, uint32_t off, uint32_t v) { e->regs[off / 4] = v; }

static int fail(struct edu *e, const char *why, uint32_t val)
{
    e->err = why;
    e->err_val = val;
    return -2;
}

/* Poll until (reg & mask) == 0, timed by the TSC (interrupts are off). */
static int wait_clear(struct edu *e, uint32_t off, uint32_t mask)
{
    uint64_t deadline = rdtsc() + tsc_per_tick() * (TIMEOUT_MS / (1000 / TIMER_HZ) + 1);
    while (rd(e, off) & mask)
        if (rdtsc() > deadline)
            return -1;
    return 0;
}

int edu_init(struct edu *e)
{
    *e = (struct edu){ 0 };
    if (pci_find(EDU_VENDOR, EDU_DEVICE, EDU_DEVICE, &e->pci))
        return -1;
    struct pci_bar bar;
    pci_bar_probe(&e->pci, 0, &bar);
    if (bar.io || bar.size < PAGE_SIZE)
        return fail(e, "BAR0 is not a memory BAR of 4 KiB or more", (uint32_t)bar.size);
    if (!bar.base)
        pci_bar_assign(&e->pci, 0, &bar);
    e->regs = mm_map_mmio(bar.base, PAGE_SIZE);
    if (!bar.base || !e->regs)
        return fail(e, "BAR0 has no address or no room in the MMIO window", (uint32_t)bar.base);
    /* Bus mastering: without it the device's DMA never reaches memory
     * (PCI 3.0 §6.2.2). */
    uint16_t cmd = pci_read16(&e->pci, PCI_COMMAND);
    pci_write16(&e->pci, PCI_COMMAND, cmd | PCI_CMD_MEM | PCI_CMD_MASTER);
    e->id = rd(e, EDU_ID);
    if ((e->id & 0xFFFF) != 0x00ED)
        return fail(e, "identification register is not 0x....00ed", e->id);
    wr(e, EDU_LIVENESS, 0x12345678u);
    if (rd(e, EDU_LIVENESS) != ~0x12345678u)
        return fail(e, "liveness register does not invert", rd(e, EDU_LIVENESS));
    return 0;
}

int edu_factorial(struct edu *e, uint32_t n, uint32_t *out)
{
    wr(e, EDU_FACT, n);
    if (wait_clear(e, EDU_STATUS, 1))
        return -1;
    *out = rd(e, EDU_FACT);
    return 0;
}

void edu_irq_roundtrip(struct edu *e, uint32_t bits, uint32_t *raised, uint32_t *acked)
{
    wr(e, EDU_IRQ_RAISE, bits);
    *raised = rd(e, EDU_IRQ_STS);
    wr(e, EDU_IRQ_ACK, *raised);
    *acked = rd(e, EDU_IRQ_STS);
}

int edu_dma(struct edu *e, int dir, uint32_t bus, uint32_t off, uint32_t len)
{
    /* QEMU stops the whole machine (hw_error) on a device-side range
     * outside the buffer: check it here.  QEMU 7.2's check wants the end
     * of the transfer strictly inside the buffer, so a transfer may not
     * reach its last byte (EDU_XFER_MAX). */
    if (!len || off >= EDU_BUF_SIZE || len >= EDU_BUF_SIZE - off)
        return fail(e, "DMA outside the device's 4 KiB buffer", off);
    if (bus > EDU_DMA_MASK || len - 1 > EDU_DMA_MASK - bus)
        return fail(e, "bus address beyond the 28-bit DMA mask", bus);
    if (wait_clear(e, EDU_DMA_CMD, EDU_CMD_RUN))
        return fail(e, "a previous DMA is still running", rd(e, EDU_DMA_CMD));
    wr(e, EDU_DMA_SRC, dir == EDU_TO_RAM ? EDU_BUF + off : bus);
    wr(e, EDU_DMA_DST, dir == EDU_TO_RAM ? bus : EDU_BUF + off);
    wr(e, EDU_DMA_CNT, len);
    wr(e, EDU_DMA_CMD, EDU_CMD_RUN | (dir == EDU_TO_RAM ? EDU_CMD_DIR : 0));
    if (wait_clear(e, EDU_DMA_CMD, EDU_CMD_RUN))
        return fail(e, "DMA not finished in time", rd(e, EDU_DMA_CMD));
    return 0;
}
