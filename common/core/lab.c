/*
 * lab.c — lab_not_implemented (see lab.h).
 */
#include <string.h>
#include <unistd.h>
#include "core/lab.h"

_Noreturn void lab_not_implemented(int lab, const char *task)
{
    /* Async-signal-safe: no stdio, no malloc; one write so the line stays whole. */
    char line[256] = "not implemented: lab ";
    size_t n = strlen(line);
    char num[12];
    int k = 0;
    unsigned u = lab < 0 ? 0u : (unsigned)lab;
    do
        num[k++] = (char)('0' + u % 10);
    while ((u /= 10) && k < (int)sizeof num);
    while (k > 0 && n < sizeof line - 1)
        line[n++] = num[--k];
    for (const char *s = ": "; *s && n < sizeof line - 1; s++)
        line[n++] = *s;
    for (const char *s = task ? task : "?"; *s && n < sizeof line - 1; s++)
        line[n++] = *s;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
    _exit(LAB_NOT_IMPLEMENTED_STATUS);
}
