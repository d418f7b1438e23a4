/* syscall.h — the int 0x80 system calls of include/vmlab_abi.h. */
#ifndef GUEST_SYSCALL_H
#define GUEST_SYSCALL_H

#include <stdint.h>
#include "trap.h"

int32_t syscall(struct trapframe *tf);

/* SYS_probe(what, out_ptr) calls this hook, which programs/sensitive.c
 * defines; the kernel's weak default answers -2 (unknown call). */
int sensitive_probe(uint32_t what, uint32_t out_user_ptr);

#endif
