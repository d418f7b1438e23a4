/*
 * vmlab_abi.h — the guest's system-call ABI, shared by the teaching kernel,
 * its own ring-3 programs and any user-supplied freestanding i386 ELF that is
 * passed as a Multiboot module.
 *
 * Calling convention (the classic Linux i386 one, on purpose):
 *   int $0x80, EAX = number, EBX/ECX/EDX/ESI/EDI = arguments, EAX = result.
 *   Negative results are errors (-1 = bad argument, -2 = unknown number).
 * The numbers of the five portable calls are Linux's, so students can read
 * the same trace on Linux and on vmlab.
 */
#ifndef VMLAB_ABI_H
#define VMLAB_ABI_H

#define VMLAB_SYSCALL_VECTOR 0x80

/* The portable tiny ABI (documented in common/guest/README.md). */
#define SYS_exit   1   /* exit(code): ends the task                        */
#define SYS_write  4   /* write(fd=1|2, buf, len) -> len, to COM1           */
#define SYS_time   13  /* time() -> timer ticks since boot (100 Hz PIT)     */
#define SYS_getpid 20  /* getpid() -> task id; the "null" system call       */
#define SYS_yield  158 /* sched_yield(): give the CPU to the next task      */

/* The module ABI's process services: Linux's numbers and semantics too.
 *   brk(addr) -> the break, moved to addr if addr lies in the heap (brk(0)
 *     reads it); lowering it frees the pages above.
 *   clock_gettime(CLOCK_MONOTONIC, ts) -> 0; ts = { uint32 sec, uint32 nsec }
 *     since the TSC's zero, at its resolution (one cycle). */
#define SYS_brk           45
#define SYS_clock_gettime 265
#define CLOCK_MONOTONIC   1

/* vmlab extensions used by the built-in test programs. */
#define SYS_fault_handler \
    0x100                  /* (eip) on a ring-3 exception resume at eip with
                                    EAX=vector, EDX=error code, ECX=CR2,
                                    EBX=faulting EIP; eip=0 restores "kill task" */
#define SYS_rdtsc_ok 0x101 /* () -> 1: rdtsc is allowed in ring 3 (CR4.TSD=0) */
#define SYS_probe \
    0x102 /* (what, out_ptr) ring-0 observation for
                                    `sensitive`, see programs/sensitive.c        */
#define SYS_pte_toggle \
    0x103 /* (addr, how) flip the R/W bit of the PTE mapping
                                    addr in the caller's address space, then
                                    invlpg (how 0) or reload CR3 (how 1)          */
#define SYS_inout \
    0x104 /* (n) do n in/out pairs on the UART scratch
                                    register from ring 0; returns last value     */
#define SYS_tsc_hz \
    0x105 /* (out) *(uint64_t *)out = TSC cycles per
                                    second, calibrated against the PIT at boot  */

/* Where things are in every task's address space (2-level paging, 4 KiB pages). */
#define USER_HEAP_BASE 0x40000000u /* demand-zero, private to the address space */
#define USER_HEAP_END  0x80000000u
#define USER_STACK_TOP 0xBFFFF000u /* demand-zero stack grows down from here    */
#define USER_STACK_MAX 0x00100000u /* 1 MiB                                     */
#define USER_ELF_MIN   0x08000000u /* a module ELF must link at or above this   */

#endif
