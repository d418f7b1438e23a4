/*
 * exceptions_user — the ring-3 half of `exceptions`.
 *
 * exc_try(k) provokes fault k at a known instruction (exc_ip_*; for the
 * jump into unmapped memory the faulting EIP is the jump's target).  The task
 * registered exc_handler with SYS_fault_handler, so the kernel resumes it
 * there with EAX = vector, EDX = error code, ECX = CR2, EBX = faulting EIP;
 * the handler records them and "longjmps" back into exc_try, which then
 * returns 1.  Without a fault exc_try returns 0.
 */
#include "ulib.h"

volatile struct exc_record {
    uint32_t vector, error, cr2, eip;
} exc_rec;
uint32_t exc_resume_esp, exc_resume_eip;

int exc_try(uint32_t which);
void exc_handler(void);
extern char exc_ip_de[], exc_ip_gp[], exc_ip_pfr[], exc_ip_pfw[], exc_ip_pfn[], exc_ip_ud[];

__asm__(".text\n"
        ".globl exc_handler\n"
        "exc_handler:\n"
        "   movl %eax, exc_rec\n"
        "   movl %edx, exc_rec+4\n"
        "   movl %ecx, exc_rec+8\n"
        "   movl %ebx, exc_rec+12\n"
        "   movl exc_resume_esp, %esp\n"
        "   jmp *exc_resume_eip\n"

        ".globl exc_try\n"
        "exc_try:\n"
        "   push %ebp; push %ebx; push %esi; push %edi\n"
        "   movl %esp, exc_resume_esp\n"
        "   movl $9f, exc_resume_eip\n"
        "   movl 20(%esp), %eax\n"
        "   cmpl $0, %eax; je 10f\n"
        "   cmpl $1, %eax; je 11f\n"
        "   cmpl $2, %eax; je 12f\n"
        "   cmpl $3, %eax; je 13f\n"
        "   cmpl $4, %eax; je 14f\n"
        "   cmpl $6, %eax; je 16f\n"
        "   jmp 15f\n"
        "10: xorl %ecx, %ecx; movl $1, %eax; xorl %edx, %edx\n"
        ".globl exc_ip_de\n"
        "exc_ip_de: divl %ecx\n" /* #DE: divide by zero              */
        "   jmp 8f\n"
        "11:\n"
        ".globl exc_ip_gp\n"
        "exc_ip_gp: hlt\n" /* #GP(0): privileged in ring 3     */
        "   jmp 8f\n"
        "12: movl $0x00100000, %eax\n"
        ".globl exc_ip_pfr\n"
        "exc_ip_pfr: movl (%eax), %eax\n" /* #PF: read a supervisor page      */
        "   jmp 8f\n"
        "13: movl $0x00100000, %eax\n"
        ".globl exc_ip_pfw\n"
        "exc_ip_pfw: movl %eax, (%eax)\n" /* #PF: write a supervisor page     */
        "   jmp 8f\n"
        "14: movl $0x20000000, %eax\n"
        ".globl exc_ip_pfn\n"
        "exc_ip_pfn: movl (%eax), %eax\n" /* #PF: nothing mapped there        */
        "   jmp 8f\n"
        "16: movl $0x20000000, %eax\n"
        "   jmp *%eax\n" /* #PF: fetch from nothing mapped   */
        "15:\n"
        ".globl exc_ip_ud\n"
        "exc_ip_ud: ud2\n"             /* #UD                              */
        "8: xorl %eax, %eax; jmp 7f\n" /* no fault                         */
        "9: movl $1, %eax\n"           /* resumed by exc_handler           */
        "7: pop %edi; pop %esi; pop %ebx; pop %ebp\n"
        "   ret\n");

/* What each case must report: vector, error code, CR2 (or ~0: any).  An
 * instruction fetch from a not-present page reports P=0 U=1 and no I/D bit:
 * 32-bit paging sets I/D only with SMEP or PAE+NX (SDM Vol. 3A §4.7). */
#define NCASES   7
#define UNMAPPED ((const char *)0x20000000)
static const struct {
    uint32_t vector, error, cr2;
    const char *name;
} expect[NCASES] = {
    { 0, 0, ~0u, "#DE" },
    { 13, 0, ~0u, "#GP" },
    { 14, 0x5, 0x00100000, "#PF-read" },     /* P=1 U=1: protection, read  */
    { 14, 0x7, 0x00100000, "#PF-write" },    /* P=1 W=1 U=1                */
    { 14, 0x4, 0x20000000, "#PF-unmapped" }, /* P=0 U=1                    */
    { 6, 0, ~0u, "#UD" },
    { 14, 0x4, 0x20000000, "#PF-fetch" }, /* jmp into unmapped memory   */
};

int exceptions_user(uint32_t arg)
{
    (void)arg;
    const char *const ips[NCASES] = { exc_ip_de,  exc_ip_gp, exc_ip_pfr, exc_ip_pfw,
                                      exc_ip_pfn, exc_ip_ud, UNMAPPED };
    int bad = 0;
    u_syscall(SYS_fault_handler, (uint32_t)exc_handler, 0, 0);
    for (uint32_t k = 0; k < NCASES; k++) {
        exc_rec.vector = exc_rec.error = exc_rec.cr2 = exc_rec.eip = 0xdeadbeef;
        int hit = exc_try(k);
        int ok = hit && exc_rec.vector == expect[k].vector && exc_rec.error == expect[k].error &&
                 (expect[k].cr2 == ~0u || exc_rec.cr2 == expect[k].cr2) &&
                 exc_rec.eip == (uint32_t)ips[k];
        u_result("exceptions",
                 "ring=3 case=%s delivered=%d vector=%u error=0x%x cr2=0x%08x eip_ok=%d",
                 expect[k].name, hit, exc_rec.vector, exc_rec.error, exc_rec.cr2,
                 exc_rec.eip == (uint32_t)ips[k]);
        bad += !ok;
    }
    u_syscall(SYS_fault_handler, 0, 0, 0); /* back to "kill on fault" */
    return bad;
}

/* No handler: the kernel must kill this task with 128 + 6. */
int exceptions_die_user(uint32_t arg)
{
    (void)arg;
    __asm__ volatile("ud2");
    return 0;
}
