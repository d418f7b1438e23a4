/*
 * ptemod_user.c — ring-3 half of `ptemod`.
 *
 * A heap page is toggled read-only / writable n times (SYS_pte_toggle flips
 * the PTE's R/W bit and invalidates the TLB entry), each time read back
 * through the new mapping.  Then the protection is checked: a write to the
 * page must succeed while it is writable, and must raise #PF with error
 * code 7 (present, write, user; SDM Vol. 3A §4.7) and CR2 = the address
 * while it is read-only — which only holds if the TLB was really flushed,
 * by INVLPG and, once more, by a reload of the same CR3.
 */
#include "../user/ulib.h"
#include "../compute/div64.h"

struct wfault {
    uint32_t error, cr2, eip;
};

/* uint32_t ptemod_try_write(volatile uint32_t *p, uint32_t v, struct wfault *f):
 * stores v to *p; returns -1 if it worked, else the exception vector with
 * *f filled in.  The kernel resumes a faulting store at ptemod_resume with
 * EAX = vector, EDX = error code, ECX = CR2, EBX = faulting EIP. */
uint32_t ptemod_try_write(volatile uint32_t *p, uint32_t v, struct wfault *f);
extern char ptemod_write_insn[], ptemod_resume[];
__asm__(".pushsection .text\n"
        ".globl ptemod_try_write, ptemod_write_insn, ptemod_resume\n"
        ".type ptemod_try_write, @function\n"
        "ptemod_try_write:\n"
        "    push %ebx\n"
        "    mov 8(%esp), %ecx\n"
        "    mov 12(%esp), %edx\n"
        "    mov $-1, %eax\n"
        "ptemod_write_insn:\n"
        "    mov %edx, (%ecx)\n"
        "ptemod_resume:\n"
        "    cmp $-1, %eax\n"
        "    je 1f\n"
        "    push %esi\n"
        "    mov 20(%esp), %esi\n" /* f (above esi, ebx, ret, p, v)  */
        "    mov %edx, 0(%esi)\n"
        "    mov %ecx, 4(%esi)\n"
        "    mov %ebx, 8(%esi)\n"
        "    pop %esi\n"
        "1:  pop %ebx\n"
        "    ret\n"
        ".popsection\n");

static void check(int *bad, int ok, const char *what)
{
    if (!ok) {
        u_printf("ptemod: %s\n", what);
        (*bad)++;
    }
}

int ptemod_user_main(uint32_t n)
{
    volatile uint32_t *page = (volatile uint32_t *)(USER_HEAP_BASE + 0x10000u);
    struct wfault f = { 0, 0, 0 };
    uint32_t sum = 0, vec, flips_ok = 0;
    int bad = 0;

    n += n & 1;          /* even: the page ends writable   */
    *page = 0x600DF00Du; /* demand-zero page, now writable */

    uint64_t t0 = u_rdtsc();
    for (uint32_t i = 0; i < n; i++) {
        /* returns 1 if the page is now writable, 0 if read-only */
        flips_ok += u_syscall(SYS_pte_toggle, (uint32_t)page, 0, 0) == (int32_t)(i & 1);
        sum += *page; /* a read through the new PTE     */
    }
    uint64_t cycles = u_rdtsc() - t0;
    check(&bad, flips_ok == n, "SYS_pte_toggle did not alternate read-only/writable");
    check(&bad, sum == n * 0x600DF00Du, "reads through the toggled page gave wrong data");

    u_syscall(SYS_fault_handler, (uint32_t)ptemod_resume, 0, 0);
    vec = ptemod_try_write(page, 1, &f);
    check(&bad, vec == (uint32_t)-1 && *page == 1, "write to the writable page failed");

    check(&bad, u_syscall(SYS_pte_toggle, (uint32_t)page, 0, 0) == 0, "toggle to read-only");
    vec = ptemod_try_write(page, 2, &f);
    uint32_t ro_vec = vec, ro_err = f.error;
    check(&bad,
          vec == 14 && f.error == 7 && f.cr2 == (uint32_t)page &&
              f.eip == (uint32_t)ptemod_write_insn && *page == 1,
          "write to the read-only page did not raise #PF(error 7) at the store");

    check(&bad, u_syscall(SYS_pte_toggle, (uint32_t)page, 0, 0) == 1, "toggle to writable");
    vec = ptemod_try_write(page, 3, &f);
    check(&bad, vec == (uint32_t)-1 && *page == 3, "write after re-enabling R/W failed");

    /* The same with the flush done by reloading CR3 with its own value. */
    check(&bad, u_syscall(SYS_pte_toggle, (uint32_t)page, 1, 0) == 0, "toggle, CR3 reload");
    vec = ptemod_try_write(page, 4, &f);
    check(&bad, vec == 14 && f.error == 7 && *page == 3,
          "write after read-only + CR3 reload did not raise #PF (stale TLB entry)");
    check(&bad, u_syscall(SYS_pte_toggle, (uint32_t)page, 1, 0) == 1, "toggle back, CR3 reload");
    vec = ptemod_try_write(page, 5, &f);
    check(&bad, vec == (uint32_t)-1 && *page == 5, "write after CR3 reload to writable failed");
    u_syscall(SYS_fault_handler, 0, 0, 0);

    u_result("ptemod",
             "toggles=%u ro_write_fault=%d ro_error=0x%x cycles=%llu "
             "cycles_per_toggle=%llu",
             n, (int)ro_vec, ro_err, cycles, udiv64_32(cycles, n));
    return bad;
}
