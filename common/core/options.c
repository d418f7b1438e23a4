/*
 * options.c — parsing the shared stage command line (docs/ARCHITECTURE.md §6).
 *
 * Hand-written rather than getopt_long so that every mistake gets its own
 * sentence ("--mem needs a value", "--mem '64Q' is not a size ..."), and so
 * that nothing after "--" is ever taken for an option: that is the guest's
 * kernel command line, passed through verbatim (joined with spaces).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/options.h"

void vm_options_defaults(struct vm_options *o, const char *prog)
{
    memset(o, 0, sizeof *o);
    o->engine = "interp";
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
    uint64_t mul = 1ull << 20;           /* bare number: MiB */
    switch (*end) {
    case 0:   break;
    case 'b': case 'B': mul = 1; end++; break;
    case 'k': case 'K': mul = 1ull << 10; end++; break;
    case 'm': case 'M': mul = 1ull << 20; end++; break;
    case 'g': case 'G': mul = 1ull << 30; end++; break;
    default:  return -1;
    }
    if (*end == 'i' || *end == 'I')      /* accept "MiB" spelled out too */
        end++;
    if ((*end == 'b' || *end == 'B') && mul != 1)
        end++;
    if (*end || (v && v > UINT64_MAX / mul))
        return -1;
    *out = v * mul;
    return 0;
}

/* The value of --name VALUE or --name=VALUE; NULL (with err set) if missing. */
static const char *opt_value(int argc, char **argv, int *i, const char *name,
                             const char *eq, char *err, size_t errlen)
{
    if (eq)
        return eq + 1;
    if (*i + 1 >= argc || strcmp(argv[*i + 1], "--") == 0) {
        snprintf(err, errlen, "option %s needs a value", name);
        return NULL;
    }
    return argv[++*i];
}

static int join_cmdline(struct vm_options *o, int argc, char **argv, int from,
                        char *err, size_t errlen)
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

static int parse(struct vm_options *o, int argc, char **argv, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            if (join_cmdline(o, argc, argv, i + 1, err, errlen) < 0)
                return OPTIONS_ERROR;
            break;
        }
        if (a[0] != '-' || a[1] == 0) {          /* a positional: the image */
            if (o->image) {
                snprintf(err, errlen, "unexpected argument '%s' (one guest image only; "
                         "the guest command line goes after --)", a);
                return OPTIONS_ERROR;
            }
            o->image = a;
            continue;
        }
        /* Split --name=value. */
        char name[32];
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        if (nlen >= sizeof name) {
            snprintf(err, errlen, "unknown option '%.40s'", a);
            return OPTIONS_ERROR;
        }
        memcpy(name, a, nlen);
        name[nlen] = 0;
        const char *v;

        if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
            return OPTIONS_HELP;
        } else if (!strcmp(name, "--engine")) {
            if (!(v = opt_value(argc, argv, &i, name, eq, err, errlen)))
                return OPTIONS_ERROR;
            if (!*v) {
                snprintf(err, errlen, "option --engine needs an engine name");
                return OPTIONS_ERROR;
            }
            o->engine = v;
        } else if (!strcmp(name, "--mem")) {
            if (!(v = opt_value(argc, argv, &i, name, eq, err, errlen)))
                return OPTIONS_ERROR;
            uint64_t m;
            if (parse_size(v, &m) < 0) {
                snprintf(err, errlen, "--mem '%s' is not a size (use e.g. 64M or 1G)", v);
                return OPTIONS_ERROR;
            }
            if (m < VM_MIN_MEM || m > VM_MAX_MEM) {
                snprintf(err, errlen, "--mem %s is out of range (%llu MiB to %llu MiB)", v,
                         VM_MIN_MEM >> 20, VM_MAX_MEM >> 20);
                return OPTIONS_ERROR;
            }
            if (m & 0xfff) {
                snprintf(err, errlen, "--mem %s is not a multiple of 4 KiB (the page size)", v);
                return OPTIONS_ERROR;
            }
            o->mem = m;
        } else if (!strcmp(name, "--module")) {
            if (!(v = opt_value(argc, argv, &i, name, eq, err, errlen)))
                return OPTIONS_ERROR;
            if (o->nmodules == VM_MAX_MODULES) {
                snprintf(err, errlen, "too many --module options (at most %d)", VM_MAX_MODULES);
                return OPTIONS_ERROR;
            }
            o->modules[o->nmodules++] = v;
        } else if (!strcmp(name, "--trace")) {
            if (!(v = opt_value(argc, argv, &i, name, eq, err, errlen)))
                return OPTIONS_ERROR;
            o->trace_file = v;
        } else if (!strcmp(name, "--dot")) {
            if (!(v = opt_value(argc, argv, &i, name, eq, err, errlen)))
                return OPTIONS_ERROR;
            if (!*v) {
                snprintf(err, errlen, "option --dot needs a file name");
                return OPTIONS_ERROR;
            }
            o->dot_file = v;
        } else if (!strcmp(name, "--walk")) {
            if (!(v = opt_value(argc, argv, &i, name, eq, err, errlen)))
                return OPTIONS_ERROR;
            char *end;
            errno = 0;
            unsigned long long a = strtoull(v, &end, 0);
            if (errno || end == v || *end || *v == '-' || a > UINT32_MAX) {
                snprintf(err, errlen, "--walk '%s' is not a 32-bit linear address "
                         "(e.g. 0x80000000)", v);
                return OPTIONS_ERROR;
            }
            o->walk_addr = (uint32_t)a;
            o->walk_set = true;
        } else if (!strcmp(name, "--timeout")) {
            if (!(v = opt_value(argc, argv, &i, name, eq, err, errlen)))
                return OPTIONS_ERROR;
            char *end;
            errno = 0;
            double t = strtod(v, &end);
            if (errno || end == v || *end || !isfinite(t) || t <= 0) {
                snprintf(err, errlen, "--timeout '%s' is not a positive number of seconds", v);
                return OPTIONS_ERROR;
            }
            /* The run loop turns it into a CLOCK_MONOTONIC deadline (a time_t
             * of seconds): a value beyond that overflowed into the past and
             * stopped the guest at once (found by tests/fuzz).  A year is
             * more than any run needs. */
            if (t > VM_MAX_TIMEOUT_S) {
                snprintf(err, errlen, "--timeout '%s' is too long (at most %.0f seconds, "
                         "a year)", v, VM_MAX_TIMEOUT_S);
                return OPTIONS_ERROR;
            }
            o->timeout_s = t;
        } else if (!strcmp(name, "--vmx-controls")) {
            if (!(o->vmx_controls = opt_value(argc, argv, &i, name, eq, err, errlen)))
                return OPTIONS_ERROR;
        } else if (!strcmp(name, "--bt-mode")) {
            if (!(v = opt_value(argc, argv, &i, name, eq, err, errlen)))
                return OPTIONS_ERROR;
            if (strcmp(v, "identical") && strcmp(v, "threaded")) {
                snprintf(err, errlen, "--bt-mode '%s': expected 'identical' or 'threaded'", v);
                return OPTIONS_ERROR;
            }
            o->bt_mode = v;
        } else if (!strcmp(name, "--check")) {
            if (!(v = opt_value(argc, argv, &i, name, eq, err, errlen)))
                return OPTIONS_ERROR;
            if (!*v) {
                snprintf(err, errlen, "option --check needs an engine name (e.g. interp)");
                return OPTIONS_ERROR;
            }
            o->check = v;
        } else if (!strcmp(name, "--stats") || !strcmp(name, "--viz") ||
                   !strcmp(name, "--step")) {
            if (eq) {
                snprintf(err, errlen, "option %s takes no value", name);
                return OPTIONS_ERROR;
            }
            if (!strcmp(name, "--stats"))
                o->stats = true;
            else if (!strcmp(name, "--viz"))
                o->viz = true;
            else
                o->step = true;
        } else {
            snprintf(err, errlen, "unknown option '%s'", a);
            return OPTIONS_ERROR;
        }
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

int vm_options_parse(struct vm_options *o, int argc, char **argv, char *err, size_t errlen)
{
    int rc = parse(o, argc, argv, err, errlen);
    /* Messages quote the user's argument; one containing a newline or a
     * terminal escape must not break the "one line" promise (or the
     * terminal): control characters are shown as '?'.  (Found by tests/fuzz.) */
    if (rc == OPTIONS_ERROR)
        for (char *c = err; errlen && *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = '?';
    return rc;
}

void vm_options_usage(FILE *out, const char *prog, const char *engines)
{
    fprintf(out,
        "usage: %s [options] IMAGE [-- GUEST COMMAND LINE...]\n"
        "Boot IMAGE (an i386 ELF with a Multiboot v1 header) in a virtual machine.\n"
        "\n"
        "  --engine NAME      CPU engine, one of those listed below (* = the default)\n"
        "  --mem SIZE         guest RAM, e.g. 64M, 1G; a bare number is MiB (default 64M)\n"
        "  --module FILE      load FILE as a Multiboot module (up to %d times)\n"
        "  --trace FILE       record exits, interrupts, page walks and code-cache events\n"
        "                     to FILE (binary \"VMLTRACE\" v%d; read it with build/vmtrace)\n"
        "  --dot FILE         at the end, write the page walk of --walk ADDR (default:\n"
        "                     the last #PF address, CR2) as a graphviz graph\n"
        "  --walk ADDR        the linear address --dot draws (e.g. 0x80000000)\n"
        "  --viz              ncurses visualizer\n"
        "  --step             --viz in step mode: stop at every exit, wait for a key\n"
        "  --timeout SECONDS  stop the guest after SECONDS (exit status 124)\n"
        "  --stats            print exits by reason and engine counters at the end\n"
        "  --check ENGINE     run ENGINE (interp) in lock step with --engine bt and stop\n"
        "                     at the first block where their CPU states differ\n"
        "  --bt-mode MODE     --engine bt's translation: identical (default: guest\n"
        "                     registers in host registers) or threaded (a call per insn)\n"
        "  --vmx-controls L   VMX execution controls for --engine vmx (vmm-hw; see\n"
        "                     03-hw-assisted/README.md), e.g. hlt=off,io=bitmap:0x3f8-0x3ff\n"
        "  --help             this text\n"
        "\n"
        "Exit status: the value the guest wrote to the debug-exit port 0xF4;\n"
        "  64 bad option, 65 bad guest image, 69 engine unavailable,\n"
        "  70 guest crashed (triple fault) or internal error, 124 timeout.\n",
        prog, VM_MAX_MODULES, 1);
    if (engines)
        fprintf(out, "\nEngines:\n%s", engines);
}
