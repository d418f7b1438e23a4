/*
 * gen.h — snippet generators: templates over instruction forms, random
 * bytes filtered through capstone, and a fixed table of edge cases.
 */
#ifndef DIFF_GEN_H
#define DIFF_GEN_H

#include <stdbool.h>
#include <capstone/capstone.h>
#include "proto.h"

enum gen_cat {
    CAT_ALU,
    CAT_SHIFT,
    CAT_MULDIV,
    CAT_BIT,
    CAT_STRING,
    CAT_STACK,
    CAT_MISC,
    CAT_BRANCH,
    CAT_MIXED,
    CAT_RANDOM,
    CAT_NGEN,
};
extern const char *const gen_cat_name[CAT_NGEN];

struct gen;

/* csh must have CS_OPT_DETAIL on.  NULL on failure (out of memory). */
struct gen *gen_create(csh cs, uint32_t seed);
void gen_destroy(struct gen *g);
/* Fill *out with a new snippet of category cat and its input state. */
void gen_snippet(struct gen *g, enum gen_cat cat, struct diff_in *out);

/* The fixed edge cases (edge.c). */
struct edge_case {
    const char *name;
    const char *hex; /* the snippet's bytes, "f7 f1" */
    uint32_t gpr[8]; /* ESP 0 = the default stack in the data area */
    uint32_t eflags; /* arithmetic flags and DF; IF is added       */
};
extern const struct edge_case edge_cases[];
extern const int n_edge_cases;
/* Build the record of edge case i; false if its hex does not parse. */
bool edge_snippet(int i, struct diff_in *out);

/* Default stack pointer and the range pointer registers are drawn from. */
#define DIFF_STACK_TOP (DIFF_DATA_ADDR + 0x8000u)

#endif
