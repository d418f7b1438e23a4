#!/bin/bash
# run-main.sh — what `make run` does (docs/ARCHITECTURE.md §6): boot the
# teaching guest with every program (test=all) under every VMM built so far
# — and its paravirtual build under stage 02's hypercalls — one after the
# other, and print side by side what each did: which programs passed, how
# long it took, and the VM exits by SDM reason that it cost.
#
#   CMDLINE="test=syscall iters=1000" make run     another guest command line
#   RUN_TIMEOUT=600 make run                        seconds before giving up
#   VERBOSE=1 make run                              also show each console
#   LINUX=0 make run                                skip the Linux part
#
# Then Debian's i386 Linux (scripts/linux.sh fetches it once) boots under
# vmm-bt --engine bt to its shell, a few commands are typed at it, and
# `poweroff` ends the VM: its console is shown as it ran.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
GUEST=$BUILD/guest/guest.elf
GUEST_PV=$BUILD/guest/guest-pv.elf      # the paravirtual kernel (stage 02)
CMDLINE=${CMDLINE:-test=all}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
TMPD=$(mktemp -d /tmp/vmlab-run.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT

if [ ! -f "$GUEST" ]; then
    echo "run-main: $GUEST is not built (make _all)" >&2
    exit 1
fi

# The runners: id, label, and how to start them (empty = not available here,
# with the reason).
RUNNERS="interp bt pv-bt vmx pv-vmx kvm qemu"
label() {
    case $1 in
        interp) echo "vmm-bt --engine interp  (01: reference interpreter)" ;;
        bt)     echo "vmm-bt --engine bt      (01: binary translation)" ;;
        pv-bt)  echo "vmm-pv --engine bt      (02: paravirtual guest)" ;;
        vmx)    echo "vmm-hw --engine vmx     (03: software VT-x model)" ;;
        pv-vmx) echo "vmm-hw --engine vmx --pv on (02 on 03)" ;;
        kvm)    echo "vmm-hw --engine kvm     (03: Linux KVM)" ;;
        qemu)   echo "qemu-system-i386 TCG    (reference machine)" ;;
    esac
}
unavailable() {   # prints why runner $1 cannot run here, or nothing
    case $1 in
        interp|bt) [ -x "$BUILD/vmm-bt" ] || echo "build/vmm-bt is not built" ;;
        vmx)       [ -x "$BUILD/vmm-hw" ] || echo "build/vmm-hw is not built" ;;
        pv-bt)     [ -x "$BUILD/vmm-pv" ] && [ -f "$GUEST_PV" ] || echo "build/vmm-pv or guest-pv.elf is not built" ;;
        pv-vmx)    [ -x "$BUILD/vmm-hw" ] && [ -f "$GUEST_PV" ] || echo "build/vmm-hw or guest-pv.elf is not built" ;;
        kvm)
            if [ ! -x "$BUILD/vmm-hw" ]; then echo "build/vmm-hw is not built"
            elif [ ! -w /dev/kvm ]; then echo "no usable /dev/kvm"
            elif [ -d /sys/module/kvm_pvm ]; then
                echo "KVM here is PVM (kvm_pvm): it cannot run a 32-bit paged guest"
            fi ;;
        qemu) command -v qemu-system-i386 >/dev/null || echo "qemu-system-i386 is not installed" ;;
    esac
}
run() {           # run ID: console to $TMPD/ID.out, VMM messages to ID.err, status to ID.rc
    local t0 rc
    t0=$(date +%s.%N)
    case $1 in
        interp|bt) timeout $((RUN_TIMEOUT + 30)) "$BUILD/vmm-bt" --engine "$1" --stats \
                       --timeout "$RUN_TIMEOUT" "$GUEST" -- $CMDLINE ;;
        vmx|kvm)   timeout $((RUN_TIMEOUT + 30)) "$BUILD/vmm-hw" --engine "$1" --stats \
                       --timeout "$RUN_TIMEOUT" "$GUEST" -- $CMDLINE ;;
        pv-bt)     timeout $((RUN_TIMEOUT + 30)) "$BUILD/vmm-pv" --engine bt --stats \
                       --timeout "$RUN_TIMEOUT" "$GUEST_PV" -- $CMDLINE ;;
        pv-vmx)    timeout $((RUN_TIMEOUT + 30)) "$BUILD/vmm-hw" --engine vmx --pv on --stats \
                       --timeout "$RUN_TIMEOUT" "$GUEST_PV" -- $CMDLINE ;;
        qemu)      timeout "$RUN_TIMEOUT" qemu-system-i386 -accel tcg -m 64 -kernel "$GUEST" \
                       -append "$CMDLINE" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
                       -display none -serial stdio -monitor none -no-reboot ;;
    esac >"$TMPD/$1.out" 2>"$TMPD/$1.err" </dev/null
    rc=$?
    # QEMU's isa-debug-exit ends with (value << 1) | 1.
    [ "$1" = qemu ] && [ $((rc & 1)) -eq 1 ] && rc=$((rc >> 1))
    echo "$rc" >"$TMPD/$1.rc"
    echo "$(date +%s.%N) - $t0" | bc >"$TMPD/$1.time"
}

echo "== vmlab: the teaching guest ($CMDLINE) under every VMM built so far"
avail=""
for r in $RUNNERS; do
    why=$(unavailable "$r")
    if [ -n "$why" ]; then
        printf '   %-52s not run: %s\n' "$(label "$r")" "$why"
        echo "$why" >"$TMPD/$r.why"
        continue
    fi
    printf '   %-52s ' "$(label "$r")"
    run "$r"
    printf 'status %s, %.2f s\n' "$(cat "$TMPD/$r.rc")" "$(cat "$TMPD/$r.time")"
    avail="$avail $r"
    if [ -n "${VERBOSE:-}" ]; then cat "$TMPD/$r.out" "$TMPD/$r.err"; fi
done

# Table 1: every program, PASS/FAIL per engine.
echo
echo "== programs (PASS/FAIL as the guest reports them)"
printf '  %-12s' program; for r in $RUNNERS; do printf ' %-7s' "$r"; done; echo
progs=$(for r in $avail; do sed -n 's/^\(PASS\|FAIL\) \([^ ]*\).*/\2/p' "$TMPD/$r.out"; done | awk '!s[$0]++')
for p in $progs; do
    printf '  %-12s' "$p"
    for r in $RUNNERS; do
        if [ -f "$TMPD/$r.why" ]; then v="n/a"
        elif grep -q "^PASS $p\$" "$TMPD/$r.out"; then v=PASS
        elif grep -q "^FAIL $p\b" "$TMPD/$r.out"; then v=FAIL
        else v="-"; fi
        printf ' %-7s' "$v"
    done
    echo
done
[ -z "$progs" ] && echo "  (no PASS/FAIL lines from the guest)"

# Table 2: VM exits by SDM reason, from each VMM's --stats.
echo
echo "== VM exits by reason (SDM Vol. 3C Table C-1), from --stats"
for r in $avail; do
    [ "$r" = qemu ] && continue
    awk '/exit reason \(SDM/ { on = 1; next } on && /^  [A-Za-z]/ && $(NF-2) ~ /^[0-9]+$/ {
             n = ""; for (i = 1; i <= NF - 4; i++) n = n (n ? " " : "") $i
             print n "\t" $(NF-2) } /idle in HLT/ { on = 0 }' "$TMPD/$r.err" >"$TMPD/$r.exits"
done
reasons=$(for r in $avail; do [ -f "$TMPD/$r.exits" ] && cut -f1 "$TMPD/$r.exits"; done | awk '!s[$0]++')
printf '  %-24s' reason; for r in $avail; do [ "$r" = qemu ] || printf ' %9s' "$r"; done; echo
while IFS= read -r reason; do
    [ -z "$reason" ] && continue
    printf '  %-24s' "$reason"
    for r in $avail; do
        [ "$r" = qemu ] && continue
        c=$(awk -F'\t' -v k="$reason" '$1 == k { print $2 }' "$TMPD/$r.exits")
        printf ' %9s' "${c:-0}"
    done
    echo
done <<<"$reasons"
echo "  (bt also runs sensitive instructions through helpers: see its --stats; qemu has no exits to count)"

# Verdict: every engine that ran must have ended with status 0.
fail=0
for r in $avail; do
    rc=$(cat "$TMPD/$r.rc")
    if [ "$rc" != 0 ]; then
        fail=1
        echo "  $r: guest exit status $rc; last messages:"
        tail -n 3 "$TMPD/$r.err" "$TMPD/$r.out" 2>/dev/null | sed 's/^/    /'
    fi
done
[ $fail = 0 ] && echo "== every VMM that could run here passed ($(echo $avail | wc -w) of $(echo $RUNNERS | wc -w))"

# Linux under binary translation: boot, a short session, poweroff.
linux_run() {
    local lx=$BUILD/linux st
    echo
    echo "== Debian's i386 Linux under vmm-bt --engine bt (console below)"
    if ! "$ROOT/scripts/linux.sh" "$lx" >"$TMPD/linux-fetch.out" 2>&1; then
        echo "   not run: $(tail -1 "$TMPD/linux-fetch.out")"
        return 0
    fi
    . "$ROOT/tests/linux/drive.sh"
    linux_machine "$lx" "console=ttyS0 nokaslr" "$BUILD/vmm-bt" --engine bt
    drive_start linux "${MACHINE[@]}"
    # Show the console as it comes (the file grows while the VM runs).
    tail -n +1 -f "$TMPD/linux.out" 2>/dev/null &
    local shower=$!
    if drive_wait linux "vmlab:/# " "$RUN_TIMEOUT"; then
        echo "vmlab:/# prompt after $(drive_elapsed linux) s" >"$TMPD/linux.prompt"
        drive_cmd linux "uname -a; grep -m2 -E 'model name|flags' /proc/cpuinfo; ls /" 60
        drive_send linux poweroff
        drive_end linux 120
    fi
    st=$(drive_status linux)
    sleep 0.5
    kill $shower 2>/dev/null
    wait $shower 2>/dev/null
    drive_stop linux
    echo
    if [ "$st" = 0 ] && [ -f "$TMPD/linux.prompt" ]; then
        echo "== Linux: $(cat "$TMPD/linux.prompt"), powered off (status 0) after $(drive_elapsed linux) s"
        return 0
    fi
    echo "== Linux did not reach its prompt and power off: $(drive_reason linux)"
    return 1
}
if [ "${LINUX:-1}" != 0 ] && [ -x "$BUILD/vmm-bt" ]; then
    linux_run || fail=1
fi
exit $fail
