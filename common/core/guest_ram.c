/*
 * guest_ram.c — guest-physical memory as one memfd.
 *
 * memfd_create gives an anonymous file; ftruncate sizes it (pages are
 * allocated lazily, zero-filled, so a 64 MiB guest costs only what it
 * touches); one MAP_SHARED mapping is the VMM's view.  Because it is a file,
 * other views of the same pages can be made later: the binary translator
 * maps single pages of it into its 4 GiB guest window, KVM registers the
 * mapping as a memory slot (docs/ARCHITECTURE.md §4).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "core/guest_ram.h"

int guest_ram_init(struct guest_ram *ram, uint64_t size, char *err, size_t errlen)
{
    ram->fd = -1;
    ram->host = NULL;
    ram->size = 0;
    if (size == 0 || (size & 0xfff)) {
        snprintf(err, errlen, "guest RAM size %llu is not a positive multiple of 4 KiB",
                 (unsigned long long)size);
        return -1;
    }
    int fd = memfd_create("vmlab-ram", MFD_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "memfd_create for guest RAM: %s", strerror(errno));
        return -1;
    }
    if (ftruncate(fd, (off_t)size) < 0) {
        snprintf(err, errlen, "sizing guest RAM to %llu bytes: %s", (unsigned long long)size,
                 strerror(errno));
        close(fd);
        return -1;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "mapping %llu bytes of guest RAM: %s", (unsigned long long)size,
                 strerror(errno));
        close(fd);
        return -1;
    }
    ram->fd = fd;
    ram->host = p;
    ram->size = size;
    return 0;
}

void guest_ram_destroy(struct guest_ram *ram)
{
    if (ram->host)
        munmap(ram->host, ram->size);
    if (ram->fd >= 0)
        close(ram->fd);
    ram->host = NULL;
    ram->fd = -1;
    ram->size = 0;
}
