/*
 * iowidth.c — port I/O wider than a byte.  A 2- or 4-byte IN/OUT at port
 * p reads or writes ports p .. p+size-1 (SDM Vol. 1 §19.2); an access at
 * 0xffff of more than one byte runs past the last port.  A VMM that decides
 * per port whether an access exits must ask about every port it touches:
 * with I/O bitmaps, one set bit among them makes the access exit, and an
 * access that wraps past 0xffff always exits (SDM Vol. 3C §26.1.3).
 *
 * The ports hold no device (reads give all ones, writes are dropped), so
 * the probe checks nothing itself: a grader counts the VM exits by port
 * (e.g. with only port 0x511's bit set, every access below exits but the
 * byte-wide one).  A probe: run by name (test=iowidth), by lab 3's grader.
 */
#include "../kernel/program.h"
#include "../kernel/x86.h"

#define WIDE_PORT 0x510 /* unclaimed: a word covers 0x510-0x511 */
#define LONG_PORT 0x50e /* a dword covers 0x50e-0x511           */
#define WRAP_PORT 0xffff

static int iowidth_prog(struct prog_ctx *ctx)
{
    uint32_t n = ctx->iters, x = 0;
    for (uint32_t i = 0; i < n; i++) {
        outw(WIDE_PORT, (uint16_t)i); /* ports 0x510, 0x511        */
        x ^= inw(WIDE_PORT);
        x ^= inl(LONG_PORT);          /* ports 0x50e .. 0x511      */
        outw(WRAP_PORT, (uint16_t)i); /* 0xffff and past the end   */
        outb(WIDE_PORT, (uint8_t)i);  /* port 0x510 alone          */
    }
    result(ctx, "rounds=%u word_at=0x%x dword_at=0x%x wrap_at=0x%x byte_at=0x%x xor=0x%x", n,
           WIDE_PORT, LONG_PORT, WRAP_PORT, WIDE_PORT, x);
    return 0;
}

PROBE("iowidth", "word and dword IN/OUT over two ports, and one wrapping past 0xffff (probe)", 100,
      iowidth_prog);
