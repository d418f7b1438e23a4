/*
 * ata_identify.c — the back end of an ATA disk (a file) and its IDENTIFY
 * DEVICE data (ata.h; ATA/ATAPI-6 §8.15, Table 27).
 */
#include "05-io/ata.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The geometry of the CHS translation (words 1, 3, 6): what every BIOS
 * uses for a disk this size. */
#define HEADS 16
#define SPT   63

int ata_parse(const char *option, const char *spec, char *path, size_t len, bool *ro, char *err,
              size_t errlen)
{
    const char *comma = strchr(spec, ',');
    size_t n = comma ? (size_t)(comma - spec) : strlen(spec);
    *ro = comma != NULL;
    if (comma && strcmp(comma + 1, "ro") != 0) {
        snprintf(err, errlen, "%s '%s': expected FILE or FILE,ro", option, spec);
        return -1;
    }
    if (n == 0 || n >= len) {
        snprintf(err, errlen, "%s '%s': %s", option, spec,
                 n ? "file name too long" : "no file name");
        return -1;
    }
    memcpy(path, spec, n);
    path[n] = '\0';
    return 0;
}

/* An ATA string (§3.3.10): two characters a word, the first in the high
 * byte, padded with spaces. */
static void ata_string(uint16_t *w, const char *s, unsigned words)
{
    size_t n = strlen(s);
    for (unsigned i = 0; i < words; i++) {
        uint8_t hi = 2 * i < n ? (uint8_t)s[2 * i] : ' ';
        uint8_t lo = 2 * i + 1 < n ? (uint8_t)s[2 * i + 1] : ' ';
        w[i] = (uint16_t)(hi << 8 | lo);
    }
}

static void identify(struct ata *a, const char *name)
{
    uint16_t *w = a->identify;
    uint64_t n = a->sectors;
    uint32_t lba28 = n > 0x0FFFFFFFu ? 0x0FFFFFFFu : (uint32_t)n;
    uint64_t chs = n > 16383u * HEADS * SPT ? 16383u * HEADS * SPT : n;
    uint16_t cyls = (uint16_t)(chs / (HEADS * SPT));
    char serial[21];
    memset(w, 0, 512);
    w[0] = 0x0040; /* ATA device, fixed, not removable */
    w[1] = cyls;
    w[3] = HEADS;
    w[6] = SPT;
    snprintf(serial, sizeof serial, "VMLAB-%.14s", name);
    ata_string(&w[10], serial, 10);
    ata_string(&w[23], "1.0", 4);
    ata_string(&w[27], "VMLAB ATA DISK", 20);
    w[47] = 0x8000;                       /* READ/WRITE MULTIPLE: not supported */
    w[49] = 1u << 11 | 1u << 9 | 1u << 8; /* IORDY, LBA, DMA */
    w[50] = 0x4000;
    w[51] = 0x0200; /* PIO timing (obsolete): mode 2 */
    w[53] = 0x0007; /* words 54-58, 64-70 and 88 valid */
    w[54] = cyls;
    w[55] = HEADS;
    w[56] = SPT;
    w[57] = (uint16_t)(cyls * HEADS * SPT);
    w[58] = (uint16_t)((cyls * HEADS * SPT) >> 16);
    w[60] = (uint16_t)lba28;
    w[61] = (uint16_t)(lba28 >> 16);
    w[63] = 0x0007 | 0x0400;                           /* multiword DMA 0-2, mode 2 selected */
    w[64] = 0x0003;                                    /* PIO modes 3 and 4 */
    w[65] = w[66] = w[67] = w[68] = 120;               /* cycle times, ns */
    w[80] = 0x007E;                                    /* ATA-1 .. ATA/ATAPI-6 */
    w[82] = 1u << 5;                                   /* write cache */
    w[83] = 1u << 14 | 1u << 13 | 1u << 12 | 1u << 10; /* FLUSH EXT, FLUSH, 48-bit */
    w[84] = 1u << 14;
    w[85] = a->wcache ? 1u << 5 : 0;
    w[86] = 1u << 13 | 1u << 12 | 1u << 10;
    w[87] = 1u << 14;
    w[88] = 0x003F;                       /* Ultra DMA 0-5 supported, none selected */
    w[93] = 1u << 14 | 1u << 13 | 0x000B; /* 80-wire cable; device 0 passed, by jumper */
    for (int i = 0; i < 4; i++)
        w[100 + i] = (uint16_t)(n >> (16 * i));
    /* Word 255: signature A5h and a checksum making the 512 bytes sum to 0. */
    w[255] = 0x00A5;
    uint8_t sum = 0;
    for (int i = 0; i < 255; i++)
        sum = (uint8_t)(sum + (w[i] & 0xFF) + (w[i] >> 8));
    sum = (uint8_t)(sum + 0xA5);
    w[255] |= (uint16_t)((uint8_t)-sum << 8);
}

/* Words 63 and 88 say which mode SET FEATURES selected. */
void ata_identify_mode(struct ata *a, uint8_t mode)
{
    uint16_t *w = a->identify;
    if ((mode & 0xF8) == 0x20) {
        w[63] = (uint16_t)((w[63] & 0xFF) | 0x100u << (mode & 7));
        w[88] &= 0xFF;
    } else if ((mode & 0xF8) == 0x40) {
        w[88] = (uint16_t)((w[88] & 0xFF) | 0x100u << (mode & 7));
        w[63] &= 0xFF;
    }
    w[85] = a->wcache ? w[85] | 1u << 5 : w[85] & ~(1u << 5);
    uint8_t sum = 0;
    for (int i = 0; i < 255; i++)
        sum = (uint8_t)(sum + (w[i] & 0xFF) + (w[i] >> 8));
    sum = (uint8_t)(sum + 0xA5);
    w[255] = (uint16_t)(0x00A5 | (uint8_t)-sum << 8);
}

void ata_close(struct ata *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
}

int ata_open(struct ata *a, const char *spec, const struct ata_hooks *hooks, char *err,
             size_t errlen)
{
    char path[4096];
    memset(a, 0, sizeof *a);
    a->fd = -1;
    if (ata_parse("--ata", spec, path, sizeof path, &a->ro, err, errlen) < 0)
        return -1;
    a->fd = open(path, (a->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    struct stat st;
    if (a->fd < 0 || fstat(a->fd, &st) < 0) {
        snprintf(err, errlen, "cannot open disk '%s'%s: %s", path, a->ro ? "" : " for writing",
                 strerror(errno));
        ata_close(a);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "disk '%s' is not a regular file", path);
        ata_close(a);
        return -1;
    }
    a->sectors = (uint64_t)st.st_size / ATA_SECTOR;
    a->wcache = true;
    if (hooks)
        a->hooks = *hooks;
    const char *base = strrchr(path, '/');
    identify(a, base ? base + 1 : path);
    ata_reset(a);
    return 0;
}
