/*
 * lab.h — the stub that stands in for a lab task in a handout (labs/README.md).
 *
 * `make handout LAB=n` replaces each region of solution code between
 *     / * LAB n BEGIN: task * /  ...  / * LAB n END * /
 * by a call lab_not_implemented(n, "task").  Reached at run time, it prints
 * one line "not implemented: lab n: task" on stderr and ends the VMM with
 * status LAB_NOT_IMPLEMENTED_STATUS: a clear "write this part next", never a
 * crash.  It only uses write(2) and _exit(2), so it is safe to reach from a
 * signal handler (stage 01's window faults are handled in SIGSEGV).
 */
#ifndef CORE_LAB_H
#define CORE_LAB_H

#define LAB_NOT_IMPLEMENTED_STATUS 71

_Noreturn void lab_not_implemented(int lab, const char *task);

#endif
