/*
 * vm_int.h — the layout of struct vm, shared by the files of the VM
 * module only (vm.c: life cycle and run loop; vm_report.c: exit history,
 * statistics and the end-of-run report).  Everyone else sees struct vm
 * as opaque and goes through vm.h.
 */
#ifndef CORE_VM_INT_H
#define CORE_VM_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include "core/vm.h"
#include "core/clock.h"
#include "core/console_in.h"
#include "core/irqchip.h"
#include "core/loader.h"
#include "core/ticks.h"
#include "x86/paging.h"
#include "devices/acpi_pm.h"
#include "devices/debug_exit.h"
#include "devices/i8042.h"
#include "devices/mc146818.h"
#include "devices/pci_host.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/uart16550.h"
#include "trace/trace.h"

enum stop_cause {
    STOP_NONE,
    STOP_DEBUG_EXIT,
    STOP_TIMEOUT,
    STOP_REQUEST,
    STOP_POWEROFF,
    STOP_RESET
};

struct exit_stat {
    uint64_t count, cost_ns;
};

struct vm {
    struct vm_options opt;
    struct guest_ram ram;
    struct iobus pio, mmio;
    struct vclock clock;
    struct pic_pair pic;
    struct irqchip irqchip; /* ISA IRQs -> 8259 / I/O APIC -> CPU */
    struct pit8254 pit;
    struct lost_ticks ticks; /* IRQ0 periods owed to the guest */
    struct uart16550 uart;
    struct debug_exit dbg;
    struct acpi_pm acpi_pm; /* S5 = poweroff, the PM timer */
    struct pci_host pci;    /* bus 0, for later stages to fill */
    struct i8042 kbd;       /* no keyboard; 0xFE resets (ends) the VM */
    struct mc146818 rtc;    /* CMOS/RTC on IRQ8 */
    struct vcpu vcpu;
    const struct engine_ops *engine;
    bool engine_ready;
    struct boot_info boot;
    struct trace trace;
    FILE *report;
    /* --dot without --walk: the last guest page walk that ended in a #PF,
     * kept when it happened (vm_note_walk), with the CR3 it walked from. */
    struct {
        bool have;
        uint32_t cr3;
        struct pt_walk walk;
    } pf;

    void (*console)(void *ctx, uint8_t byte);
    void *console_ctx;
    struct console_in *cin;           /* typed input for the UART, or NULL */
    vm_exit_handler_fn *exit_handler; /* the stage's, asked first (vm.h) */
    void *exit_handler_ctx;
    const struct vm_irq_source *irq_src; /* the stage's (vm.h) */
    void *irq_src_ctx;
    vm_observer_fn *observer; /* --viz: sees every recorded exit */
    void *observer_ctx;

    /* Stopping: the engine polls stop at instruction/block boundaries. */
    atomic_bool stop;
    atomic_int stop_cause;
    atomic_bool stats_now; /* print --stats at the next exit (vm.h) */
    pthread_t timer;
    bool timer_running;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool quit;

    unsigned poll_count; /* polls since device time was read    */
    unsigned poll_every; /* read it every poll_every-th (1-16)  */
    uint64_t poll_ns;    /* when it was read                    */

    /* History ring and statistics (vm_report.c). */
    struct vm_exit history[VM_HISTORY];
    uint64_t nexits;
    struct exit_stat stats[EXIT_REASON_MAX + 1];
    struct exit_stat other_stats; /* VMM reasons, entry failures */
    uint64_t idle_ns;             /* time asleep in HLT          */
    uint64_t irqs;                /* external interrupts acked   */
    uint64_t unclaimed_io;        /* accesses to ports nobody decodes */
    uint64_t start_ns, end_ns;
};

/* Bring the timed devices besides the PIT to now (vm_irq.c): the run loop
 * calls it after every exit. */
void vm_poll_devices(struct vm *vm);

#endif
