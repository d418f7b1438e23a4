/*
 * vm_exit.c — names and one-line decoding of VM exits.
 *
 * The names are those of Intel SDM Vol. 3C Appendix C, Table C-1 ("Basic
 * Exit Reasons"), so what a student reads in our --stats, traces and crash
 * dumps is what they will find in the manual and in KVM's sources.
 */
#include <stdio.h>
#include "core/vm_exit.h"

static const char *const reason_names[EXIT_REASON_MAX + 1] = {
    [0] = "Exception or non-maskable interrupt (NMI)",
    [1] = "External interrupt",
    [2] = "Triple fault",
    [3] = "INIT signal",
    [4] = "Start-up IPI (SIPI)",
    [5] = "I/O system-management interrupt (SMI)",
    [6] = "Other SMI",
    [7] = "Interrupt window",
    [8] = "NMI window",
    [9] = "Task switch",
    [10] = "CPUID",
    [11] = "GETSEC",
    [12] = "HLT",
    [13] = "INVD",
    [14] = "INVLPG",
    [15] = "RDPMC",
    [16] = "RDTSC",
    [17] = "RSM",
    [18] = "VMCALL",
    [19] = "VMCLEAR",
    [20] = "VMLAUNCH",
    [21] = "VMPTRLD",
    [22] = "VMPTRST",
    [23] = "VMREAD",
    [24] = "VMRESUME",
    [25] = "VMWRITE",
    [26] = "VMXOFF",
    [27] = "VMXON",
    [28] = "Control-register accesses",
    [29] = "MOV DR",
    [30] = "I/O instruction",
    [31] = "RDMSR",
    [32] = "WRMSR",
    [33] = "VM-entry failure due to invalid guest state",
    [34] = "VM-entry failure due to MSR loading",
    [36] = "MWAIT",
    [37] = "Monitor trap flag",
    [39] = "MONITOR",
    [40] = "PAUSE",
    [41] = "VM-entry failure due to machine-check event",
    [43] = "TPR below threshold",
    [44] = "APIC access",
    [45] = "Virtualized EOI",
    [46] = "Access to GDTR or IDTR",
    [47] = "Access to LDTR or TR",
    [48] = "EPT violation",
    [49] = "EPT misconfiguration",
    [50] = "INVEPT",
    [51] = "RDTSCP",
    [52] = "VMX-preemption timer expired",
    [53] = "INVVPID",
    [54] = "WBINVD or WBNOINVD",
    [55] = "XSETBV",
    [56] = "APIC write",
    [57] = "RDRAND",
    [58] = "INVPCID",
    [59] = "VMFUNC",
    [60] = "ENCLS",
    [61] = "RDSEED",
    [62] = "Page-modification log full",
    [63] = "XSAVES",
    [64] = "XRSTORS",
    [65] = "PCONFIG",
};

const char *exit_reason_name(uint32_t reason)
{
    if (reason == EXIT_VMM_ERROR)
        return "VMM: internal error";
    if (reason == EXIT_SENSITIVE)
        return "sensitive instruction (strict PV)";
    uint32_t basic = reason & 0xffff; /* bits 15:0, SDM §25.9.1 */
    if (basic <= EXIT_REASON_MAX && reason_names[basic])
        return reason_names[basic];
    return "unknown exit reason";
}

/* Exception mnemonics, SDM Vol. 3A Table 6-1 (9: coprocessor segment
 * overrun, a 386 leftover with no mnemonic; 15 is reserved). */
static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "(CSO)", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE",   "#CP",
};

static const char *const gpr_names[8] = {
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
};

int exit_format(const struct vm_exit *e, char *buf, int len)
{
    const char *name = exit_reason_name(e->reason);
    if (len <= 0)
        return 0;

    if (e->reason & EXIT_REASON_ENTRY_FAILURE)
        return snprintf(buf, len, "%s (0x%08x)%s%s", name, e->reason, e->message[0] ? ": " : "",
                        e->message);

    switch (e->reason) {
    case EXIT_IO_INSTRUCTION: {
        const struct exit_io *io = &e->u.io;
        if (io->string && io->count)
            return snprintf(buf, len, "%s %s%s%s port=0x%x size=%u count=%u", name,
                            io->rep ? "rep " : "", io->in ? "in" : "out", "s", io->port, io->size,
                            io->count);
        return snprintf(buf, len, "%s %s%s%s port=0x%x size=%u value=0x%x", name,
                        io->rep ? "rep " : "", io->in ? "in" : "out", io->string ? "s" : "",
                        io->port, io->size, io->value);
    }
    case EXIT_EXCEPTION_NMI: {
        const struct exit_exception *x = &e->u.exc;
        const char *m = x->vector < 32 && exc_names[x->vector] ? exc_names[x->vector] : "";
        int n = snprintf(buf, len, "%s vector=%u %s", name, x->vector, m);
        if (x->has_error && n < len)
            n += snprintf(buf + n, len - n, " error=0x%x", x->error_code);
        if (x->vector == 14 && n < len)
            n += snprintf(buf + n, len - n, " cr2=0x%08x", x->cr2);
        return n;
    }
    case EXIT_CR_ACCESS: {
        const struct exit_cr *c = &e->u.cr;
        const char *g = gpr_names[c->gpr & 7];
        switch (c->access) {
        case 0: return snprintf(buf, len, "%s mov %s -> cr%u value=0x%x", name, g, c->cr, c->value);
        case 1: return snprintf(buf, len, "%s mov cr%u -> %s", name, c->cr, g);
        case 2: return snprintf(buf, len, "%s clts", name);
        default: return snprintf(buf, len, "%s lmsw value=0x%x", name, c->value);
        }
    }
    case EXIT_RDMSR:
    case EXIT_WRMSR: return snprintf(buf, len, "%s msr=0x%x", name, e->u.msr);
    case EXIT_INVLPG: return snprintf(buf, len, "%s address=0x%08x", name, e->u.address);
    case EXIT_EPT_VIOLATION:
    case EXIT_EPT_MISCONFIG: {
        const struct exit_ept *p = &e->u.ept;
        if (p->size) /* MMIO */
            return snprintf(buf, len, "%s mmio %s gpa=0x%llx size=%u value=0x%x", name,
                            p->qual & 2 ? "write" : "read", (unsigned long long)p->gpa, p->size,
                            p->value);
        if (e->reason == EXIT_EPT_MISCONFIG) /* no qualification (SDM Vol. 3C §28.2.1) */
            return snprintf(buf, len, "%s gpa=0x%llx gla=0x%08x", name, (unsigned long long)p->gpa,
                            p->gla);
        /* Table 28-7: the access (bits 2:0), what the EPT entries allowed
         * (5:3), and whether the access was to the translation of the
         * linear address (bit 8) or to a guest paging-structure entry. */
        return snprintf(buf, len, "%s gpa=0x%llx gla=0x%08x %s%s%s qual=0x%x allowed=%s%s%s %s",
                        name, (unsigned long long)p->gpa, p->gla, p->qual & 1 ? "r" : "-",
                        p->qual & 2 ? "w" : "-", p->qual & 4 ? "x" : "-", p->qual,
                        p->qual & 8 ? "r" : "-", p->qual & 16 ? "w" : "-", p->qual & 32 ? "x" : "-",
                        !(p->qual & 0x80) ? "(no linear address)"
                        : p->qual & 0x100 ? "(the translation)"
                                          : "(a guest paging-structure entry)");
    }
    case EXIT_VMM_ERROR:
    case EXIT_SENSITIVE:
        return snprintf(buf, len, "%s%s%s", name, e->message[0] ? ": " : "", e->message);
    default:
        if (e->qualification)
            return snprintf(buf, len, "%s qualification=0x%llx", name,
                            (unsigned long long)e->qualification);
        return snprintf(buf, len, "%s", name);
    }
}
