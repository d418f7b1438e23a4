/*
 * kvm.c — the KVM engine: hardware-assisted virtualization through Linux's
 * /dev/kvm, in the manner of kvmtool.
 *
 * The guest runs on the real CPU in VMX non-root mode; only the events the
 * hardware is told to trap come back to us, as KVM_EXIT_* codes that this
 * file translates into the VT-x exit reasons every vmlab engine reports
 * (core/vm_exit.h, SDM Vol. 3C App. C).
 *
 * Design choice — devices stay in user space.  KVM could emulate the PIC and
 * PIT in the kernel (KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2); we do not, so the
 * very same 8259/8254/16550 models serve the interpreter, the translator and
 * KVM, and every timer interrupt, EOI and HLT is visible as an exit the
 * students can count.  The cost: the timer needs a way to get the vCPU out
 * of KVM_RUN, which is a POSIX timer signal (a "kick", KVM_EXIT_INTR), and an
 * interrupt is injected with KVM_INTERRUPT when the guest can take it
 * (kvm_run.ready_for_interrupt_injection), asking for an interrupt-window
 * exit (SDM reason 7) otherwise.
 *
 * On this project's machines /dev/kvm is PVM (kvm_pvm), not VT-x: guest
 * ring 0 is emulated by the host kernel, ring 3 runs natively, and each exit
 * to user space costs tens of microseconds.  Figures from here are labelled
 * "KVM (PVM)".
 */
#include "03-hw-assisted/kvm.h"
#include "03-hw-assisted/exit_handler.h"
#include "03-hw-assisted/kvm_controls.h"
#include "core/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define KICK_SIGNAL    SIGUSR2
#define KICK_PERIOD_NS 4000000 /* 250 Hz: a 100 Hz guest timer is late by < 4 ms */

struct kvm_engine_state {
    int kvm, vm, vcpu;
    struct kvm_run *run;
    size_t run_size;
    timer_t kick;
    bool kick_armed;
    bool sync_regs;          /* KVM_CAP_SYNC_REGS: registers in kvm_run */
    bool answer_pending;     /* last exit was an IN / MMIO read the VMM answers */
    struct kvm_stats st;     /* kvm_exit.c */
    struct kvm_controls ctl; /* --kvm-controls */
    struct hw_vmm vmm;       /* the stage's exit handler (exit_handler.c) */
};

static void kick_handler(int sig) { (void)sig; }

int kvm_available(char *why, size_t len)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, len, "cannot open /dev/kvm: %s", strerror(errno));
        return -1;
    }
    int api = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION) {
        snprintf(why, len, "/dev/kvm speaks API version %d, expected %d", api, KVM_API_VERSION);
        close(fd);
        return -1;
    }
    int vm = ioctl(fd, KVM_CREATE_VM, 0);
    if (vm < 0) {
        snprintf(why, len, "KVM_CREATE_VM failed: %s", strerror(errno));
        close(fd);
        return -1;
    }
    close(vm);
    close(fd);
    return 0;
}

bool kvm_is_pvm(void) { return access("/sys/module/kvm_pvm", F_OK) == 0; }

/* --- register conversion: struct x86_cpu <-> KVM ------------------------ */

/* x86_seg.attr holds descriptor bits 40-47 (type, S, DPL, P) in its low byte
 * and bits 52-55 (AVL, L, D/B, G) in bits 8-11 (SDM Vol. 3A §3.4.5). */
static void seg_to_kvm(const struct x86_seg *s, struct kvm_segment *k)
{
    memset(k, 0, sizeof *k);
    k->base = s->base;
    k->limit = s->limit;
    k->selector = s->sel;
    k->type = s->attr & 0xf;
    k->s = (s->attr >> 4) & 1;
    k->dpl = (s->attr >> 5) & 3;
    k->present = (s->attr >> 7) & 1;
    k->avl = (s->attr >> 8) & 1;
    k->l = (s->attr >> 9) & 1;
    k->db = (s->attr >> 10) & 1;
    k->g = (s->attr >> 11) & 1;
    k->unusable = !k->present;
}

static void seg_from_kvm(const struct kvm_segment *k, struct x86_seg *s)
{
    s->base = (uint32_t)k->base;
    s->limit = k->limit;
    s->sel = k->selector;
    s->attr = (uint16_t)((k->type & 0xf) | (k->s << 4) | (k->dpl << 5) | (k->present << 7) |
                         (k->avl << 8) | (k->l << 9) | (k->db << 10) | (k->g << 11));
}

static void regs_to_kvm(const struct x86_cpu *c, struct kvm_regs *r)
{
    memset(r, 0, sizeof *r);
    r->rax = c->gpr[R_EAX];
    r->rcx = c->gpr[R_ECX];
    r->rdx = c->gpr[R_EDX];
    r->rbx = c->gpr[R_EBX];
    r->rsp = c->gpr[R_ESP];
    r->rbp = c->gpr[R_EBP];
    r->rsi = c->gpr[R_ESI];
    r->rdi = c->gpr[R_EDI];
    r->rip = c->eip;
    r->rflags = c->eflags | FL_FIXED1;
}

static void regs_from_kvm(const struct kvm_regs *r, struct x86_cpu *c)
{
    c->gpr[R_EAX] = (uint32_t)r->rax;
    c->gpr[R_ECX] = (uint32_t)r->rcx;
    c->gpr[R_EDX] = (uint32_t)r->rdx;
    c->gpr[R_EBX] = (uint32_t)r->rbx;
    c->gpr[R_ESP] = (uint32_t)r->rsp;
    c->gpr[R_EBP] = (uint32_t)r->rbp;
    c->gpr[R_ESI] = (uint32_t)r->rsi;
    c->gpr[R_EDI] = (uint32_t)r->rdi;
    c->eip = (uint32_t)r->rip;
    c->eflags = (uint32_t)r->rflags;
}

static void sregs_to_kvm(const struct x86_cpu *c, struct kvm_sregs *s)
{
    seg_to_kvm(&c->seg[S_CS], &s->cs);
    seg_to_kvm(&c->seg[S_DS], &s->ds);
    seg_to_kvm(&c->seg[S_ES], &s->es);
    seg_to_kvm(&c->seg[S_FS], &s->fs);
    seg_to_kvm(&c->seg[S_GS], &s->gs);
    seg_to_kvm(&c->seg[S_SS], &s->ss);
    seg_to_kvm(&c->ldtr, &s->ldt);
    seg_to_kvm(&c->tr, &s->tr);
    /* VM entry requires a usable, busy TSS in TR even before the guest has
     * loaded one (SDM Vol. 3C §26.3.1.2): give it a dummy 32-bit busy TSS. */
    if (!s->tr.present) {
        s->tr.type = 11;
        s->tr.present = 1;
        s->tr.s = 0;
        s->tr.limit = 0x67;
        s->tr.unusable = 0;
    }
    if (!s->ldt.present) {
        s->ldt.type = 2;
        s->ldt.unusable = 1;
    }
    s->gdt.base = c->gdtr.base;
    s->gdt.limit = c->gdtr.limit;
    s->idt.base = c->idtr.base;
    s->idt.limit = c->idtr.limit;
    s->cr0 = c->cr0 | CR0_ET;
    s->cr2 = c->cr2;
    s->cr3 = c->cr3;
    s->cr4 = c->cr4;
    s->efer = 0;
}

static void sregs_from_kvm(const struct kvm_sregs *s, struct x86_cpu *c)
{
    seg_from_kvm(&s->cs, &c->seg[S_CS]);
    seg_from_kvm(&s->ds, &c->seg[S_DS]);
    seg_from_kvm(&s->es, &c->seg[S_ES]);
    seg_from_kvm(&s->fs, &c->seg[S_FS]);
    seg_from_kvm(&s->gs, &c->seg[S_GS]);
    seg_from_kvm(&s->ss, &c->seg[S_SS]);
    seg_from_kvm(&s->ldt, &c->ldtr);
    seg_from_kvm(&s->tr, &c->tr);
    c->gdtr.base = (uint32_t)s->gdt.base;
    c->gdtr.limit = s->gdt.limit;
    c->idtr.base = (uint32_t)s->idt.base;
    c->idtr.limit = s->idt.limit;
    c->cr0 = (uint32_t)s->cr0;
    c->cr2 = (uint32_t)s->cr2;
    c->cr3 = (uint32_t)s->cr3;
    c->cr4 = (uint32_t)s->cr4;
}

/* Push the whole architectural state into KVM. */
static int put_state(struct kvm_engine_state *k, const struct x86_cpu *c)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    if (ioctl(k->vcpu, KVM_GET_SREGS, &sregs) < 0)
        return -1;
    sregs_to_kvm(c, &sregs);
    if (ioctl(k->vcpu, KVM_SET_SREGS, &sregs) < 0)
        return -1;
    regs_to_kvm(c, &regs);
    return ioctl(k->vcpu, KVM_SET_REGS, &regs);
}

/* Pull it back, so --stats, the fatal dump and the visualizer see it. */
static void get_state(struct kvm_engine_state *k, struct x86_cpu *c, bool with_sregs)
{
    if (k->sync_regs) {
        regs_from_kvm(&k->run->s.regs.regs, c);
        sregs_from_kvm(&k->run->s.regs.sregs, c);
        return;
    }
    struct kvm_regs regs;
    if (ioctl(k->vcpu, KVM_GET_REGS, &regs) == 0)
        regs_from_kvm(&regs, c);
    struct kvm_sregs sregs;
    if (with_sregs && ioctl(k->vcpu, KVM_GET_SREGS, &sregs) == 0)
        sregs_from_kvm(&sregs, c);
}

/* CPUID: what KVM can virtualise, minus what this guest must not see
 * (VMX itself, x2APIC and the TSC deadline timer: no local APIC here), plus
 * the "hypervisor present" bit that every VMM sets (leaf 1 ECX bit 31). */
static int setup_cpuid(struct kvm_engine_state *k, char *err, size_t len)
{
    int n = 128;
    struct kvm_cpuid2 *c = calloc(1, sizeof *c + n * sizeof(struct kvm_cpuid_entry2));
    if (!c) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    c->nent = n;
    if (ioctl(k->kvm, KVM_GET_SUPPORTED_CPUID, c) < 0) {
        snprintf(err, len, "KVM_GET_SUPPORTED_CPUID failed: %s", strerror(errno));
        free(c);
        return -1;
    }
    for (unsigned i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        if (e->function == 1) {
            e->ecx &= ~((1u << 5) | (1u << 21) | (1u << 24)); /* VMX, x2APIC, TSC-deadline */
            e->ecx |= 1u << 31;                               /* hypervisor   */
        }
    }
    int r = ioctl(k->vcpu, KVM_SET_CPUID2, c);
    free(c);
    if (r < 0) {
        snprintf(err, len, "KVM_SET_CPUID2 failed: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int kvm_init(struct vcpu *v, char *err, size_t len)
{
    struct kvm_engine_state *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    k->kvm = k->vm = k->vcpu = -1;
    v->engine_state = k;

    k->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (k->kvm < 0) {
        snprintf(err, len, "KVM unavailable: cannot open /dev/kvm: %s", strerror(errno));
        return -1;
    }
    if (ioctl(k->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        snprintf(err, len, "KVM unavailable: unexpected API version");
        return -1;
    }
    k->vm = ioctl(k->kvm, KVM_CREATE_VM, 0);
    if (k->vm < 0) {
        snprintf(err, len, "KVM unavailable: KVM_CREATE_VM failed: %s", strerror(errno));
        return -1;
    }
    if (kvm_controls_parse(vm_engine_option(v->vm, "--kvm-controls"), &k->ctl, err, len) < 0 ||
        kvm_controls_vm(&k->ctl, k->vm, err, len) < 0)
        return -1;
    /* Intel needs three pages for the real-mode TSS; harmless elsewhere. */
    (void)ioctl(k->vm, KVM_SET_TSS_ADDR, 0xfffbd000ul);

    /* Guest-physical memory = the RAM memfd mapping every engine shares. */
    struct guest_ram *ram = vm_ram(v->vm);
    struct kvm_userspace_memory_region slot = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = ram->size,
        .userspace_addr = (uint64_t)(uintptr_t)ram->host,
    };
    if (ioctl(k->vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
        snprintf(err, len, "KVM_SET_USER_MEMORY_REGION failed: %s", strerror(errno));
        return -1;
    }
    k->vcpu = ioctl(k->vm, KVM_CREATE_VCPU, 0);
    if (k->vcpu < 0) {
        snprintf(err, len, "KVM_CREATE_VCPU failed: %s", strerror(errno));
        return -1;
    }
    int sz = ioctl(k->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (sz <= 0) {
        snprintf(err, len, "KVM_GET_VCPU_MMAP_SIZE failed");
        return -1;
    }
    k->run_size = (size_t)sz;
    k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu, 0);
    if (k->run == MAP_FAILED) {
        k->run = NULL;
        snprintf(err, len, "mmap of kvm_run failed: %s", strerror(errno));
        return -1;
    }
    int caps = ioctl(k->vm, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
    k->sync_regs = caps > 0 && (caps & (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS)) ==
                                   (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS);
    if (setup_cpuid(k, err, len) < 0)
        return -1;
    if (put_state(k, &v->cpu) < 0) {
        snprintf(err, len, "KVM_SET_SREGS/REGS failed: %s", strerror(errno));
        return -1;
    }
    if (kvm_controls_vcpu(&k->ctl, k->vm, k->vcpu, err, len) < 0)
        return -1;

    /* The kick: a periodic signal to this thread gets the vCPU out of
     * KVM_RUN (KVM_EXIT_INTR) so user-space device time can advance. */
    struct sigaction sa = { .sa_handler = kick_handler, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    sigaction(KICK_SIGNAL, &sa, NULL);
    struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = KICK_SIGNAL };
    sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    if (timer_create(CLOCK_MONOTONIC, &sev, &k->kick) < 0) {
        snprintf(err, len, "timer_create failed: %s", strerror(errno));
        return -1;
    }
    k->kick_armed = true;
    struct itimerspec its = { .it_interval = { 0, KICK_PERIOD_NS },
                              .it_value = { 0, KICK_PERIOD_NS } };
    timer_settime(k->kick, 0, &its, NULL);
    /* The stage's exit handler, shared with the VMX model.  KVM handles
     * CPUID, CR and MSR exits in the kernel, so it gets no engine ops: it
     * only sees what user space must decide. */
    hw_exit_install(&k->vmm, v, NULL);
    return 0;
}

/* Inject a pending PIC interrupt if the guest can take it now, otherwise
 * ask KVM for an exit as soon as it can (interrupt-window exiting). */
static void inject_interrupt(struct vcpu *v, struct kvm_engine_state *k, bool pending)
{
    if (!pending) {
        k->run->request_interrupt_window = 0;
        return;
    }
    if (k->run->ready_for_interrupt_injection && k->run->if_flag) {
        int vec = vm_irq_ack(v->vm);
        if (vec >= 0) {
            struct kvm_interrupt irq = { .irq = (uint32_t)vec };
            if (ioctl(k->vcpu, KVM_INTERRUPT, &irq) == 0)
                k->st.injected++;
        }
        k->run->request_interrupt_window = 0;
    } else {
        k->run->request_interrupt_window = 1;
    }
}

/* Every exit KVM hands to user space goes to the core loop as a struct
 * vm_exit (kvm_exit.c): I/O, MMIO, a REP INS/OUTS batch, the interrupt
 * window; only the kicks stay here. */
static int kvm_run_vcpu(struct vcpu *v, struct vm_exit *exit)
{
    struct kvm_engine_state *k = v->engine_state;
    struct kvm_run *run = k->run;

    /* Answer the IN or MMIO read of the previous exit: KVM completes the
     * instruction with the data it finds in kvm_run on the next KVM_RUN. */
    if (k->answer_pending) {
        kvm_exit_answer(run, exit);
        k->answer_pending = false;
    }

    /* Back from the core, which may have changed the PIC (an EOI, a mask):
     * a cheap look; device time advanced when KVM_RUN last returned. */
    bool pending = vm_irq_pending(v->vm);
    for (;;) {
        if (vm_stop_requested(v->vm)) {
            memset(exit, 0, sizeof *exit);
            exit->reason = EXIT_EXTERNAL_INTERRUPT;
            k->st.stops++;
            get_state(k, &v->cpu, false);
            exit->guest_eip = v->cpu.eip;
            return 0;
        }
        inject_interrupt(v, k, pending);
        if (k->sync_regs)
            run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
        int r = ioctl(k->vcpu, KVM_RUN, 0), e = errno;
        /* Device time at every return, kicks included: the only moments
         * the VMM runs while the guest spins (vm.h, vm_advance_time). */
        pending = vm_advance_time(v->vm);
        if (r < 0 && e != EINTR && e != EAGAIN) {
            memset(exit, 0, sizeof *exit);
            exit->reason = EXIT_VMM_ERROR;
            snprintf(exit->message, sizeof exit->message, "KVM_RUN failed: %s", strerror(e));
            return -1;
        }
        uint32_t why = run->exit_reason;
        if (kvm_count_return(&k->st, r, why)) /* kicked by the timer signal */
            continue;
        /* Segments too when the run ends (shutdown, failures): the report. */
        get_state(k, &v->cpu,
                  !(why == KVM_EXIT_IO || why == KVM_EXIT_HLT || why == KVM_EXIT_MMIO ||
                    why == KVM_EXIT_IRQ_WINDOW_OPEN || why == KVM_EXIT_DEBUG));
        int d = kvm_exit_decode(run, &v->cpu, exit);
        if (d == KVM_X_ERROR)
            return -1;
        if (why == KVM_EXIT_HLT)
            v->cpu.halted = true;
        if (exit->reason == EXIT_IO_INSTRUCTION && exit->u.io.string)
            k->st.string_io++;
        k->answer_pending = kvm_exit_needs_answer(exit);
        return 0;
    }
}

static void kvm_state_changed(struct vcpu *v)
{
    struct kvm_engine_state *k = v->engine_state;
    if (k && k->vcpu >= 0)
        put_state(k, &v->cpu);
}

static void kvm_print_stats(struct vcpu *v, FILE *out)
{
    struct kvm_engine_state *k = v->engine_state;
    if (!k)
        return;
    kvm_print_exit_stats(&k->st, kvm_is_pvm(), out);
    fputs("kvm: --kvm-controls ", out);
    kvm_controls_print(&k->ctl, out);
    fputs("\n", out);
}

static void kvm_fini(struct vcpu *v)
{
    struct kvm_engine_state *k = v->engine_state;
    if (!k)
        return;
    if (k->kick_armed)
        timer_delete(k->kick);
    if (k->run)
        munmap(k->run, k->run_size);
    if (k->vcpu >= 0)
        close(k->vcpu);
    if (k->vm >= 0)
        close(k->vm);
    if (k->kvm >= 0)
        close(k->kvm);
    free(k);
    v->engine_state = NULL;
}

const struct engine_ops kvm_engine = {
    .name = "kvm",
    .summary = "hardware-assisted: the guest runs on the CPU through Linux KVM",
    .init = kvm_init,
    .run = kvm_run_vcpu,
    .counts_instructions = false, /* the CPU runs the guest: no count */
    .state_changed = kvm_state_changed,
    .print_stats = kvm_print_stats,
    .fini = kvm_fini,
};
