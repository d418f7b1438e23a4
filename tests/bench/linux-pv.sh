#!/bin/bash
# tests/bench/linux-pv.sh — what Linux's paravirtual interface (stage 02,
# --pv-linux on: kvmclock, PV EOI, steal time; 02-paravirt/README.md) does
# to its VM exits: Debian's i386 kernel with the busybox initramfs of
# tests/linux/session.sh, with and without the option, under stage 04's
# `vmm-mem --engine bt` and stage 03's `vmm-hw --engine vmx` (run by `make
# bench`, one line in run.sh).
#
# For each machine and each setting, one run: booted to the shell prompt,
# where the VMM is asked for its --stats so far (SIGUSR1, core/hangup.h:
# it prints them at its next exit and runs on), left idle IDLE seconds,
# asked again, then powered off.  The first counts are the boot's, the
# second minus the first the idle time's.  Per machine, one table: the exits by reason (SDM
# Vol. 3C Table C-1) as --stats counts them, then the interrupts, the local
# APIC's EOIs by register write and paravirtual, and for bt the helper
# calls (the sensitive instructions the translator calls out for: binary
# translation's counterpart of exits) in all and the most frequent ones.
# Writes build/bench/linux-pv.json.  No pass/fail on the numbers: the
# status is non-zero only when a run that should work did not.
#
# Environment: LINUX_PV_IDLE (seconds idle, default 10), LINUX_PV_MACHINES
# (default "bt vmx"), LINUX_PV_OUT (where linux-pv.json goes),
# LINUX_BENCH_SECONDS (bound on a boot, default 900).
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
TMPD=$(mktemp -d /tmp/vmlab-bench-linux-pv.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT
. "$ROOT/tests/linux/drive.sh"
LINUX=$BUILD/linux
OUT=${LINUX_PV_OUT:-$BUILD/bench}
IDLE=${LINUX_PV_IDLE:-10}
MACHINES=${LINUX_PV_MACHINES:-bt vmx}
# no_timer_check: Linux's boot-time check that the timer's interrupt
# arrives (check_timer) counts ticks over a short busy wait, and panics
# ("IO-APIC + timer doesn't work!") when a loaded host deschedules the VMM
# through it; this bench is about exits, not that check.
CMDLINE="console=ttyS0 nokaslr no_timer_check"
LIMIT=${LINUX_BENCH_SECONDS:-900}
mkdir -p "$OUT"

if ! "$ROOT/scripts/linux.sh" "$LINUX" >"$TMPD/fetch.out" 2>&1; then
    echo "bench: Linux PV exits skipped: $(tail -1 "$TMPD/fetch.out")"
    exit 0
fi

vmm_of() {
    case $1 in
    bt) echo "$BUILD/vmm-mem --engine bt" ;;
    vmx) echo "$BUILD/vmm-hw --engine vmx" ;;
    esac
}

# snapshot ID N: ask the VMM for its --stats so far (SIGUSR1, core/hangup.h)
# and wait until the console holds the Nth summary.
snapshot() {
    local end=$((SECONDS + 120))
    pkill -USR1 -P "$(cat "$TMPD/$1.pid")"
    while [ "$(drive_text "$1" | grep -c ': stats: engine')" -lt "$2" ]; do
        [ $SECONDS -lt $end ] && [ ! -f "$TMPD/$1.rc" ] || return 1
        sleep 0.2
    done
}

# run ID MACHINE PV: boot, the counts at the prompt, IDLE s later the
# counts again, then poweroff; the console in $TMPD/ID.out.  False (the
# reason in $TMPD/ID.why) if a step did not happen.
run() {
    local id=$1
    linux_machine "$LINUX" "$CMDLINE" $(vmm_of "$2") --pv-linux "$3"
    drive_start "$id" "${MACHINE[@]}"
    if ! drive_wait "$id" "vmlab:/# |Kernel panic" "$LIMIT" ||
        ! drive_text "$id" | grep -q "vmlab:/# "; then
        echo "no prompt: $(drive_reason "$id")" >"$TMPD/$id.why"
    elif ! snapshot "$id" 1; then
        echo "no --stats at the prompt: $(drive_reason "$id")" >"$TMPD/$id.why"
    elif ! { sleep "$IDLE"; snapshot "$id" 2; }; then
        echo "no --stats after the idle time: $(drive_reason "$id")" >"$TMPD/$id.why"
    else
        drive_send "$id" poweroff
        drive_end "$id" 120 && return 0
        echo "poweroff did not end the VM: $(drive_reason "$id")" >"$TMPD/$id.why"
    fi
    drive_stop "$id"
    return 1
}

# counts ID N: "key<TAB>count" lines from the Nth --stats summary of a
# run: each exit reason ("HLT (12)"), "exits" in all, "interrupts", the
# APIC's EOIs, bt's helper calls in all ("helpers") and each ("helper cli").
counts() {
    drive_text "$1" | awk -v want="$2" '
        / stats: engine / {
            on = (++blk == want)
            if (!on) next
            for (i = 1; i <= NF; i++) {
                if ($(i) ~ /^exits,?$/) print "exits\t" $(i-1)
                if ($(i) ~ /^interrupts,?$/) print "interrupts\t" $(i-1)
            }
            next }
        !on { next }
        /exit reason \(SDM/ { next }
        /^  / && $NF == "ns" && $(NF-3) ~ /^[0-9]+$/ {
            n = $(NF-2); r = $(NF-3); $(NF) = $(NF-1) = $(NF-2) = $(NF-3) = ""
            sub(/ +$/, ""); sub(/^ +/, ""); print $0 " (" r ")\t" n; next }
        /^  local APIC: / {
            for (i = 1; i <= NF; i++) {
                if ($(i) == "by" && $(i+1) == "register") print "EOIs by APIC register write\t" $(i-1)
                if ($(i) == "paravirtual") print "EOIs paravirtual (PV EOI)\t" $(i-1)
            }
            next }
        /^bt: helper calls/ {
            sub(/^[^:]*:[^:]*:/, ""); n = split($0, h, ",")
            t = 0
            for (i = 1; i <= n; i++) {
                s = h[i]; sub(/ *\[[0-9]+\] *$/, "", s); sub(/^ +/, "", s)
                c = s; sub(/.* /, "", c); nm = s; sub(/ [0-9]+$/, "", nm)
                t += c; print "helper " nm "\t" c
            }
            print "helpers\t" t; on = 0 }'
}

# value FILE KEY: the count of KEY in a counts file, 0 if absent.
value() { awk -F'\t' -v k="$2" '$1 == k { v = $2 } END { print v + 0 }' "$1"; }

status=0
json="{\"idle_s\": $IDLE, \"machines\": ["
for m in $MACHINES; do
    vmm=$(vmm_of "$m")
    if [ ! -x "${vmm%% *}" ]; then
        echo "bench: $m: ${vmm%% *} is not built"
        status=1
        continue
    fi
    # Both settings at once (the host has two CPUs).
    ok=1
    run "$m-off" "$m" off &
    run "$m-on" "$m" on &
    wait -n || ok=0
    wait -n || ok=0
    for pv in off on; do
        counts "$m-$pv" 1 >"$TMPD/$m-$pv-boot.counts"
        counts "$m-$pv" 2 >"$TMPD/$m-$pv-idle.counts"
        [ -s "$TMPD/$m-$pv-boot.counts" ] && [ -s "$TMPD/$m-$pv-idle.counts" ] || ok=0
    done
    if [ $ok = 0 ]; then
        echo "bench: Linux PV exits under $vmm failed:"
        for id in "$m"-{off,on}; do
            [ -f "$TMPD/$id.why" ] && echo "  $id: $(cat "$TMPD/$id.why")"
        done
        status=1
        continue
    fi
    # Rows: every reason, then the totals, the EOIs, bt's helper calls
    # (the five most frequent of the four runs).
    {
        cat "$TMPD/$m"-*.counts | cut -f1 | grep -E ' \([0-9]+\)$' | sort -u -t'(' -k2n
        echo exits
        echo interrupts
        echo "EOIs by APIC register write"
        echo "EOIs paravirtual (PV EOI)"
        if grep -q '^helpers' "$TMPD/$m-off-boot.counts"; then
            echo helpers
            cat "$TMPD/$m"-*.counts | grep '^helper ' | sort -t$'\t' -k2 -rn | cut -f1 |
                awk '!seen[$0]++' | head -5
        fi
    } >"$TMPD/$m.rows"
    printf '\nLinux exits with and without --pv-linux: %s (boot: to the shell prompt; idle: %s s at the prompt)\n' \
        "$vmm" "$IDLE"
    printf '%-34s %12s %12s %12s %12s\n' "" "boot, off" "boot, on" "idle, off" "idle, on"
    rows=
    while IFS= read -r key; do
        bo=$(value "$TMPD/$m-off-boot.counts" "$key") bn=$(value "$TMPD/$m-on-boot.counts" "$key")
        io=$(($(value "$TMPD/$m-off-idle.counts" "$key") - bo))
        in=$(($(value "$TMPD/$m-on-idle.counts" "$key") - bn))
        label=$key
        [ "$key" = exits ] && label="exits in all"
        [ "$key" = helpers ] && label="bt helper calls in all"
        printf '%-34s %12s %12s %12s %12s\n' "$label" "$bo" "$bn" "$io" "$in"
        rows+=$(printf '%s{"row": "%s", "boot_off": %s, "boot_on": %s, "idle_off": %s, "idle_on": %s}' \
            "$([ -z "$rows" ] || echo ", ")" "$label" "$bo" "$bn" "$io" "$in")
    done <"$TMPD/$m.rows"
    json+=$(printf '%s{"machine": "%s", "vmm": "%s", "rows": [%s]}' \
        "$([ "${json: -1}" = "[" ] || echo ", ")" "$m" "$vmm" "$rows")
done
echo "$json]}" >"$OUT/linux-pv.json"
echo "(boot: the counts at the prompt; idle: $IDLE s later, minus those; written to $OUT/linux-pv.json)"
exit $status
