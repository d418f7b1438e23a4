/*
 * mptable.c — the MP floating pointer and configuration table (mptable.h,
 * Intel MultiProcessor Specification 1.4, chapter 4).
 */
#include "firmware/mptable.h"

#include <string.h>

/* One processor entry (§4.3.1, Table 4-4). */
static uint8_t *put_proc(uint8_t *p, const struct firmware_config *cfg, unsigned apic_id)
{
    p[0] = MP_PROC;
    p[1] = (uint8_t)apic_id;
    p[2] = FW_LAPIC_VERSION;
    p[3] = (uint8_t)(1 | (apic_id == 0 ? 2 : 0)); /* EN; BP for the BSP */
    fw_put32(p + 4, cfg->cpu_signature);
    fw_put32(p + 8, cfg->cpu_features);
    memset(p + 12, 0, 8); /* reserved */
    return p + MP_PROC_LEN;
}

/* A bus entry (§4.3.2): its ID and its type, 6 characters blank-padded. */
static uint8_t *put_bus(uint8_t *p, uint8_t id, const char type[7])
{
    p[0] = MP_BUS;
    p[1] = id;
    memcpy(p + 2, type, 6);
    return p + MP_ENTRY_LEN;
}

/* An I/O (type 3) or local (type 4) interrupt assignment (§4.3.4, §4.3.5):
 * source bus and IRQ, destination APIC ID and pin. */
static uint8_t *put_int(uint8_t *p, uint8_t entry, uint8_t type, uint16_t flags, uint8_t bus,
                        uint8_t irq, uint8_t dst_id, uint8_t dst_pin)
{
    p[0] = entry;
    p[1] = type;
    fw_put16(p + 2, flags);
    p[4] = bus;
    p[5] = irq;
    p[6] = dst_id;
    p[7] = dst_pin;
    return p + MP_ENTRY_LEN;
}

/* Entries sorted by type, as §4.3 requires; returns the end, *count set. */
static uint8_t *put_entries(uint8_t *p, const struct firmware_config *cfg, uint16_t *count)
{
    unsigned n = 0;
    for (unsigned id = 0; id < cfg->ncpus; id++, n++)
        p = put_proc(p, cfg, id);
    p = put_bus(p, MP_BUS_PCI, "PCI   ");
    p = put_bus(p, MP_BUS_ISA, "ISA   ");
    n += 2;
    /* The IOAPIC (§4.3.3, Table 4-7): flags bit 0 EN. */
    p[0] = MP_IOAPIC;
    p[1] = FW_IOAPIC_ID;
    p[2] = FW_IOAPIC_VER;
    p[3] = 1;
    fw_put32(p + 4, FW_IOAPIC_ADDR);
    p += MP_ENTRY_LEN;
    n++;
    for (int irq = 0; irq < 16; irq++) {
        int pin = fw_isa_irq_to_gsi(irq);
        if (pin < 0)
            continue;
        uint16_t flags = irq == cfg->sci_irq ? MP_IRQ_HIGH_LEVEL : MP_IRQ_CONFORM;
        p = put_int(p, MP_IOINT, MP_INT, flags, MP_BUS_ISA, (uint8_t)irq, FW_IOAPIC_ID,
                    (uint8_t)pin);
        n++;
    }
    /* LINT0 takes the 8259's INTR as ExtINT, LINT1 the NMI, on every local
     * APIC (destination 0xFF), the virtual wire of §3.6.2.2. */
    p = put_int(p, MP_LINT, MP_EXTINT, MP_IRQ_CONFORM, MP_BUS_ISA, 0, 0xFF, 0);
    p = put_int(p, MP_LINT, MP_NMI, MP_IRQ_CONFORM, MP_BUS_ISA, 0, 0xFF, 1);
    n += 2;
    *count = (uint16_t)n;
    return p;
}

size_t mptable_write(uint8_t *mem, const struct firmware_config *cfg)
{
    /* The configuration table header (§4.2, Table 4-2). */
    uint8_t *h = mem + FW_MPC;
    uint16_t count;
    uint8_t *end = put_entries(h + MP_HEADER_LEN, cfg, &count);
    size_t len = (size_t)(end - h);
    memcpy(h, "PCMP", 4);
    fw_put16(h + 4, (uint16_t)len); /* base table length */
    h[6] = MP_SPEC_REV;
    h[7] = 0;                           /* checksum, below */
    memcpy(h + 8, "VMLAB   ", 8);       /* OEM ID          */
    memcpy(h + 16, "VMLAB PC    ", 12); /* product ID */
    fw_put32(h + 28, 0);                /* no OEM table    */
    fw_put16(h + 32, 0);
    fw_put16(h + 34, count);
    fw_put32(h + 36, FW_LAPIC_ADDR);
    fw_put16(h + 40, 0); /* no extended entries */
    h[42] = 0;
    h[43] = 0;
    h[7] = fw_checksum(h, len);

    /* The floating pointer (§4.1, Table 4-1): length in 16-byte units,
     * feature byte 1 = 0 (a configuration table is present), byte 2 bit 7
     * IMCRP = 0 (virtual wire mode). */
    uint8_t *f = mem + FW_MPFP;
    memset(f, 0, 16);
    memcpy(f, "_MP_", 4);
    fw_put32(f + 4, FW_MPC);
    f[8] = 1;
    f[9] = MP_SPEC_REV;
    f[10] = fw_checksum(f, 16);
    return len;
}
