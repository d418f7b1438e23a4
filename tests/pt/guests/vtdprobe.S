/* vtdprobe.S — a guest that finds the VT-d unit of vmm-pt and drives its
 * registers through MMIO (tests/pt/pt.sh): the route from a guest's
 * memory access to the unit under each engine, and the firmware tables a
 * Multiboot guest gets.  Ring 0, no paging.  Each step ends the VM with
 * its own status when it sees something else:
 *
 *   10  the RSDP at 0xF0000 and the DMAR table at 0xF0A00 (dmar_acpi.h),
 *       whose DRHD says where the registers are
 *   11  VER = 1.0; CAP.SAGAW: 3 and 4 levels (VT-d §10.4.1-2)
 *   12  RTADDR then GCMD.SRTP: GSTS.RTPS (§10.4.4-6)
 *   13  GCMD.TE: GSTS.TES, RTPS kept
 *   14  two commands in one write (TE off, IRE on): nothing changes
 *   15  FSTS 0, FECTL.IM set (no fault, events masked)
 * Ends with status 0.
 */
#include "../../fuzz/guests/guest.inc"

#define VTD  0xFED90000
#define GCMD 0x18
#define GSTS 0x1C
#define ROOT 0x00200000  /* a root table of zeros: nothing present */

.macro FAIL n
    mov $\n, %al
    out %al, $DEBUG_EXIT_PORT
    hlt
.endm
.macro EXPECT addr, val, n
    cmpl $\val, \addr
    je 8f
    FAIL \n
8:
.endm

    MULTIBOOT_HEADER
    .text
    .globl _start
_start:
    EXPECT 0xF0000, 0x20445352, 10       /* "RSD " */
    EXPECT 0xF0A00, 0x52414D44, 10       /* "DMAR" */
    EXPECT 0xF0A38, VTD, 10              /* the DRHD's register base */
    EXPECT VTD, 0x10, 11
    mov VTD + 0x8, %eax
    shr $8, %eax
    and $0x1f, %eax
    cmp $6, %eax
    je 1f
    FAIL 11
1:  movl $ROOT, VTD + 0x20
    movl $0, VTD + 0x24
    movl $0x40000000, VTD + GCMD         /* SRTP */
    EXPECT VTD + GSTS, 0x40000000, 12
    movl $0x80000000, VTD + GCMD         /* TE (RTPS masked off, as §10.4.4 says) */
    EXPECT VTD + GSTS, 0xC0000000, 13
    movl $0x02000000, VTD + GCMD         /* TE off and IRE on at once */
    EXPECT VTD + GSTS, 0xC0000000, 14
    EXPECT VTD + 0x34, 0, 15
    EXPECT VTD + 0x38, 0x80000000, 15
    EXIT 0
    hlt
