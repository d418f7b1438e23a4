/*
 * vmx_config.c — parsing --vmx-controls (vmx_config.h).
 *
 * The defaults are what KVM programs on a VT-x machine with EPT: HLT and
 * MOV-DR exiting, external-interrupt exiting, unconditional I/O exiting,
 * MSR bitmaps (all zero: no MSR exits), nothing else (SDM Vol. 3C §25.6).
 */
#include "03-hw-assisted/vmx_config.h"
#include "03-hw-assisted/vmcs.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int onoff(const char *k, const char *v, bool *out, char *err, size_t len)
{
    if (!strcmp(v, "on") || !strcmp(v, "1")) {
        *out = true;
        return 0;
    }
    if (!strcmp(v, "off") || !strcmp(v, "0")) {
        *out = false;
        return 0;
    }
    snprintf(err, len, "--vmx-controls: %s=%s: expected on or off", k, v);
    return -1;
}

static int parse_ports(const char *s, struct vmx_config *c, char *err, size_t len)
{
    /* RANGE[+RANGE...], RANGE = PORT or PORT-PORT */
    memset(c->io_exit, 0, sizeof c->io_exit);
    while (*s) {
        char *end;
        unsigned long lo = strtoul(s, &end, 0), hi = lo;
        if (end == s)
            goto bad;
        if (*end == '-') {
            s = end + 1;
            hi = strtoul(s, &end, 0);
            if (end == s)
                goto bad;
        }
        if (lo > 0xffff || hi > 0xffff || hi < lo)
            goto bad;
        for (unsigned long p = lo; p <= hi; p++)
            c->io_exit[p / 8] |= (uint8_t)(1u << (p % 8));
        s = end;
        if (*s == '+')
            s++;
        else if (*s)
            goto bad;
    }
    return 0;
bad:
    snprintf(err, len, "--vmx-controls: io=bitmap:%s: expected ports like 0x3f8-0x3ff+0x20-0x21",
             s);
    return -1;
}

/* vmwrite=FIELD:VALUE: FIELD an SDM name or an encoding; applied by the
 * VMM after its own VMCS setup, so a student can break any field. */
static int parse_vmwrite(char *val, struct vmx_config *c, char *err, size_t len)
{
    char *colon = strrchr(val, ':'), *end;
    if (!colon) {
        snprintf(err, len, "--vmx-controls: vmwrite=%s: expected FIELD:VALUE", val);
        return -1;
    }
    *colon = 0;
    long enc = vmcs_field_by_name(val);
    unsigned long long x = strtoull(colon + 1, &end, 0);
    struct vmcs probe;
    vmcs_clear(&probe);
    if (enc < 0) {
        snprintf(err, len,
                 "--vmx-controls: vmwrite: no VMCS field '%s' in this model "
                 "(use an SDM name such as GUEST_CR0, or an encoding)",
                 val);
        return -1;
    }
    if (!colon[1] || *end) {
        snprintf(err, len, "--vmx-controls: vmwrite=%s:%s: the value is not a number", val,
                 colon + 1);
        return -1;
    }
    if (vmcs_write(&probe, (uint32_t)enc, x) != 0) {
        snprintf(err, len,
                 "--vmx-controls: vmwrite %s: read-only field (VMWRITE "
                 "fails with VM-instruction error 13)",
                 val);
        return -1;
    }
    if (c->nwrites == VMX_MAX_WRITES) {
        snprintf(err, len, "--vmx-controls: at most %d vmwrite items", VMX_MAX_WRITES);
        return -1;
    }
    c->writes[c->nwrites].enc = (uint32_t)enc;
    c->writes[c->nwrites++].value = x;
    return 0;
}

/* One NAME=VALUE item of the list. */
static int parse_item(const char *item, char *val, struct vmx_config *c, char *err, size_t len)
{
    static const struct {
        const char *name;
        size_t off;
    } flags[] = {
        { "hlt", offsetof(struct vmx_config, hlt) },
        { "cr3load", offsetof(struct vmx_config, cr3load) },
        { "cr3store", offsetof(struct vmx_config, cr3store) },
        { "invlpg", offsetof(struct vmx_config, invlpg) },
        { "rdtsc", offsetof(struct vmx_config, rdtsc) },
        { "movdr", offsetof(struct vmx_config, movdr) },
        { "extint", offsetof(struct vmx_config, extint) },
        { "msrbitmap", offsetof(struct vmx_config, msrbitmap) },
        { "dump", offsetof(struct vmx_config, dump) },
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!strcmp(item, flags[i].name))
            return onoff(item, val, (bool *)((char *)c + flags[i].off), err, len);
    if (!strcmp(item, "io")) {
        if (!strcmp(val, "all") || !strcmp(val, "on")) {
            c->io = VMX_IO_UNCONDITIONAL;
        } else if (!strcmp(val, "none") || !strcmp(val, "off")) {
            c->io = VMX_IO_NONE;
        } else if (!strncmp(val, "bitmap:", 7)) {
            c->io = VMX_IO_BITMAP;
            return parse_ports(val + 7, c, err, len);
        } else {
            snprintf(err, len, "--vmx-controls: io=%s: expected all, none or bitmap:PORTS", val);
            return -1;
        }
        return 0;
    }
    if (!strcmp(item, "excbitmap")) {
        char *end;
        unsigned long b = strtoul(val, &end, 0);
        if (!*val || *end || b > 0xffffffffUL) {
            snprintf(err, len,
                     "--vmx-controls: excbitmap=%s: expected a 32-bit number "
                     "(bit n = exception vector n, e.g. 0x4000 for #PF)",
                     val);
            return -1;
        }
        c->excbitmap = (uint32_t)b;
        return 0;
    }
    if (!strcmp(item, "vmwrite"))
        return parse_vmwrite(val, c, err, len);
    snprintf(err, len,
             "--vmx-controls: unknown control '%s' (hlt, io, cr3load, cr3store, "
             "invlpg, rdtsc, movdr, extint, msrbitmap, excbitmap, vmwrite, dump)",
             item);
    return -1;
}

int vmx_config_parse(const char *s, struct vmx_config *c, char *err, size_t len)
{
    memset(c, 0, sizeof *c);
    c->hlt = c->movdr = c->extint = c->msrbitmap = true;
    c->io = VMX_IO_UNCONDITIONAL;
    if (!s)
        return 0;
    char *copy = strdup(s), *save = NULL;
    if (!copy) {
        snprintf(err, len, "--vmx-controls: out of memory");
        return -1;
    }
    int rc = 0;
    for (char *item = strtok_r(copy, ",", &save); item && !rc; item = strtok_r(NULL, ",", &save)) {
        char *val = strchr(item, '=');
        if (!strcmp(item, "dump")) {
            c->dump = true;
        } else if (!val) {
            snprintf(err, len, "--vmx-controls: '%s' is not NAME=VALUE", item);
            rc = -1;
        } else {
            *val++ = 0;
            rc = parse_item(item, val, c, err, len);
        }
    }
    free(copy);
    return rc;
}
