/*
 * guest_ram.h — guest-physical memory: one memfd, mapped once into the VMM.
 *
 * The memfd is what every engine shares: the interpreter reads through the
 * mapping, the binary translator maps pages of the same fd into its 4 GiB
 * window, KVM registers the mapping as a memory slot.
 */
#ifndef CORE_GUEST_RAM_H
#define CORE_GUEST_RAM_H

#include <stdint.h>
#include <stddef.h>

struct guest_ram {
    int fd;        /* memfd_create("vmlab-ram")                  */
    uint8_t *host; /* mmap of the whole fd, MAP_SHARED            */
    uint64_t size; /* bytes, a multiple of 4 KiB                  */
};

/* 0 on success; -1 and a message in err on failure. */
int guest_ram_init(struct guest_ram *ram, uint64_t size, char *err, size_t errlen);
void guest_ram_destroy(struct guest_ram *ram);

/* Host pointer for [gpa, gpa+len), or NULL if any of it is outside RAM. */
static inline void *gpa_to_hva(const struct guest_ram *ram, uint64_t gpa, uint64_t len)
{
    if (gpa > ram->size || len > ram->size - gpa)
        return NULL;
    return ram->host + gpa;
}

#endif
