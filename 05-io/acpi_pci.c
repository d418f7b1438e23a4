/*
 * acpi_pci.c — a DSDT with the PCI host bridge (acpi_pci.h).
 */
#include "05-io/acpi_pci.h"

#include <stdio.h>
#include <string.h>
#include "firmware/acpi.h"
#include "firmware/firmware.h"

/* AML opcodes (ACPI 6.4 §20.2.5). */
enum {
    AML_ZERO = 0x00,
    AML_NAME = 0x08,
    AML_BYTE = 0x0A,
    AML_DWORD = 0x0C,
    AML_SCOPE = 0x10,
    AML_BUFFER = 0x11,
    AML_PACKAGE = 0x12,
    AML_EXT = 0x5B, /* then 0x82: DeviceOp */
    AML_DEVICE = 0x82,
    AML_ROOT = 0x5C, /* '\' */
};

/* A byte sink that remembers overflow instead of writing past the end. */
struct aml {
    uint8_t *p;
    size_t len, cap;
};

static void emit(struct aml *a, const void *src, size_t n)
{
    if (a->len + n <= a->cap)
        memcpy(a->p + a->len, src, n);
    a->len += n;
}
static void emit1(struct aml *a, uint8_t b) { emit(a, &b, 1); }
static void emit_u16(struct aml *a, uint16_t v)
{
    uint8_t b[2];
    fw_put16(b, v);
    emit(a, b, 2);
}
static void emit_u32(struct aml *a, uint32_t v)
{
    uint8_t b[4];
    fw_put32(b, v);
    emit(a, b, 4);
}

/* PkgLength (§20.2.4) of a body of n bytes, the PkgLength's own bytes
 * counted: one byte up to 63, else a lead byte with the count of bytes
 * that follow in bits 7:6 and the low nibble, then 8 bits each. */
static void emit_pkglen(struct aml *a, size_t n)
{
    if (n + 1 <= 63) {
        emit1(a, (uint8_t)(n + 1));
        return;
    }
    size_t t = n + 2 <= 0xfff ? n + 2 : n + 3;
    unsigned follow = n + 2 <= 0xfff ? 1 : 2;
    emit1(a, (uint8_t)(follow << 6 | (t & 0xf)));
    for (unsigned i = 0; i < follow; i++)
        emit1(a, (uint8_t)(t >> (4 + 8 * i)));
}

/* op, PkgLength, then body (built separately so its length is known). */
static void emit_pkg(struct aml *a, const uint8_t *op, size_t oplen, const struct aml *body)
{
    emit(a, op, oplen);
    emit_pkglen(a, body->len);
    emit(a, body->p, body->len);
}

/* The _CRS buffer's resource template (§6.4.3.5.1-3, §6.4.2.9). */
static void crs_template(struct aml *r, const struct acpi_pci_root *root)
{
    /* Word address space descriptors: 0x88, length 13, resource type,
     * general flags 0x0C (producer, MinFixed, MaxFixed, positive decode),
     * type flags, then granularity, min, max, translation, length. */
    static const uint16_t word[3][4] = {
        { 2, 0x00, 0x0000, 0x00ff }, /* bus numbers 0-255     */
        { 1, 0x03, 0x0000, 0x0cf7 }, /* I/O below CONFIG_ADDRESS, entire range */
        { 1, 0x03, 0x0d00, 0xffff }, /* I/O above CONFIG_DATA */
    };
    for (int i = 0; i < 3; i++) {
        const uint8_t head[6] = { 0x88, 13, 0, (uint8_t)word[i][0], 0x0c, (uint8_t)word[i][1] };
        emit(r, head, sizeof head);
        emit_u16(r, 0);
        emit_u16(r, word[i][2]);
        emit_u16(r, word[i][3]);
        emit_u16(r, 0);
        emit_u16(r, (uint16_t)(word[i][3] - word[i][2] + 1));
    }
    /* DWord memory: 0x87, length 23, type 0 (memory), flags 0x0C, type
     * flags 0x01 (read-write, non-cacheable). */
    const uint8_t head[6] = { 0x87, 23, 0, 0, 0x0c, 0x01 };
    emit(r, head, sizeof head);
    emit_u32(r, 0);
    emit_u32(r, root->mem_base);
    emit_u32(r, root->mem_end);
    emit_u32(r, 0);
    emit_u32(r, root->mem_end - root->mem_base + 1);
    const uint8_t end[2] = { 0x79, 0 }; /* End Tag, checksum 0 = none */
    emit(r, end, sizeof end);
}

/* Name (_CRS, Buffer () {...}) */
static void name_crs(struct aml *dev, const struct acpi_pci_root *root)
{
    uint8_t tb[128], bb[160];
    struct aml t = { tb, 0, sizeof tb }, b = { bb, 0, sizeof bb };
    crs_template(&t, root);
    emit1(&b, AML_BYTE); /* BufferSize */
    emit1(&b, (uint8_t)t.len);
    emit(&b, t.p, t.len);
    emit(dev, "\x08_CRS", 5);
    const uint8_t op = AML_BUFFER;
    emit_pkg(dev, &op, 1, &b);
}

/* Name (_PRT, Package () { Package () { addr, pin, source, index }, ...}) */
static void name_prt(struct aml *dev, const struct acpi_pci_root *root)
{
    uint8_t lb[16 * ACPI_PCI_MAX_SLOTS + 8];
    struct aml list = { lb, 0, sizeof lb };
    emit1(&list, (uint8_t)root->nslots); /* NumElements */
    for (unsigned i = 0; i < root->nslots; i++) {
        uint8_t eb[16];
        struct aml e = { eb, 0, sizeof eb };
        emit1(&e, 4);
        emit1(&e, AML_DWORD); /* Address: device in the high word, any function */
        emit_u32(&e, (uint32_t)root->route[i].slot << 16 | 0xffff);
        emit1(&e, AML_ZERO); /* Pin: INTA# */
        emit1(&e, AML_ZERO); /* Source: none, so Source Index is a GSI */
        emit1(&e, AML_BYTE);
        emit1(&e, root->route[i].gsi);
        const uint8_t op = AML_PACKAGE;
        emit_pkg(&list, &op, 1, &e);
    }
    emit(dev, "\x08_PRT", 5);
    const uint8_t op = AML_PACKAGE;
    emit_pkg(dev, &op, 1, &list);
}

/* Device (VIOn) of a virtio-mmio window (acpi_pci.h). */
static void mmio_device(struct aml *scope, const struct acpi_pci_root *root, unsigned i)
{
    uint8_t db[96], tb[32], bb[40];
    struct aml dev = { db, 0, sizeof db }, t = { tb, 0, sizeof tb }, b = { bb, 0, sizeof bb };
    const uint8_t name[4] = { 'V', 'I', 'O', (uint8_t)('0' + i) };
    emit(&dev, name, 4);
    emit(&dev, "\x08_HID\x0dLNRO0005", 15); /* String: 0x0D, then NUL-terminated */
    emit(&dev, "\x08_UID\x0a", 6);
    emit1(&dev, (uint8_t)i);
    /* Memory32Fixed (§6.4.3.4): 0x86, length 9, read-write, base, length. */
    const uint8_t mem[4] = { 0x86, 9, 0, 1 };
    emit(&t, mem, sizeof mem);
    emit_u32(&t, root->mmio[i].base);
    emit_u32(&t, root->mmio[i].len);
    /* Extended Interrupt (§6.4.3.6): 0x89, length 6, flags consumer |
     * active-low | shared (level: bit 1 clear), one interrupt. */
    const uint8_t irq[5] = { 0x89, 6, 0, 0x01 | 0x04 | 0x08, 1 };
    emit(&t, irq, sizeof irq);
    emit_u32(&t, root->mmio[i].gsi);
    const uint8_t end[2] = { 0x79, 0 };
    emit(&t, end, sizeof end);
    emit1(&b, AML_BYTE);
    emit1(&b, (uint8_t)t.len);
    emit(&b, t.p, t.len);
    emit(&dev, "\x08_CRS", 5);
    const uint8_t op = AML_BUFFER;
    emit_pkg(&dev, &op, 1, &b);
    const uint8_t devop[2] = { AML_EXT, AML_DEVICE };
    emit_pkg(scope, devop, 2, &dev);
}

size_t acpi_pci_dsdt(uint8_t *buf, size_t len, const struct acpi_pci_root *root)
{
    if (root->nslots > ACPI_PCI_MAX_SLOTS || root->nmmio > ACPI_MMIO_MAX || len < ACPI_HDR_LEN)
        return 0;
    uint8_t db[512], sb[512];
    struct aml dev = { db, 0, sizeof db }, scope = { sb, 0, sizeof sb };
    emit(&dev, "PCI0", 4);
    emit(&dev, "\x08_HID\x0c\x41\xd0\x0a\x03", 10); /* EisaId ("PNP0A03") */
    emit(&dev, "\x08_UID\x00", 6);
    name_crs(&dev, root);
    name_prt(&dev, root);
    const uint8_t root_sb[5] = { AML_ROOT, '_', 'S', 'B', '_' };
    emit(&scope, root_sb, sizeof root_sb);
    const uint8_t devop[2] = { AML_EXT, AML_DEVICE };
    emit_pkg(&scope, devop, 2, &dev);
    for (unsigned i = 0; i < root->nmmio; i++)
        mmio_device(&scope, root, i);

    struct aml out = { buf, ACPI_HDR_LEN, len };
    emit(&out, acpi_dsdt_aml, sizeof acpi_dsdt_aml);
    const uint8_t op = AML_SCOPE;
    emit_pkg(&out, &op, 1, &scope);
    if (dev.len > dev.cap || scope.len > scope.cap || out.len > out.cap)
        return 0;
    /* The header (§5.2.6), as firmware/acpi.c writes it. */
    memset(buf, 0, ACPI_HDR_LEN);
    memcpy(buf, "DSDT", 4);
    fw_put32(buf + 4, (uint32_t)out.len);
    buf[8] = 2;
    memcpy(buf + 10, ACPI_OEM_ID, 6);
    memcpy(buf + 16, ACPI_OEM_TABLE, 8);
    fw_put32(buf + 24, 1);
    memcpy(buf + 28, "VMLB", 4);
    fw_put32(buf + 32, 1);
    buf[9] = fw_checksum(buf, out.len);
    return out.len;
}

int acpi_pci_install(struct guest_ram *ram, const struct acpi_pci_root *root, char *err,
                     size_t errlen)
{
    uint8_t *dst = gpa_to_hva(ram, FW_DSDT, FW_FADT - FW_DSDT);
    if (!dst) {
        snprintf(err, errlen, "no RAM for the DSDT at 0x%x", FW_DSDT);
        return -1;
    }
    uint8_t buf[FW_FADT - FW_DSDT];
    size_t n = acpi_pci_dsdt(buf, sizeof buf, root);
    if (n == 0) {
        snprintf(err, errlen, "the DSDT with %u PCI slots does not fit in %u bytes", root->nslots,
                 FW_FADT - FW_DSDT);
        return -1;
    }
    memcpy(dst, buf, n);
    return 0;
}
