/*
 * kvm_controls.c — --kvm-controls: parsing the list and asking KVM for it
 * (kvm_controls.h).  Every experiment first asks KVM_CHECK_EXTENSION
 * whether this kernel offers it (api.rst §4.4), so a missing feature is
 * one error line naming it, not an ioctl failure deep in the run.
 */
#include "03-hw-assisted/kvm_controls.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

static int item(const char *it, size_t n, struct kvm_controls *c, char *err, size_t len)
{
    if (n == 8 && !strncmp(it, "hlt=exit", n))
        c->hlt_guest = false;
    else if (n == 9 && !strncmp(it, "hlt=guest", n))
        c->hlt_guest = true;
    else if (n == 4 && !strncmp(it, "step", n))
        c->step = true;
    else {
        snprintf(err, len, "--kvm-controls: '%.*s': expected hlt=exit, hlt=guest or step", (int)n,
                 it);
        return -1;
    }
    return 0;
}

int kvm_controls_parse(const char *s, struct kvm_controls *c, char *err, size_t len)
{
    memset(c, 0, sizeof *c);
    if (!s)
        return 0;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        if (item(s, n, c, err, len) < 0)
            return -1;
        if (!comma)
            return 0;
        s = comma + 1;
    }
}

int kvm_controls_vm(const struct kvm_controls *c, int vm, char *err, size_t len)
{
    if (!c->hlt_guest)
        return 0;
    /* The answer is the set of exits KVM lets the guest keep (a bit mask);
     * KVM withholds HLT where a halted CPU could not be woken in time. */
    int offered = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_X86_DISABLE_EXITS);
    if (offered <= 0 || !(offered & KVM_X86_DISABLE_EXITS_HLT)) {
        snprintf(err, len,
                 "--kvm-controls hlt=guest: this KVM does not offer "
                 "KVM_CAP_X86_DISABLE_EXITS with KVM_X86_DISABLE_EXITS_HLT (offered: %#x)",
                 offered > 0 ? offered : 0);
        return -1;
    }
    struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_DISABLE_EXITS };
    cap.args[0] = KVM_X86_DISABLE_EXITS_HLT;
    if (ioctl(vm, KVM_ENABLE_CAP, &cap) < 0) {
        snprintf(err, len, "--kvm-controls hlt=guest: KVM_ENABLE_CAP failed: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int kvm_controls_vcpu(const struct kvm_controls *c, int vm, int vcpu, char *err, size_t len)
{
    if (!c->step)
        return 0;
    if (ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG) <= 0) {
        snprintf(err, len, "--kvm-controls step: this KVM does not offer KVM_CAP_SET_GUEST_DEBUG");
        return -1;
    }
    /* KVM sets RFLAGS.TF behind the guest's back (hidden from PUSHF) and
     * intercepts #DB: each instruction ends in KVM_EXIT_DEBUG. */
    struct kvm_guest_debug dbg = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP };
    if (ioctl(vcpu, KVM_SET_GUEST_DEBUG, &dbg) < 0) {
        snprintf(err, len, "--kvm-controls step: KVM_SET_GUEST_DEBUG failed: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void kvm_controls_print(const struct kvm_controls *c, FILE *out)
{
    if (!c->hlt_guest && !c->step)
        fputs("none", out);
    fputs(c->hlt_guest ? "hlt=guest" : "", out);
    fputs(c->hlt_guest && c->step ? "," : "", out);
    fputs(c->step ? "step" : "", out);
}
