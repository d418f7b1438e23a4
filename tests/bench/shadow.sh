#!/bin/bash
# tests/bench/shadow.sh — stage 04's numbers (04-memory/README.md): the
# Adams & Agesen microbenchmarks that guest paging makes expensive, and a
# fork-like one (forkexit: an address space built and torn down), side by
# side in one run, under
#   native   build/bench/micro.linux32 (tests/bench/native/micro_native.c)
#   bt-01    build/vmm-bt --engine bt: stage 01, one window dropped whole
#            at every CR3 write
#   bt-04    build/vmm-mem --engine bt: shadow address spaces cached per
#            CR3, guest tables write-protected (04-memory/shadow.h)
#   vmx-sh   build/vmm-mem --engine vmx --mmu shadow: the VMX model, shadow
#            tables kept through CR3-load, INVLPG and #PF exits
#   vmx-ept  build/vmm-mem --engine vmx --mmu ept: the VMX model on EPT
# ns per operation as micro.sh measures them (the guest's rdtsc loop, its
# own TSC rate), the slowdown against native, and what each operation
# cost the translator (--stats of a run with iters=N minus one with N/8,
# divided by the difference in operations): hidden page faults, whole
# windows dropped, gs base writes (view switches), shadow-cache hits,
# guest table writes trapped.  No pass/fail on speed; the status is
# non-zero when a run that should work did not.
#
# Environment: SHADOW_QUICK=1 (tiny counts, numbers meaningless: the
# smoke test in tests/mem/mem.sh; ctxswitch keeps 200 switches, enough
# for its per-operation counts to stand above the switches that timer
# preemption adds in its second phase).
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
GUEST=$BUILD/guest/guest.elf
. "$ROOT/tests/bench/native/host.sh"
NATIVE=$(native_bin micro)
QUICK=${SHADOW_QUICK:-0}
WORK=$(mktemp -d /tmp/vmlab-shadow.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
for f in "$GUEST" "$BUILD/vmm-bt" "$BUILD/vmm-mem" "$NATIVE"; do
    [ -e "$f" ] || { echo "shadow: $f is missing: run 'make' first" >&2; exit 1; }
done

# row: label | RESULT filter | ops key | cycles key | iters | quick iters
ROWS="syscall pagefault ptemod ctxswitch forkexit"
declare -A LABEL FILTER OPSKEY CYCKEY ITERS
def() { LABEL[$1]=$2 FILTER[$1]=$3 OPSKEY[$1]=$4 CYCKEY[$1]=$5
        ITERS[$1]=$([ "$QUICK" = 1 ] && echo "$7" || echo "$6"); }
def syscall   "syscall (int 0x80)" ""          calls    cycles       20000 200
def pagefault "page fault"         ""          pages    fault_cycles 4096  16
def ptemod    "PTE modification"   ""          toggles  cycles       5000  20
def ctxswitch "context switch"     "mode=yield" switches cycles      2000  200
def forkexit  "fork/exit"          ""          spawns   cycles       200   8
ENGINES="bt-01 bt-04"
declare -A BIN=([bt-01]=vmm-bt [bt-04]=vmm-mem)

run() {  # run ENGINE ROW ITERS LOG
    timeout 300 "$BUILD/${BIN[$1]}" --engine bt --stats --timeout 240 "$GUEST" \
        -- "test=$2" "iters=$3" </dev/null >"$4" 2>&1
    echo $? >"$4.rc"
}
# parse LOG ROW: "ops cycles tsc_per_tick ops_total" (as micro.sh).
parse() {
    awk -v p="$2" -v f="${FILTER[$2]}" -v ok="${OPSKEY[$2]}" -v ck="${CYCKEY[$2]}" '
        { sub(/\r$/, "") }
        /vmlab: guest kernel/ { for (i = 1; i <= NF; i++) if ($i ~ /^tsc_per_tick=/) tpt = substr($i, 14) }
        $1 == "RESULT" && $2 == p {
            o = ""; c = ""
            for (i = 3; i <= NF; i++) {
                k = $i; sub(/=.*/, "", k); v = substr($i, length(k) + 2)
                if (k == ok) o = v; if (k == ck) c = v
            }
            if (o != "") tot += o
            if (!got && o != "" && c != "" && (f == "" || index($0, f))) { ops = o; cyc = c; got = 1 }
        }
        END { if (got && tpt > 0 && ops > 0) print ops, cyc, tpt, tot }' "$1"
}
# counters LOG: "hidden flushes gs hits trapped" from --stats (0 if absent).
counters() {
    awk '
        function num(s, re,   t) { if (match(s, "[0-9]+ " re)) { t = substr(s, RSTART, RLENGTH); sub(/ .*/, "", t); return t } return 0 }
        /^bt: window:/ { h = num($0, "hidden page faults"); f = num($0, "window flushes"); g = num($0, "view switches") }
        /^shadow: [0-9]+ address-space switches/ { s = $0; sub(/.*switches: /, "", s); hit = s + 0 }
        /^shadow: write protection:/ { w = num($0, "guest table writes trapped") }
        END { printf "%d %d %d %d %d\n", h, f, g, hit, w }' "$1"
}
# ns_per_op OPS CYCLES TSC_PER_TICK: nanoseconds per operation (the guest's
# TSC runs tsc_per_tick * 100 cycles a second).
ns_per_op() { awk -v o="$1" -v c="$2" -v t="$3" 'BEGIN { printf "%.1f", c / o / (t * 100) * 1e9 }'; }
# per_op COUNTERS LOG BASE_LOG OPS: each counter COUNTERS (a function) reads,
# LOG's less BASE_LOG's, per one of the OPS operations between the two runs.
per_op() {
    paste -d' ' <("$1" "$2" | tr ' ' '\n') <("$1" "$3" | tr ' ' '\n') |
        awk -v d="$4" '{ printf "%s%.2f", (NR > 1 ? " " : ""), ($1 - $2) / d }'
}

declare -A NS PEROP STATUS NATIVE_NS
failures=0
echo "shadow: stage 04 microbenchmarks, one run per cell$([ "$QUICK" = 1 ] && echo ' (SHADOW_QUICK: tiny counts, numbers meaningless)')"
for r in $ROWS; do
    n=${ITERS[$r]}
    v=$("$NATIVE" "$r" "$n" 2>/dev/null | sed -n "s/^RESULT native $r ops=.* ns_per_op=\([0-9.]*\)$/\1/p")
    NATIVE_NS[$r]=${v:-}
    for e in $ENGINES; do
        k="$e|$r"
        run "$e" "$r" "$n" "$WORK/$k.log"
        read -r ops cyc tpt tot < <(parse "$WORK/$k.log" "$r")
        if [ "$(cat "$WORK/$k.log.rc")" != 0 ] || ! grep -q "^PASS $r" "$WORK/$k.log" || [ -z "${ops:-}" ]; then
            STATUS[$k]=fail
            failures=$((failures + 1))
            echo "shadow: $e $r iters=$n failed: $(grep -v '^ ' "$WORK/$k.log" | tail -n 1)"
            continue
        fi
        STATUS[$k]=ok
        NS[$k]=$(ns_per_op "$ops" "$cyc" "$tpt")
        n0=$(( n / 8 > 0 ? n / 8 : 1 ))
        run "$e" "$r" "$n0" "$WORK/$k.base.log"
        read -r _ _ _ tot0 < <(parse "$WORK/$k.base.log" "$r")
        if [ -z "${tot0:-}" ] || [ "$tot" -le "$tot0" ]; then PEROP[$k]="? ? ? ? ?"; continue; fi
        PEROP[$k]=$(per_op counters "$WORK/$k.log" "$WORK/$k.base.log" $((tot - tot0)))
    done
done

fmt() { awk -v v="$1" 'BEGIN { if (v < 10) printf "%.2f", v; else if (v < 100) printf "%.1f", v; else printf "%.0f", v }'; }
ratio() { [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }' || echo "-"; }
echo
echo "Shadow paging (stage 04): ns per operation, and engine / native"
printf '%-20s %10s %12s %12s %10s %10s %12s\n' operation native bt-01 bt-04 bt-01/nat bt-04/nat bt-01/bt-04
for r in $ROWS; do
    a=${NS[bt-01|$r]:-} b=${NS[bt-04|$r]:-} nat=${NATIVE_NS[$r]}
    printf '%-20s %10s %12s %12s %10s %10s %12s\n' "${LABEL[$r]}" "${nat:+$(fmt "$nat")}" \
        "${a:+$(fmt "$a")}" "${b:+$(fmt "$b")}" "$([ -n "$a" ] && ratio "$a" "$nat")" \
        "$([ -n "$b" ] && ratio "$b" "$nat")" "$([ -n "$a" ] && [ -n "$b" ] && ratio "$a" "$b")"
done
echo
echo "Per operation (--stats, iters=N minus iters=N/8): hidden page faults, windows dropped whole,"
echo "gs base writes (view switches), shadow-cache hits, guest table writes trapped"
printf '%-20s %-6s %8s %8s %8s %8s %8s\n' operation engine hidden dropped gs-write hits trapped
for r in $ROWS; do
    for e in $ENGINES; do
        [ "${STATUS[$e|$r]:-}" = ok ] || continue
        read -r h f g hit w <<<"${PEROP[$e|$r]}"
        printf '%-20s %-6s %8s %8s %8s %8s %8s\n' "${LABEL[$r]}" "$e" "$h" "$f" "$g" "$hit" "$w"
    done
done
# What the host charges for a gs base write (micro.linux64 gsbase): the
# translator makes one at every kernel/user view change and every switch
# to another window, which this host may make a system call.
G=$("$BUILD/bench/micro.linux64" gsbase "$([ "$QUICK" = 1 ] && echo 200 || echo 20000)" 2>/dev/null |
    sed -n 's/^RESULT native gsbase \([a-z_]*\) ops=.* ns_per_op=\([0-9.]*\)$/\1 \2/p')
read -r GHOW GNS <<<"$G"
if [ -n "${GNS:-}" ]; then
    echo
    echo "The host's gs base write ($GHOW): $(fmt "$GNS") ns.  bt-04 less its gs writes (gs-write/op x that):"
    printf '%-20s %12s %12s %10s\n' operation bt-04 "bt-04 - gs" "/native"
    for r in $ROWS; do
        [ "${STATUS[bt-04|$r]:-}" = ok ] || continue
        read -r _ _ g _ _ <<<"${PEROP[bt-04|$r]}"
        rest=$(awk -v a="${NS[bt-04|$r]}" -v g="$g" -v c="$GNS" 'BEGIN { v = a - g * c; printf "%.1f", v < 0 ? 0 : v }')
        printf '%-20s %12s %12s %10s\n' "${LABEL[$r]}" "$(fmt "${NS[bt-04|$r]}")" "$(fmt "$rest")" \
            "$(ratio "$rest" "${NATIVE_NS[$r]}")"
    done
fi

# The VMX model (vmm-mem --engine vmx): shadow paging kept through exits
# (--mmu shadow) against EPT (--mmu ept), per operation as above: all VM
# exits, the paging exits among them (#PF, INVLPG, CR access, EPT
# violation/misconfiguration), TLB misses walked, memory references of
# those walks (shadow: 2 each; EPT: the 2-D walk, up to 14).
VMX_ENGINES="vmx-sh vmx-ept"
declare -A VMXMMU=([vmx-sh]=shadow [vmx-ept]=ept)
runv() {  # runv ENGINE ROW ITERS LOG
    timeout 300 "$BUILD/vmm-mem" --engine vmx --mmu "${VMXMMU[$1]}" --stats --timeout 240 "$GUEST" \
        -- "test=$2" "iters=$3" </dev/null >"$4" 2>&1
    echo $? >"$4.rc"
}
# vcounters LOG: "exits paging-exits walks references" from --stats.
vcounters() {
    awk '
        /stats: engine vmx/ { for (i = 1; i < NF; i++) if ($(i + 1) == "exits,") x = $i }
        /^  / && $(NF - 2) ~ /^[0-9]+$/ { r = $(NF - 3); if (r == 0 || r == 14 || r == 28 || r == 48 || r == 49) p += $(NF - 2) }
        /^ept: [0-9]+ walks/ { w = $2; s = $0; sub(/.*: /, "", s); split(s, a, " "); refs = a[1] + a[4] }
        /^shadow: [0-9]+ #PF exits/ { s = $0; sub(/ walks$/, "", s); n = split(s, a, " "); w = a[n]; refs = 2 * w }
        END { printf "%d %d %d %d\n", x, p, w, refs }' "$1"
}
# vmemory LOG: KiB of the VMM's tables (EPT, or shadow page tables at most + directories).
vmemory() {
    sed -n -e 's/^ept: VMM: .*, \([0-9]*\) KiB of EPT tables.*/\1/p' \
        -e 's/^shadow: memory: .*at most \([0-9]*\) KiB) + \([0-9]*\) KiB.*/\1 \2/p' "$1" |
        awk '{ print $1 + $2 }'
}
declare -A VNS VPEROP VMEM
for r in $ROWS; do
    n=${ITERS[$r]}
    n0=$(( n / 8 > 0 ? n / 8 : 1 ))
    for e in $VMX_ENGINES; do
        k="$e|$r"
        runv "$e" "$r" "$n" "$WORK/$k.log"
        read -r ops cyc tpt tot < <(parse "$WORK/$k.log" "$r")
        if [ "$(cat "$WORK/$k.log.rc")" != 0 ] || ! grep -q "^PASS $r" "$WORK/$k.log" || [ -z "${ops:-}" ]; then
            failures=$((failures + 1))
            echo "shadow: $e $r iters=$n failed: $(grep -v '^ ' "$WORK/$k.log" | tail -n 1)"
            continue
        fi
        VNS[$k]=$(ns_per_op "$ops" "$cyc" "$tpt")
        VMEM[$k]=$(vmemory "$WORK/$k.log")
        runv "$e" "$r" "$n0" "$WORK/$k.base.log"
        read -r _ _ _ tot0 < <(parse "$WORK/$k.base.log" "$r")
        if [ -z "${tot0:-}" ] || [ "$tot" -le "$tot0" ]; then VPEROP[$k]="? ? ? ?"; continue; fi
        VPEROP[$k]=$(per_op vcounters "$WORK/$k.log" "$WORK/$k.base.log" $((tot - tot0)))
    done
done
echo
echo "The VMX model: shadow paging (vmx-sh) against EPT (vmx-ept), per operation (iters=N minus N/8):"
echo "ns, VM exits, paging exits (#PF, INVLPG, CR access, EPT 48/49), TLB misses walked, walk"
echo "references; KiB of the VMM's tables (shadow page tables at their most, or the EPT)"
printf '%-20s %-8s %10s %8s %8s %8s %8s %6s\n' operation engine ns exits paging walks refs KiB
for r in $ROWS; do
    for e in $VMX_ENGINES; do
        [ -n "${VNS[$e|$r]:-}" ] || continue
        read -r x p w f <<<"${VPEROP[$e|$r]}"
        printf '%-20s %-8s %10s %8s %8s %8s %8s %6s\n' "${LABEL[$r]}" "$e" "$(fmt "${VNS[$e|$r]}")" \
            "$x" "$p" "$w" "$f" "${VMEM[$e|$r]:-?}"
    done
done
echo "Native: $NATIVE_LABEL; iterations:$(for r in $ROWS; do printf ' %s %s' "$r" "${ITERS[$r]}"; done)."
[ "$failures" = 0 ]
