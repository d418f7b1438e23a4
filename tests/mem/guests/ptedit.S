/* ptedit.S — a guest that edits its own page tables behind a cached
 * shadow, for vmm-mem (tests/mem/mem.sh).  Ring 0, paging on with CR0.WP;
 * every step reads back through the linear address the edit changed and
 * ends the VM with its own status when it sees the old translation:
 *
 *   10-14  a PTE changed and read after INVLPG, after a CR3 reload with no
 *          INVLPG (a cached shadow must have seen the store), and through
 *          the recursive mapping (PDE 1 -> the directory itself: the
 *          tables are data pages too, written through an alias)
 *   15-21  two address spaces (pd, pd2): tables and a PDE of the one not
 *          running edited, then switched to
 *   22-24  a read-only PTE: a write raises #PF, error P|W, CR2 = address;
 *          made writable, the write goes through
 *   25-26  a page table outside RAM: #PF, not present (entries outside
 *          RAM read as 0, x86/paging.h)
 *   27-28  the directory read and written through the loop PDE 1 -> PD
 *   29     a PDE looping to the directory from another directory (pd2's
 *          PDE 5 -> pd): pd's directory read as a page table
 * Ends with status 0.
 */
#include "../../fuzz/guests/guest.inc"

#define WIN_A 0x00C00000   /* PDE 3 -> pt3 (or pt3b in pd2)     */
#define ALIAS 0x00400000   /* PDE 1 -> the directory: its tables */
#define NORAM 0x00800000   /* PDE 2 -> a table at 0xF0000000     */

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
/* An entry compared without the A and D bits the walks set. */
.macro EXPECT_PTE addr, val, n
    mov \addr, %eax
    and $~0x60, %eax
    cmp $\val, %eax
    je 8f
    FAIL \n
8:
.endm
.macro LOADCR3 pd
    mov $\pd, %eax
    mov %eax, %cr3
.endm
.macro RELOAD
    mov %cr3, %eax
    mov %eax, %cr3
.endm
/* ARM; an instruction that must raise #PF; FAULTED with the error code
 * and CR2 it must have given. */
.macro ARM
    movl $9f, resume
    movl $0, pf_count
.endm
.macro FAULTED err, addr, n
    FAIL \n
9:  cmpl $1, pf_count
    je 7f
    FAIL \n
7:  cmpl $\err, pf_err
    je 6f
    FAIL \n
6:  cmpl $\addr, pf_cr2
    je 5f
    FAIL \n
5:
.endm

    MULTIBOOT_HEADER
    .text
    .globl _start
_start:
    mov $stack_top, %esp
    SETUP_IDT handler
    mov $pt0, %edi                  /* pt0: the first 4 MiB, identity */
    mov $3, %eax                    /* P|W */
    mov $1024, %ecx
1:  mov %eax, (%edi)
    add $4, %edi
    add $0x1000, %eax
    loop 1b
    movl $0x11111111, data_a
    movl $0x22222222, data_b
    movl $pt0 + 3, pd
    movl $pd + 3, pd + 4            /* the loop: PDE 1 -> the directory */
    movl $0xF0000003, pd + 8        /* a table outside RAM */
    movl $pt3 + 3, pd + 12
    movl $data_a + 3, pt3
    movl $data_a + 1, pt3 + 4       /* read-only */
    movl $pt0 + 3, pd2
    movl $pd2 + 3, pd2 + 4
    movl $pt3b + 3, pd2 + 12
    movl $pd + 3, pd2 + 20          /* pd2's PDE 5 -> pd as a page table */
    movl $data_b + 3, pt3b
    LOADCR3 pd
    mov %cr0, %eax
    or $0x80010000, %eax            /* PG | WP */
    mov %eax, %cr0
    jmp 2f
2:
    EXPECT WIN_A, 0x11111111, 10
    movl $data_b + 3, pt3
    invlpg WIN_A
    EXPECT WIN_A, 0x22222222, 11
    movl $data_a + 3, pt3
    RELOAD
    EXPECT WIN_A, 0x11111111, 12
    movl $data_b + 3, ALIAS + 0x3000 /* pt3[0], through the loop */
    RELOAD
    EXPECT WIN_A, 0x22222222, 13
    EXPECT_PTE pt3, data_b + 3, 14

    LOADCR3 pd2
    EXPECT WIN_A, 0x22222222, 15
    movl $data_a + 3, pt3           /* pd's table, pd not running */
    movl $data_a + 3, pt3b
    RELOAD
    LOADCR3 pd
    EXPECT WIN_A, 0x11111111, 16
    LOADCR3 pd2
    EXPECT WIN_A, 0x11111111, 17
    movl $data_b + 3, pt3b
    LOADCR3 pd
    EXPECT WIN_A, 0x11111111, 18
    LOADCR3 pd2
    EXPECT WIN_A, 0x22222222, 19
    movl $pt3b + 3, pd + 12         /* pd's PDE 3, pd not running */
    LOADCR3 pd
    EXPECT WIN_A, 0x22222222, 20
    movl $pt3 + 3, pd + 12
    RELOAD
    EXPECT WIN_A, 0x11111111, 21

    ARM
    movl $5, WIN_A + 0x1000
    FAULTED 3, WIN_A + 0x1000, 22
    EXPECT data_a, 0x11111111, 23
    movl $data_a + 3, pt3 + 4       /* now writable */
    invlpg WIN_A + 0x1000
    movl $0x33333333, WIN_A + 0x1000
    EXPECT data_a, 0x33333333, 24

    ARM
    mov NORAM, %eax
    FAULTED 0, NORAM, 25
    ARM
    movl $1, NORAM + 0x10
    FAULTED 2, NORAM + 0x10, 26

    EXPECT_PTE ALIAS + 0x100C, pt3 + 3, 27 /* PDE 3 read through the loop */
    movl $pt3b + 3, ALIAS + 0x100C
    RELOAD
    EXPECT WIN_A, 0x22222222, 28
    LOADCR3 pd2
    EXPECT_PTE 0x0140100C, pt3b + 3, 29 /* pd2 PDE 5 -> pd, pd[1] -> pd: PDE 3 */
    EXIT 0
    hlt

/* #PF: note error code and CR2, resume at `resume`. */
handler:
    pop %eax
    mov %eax, pf_err
    mov %cr2, %eax
    mov %eax, pf_cr2
    incl pf_count
    mov resume, %eax
    mov %eax, (%esp)
    iret

    IDT_DATA
    .data
resume:   .long 0
pf_count: .long 0
pf_err:   .long 0
pf_cr2:   .long 0
    .bss
    .align 4096
pd:     .space 4096
pd2:    .space 4096
pt0:    .space 4096
pt3:    .space 4096
pt3b:   .space 4096
data_a: .space 4096
data_b: .space 4096
    STACK
