/*
 * acpi.c — the RSDP search, the RSDT/XSDT walk and the DMAR's DRHD
 * (acpi.h; ACPI 6.4 §5.2.5-§5.2.8, Intel VT-d specification §8).
 */
#include "acpi.h"
#include "mm.h"

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p + 4) << 32 | get32(p); }

/* Every ACPI structure sums to 0 over its length (§5.2.5.3, §5.2.6). */
static int sum_ok(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;
    while (len--)
        s = (uint8_t)(s + *p++);
    return s == 0;
}

/* Readable through the identity map?  Page 0 is not mapped. */
static int mapped(uint64_t pa, uint64_t len)
{
    return pa >= PAGE_SIZE && len <= MM_LIMIT && pa <= MM_LIMIT - len;
}

/* A pointer to physical address pa through the identity map, hidden from
 * the compiler's object-bounds checks (a constant address is no object). */
static const uint8_t *phys(uint32_t pa)
{
    __asm__("" : "+r"(pa));
    return (const uint8_t *)pa;
}

static int same4(const uint8_t *p, const char *s)
{
    return p[0] == s[0] && p[1] == s[1] && p[2] == s[2] && p[3] == s[3];
}

/* The RSDP in [from, to), 16-byte aligned (§5.2.5.1). */
static const uint8_t *rsdp_in(uint32_t from, uint32_t to)
{
    for (uint32_t a = from; a + 20 <= to; a += 16) {
        const uint8_t *p = phys(a);
        if (same4(p, "RSD ") && same4(p + 4, "PTR ") && sum_ok(p, 20))
            return p;
    }
    return 0;
}

static const uint8_t *rsdp_find(void)
{
    /* The EBDA's segment is the word at 0x40E of the BIOS data area, in
     * page 0, which the kernel leaves unmapped: read it through the MMIO
     * window. */
    const volatile uint16_t *bda = mm_map_mmio(0x40E, 2);
    uint32_t ebda = bda ? (uint32_t)*bda << 4 : 0;
    const uint8_t *p = 0;
    if (ebda >= 0x80000 && ebda < 0xA0000)
        p = rsdp_in(ebda, ebda + 1024);
    return p ? p : rsdp_in(0xE0000, 0x100000);
}

/* A table header at pa that is mapped, long enough and checksummed. */
static const uint8_t *table_at(uint64_t pa)
{
    if (!mapped(pa, ACPI_HDR_LEN))
        return 0;
    const uint8_t *t = phys((uint32_t)pa);
    uint32_t len = get32(t + 4);
    if (len < ACPI_HDR_LEN || !mapped(pa, len) || !sum_ok(t, len))
        return 0;
    return t;
}

const uint8_t *acpi_find(const char sig[4], int *rsdp_found)
{
    const uint8_t *rsdp = rsdp_find();
    if (rsdp_found)
        *rsdp_found = rsdp != 0;
    if (!rsdp)
        return 0;
    /* Revision 2+ (ACPI 2.0) adds the XSDT at offset 24, whose 36-byte
     * RSDP has its own checksum; an OS prefers it (§5.2.5.3). */
    const uint8_t *sdt = 0;
    uint32_t esize = 4;
    if (rsdp[15] >= 2 && sum_ok(rsdp, 36) && (sdt = table_at(get64(rsdp + 24))))
        esize = 8;
    else
        sdt = table_at(get32(rsdp + 16));
    if (!sdt)
        return 0;
    uint32_t n = (get32(sdt + 4) - ACPI_HDR_LEN) / esize;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = sdt + ACPI_HDR_LEN + i * esize;
        const uint8_t *t = table_at(esize == 8 ? get64(e) : get32(e));
        if (t && same4(t, sig))
            return t;
    }
    return 0;
}

/*
 * The DMAR (VT-d §8.1): the header, Host Address Width at 36 (N: the
 * width is N + 1 bits), Flags at 37, 10 reserved bytes, then remapping
 * structures from offset 48, each starting with Type (16 bits) and Length
 * (16 bits).  Type 0 is a DRHD (§8.3): Flags at 4, Segment at 6, Register
 * Base Address at 8 (64 bits), device scope entries from 16.
 */
int acpi_dmar_drhd(struct acpi_drhd *out)
{
    int have_rsdp;
    const uint8_t *t = acpi_find("DMAR", &have_rsdp);
    if (!t)
        return have_rsdp ? -2 : -1;
    uint32_t len = get32(t + 4);
    for (uint32_t off = 48; off + 4 <= len;) {
        uint16_t type = (uint16_t)(t[off] | t[off + 1] << 8);
        uint16_t slen = (uint16_t)(t[off + 2] | t[off + 3] << 8);
        if (slen < 4 || off + slen > len)
            break;
        if (type == 0 && slen >= 16) {
            *out = (struct acpi_drhd){ .base = get64(t + off + 8),
                                       .segment = (uint16_t)(t[off + 6] | t[off + 7] << 8),
                                       .flags = t[off + 4],
                                       .haw = (uint8_t)(t[36] + 1),
                                       .dmar_flags = t[37] };
            return 0;
        }
        off += slen;
    }
    return -3;
}
