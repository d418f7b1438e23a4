#!/bin/bash
# tests/bench/workloads.sh — the workload suite (common/guest/workloads/)
# side by side, one run per cell; run by `make bench` (docs/ARCHITECTURE.md §9).
#
# Rows: the programs calls, bytecode, lists, strings, sort, hash, int64,
# float.  Columns:
#   native     build/workloads/NAME.linux32, a static i386 Linux process
#              (n/a on a host kernel without IA32 emulation)
#   qemu-i386  the same binary under QEMU's user-mode translator
#   qemu-tcg   qemu-system-i386 -accel tcg -kernel guest.elf, NAME.elf as
#              the boot module (test=module -- ROUNDS)
#   interp     build/vmm-bt --engine interp, the same module
#   bt         build/vmm-bt --engine bt (stage 01), the same module
#
# Every program times its own rounds with CLOCK_MONOTONIC: the Linux
# kernel's clock natively and under qemu-i386, the teaching kernel's in
# the VMs, which is the TSC at the rate the guest calibrated against the
# PIT (tsc_per_tick x 100 Hz in its banner); boot and start-up are not
# counted.  Every VM here passes the host's TSC through, and a guest's
# 50 ms calibration on a busy host can be off by several per cent, so a
# VM's time is taken back to cycles and divided by the host's TSC rate
# (measured by build/bench/micro.linux*, `tsc`) when that is known.  Each cell is calibrated: the round count
# grows until a run takes a fifth of BENCH_WL_SECONDS (default 1), then the
# fastest of BENCH_WL_REPEAT (default 3) runs of about BENCH_WL_SECONDS
# gives the time per round (the machine is shared: the fastest run is the
# least disturbed one).  A run whose
# checksum is wrong is a failed cell, never a number.
#
# Prints the guest instructions per round (interp --stats), the time per
# round and the ratio to native (to qemu-i386 when native is n/a) per
# program, and the geometric mean of the ratios per column; writes build/bench/workloads.json.  No pass/fail on speed: the
# status is non-zero only if a run that should work did not.
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
GUEST=$BUILD/guest/guest.elf
VMM=$BUILD/vmm-bt
WL=$BUILD/workloads
OUT=${WL_OUT:-$BUILD/bench}
TARGET=${BENCH_WL_SECONDS:-1}
REPEAT=${BENCH_WL_REPEAT:-3}
. "$ROOT/tests/bench/native/host.sh"     # NATIVE_ARCH: can this host run i386?
NAMES="calls bytecode lists strings sort hash int64 float"
COLUMNS="native qemu-i386 qemu-tcg interp bt"
WORK=$(mktemp -d /tmp/vmlab-wl.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
say() { echo "workloads: $*"; }

for f in "$GUEST" "$VMM" $(for n in $NAMES; do echo "$WL/$n.elf $WL/$n.linux32"; done); do
    if [ ! -e "$f" ]; then
        echo "workloads: $f is missing: run 'make' first" >&2
        exit 1
    fi
done

declare -A WHY   # column -> why it cannot run here (empty: it can)
[ "$NATIVE_ARCH" = i386 ] || WHY[native]="n/a (no IA32 emulation)"
command -v qemu-i386 >/dev/null || WHY[qemu-i386]="n/a (no qemu-i386: Debian package qemu-user)"
command -v qemu-system-i386 >/dev/null ||
    WHY[qemu-tcg]="n/a (no qemu-system-i386: Debian package qemu-system-x86)"
REF=native
[ -n "${WHY[native]:-}" ] && REF=qemu-i386

# run COLUMN NAME ROUNDS LOG: one run; its output in LOG.
run() {
    local col=$1 name=$2 r=$3 log=$4
    case $col in
    native) timeout 900 "$WL/$name.linux32" "$r" ;;
    qemu-i386) timeout 900 qemu-i386 "$WL/$name.linux32" "$r" ;;
    qemu-tcg) timeout 900 qemu-system-i386 -accel tcg -m 64 -kernel "$GUEST" -initrd "$WL/$name.elf" \
        -append "test=module -- $r" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -display none -serial stdio -monitor none -no-reboot ;;
    interp | bt) timeout 900 "$VMM" --engine "$col" --timeout 900 --module "$WL/$name.elf" \
        "$GUEST" -- test=module -- "$r" ;;
    esac </dev/null >"$log" 2>&1
}

# ns_of LOG ROUNDS: the run's ns if it printed a verdict=ok line, else empty.
ns_of() {
    sed -n "s/^WORKLOAD [a-z0-9]* rounds=$2 checksum=[^ ]* expected=[^ ]* ns=\([0-9]*\) verdict=ok.*/\1/p" \
        "$1" | tr -d '\r' | head -1
}

HOST_MHZ=$("$(native_bin micro)" tsc 2>/dev/null | sed -n 's/^RESULT native tsc mhz=//p')

# per_round COLUMN LOG NS ROUNDS: ns per round, a VM's at the host's TSC rate.
per_round() {
    local tpt=
    case $1 in qemu-tcg | interp | bt) tpt=$(sed -n 's/.*tsc_per_tick=\([0-9]*\).*/\1/p' "$2" | head -1) ;; esac
    awk -v ns="$3" -v r="$4" -v t="${tpt:-0}" -v h="${HOST_MHZ:-0}" \
        'BEGIN { f = (t > 0 && h > 0) ? t * 100 / (h * 1e6) : 1; printf "%.0f", ns * f / r }'
}

# measure COLUMN NAME: sets PER (ns per round) and ROUNDS, or FAIL (why).
measure() {
    local col=$1 name=$2 r=1 ns log=$WORK/$1-$2.log i
    PER= ROUNDS= FAIL=
    for i in 1 2 3 4 5 6 7 8; do
        run "$col" "$name" "$r" "$log"
        ns=$(ns_of "$log" "$r")
        if [ -z "$ns" ]; then
            FAIL="$col $name rounds=$r: $(grep -m1 'WORKLOAD\|FAIL\|error' "$log" || tail -n 1 "$log")"
            return 1
        fi
        # Long enough (a fifth of the target), or the last try: scale up.
        if [ $i -eq 8 ] || awk -v ns="$ns" -v t="$TARGET" 'BEGIN { exit !(ns >= t * 2e8) }'; then
            local want
            want=$(awk -v ns="$ns" -v r="$r" -v t="$TARGET" \
                'BEGIN { k = int(r * t * 1e9 / (ns > 0 ? ns : 1) + 0.5); print (k < 1) ? 1 : k }')
            # REPEAT runs of about TARGET s (the last one so far counts
            # when it is long enough); the fastest is the least disturbed.
            local k=1 p best=
            if [ "$want" -gt $((r + r / 2)) ]; then
                r=$want k=0
            fi
            [ $k -eq 1 ] && best=$(per_round "$col" "$log" "$ns" "$r")
            while [ $k -lt "$REPEAT" ]; do
                run "$col" "$name" "$r" "$log"
                ns=$(ns_of "$log" "$r")
                [ -z "$ns" ] && { FAIL="$col $name rounds=$r: $(tail -n 1 "$log")"; return 1; }
                p=$(per_round "$col" "$log" "$ns" "$r")
                { [ -z "$best" ] || [ "$p" -lt "$best" ]; } && best=$p
                k=$((k + 1))
            done
            ROUNDS=$r PER=$best
            return 0
        fi
        r=$(awk -v ns="$ns" -v r="$r" -v t="$TARGET" \
            'BEGIN { f = (ns > 0) ? t * 3e8 / ns : 100; f = (f < 2) ? 2 : (f > 1000) ? 1000 : f;
                     print int(r * f + 0.5) }')
    done
}

# insns NAME: guest instructions per round, counted by the interpreter
# (--stats): a run of 3 rounds minus a run of 1, halved (boot cancels out).
insns() {
    local a b
    a=$("$VMM" --engine interp --stats --timeout 600 --module "$WL/$1.elf" "$GUEST" -- \
        test=module -- 1 2>&1 </dev/null | sed -n 's/.* \([0-9][0-9]*\) guest instructions.*/\1/p')
    b=$("$VMM" --engine interp --stats --timeout 600 --module "$WL/$1.elf" "$GUEST" -- \
        test=module -- 3 2>&1 </dev/null | sed -n 's/.* \([0-9][0-9]*\) guest instructions.*/\1/p')
    [ -n "$a" ] && [ -n "$b" ] && echo $(((b - a) / 2))
}

declare -A PERS NR NOTE INSNS
FOOTS=()
footnote() {   # footnote TEXT: sets FNUM (same text, same number)
    local i
    for i in "${!FOOTS[@]}"; do [ "${FOOTS[$i]}" = "$1" ] && { FNUM=$((i + 1)); return; }; done
    FOOTS+=("$1")
    FNUM=${#FOOTS[@]}
}
status=0
say "the workload suite, each cell the fastest of $REPEAT runs of about $TARGET s" \
    "(BENCH_WL_REPEAT, BENCH_WL_SECONDS)"
for n in $NAMES; do
    INSNS[$n]=$(insns "$n")
    for c in $COLUMNS; do
        if [ -n "${WHY[$c]:-}" ]; then
            NOTE[$c|$n]=${WHY[$c]}
            continue
        fi
        if measure "$c" "$n"; then
            PERS[$c|$n]=$PER NR[$c|$n]=$ROUNDS
        else
            NOTE[$c|$n]="fail: $FAIL"
            say "$FAIL"
            status=1
        fi
    done
    say "$n: $(for c in $COLUMNS; do printf '%s=%s ' "$c" "${PERS[$c|$n]:-${NOTE[$c|$n]%% *}}"; done)ns/round"
done

# ---- the table -------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
us() { awk -v n="$1" 'BEGIN { v = n / 1000; printf (v < 10) ? "%.2f" : (v < 100) ? "%.1f" : "%.0f", v }'; }
echo
echo "Workload suite: time per round (us) and, in brackets, the ratio to $REF" \
     "(lower is better); geometric mean of the ratios.  Minsns: guest instructions per round" \
     "(millions, counted by interp), the same in every column"
printf '%-10s %9s' "program" "Minsns"
for c in $COLUMNS; do printf ' %18s' "$c"; done
echo
declare -A LOGSUM CNT
for n in $NAMES; do
    printf '%-10s %9s' "$n" "$(awk -v i="${INSNS[$n]:-}" 'BEGIN { print (i == "") ? "?" : sprintf("%.2f", i / 1e6) }')"
    ref=${PERS[$REF|$n]:-}
    for c in $COLUMNS; do
        p=${PERS[$c|$n]:-}
        if [ -n "$p" ] && [ -n "$ref" ]; then
            r=$(ratio "$p" "$ref")
            printf ' %18s' "$(us "$p") (${r}x)"
            LOGSUM[$c]=$(awk -v s="${LOGSUM[$c]:-0}" -v r="$r" 'BEGIN { printf "%.6f", s + log(r) }')
            CNT[$c]=$((${CNT[$c]:-0} + 1))
        elif [ -n "$p" ]; then
            printf ' %18s' "$(us "$p")"
        else
            footnote "${NOTE[$c|$n]:-no reference}"
            printf ' %18s' "n/a [$FNUM]"
        fi
    done
    echo
done
printf '%-10s %9s' "geomean" ""
declare -A GEO
for c in $COLUMNS; do
    if [ -n "${CNT[$c]:-}" ]; then
        GEO[$c]=$(awk -v s="${LOGSUM[$c]}" -v k="${CNT[$c]}" 'BEGIN { printf "%.2f", exp(s / k) }')
        printf ' %18s' "${GEO[$c]}x"
    else
        printf ' %18s' "-"
    fi
done
echo
for i in "${!FOOTS[@]}"; do echo "[$((i + 1))] ${FOOTS[$i]}"; done
# The VMs' clock is the TSC at the rate their kernel calibrated against the
# PIT: printed next to the host's, so a wrong conversion shows.
rates=
for c in qemu-tcg interp bt; do
    t=$(sed -n 's/.*tsc_per_tick=\([0-9]*\).*/\1/p' "$WORK/$c-calls.log" 2>/dev/null | head -1)
    [ -n "$t" ] && rates+=" $c $((t / 10000)) MHz,"
done
[ -n "$rates" ] && echo "guest TSC rate as calibrated (calls):${rates} host TSC ${HOST_MHZ:-?} MHz" \
    "$([ -n "$HOST_MHZ" ] && echo "(VM times use the host's)")"
if [ -n "${GEO[bt]:-}" ] && [ -n "${GEO[qemu-tcg]:-}" ]; then
    echo "bt against qemu-system-i386 TCG: $(ratio "${GEO[qemu-tcg]}" "${GEO[bt]}")x as fast" \
         "(geometric mean; issue 17 asks for at least 3x)"
fi
if [ -n "${GEO[bt]:-}" ] && [ -n "${GEO[interp]:-}" ]; then
    echo "bt against interp: $(ratio "${GEO[interp]}" "${GEO[bt]}")x as fast (geometric mean)"
fi

# ---- JSON ------------------------------------------------------------------------
{
    printf '{\n  "suite": "workloads",\n  "target_seconds": %s,\n  "reference": "%s",\n' "$TARGET" "$REF"
    printf '  "time_measured": "each program'"'"'s own CLOCK_MONOTONIC around its rounds",\n'
    printf '  "columns": {'
    sep=
    for c in $COLUMNS; do
        printf '%s\n    "%s": {"available": %s, "geomean_ratio": %s' "$sep" "$c" \
            "$([ -z "${WHY[$c]:-}" ] && echo true || echo false)" "${GEO[$c]:-null}"
        [ -n "${WHY[$c]:-}" ] && printf ', "why": "%s"' "${WHY[$c]}"
        printf '}'
        sep=,
    done
    printf '\n  },\n  "cells": ['
    sep=
    for n in $NAMES; do
        for c in $COLUMNS; do
            printf '%s\n    {"program": "%s", "column": "%s", "insns_per_round": %s' "$sep" "$n" "$c" \
                "${INSNS[$n]:-null}"
            if [ -n "${PERS[$c|$n]:-}" ]; then
                printf ', "status": "ok", "rounds": %s, "ns_per_round": %s' "${NR[$c|$n]}" "${PERS[$c|$n]}"
            else
                note=${NOTE[$c|$n]:-}
                printf ', "status": "%s", "why": "%s"' "$([ "${note#fail}" != "$note" ] && echo fail || echo n/a)" \
                    "$(echo "$note" | tr -d '"\\' | tr '\n' ' ')"
            fi
            printf '}'
            sep=,
        done
    done
    printf '\n  ]\n}\n'
} >"$OUT/workloads.json"
echo "workloads: wrote $OUT/workloads.json"
exit $status
