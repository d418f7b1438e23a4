/*
 * dflags.h — which arithmetic flags an instruction reads, defines, and
 * leaves undefined (SDM Vol. 2 "Flags Affected" of each instruction).
 *
 * The comparison masks only what the SDM calls undefined.  Some of that
 * depends on run-time values (a shift by CL = 1 defines OF, by 2 leaves it
 * undefined), so the effect is computed per executed instruction from the
 * CPU state before it; with no state, a conservative answer: def holds
 * only flags certainly defined, undef every flag possibly undefined.
 */
#ifndef DIFF_DFLAGS_H
#define DIFF_DFLAGS_H

#include <stdbool.h>
#include <stdint.h>
#include <capstone/capstone.h>
#include "x86/cpu.h"

struct diff_flag_effect {
    uint32_t reads;   /* flags whose value the instruction uses           */
    uint32_t def;     /* flags it sets to a defined value                  */
    uint32_t undef;   /* flags it leaves undefined                         */
};

/* false if the instruction is not one the tester knows (not allowed). */
bool diff_flag_effect(const cs_insn *insn, const struct x86_cpu *cpu, struct diff_flag_effect *fe);

/* Undefined-flag set after an instruction with effect fe. */
static inline uint32_t diff_flags_after(uint32_t undef, const struct diff_flag_effect *fe)
{
    return (undef & ~fe->def) | fe->undef;
}

#endif
