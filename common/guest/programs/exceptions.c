/*
 * exceptions — CPU exceptions and how the kernel routes them.
 *
 * Ring 3: #DE, #GP, #PF (read and write of a supervisor page, an unmapped
 * address) and #UD, each delivered to the task's SYS_fault_handler with
 * the right vector, error code, CR2 and faulting EIP; then a task without
 * a handler must be killed with exit code 128 + vector.
 * Ring 0: #DE and #UD in the kernel itself, survived through the kfault
 * recovery of program.h.
 */
#include "program.h"

int exceptions_user(uint32_t arg);
int exceptions_die_user(uint32_t arg);

/* kexc_try(0) divides by zero, kexc_try(1) executes ud2, with kfault armed
 * to resume at label 9; returns 1 if the fault was taken. */
int kexc_try(uint32_t which);
extern char kexc_ip_de[], kexc_ip_ud[];
__asm__(".text\n"
        ".globl kexc_try\n"
        "kexc_try:\n"
        "   push %ebp; push %ebx; push %esi; push %edi\n"
        "   movl $9f, kfault+4\n" /* kfault.resume */
        "   movl $1, kfault\n"    /* kfault.armed  */
        "   cmpl $0, 20(%esp)\n"
        "   jne 1f\n"
        "   xorl %ecx, %ecx; movl $1, %eax; xorl %edx, %edx\n"
        ".globl kexc_ip_de\n"
        "kexc_ip_de: divl %ecx\n"
        "   jmp 8f\n"
        "1:\n"
        ".globl kexc_ip_ud\n"
        "kexc_ip_ud: ud2\n"
        "8: xorl %eax, %eax; jmp 7f\n"
        "9: movl $1, %eax\n"
        "7: movl $0, kfault\n"
        "   pop %edi; pop %esi; pop %ebx; pop %ebp\n"
        "   ret\n");

static int exceptions(struct prog_ctx *ctx)
{
    int bad = run_user("exceptions", exceptions_user, 0);
    if (bad)
        return prog_fail(
            ctx, "ring-3 task exited with %d (cases reported wrongly, or 128+vector if killed)",
            bad);

    int code = run_user("exc-die", exceptions_die_user, 0);
    result(ctx, "ring=3 case=unhandled-#UD exit=%d", code);
    if (code != 128 + 6)
        return prog_fail(ctx, "task with an unhandled #UD exited with %d, expected 134", code);

    static const char *const names[2] = { "#DE", "#UD" };
    static const uint32_t vectors[2] = { 0, 6 };
    char *const ips[2] = { kexc_ip_de, kexc_ip_ud };
    for (uint32_t k = 0; k < 2; k++) {
        kfault.vector = kfault.eip = 0xdeadbeef;
        uint64_t t0 = rdtsc();
        int hit = kexc_try(k);
        uint64_t cycles = rdtsc() - t0;
        result(ctx, "ring=0 case=%s delivered=%d vector=%u eip_ok=%d cycles=%llu", names[k], hit,
               kfault.vector, kfault.eip == (uint32_t)ips[k], cycles);
        if (!hit || kfault.vector != vectors[k] || kfault.eip != (uint32_t)ips[k])
            return prog_fail(ctx, "ring-0 %s: delivered=%d vector=%u eip=0x%x", names[k], hit,
                             kfault.vector, kfault.eip);
    }
    return 0;
}

PROGRAM("exceptions",
        "#DE #GP #PF #UD in ring 3 via SYS_fault_handler, #DE #UD in ring 0 via kfault", 1,
        exceptions);
