/*
 * vmtrace — read a VMLTRACE file (vmm-XX --trace FILE) and print it.
 *
 *   vmtrace FILE            one line per event (the same decoding as the
 *                           crash history: exit_format of core/vm_exit.h)
 *   vmtrace --json FILE     JSON Lines: a header object, then one object per event
 *   vmtrace --stats FILE    exits by reason: count and mean cost (the table
 *                           of vmm-XX --stats, same counts for the same run)
 *   vmtrace --dot FILE      the exit flow (guest -> exit reason -> VMM
 *                           handler -> resume) as a graphviz digraph
 *   vmtrace --viz FILE      replay in the ncurses visualizer (common/viz)
 *   -o OUT                  write to OUT instead of standard output
 *
 * Bad input (missing file, not a trace, truncated, unknown version) is one
 * line on stderr and status 1; a bad command line is status 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/vm_exit.h"
#include "trace/dot.h"
#include "trace/trace_reader.h"

/* --- --viz hook (visualizer engineer) -----------------------------------
 * The visualizer's fragment (common/viz/ fragment) turns this on by setting
 *     VMTRACE_VIZ_CFLAGS := -DVMLAB_HAVE_VIZ
 *     VMTRACE_VIZ_LDLIBS := -lncurses        (whatever it needs)
 * and common/viz/viz.h declares viz_replay.  file is the trace; argc/argv
 * are the whole vmtrace command line, for options of its own (--step).
 * Returns the process exit status. */
#ifdef VMLAB_HAVE_VIZ
#include "viz/viz.h"
#endif

static const char *prog = "vmtrace";

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: %s [--json | --stats | --dot | --viz] [-o OUT] FILE\n"
        "Print a vmlab trace file (written by vmm-XX --trace FILE).\n"
        "\n"
        "  (no mode)   one decoded line per event\n"
        "  --json      JSON Lines: a header object, then one object per event\n"
        "  --stats     exits by reason with count and mean handling cost\n"
        "  --dot       exit flow graph (graphviz DOT): guest -> exit reason -> handler -> resume\n"
        "  --viz       replay the trace in the ncurses visualizer\n"
        "  -o OUT      write to OUT instead of standard output\n"
        "  --help      this text\n"
        "\n"
        "Exit status: 0 ok, 1 bad or unreadable trace file, 2 bad command line,\n"
        "  130 --viz stopped by a signal or by the terminal going away.\n",
        prog);
}

/* --- JSON ---------------------------------------------------------------- */

static void json_str(FILE *o, const char *s)
{
    fputc('"', o);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(o, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(o, "\\u%04x", c); /* bytes, not UTF-8: keep it ASCII */
        else
            fputc(c, o);
    }
    fputc('"', o);
}

#define U(x) ((unsigned long long)(x))

static void json_exit(FILE *o, const struct trace_event *ev)
{
    struct vm_exit e;
    trace_event_to_exit(ev, &e);
    fprintf(o, ",\"reason\":%u,\"name\":", ev->reason);
    json_str(o, exit_reason_name(ev->reason));
    fprintf(o, ",\"qualification\":%llu,\"cost_ns\":%llu", U(ev->qual), U(ev->cost_ns));
    switch (ev->reason) {
    case EXIT_IO_INSTRUCTION:
        fprintf(o,
                ",\"port\":%u,\"direction\":\"%s\",\"size\":%u,\"value\":%u,"
                "\"string\":%s,\"rep\":%s",
                e.u.io.port, e.u.io.in ? "in" : "out", e.u.io.size, e.u.io.value,
                e.u.io.string ? "true" : "false", e.u.io.rep ? "true" : "false");
        break;
    case EXIT_EXCEPTION_NMI:
        fprintf(o, ",\"vector\":%u,\"cr2\":%u", e.u.exc.vector, e.u.exc.cr2);
        if (e.u.exc.has_error)
            fprintf(o, ",\"error_code\":%u", e.u.exc.error_code);
        break;
    case EXIT_CR_ACCESS: {
        static const char *const acc[] = { "mov to cr", "mov from cr", "clts", "lmsw" };
        fprintf(o, ",\"cr\":%u,\"access\":\"%s\",\"gpr\":%u,\"value\":%u", e.u.cr.cr,
                acc[e.u.cr.access & 3], e.u.cr.gpr, e.u.cr.value);
        break;
    }
    case EXIT_RDMSR:
    case EXIT_WRMSR: fprintf(o, ",\"msr\":%u", e.u.msr); break;
    case EXIT_INVLPG: fprintf(o, ",\"address\":%u", e.u.address); break;
    case EXIT_EPT_VIOLATION:
    case EXIT_EPT_MISCONFIG:
        fprintf(o, ",\"gpa\":%llu,\"gla\":%u,\"qual\":%u", U(e.u.ept.gpa), e.u.ept.gla,
                e.u.ept.qual);
        break;
    default: break;
    }
}

static void json_event(FILE *o, uint64_t i, const struct trace_event *ev)
{
    char line[512];
    fprintf(o, "{\"i\":%llu,\"time_ns\":%llu,\"type\":\"%s\",\"eip\":%u,\"flags\":%u", U(i),
            U(ev->time_ns), trace_type_name(ev->type), ev->eip, ev->flags);
    switch (ev->type) {
    case TRACE_EXIT: json_exit(o, ev); break;
    case TRACE_PAGE_WALK:
        fprintf(o, ",\"dim\":\"%s\",\"lin\":%u", ev->flags & TRACE_F_WALK_EPT ? "ept" : "guest",
                ev->addr);
        if (!(ev->flags & TRACE_F_WALK_RESULT))
            fprintf(o, ",\"level\":%u,\"table\":%llu,\"entry\":%llu", ev->reason, U(ev->qual),
                    U(ev->value));
        else if (ev->flags & TRACE_F_WALK_FAULT)
            fprintf(o, ",\"result\":\"fault\",\"error_code\":%llu", U(ev->value));
        else
            fprintf(o, ",\"result\":\"ok\",\"phys\":%llu,\"large\":%s", U(ev->qual),
                    ev->flags & TRACE_F_WALK_LARGE ? "true" : "false");
        break;
    case TRACE_IRQ: fprintf(o, ",\"vector\":%u", ev->reason); break;
    case TRACE_MMU:
        fprintf(o, ",\"kind\":%u,\"qual\":%llu,\"addr\":%u,\"value\":%llu", ev->reason, U(ev->qual),
                ev->addr, U(ev->value));
        break;
    case TRACE_CODE_CACHE:
        fprintf(o, ",\"kind\":%u,\"gpa\":%llu,\"size\":%u,\"occupancy\":%llu", ev->reason,
                U(ev->qual), ev->addr, U(ev->value));
        break;
    default:
        fprintf(o, ",\"reason\":%u,\"qual\":%llu,\"addr\":%u,\"value\":%llu,\"cost_ns\":%llu",
                ev->reason, U(ev->qual), ev->addr, U(ev->value), U(ev->cost_ns));
        break;
    }
    trace_event_format(ev, line, sizeof line);
    fputs(",\"text\":", o);
    json_str(o, line);
    fputs("}\n", o);
}

/* --- --stats --------------------------------------------------------------- */

struct stats {
    uint64_t count[EXIT_REASON_MAX + 1], cost[EXIT_REASON_MAX + 1];
    uint64_t other, exits, irqs, walks, cache, mmu, unknown, events;
};

static void stats_add(struct stats *s, const struct trace_event *ev)
{
    s->events++;
    switch (ev->type) {
    case TRACE_EXIT:
        s->exits++;
        if (ev->reason <= EXIT_REASON_MAX) {
            s->count[ev->reason]++;
            s->cost[ev->reason] += ev->cost_ns;
        } else {
            s->other++;
        }
        break;
    case TRACE_IRQ: s->irqs++; break;
    case TRACE_PAGE_WALK: /* one walk, one guest result (a 2-D walk has an EPT one too) */
        s->walks += (ev->flags & TRACE_F_WALK_RESULT) && !(ev->flags & TRACE_F_WALK_EPT);
        break;
    case TRACE_CODE_CACHE: s->cache++; break;
    case TRACE_MMU: s->mmu++; break;
    default: s->unknown++; break;
    }
}

/* The table has the layout of vm.c's --stats, so the two can be compared. */
static void stats_print(FILE *o, const struct stats *s, const struct trace_info *info)
{
    fprintf(o,
            "%s: stats: engine %s, %llu events, %llu exits, %llu interrupts, %llu page walks, "
            "%llu code-cache events, %llu memory (shadow) events%s\n",
            prog, info->engine, U(s->events), U(s->exits), U(s->irqs), U(s->walks), U(s->cache),
            U(s->mmu), s->unknown ? " (and events of unknown types)" : "");
    fprintf(o, "  %-44s %3s %10s %12s\n", "exit reason (SDM Vol. 3C Table C-1)", "#", "count",
            "mean cost");
    for (int r = 0; r <= EXIT_REASON_MAX; r++) {
        if (!s->count[r])
            continue;
        fprintf(o, "  %-44s %3d %10llu %9.0f ns\n", exit_reason_name((uint32_t)r), r,
                U(s->count[r]), (double)s->cost[r] / (double)s->count[r]);
    }
    if (s->other)
        fprintf(o, "  %-44s %3s %10llu\n", "VMM-internal / entry failure", "-", U(s->other));
}

/* --- main ------------------------------------------------------------------- */

enum mode { M_TEXT, M_JSON, M_STATS, M_DOT, M_VIZ };

struct args {
    enum mode mode;
    const char *file; /* the trace */
    const char *out;  /* -o, or NULL for standard output */
};

/* The command line.  -1 to go on, else the exit status: 0 after --help,
 * 2 for a bad command line (the message is printed). */
static int parse_args(int argc, char **argv, struct args *args)
{
    int nmodes = 0;
    *args = (struct args){ .mode = M_TEXT };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            args->mode = M_JSON, nmodes++;
        } else if (!strcmp(a, "--stats")) {
            args->mode = M_STATS, nmodes++;
        } else if (!strcmp(a, "--dot")) {
            args->mode = M_DOT, nmodes++;
        } else if (!strcmp(a, "--viz")) {
            args->mode = M_VIZ, nmodes++;
        } else if (!strcmp(a, "--step")) {
            /* a --viz option, for the visualizer's replay */
        } else if (!strcmp(a, "-o")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: error: -o needs a file name\n", prog);
                return 2;
            }
            args->out = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "%s: error: unknown option '%s' (try --help)\n", prog, a);
            return 2;
        } else if (args->file) {
            fprintf(stderr, "%s: error: one trace file only ('%s' and '%s')\n", prog, args->file,
                    a);
            return 2;
        } else {
            args->file = a;
        }
    }
    if (nmodes > 1) {
        fprintf(stderr, "%s: error: --json, --stats, --dot and --viz are exclusive\n", prog);
        return 2;
    }
    if (!args->file) {
        fprintf(stderr, "%s: error: no trace file given (try --help)\n", prog);
        return 2;
    }
    return -1;
}

/* The first line: the JSON header object, or a comment in text mode. */
static void print_header(FILE *o, enum mode mode, const struct trace_info *info)
{
    if (mode == M_JSON) {
        fprintf(o,
                "{\"type\":\"header\",\"magic\":\"%s\",\"version\":%u,\"header_size\":%u,"
                "\"event_size\":%u,\"engine\":",
                TRACE_MAGIC, info->version, info->header_size, info->event_size);
        json_str(o, info->engine);
        fprintf(o, ",\"events\":%lld}\n", (long long)info->nevents);
    } else if (mode == M_TEXT) {
        fprintf(o, "# vmlab trace: engine %s, format version %u, %lld events\n", info->engine,
                info->version, (long long)info->nevents);
    }
}

/* Read the trace event by event into the output of the mode; --stats and
 * --dot print once the whole trace is read.  The exit status. */
static int print_trace(const struct args *a)
{
    char err[512];
    struct trace_reader r;
    if (trace_reader_open(&r, a->file, err, sizeof err) < 0) {
        fprintf(stderr, "%s: error: %s\n", prog, err);
        return 1;
    }
    FILE *o = stdout;
    if (a->out && !(o = fopen(a->out, "w"))) {
        fprintf(stderr, "%s: error: cannot create '%s': %s\n", prog, a->out, strerror(errno));
        trace_reader_close(&r);
        return 1;
    }
    static char obuf[1 << 16];
    setvbuf(o, obuf, _IOFBF, sizeof obuf);
    print_header(o, a->mode, &r.info);

    static struct stats st;
    static struct exit_flow flow;
    exit_flow_init(&flow, r.info.engine);
    struct trace_event ev;
    char line[512];
    int rc;
    while ((rc = trace_reader_next(&r, &ev, err, sizeof err)) > 0) {
        switch (a->mode) {
        case M_TEXT:
            trace_event_format(&ev, line, sizeof line);
            fputs(line, o);
            fputc('\n', o);
            break;
        case M_JSON: json_event(o, r.index - 1, &ev); break;
        case M_STATS: stats_add(&st, &ev); break;
        default: exit_flow_add(&flow, &ev); break;
        }
    }
    if (rc == 0) {
        if (a->mode == M_STATS)
            stats_print(o, &st, &r.info);
        else if (a->mode == M_DOT)
            dot_exit_flow(o, &flow);
    }
    trace_reader_close(&r);
    int werr = ferror(o);
    if ((o != stdout ? fclose(o) : fflush(o)) != 0)
        werr = 1;
    if (rc < 0) {
        fprintf(stderr, "%s: error: %s\n", prog, err);
        return 1;
    }
    if (werr) {
        fprintf(stderr, "%s: error: writing %s: %s\n", prog, a->out ? a->out : "standard output",
                strerror(errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (a.mode == M_VIZ) {
#ifdef VMLAB_HAVE_VIZ
        return viz_replay(a.file, argc, argv);
#else
        fprintf(stderr, "%s: --viz: the visualizer is not built into this binary\n", prog);
        return 2;
#endif
    }
    return print_trace(&a);
}
