/*
 * test_interp_sys.c — exceptions and interrupts through the IDT (SDM Vol. 3A
 * ch. 6): #UD, #DE, #GP for privilege, #PF error codes and CR2, #DF and the
 * triple fault, ring 3 -> ring 0 through the TSS and IRET back; external
 * interrupts with IF and the STI shadow, HLT; the I/O exit protocol of
 * interp.h; strict paravirtualization's exit; the instruction budget;
 * CPUID, MSRs, RDTSC.
 */
#include "x86_harness.h"

SNIP(ud2);
SNIP(div0);
SNIP(int3);
SNIP(u_cli);
SNIP(u_int30);
SNIP(u_popf);
SNIP(u_movcr);
SNIP(u_loadds);
SNIP(u_in);
SNIP(u_read);
SNIP(u_write);
SNIP(rd);
SNIP(wr);
SNIP(nops);
SNIP(sti_shadow);
SNIP(io);
SNIP(straight);
SNIP(cpuid0);
SNIP(rdmsr_bad);
SNIP(sysenter_msr);
SNIP(rdtsc2);

static void test_ud_and_int3(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, ud2);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_UD);
    assert_int_equal(tm_stack(t, 0), CODE); /* fault: EIP of the UD2 itself */
    assert_int_equal(tm_stack(t, 1), SEL_KCODE);
    assert_int_equal(t->cpu.gpr[R_ESP], KSTACK - 12); /* same ring: EFLAGS, CS, EIP */
    assert_false(t->cpu.eflags & FL_IF);              /* interrupt gate */

    TM_LOAD(t, CODE, int3);
    tm_ring0(t);
    t->cpu.eip = CODE;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_BP);
    assert_int_equal(tm_stack(t, 0), CODE + 1); /* trap: the next instruction */
}

/* Ring 3 runs CLI with IOPL 0: #GP(0) on the ring-0 stack from the TSS; the
 * handler skips the CLI and IRETs back to ring 3, which makes a system call. */
static void test_ring3_gp_and_iret(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, UCODE, u_cli);
    tm_ring3(t, UCODE);
    t->cpu.eflags = FL_FIXED1 | FL_IF;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_GP);
    assert_int_equal(t->cpu.seg[S_CS].sel, SEL_KCODE); /* now at CPL 0 */
    assert_int_equal(t->cpu.seg[S_SS].sel, SEL_KDATA); /* SS0 from the TSS */
    assert_int_equal(t->cpu.gpr[R_ESP], ESP0 - 24);    /* err, EIP, CS, EFLAGS, ESP, SS */
    assert_int_equal(tm_stack(t, 0), 0);               /* error code */
    assert_int_equal(tm_stack(t, 1), UCODE);           /* the CLI */
    assert_int_equal(tm_stack(t, 2), SEL_UCODE);
    assert_true(tm_stack(t, 3) & FL_IF);
    assert_int_equal(tm_stack(t, 4), USTACK);
    assert_int_equal(tm_stack(t, 5), SEL_UDATA);

    tm_wr32(t, t->cpu.gpr[R_ESP] + 4, UCODE + 1); /* skip the CLI */
    t->cpu.eip = IRET_ERR;
    t->cpu.halted = false;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), 0x80);
    assert_int_equal(tm_stack(t, 0), UCODE + 3); /* after INT 0x80 */
    assert_int_equal(tm_stack(t, 1), SEL_UCODE); /* it came from ring 3 */
    assert_int_equal(tm_stack(t, 3), USTACK);
    assert_true(tm_stack(t, 2) & FL_IF); /* CLI never happened */
}

static void test_int_gate_dpl(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, UCODE, u_int30); /* gate 0x30 has DPL 0 */
    tm_ring3(t, UCODE);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_GP);
    assert_int_equal(tm_stack(t, 0), 0x30 * 8 + 2); /* IDT bit, EXT=0 */
    assert_int_equal(tm_stack(t, 1), UCODE);
}

/* A gate to a CONFORMING ring-0 code segment from ring 3 is an
 * intra-privilege interrupt (SDM Vol. 3A §6.12.1): no stack switch, CPL
 * stays 3, so the frame pushes are user-mode accesses and a supervisor-only
 * stack page faults (#PF, W|U|P) before the handler runs. */
static void test_int_conforming_handler(void **state)
{
    struct tm *t = *state;
    tm_desc(t, 6, 0, 0xfffff, 0x9e, 0xc); /* 0x30 conforming ring-0 code */
    t->cpu.gdtr.limit = 7 * 8 - 1;
    tm_wr32(t, IDT + 0x81 * 8, ((STUBS + 4 * 0x81) & 0xffff) | (0x30u << 16));
    tm_wr32(t, IDT + 0x81 * 8 + 4, 0x8000 | (3 << 13) | (0xe << 8));
    tm_paging(t);
    tm_pte(t, USTACK - 0x1000, (USTACK - 0x1000) | PTE_P | PTE_W); /* no U */
    memcpy(tm_mem(t, UCODE), "\xcd\x81", 2);                       /* int $0x81 */
    interp_invalidate_range(t->ip, UCODE, 2);
    tm_ring3(t, UCODE);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_PF);
    assert_int_equal(tm_stack(t, 0), PFEC_P | ACC_W | ACC_U);
    assert_int_equal(t->cpu.cr2, USTACK - 4);
    assert_int_equal(tm_stack(t, 1), UCODE); /* the INT did not happen */
}

/* The sensitive, unprivileged POPF: at CPL 3 with IOPL 0 it cannot clear
 * IF, and it does not fault either — the change is silently dropped. */
static void test_popf_ring3(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, UCODE, u_popf);
    tm_ring3(t, UCODE);
    t->cpu.eflags = FL_FIXED1 | FL_IF;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), 0x80);
    assert_false(t->cpu.gpr[R_EAX] & FL_IF); /* what it tried to load */
    assert_true(t->cpu.gpr[R_EBX] & FL_IF);  /* what it got */
}

static void test_ring3_privileged(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, UCODE, u_movcr);
    tm_ring3(t, UCODE);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_GP);
    assert_int_equal(tm_stack(t, 0), 0);

    TM_LOAD(t, UCODE, u_loadds); /* DPL-0 data segment */
    tm_ring3(t, UCODE);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_GP);
    assert_int_equal(tm_stack(t, 0), SEL_KDATA);
    assert_int_equal(tm_stack(t, 1), UCODE + 5); /* the MOV to DS */

    TM_LOAD(t, UCODE, u_in); /* IOPL 0 < CPL 3 */
    tm_ring3(t, UCODE);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_GP);
    tm_ring3(t, UCODE);
    t->cpu.eflags = FL_FIXED1 | FL_IOPL; /* IOPL 3: allowed */
    assert_int_equal(tm_run(t), EXIT_IO_INSTRUCTION);
}

static void test_page_faults(void **state)
{
    struct tm *t = *state;
    const uint32_t absent = 0x200000, ro = 0x201000, kern = 0x202000;
    tm_paging(t);
    tm_pte(t, absent, 0);
    tm_pte(t, ro, ro | PTE_P | PTE_U);
    tm_pte(t, kern, kern | PTE_P | PTE_W);

    TM_LOAD(t, CODE, rd); /* ring 0 read, not present */
    tm_ring0(t);
    t->cpu.eip = CODE;
    t->cpu.gpr[R_ESI] = absent + 0x123;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_PF);
    assert_int_equal(tm_stack(t, 0), 0); /* P=0 W=0 U=0 */
    assert_int_equal(t->cpu.cr2, absent + 0x123);
    assert_int_equal(tm_stack(t, 1), CODE);

    TM_LOAD(t, UCODE, u_write); /* ring 3 write, read-only */
    tm_ring3(t, UCODE);
    t->cpu.gpr[R_ESI] = ro + 8;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_PF);
    assert_int_equal(tm_stack(t, 0), PFEC_P | ACC_W | ACC_U); /* 7 */
    assert_int_equal(t->cpu.cr2, ro + 8);

    TM_LOAD(t, UCODE, u_read); /* ring 3 read, supervisor page */
    tm_ring3(t, UCODE);
    t->cpu.gpr[R_ESI] = kern;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_PF);
    assert_int_equal(tm_stack(t, 0), PFEC_P | ACC_U); /* 5 */

    TM_LOAD(t, CODE, wr); /* ring 0 write, read-only, WP=0 */
    tm_ring0(t);
    t->cpu.eip = CODE;
    t->cpu.gpr[R_ESI] = ro;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), -1);
    assert_int_equal(tm_rd32(t, ro), 0x77);
    assert_true(tm_rd32(t, tm_pte_addr(ro)) & PTE_D); /* the walk set Dirty */

    tm_ring0(t);
    t->cpu.eip = CODE; /* ... and with WP=1 */
    t->cpu.cr0 |= CR0_WP;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_PF);
    assert_int_equal(tm_stack(t, 0), PFEC_P | ACC_W); /* 3 */
}

/* #DE with its gate not present: #NP while delivering a contributory
 * fault -> #DF (SDM Table 6-5); with #DF's gate missing too: shutdown. */
static void test_double_and_triple_fault(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, div0);
    tm_wr32(t, IDT + 4, tm_rd32(t, IDT + 4) & ~0x8000u); /* gate 0 not present */
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_DF);
    assert_int_equal(tm_stack(t, 0), 0);        /* #DF error code is 0 */
    assert_int_equal(tm_stack(t, 1), CODE + 2); /* the DIV */

    tm_ring0(t);
    t->cpu.eip = CODE;
    tm_wr32(t, IDT + 8 * 8 + 4, tm_rd32(t, IDT + 8 * 8 + 4) & ~0x8000u);
    assert_int_equal(tm_run(t), EXIT_TRIPLE_FAULT);
}

static void test_interrupt_if(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, nops);
    t->irq_line = true; /* IF=0: stays pending */
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), -1);
    assert_int_equal(t->exit.guest_eip, CODE + 2);
    assert_int_equal(t->acks, 0);

    tm_ring0(t);
    t->cpu.eip = CODE;
    t->cpu.eflags = FL_FIXED1 | FL_IF; /* IF=1: taken at once */
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), 0x20);
    assert_int_equal(t->acks, 1);
    assert_int_equal(tm_stack(t, 0), CODE); /* nothing ran before it */
    assert_true(tm_stack(t, 2) & FL_IF);
}

/* STI delays interrupts by one instruction (SDM Vol. 2 "STI"). */
static void test_sti_shadow(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, sti_shadow);
    t->irq_line = true;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), 0x20);
    assert_int_equal(t->cpu.gpr[R_EAX], 1); /* the instruction after STI ran */
    assert_int_equal(t->cpu.gpr[R_EBX], 0); /* the next one did not */
    assert_int_equal(tm_stack(t, 0), CODE + 6);
}

static void test_hlt(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, nops);
    t->cpu.eflags = FL_FIXED1 | FL_IF;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_true(t->cpu.halted);
    assert_int_equal(t->cpu.eip, CODE + 3); /* HLT completed */
    uint64_t n = interp_instructions(t->ip);
    assert_int_equal(tm_run(t), EXIT_HLT); /* still nothing to do */
    assert_int_equal(interp_instructions(t->ip), n);
    t->irq_line = true; /* an interrupt wakes it */
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), 0x20);
    assert_int_equal(tm_stack(t, 0), CODE + 3); /* returns after the HLT */
}

/* interp.h: an I/O exit leaves EIP at the instruction; the next run
 * completes it with exit->u.io.value. */
static void test_io_exit(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, io);
    t->cpu.gpr[R_EAX] = 0x12345678;
    assert_int_equal(tm_run(t), EXIT_IO_INSTRUCTION);
    assert_true(t->exit.u.io.in);
    assert_int_equal(t->exit.u.io.port, 0x60);
    assert_int_equal(t->exit.u.io.size, 1);
    assert_int_equal(t->exit.guest_eip, CODE);
    assert_int_equal(t->exit.instr_len, 2);
    assert_int_equal(t->exit.qualification, (0x60u << 16) | 0x40 | 8); /* imm, IN, 1 byte */
    assert_int_equal(t->cpu.eip, CODE);
    t->exit.u.io.value = 0x5a;
    assert_int_equal(tm_run(t), EXIT_IO_INSTRUCTION);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x1234565a); /* AL only */
    assert_false(t->exit.u.io.in);
    assert_int_equal(t->exit.u.io.port, 0x61);
    assert_int_equal(t->exit.u.io.value, 0x5a);
    assert_int_equal(t->exit.guest_eip, CODE + 2);
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(interp_instructions(t->ip), 3);
}

/* Strict paravirtualization (x86_cpu.pv_strict, stage 02's --pv-strict):
 * a sensitive instruction in ring 0 is not executed but exits with
 * EXIT_SENSITIVE naming it, EIP on it; in ring 3 its #GP comes first. */
static void test_pv_strict(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, io);
    t->cpu.pv_strict = true;
    t->cpu.gpr[R_EAX] = 0x12345678;
    assert_int_equal(tm_run(t), EXIT_SENSITIVE);
    assert_string_equal(t->exit.message, "in");
    assert_int_equal(t->exit.guest_eip, CODE);
    assert_int_equal(t->cpu.eip, CODE);
    assert_int_equal(t->cpu.gpr[R_EAX], 0x12345678); /* not executed */

    TM_LOAD(t, CODE, nops);
    t->cpu.pv_strict = true;
    assert_int_equal(tm_run(t), EXIT_SENSITIVE);
    assert_string_equal(t->exit.message, "hlt");
    assert_int_equal(t->cpu.eip, CODE + 2);
    assert_false(t->cpu.halted);

    TM_LOAD(t, UCODE, u_cli);
    tm_ring3(t, UCODE);
    t->cpu.pv_strict = true;
    t->cpu.eflags = FL_FIXED1 | FL_IF;
    /* The #GP handler (ring 0) ran, and its own HLT is what stops. */
    assert_int_equal(tm_run(t), EXIT_SENSITIVE);
    assert_string_equal(t->exit.message, "hlt");
    assert_int_equal(t->exit.guest_eip, STUBS + 4 * EXC_GP); /* the #GP stub */
}

static void test_budget(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, straight);
    t->cpu.gpr[R_EDX] = 99;
    assert_int_equal(interp_run(t->ip, &t->exit, 3), INTERP_BUDGET);
    assert_int_equal(interp_instructions(t->ip), 3);
    assert_int_equal(t->cpu.eip, CODE + 15);
    assert_int_equal(t->cpu.gpr[R_ECX], 3);
    assert_int_equal(t->cpu.gpr[R_EDX], 99);
    assert_int_equal(interp_run(t->ip, &t->exit, 1), INTERP_BUDGET);
    assert_int_equal(t->cpu.gpr[R_EDX], 4);
}

static void test_cpuid_msr_tsc(void **state)
{
    struct tm *t = *state;
    TM_LOAD(t, CODE, cpuid0);
    assert_int_equal(tm_run(t), EXIT_HLT);
    char vendor[13] = { 0 };
    memcpy(vendor, &t->cpu.gpr[R_EBX], 4);
    memcpy(vendor + 4, &t->cpu.gpr[R_EDX], 4);
    memcpy(vendor + 8, &t->cpu.gpr[R_ECX], 4);
    assert_string_equal(vendor, "GenuineIntel");
    assert_true(t->cpu.gpr[R_EAX] >= 1);

    TM_LOAD(t, CODE, rdmsr_bad);
    tm_ring0(t);
    t->cpu.eip = CODE;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(tm_vector(t), EXC_GP);

    TM_LOAD(t, CODE, sysenter_msr);
    tm_ring0(t);
    t->cpu.eip = CODE;
    assert_int_equal(tm_run(t), EXIT_HLT);
    assert_int_equal(t->cpu.gpr[R_EAX], 8);
    assert_int_equal(t->cpu.sysenter_cs, 8);

    TM_LOAD(t, CODE, rdtsc2);
    tm_ring0(t);
    t->cpu.eip = CODE;
    t->cpu.tsc_offset = 1ull << 60; /* guest TSC = host + offset */
    assert_int_equal(tm_run(t), EXIT_HLT);
    uint64_t t1 = ((uint64_t)t->cpu.gpr[R_EDI] << 32) | t->cpu.gpr[R_ESI];
    uint64_t t2 = ((uint64_t)t->cpu.gpr[R_EDX] << 32) | t->cpu.gpr[R_EAX];
    assert_true(t2 >= t1);
    assert_true(t1 >= (1ull << 60));
}

/* The leaves an OS reads to identify a plain i686 under a hypervisor. */
static void cpuid_str(uint32_t leaf, const int order[4], char *out)
{
    uint32_t r[4];
    x86_cpuid(leaf, r);
    for (int i = 0; i < 4; i++)
        if (order[i] >= 0)
            memcpy(out + 4 * order[i], &r[i], 4);
}
static void test_cpuid_leaves(void **state)
{
    (void)state;
    uint32_t r[4];
    x86_cpuid(1, r);
    assert_int_equal((r[0] >> 8) & 0xf, 6); /* family 6: i686 */
    assert_true(r[2] & (1u << 31));         /* hypervisor present */
    assert_true((r[3] & 0x2a38) == 0x2a38); /* PSE TSC MSR APIC SEP PGE */
    assert_false(r[3] & (1u << 12));        /* no MTRR */
    char hv[13] = { 0 }, brand[49] = { 0 };
    cpuid_str(0x40000000, (const int[]){ -1, 0, 1, 2 }, hv);
    assert_string_equal(hv, "vmlabvmlabvm");
    x86_cpuid(0x40000000, r);
    assert_int_equal(r[0], 0x40000000); /* highest hypervisor leaf */
    x86_cpuid(0x80000000, r);
    assert_int_equal(r[0], 0x80000004);
    for (uint32_t l = 0; l < 3; l++)
        cpuid_str(0x80000002 + l, (const int[]){ 4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3 }, brand);
    assert_string_equal(brand, "vmlab virtual i686 CPU");
    x86_cpuid(0x80000001, r); /* no NX, no long mode */
    assert_int_equal(r[2] | r[3], 0);
    x86_cpuid(7, r); /* beyond the highest leaf */
    assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
    struct x86_cpu c = { 0 };
    uint64_t v = 1;
    assert_true(x86_msr_write(&c, 0x8b, 0)); /* microcode revision */
    assert_true(x86_msr_read(&c, 0x8b, &v));
    assert_int_equal(v, 0);
    assert_false(x86_msr_read(&c, 0x1a0, &v)); /* IA32_MISC_ENABLE: none */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ud_and_int3, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_ring3_gp_and_iret, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_int_gate_dpl, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_int_conforming_handler, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_popf_ring3, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_ring3_privileged, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_page_faults, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_double_and_triple_fault, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_if, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_sti_shadow, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_hlt, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_io_exit, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_pv_strict, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_budget, tm_setup, tm_teardown),
        cmocka_unit_test_setup_teardown(test_cpuid_msr_tsc, tm_setup, tm_teardown),
        cmocka_unit_test(test_cpuid_leaves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
