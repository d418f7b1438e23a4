#!/bin/bash
# tests/pv/strict.sh — stage 02's strict mode (vmm-pv --pv-strict on,
# 02-paravirt/README.md): once the paravirtual kernel has booted (its
# HC_SET_TIMER), any sensitive instruction it executes in ring 0 ends the
# run with status 70 and one line naming the instruction and its EIP.
#  - every program of guest-pv.elf passes under it on bt, except those
#    whose point is a sensitive instruction: `sensitive` (its ring-0 cli,
#    the deliberate case) and the programs that drive an emulated device
#    or look for one on the PCI bus through ports 0xCF8/0xCFC (`inout`,
#    `virtio_blk`, `virtio_rng`, `virtio_console`, `ata`): port I/O has no
#    paravirtual form here, so they die with the documented error;
#  - the same on interp for a passing and the deliberate program;
#  - the error names the instruction at the EIP it gives (addr2line puts
#    it in programs/sensitive.c);
#  - a bad value of the option is a usage error (64).
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-pv
PVG=$BUILD/guest/guest-pv.elf
for f in "$VMM" "$PVG"; do
    [ -e "$f" ] || { notok "strict-mode tests" "$f missing (run make _all)"; finish; }
done
# The programs whose point is a sensitive instruction, and which one.
declare -A DIES=([sensitive]=cli [inout]=out [virtio_blk]=out [virtio_rng]=out
    [virtio_console]=out [ata]=out)
PROGRAMS=$("$VMM" "$PVG" -- test=list 2>/dev/null | awk '$1 == "PROGRAM" { print $2 }')
[ -n "$PROGRAMS" ] || { notok "test=list" "no programs listed"; finish; }

run() { # run ID ENGINE PROGRAM
    while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
    ( timeout 120 "$VMM" --engine "$2" --pv-strict on --timeout 60 "$PVG" -- "test=$3" \
        >"$TMPD/$1.out" 2>&1 </dev/null; echo $? >"$TMPD/$1.rc" ) &
}
for p in $PROGRAMS; do run "bt-$p" bt "$p"; done
run interp-hello interp hello
run interp-sensitive interp sensitive
"$VMM" --pv-strict maybe "$PVG" >"$TMPD/usage.out" 2>&1
echo $? >"$TMPD/usage.rc"
wait
rc() { cat "$TMPD/$1.rc" 2>/dev/null || echo missing; }

# check ID PROGRAM: passes, or (a DIES program) ends with the error.
check() {
    local id=$1 p=$2 insn=${DIES[$2]:-} last
    last=$(tail -n 1 "$TMPD/$id.out")
    if [ -z "$insn" ]; then
        if [ "$(rc "$id")" = 0 ] && grep -q "^PASS $p\$" "$TMPD/$id.out"; then
            ok "$id: passes under --pv-strict"
        else
            notok "$id: passes under --pv-strict" "status $(rc "$id"): $last"
        fi
        return
    fi
    local re="^vmm-pv: error: --pv-strict: sensitive instruction '$insn' in ring 0 at eip=0x[0-9a-f]{8}"
    if [ "$(rc "$id")" = 70 ] && echo "$last" | grep -Eq "$re"; then
        ok "$id: dies on its '$insn' with the documented error"
    else
        notok "$id: dies on its '$insn'" "status $(rc "$id"): $last"
    fi
}
for p in $PROGRAMS; do check "bt-$p" "$p"; done
check interp-hello hello
check interp-sensitive sensitive

# The EIP is the instruction's: in the sensitive program's ring-0 code.
eip=$(tail -n 1 "$TMPD/bt-sensitive.out" | grep -Eo 'eip=0x[0-9a-f]{8}' | head -1 | cut -d= -f2)
if ! command -v addr2line >/dev/null; then
    skip "the EIP names the sensitive program's cli" "no addr2line"
elif src=$(addr2line -e "$PVG" "$eip") && [[ $src == */programs/sensitive.c:* ]]; then
    ok "the EIP $eip is the sensitive program's ring-0 code (${src##*/})"
else
    notok "the EIP names the sensitive program's cli" "eip '$eip' is at '${src:-?}'"
fi
# Nothing ran before the error: no PASS, and the program had started.
if grep -q "^PASS sensitive" "$TMPD/bt-sensitive.out"; then
    notok "sensitive: stopped before it passed" "a PASS line"
else
    ok "sensitive: stopped before it could pass"
fi
if [ "$(rc usage)" = 64 ] && grep -q "pv-strict 'maybe'" "$TMPD/usage.out"; then
    ok "--pv-strict maybe: usage error 64"
else
    notok "--pv-strict maybe: usage error" "status $(rc usage): $(tail -n 1 "$TMPD/usage.out")"
fi
finish
