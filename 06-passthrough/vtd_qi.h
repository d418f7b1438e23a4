/*
 * vtd_qi.h — queued invalidation (VT-d §6.5.2).
 *
 * Instead of one command at a time through CCMD_REG and IOTLB_REG (§6.5.1),
 * software writes 128-bit descriptors into a ring in memory (IQA_REG: base
 * and size, 2^QS pages of 256 descriptors) and moves the tail (IQT_REG);
 * the unit executes them from the head (IQH_REG) up to the tail:
 *
 *   type 1  context-cache invalidate (§6.5.2.1): G global/domain/device,
 *           DID, SID, FM
 *   type 2  IOTLB invalidate (§6.5.2.3): G global/domain/page, DID, and in
 *           the high half ADDR and AM (2^AM pages)
 *   type 4  interrupt entry cache invalidate (§6.5.2.7): G (0 global, 1
 *           index-selective), IM (2^IM entries), IIDX
 *   type 5  invalidation wait (§6.5.2.8): once everything before it is
 *           done, SW = 1 writes the 32-bit status data to the status
 *           address (the high half), IF = 1 sets ICS.IWC and raises the
 *           completion event; how software learns the queue has drained
 *
 * A descriptor of another type (device-TLB and PASID ones are not
 * supported), with a reserved bit set, outside memory, or a tail beyond
 * the queue stops the queue: FSTS.IQE is set and IQH points at the bad
 * descriptor (§6.5.2.10); the queue goes on when software clears IQE.
 */
#ifndef PT_VTD_QI_H
#define PT_VTD_QI_H

#include <stdint.h>

struct vtd;

/* Descriptor types (low 4 bits of the first quadword). */
enum { VTD_QI_CC = 1, VTD_QI_IOTLB = 2, VTD_QI_DEVTLB = 3, VTD_QI_IEC = 4, VTD_QI_WAIT = 5 };
#define VTD_QI_WAIT_IF (1ull << 4)
#define VTD_QI_WAIT_SW (1ull << 5)
#define VTD_QI_WAIT_FN (1ull << 6)

/* Execute what lies between the head and the tail, if queued invalidation
 * is on and no error is pending (after IQT writes, QIE, IQE cleared). */
void vtd_qi_run(struct vtd *u);

#endif
