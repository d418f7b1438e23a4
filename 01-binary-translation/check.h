/*
 * check.h — "--check interp": run the reference interpreter in lock step
 * with the translator and stop at the first block boundary where their
 * architectural state differs.
 *
 * The reference is a second CPU (struct x86_cpu + struct interp) over a copy
 * of guest RAM taken at start.  It never touches the devices: what the
 * translated guest read from them (IN results, string I/O, MMIO), the
 * interrupts it took and the TSC values it saw are replayed to it at the
 * same instruction counts.  Registers, EIP, EFLAGS, segments, control
 * registers and the halted state are compared; memory differences show up
 * in registers soon after.
 *
 * Arithmetic flags the SDM leaves undefined (AF after XOR, OF after a
 * shift by 2, ...: x86/flag_effects.h) differ between CPU vendors, and
 * translated code computes them on the host CPU.  The reference tracks
 * which flags the instructions since the last agreed state left undefined;
 * those are not compared, and when the states agree the reference takes
 * bt's values of them.  Under --check, bt's decoded blocks end before an
 * instruction that reads a flag the block left undefined (PUSHF, LAHF,
 * ADC, Jcc...), and before an exception pushes EFLAGS the reference takes
 * bt's values too (check_fault): an undefined flag is never read while
 * the two may hold different values.
 */
#ifndef BT_CHECK_H
#define BT_CHECK_H

#include <stdio.h>
#include <stdint.h>
#include "core/engine.h"

struct bt_check;

struct bt_check *check_create(struct vcpu *v, char *err, size_t errlen);
void check_destroy(struct bt_check *chk);

/* Events of the translated run, in order. */
void check_io_done(struct bt_check *chk, uint32_t value);      /* IN/OUT completed with value */
void check_record_read(struct bt_check *chk, uint32_t value);  /* string I/O or MMIO read */
void check_record_tsc(struct bt_check *chk, uint64_t tsc);     /* RDTSC result            */
void check_irq(struct bt_check *chk, uint64_t at, int vector); /* delivered at count at  */

/* Bring the reference to `instructions` retired and compare with cpu.
 * 0 equal; -1 they differ (both states printed to stderr, a one-line
 * reason in msg). */
int check_step(struct bt_check *chk, const struct x86_cpu *cpu, uint64_t instructions, char *msg,
               size_t len);
/* bt is about to deliver an exception raised by the instruction after
 * `instructions` (it did not retire).  The exception frame holds EFLAGS, a
 * read of every flag: bring the reference to just before that instruction
 * and give it bt's values of the flags it holds undefined.  Not a compare
 * point (a REP string may be half done); no interrupt is replayed to the
 * reference before it has delivered its own exception.  -1 if the
 * reference failed. */
int check_fault(struct bt_check *chk, const struct x86_cpu *cpu, uint64_t instructions, char *msg,
                size_t len);
void check_print_stats(const struct bt_check *chk, FILE *out);

/* The first field in which bt's state a and the reference's b differ, as
 * "name A vs B" in buf, or NULL.  Arithmetic flags in undef (left
 * undefined by the SDM since the last agreed state) are not compared. */
const char *check_differs(const struct x86_cpu *a, const struct x86_cpu *b, uint32_t undef,
                          char *buf, size_t len);

#endif
