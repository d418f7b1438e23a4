#!/bin/bash
# points: 5
# A sample hidden test of lab 3 (labs/README.md §5).  The visible io_bitmap
# test sets whole port ranges; this one sets the bit of one port only, the
# UART's scratch register 0x3ff, with a guest iteration count the visible
# tests never use.  test=inout iters=123 does 123 OUT+IN pairs on port
# 0x3ff in ring 0 and 123 more through SYS_inout from ring 3: with only bit
# 0x3ff set in I/O bitmap A (SDM Vol. 3C §26.1.3) that is exactly
# 4 * 123 = 492 I/O exits, all on 0x3ff.
# It runs from the tree's root with ROOT, BUILD, GUEST, LAB_TIMEOUT and
# HIDDEN_TMP set, uses labs/lib.sh's lab_run and lab_why, and prints its
# result as the last line: "POINTS message".
. "$ROOT/labs/lib.sh"
out=$HIDDEN_TMP/inout
lab_run "$out" "$BUILD/vmm-hw" --engine vmx --timeout "$LAB_TIMEOUT" --stats \
    --vmx-controls io=bitmap:0x3ff "$GUEST" -- test=inout iters=123
ports=$(sed -n 's/^vmx: I\/O exits by port: *//p' "$out")
if [ "$LAB_RC" != 0 ] || ! grep -q '^PASS inout$' "$out"; then
    echo "0 expected 'PASS inout' with io=bitmap:0x3ff, got $(lab_why "$out")"
elif [ "$ports" != "0x3ff=492" ]; then
    echo "0 expected exactly 492 I/O exits, all on port 0x3ff (its bit alone set in bitmap A), got ports: ${ports:-none}"
else
    echo "5 only port 0x3ff exited, 492 times"
fi
