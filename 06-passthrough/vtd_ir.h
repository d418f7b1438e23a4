/*
 * vtd_ir.h — interrupt remapping (VT-d §5.1).
 *
 * With GSTS.IRES = 1 the unit intercepts every MSI write (to 0xFEExxxxx).
 * A "remappable format" request (§5.1.2.2) carries no destination or
 * vector, only a handle into the interrupt remapping table (IRTA_REG,
 * latched by SIRTP: base, and 2^(S+1) entries):
 *
 *   address  bits 31:20 0xFEE | 19:5 handle[14:0] | 4 IF = 1 |
 *            3 SHV | 2 handle[15] | 1:0 ignored
 *   data     bits 15:0 subhandle (added to the handle when SHV = 1),
 *            31:16 reserved
 *
 * The entry (IRTE, §9.10, 128 bits) then says what to deliver:
 *
 *   bit 0 P | 1 FPD | 2 DM | 3 RH | 4 TM | 7:5 DLM | 15 IM (posted) |
 *   23:16 vector | 47:40 destination APIC ID (xAPIC mode) ||
 *   79:64 SID | 81:80 SQ | 83:82 SVT (source validation)
 *
 * so a device (or a guest driving an assigned device) can only raise the
 * interrupts the host put in the table for its source-id.  Requests in the
 * old "compatibility format" (IF = 0) pass only if GSTS.CFIS is set.
 * Anything else is blocked and recorded (vtd_fault.h, reasons 0x20-0x26,
 * the index in the record's bits 63:48).  Only xAPIC mode: no EIM, no
 * posted interrupts.  I/O APIC interrupts are not remapped here.
 */
#ifndef PT_VTD_IR_H
#define PT_VTD_IR_H

#include <stdint.h>

struct vtd;

/* Pass an MSI write of source-id sid through the unit: 0 and *addr, *data
 * what reaches the local APICs, or the fault reason (recorded unless the
 * entry's FPD says not) and the interrupt is dropped. */
int vtd_ir_remap(struct vtd *u, uint16_t sid, uint32_t *addr, uint32_t *data);

#endif
