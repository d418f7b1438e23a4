/*
 * msix.c — MSI-X table, pending bits and capability (msix.h).
 */
#include "05-io/msix.h"

#include <string.h>

static uint16_t control(const struct msix *m) { return (uint16_t)pci_cfg_get(m->f, m->cap + 2, 2); }

bool msix_enabled(const struct msix *m) { return m->f && (control(m) & MSIX_ENABLE); }

static bool masked(const struct msix *m, unsigned v)
{
    return (control(m) & MSIX_MASKALL) || (m->table[v][3] & 1);
}

void msix_init(struct msix *m, struct pci_function *f, unsigned cap, unsigned next, unsigned nvec,
               uint32_t table_off, uint32_t pba_off,
               void (*send)(void *ctx, uint32_t addr, uint32_t data), void *ctx)
{
    memset(m, 0, sizeof *m);
    m->f = f;
    m->cap = cap;
    m->nvec = nvec < MSIX_MAX_VECTORS ? nvec : MSIX_MAX_VECTORS;
    m->send = send;
    m->ctx = ctx;
    for (unsigned v = 0; v < m->nvec; v++)
        m->table[v][3] = 1; /* masked after reset (§6.8.2.9) */
    f->cfg[cap] = PCI_CAP_MSIX;
    f->cfg[cap + 1] = (uint8_t)next;
    pci_cfg_set(f, cap + 2, 2, m->nvec - 1);
    pci_cfg_set(f, cap + 4, 4, table_off); /* BIR 0: BAR0 */
    pci_cfg_set(f, cap + 8, 4, pba_off);
    f->wmask[cap + 3] = (MSIX_ENABLE | MSIX_MASKALL) >> 8;
}

static void deliver(struct msix *m, unsigned v)
{
    m->pending &= ~(1u << v);
    m->sent++;
    if (m->send)
        m->send(m->ctx, m->table[v][0], m->table[v][2]);
}

void msix_notify(struct msix *m, unsigned v)
{
    if (v >= m->nvec)
        return;
    if (masked(m, v)) {
        m->pending |= 1u << v;
        m->held++;
        return;
    }
    deliver(m, v);
}

/* Send whatever became unmasked. */
static void flush_pending(struct msix *m)
{
    for (unsigned v = 0; v < m->nvec; v++)
        if ((m->pending >> v & 1) && msix_enabled(m) && !masked(m, v))
            deliver(m, v);
}

void msix_table_io(struct msix *m, unsigned off, uint8_t size, bool is_write, uint32_t *value)
{
    unsigned v = off / 16, word = off % 16 / 4;
    if (v >= m->nvec || size != 4 || off % 4) { /* dword accesses only (§6.8.2) */
        if (!is_write)
            *value = 0;
        return;
    }
    if (!is_write) {
        *value = m->table[v][word];
        return;
    }
    m->table[v][word] = word == 3 ? (*value & 1) : *value;
    if (word == 3)
        flush_pending(m);
}

void msix_pba_io(struct msix *m, unsigned off, uint8_t size, bool is_write, uint32_t *value)
{
    (void)size;
    if (!is_write) /* read-only: writes are ignored */
        *value = off == 0 ? m->pending : 0;
}

void msix_config_write(struct msix *m, unsigned reg, unsigned len)
{
    if (m->f && reg < m->cap + 4 && reg + len > m->cap + 2)
        flush_pending(m);
}
