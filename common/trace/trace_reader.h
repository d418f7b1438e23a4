/*
 * trace_reader.h — reading a VMLTRACE file (--trace FILE) back.
 *
 * The file is a header then fixed-size events (format: trace.h and
 * common/README.md, "Trace file format").  The reader checks the magic, the
 * version and the sizes, and reports a missing, foreign, truncated or
 * too-new file as one line.  It copies the fields it knows out of each
 * record and skips the rest, so files written by a later writer that
 * appended fields still read.
 *
 *     struct trace_reader r;
 *     struct trace_event ev;
 *     char err[256], line[256];
 *     if (trace_reader_open(&r, "run.trace", err, sizeof err) < 0) { puts(err); ... }
 *     while (trace_reader_next(&r, &ev, err, sizeof err) > 0) {
 *         trace_event_format(&ev, line, sizeof line);
 *         puts(line);
 *     }
 *     trace_reader_close(&r);
 *
 * Used by tools/vmtrace and by the visualizer's replay mode.
 */
#ifndef TRACE_TRACE_READER_H
#define TRACE_TRACE_READER_H

#include <stdint.h>
#include <stdio.h>
#include "core/vm_exit.h"
#include "trace/trace.h"

/* The header, decoded (whatever the host's byte order). */
struct trace_info {
    uint32_t version;
    uint32_t header_size; /* bytes before the first event          */
    uint32_t event_size;  /* bytes per event record                */
    char engine[17];      /* NUL-terminated                        */
    int64_t nevents;      /* events in the file, -1 if not seekable */
};

struct trace_reader {
    FILE *f;
    struct trace_info info;
    uint64_t index;     /* events returned so far                */
    unsigned char *rec; /* one record, info.event_size bytes     */
    char path[200];     /* for error messages                    */
};

/* Open and validate path.  0, or -1 with a one-line reason in err:
 * "FILE: cannot open: No such file or directory", "FILE: not a vmlab trace
 * (bad magic)", "FILE: trace format version 7 is not supported (this
 * reader knows 1)", "FILE: truncated: ...". */
int trace_reader_open(struct trace_reader *r, const char *path, char *err, size_t errlen);
/* The next event: 1, 0 at the end of the file, -1 with err on a read error
 * or a partial record (a file cut short while it was being read). */
int trace_reader_next(struct trace_reader *r, struct trace_event *ev, char *err, size_t errlen);
void trace_reader_close(struct trace_reader *r);

/* Validate and decode a header held in memory (n bytes).  Same messages as
 * trace_reader_open without the file name.  nevents is set to -1. */
int trace_header_decode(const void *buf, size_t n, struct trace_info *info, char *err,
                        size_t errlen);
/* Decode one record of event_size (>= 48) bytes. */
void trace_event_decode(const void *rec, struct trace_event *ev);

/* "exit", "walk", "irq", "cache", or "type7" for a type this reader does
 * not know (returned in a static buffer only for unknown types). */
const char *trace_type_name(unsigned type);
/* A TRACE_EXIT event back as the struct vm_exit it was recorded from (as
 * far as the trace keeps it: not the message, not instr_len). */
void trace_event_to_exit(const struct trace_event *ev, struct vm_exit *e);
/* One line, no newline: time, type, EIP, then the decoded event, e.g.
 * "0.000123456 exit  eip=0x00101234 I/O instruction out port=0x3f8 size=1
 * value=0x41 (179 ns)".  Exits are decoded by exit_format (core/vm_exit.h),
 * the same text as the crash history.  Returns the length (as snprintf). */
int trace_event_format(const struct trace_event *ev, char *buf, size_t len);
/* A TRACE_MMU event's text without time, type and EIP, e.g. "shadow-sync guest
 * PTE @0x00131404 for lin=0x00401000: 1 shadow entries dropped". */
int trace_mmu_text(const struct trace_event *ev, char *buf, size_t len);
/* The walk's PDE/PTE flags as text: "P W U A D PS" (set bits only). */
int trace_pte_flags(uint32_t entry, char *buf, size_t len);

#endif
