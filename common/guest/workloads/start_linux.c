/*
 * start_linux.c — the Linux build's platform: glibc's main(), write(2),
 * sbrk(3) and clock_gettime(CLOCK_MONOTONIC).  Everything else the program
 * runs is the same object code as in the module (wl.h).
 */
#include <time.h>
#include <unistd.h>
#include "wl.h"

void wl_write(const char *s, size_t n)
{
    while (n) {
        ssize_t k = write(1, s, n);
        if (k <= 0)
            return;
        s += k;
        n -= (size_t)k;
    }
}

void *wl_sbrk(uint32_t n)
{
    void *p = sbrk((intptr_t)n);
    return p == (void *)-1 ? 0 : p;
}

uint64_t wl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv) { return wl_main(argc, argv); }
