/* test_dot.c — the graphviz pictures: the page walk of a stage binary's
 * --dot (over real page tables in guest RAM, walked by x86/paging.c), room
 * for the 2-D walk, and vmtrace's exit flow counts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "trace/dot.h"
#include "x86/paging.h"

static char *out;
static size_t outlen;

static FILE *open_out(void)
{
    free(out);
    out = NULL;
    FILE *f = open_memstream(&out, &outlen);
    assert_non_null(f);
    return f;
}

static void expect(const char *needle)
{
    if (!strstr(out, needle))
        fail_msg("DOT output does not contain \"%s\":\n%s", needle, out);
}

static void put32(struct guest_ram *ram, uint32_t gpa, uint32_t v)
{
    memcpy(gpa_to_hva(ram, gpa, 4), &v, 4);
}

/* PD at 0x10000: entry 1 -> PT at 0x11000 whose entry 2 maps frame
 * 0x55000 (user, writable); entry 2 a 4 MiB page at 0x00800000. */
static void setup_tables(struct guest_ram *ram, struct x86_cpu *cpu)
{
    char err[128];
    assert_int_equal(guest_ram_init(ram, 16 << 20, err, sizeof err), 0);
    put32(ram, 0x10000 + 4 * 1, 0x11000 | PTE_P | PTE_W | PTE_U);
    put32(ram, 0x11000 + 4 * 2, 0x55000 | PTE_P | PTE_W | PTE_U | PTE_D);
    put32(ram, 0x10000 + 4 * 2, 0x00800000 | PTE_P | PTE_PS);
    memset(cpu, 0, sizeof *cpu);
    cpu->cr0 = CR0_PE | CR0_PG;
    cpu->cr3 = 0x10000;
    cpu->cr4 = CR4_PSE;
    cpu->cr2 = 0x00c03000; /* PDE 3: not present */
}

static void test_walk_of_a_4k_page(void **st)
{
    (void)st;
    struct guest_ram ram;
    struct x86_cpu cpu;
    setup_tables(&ram, &cpu);
    FILE *f = open_out();
    dot_vm_page_walk(f, &ram, &cpu, true, 0x00402abc);
    fclose(f);
    expect("digraph page_walk {");
    expect("walk of linear address 0x00402abc (--walk)");
    expect("CR3 = 0x00010000");
    expect(
        "page directory entry (PDE) [0x001]\\l@ 0x00010004\\lPDE = 0x00011027"); /* A set by the walk */
    expect("P=1 W=1 U=1 A=1 D=0 PS=0");
    expect("page table entry (PTE) [0x002]\\l@ 0x00011008\\lPTE = 0x00055067");
    expect("4 KiB frame at 0x00055000\\lphysical address 0x00055abc");
    expect("r1 -> frame");
    guest_ram_destroy(&ram);
}

static void test_walk_of_a_4m_page_and_the_last_fault(void **st)
{
    (void)st;
    struct guest_ram ram;
    struct x86_cpu cpu;
    setup_tables(&ram, &cpu);
    FILE *f = open_out();
    dot_vm_page_walk(f, &ram, &cpu, true, 0x00912345);
    fclose(f);
    expect("PS=1");
    expect("maps a 4 MiB page at 0x00800000");
    expect("4 MiB page at 0x00800000\\lphysical address 0x00912345");
    assert_null(strstr(out, "PTE ="));

    f = open_out(); /* default: CR2 */
    dot_vm_page_walk(f, &ram, &cpu, false, 0);
    fclose(f);
    expect("walk of linear address 0x00c03000 (the last #PF address, CR2");
    expect("PDE = 0x00000000");
    expect("not present\\l\", color=red");
    expect("#PF error code 0x0\\l(not present, read, supervisor)");
    expect("r0 -> fault");

    cpu.cr0 = CR0_PE; /* paging off */
    f = open_out();
    dot_vm_page_walk(f, &ram, &cpu, true, 0x1234);
    fclose(f);
    expect("CR0.PG=0: paging is off");
    guest_ram_destroy(&ram);
}

/* Stage 04 will hand over a 2-D walk: EPT references in a second row. */
static void test_second_dimension_is_drawn(void **st)
{
    (void)st;
    struct dot_walk d = { .lin = 0x00401000,
                          .why = "test",
                          .paging = true,
                          .root = 0x10000,
                          .nrefs = 4,
                          .ok = true,
                          .phys = 0x99000 };
    d.ref[0] = (struct dot_walk_ref){
        .dim = 1, .level = 2, .dim1_of = 1, .table = 0x7000, .entry = 0x8007
    };
    d.ref[1] = (struct dot_walk_ref){
        .dim = 0, .level = 2, .dim1_of = -1, .table = 0x10004, .entry = 0x11001
    };
    d.ref[2] = (struct dot_walk_ref){
        .dim = 0, .level = 1, .dim1_of = -1, .table = 0x11004, .entry = 0x12001
    };
    d.ref[3] = (struct dot_walk_ref){
        .dim = 1, .level = 1, .dim1_of = -1, .table = 0x8000, .entry = 0x99007
    };
    FILE *f = open_out();
    dot_page_walk(f, &d);
    fclose(f);
    expect("subgraph cluster_ept");
    expect("EPT PDE");
    expect("e0 -> r1 [style=dashed");
    expect("e3 -> frame [style=dashed");
    expect("r1 -> r2");
}

static void test_exit_flow_counts(void **st)
{
    (void)st;
    static struct exit_flow fl;
    exit_flow_init(&fl, "interp");
    struct trace_event io = {
        .type = TRACE_EXIT, .reason = EXIT_IO_INSTRUCTION, .addr = 0x3f8, .cost_ns = 100
    };
    for (int i = 0; i < 5; i++)
        exit_flow_add(&fl, &io);
    struct trace_event hlt = { .type = TRACE_EXIT, .reason = EXIT_HLT, .cost_ns = 300 };
    exit_flow_add(&fl, &hlt);
    struct trace_event irq = { .type = TRACE_IRQ, .reason = 0x20 };
    exit_flow_add(&fl, &irq);
    struct trace_event walk = { .type = TRACE_PAGE_WALK };
    exit_flow_add(&fl, &walk); /* ignored */
    struct trace_event dbg = { .type = TRACE_EXIT, .reason = EXIT_IO_INSTRUCTION, .addr = 0xf4 };
    exit_flow_add(&fl, &dbg);
    assert_int_equal(fl.exits, 7);
    assert_int_equal(fl.irqs, 1);
    FILE *f = open_out();
    dot_exit_flow(f, &fl);
    fclose(f);
    expect("I/O instruction\\nexit reason 30\\n6 exits, mean 83 ns");
    expect("guest -> r30 [label=\"6\"]");
    expect("HLT\\nexit reason 12\\n1 exits, mean 300 ns");
    expect("label=\"port bus: 16550 UART COM1\"");
    expect("r30 -> h0 [label=\"5\"]");
    expect("h0 -> resume [label=\"5\"]");
    expect("label=\"port bus: debug-exit\"");
    expect("h2 -> end [label=\"1\"]"); /* the last exit ended the run */
    expect("resume -> guest [label=\"6\"]");
    expect("vector 0x20: 1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_of_a_4k_page),
        cmocka_unit_test(test_walk_of_a_4m_page_and_the_last_fault),
        cmocka_unit_test(test_second_dimension_is_drawn),
        cmocka_unit_test(test_exit_flow_counts),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(out);
    return rc;
}
