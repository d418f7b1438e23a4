/*
 * divzero_user.c — ring-3 half of `divzero`: n divisions by zero, each one
 * must raise #DE (vector 0) at the div instruction (a fault: the saved EIP
 * points at the div, SDM Vol. 3A §6.15) and come back through the handler
 * registered with SYS_fault_handler.
 */
#include "../user/ulib.h"
#include "../compute/div64.h"

/* uint32_t divzero_loop(uint32_t n, uint32_t *bad), n >= 1: returns the
 * number of correctly delivered #DE, stores the number of wrong ones.
 * The kernel resumes at divzero_resume with EAX = vector, EDX = error code,
 * ECX = CR2, EBX = faulting EIP, other registers and ESP as at the fault. */
uint32_t divzero_loop(uint32_t n, uint32_t *bad);
extern char divzero_resume[];
__asm__(".pushsection .text\n"
        ".globl divzero_loop, divzero_resume\n"
        ".type divzero_loop, @function\n"
        "divzero_loop:\n"
        "    push %ebx\n"
        "    push %esi\n"
        "    push %edi\n"
        "    push %ebp\n"
        "    mov 20(%esp), %esi\n" /* n                              */
        "    xor %edi, %edi\n"     /* good deliveries                */
        "    xor %ebp, %ebp\n"     /* wrong ones                     */
        "1:  mov $1, %eax\n"
        "    xor %edx, %edx\n"
        "    xor %ecx, %ecx\n"
        "divzero_insn:\n"
        "    divl %ecx\n" /* 1 / 0: #DE                     */
        "    inc %ebp\n"  /* no fault: wrong                */
        "    jmp 2f\n"
        "divzero_resume:\n"
        "    test %eax, %eax\n" /* vector 0 (#DE) ...             */
        "    jnz 3f\n"
        "    cmp $divzero_insn, %ebx\n" /* ... at the div                 */
        "    jne 3f\n"
        "    inc %edi\n"
        "    jmp 2f\n"
        "3:  inc %ebp\n"
        "2:  dec %esi\n"
        "    jnz 1b\n"
        "    mov 24(%esp), %ecx\n"
        "    mov %ebp, (%ecx)\n"
        "    mov %edi, %eax\n"
        "    pop %ebp\n"
        "    pop %edi\n"
        "    pop %esi\n"
        "    pop %ebx\n"
        "    ret\n"
        ".popsection\n");

int divzero_user_main(uint32_t n)
{
    uint32_t bad = 0;
    if (u_syscall(SYS_fault_handler, (uint32_t)divzero_resume, 0, 0) < 0) {
        u_printf("divzero: SYS_fault_handler refused the handler\n");
        return 1;
    }
    uint64_t t0 = u_rdtsc();
    uint32_t good = divzero_loop(n, &bad);
    uint64_t cycles = u_rdtsc() - t0;
    u_syscall(SYS_fault_handler, 0, 0, 0);

    u_result("divzero", "faults=%u delivered=%u wrong=%u cycles=%llu cycles_per_fault=%llu", n,
             good, bad, cycles, udiv64_32(cycles, n));
    return good == n && bad == 0 ? 0 : (int)(n - good + bad);
}
