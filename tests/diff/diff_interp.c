/*
 * diff_interp.c — differential test of the reference interpreter against
 * the host CPU (docs/ARCHITECTURE.md §8).
 *
 *   diff_interp [-n SNIPPETS] [-s SEED] [-c CATEGORY] [-v] [-k REPORTS] [-b]
 *
 * -b: every snippet the interpreter gets right also runs on stage 01's
 * binary translator (identical translation, bt.h's standalone API through
 * isim_create_bt) and is compared with the host CPU and the interpreter.
 *
 * Generates SNIPPETS instruction snippets (gen.c) plus the fixed edge
 * cases (edge.c), runs each on the real CPU (diff_host32, a 32-bit
 * process, batched) and on the interpreter (isim.c), and compares EIP, the
 * eight GPRs, EFLAGS without the flags the SDM leaves undefined for the
 * instructions executed (common/x86/flag_effects.c), the data area and the
 * exception vector.  Prints one TAP line per category; for a mismatch the snippet,
 * its disassembly, the input, both outputs and the differing fields.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gen.h"
#include "host.h"
#include "isim.h"
#include "x86/cpu.h"

#define BATCH 2500
/* EFLAGS bits compared (RF is left out: the CPU sets it in the image of a
 * fault-class exception frame, SDM Vol. 3A §17.3.1.1). */
#define CMP_FLAGS (FL_ARITH | FL_TF | FL_IF | FL_DF | FL_AC)

static const char *const regname[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

static const char *vec_name(int v)
{
    static const char *const n[] = { "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD",
                                     "#NM", "#DF", "?9",  "#TS", "#NP", "#SS", "#GP",
                                     "#PF", "?15", "#MF", "#AC", "#MC", "#XM" };
    return v >= 0 && v < 20 ? n[v] : "?";
}

static void flags_str(uint32_t f, char *buf)
{
    static const struct {
        uint32_t bit;
        char c;
    } b[] = {
        { FL_OF, 'O' }, { FL_DF, 'D' }, { FL_IF, 'I' }, { FL_TF, 'T' }, { FL_SF, 'S' },
        { FL_ZF, 'Z' }, { FL_AF, 'A' }, { FL_PF, 'P' }, { FL_CF, 'C' },
    };
    int n = sprintf(buf, "%08x[", f);
    for (unsigned i = 0; i < sizeof b / sizeof b[0]; i++)
        buf[n++] = (f & b[i].bit) ? b[i].c : '-';
    buf[n++] = ']';
    buf[n] = 0;
}

static void print_state(const char *who, const struct diff_out *o)
{
    char fl[40];
    flags_str(o->st.eflags, fl);
    if (o->vector >= 0)
        printf("#   %-7s %s (vector %d, error code %#x) at eip %#x\n", who, vec_name(o->vector),
               o->vector, o->error_code, o->st.eip);
    else
        printf("#   %-7s ran to the end, eip %#x\n", who, o->st.eip);
    printf("#           ");
    for (int r = 0; r < 8; r++)
        printf("%s=%08x ", regname[r], o->st.gpr[r]);
    printf("eflags=%s\n", fl);
}

static void print_snippet(csh cs, const struct diff_in *in)
{
    printf("#   code:  ");
    for (uint32_t i = 0; i < in->len; i++)
        printf("%02x%s", in->code[i], i + 1 < in->len ? " " : "\n");
    cs_insn *insn;
    size_t n = cs_disasm(cs, in->code, in->len, DIFF_CODE_ADDR, 0, &insn);
    uint32_t done = 0;
    for (size_t i = 0; i < n; i++) {
        printf("#     %08llx  %-8s %s\n", (unsigned long long)insn[i].address, insn[i].mnemonic,
               insn[i].op_str);
        done += insn[i].size;
    }
    if (done < in->len)
        printf("#     (%u bytes capstone cannot decode)\n", in->len - done);
    cs_free(insn, n);
    char fl[40];
    flags_str(in->st.eflags, fl);
    printf("#   input:  ");
    for (int r = 0; r < 8; r++)
        printf("%s=%08x ", regname[r], in->st.gpr[r]);
    printf("eflags=%s\n", fl);
}

/* The final bytes of data-area block i as one side left it. */
static const uint8_t *block_of(const struct diff_result *r, uint32_t i, const uint8_t *pristine)
{
    for (uint32_t k = 0; k < r->out.ndirty; k++)
        if (r->blocks[k].index == i)
            return r->blocks[k].bytes;
    return pristine + i * DIFF_BLOCK;
}

/* The two sides compare() names in its messages. */
static const char *cmp_a = "host", *cmp_b = "interp";

/* Compare; on a difference and if report, print why.  true = same. */
static bool compare(const struct diff_result *h, const struct diff_result *v, uint32_t undef,
                    const uint8_t *pristine, char *why, size_t whylen)
{
    int n = 0;
    why[0] = 0;
#define WHY(...) (n += snprintf(why + n, n < (int)whylen ? whylen - n : 0, __VA_ARGS__))
    if (h->out.vector != v->out.vector) {
        WHY(" exception: %s %s, %s %s;", cmp_a,
            h->out.vector < 0 ? "none" : vec_name(h->out.vector), cmp_b,
            v->out.vector < 0 ? "none" : vec_name(v->out.vector));
    } else if (h->out.vector == EXC_GP && h->out.error_code != v->out.error_code) {
        WHY(" #GP error code: %s %#x, %s %#x;", cmp_a, h->out.error_code, cmp_b, v->out.error_code);
    }
    if (h->out.st.eip != v->out.st.eip)
        WHY(" eip: %s %#x, %s %#x;", cmp_a, h->out.st.eip, cmp_b, v->out.st.eip);
    for (int r = 0; r < 8; r++)
        if (h->out.st.gpr[r] != v->out.st.gpr[r])
            WHY(" %s: %s %#x, %s %#x;", regname[r], cmp_a, h->out.st.gpr[r], cmp_b,
                v->out.st.gpr[r]);
    uint32_t mask = CMP_FLAGS & ~undef;
    uint32_t fd = (h->out.st.eflags ^ v->out.st.eflags) & mask;
    if (fd) {
        char a[40], b[40], u[40];
        flags_str(h->out.st.eflags, a);
        flags_str(v->out.st.eflags, b);
        flags_str(undef, u);
        WHY(" eflags: %s %s, %s %s, differ in %#x (undefined, not compared: %s);", cmp_a, a, cmp_b,
            b, fd, u);
    }
    int shown = 0;
    for (int side = 0; side < 2; side++) {
        const struct diff_result *r = side ? v : h;
        for (uint32_t k = 0; k < r->out.ndirty; k++) {
            uint32_t i = r->blocks[k].index;
            const uint8_t *a = block_of(h, i, pristine), *b = block_of(v, i, pristine);
            if (side == 1 && block_of(h, i, pristine) != pristine + i * DIFF_BLOCK)
                continue; /* already seen from the host side */
            for (int j = 0; j < DIFF_BLOCK; j++)
                if (a[j] != b[j] && shown++ < 8)
                    WHY(" mem[%#x]: %s %02x, %s %02x (was %02x);",
                        DIFF_DATA_ADDR + i * DIFF_BLOCK + j, cmp_a, a[j], cmp_b, b[j],
                        pristine[i * DIFF_BLOCK + j]);
                else if (a[j] != b[j])
                    shown++;
        }
    }
    if (shown > 8)
        WHY(" ... %d bytes of memory differ;", shown);
    return n == 0;
#undef WHY
}

/* The comparison itself must be able to fail: perturb one field at a time
 * of an identical pair and check that exactly the right ones are caught
 * (and that a flag is ignored only when it is marked undefined). */
static bool self_check(const uint8_t *pristine)
{
    struct diff_block hb = { .index = 7 }, vb = { .index = 7 };
    memcpy(hb.bytes, pristine + 7 * DIFF_BLOCK, DIFF_BLOCK);
    hb.bytes[3] ^= 0x55;
    vb = hb;
    struct diff_result h = { .out = { .vector = -1,
                                      .st = { { 1, 2, 3, 4, 5, 6, 7, 8 }, 0x202 | FL_CF, 0x1234 },
                                      .ndirty = 1 },
                             .blocks = &hb };
    char why[2000];
    bool ok = true;
    for (int t = 0; t < 9; t++) {
        struct diff_result v = h;
        v.blocks = &vb;
        vb = hb;
        uint32_t undef = 0;
        bool expect_same = false;
        switch (t) {
        case 0: expect_same = true; break;
        case 1: v.out.st.gpr[t % 8] ^= 0x80000000u; break;
        case 2: v.out.st.eflags ^= FL_CF; break;
        case 3:
            v.out.st.eflags ^= FL_CF;
            undef = FL_CF;
            expect_same = true;
            break;
        case 4:
            v.out.st.eflags ^= FL_OF;
            undef = FL_CF;
            break;
        case 5: v.out.st.eip++; break;
        case 6: v.out.vector = EXC_DE; break;
        case 7: vb.bytes[0] ^= 1; break;
        case 8: v.out.ndirty = 0; break; /* interp left memory alone */
        }
        if (compare(&h, &v, undef, pristine, why, sizeof why) != expect_same) {
            printf("# self-check %d: compare said %s:%s\n", t, expect_same ? "different" : "same",
                   why);
            ok = false;
        }
    }
    return ok;
}

struct tally {
    long run, bad, faults;
    int reported;
};

/* The command line, see the head of this file. */
struct options {
    long n;          /* -n: generated snippets, shared out by category weight */
    uint32_t seed;   /* -s, or DIFF_SEED */
    int only;        /* -c: one category (CAT_NGEN: the edge table), -1 all */
    int max_reports; /* -k: mismatches printed in full per category */
    bool verbose;    /* -v */
    bool host_only;  /* -H: check the generator on the host */
    bool with_bt;    /* -b: stage 01's translator too, three ways */
};

/* One run of the tester: the three executors of a snippet (the host CPU
 * through diff_host32, the interpreter, with -b the translator), the
 * generator, the work list and the tallies per category. */
struct tester {
    struct options opt;
    char helper[PATH_MAX]; /* the 32-bit host helper */
    csh cs;
    uint32_t data_seed; /* initial data area, identical on every side */
    uint8_t pristine[DIFF_DATA_SIZE];
    struct isim *sim, *bsim;
    struct gen *g;
    /* One batch for the host helper: the snippets, their category and
     * number within it, the host's results. */
    struct diff_in *in;
    int *cat;
    long *idx;
    struct diff_result *hr;
    /* The work list: want[k] snippets of category k, made[k] so far,
     * k the category being made (CAT_NGEN: the edge table, first). */
    long want[CAT_NGEN + 1], made[CAT_NGEN + 1];
    int k;
    struct tally t[CAT_NGEN + 1];
    long total;
    long vec_hist[CAT_NGEN + 1][33]; /* host outcome: vector, 32 = ran to the end */
};

static void report(csh cs, const char *cat, long idx, uint32_t seed, const struct diff_in *in,
                   const struct diff_result *h, const struct diff_result *v,
                   const struct diff_result *b, uint32_t undef, const char *why)
{
    char u[40];
    printf("# MISMATCH %s #%ld (seed %u):%s\n", cat, idx, seed, why);
    print_snippet(cs, in);
    print_state("host", &h->out);
    print_state("interp", &v->out);
    if (b)
        print_state("bt", &b->out);
    flags_str(undef, u);
    printf("#   undefined flags (not compared): %s\n", u);
}

/* 0, or the exit status of a bad command line (2). */
static int parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){ .n = 20000, .seed = 1, .only = -1, .max_reports = 3 };
    const char *env = getenv("DIFF_SEED");
    if (env)
        o->seed = strtoul(env, NULL, 0);
    int c;
    while ((c = getopt(argc, argv, "n:s:c:k:vHb")) != -1) {
        switch (c) {
        case 'n': o->n = strtol(optarg, NULL, 0); break;
        case 's': o->seed = strtoul(optarg, NULL, 0); break;
        case 'k': o->max_reports = atoi(optarg); break;
        case 'v': o->verbose = true; break;
        case 'H': o->host_only = true; break;
        case 'b': o->with_bt = true; break;
        case 'c':
            for (int i = 0; i < CAT_NGEN; i++)
                if (!strcasecmp(optarg, gen_cat_name[i]) || atoi(optarg) - 1 == i)
                    o->only = i;
            if (!strcmp(optarg, "edge"))
                o->only = CAT_NGEN;
            if (o->only < 0) {
                fprintf(stderr, "diff_interp: unknown category %s\n", optarg);
                return 2;
            }
            break;
        default:
            fprintf(stderr, "usage: diff_interp [-n SNIPPETS] [-s SEED] [-c CATEGORY|edge] "
                            "[-k REPORTS] [-v] [-b]\n");
            return 2;
        }
    }
    return 0;
}

/* The 32-bit host helper lives next to this binary.  false if not found. */
static bool find_helper(char *helper, size_t len)
{
    ssize_t l = readlink("/proc/self/exe", helper, len - 32);
    if (l <= 0) {
        perror("readlink /proc/self/exe");
        return false;
    }
    helper[l] = 0;
    strcpy(strrchr(helper, '/') + 1, "diff_host32");
    return true;
}

/* Capstone (for the generator, the flag effects and the reports), the
 * interpreter and with -b the translator, all over the same data area.
 * 0, or the exit status. */
static int open_executors(struct tester *t)
{
    char err[256];
    if (cs_open(CS_ARCH_X86, CS_MODE_32, &t->cs) != CS_ERR_OK) {
        fprintf(stderr, "diff_interp: capstone: cannot open x86-32\n");
        return 2;
    }
    cs_option(t->cs, CS_OPT_DETAIL, CS_OPT_ON);
    t->data_seed = t->opt.seed * 2654435761u + 12345;
    t->sim = isim_create(t->cs, t->data_seed, err, sizeof err);
    if (!t->sim) {
        printf("not ok - diff: cannot create the interpreter: %s\n", err);
        return 1;
    }
    if (t->opt.with_bt && !(t->bsim = isim_create_bt(t->cs, t->data_seed, err, sizeof err))) {
        printf("not ok - diff: cannot create the binary translator: %s\n", err);
        return 1;
    }
    diff_fill_data(t->pristine, t->data_seed);
    return 0;
}

/* The generator, the batch buffers and the work list: categories by
 * weight (percent of -n), the edge table once.  0, or the exit status. */
static int plan_work(struct tester *t)
{
    static const int weight[CAT_NGEN] = { 18, 12, 8, 8, 8, 8, 12, 8, 10, 8 };
    const struct options *o = &t->opt;
    t->g = gen_create(t->cs, o->seed);
    t->in = calloc(BATCH, sizeof *t->in);
    t->cat = calloc(BATCH, sizeof *t->cat);
    t->idx = calloc(BATCH, sizeof *t->idx);
    t->hr = calloc(BATCH, sizeof *t->hr);
    if (!t->g || !t->in || !t->cat || !t->idx || !t->hr) {
        printf("not ok - diff: out of memory\n");
        return 1;
    }
    for (int k = 0; k < CAT_NGEN; k++)
        if (o->only < 0 || o->only == k)
            t->want[k] = o->only < 0 ? o->n * weight[k] / 100 : o->n;
    t->want[CAT_NGEN] = (o->only < 0 || o->only == CAT_NGEN) ? n_edge_cases : 0;
    t->k = CAT_NGEN;
    return 0;
}

/* The next batch from the work list, edge cases first, then generated
 * snippets category by category.  The number of snippets, 0 at the end. */
static int fill_batch(struct tester *t)
{
    int nb = 0;
    while (nb < BATCH) {
        int k = t->k;
        while (k >= 0 && t->made[k] >= t->want[k])
            k = k == CAT_NGEN ? 0 : k + 1 < CAT_NGEN ? k + 1 : -1;
        t->k = k;
        if (k < 0)
            break;
        if (k == CAT_NGEN) {
            if (!edge_snippet(t->made[k], &t->in[nb])) {
                printf("not ok - diff edge: bad hex in case \"%s\"\n", edge_cases[t->made[k]].name);
                t->made[k]++;
                continue;
            }
        } else {
            gen_snippet(t->g, k, &t->in[nb]);
        }
        t->cat[nb] = k;
        t->idx[nb] = t->made[k]++;
        nb++;
    }
    return nb;
}

/* -H: the host alone.  A #PF means the generator made an address outside
 * the data area: its bug, show it. */
static void check_generator(struct tester *t, int i, const char *cname)
{
    struct tally *tt = &t->t[t->cat[i]];
    if (t->hr[i].out.vector != EXC_PF)
        return;
    tt->bad++;
    if (tt->reported++ < t->opt.max_reports) {
        printf("# generator: #PF in %s #%ld\n", cname, t->idx[i]);
        print_snippet(t->cs, &t->in[i]);
        print_state("host", &t->hr[i].out);
    }
}

/* Run snippet i of the batch on the interpreter (*vr) and compare it with
 * the host CPU, the flags the SDM leaves undefined for the instructions
 * executed masked (*undef, x86/flag_effects.h).  With -b and if they agree,
 * run it on the translator (*br, *bt_ran) and compare that with the host
 * and with the interpreter, masking the undefined flags of the
 * interpreter's single-stepped run (the same instructions, as it agrees).
 * true = all the same; else why says what differs. */
static bool run_and_compare(struct tester *t, int i, struct diff_result *vr, struct diff_result *br,
                            uint32_t *undef, bool *bt_ran, char *why, size_t whylen)
{
    const struct diff_result *h = &t->hr[i];
    char msg[300];
    uint32_t bundef;
    bool same;
    cmp_a = "host";
    cmp_b = "interp";
    if (isim_run(t->sim, &t->in[i], vr, undef, msg, sizeof msg)) {
        snprintf(why, whylen, " %s", msg);
        same = false;
    } else {
        same = compare(h, vr, *undef, t->pristine, why, whylen);
    }
    *bt_ran = false;
    if (!same || !t->bsim)
        return same;
    *bt_ran = true;
    cmp_b = "bt";
    if (isim_run(t->bsim, &t->in[i], br, &bundef, msg, sizeof msg)) {
        snprintf(why, whylen, " bt: %s", msg);
        return false;
    }
    if (!compare(h, br, *undef, t->pristine, why, whylen))
        return false;
    cmp_a = "interp";
    return compare(vr, br, *undef, t->pristine, why, whylen);
}

/* Snippet i of the batch, whose host result is in: count it, compare it,
 * report a mismatch (every edge case, the first -k of a category). */
static void check_snippet(struct tester *t, int i)
{
    const struct options *o = &t->opt;
    const struct diff_result *h = &t->hr[i];
    int cat = t->cat[i];
    struct tally *tt = &t->t[cat];
    const char *cname = cat == CAT_NGEN ? edge_cases[t->idx[i]].name : gen_cat_name[cat];
    tt->run++;
    t->total++;
    if (h->out.vector >= 0)
        tt->faults++;
    t->vec_hist[cat][h->out.vector >= 0 && h->out.vector < 32 ? h->out.vector : 32]++;
    if (o->host_only) {
        check_generator(t, i, cname);
        return;
    }
    struct diff_result vr, br;
    uint32_t undef;
    bool bt_ran;
    char why[2000];
    if (!run_and_compare(t, i, &vr, &br, &undef, &bt_ran, why, sizeof why)) {
        tt->bad++;
        if (cat == CAT_NGEN)
            printf("not ok - diff%s edge: %s\n", t->bsim ? " bt" : "", cname);
        if (tt->reported++ < o->max_reports || cat == CAT_NGEN)
            report(t->cs, cat == CAT_NGEN ? "edge" : cname, t->idx[i], o->seed, &t->in[i], h, &vr,
                   bt_ran ? &br : NULL, undef, why);
    } else if (o->verbose) {
        printf("# same: %s #%ld\n", cname, t->idx[i]);
    }
    free(vr.blocks);
    if (bt_ran)
        free(br.blocks);
}

/* Batch by batch: the host CPU runs the batch in one helper process, then
 * each snippet is checked.  1 if the harness itself worked, 0 if the host
 * oracle failed, -1 if it cannot run at all here (skipped). */
static int run_batches(struct tester *t)
{
    char err[256];
    int nb;
    while ((nb = fill_batch(t)) > 0) {
        memset(t->hr, 0, nb * sizeof *t->hr);
        int hrc = host_run_batch(t->helper, t->in, nb, t->data_seed, t->hr, err, sizeof err);
        if (hrc == -2 && t->total == 0) {
            printf("ok - diff interp vs host CPU # SKIP %s\n", err);
            return -1;
        }
        if (hrc) {
            printf("not ok - diff: the host CPU oracle failed: %s\n", err);
            return 0;
        }
        for (int i = 0; i < nb; i++)
            check_snippet(t, i);
        host_free_results(t->hr, nb);
    }
    return 1;
}

/* One TAP line per category, with -v the host outcomes per category, and
 * the total.  The exit status: 1 if anything differed. */
static int print_summary(const struct tester *t, bool harness_ok)
{
    const char *bt = t->bsim ? " bt" : "";
    uint32_t seed = t->opt.seed;
    int failed = !harness_ok;
    for (int i = 0; i < CAT_NGEN; i++) {
        const struct tally *c = &t->t[i];
        if (!t->want[i])
            continue;
        if (c->bad) {
            printf("not ok - diff%s %s: %ld of %ld snippets differ (seed %u; %ld faulted on the "
                   "host)\n",
                   bt, gen_cat_name[i], c->bad, c->run, seed, c->faults);
            failed = 1;
        } else {
            printf("ok - diff%s %s: %ld snippets (seed %u; %ld fault on all)\n", bt,
                   gen_cat_name[i], c->run, seed, c->faults);
        }
    }
    if (t->want[CAT_NGEN]) {
        const struct tally *e = &t->t[CAT_NGEN];
        if (e->bad)
            failed = 1;
        else
            printf("ok - diff%s edge cases: %ld cases (%ld fault on all)\n", bt, e->run, e->faults);
    }
    for (int i = 0; t->opt.verbose && i <= CAT_NGEN; i++) {
        printf("# %-14s", i == CAT_NGEN ? "edge" : gen_cat_name[i]);
        for (int v = 0; v <= 32; v++)
            if (t->vec_hist[i][v])
                printf(" %s:%ld", v == 32 ? "end" : vec_name(v), t->vec_hist[i][v]);
        printf("\n");
    }
    printf("# %ld snippets compared against the host CPU%s\n", t->total,
           t->bsim ? " (host, interp and bt three ways)" : "");
    return failed;
}

int main(int argc, char **argv)
{
    static struct tester t; /* 64 KiB of pristine data: not on the stack */
    int rc = parse_options(argc, argv, &t.opt);
    if (rc)
        return rc;
    if (!find_helper(t.helper, sizeof t.helper))
        return 2;
    if ((rc = open_executors(&t)))
        return rc;
    if (self_check(t.pristine))
        printf("ok - diff harness: the comparison catches registers, flags, EIP, "
               "vectors and memory\n");
    else
        printf("not ok - diff harness: the comparison misses differences\n");
    if ((rc = plan_work(&t)))
        return rc;
    int ran = run_batches(&t);
    if (ran < 0)
        return 0;
    rc = print_summary(&t, ran == 1);
    isim_destroy(t.sim);
    isim_destroy(t.bsim);
    gen_destroy(t.g);
    cs_close(&t.cs);
    return rc;
}
