#!/bin/bash
# tests/bench/micro.sh — the microbenchmarks of Adams & Agesen, "A Comparison
# of Software and Hardware Techniques for x86 Virtualization" (ASPLOS 2006),
# Table 1, across vmlab's engines (docs/ARCHITECTURE.md §9).  Run by `make bench`.
#
# Rows: the guest programs syscall, inout, pagefault, ptemod, ctxswitch,
# divzero, callret (common/guest/programs/), each timing its own loop with
# rdtsc and printing a RESULT line.  Columns, one run each, side by side:
#   native    build/bench/micro.linux32 (tests/bench/native/micro_native.c):
#             the same operation done by a 32-bit host process
#   qemu-tcg  qemu-system-i386 -accel tcg -kernel guest.elf
#   interp    build/vmm-bt --engine interp (the reference interpreter)
#   bt        build/vmm-bt --engine bt     (stage 01, binary translation)
#   vmx       build/vmm-hw --engine vmx    (stage 03, software VT-x model,
#             default controls: EPT on, so paging causes no exits)
#   vmx-2006  the same with cr3load=on,invlpg=on,excbitmap=0x4000: the
#             paging exits of first-generation VT-x without EPT, i.e. of
#             the hardware VMM Adams & Agesen measured (the shadow page
#             table work itself is not modelled; stage 04 does that)
#   kvm       build/vmm-hw --engine kvm, where KVM can run the guest
#   bt-pv     build/vmm-pv --engine bt running the paravirtual kernel
#             (build/guest/guest-pv.elf, stage 02): the same programs,
#             the kernel's sensitive operations as hypercalls
#   vmx-pv    build/vmm-hw --engine vmx --pv on running the same
#
# Values: ns per operation.  Guest cycles are converted with the guest's
# own TSC rate, tsc_per_tick x 100 Hz from its boot banner (the kernel
# calibrates the TSC against the PIT, which every VMM drives from host
# time); the host TSC rate is printed next to them as a check.  Native
# times come from CLOCK_MONOTONIC.  Exits per operation: the VMM's --stats
# exit counts of a run with iters=N minus those of a run with iters=N/8,
# divided by the difference in operations, so boot and set-up cancel out.
#
# Writes build/bench/micro.json.  No pass/fail on speed; the status is
# non-zero only if a run that should work did not (that cell says "fail").
#
# Environment: MICRO_QUICK=1 (tiny iteration counts: the smoke test),
# MICRO_OUT=DIR (where micro.json goes, default build/bench).
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
GUEST=$BUILD/guest/guest.elf
GUEST_PV=$BUILD/guest/guest-pv.elf
VMM_BT=$BUILD/vmm-bt
VMM_PV=$BUILD/vmm-pv
VMM_HW=$BUILD/vmm-hw
. "$ROOT/tests/bench/native/host.sh"     # micro.linux32, or .linux64 without IA32
NATIVE=$(native_bin micro)
OUT=${MICRO_OUT:-$BUILD/bench}
QUICK=${MICRO_QUICK:-0}
WORK=$(mktemp -d /tmp/vmlab-micro.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
say() { echo "micro: $*"; }

for f in "$GUEST" "$VMM_BT" "$NATIVE"; do
    if [ ! -e "$f" ]; then
        echo "micro: $f is missing: run 'make' first" >&2
        exit 1
    fi
done

# ---- the rows ---------------------------------------------------------------
# row: program | label | RESULT-line filter | ops key | cycles key | native
#      benchmark | iters | quick iters
# The ops key is summed over all of a program's RESULT lines to count the
# operations behind its exits (inout does its pairs twice: a ring-0 loop,
# then behind one SYS_inout call from ring 3); the table value comes from
# the first line matching the filter.
ROWS="syscall inout pagefault ptemod ctxswitch divzero callret"
declare -A LABEL FILTER OPSKEY CYCKEY NATIVE_B ITERS
def() { LABEL[$1]=$2 FILTER[$1]=$3 OPSKEY[$1]=$4 CYCKEY[$1]=$5 NATIVE_B[$1]=$6
        ITERS[$1]=$([ "$QUICK" = 1 ] && echo "$8" || echo "$7"); }
def syscall   "syscall (int 0x80)"  ""            calls    cycles       syscall   200000   200
def inout     "in/out pair"         "ring=0"      pairs    cycles       ""        5000     40
def pagefault "page fault"          ""            pages    fault_cycles pagefault 4096     16
def ptemod    "PTE modification"    ""            toggles  cycles       ptemod    5000     20
def ctxswitch "context switch"      "mode=yield"  switches cycles       ctxswitch 2000     20
def divzero   "divide-by-zero (#DE)" ""           faults   cycles       divzero   20000    40
def callret   "call/ret"            ""            calls    cycles       callret   2000000  1000

# ---- the columns ---------------------------------------------------------------
ENGINES="native qemu-tcg interp bt vmx vmx-2006 kvm bt-pv vmx-pv"
STATS_ENGINES="interp bt vmx vmx-2006 kvm bt-pv vmx-pv"     # engines whose --stats count exits
VMX2006="cr3load=on,invlpg=on,excbitmap=0x4000"
declare -A WHAT AVAIL WHY_NA
if [ "$NATIVE_ARCH" = i386 ]; then WHAT[native]="32-bit static host process (tests/bench/native/micro_native.c)"
else WHAT[native]="$NATIVE_LABEL: 64-bit static host process (tests/bench/native/micro_native.c; syscall = the SYSCALL instruction)"; fi
WHAT[qemu-tcg]="qemu-system-i386 -accel tcg -kernel"
WHAT[interp]="vmm-bt --engine interp"
WHAT[bt]="vmm-bt --engine bt"
WHAT[vmx]="vmm-hw --engine vmx (default controls: EPT, HLT and I/O exiting)"
WHAT[vmx-2006]="vmm-hw --engine vmx --vmx-controls $VMX2006"
WHAT[kvm]="vmm-hw --engine kvm"
WHAT[bt-pv]="vmm-pv --engine bt, the paravirtual kernel guest-pv.elf (stage 02)"
WHAT[vmx-pv]="vmm-hw --engine vmx --pv on, the paravirtual kernel guest-pv.elf"

# vm ENGINE PROGRAM ITERS LOG: one guest run; output (both streams) in LOG,
# exit status in LOG.rc.
vm() {
    local e=$1 p=$2 n=$3 log=$4 rc
    case $e in
    qemu-tcg)
        timeout 150 qemu-system-i386 -accel tcg -m 64 -kernel "$GUEST" \
            -append "test=$p iters=$n" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
            -display none -serial stdio -monitor none -no-reboot </dev/null >"$log" 2>&1 ;;
    interp|bt)
        timeout 150 "$VMM_BT" --engine "$e" --stats --timeout 120 "$GUEST" \
            -- "test=$p" "iters=$n" </dev/null >"$log" 2>&1 ;;
    vmx|kvm)
        timeout 150 "$VMM_HW" --engine "$e" --stats --timeout 120 "$GUEST" \
            -- "test=$p" "iters=$n" </dev/null >"$log" 2>&1 ;;
    vmx-2006)
        timeout 150 "$VMM_HW" --engine vmx --vmx-controls "$VMX2006" --stats --timeout 120 \
            "$GUEST" -- "test=$p" "iters=$n" </dev/null >"$log" 2>&1 ;;
    bt-pv)
        timeout 150 "$VMM_PV" --engine bt --stats --timeout 120 "$GUEST_PV" \
            -- "test=$p" "iters=$n" </dev/null >"$log" 2>&1 ;;
    vmx-pv)
        timeout 150 "$VMM_HW" --engine vmx --pv on --stats --timeout 120 "$GUEST_PV" \
            -- "test=$p" "iters=$n" </dev/null >"$log" 2>&1 ;;
    esac
    rc=$?
    echo "$rc" >"$log.rc"
    return $rc
}

# lastline LOG: the guest's or the VMM's last words, for a footnote.
lastline() {
    local l
    l=$(grep -E '^(FAIL|vmm-[a-z]+: error|vmlab: (error|panic))' "$1" | head -n 1)
    [ -n "$l" ] || l=$(grep -v '^ ' "$1" | tail -n 1)
    printf '%s\n' "$l" | tr -d '\r' | cut -c1-160
}

# ---- which engines can run here -------------------------------------------------
AVAIL[native]=1
if command -v qemu-system-i386 >/dev/null; then AVAIL[qemu-tcg]=1
else AVAIL[qemu-tcg]=0 WHY_NA[qemu-tcg]="qemu-system-i386 is not installed (package qemu-system-x86)"; fi
AVAIL[interp]=1
# An engine that a binary does not have yet ends with status 69 (core/vm.h).
probe() {    # probe ENGINE: AVAIL/WHY_NA from a test=hello run
    local e=$1
    vm "$e" hello 1 "$WORK/probe-$e.log"
    local rc
    rc=$(cat "$WORK/probe-$e.log.rc")
    if [ "$rc" = 69 ] || [ "$rc" = 64 ]; then
        AVAIL[$e]=0 WHY_NA[$e]="$(lastline "$WORK/probe-$e.log") (status $rc)"
    else
        AVAIL[$e]=1
    fi
}
probe bt
if [ -x "$VMM_HW" ]; then
    probe vmx
    AVAIL[vmx-2006]=${AVAIL[vmx]} WHY_NA[vmx-2006]=${WHY_NA[vmx]:-}
else
    AVAIL[vmx]=0 WHY_NA[vmx]="$VMM_HW is not built"
    AVAIL[vmx-2006]=0 WHY_NA[vmx-2006]="$VMM_HW is not built"
fi
if [ -x "$VMM_PV" ] && [ -f "$GUEST_PV" ]; then probe bt-pv
else AVAIL[bt-pv]=0 WHY_NA[bt-pv]="$VMM_PV or $GUEST_PV is not built"; fi
if [ -x "$VMM_HW" ] && [ -f "$GUEST_PV" ]; then probe vmx-pv
else AVAIL[vmx-pv]=0 WHY_NA[vmx-pv]="$VMM_HW or $GUEST_PV is not built"; fi
# KVM: same rules as tests/hw/kvm.sh.
if [ ! -x "$VMM_HW" ]; then AVAIL[kvm]=0 WHY_NA[kvm]="$VMM_HW is not built"
elif [ ! -e /dev/kvm ]; then AVAIL[kvm]=0 WHY_NA[kvm]="/dev/kvm is missing (no KVM on this host)"
elif [ ! -w /dev/kvm ]; then AVAIL[kvm]=0 WHY_NA[kvm]="/dev/kvm is not writable by $(id -un)"
elif [ -d /sys/module/kvm_pvm ]; then
    AVAIL[kvm]=0
    WHY_NA[kvm]="KVM here is PVM (kvm_pvm), which cannot run the paged 32-bit guest (CR0.PG without long mode raises #GP; see 03-hw-assisted/README.md)"
else
    probe kvm
fi

# ---- parsing ---------------------------------------------------------------------
# parse LOG ROW: "ops cycles tsc_per_tick ops_total" from a guest log, or nothing.
parse() {
    local r=$2
    awk -v p="$r" -v f="${FILTER[$r]}" -v ok="${OPSKEY[$r]}" -v ck="${CYCKEY[$r]}" '
        { sub(/\r$/, "") }
        /vmlab: guest kernel/ {
            for (i = 1; i <= NF; i++) if ($i ~ /^tsc_per_tick=[0-9]+$/) tpt = substr($i, 14)
        }
        $1 == "RESULT" && $2 == p {
            o = ""; c = ""
            for (i = 3; i <= NF; i++) {
                k = $i; sub(/=.*/, "", k); v = substr($i, length(k) + 2)
                if (k == ok) o = v
                if (k == ck) c = v
            }
            if (o != "") tot += o
            if (!got && o != "" && c != "" && (f == "" || index($0, f))) { ops = o; cyc = c; got = 1 }
        }
        END { if (got && tpt > 0 && ops > 0) print ops, cyc, tpt, tot }' "$1"
}

# counts LOG: what --stats counted, one "kind|name|count|mean_ns" per line:
# kind "exit" (SDM exit reasons, with the VMM's mean handling time) or
# "bt" (the translator's callouts: helper calls by instruction, hidden
# page faults, window flushes — binary translation's counterpart of exits).
counts() {
    awk '
        /exit reason \(SDM/ { inx = 1; next }
        inx && / ns$/ && NF >= 5 {
            name = $1; for (i = 2; i <= NF - 4; i++) name = name " " $i
            print "exit|" name " (" $(NF - 3) ")|" $(NF - 2) "|" $(NF - 1); next
        }
        inx { inx = 0 }
        /^bt: helper calls/ {
            s = $0; sub(/^[^)]*\): /, "", s)
            n = split(s, t, " "); name = ""
            for (i = 1; i <= n; i++) {
                if (t[i] ~ /^[0-9]+,?$/) {
                    c = t[i]; sub(/,$/, "", c)
                    if (i < n && t[i + 1] ~ /^\[[0-9]+\],?$/) i++
                    print "bt|" name "|" c "|"; name = ""
                } else name = (name == "" ? "" : name " ") t[i]
            }
        }
        /^bt: window:/ {
            n = split($0, t, ", ")
            for (i = 1; i <= n; i++) {
                if (match(t[i], /[0-9]+ (hidden page faults|true faults|window flushes)/)) {
                    w = substr(t[i], RSTART, RLENGTH); c = w; sub(/ .*/, "", c); sub(/^[0-9]+ /, "", w)
                    print "bt|" w "|" c "|"
                }
            }
        }' "$1"
}

# Counts that do not scale with N and are left out.  ctxswitch: its second
# phase (timer preemption) has two tasks poll rdtsc for 10 ticks, a fixed
# time, so how many rdtsc callouts bt makes there depends on its speed.
declare -A NOISE=([ctxswitch]="bt|rdtsc")

# per_op MAIN BASE DOPS ROW: "kind|name|per_op|mean_ns" lines: (main - base) / DOPS.
per_op() {
    awk -F'|' -v d="$3" -v noise="${NOISE[$4]:-}" '
        FNR == NR { base[$1 "|" $2] = $3; next }
        { k = $1 "|" $2; if (k == noise) next
          printf "%s|%s|%.3f|%s\n", $1, $2, ($3 - base[k]) / d, $4 }' \
        <(counts "$2") <(counts "$1")
}

# ---- the runs -------------------------------------------------------------------
declare -A NS CYC MHZ STATUS NOTE EXITS EXITS_TOTAL
FOOTS=()
footnote() {   # footnote TEXT: sets FNUM to its number (same text, same number)
    local i
    for i in "${!FOOTS[@]}"; do [ "${FOOTS[$i]}" = "$1" ] && { FNUM=$((i + 1)); return; }; done
    FOOTS+=("$1")
    FNUM=${#FOOTS[@]}
}
failures=0

HOST_MHZ=$("$NATIVE" tsc | sed -n 's/^RESULT native tsc mhz=//p')
START=$EPOCHREALTIME
say "Adams & Agesen microbenchmarks, one run per cell$([ "$QUICK" = 1 ] && echo ' (MICRO_QUICK: tiny counts, numbers meaningless)')"

for r in $ROWS; do
    n=${ITERS[$r]}
    for e in $ENGINES; do
        k="$e|$r"
        if [ "${AVAIL[$e]}" != 1 ]; then
            STATUS[$k]=na NOTE[$k]=${WHY_NA[$e]}
            continue
        fi
        if [ "$e" = native ]; then
            if [ -z "${NATIVE_B[$r]}" ]; then
                STATUS[$k]=na NOTE[$k]="no native equivalent: a process may not touch I/O ports (on bare metal in/out is a bus cycle to a device)"
                continue
            fi
            "$NATIVE" "${NATIVE_B[$r]}" "$n" >"$WORK/$e-$r.log" 2>&1
            rc=$?
            v=$(sed -n "s/^RESULT native ${NATIVE_B[$r]} ops=.* ns_per_op=\([0-9.]*\)$/\1/p" "$WORK/$e-$r.log")
            if [ "$rc" = 0 ] && [ -n "$v" ]; then
                STATUS[$k]=ok NS[$k]=$v
            else
                STATUS[$k]=fail NOTE[$k]="$(basename "$NATIVE") ${NATIVE_B[$r]} $n: status $rc: $(tail -n 1 "$WORK/$e-$r.log")"
                failures=$((failures + 1))
            fi
            continue
        fi
        vm "$e" "$r" "$n" "$WORK/$e-$r.log"
        rc=$(cat "$WORK/$e-$r.log.rc")
        read -r ops cyc tpt tot < <(parse "$WORK/$e-$r.log" "$r")
        # Our VMMs exit with the guest's status (0 = PASS); QEMU's
        # isa-debug-exit with (status << 1) | 1.
        want=0; [ "$e" = qemu-tcg ] && want=1
        if [ "$rc" != "$want" ] || ! grep -q "^PASS $r" "$WORK/$e-$r.log" || [ -z "${ops:-}" ]; then
            why=$(lastline "$WORK/$e-$r.log")
            [ "$rc" = 124 ] && why="timed out${why:+: $why}"
            STATUS[$k]=fail NOTE[$k]="test=$r iters=$n: status $rc${why:+: $why}"
            failures=$((failures + 1))
            continue
        fi
        STATUS[$k]=ok
        read -r NS[$k] CYC[$k] MHZ[$k] < <(awk -v o="$ops" -v c="$cyc" -v t="$tpt" \
            'BEGIN { hz = t * 100; printf "%.2f %.1f %.1f\n", c / o / hz * 1e9, c / o, hz / 1e6 }')
        # Exits per operation, against a run with an eighth of the iterations.
        case " $STATS_ENGINES " in *" $e "*) ;; *) continue ;; esac
        n0=$(( n / 8 > 0 ? n / 8 : 1 ))
        vm "$e" "$r" "$n0" "$WORK/$e-$r.base.log"
        read -r _ _ _ tot0 < <(parse "$WORK/$e-$r.base.log" "$r")
        if [ "$(cat "$WORK/$e-$r.base.log.rc")" != 0 ] || [ -z "${tot0:-}" ] || [ "$tot" -le "$tot0" ]; then
            EXITS[$k]="?"
            NOTE[$k]="exit counts: the baseline run test=$r iters=$n0 failed: $(lastline "$WORK/$e-$r.base.log")"
            continue
        fi
        per_op "$WORK/$e-$r.log" "$WORK/$e-$r.base.log" $((tot - tot0)) "$r" >"$WORK/$e-$r.perop"
        EXITS[$k]=$WORK/$e-$r.perop
        EXITS_TOTAL[$k]=$(awk -F'|' '$1 == "exit" { s += $3 } END { printf "%.2f", s }' "$WORK/$e-$r.perop")
    done
    say "$r done ($(awk -v a="$START" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s)"
done

# ---- the tables ----------------------------------------------------------------
fmt() {   # fmt NS: a few significant digits
    awk -v v="$1" 'BEGIN { if (v < 10) printf "%.2f", v; else if (v < 100) printf "%.1f", v; else printf "%.0f", v }'
}
# Footnote numbers, in table order (cell runs in a subshell: it only reads them).
declare -A FN FNX
for r in $ROWS; do
    for e in $ENGINES; do
        k="$e|$r"
        case ${STATUS[$k]} in na|fail) footnote "$e: ${NOTE[$k]}"; FN[$k]=$FNUM ;; esac
    done
done
for r in $ROWS; do
    for e in $STATS_ENGINES; do
        k="$e|$r"
        [ "${EXITS[$k]:-}" = "?" ] && { footnote "$e: ${NOTE[$k]}"; FNX[$k]=$FNUM; }
    done
done
cell() {  # cell ENGINE ROW KIND(ns|ratio|exits): the text of one cell
    local k="$1|$2"
    case ${STATUS[$k]:-na} in
    ok)
        case $3 in
        ns) fmt "${NS[$k]}" ;;
        ratio)
            if [ "${STATUS[native|$2]:-}" = ok ]; then
                awk -v a="${NS[$k]}" -v b="${NS[native|$2]}" 'BEGIN { r = a / b;
                    if (r < 10) printf "%.2fx", r; else if (r < 100) printf "%.1fx", r; else printf "%.0fx", r }'
            else echo "-"; fi ;;
        exits)
            if [ "${EXITS[$k]:-}" = "?" ]; then echo "?[${FNX[$k]}]"
            elif [ -n "${EXITS_TOTAL[$k]:-}" ]; then echo "${EXITS_TOTAL[$k]}"
            else echo "-"; fi ;;
        esac ;;
    na)   echo "n/a[${FN[$k]}]" ;;
    fail) echo "fail[${FN[$k]}]" ;;
    esac
}
table() {   # table KIND ENGINES...
    local kind=$1 e r; shift
    printf '%-22s' "operation"
    for e in "$@"; do printf ' %10s' "$e"; done
    echo
    for r in $ROWS; do
        printf '%-22s' "${LABEL[$r]}"
        for e in "$@"; do printf ' %10s' "$(cell "$e" "$r" "$kind")"; done
        echo
    done
}

echo
echo "Microbenchmarks (Adams & Agesen, ASPLOS 2006, Table 1): ns per operation"
table ns $ENGINES
echo
echo "Slowdown: engine / native (same operation)"
table ratio qemu-tcg interp bt vmx vmx-2006 kvm bt-pv vmx-pv
echo
echo "Exits per operation (--stats, all SDM exit reasons; runs of iters=N minus iters=N/8)"
table exits $STATS_ENGINES
echo
echo "What the exits are (reason: exits/op x the VMM's mean handling time; then ns/op / exits/op,"
echo "the whole cost per exit including entry, exit and the guest's own work, when exits dominate):"
for e in $STATS_ENGINES; do
    for r in $ROWS; do
        k="$e|$r"
        f=${EXITS[$k]:-}
        [ -n "$f" ] && [ "$f" != "?" ] || continue
        line=$(awk -F'|' '$1 == "exit" && $3 >= 0.05 {
                   printf "%s%s %.2f x %s ns", sep, $2, $3, $4; sep = ", " }' "$f")
        bt=$(awk -F'|' '$1 == "bt" && $3 >= 0.05 {
                   printf "%s%s %.2f", sep, $2, $3; sep = ", " }' "$f")
        [ -n "$line" ] || [ -n "$bt" ] || continue
        per=$(awk -v ns="${NS[$k]}" -v x="${EXITS_TOTAL[$k]}" \
              'BEGIN { if (x >= 0.5) printf "; %.0f ns per exit", ns / x }')
        printf '  %-9s %-21s %s%s\n' "$e" "${LABEL[$r]}:" "${line:-no exits}" "$per"
        [ -n "$bt" ] && printf '  %-9s %-21s BT callouts/op: %s\n' "" "" "$bt"
    done
done
echo
echo "Time: guest cycles (rdtsc) / (tsc_per_tick x 100 Hz), the guest's own TSC calibration against"
echo "the PIT; measured rates:$(for e in qemu-tcg interp bt vmx vmx-2006 kvm bt-pv vmx-pv; do
    [ "${STATUS[$e|syscall]:-}" = ok ] && printf ' %s %s MHz,' "$e" "${MHZ[$e|syscall]}"; done) host TSC $HOST_MHZ MHz."
echo "Native: CLOCK_MONOTONIC around the loop. Iterations (guest iters=, native N):$(for r in $ROWS; do printf ' %s %s' "$r" "${ITERS[$r]}"; done)."
# glibc's getpid (vDSO sysenter), next to the int $0x80 row.
VSYSCALL=$("$NATIVE" vsyscall "${ITERS[syscall]}" 2>/dev/null | sed -n 's/.* ns_per_op=//p')
vs=$VSYSCALL
if grep -qw hypervisor /proc/cpuinfo 2>/dev/null; then
    echo "Native caveat: this host is itself a virtual machine (CPUID hypervisor bit); native int \$0x80"
    echo "  costs $(fmt "${NS[native|syscall]:-0}") ns here, while glibc's getpid through the vDSO (sysenter) costs" \
         "$(fmt "${vs:-0}") ns, so native gates and exceptions may include the outer hypervisor."
fi
for i in "${!FOOTS[@]}"; do echo "[$((i + 1))] ${FOOTS[$i]}"; done

# ---- JSON -------------------------------------------------------------------------
js() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
{
    printf '{\n  "benchmark": "micro",\n'
    printf '  "reference": "Adams & Agesen, ASPLOS 2006, Table 1",\n'
    printf '  "unit": "ns per operation",\n  "quick": %s,\n' "$([ "$QUICK" = 1 ] && echo true || echo false)"
    printf '  "time_source": %s,\n' "$(js "guest: rdtsc cycles / (tsc_per_tick x 100 Hz, the guest's TSC calibrated against the PIT); native: CLOCK_MONOTONIC")"
    printf '  "exits_per_op": %s,\n' "$(js "--stats counts of iters=N minus iters=N/8, divided by the difference in operations")"
    printf '  "host_tsc_mhz": %s,\n' "${HOST_MHZ:-null}"
    printf '  "native_vdso_getpid_ns": %s,\n' "${VSYSCALL:-null}"
    printf '  "engines": ['
    sep=
    for e in $ENGINES; do
        printf '%s\n    {"engine": %s, "what": %s, "available": %s' "$sep" "$(js "$e")" "$(js "${WHAT[$e]}")" \
            "$([ "${AVAIL[$e]}" = 1 ] && echo true || echo false)"
        [ "${AVAIL[$e]}" = 1 ] || printf ', "why": %s' "$(js "${WHY_NA[$e]}")"
        printf '}'; sep=,
    done
    printf '\n  ],\n  "rows": ['
    sep=
    for r in $ROWS; do
        printf '%s\n    {"row": %s, "label": %s, "iters": %s}' "$sep" "$(js "$r")" "$(js "${LABEL[$r]}")" "${ITERS[$r]}"
        sep=,
    done
    printf '\n  ],\n  "cells": ['
    sep=
    for r in $ROWS; do
        for e in $ENGINES; do
            k="$e|$r"
            printf '%s\n    {"row": %s, "engine": %s, "status": %s' "$sep" "$(js "$r")" "$(js "$e")" \
                "$(js "${STATUS[$k]/na/n\/a}")"
            sep=,
            if [ "${STATUS[$k]}" != ok ]; then printf ', "why": %s}' "$(js "${NOTE[$k]}")"; continue; fi
            printf ', "ns_per_op": %s' "${NS[$k]}"
            [ -n "${CYC[$k]:-}" ] && printf ', "guest_cycles_per_op": %s, "tsc_mhz": %s' "${CYC[$k]}" "${MHZ[$k]}"
            [ "${STATUS[native|$r]}" = ok ] && [ "$e" != native ] &&
                printf ', "ratio_to_native": %s' "$(awk -v a="${NS[$k]}" -v b="${NS[native|$r]}" 'BEGIN { printf "%.3f", a / b }')"
            f=${EXITS[$k]:-}
            if [ "$f" = "?" ]; then printf ', "exits_note": %s' "$(js "${NOTE[$k]}")"
            elif [ -n "$f" ]; then
                printf ', "exits_total_per_op": %s, "exits_per_op": {%s}, "bt_callouts_per_op": {%s}' "${EXITS_TOTAL[$k]}" \
                    "$(awk -F'|' '$1 == "exit" { gsub(/"/, "", $2); printf "%s\"%s\": {\"per_op\": %s, \"mean_ns\": %s}", s, $2, $3, $4; s = ", " }' "$f")" \
                    "$(awk -F'|' '$1 == "bt" { gsub(/"/, "", $2); printf "%s\"%s\": %s", s, $2, $3; s = ", " }' "$f")"
            fi
            printf '}'
        done
    done
    printf '\n  ]\n}\n'
} >"$OUT/micro.json"
say "wrote $OUT/micro.json in $(awk -v a="$START" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
[ "$failures" = 0 ]
