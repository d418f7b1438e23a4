/*
 * lists.c — pointer chasing through the heap: a singly linked list whose
 * nodes are linked in a shuffled order (every step a load from somewhere
 * else), walked, filtered and freed; and an unbalanced binary search tree
 * of random keys, inserted, searched, walked in order recursively and
 * freed.  Every node comes from the malloc-like allocator of rt.c.
 */
#include "wl.h"

#define NODES 3000
#define KEYS  3000

struct node {
    struct node *next;
    uint32_t value;
};

struct tree {
    struct tree *left, *right;
    uint32_t key, count;
};

static uint32_t list_work(uint32_t *seed)
{
    static struct node *slot[NODES];
    for (int i = 0; i < NODES; i++) {
        slot[i] = wl_malloc(sizeof(struct node));
        slot[i]->value = (uint32_t)i * 2654435761u;
    }
    for (int i = NODES - 1; i > 0; i--) { /* Fisher-Yates: the link order */
        int j = (int)(wl_rand(seed) % (uint32_t)(i + 1));
        struct node *t = slot[i];
        slot[i] = slot[j], slot[j] = t;
    }
    for (int i = 0; i < NODES - 1; i++)
        slot[i]->next = slot[i + 1];
    slot[NODES - 1]->next = 0;
    struct node *head = slot[0];
    uint32_t h = 0;
    for (int pass = 0; pass < 8; pass++)
        for (struct node *n = head; n; n = n->next)
            h = wl_mix(h, n->value + (uint32_t)pass);
    /* Unlink and free every node whose value is divisible by 3. */
    for (struct node **pp = &head; *pp;) {
        struct node *n = *pp;
        if (n->value % 3 == 0) {
            *pp = n->next;
            wl_free(n);
        } else {
            pp = &n->next;
        }
    }
    uint32_t left = 0;
    for (struct node *n = head, *next; n; n = next) {
        next = n->next;
        h = wl_mix(h, n->value);
        left++;
        wl_free(n);
    }
    return wl_mix(h, left);
}

static struct tree *insert(struct tree *t, uint32_t key)
{
    struct tree **p = &t;
    while (*p) {
        if (key == (*p)->key) {
            (*p)->count++;
            return t;
        }
        p = key < (*p)->key ? &(*p)->left : &(*p)->right;
    }
    struct tree *n = wl_malloc(sizeof *n);
    n->left = n->right = 0;
    n->key = key;
    n->count = 1;
    *p = n;
    return t;
}

static const struct tree *find(const struct tree *t, uint32_t key)
{
    while (t && t->key != key)
        t = key < t->key ? t->left : t->right;
    return t;
}

static uint32_t walk(const struct tree *t, uint32_t h, uint32_t depth, uint32_t *maxd)
{
    if (!t)
        return h;
    if (depth > *maxd)
        *maxd = depth;
    h = walk(t->left, h, depth + 1, maxd);
    h = wl_mix(h, t->key * t->count);
    return walk(t->right, h, depth + 1, maxd);
}

static void destroy(struct tree *t)
{
    if (!t)
        return;
    destroy(t->left);
    destroy(t->right);
    wl_free(t);
}

static uint32_t tree_work(uint32_t *seed)
{
    struct tree *root = 0;
    for (int i = 0; i < KEYS; i++)
        root = insert(root, wl_rand(seed) % 5000);
    uint32_t found = 0, maxd = 0;
    for (uint32_t k = 0; k < 5000; k += 2) {
        const struct tree *t = find(root, k);
        found += t ? t->count : 0;
    }
    uint32_t h = walk(root, found, 0, &maxd);
    destroy(root);
    return wl_mix(h, maxd);
}

static uint32_t lists_round(void)
{
    uint32_t seed = 2463534242u;
    uint32_t h = list_work(&seed);
    return wl_mix(h, tree_work(&seed));
}

WORKLOAD("lists", 0x8a6c38ac, lists_round);
