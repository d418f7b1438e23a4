/*
 * trace_reader.c — validate, iterate and decode VMLTRACE files.
 *
 * Fields are decoded byte by byte as little-endian (the file's order), so
 * the reader works on any host and never depends on struct layout; it reads
 * the first 48 bytes of each record (the v1 fields) and skips the rest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "trace/trace_reader.h"

#define V1_HEADER_SIZE 40u
#define V1_EVENT_SIZE  48u
/* Sanity bounds: a header or record this large is corruption, not a future
 * version that appended a few fields. */
#define MAX_HEADER_SIZE 65536u
#define MAX_EVENT_SIZE  4096u

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

int trace_header_decode(const void *buf, size_t n, struct trace_info *info, char *err,
                        size_t errlen)
{
    const unsigned char *p = buf;
    memset(info, 0, sizeof *info);
    info->nevents = -1;
    if (n == 0) {
        snprintf(err, errlen, "empty file, not a vmlab trace");
        return -1;
    }
    if (n < 8 || memcmp(p, TRACE_MAGIC, 8) != 0) {
        snprintf(err, errlen, "not a vmlab trace file (no \"%s\" magic at the start)", TRACE_MAGIC);
        return -1;
    }
    if (n < V1_HEADER_SIZE) {
        snprintf(err, errlen, "truncated: the header has %zu of %u bytes", n, V1_HEADER_SIZE);
        return -1;
    }
    info->version = le32(p + 8);
    info->header_size = le32(p + 12);
    info->event_size = le32(p + 16);
    memcpy(info->engine, p + 24, 16);
    info->engine[16] = 0;
    if (info->version != TRACE_VERSION) {
        snprintf(err, errlen,
                 "trace format version %u is not supported (this reader knows "
                 "version %d)",
                 info->version, TRACE_VERSION);
        return -1;
    }
    if (info->header_size < V1_HEADER_SIZE || info->header_size > MAX_HEADER_SIZE ||
        info->event_size < V1_EVENT_SIZE || info->event_size > MAX_EVENT_SIZE) {
        snprintf(err, errlen,
                 "corrupt header: header_size %u, event_size %u (version 1 "
                 "needs at least %u and %u)",
                 info->header_size, info->event_size, V1_HEADER_SIZE, V1_EVENT_SIZE);
        return -1;
    }
    return 0;
}

void trace_event_decode(const void *rec, struct trace_event *ev)
{
    const unsigned char *p = rec;
    memset(ev, 0, sizeof *ev);
    ev->time_ns = le64(p);
    ev->type = le16(p + 8);
    ev->flags = le16(p + 10);
    ev->reason = le32(p + 12);
    ev->qual = le64(p + 16);
    ev->eip = le32(p + 24);
    ev->addr = le32(p + 28);
    ev->value = le64(p + 32);
    ev->cost_ns = le64(p + 40);
}

int trace_reader_open(struct trace_reader *r, const char *path, char *err, size_t errlen)
{
    char why[200];
    unsigned char hdr[V1_HEADER_SIZE];
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    r->f = fopen(path, "rb");
    if (!r->f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(r->f), &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: is a directory, not a trace file", path);
        goto fail;
    }
    size_t n = fread(hdr, 1, sizeof hdr, r->f);
    if (trace_header_decode(hdr, n, &r->info, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        goto fail;
    }
    /* Skip header fields appended after version 1 (reading, not seeking:
     * the trace may come through a pipe). */
    for (uint32_t skip = r->info.header_size - V1_HEADER_SIZE; skip; skip--) {
        if (fgetc(r->f) == EOF) {
            snprintf(err, errlen,
                     "%s: truncated: the header is shorter than its header_size "
                     "%u",
                     path, r->info.header_size);
            goto fail;
        }
    }
    if (S_ISREG(st.st_mode)) {
        uint64_t size = (uint64_t)st.st_size;
        if (size < r->info.header_size) {
            snprintf(err, errlen, "%s: truncated: the header has %llu of %u bytes", path,
                     (unsigned long long)size, r->info.header_size);
            goto fail;
        }
        uint64_t body = size - r->info.header_size;
        if (body % r->info.event_size) {
            snprintf(err, errlen,
                     "%s: truncated: the last event has %llu of %u bytes "
                     "(after %llu whole events)",
                     path, (unsigned long long)(body % r->info.event_size), r->info.event_size,
                     (unsigned long long)(body / r->info.event_size));
            goto fail;
        }
        r->info.nevents = (int64_t)(body / r->info.event_size);
    }
    r->rec = malloc(r->info.event_size);
    if (!r->rec) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    return 0;
fail:
    fclose(r->f);
    r->f = NULL;
    return -1;
}

int trace_reader_next(struct trace_reader *r, struct trace_event *ev, char *err, size_t errlen)
{
    if (!r->f)
        return 0;
    size_t n = fread(r->rec, 1, r->info.event_size, r->f);
    if (n == 0 && !ferror(r->f))
        return 0;
    if (n != r->info.event_size) {
        if (ferror(r->f))
            snprintf(err, errlen, "%s: read error after %llu events: %s", r->path,
                     (unsigned long long)r->index, strerror(errno));
        else
            snprintf(err, errlen, "%s: truncated: event %llu has %zu of %u bytes", r->path,
                     (unsigned long long)r->index + 1, n, r->info.event_size);
        return -1;
    }
    trace_event_decode(r->rec, ev);
    r->index++;
    return 1;
}

void trace_reader_close(struct trace_reader *r)
{
    if (r->f)
        fclose(r->f);
    r->f = NULL;
    free(r->rec);
    r->rec = NULL;
}

/* --- decoding ---------------------------------------------------------- */

const char *trace_type_name(unsigned type)
{
    static _Thread_local char buf[16];
    switch (type) {
    case TRACE_EXIT: return "exit";
    case TRACE_PAGE_WALK: return "walk";
    case TRACE_IRQ: return "irq";
    case TRACE_CODE_CACHE: return "cache";
    case TRACE_MMU: return "mmu";
    default: snprintf(buf, sizeof buf, "type%u", type); return buf;
    }
}

void trace_event_to_exit(const struct trace_event *ev, struct vm_exit *e)
{
    memset(e, 0, sizeof *e);
    e->reason = ev->reason;
    e->guest_eip = ev->eip;
    e->qualification = ev->qual;
    e->cost_ns = ev->cost_ns;
    switch (ev->reason) {
    case EXIT_IO_INSTRUCTION:
        e->u.io.port = (uint16_t)ev->addr;
        e->u.io.size = (uint8_t)TRACE_F_IO_SIZE(ev->flags);
        e->u.io.in = ev->flags & TRACE_F_IO_IN;
        e->u.io.string = ev->flags & TRACE_F_IO_STRING;
        e->u.io.rep = ev->flags & TRACE_F_IO_REP;
        e->u.io.value = (uint32_t)ev->value;
        break;
    case EXIT_EXCEPTION_NMI:
        e->u.exc.vector = (uint8_t)(ev->value >> 32);
        e->u.exc.error_code = (uint32_t)ev->value;
        e->u.exc.has_error = ev->flags & TRACE_F_EXC_ERRCODE;
        e->u.exc.cr2 = ev->addr;
        break;
    case EXIT_CR_ACCESS:
        e->u.cr.cr = (uint8_t)ev->addr;
        e->u.cr.access = (uint8_t)TRACE_F_CR_ACCESS(ev->flags);
        e->u.cr.gpr = (uint8_t)TRACE_F_CR_GPR(ev->flags);
        e->u.cr.value = (uint32_t)ev->value;
        break;
    case EXIT_RDMSR:
    case EXIT_WRMSR: e->u.msr = ev->addr; break;
    case EXIT_INVLPG: e->u.address = ev->addr; break;
    case EXIT_EPT_VIOLATION:
    case EXIT_EPT_MISCONFIG:
        e->u.ept.gla = ev->addr;
        e->u.ept.gpa = ev->value;
        e->u.ept.qual = (uint32_t)ev->qual;
        break;
    default: break;
    }
}

int trace_pte_flags(uint32_t entry, char *buf, size_t len)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } bits[] = {
        { 1u << 0, "P" },   { 1u << 1, "W" },   { 1u << 2, "U" },
        { 1u << 3, "PWT" }, { 1u << 4, "PCD" }, { 1u << 5, "A" },
        { 1u << 6, "D" },   { 1u << 7, "PS" },  { 1u << 8, "G" },
    };
    size_t n = 0;
    if (len)
        buf[0] = 0;
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if ((entry & bits[i].bit) && n < len)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", bits[i].name);
    if (n == 0 && len)
        n = (size_t)snprintf(buf, len, "-");
    return (int)n;
}

/* SDM Vol. 3A §4.7: the #PF error code. */
static int pf_error_text(uint32_t ec, char *buf, size_t len)
{
    return snprintf(buf, len, "%s, %s, %s%s", ec & 1 ? "protection violation" : "not present",
                    ec & 2 ? "write" : "read", ec & 4 ? "user" : "supervisor",
                    ec & 8 ? ", reserved bit" : "");
}

static int format_walk(const struct trace_event *ev, char *buf, size_t len)
{
    const char *dim = ev->flags & TRACE_F_WALK_EPT      ? "EPT "
                      : ev->flags & TRACE_F_WALK_WINDOW ? "window "
                                                        : "";
    static const char *const rows[4] = { "page", "PT", "PD", "?" };
    const char *row = rows[TRACE_F_WALK_ROW(ev->flags)];
    if (ev->flags & TRACE_F_WALK_RESULT) {
        if (ev->flags & TRACE_F_WALK_EXIT)
            return snprintf(buf, len, "%slin=0x%08x -> EPT exit %llu at gpa 0x%llx", dim, ev->addr,
                            (unsigned long long)ev->value, (unsigned long long)ev->qual);
        if (ev->flags & TRACE_F_WALK_FAULT) {
            char why[80];
            pf_error_text((uint32_t)ev->value, why, sizeof why);
            return snprintf(buf, len, "%slin=0x%08x -> #PF error=0x%llx (%s)", dim, ev->addr,
                            (unsigned long long)ev->value, why);
        }
        return snprintf(buf, len, "%slin=0x%08x -> phys 0x%08llx%s", dim, ev->addr,
                        (unsigned long long)ev->qual,
                        ev->flags & TRACE_F_WALK_LARGE ? " (4 MiB page)" : "");
    }
    /* 32-bit paging has 2 levels; EPT 4 (SDM Vol. 3C §29.3.2), per row of
     * the 2-D walk (trace.h, TRACE_F_WALK_ROW). */
    static const char *const names[5] = { "?", "PTE", "PDE", "PDPTE", "PML4E" };
    if ((ev->flags & TRACE_F_WALK_EPT) && (ev->flags & TRACE_F_WALK_CACHED))
        return snprintf(buf, len, "EPT lin=0x%08x row=%s gpa 0x%llx -> hpa 0x%llx (cached)",
                        ev->addr, row, (unsigned long long)ev->value, (unsigned long long)ev->qual);
    if (ev->flags & TRACE_F_WALK_EPT)
        return snprintf(buf, len, "EPT lin=0x%08x row=%s %s @0x%llx = 0x%llx [%c%c%c]", ev->addr,
                        row, ev->reason <= 4 ? names[ev->reason] : "?",
                        (unsigned long long)ev->qual, (unsigned long long)ev->value,
                        ev->value & 1 ? 'r' : '-', ev->value & 2 ? 'w' : '-',
                        ev->value & 4 ? 'x' : '-');
    char fl[48];
    trace_pte_flags((uint32_t)ev->value, fl, sizeof fl);
    return snprintf(buf, len, "%slin=0x%08x %s @0x%08llx = 0x%08llx [%s]%s", dim, ev->addr,
                    ev->reason <= 4 ? names[ev->reason] : "?", (unsigned long long)ev->qual,
                    (unsigned long long)ev->value, fl,
                    ev->flags & TRACE_F_WALK_CACHED ? " (paging-structure cache)" : "");
}

/* Stage 04's shadow-paging events (trace.h, TRACE_MMU). */
int trace_mmu_text(const struct trace_event *ev, char *buf, size_t len)
{
    const char *ent = ev->flags & TRACE_F_MMU_PDE ? "PDE" : "PTE";
    unsigned long long q = ev->qual, v = ev->value;
    switch (ev->reason) {
    case TRACE_MMU_SYNC:
        return snprintf(buf, len,
                        "shadow-sync guest %s @0x%08llx for lin=0x%08x: %llu shadow "
                        "entries dropped",
                        ent, q, ev->addr, v);
    case TRACE_MMU_UNSYNC:
        return snprintf(buf, len,
                        "unsync guest table 0x%08llx no longer write-protected: %llu "
                        "shadow entries dropped",
                        q, v);
    case TRACE_MMU_WP_FAULT:
        if (!ev->addr) /* bt: the interpreter's write watch knows the GPA only */
            return snprintf(buf, len, "wp-fault guest store to page-table page @0x%08llx", q);
        return snprintf(buf, len, "wp-fault guest store to page-table page @0x%08llx (lin=0x%08x)",
                        q, ev->addr);
    case TRACE_MMU_EVICT:
        return snprintf(buf, len, "evict shadow of cr3=0x%08llx (for cr3=0x%08x)", q, ev->addr);
    default:
        return snprintf(buf, len, "kind=%u qual=0x%llx addr=0x%x value=0x%llx", ev->reason, q,
                        ev->addr, v);
    }
}

int trace_event_format(const struct trace_event *ev, char *buf, size_t len)
{
    int n = snprintf(
        buf, len, "%llu.%09llu %-5s eip=0x%08x ", (unsigned long long)(ev->time_ns / 1000000000u),
        (unsigned long long)(ev->time_ns % 1000000000u), trace_type_name(ev->type), ev->eip);
    if (n < 0 || (size_t)n >= len)
        return n;
    char *p = buf + n;
    size_t rest = len - (size_t)n;
    int m;
    switch (ev->type) {
    case TRACE_EXIT: {
        struct vm_exit e;
        trace_event_to_exit(ev, &e);
        m = exit_format(&e, p, (int)rest);
        if (m >= 0 && (size_t)m < rest)
            m += snprintf(p + m, rest - (size_t)m, " (%llu ns)", (unsigned long long)ev->cost_ns);
        break;
    }
    case TRACE_IRQ: m = snprintf(p, rest, "interrupt delivered vector=0x%02x", ev->reason); break;
    case TRACE_PAGE_WALK: m = format_walk(ev, p, rest); break;
    case TRACE_MMU: m = trace_mmu_text(ev, p, rest); break;
    case TRACE_CODE_CACHE: {
        static const char *const kinds[] = { "?", "decode", "invalidate", "flush", "window-flush" };
        m = snprintf(p, rest, "%s gpa=0x%08llx size=%u occupancy=%llu",
                     ev->reason <= 4 ? kinds[ev->reason] : "?", (unsigned long long)ev->qual,
                     ev->addr, (unsigned long long)ev->value);
        break;
    }
    default:
        m = snprintf(p, rest, "reason=%u qual=0x%llx addr=0x%x value=0x%llx", ev->reason,
                     (unsigned long long)ev->qual, ev->addr, (unsigned long long)ev->value);
        break;
    }
    return m < 0 ? m : n + m;
}
