/*
 * isim.h — run snippets on the reference interpreter (x86/interp.h).
 */
#ifndef DIFF_ISIM_H
#define DIFF_ISIM_H

#include <stddef.h>
#include <capstone/capstone.h>
#include "host.h"

struct isim;

/* An interpreter over a fresh guest RAM holding the data area (from
 * data_seed) and the ring-0 scaffolding.  NULL with a reason in err. */
struct isim *isim_create(csh cs, uint32_t data_seed, char *err, size_t errlen);
/* The same machine run by stage 01's binary translator (identical
 * translation, 01-binary-translation/bt.h) instead: the snippet runs as
 * translated blocks, not single-stepped, and ends at an INT 0x80 placed
 * after it (a DPL-3 gate to its own "hlt" stub); *undef is left 0 — the
 * caller uses the interpreter's. */
struct isim *isim_create_bt(csh cs, uint32_t data_seed, char *err, size_t errlen);
void isim_destroy(struct isim *s);

/* Run one snippet.  res gets the same kind of result as the host gives
 * (res->blocks malloc'ed), *undef the flags undefined at the end (or at
 * the fault), computed per executed instruction.  0, or -1 when the
 * interpreter did something no CPU does (an exit, an engine error, no
 * end): then msg says what. */
int isim_run(struct isim *s, const struct diff_in *in, struct diff_result *res, uint32_t *undef,
             char *msg, size_t msglen);

#endif
