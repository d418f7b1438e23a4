/*
 * dma.h — how a device reaches memory: its DMA address space.
 *
 * Without an IOMMU a device's bus addresses are guest-physical addresses
 * and it reads guest RAM directly (a NULL space).  Behind an IOMMU
 * (06-passthrough's VT-d unit) every address the device puts on the bus
 * is an I/O virtual address that the IOMMU translates, page by page, for
 * that device (its PCI source-id), or blocks: a device must then ask for
 * each access, and a buffer contiguous for the device may be scattered
 * in memory.
 */
#ifndef CORE_DMA_H
#define CORE_DMA_H

#include <stdbool.h>
#include <stdint.h>

struct dma_space {
    /* Translate an access at iova (write: the device writes memory): 0
     * with *gpa and *run, the bytes from iova on that map to gpa onwards
     * (at least 1), or -1: blocked (the IOMMU recorded why). */
    int (*translate)(void *ctx, uint64_t iova, bool write, uint64_t *gpa, uint64_t *run);
    void *ctx;
};

#endif
