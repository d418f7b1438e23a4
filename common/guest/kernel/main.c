/*
 * main.c — kmain: bring the machine up, read the command line, run the
 * selected programs and report through the debug-exit port.
 *
 * Command line (Multiboot cmdline or PVH cmdline_paddr):
 *     test=NAME|all|list|module|panic   iters=N   [-- module arguments]
 *     virtio_mmio.device=<size>@<base>:<irq>   (any number; virtio_mmio.h)
 * A first token without '=' that looks like a path is the kernel file name
 * that QEMU's Multiboot loader prepends, and is skipped.
 */
#include "bootinfo.h"
#include "console.h"
#include "elf.h"
#include "gdt.h"
#include "mm.h"
#include "pic.h"
#include "program.h"
#include "task.h"
#include "timer.h"
#include "trap.h"
#include "uproc.h"
#include "virtio_mmio.h"
#include "x86.h"

extern const struct program __programs_start[], __programs_end[];

static struct {
    char test[32];
    uint32_t iters;              /* 0: each program's default */
    char args[BOOT_CMDLINE_MAX]; /* after "--": the module's arguments */
} opts = { "hello", 0, "" };

static int streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static const struct program *find_program(const char *name)
{
    for (const struct program *p = __programs_start; p < __programs_end; p++)
        if (streq(p->name, name))
            return p;
    return 0;
}

/* Parse "key=value key=value ..."; any error ends the VM with status 2. */
static void parse_cmdline(char *s)
{
    int first = 1;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            break;
        char *tok = s;
        while (*s && *s != ' ' && *s != '\t')
            s++;
        if (*s)
            *s++ = '\0';
        if (streq(tok, "--")) { /* the rest is the module's (as Linux gives init) */
            for (uint32_t n = 0; n < sizeof opts.args - 1 && (opts.args[n] = s[n]); n++)
                ;
            break;
        }
        char *eq = tok;
        while (*eq && *eq != '=')
            eq++;
        if (!*eq) {
            int pathlike = 0;
            for (char *c = tok; *c; c++)
                if (*c == '/' || (c[0] == '.' && c[1] == 'e' && c[2] == 'l' && c[3] == 'f'))
                    pathlike = 1;
            if (first && pathlike) { /* QEMU's Multiboot: the kernel path */
                first = 0;
                continue;
            }
            fatal(EXIT_BADCMDLINE, "malformed command line token '%s' (expected key=value)", tok);
        }
        first = 0;
        *eq = '\0';
        const char *val = eq + 1;
        if (streq(tok, "test")) {
            if (!*val)
                fatal(EXIT_BADCMDLINE, "test= needs a program name (try test=list)");
            uint32_t n = 0;
            for (; val[n] && n < sizeof opts.test - 1; n++)
                opts.test[n] = val[n];
            opts.test[n] = '\0';
            if (val[n])
                fatal(EXIT_BADCMDLINE, "unknown test '%s' (try test=list)", val);
        } else if (streq(tok, "iters")) {
            uint64_t n = 0;
            const char *c = val;
            for (; *c >= '0' && *c <= '9' && n <= 0xFFFFFFFFu; c++)
                n = n * 10 + (uint32_t)(*c - '0');
            if (!*val || *c || n == 0 || n > 0xFFFFFFFFu)
                fatal(EXIT_BADCMDLINE, "iters must be a positive number, got '%s'", val);
            opts.iters = (uint32_t)n;
        } else if (streq(tok, "virtio_mmio.device")) { /* virtio_mmio.h */
            if (virtio_mmio_add(val))
                fatal(EXIT_BADCMDLINE, "virtio_mmio.device=%s: expected <size>@<base>[:<irq>]",
                      val);
        } else {
            fatal(EXIT_BADCMDLINE,
                  "unknown command line key '%s' (known: test, iters, virtio_mmio.device)", tok);
        }
    }
    if (streq(opts.test, "all") || streq(opts.test, "list") || streq(opts.test, "panic"))
        return;
    if (streq(opts.test, "module")) {
        if (!bootinfo.nmods)
            fatal(EXIT_BADCMDLINE, "test=module but no module was loaded");
        return;
    }
    if (!find_program(opts.test))
        fatal(EXIT_BADCMDLINE, "unknown test '%s' (try test=list)", opts.test);
}

static int report(const char *name, int rc, const char *reason)
{
    if (rc == 0)
        kprintf("PASS %s\n", name);
    else
        kprintf("FAIL %s %s\n", name, reason[0] ? reason : "failed");
    return rc != 0;
}

static int run_program(const struct program *p)
{
    struct prog_ctx ctx = { .name = p->name, .iters = opts.iters ? opts.iters : p->default_iters };
    uint32_t free0 = mm_free_frames();
    int rc = p->run(&ctx);
    int left = task_reap_all();
    if (left)
        kprintf("vmlab: note: %s left %d task(s) running, killed\n", p->name, left);
    if (mm_free_frames() != free0)
        kprintf("vmlab: note: %s: free frames %u -> %u\n", p->name, free0, mm_free_frames());
    return report(p->name, rc, ctx.reason);
}

/* The user-supplied ELF (module 1) as a ring-3 task. */
static int run_module(void)
{
    struct boot_module *m = &bootinfo.mods[0];
    char why[96];
    uint32_t cr3, entry, esp;
    if (m->end > MM_LIMIT)
        fatal(EXIT_BADMODULE, "module 1: not an ELF32 i386 executable (loaded above 128 MiB)");
    if (elf_load(m->start, m->end, &cr3, &entry, why, sizeof why))
        fatal(EXIT_BADMODULE, "module 1: not an ELF32 i386 executable (%s)", why);
    if (uproc_stack(cr3, "module", opts.args, &esp)) {
        as_destroy(cr3);
        return report("module", 1, "no memory for its stack, or more than 32 arguments");
    }
    int id = task_start_sp("module", cr3, entry, esp, 0, 0);
    if (id < 0) {
        as_destroy(cr3);
        return report("module", 1, "no free task slot");
    }
    int code = task_wait(id);
    kprintf("RESULT module exit=%d\n", code);
    struct prog_ctx ctx = { .name = "module" };
    if (code)
        prog_fail(&ctx, "exit code %d", code);
    return report("module", code, ctx.reason);
}

void kmain(uint32_t magic, uint32_t info)
{
    console_init();
    if (bootinfo_parse(magic, info)) {
        kprintf("vmlab: panic: unknown boot protocol (EAX=0x%08x EBX=0x%08x)\n", magic, info);
        debug_exit(EXIT_PANIC);
    }
    char cmdline[BOOT_CMDLINE_MAX];
    __builtin_memcpy(cmdline, bootinfo.cmdline, sizeof cmdline);
    parse_cmdline(cmdline);

    gdt_init();
    idt_init();
    pic_init();
    mm_init();
    task_init();
    timer_init();
    kprintf("vmlab: guest kernel, boot=%s ram=%u MiB modules=%d tsc_per_tick=%llu cmdline=\"%s\"\n",
            bootinfo.protocol, (uint32_t)(bootinfo_ram() >> 20), bootinfo.nmods, tsc_per_tick(),
            bootinfo.cmdline);

    int failed = 0;
    if (streq(opts.test, "list")) {
        for (const struct program *p = __programs_start; p < __programs_end; p++)
            kprintf("%s %s iters=%u %s\n", p->probe ? "PROBE" : "PROGRAM", p->name,
                    p->default_iters, p->summary);
        if (bootinfo.nmods)
            kprintf("PROGRAM module iters=1 run boot module 1 as a ring-3 ELF task\n");
    } else if (streq(opts.test, "all")) {
        for (const struct program *p = __programs_start; p < __programs_end; p++)
            if (!p->probe)
                failed |= run_program(p);
        if (bootinfo.nmods)
            failed |= run_module();
    } else if (streq(opts.test, "panic")) {
        /* Shows (and lets tests check) the panic path: an unexpected
         * exception in ring 0 ends the VM with status 4. */
        kprintf("vmlab: test=panic: executing ud2 in ring 0\n");
        __asm__ volatile("ud2");
    } else if (streq(opts.test, "module")) {
        failed = run_module();
    } else {
        failed = run_program(find_program(opts.test));
    }
    debug_exit(failed ? EXIT_FAIL : EXIT_PASS);
}
