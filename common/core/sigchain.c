/*
 * sigchain.c — give a signal to the handler that was there before ours
 * (sigchain.h).
 */
#include "core/sigchain.h"

#include <stddef.h>

bool sigchain(int sig, siginfo_t *si, void *uc, const int *sigs, const struct sigaction *olds,
              int n)
{
    const struct sigaction *old = NULL;
    for (int i = 0; i < n; i++)
        if (sigs[i] == sig)
            old = &olds[i];
    if (!old)
        return false;
    if (old->sa_flags & SA_SIGINFO)
        old->sa_sigaction(sig, si, uc);
    else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN)
        old->sa_handler(sig);
    else
        return false;
    struct sigaction now;
    return sigaction(sig, NULL, &now) == 0 && now.sa_handler != SIG_DFL;
}
