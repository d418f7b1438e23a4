/*
 * pane_log.c — the exit log: the newest exits, oldest at the top, each
 * decoded from its exit qualification (SDM Vol. 3C §28.2.1): an I/O exit's
 * port, the device behind it, size, direction and value; a control-register
 * access's register and value; an exception's vector, error code and CR2.
 * 'f' narrows it to one reason.
 */
#include <ctype.h>
#include <curses.h>
#include <string.h>
#include "devices/pc_ports.h"
#include "trace/trace_reader.h"
#include "viz/viz_ui.h"

/* Who answers at a port on our PC (devices/pc_ports.h). */
static const char *port_device(uint16_t port)
{
    const struct pc_port_range *r = pc_port_find(port);
    return r ? r->name : "nobody";
}

static const char *const gpr[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

void viz_exit_text(const struct viz_exit *x, char *buf, size_t len)
{
    if (x->type == TRACE_MMU) { /* a memory event: as vmtrace prints it */
        struct trace_event ev = { .type = TRACE_MMU,
                                  .flags = x->flags,
                                  .reason = x->reason,
                                  .qual = x->qual,
                                  .addr = x->addr,
                                  .value = x->value };
        trace_mmu_text(&ev, buf, len);
        return;
    }
    struct vm_exit e;
    viz_exit_unpack(x, &e);
    switch (x->reason) {
    case EXIT_IO_INSTRUCTION: {
        const struct exit_io *io = &e.u.io;
        int n = snprintf(
            buf, len, "I/O %s%-3s port=0x%03x %-6s size=%u value=0x%0*x", io->rep ? "rep " : "",
            io->in ? (io->string ? "ins" : "in") : (io->string ? "outs" : "out"), io->port,
            port_device(io->port), io->size, io->size ? 2 * io->size : 2, io->value);
        /* A byte for the serial port's data register: show the character. */
        if (io->port == pc_ports[PC_COM1].base && io->size == 1 &&
            isprint((int)(io->value & 0xff)) && n > 0 && (size_t)n < len)
            snprintf(buf + n, len - (size_t)n, " '%c'", (char)io->value);
        return;
    }
    case EXIT_HLT: snprintf(buf, len, "HLT: the guest waits for an interrupt"); return;
    case EXIT_CR_ACCESS: {
        const struct exit_cr *c = &e.u.cr;
        switch (c->access) {
        case 0:
            snprintf(buf, len, "CR access: mov %s -> cr%u, value=0x%08x", gpr[c->gpr & 7], c->cr,
                     c->value);
            return;
        case 1: snprintf(buf, len, "CR access: mov cr%u -> %s", c->cr, gpr[c->gpr & 7]); return;
        case 2: snprintf(buf, len, "CR access: clts"); return;
        default: snprintf(buf, len, "CR access: lmsw 0x%04x", c->value); return;
        }
    }
    case EXIT_EPT_VIOLATION: /* 80 columns: the qualification before the GLA */
        if (e.u.ept.size) {  /* MMIO: as exit_format says it */
            char t[256];
            exit_format(&e, t, sizeof t);
            snprintf(buf, len, "%s", t);
            return;
        }
        snprintf(buf, len, "EPT viol gpa=0x%llx %c%c%c qual=0x%x allowed=%c%c%c gla=0x%08x",
                 (unsigned long long)e.u.ept.gpa, e.u.ept.qual & 1 ? 'r' : '-',
                 e.u.ept.qual & 2 ? 'w' : '-', e.u.ept.qual & 4 ? 'x' : '-', e.u.ept.qual,
                 e.u.ept.qual & 8 ? 'r' : '-', e.u.ept.qual & 16 ? 'w' : '-',
                 e.u.ept.qual & 32 ? 'x' : '-', e.u.ept.gla);
        return;
    case EXIT_EXTERNAL_INTERRUPT:
        snprintf(buf, len, "External interrupt: the VMM asked the engine back");
        return;
    default: {
        char t[256];
        exit_format(&e, t, sizeof t);
        snprintf(buf, len, "%s", t);
        return;
    }
    }
}

void pane_log(const struct viz_ui *ui, int y, int x, int h, int w)
{
    const struct viz_model *m = ui->m;
    if (m->filter < 0)
        viz_title(y, x, w, "Exit log (all reasons; f filters)");
    else if (m->filter == VIZ_MMU)
        viz_title(y, x, w, "Exit log: only memory events (%llu of them; f next)",
                  (unsigned long long)m->nmmu);
    else
        viz_title(y, x, w, "Exit log: only %s (%llu of them; f next)",
                  m->filter == VIZ_OTHER ? "VMM-internal" : viz_reason_name((uint32_t)m->filter),
                  (unsigned long long)m->count[m->filter]);
    int rows = h - 1;
    uint64_t n = viz_model_log_len(m);
    if (!n) {
        viz_put(y + 1, x, w, " (no exits yet)");
        return;
    }
    if ((uint64_t)rows > n)
        rows = (int)n;
    for (int r = 0; r < rows; r++) {
        const struct viz_exit *e = viz_model_log_get(m, (uint64_t)(rows - 1 - r));
        char text[256];
        viz_exit_text(e, text, sizeof text);
        if (r == rows - 1)
            attron(A_BOLD);
        if (e->type == TRACE_MMU) /* a memory event: "mmu" where an exit has its number */
            viz_put(y + 1 + r, x, w, "mmu     %8.3fs eip=%08x %s", (double)e->time_ns / 1e9, e->eip,
                    text);
        else
            viz_put(y + 1 + r, x, w, "#%-6llu %8.3fs eip=%08x %s", (unsigned long long)e->seq,
                    (double)e->time_ns / 1e9, e->eip, text);
        if (r == rows - 1)
            attroff(A_BOLD);
    }
}
