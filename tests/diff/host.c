/*
 * host.c — feed a batch to the 32-bit oracle process and read its answers.
 *
 * Input and output go through two memfds rather than pipes: the helper
 * reads its whole batch and writes all results, and we read them after it
 * exited, so neither side can block on a full pipe.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "host.h"

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= w;
    }
    return 0;
}

int host_run_batch(const char *helper, const struct diff_in *in, size_t n, uint32_t data_seed,
                   struct diff_result *res, char *err, size_t errlen)
{
    int ifd = memfd_create("diff-in", 0), ofd = memfd_create("diff-out", 0);
    int rc = -1;
    uint8_t *map = MAP_FAILED;
    off_t size = 0;
    if (ifd < 0 || ofd < 0) {
        snprintf(err, errlen, "memfd_create: %s", strerror(errno));
        goto out;
    }
    struct diff_batch b = { .magic = DIFF_MAGIC, .count = n, .data_seed = data_seed };
    if (write_all(ifd, &b, sizeof b) || write_all(ifd, in, n * sizeof *in)) {
        snprintf(err, errlen, "writing the batch: %s", strerror(errno));
        goto out;
    }
    lseek(ifd, 0, SEEK_SET);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        dup2(ifd, 0);
        dup2(ofd, 1);
        execl(helper, helper, (char *)NULL);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
        snprintf(err, errlen, "cannot execute %s (no IA32 emulation in this kernel?)", helper);
        rc = -2;
        goto out;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(err, errlen, "%s failed (%s %d)", helper, WIFEXITED(st) ? "exit status" : "signal",
                 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        goto out;
    }
    size = lseek(ofd, 0, SEEK_END);
    map = size > 0 ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, ofd, 0) : MAP_FAILED;
    if (map == MAP_FAILED) {
        snprintf(err, errlen, "%s wrote no results", helper);
        goto out;
    }
    off_t off = 0;
    for (size_t i = 0; i < n; i++) {
        if (off + (off_t)sizeof(struct diff_out) > size)
            goto short_out;
        memcpy(&res[i].out, map + off, sizeof res[i].out);
        off += sizeof res[i].out;
        size_t bl = res[i].out.ndirty * sizeof(struct diff_block);
        if (res[i].out.ndirty > DIFF_NBLOCKS || off + (off_t)bl > size)
            goto short_out;
        res[i].blocks = malloc(bl ? bl : 1);
        memcpy(res[i].blocks, map + off, bl);
        off += bl;
    }
    rc = 0;
    goto out;
short_out:
    snprintf(err, errlen, "%s: results truncated", helper);
out:
    if (map != MAP_FAILED)
        munmap(map, size);
    if (ifd >= 0)
        close(ifd);
    if (ofd >= 0)
        close(ofd);
    return rc;
}

void host_free_results(struct diff_result *res, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(res[i].blocks);
        res[i].blocks = NULL;
    }
}
