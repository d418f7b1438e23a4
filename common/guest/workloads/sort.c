/*
 * sort.c — sorting 4000 keys four ways: recursive quicksort (median of
 * three, insertion sort below 16), heapsort, top-down merge sort with a
 * heap buffer, and a Shell sort that compares through a function pointer
 * (the qsort(3) shape).  All four must agree.
 */
#include "wl.h"

#define N 4000

static void insertion(uint32_t *a, int lo, int hi)
{
    for (int i = lo + 1; i <= hi; i++) {
        uint32_t v = a[i];
        int j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void quick(uint32_t *a, int lo, int hi)
{
    while (hi - lo >= 16) {
        int mid = lo + (hi - lo) / 2;
        uint32_t x = a[lo], y = a[mid], z = a[hi];
        uint32_t p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i <= j) {
                uint32_t t = a[i];
                a[i++] = a[j], a[j--] = t;
            }
        }
        if (j - lo < hi - i) { /* recurse into the smaller part */
            quick(a, lo, j);
            lo = i;
        } else {
            quick(a, i, hi);
            hi = j;
        }
    }
    insertion(a, lo, hi);
}

static void sift(uint32_t *a, int root, int n)
{
    for (;;) {
        int c = 2 * root + 1;
        if (c >= n)
            return;
        if (c + 1 < n && a[c + 1] > a[c])
            c++;
        if (a[root] >= a[c])
            return;
        uint32_t t = a[root];
        a[root] = a[c], a[c] = t;
        root = c;
    }
}

static void heapsort(uint32_t *a, int n)
{
    for (int i = n / 2 - 1; i >= 0; i--)
        sift(a, i, n);
    for (int end = n - 1; end > 0; end--) {
        uint32_t t = a[0];
        a[0] = a[end], a[end] = t;
        sift(a, 0, end);
    }
}

static void merge(uint32_t *a, uint32_t *tmp, int lo, int hi)
{
    if (hi - lo < 2)
        return;
    int mid = lo + (hi - lo) / 2;
    merge(a, tmp, lo, mid);
    merge(a, tmp, mid, hi);
    int i = lo, j = mid, k = lo;
    while (i < mid && j < hi)
        tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
    while (i < mid)
        tmp[k++] = a[i++];
    while (j < hi)
        tmp[k++] = a[j++];
    wl_memcpy(a + lo, tmp + lo, (size_t)(hi - lo) * 4);
}

typedef int (*cmp_fn)(const void *, const void *);

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void shell(uint32_t *a, int n, cmp_fn cmp)
{
    static const int gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 }; /* Ciura */
    for (int g = 0; g < 8; g++)
        for (int i = gaps[g]; i < n; i++) {
            uint32_t v = a[i];
            int j = i;
            for (; j >= gaps[g] && cmp(&a[j - gaps[g]], &v) > 0; j -= gaps[g])
                a[j] = a[j - gaps[g]];
            a[j] = v;
        }
}

static uint32_t sort_round(void)
{
    static uint32_t src[N], a[N], b[N], c[N], d[N];
    uint32_t seed = 521288629u;
    for (int i = 0; i < N; i++)
        src[i] = wl_rand(&seed) % 100000;
    wl_memcpy(a, src, sizeof a);
    wl_memcpy(b, src, sizeof b);
    wl_memcpy(c, src, sizeof c);
    wl_memcpy(d, src, sizeof d);
    quick(a, 0, N - 1);
    heapsort(b, N);
    uint32_t *tmp = wl_malloc(N * 4);
    merge(c, tmp, 0, N);
    wl_free(tmp);
    shell(d, N, cmp_u32);
    uint32_t h = 0, disagree = 0;
    for (int i = 0; i < N; i++) {
        disagree += (a[i] != b[i]) + (a[i] != c[i]) + (a[i] != d[i]);
        disagree += i && a[i - 1] > a[i];
        h = wl_mix(h, a[i] * (uint32_t)(i + 1));
    }
    return wl_mix(h, disagree);
}

WORKLOAD("sort", 0x6d973c3e, sort_round);
