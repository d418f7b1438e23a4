/*
 * host.h — run a batch of snippets on the real CPU through diff_host32.
 */
#ifndef DIFF_HOST_H
#define DIFF_HOST_H

#include <stddef.h>
#include "proto.h"

/* One result: the record and its dirty blocks. */
struct diff_result {
    struct diff_out out;
    struct diff_block *blocks; /* out.ndirty of them                  */
};

/* Run n snippets with the data area initialised from data_seed.  helper is
 * the path of diff_host32.  res[i] receives snippet i's result (blocks are
 * malloc'ed; free with host_free_results).  0, or -1 with a message;
 * -2 if the helper cannot be executed at all (a 64-bit-only kernel). */
int host_run_batch(const char *helper, const struct diff_in *in, size_t n, uint32_t data_seed,
                   struct diff_result *res, char *err, size_t errlen);
void host_free_results(struct diff_result *res, size_t n);

#endif
