#!/bin/bash
# tests/hw/kvm.sh — stage 03's KVM engine (build/vmm-hw --engine kvm).
# Runs where /dev/kvm can run the 32-bit paged guest: every program passes
# and sensitive observes what the interpreter observes.  Skipped, with the
# reason, where /dev/kvm is missing or is PVM (kvm_pvm), which raises #GP
# when a 32-bit guest sets CR0.PG without long mode.
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-hw
PROGRAMS="hello syscall pagefault ctxswitch timer exceptions sensitive smc compute inout ptemod divzero callret"
if [ ! -x "$VMM" ] || [ ! -f "$GUEST" ]; then
    notok "kvm tests" "$VMM or $GUEST missing (run make _all)"
    finish
fi
why=""
if [ ! -e /dev/kvm ]; then why="/dev/kvm is missing (no KVM on this host)"
elif [ ! -w /dev/kvm ]; then why="/dev/kvm is not writable by $(id -un)"
elif [ -d /sys/module/kvm_pvm ]; then
    why="KVM here is PVM (kvm_pvm): it cannot run a 32-bit paged guest (CR0.PG without long mode raises #GP)"
fi
if [ -n "$why" ] && [ -d /sys/module/kvm_pvm ] && [ -w /dev/kvm ]; then
    # On PVM the engine itself still works up to the point the guest turns
    # paging on: the guest's protected-mode boot code (GDT, IDT, PIC, UART
    # set-up) runs on KVM, its port I/O arrives as KVM_EXIT_IO = SDM reason
    # 30, and the #GP it takes at the CR0.PG write reaches the guest's own
    # IDT and panic handler, which prints over the emulated COM1.
    timeout 60 "$VMM" --engine kvm --stats --timeout 20 "$GUEST" -- test=hello >"$TMPD/pvm.out" 2>&1 </dev/null
    expect_grep "kvm (PVM): KVM_EXIT_IO reported as SDM reason 30" \
        '^ *I/O instruction +30 +[1-9]' "$TMPD/pvm.out"
    expect_grep "kvm (PVM): the known limitation: the guest panics with #GP when it enables paging" \
        'panic: exception 13' "$TMPD/pvm.out"
fi
# The engine's error paths work on any KVM (PVM included; the guests below
# never turn paging on): a guest spinning forever is stopped by --timeout
# through the timer kick (status 124), and a guest that faults with an empty
# IDT ends the VM with one line naming the problem (KVM_EXIT_SHUTDOWN, a
# triple fault; PVM reports KVM_EXIT_INTERNAL_ERROR instead), status 70.
if [ -w /dev/kvm ]; then
    BAD=$BUILD/tests/bad-input
    expect_status "kvm: a spinning guest is stopped by --timeout (status 124)" 124 \
        timeout 30 "$VMM" --engine kvm --timeout 1 "$BAD/spin.elf"
    expect_grep "kvm: --timeout names the problem" 'error: guest still running after --timeout' "$TMPD/out"
    expect_status "kvm: a guest faulting with no IDT ends the VM (status 70)" 70 \
        timeout 30 "$VMM" --engine kvm "$BAD/triple.elf"
    expect_grep "kvm: the fatal end is one error line" \
        'error: (guest triple fault|engine kvm failed.*KVM internal error)' "$TMPD/out"
fi
if [ -n "$why" ]; then
    skip "kvm: guest programs under --engine kvm" "$why"
    finish
fi

kvm() { timeout 120 "$VMM" --engine "$1" --timeout 60 "$GUEST" -- "test=$2" >"$TMPD/$1-$2.out" 2>&1 </dev/null; echo $? >"$TMPD/$1-$2.rc"; }
for p in $PROGRAMS; do kvm kvm "$p"; done
kvm interp sensitive
for p in $PROGRAMS; do
    if [ "$(cat "$TMPD/kvm-$p.rc")" = 0 ] && grep -q "^PASS $p\$" "$TMPD/kvm-$p.out"; then ok "kvm $p: status 0 and PASS"
    else notok "kvm $p" "status $(cat "$TMPD/kvm-$p.rc"); last: $(tail -n 3 "$TMPD/kvm-$p.out" | tr '\n' '|')"; fi
done
for ring in 0 3; do
    a=$(grep "^RESULT sensitive ring=$ring " "$TMPD/kvm-sensitive.out")
    b=$(grep "^RESULT sensitive ring=$ring " "$TMPD/interp-sensitive.out")
    if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "sensitive ring $ring: kvm observes what interp observes"
    else notok "sensitive ring $ring: kvm vs interp" "kvm '$a' | interp '$b'"; fi
done
finish
