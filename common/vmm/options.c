/*
 * options.c — parsing the shared stage command line (options.h).
 *
 * Hand-written rather than getopt_long so that every mistake gets its own
 * sentence ("--mem needs a value", "--mem '64Q' is not a size ..."), and so
 * that nothing after "--" is ever taken for an option: that is the guest's
 * kernel command line, passed through verbatim (joined with spaces).
 *
 * Each shared option is one row of a table (name, value, help, setter);
 * the parser and --help both read it, so an option cannot be parsed and
 * left out of --help or the other way round.  An engine's own options are
 * rows of its engine_entry (options.h), read the same way.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "vmm/options.h"

void vm_options_defaults(struct vm_options *o, const char *prog)
{
    memset(o, 0, sizeof *o);
    o->mem = VM_DEFAULT_MEM;
    o->cmdline = "";
    o->prog = prog ? prog : "vmm";
}

void vm_options_free(struct vm_options *o)
{
    free(o->cmdline_owned);
    o->cmdline_owned = NULL;
    o->cmdline = "";
}

int parse_size(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s)
        return -1;
    uint64_t mul = 1ull << 20; /* bare number: MiB */
    switch (*end) {
    case 0: break;
    case 'b':
    case 'B':
        mul = 1;
        end++;
        break;
    case 'k':
    case 'K':
        mul = 1ull << 10;
        end++;
        break;
    case 'm':
    case 'M':
        mul = 1ull << 20;
        end++;
        break;
    case 'g':
    case 'G':
        mul = 1ull << 30;
        end++;
        break;
    default: return -1;
    }
    if (*end == 'i' || *end == 'I') /* accept "MiB" spelled out too */
        end++;
    if ((*end == 'b' || *end == 'B') && mul != 1)
        end++;
    if (*end || (v && v > UINT64_MAX / mul))
        return -1;
    *out = v * mul;
    return 0;
}

/* --- the shared options: one setter each -------------------------------- */

typedef int setter_fn(struct vm_options *o, const char *v, char *err, size_t len);

static int set_engine(struct vm_options *o, const char *v, char *err, size_t len)
{
    if (!*v) {
        snprintf(err, len, "option --engine needs an engine name");
        return -1;
    }
    o->engine = v;
    return 0;
}

static int set_mem(struct vm_options *o, const char *v, char *err, size_t len)
{
    uint64_t m;
    if (parse_size(v, &m) < 0) {
        snprintf(err, len, "--mem '%s' is not a size (use e.g. 64M or 1G)", v);
        return -1;
    }
    if (m < VM_MIN_MEM || m > VM_MAX_MEM) {
        snprintf(err, len, "--mem %s is out of range (%llu MiB to %llu MiB)", v, VM_MIN_MEM >> 20,
                 VM_MAX_MEM >> 20);
        return -1;
    }
    if (m & 0xfff) {
        snprintf(err, len, "--mem %s is not a multiple of 4 KiB (the page size)", v);
        return -1;
    }
    o->mem = m;
    return 0;
}

static int set_module(struct vm_options *o, const char *v, char *err, size_t len)
{
    if (o->nmodules == VM_MAX_MODULES) {
        snprintf(err, len, "too many --module options (at most %d)", VM_MAX_MODULES);
        return -1;
    }
    o->modules[o->nmodules++] = v;
    return 0;
}

static int set_initrd(struct vm_options *o, const char *v, char *err, size_t len)
{
    if (!*v) {
        snprintf(err, len, "option --initrd needs a file name");
        return -1;
    }
    o->initrd = v;
    return 0;
}

static int set_trace(struct vm_options *o, const char *v, char *err, size_t len)
{
    (void)err, (void)len;
    o->trace_file = v;
    return 0;
}

static int set_dot(struct vm_options *o, const char *v, char *err, size_t len)
{
    if (!*v) {
        snprintf(err, len, "option --dot needs a file name");
        return -1;
    }
    o->dot_file = v;
    return 0;
}

static int set_walk(struct vm_options *o, const char *v, char *err, size_t len)
{
    char *end;
    errno = 0;
    unsigned long long a = strtoull(v, &end, 0);
    if (errno || end == v || *end || *v == '-' || a > UINT32_MAX) {
        snprintf(err, len, "--walk '%s' is not a 32-bit linear address (e.g. 0x80000000)", v);
        return -1;
    }
    o->walk_addr = (uint32_t)a;
    o->walk_set = true;
    return 0;
}

static int set_timeout(struct vm_options *o, const char *v, char *err, size_t len)
{
    char *end;
    errno = 0;
    double t = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(t) || t <= 0) {
        snprintf(err, len, "--timeout '%s' is not a positive number of seconds", v);
        return -1;
    }
    /* The run loop turns it into a CLOCK_MONOTONIC deadline (a time_t of
     * seconds): a value beyond that overflowed into the past and stopped
     * the guest at once (found by tests/fuzz).  A year is more than any
     * run needs. */
    if (t > VM_MAX_TIMEOUT_S) {
        snprintf(err, len, "--timeout '%s' is too long (at most %.0f seconds, a year)", v,
                 VM_MAX_TIMEOUT_S);
        return -1;
    }
    o->timeout_s = t;
    return 0;
}

/* Flags (no value): v is NULL. */
static int set_viz(struct vm_options *o, const char *v, char *e, size_t l)
{
    (void)v, (void)e, (void)l;
    o->viz = true;
    return 0;
}
static int set_step(struct vm_options *o, const char *v, char *e, size_t l)
{
    (void)v, (void)e, (void)l;
    o->step = true;
    return 0;
}
static int set_stats(struct vm_options *o, const char *v, char *e, size_t l)
{
    (void)v, (void)e, (void)l;
    o->stats = true;
    return 0;
}

#define STR_(x) #x
#define STR(x)  STR_(x)

static const struct shared_option {
    const char *name, *arg, *help; /* arg NULL: a flag without a value */
    setter_fn *set;
} shared[] = {
    { "--engine", "NAME", "CPU engine, one of those listed below (* = the default)", set_engine },
    { "--mem", "SIZE", "guest RAM, e.g. 64M, 1G; a bare number is MiB (default 64M)", set_mem },
    { "--module", "FILE", "load FILE as a Multiboot module (up to " STR(VM_MAX_MODULES) " times)",
      set_module },
    { "--initrd", "FILE", "a Linux bzImage's initial RAM disk (initramfs)", set_initrd },
    { "--trace", "FILE",
      "record exits, interrupts, page walks and code-cache events\n"
      "to FILE (binary \"VMLTRACE\" v1; read it with build/vmtrace)",
      set_trace },
    { "--dot", "FILE",
      "at the end, write the page walk of --walk ADDR (default:\n"
      "the last #PF, as walked when it happened) as a graphviz graph",
      set_dot },
    { "--walk", "ADDR", "the linear address --dot draws (e.g. 0x80000000)", set_walk },
    { "--viz", NULL, "ncurses visualizer", set_viz },
    { "--step", NULL, "--viz in step mode: stop at every exit, wait for a key", set_step },
    { "--timeout", "SECONDS", "stop the guest after SECONDS (exit status 124)", set_timeout },
    { "--stats", NULL, "print exits by reason and engine counters at the end", set_stats },
};
#define NSHARED (sizeof shared / sizeof shared[0])

/* --- parsing -------------------------------------------------------------- */

static int join_cmdline(struct vm_options *o, int argc, char **argv, int from, char *err,
                        size_t errlen)
{
    size_t len = 1;
    for (int j = from; j < argc; j++)
        len += strlen(argv[j]) + 1;
    char *s = malloc(len);
    if (!s) {
        snprintf(err, errlen, "out of memory for the guest command line");
        return -1;
    }
    s[0] = 0;
    for (int j = from; j < argc; j++) {
        if (j > from)
            strcat(s, " ");
        strcat(s, argv[j]);
    }
    free(o->cmdline_owned);
    o->cmdline_owned = s;
    o->cmdline = s;
    return 0;
}

/* The engine option called name, in any of the n engines; NULL if none. */
static const struct engine_option *find_engine_option(const struct engine_entry *engines, int n,
                                                      const char *name)
{
    for (int i = 0; i < n; i++)
        for (const struct engine_option *eo = engines[i].options; eo && eo->name; eo++)
            if (strcmp(eo->name, name) == 0)
                return eo;
    return NULL;
}

static int set_engine_option(struct vm_options *o, const struct engine_option *eo, const char *v,
                             char *err, size_t len)
{
    if (!*v) {
        snprintf(err, len, "option %s needs a value (%s)", eo->name, eo->arg);
        return -1;
    }
    if (eo->check && eo->check(v, err, len) < 0)
        return -1;
    int i = 0;
    while (i < o->nengine_opts && strcmp(o->engine_opt[i].name, eo->name) != 0)
        i++; /* given twice: the last one counts */
    if (i == VM_MAX_ENGINE_OPTIONS) {
        snprintf(err, len, "too many engine options (at most %d)", VM_MAX_ENGINE_OPTIONS);
        return -1;
    }
    o->engine_opt[i] = (struct vm_engine_option){ eo->name, v };
    if (i == o->nengine_opts)
        o->nengine_opts++;
    return 0;
}

/* One option argv[*i] ("--name" or "--name=value"), its value taken from
 * argv[*i + 1] if it needs one. */
static int parse_option(struct vm_options *o, const struct engine_entry *engines, int n, int argc,
                        char **argv, int *i, char *err, size_t errlen)
{
    const char *a = argv[*i];
    char name[32];
    const char *eq = strchr(a, '=');
    size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
    if (nlen >= sizeof name) {
        snprintf(err, errlen, "unknown option '%.40s'", a);
        return OPTIONS_ERROR;
    }
    memcpy(name, a, nlen);
    name[nlen] = 0;
    if (!strcmp(name, "--help") || !strcmp(name, "-h"))
        return OPTIONS_HELP;

    const struct shared_option *so = NULL;
    for (size_t k = 0; k < NSHARED && !so; k++)
        if (!strcmp(shared[k].name, name))
            so = &shared[k];
    const struct engine_option *eo = so ? NULL : find_engine_option(engines, n, name);
    if (!so && !eo) {
        snprintf(err, errlen, "unknown option '%s' (not an option of %s; see --help)", a, o->prog);
        return OPTIONS_ERROR;
    }
    const char *v = NULL;
    if (so && !so->arg) {
        if (eq) {
            snprintf(err, errlen, "option %s takes no value", name);
            return OPTIONS_ERROR;
        }
    } else if (eq) {
        v = eq + 1;
    } else if (*i + 1 >= argc || strcmp(argv[*i + 1], "--") == 0) {
        snprintf(err, errlen, "option %s needs a value", name);
        return OPTIONS_ERROR;
    } else {
        v = argv[++*i];
    }
    int rc = so ? so->set(o, v, err, errlen) : set_engine_option(o, eo, v, err, errlen);
    /* Two engines may share an option name with different values (vmm-mem's
     * --mmu): good if any of them takes it; vm_options_check_engine asks
     * the chosen engine's check again. */
    for (int k = 0; rc < 0 && !so && k < n; k++) {
        const struct engine_option *other = find_engine_option(&engines[k], 1, name);
        char why[8];
        if (other && other != eo && (!other->check || other->check(v, why, sizeof why) == 0))
            rc = set_engine_option(o, other, v, err, errlen);
    }
    return rc < 0 ? OPTIONS_ERROR : OPTIONS_OK;
}

static int parse(struct vm_options *o, const struct engine_entry *engines, int n, int argc,
                 char **argv, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            if (join_cmdline(o, argc, argv, i + 1, err, errlen) < 0)
                return OPTIONS_ERROR;
            break;
        }
        if (a[0] == '-' && a[1] != 0) {
            int rc = parse_option(o, engines, n, argc, argv, &i, err, errlen);
            if (rc != OPTIONS_OK)
                return rc;
            continue;
        }
        if (o->image) { /* a positional: the image */
            snprintf(err, errlen,
                     "unexpected argument '%s' (one guest image only; "
                     "the guest command line goes after --)",
                     a);
            return OPTIONS_ERROR;
        }
        o->image = a;
    }
    if (o->walk_set && !o->dot_file) {
        snprintf(err, errlen, "--walk ADDR draws into a --dot FILE: give --dot too");
        return OPTIONS_ERROR;
    }
    if (!o->image) {
        snprintf(err, errlen, "no guest image given (an i386 ELF, e.g. build/guest/guest.elf)");
        return OPTIONS_ERROR;
    }
    return OPTIONS_OK;
}

int vm_options_parse(struct vm_options *o, const struct engine_entry *engines, int n, int argc,
                     char **argv, char *err, size_t errlen)
{
    int rc = parse(o, engines, n, argc, argv, err, errlen);
    /* Messages quote the user's argument; one containing a newline or a
     * terminal escape must not break the "one line" promise (or the
     * terminal): control characters are shown as '?'.  (Found by tests/fuzz.) */
    if (rc == OPTIONS_ERROR)
        for (char *c = err; errlen && *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = '?';
    return rc;
}

int vm_options_check_engine(const struct vm_options *o, const struct engine_entry *engines, int n,
                            const struct engine_entry *e, char *err, size_t errlen)
{
    for (int i = 0; i < o->nengine_opts; i++) {
        const char *name = o->engine_opt[i].name;
        const struct engine_option *eo = find_engine_option(e, 1, name);
        if (eo && eo->check && eo->check(o->engine_opt[i].value, err, errlen) < 0)
            return -1; /* a value another engine's option of that name took */
        if (eo)
            continue;
        const char *owner = "another engine";
        for (int k = 0; k < n; k++)
            if (find_engine_option(&engines[k], 1, name))
                owner = engines[k].name;
        snprintf(err, errlen, "option %s is an option of --engine %s, not of --engine %s", name,
                 owner, e->name);
        return -1;
    }
    return 0;
}

/* --- --help --------------------------------------------------------------- */

/* "  --name ARG         help", continuation lines under the help column. */
static void usage_line(FILE *out, const char *indent, const char *name, const char *arg,
                       const char *help)
{
    char left[40];
    snprintf(left, sizeof left, "%s%s%s", name, arg ? " " : "", arg ? arg : "");
    if (strlen(left) > 18) /* too wide: the help on the next line */
        fprintf(out, "%s%s\n%s%-18s ", indent, left, indent, "");
    else
        fprintf(out, "%s%-18s ", indent, left);
    for (const char *h = help; *h; h++) {
        fputc(*h, out);
        if (*h == '\n')
            fprintf(out, "%s%-18s ", indent, "");
    }
    fputc('\n', out);
}

void vm_options_usage(FILE *out, const char *prog, const struct engine_entry *engines, int n,
                      const char *dflt)
{
    fprintf(out,
            "usage: %s [options] IMAGE [-- GUEST COMMAND LINE...]\n"
            "Boot IMAGE (an i386 ELF with a Multiboot v1 header) in a virtual machine.\n\n",
            prog);
    for (size_t k = 0; k < NSHARED; k++)
        usage_line(out, "  ", shared[k].name, shared[k].arg, shared[k].help);
    usage_line(out, "  ", "--help", NULL, "this text");
    fprintf(out, "\nExit status: the value the guest wrote to the debug-exit port 0xF4;\n"
                 "  64 bad option, 65 bad guest image, 69 engine unavailable,\n"
                 "  70 guest crashed (triple fault) or internal error, 124 timeout,\n"
                 "  130 stopped (Ctrl-C, q, SIGHUP, the terminal went away; with --viz\n"
                 "  also SIGTERM).\n");
    if (n <= 0)
        return;
    fprintf(out, "\nEngines (* = the default) and the options each has of its own:\n");
    for (int i = 0; i < n; i++) {
        const struct engine_entry *e = &engines[i];
        fprintf(out, "%c %-8s %s%s\n", dflt && !strcmp(e->name, dflt) ? '*' : ' ', e->name,
                e->ops ? e->ops->summary : e->why_missing, e->ops ? "" : " [not built yet]");
        for (const struct engine_option *eo = e->options; eo && eo->name; eo++)
            usage_line(out, "    ", eo->name, eo->arg, eo->help);
    }
}
