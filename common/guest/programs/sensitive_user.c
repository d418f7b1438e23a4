/*
 * sensitive_user.c — ring-3 half of `sensitive`: the same observations from
 * CPL 3, compared with the kernel's (SYS_probe).  On a real CPU none of
 * these instructions traps (CR4.UMIP=0), so ring 3 sees privileged state:
 * the descriptor-table registers, TR, LDTR, CR0's low half.  popf cannot
 * change IF with IOPL=0, and does not trap either: the change is silently
 * dropped.  Only cli traps (#GP) — it is privileged at IOPL 0.
 *
 * Returns the number of observations that differ from a real CPU's.
 */
#include "../user/ulib.h"
#include "sensitive.h"

/* uint32_t sens_try_cli(uint32_t *fault_eip): runs cli in ring 3 and
 * returns the exception vector it raised (-1 if none).  The kernel resumes
 * a faulting task at sens_cli_resume (SYS_fault_handler) with EAX = vector
 * and EBX = the faulting EIP; ESP is unchanged, so the stack is as we left it. */
uint32_t sens_try_cli(uint32_t *fault_eip);
extern char sens_cli_insn[], sens_cli_resume[];
__asm__(".pushsection .text\n"
        ".globl sens_try_cli, sens_cli_insn, sens_cli_resume\n"
        ".type sens_try_cli, @function\n"
        "sens_try_cli:\n"
        "    push %ebx\n"
        "    xor %ebx, %ebx\n"
        "    mov $-1, %eax\n"
        "sens_cli_insn:\n"
        "    cli\n"
        "sens_cli_resume:\n"
        "    cmp $-1, %eax\n"
        "    jne 1f\n"
        "    sti\n" /* cli did not trap: undo it */
        "1:  mov 8(%esp), %ecx\n"
        "    mov %ebx, (%ecx)\n"
        "    pop %ebx\n"
        "    ret\n"
        ".popsection\n");

static void check(int *failures, int ok, const char *what)
{
    if (!ok) {
        u_printf("sensitive: ring 3: %s\n", what);
        (*failures)++;
    }
}

int sensitive_user_main(uint32_t arg)
{
    struct sensitive_obs me, k;
    uint32_t before, after, fault_eip = 0;
    int failures = 0;
    (void)arg;

    u_memset(&k, 0, sizeof k); /* touch it: demand-zero stack page */
    sensitive_observe(&me);
    int probe = u_syscall(SYS_probe, SENSITIVE_PROBE_RING0, (uint32_t)&k, 0);

    /* popf trying to clear IF: with CPL > IOPL the CPU keeps IF as it was
     * (SDM Vol. 2B, POPF "Operation"), no exception. */
    __asm__ volatile("pushf; pop %0\n\t"
                     "mov %0, %1; and $~0x200, %1; push %1; popf\n\t"
                     "pushf; pop %1"
                     : "=&r"(before), "=&r"(after)::"cc", "memory");
    uint32_t popf_if_kept = (before & EFLAGS_IF) && (after & EFLAGS_IF);

    /* cli is IOPL-sensitive: #GP(0) in ring 3 with IOPL 0. */
    u_syscall(SYS_fault_handler, (uint32_t)sens_cli_resume, 0, 0);
    uint32_t cli_vec = sens_try_cli(&fault_eip);
    u_syscall(SYS_fault_handler, 0, 0, 0);

    uint32_t lar_kcs = sensitive_lar_ok(k.cs);

    u_result("sensitive",
             "ring=3 cs=0x%02x ss=0x%02x ds=0x%02x if=%u iopl=%u "
             "gdtr=0x%08x:0x%04x idtr=0x%08x:0x%04x msw=0x%04x tr=0x%02x ldtr=0x%02x "
             "lar_cs=0x%08x verr_cs=%u lar_kernel_cs=%u popf_if_kept=%u cli_fault=%d",
             me.cs, me.ss, me.ds, !!(me.flags & EFLAGS_IF), (me.flags & EFLAGS_IOPL) >> 12,
             me.gdt_base, me.gdt_limit, me.idt_base, me.idt_limit, me.msw, me.tr, me.ldtr,
             me.lar_cs, me.verr_cs, lar_kcs, popf_if_kept, (int)cli_vec);

    check(&failures, probe == 0, "SYS_probe failed");
    check(&failures, (me.cs & 3) == 3 && (me.ss & 3) == 3, "CS/SS RPL is not the CPL 3");
    check(&failures, (me.flags & EFLAGS_IF) && (me.flags & EFLAGS_IOPL) == 0,
          "user EFLAGS should have IF=1 and IOPL=0");
    check(&failures, popf_if_kept, "popf changed IF in ring 3");
    check(&failures, cli_vec == 13 && fault_eip == (uint32_t)sens_cli_insn,
          "cli in ring 3 did not raise #GP at the cli");
    check(&failures, me.gdt_base == k.gdt_base && me.gdt_limit == k.gdt_limit,
          "sgdt differs from the kernel's GDTR");
    check(&failures, me.idt_base == k.idt_base && me.idt_limit == k.idt_limit,
          "sidt differs from the kernel's IDTR");
    /* CR0.TS may legitimately differ (lazy FPU switching): compare the rest. */
    check(&failures, (me.msw & ~8u) == (k.msw & ~8u) && (me.msw & CR0_PE),
          "smsw differs from the kernel's");
    check(&failures, me.tr == k.tr && me.ldtr == k.ldtr, "str/sldt differ from the kernel's");
    check(&failures, me.lar_cs_ok && ((me.lar_cs >> 13) & 3) == 3, "lar %cs does not show DPL 3");
    check(&failures, !lar_kcs, "lar on the kernel's code segment succeeded in ring 3");
    return failures;
}
