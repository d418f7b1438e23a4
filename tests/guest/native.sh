#!/bin/bash
# tests/guest/native.sh — the compute benchmark's checksums agree everywhere:
# the native 32-bit Linux build (the real CPU), an independent Python model
# of the same computation, qemu-i386 user mode, and the guest's ring-3
# program under qemu-system-i386, for the same iteration count.  On a host
# whose kernel has no IA32 emulation the x86-64 build is the native oracle
# (tests/bench/native/host.sh); qemu-i386 still runs the 32-bit one.
. "$(dirname "$0")/../lib.sh"

NATIVE=$(native_bin compute)
NATIVE32=$BUILD/bench/compute.linux32
ITERS=3
sums() { grep -Eo 'crc32=0x[0-9a-f]+ listsort=0x[0-9a-f]+ matmul=0x[0-9a-f]+ fsm=0x[0-9a-f]+' "$1" | head -n 1; }

if [ ! -x "$NATIVE" ] || [ ! -f "$NATIVE32" ]; then
    notok "native compute" "$NATIVE or $NATIVE32 missing (run make _all)"
    finish
fi

expect_status "$NATIVE_LABEL: $(basename "$NATIVE") $ITERS passes" 0 "$NATIVE" $ITERS
cp "$TMPD/out" "$TMPD/native.out"
expect_grep "native: RESULT line with iters=$ITERS" "^RESULT compute iters=$ITERS .* cycles_per_iter=[0-9]+" "$TMPD/native.out"
native=$(sums "$TMPD/native.out")
[ -n "$native" ] || notok "native: checksums" "no checksums in: $(head -c 200 "$TMPD/native.out")"
expect_status "native: bad argument is rejected with status 2" 2 "$NATIVE" 12x

# Independent model: zlib CRC-32, Python sort, plain matmul, regex tokenizer.
if command -v python3 >/dev/null; then
    ref=$(python3 "$ROOT/tests/bench/native/compute_ref.py")
    if [ "$ref" = "$native" ]; then ok "native checksums match the Python reference model"
    else notok "native checksums match the Python reference model" "native '$native', model '$ref'"; fi
else
    skip "Python reference model" "python3 not installed"
fi

if command -v qemu-i386 >/dev/null; then
    qemu-i386 "$NATIVE32" $ITERS >"$TMPD/qemu-user.out" 2>&1
    q=$(sums "$TMPD/qemu-user.out")
    if [ -n "$native" ] && [ "$q" = "$native" ]; then ok "qemu-i386 user mode: same checksums as native"
    else notok "qemu-i386 user mode: same checksums as native" "native '$native', qemu-i386 '$q'"; fi
else
    skip "qemu-i386 user mode" "qemu-i386 not installed"
fi

if command -v qemu-system-i386 >/dev/null && [ -f "$GUEST" ]; then
    qemu_i386 "$TMPD/guest.out" "test=compute iters=$ITERS"
    rc=$?
    g=$(sums "$TMPD/guest.out")
    if [ "$rc" -eq 1 ] && grep -q "^RESULT compute iters=$ITERS " "$TMPD/guest.out" &&
       [ -n "$native" ] && [ "$g" = "$native" ]; then
        ok "guest compute under qemu-system-i386: same checksums as native"
    else
        notok "guest compute under qemu-system-i386: same checksums as native" \
            "status $rc, native '$native', guest '$g'; last output: $(tail -n 3 "$TMPD/guest.out" | tr '\n' '|')"
    fi
else
    skip "guest compute under qemu-system-i386" "qemu-system-i386 or $GUEST missing"
fi

finish
