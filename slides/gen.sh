#!/bin/bash
# slides/gen.sh BUILD OUT — the numbers of the lecture decks, measured now.
#
# `make slides` runs it before pandoc: every table a deck includes (a code
# block of class "include", slides/theme/include.lua) is written here into
# OUT from a run of the toolkit's own binaries in BUILD, so a slide shows
# what the code does today.  Counts of exits, helper calls and faults are
# the lesson; the few times shown are one run on the build machine, and a
# deck says so.  A run that fails stops the build with its last lines.
set -u
BUILD=${1:?usage: slides/gen.sh BUILD OUT}
OUT=${2:?usage: slides/gen.sh BUILD OUT}
GUEST=$BUILD/guest/guest.elf
GUEST_PV=$BUILD/guest/guest-pv.elf
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/vmlab-slides.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

die() { echo "slides/gen.sh: error: $*" >&2; exit 1; }

# run NAME CMD... : run a VMM with --stats; stdout to $TMP/NAME.out, stderr
# (the statistics) to $TMP/NAME.err; a failed run stops the build.  The
# programs chosen do not measure time, but a VMM on a heavily loaded host
# can still miss a --timeout: one more try before giving up.
run() {
    local name=$1; shift
    "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null && return 0
    "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null ||
        die "$* failed (status $?): $(grep -m1 -e FAIL -e error: "$TMP/$name.out" "$TMP/$name.err" | tr '\n' '|')"
}

# exits FILE REASON : the count of one exit reason in a --stats table (0 if absent).
exits() {
    awk -v r="$2" '$0 ~ "^  " r " +[0-9]+ +[0-9]+ " { for (i = 1; i <= NF; i++)
        if ($i ~ /^[0-9]+$/) { n++; if (n == 2) { print $i; f = 1; exit } } }
        END { if (!f) print 0 }' "$1"
}
# total FILE : "N exits" of the stats headline.
total() { sed -n 's/.*, \([0-9]*\) exits,.*/\1/p' "$1" | head -1; }
instrs() { sed -n 's/.* \([0-9]*\) guest instructions.*/\1/p' "$1" | head -1; }
secs() { sed -n 's/.*stats: engine [a-z]*, \([0-9.]*\) s,.*/\1/p' "$1" | head -1; }

# ---- deck 01: one guest, every VMM ------------------------------------------
run_all() {
    local f=$OUT/run-all.md
    {
        echo "| command | engine | guest says | VM exits | guest instructions |"
        echo "|---|---|---|---:|---:|"
        while read -r name bin engine image; do
            run "$name" "$BUILD/$bin" --engine "$engine" --stats --timeout 60 "$image" -- test=hello
            echo "| \`$bin\` | $engine | $(grep -m1 '^PASS\|^FAIL' "$TMP/$name.out") |" \
                "$(total "$TMP/$name.err") | $(instrs "$TMP/$name.err") |"
        done <<EOF
i vmm-bt interp $GUEST
b vmm-bt bt $GUEST
p vmm-pv bt $GUEST_PV
v vmm-hw vmx $GUEST
m vmm-mem bt $GUEST
EOF
    } >"$f"
}

# ---- deck 02: which kernel answers --------------------------------------------
kernels() {
    local f=$OUT/kernels.md host ns vm
    host=$(uname -sr)
    if ns=$(unshare --user --map-root-user --uts --pid --fork --mount-proc \
            sh -c 'hostname box && echo "$(uname -sr)|$(hostname)|$(ps -e --no-headers | wc -l)"' 2>&1); then
        :
    else
        ns="not allowed on this machine|$(echo "$ns" | head -n 1)|—"
    fi
    run k "$BUILD/vmm-bt" --engine interp --timeout 60 "$GUEST" -- test=hello
    vm=$(sed -n 's/^\(vmlab: guest kernel\),.*/\1 (the teaching OS)/p' "$TMP/k.out")
    {
        echo "| asked from | kernel that answers | host name | processes visible |"
        echo "|---|---|---|---:|"
        echo "| a host shell | $host | $(hostname) | $(ps -e --no-headers | wc -l) |"
        echo "| \`unshare --user --uts --pid\` (a container's namespaces) | ${ns//|/ | } |"
        echo "| \`vmm-bt\` (a VM) | ${vm:-?} | — | 1 kernel, its own tasks |"
    } >"$f"
}

# ---- deck 03: what ring 3 can see ---------------------------------------------
sensitive() {
    run s "$BUILD/vmm-bt" --engine interp --timeout 60 "$GUEST" -- test=sensitive
    grep '^RESULT sensitive ring=' "$TMP/s.out" | awk '
        { for (i = 3; i <= NF; i++) { split($i, kv, "="); k = kv[1]; v = kv[2]
              if (!(k in seen)) { seen[k] = 1; keys[++n] = k }
              val[NR, k] = v } }
        END { print "| field | ring 0 (kernel) | ring 3 (user) |"; print "|---|---|---|"
              for (j = 1; j <= n; j++) {
                  a = ((1, keys[j]) in val) ? "`" val[1, keys[j]] "`" : "—"
                  b = ((2, keys[j]) in val) ? "`" val[2, keys[j]] "`" : "—"
                  print "| " keys[j] " | " a " | " b " |" } }' >"$OUT/sensitive.md"
    [ -s "$OUT/sensitive.md" ] || die "no RESULT lines from test=sensitive"
}

# ---- deck 04: binary translation at work --------------------------------------
bt() {
    run bt "$BUILD/vmm-bt" --engine bt --stats --timeout 60 "$GUEST" -- test=syscall
    # "cli 7, mov crN, r 4 [28], ..." : one "name count [reason]" per line
    sed -n 's/^bt: helper calls[^:]*: //p' "$TMP/bt.err" | sed 's/\([0-9]\]*\), /\1\n/g' | awk '
        BEGIN { print "| instruction | helper calls | VT-x exit it would cause (SDM Vol. 3C Table C-1) |"
                print "|---|---:|---|"
                name[10] = "CPUID"; name[12] = "HLT"; name[14] = "INVLPG"; name[16] = "RDTSC"
                name[18] = "VMCALL"; name[28] = "control-register access"; name[30] = "I/O instruction"
                name[31] = "RDMSR"; name[32] = "WRMSR"; name[46] = "access to GDTR or IDTR"
                name[47] = "access to LDTR or TR" }
        NF { r = "none: runs in non-root mode"
             if (match($0, /\[[0-9]+\]/)) { x = substr($0, RSTART + 1, RLENGTH - 2); r = x " " name[x] }
             sub(/ *\[[0-9]+\]/, ""); n = $NF; $NF = ""; sub(/ +$/, "")
             print "| `" $0 "` | " n " | " r " |" }' >"$OUT/bt-helpers.md"
    grep -E '^(vmm-bt: stats|bt: [0-9]+ instructions|bt: identical|bt: window)' "$TMP/bt.err" |
        fold -s -w 100 >"$OUT/bt-stats.txt"
}

# A bench-style row per engine: the guest's own RDTSC around test=compute
# (cycles per iteration), beside the same code as a native process
# (tests/bench/run.sh does this carefully, calibrated; here one short run).
compute() {
    local iters=20 e cyc native=""
    . tests/bench/native/host.sh
    if [ -x "$(native_bin compute)" ]; then
        native=$("$(native_bin compute)" "$iters" | sed -n 's/.*cycles_per_iter=\([0-9]*\).*/\1/p')
    fi
    {
        echo "| \`test=compute iters=$iters\` | cycles per iteration | / native |"
        echo "|---|---:|---:|"
        for e in "vmm-bt interp" "vmm-bt bt" "vmm-hw vmx"; do
            set -- $e
            run c "$BUILD/$1" --engine "$2" --timeout 120 "$GUEST" -- test=compute iters=$iters
            cyc=$(sed -n 's/.*cycles_per_iter=\([0-9]*\).*/\1/p' "$TMP/c.out")
            echo "| \`$1 --engine $2\` | $cyc | $( [ -n "$native" ] && awk -v a="$cyc" -v b="$native" 'BEGIN { printf "%.1fx", a / b }') |"
        done
        if [ -n "$native" ]; then echo "| $NATIVE_LABEL process | $native | 1.0x |"
        else echo "| native process | not built (\`make bench\` builds it) | |"; fi
    } >"$OUT/compute.md"
}

# ---- deck 05: the same programs, unmodified and paravirtual -------------------
pv() {
    run pu "$BUILD/vmm-bt" --engine interp --stats --timeout 60 "$GUEST" -- test=forkexit
    run pp "$BUILD/vmm-pv" --engine interp --stats --timeout 60 "$GUEST_PV" -- test=forkexit
    {
        echo "| exit (SDM Vol. 3C Table C-1) | unmodified kernel (\`vmm-bt --engine interp\`) | PV kernel (\`vmm-pv --engine interp\`) |"
        echo "|---|---:|---:|"
        for r in "HLT" "I/O instruction" "VMCALL"; do
            echo "| $r | $(exits "$TMP/pu.err" "$r") | $(exits "$TMP/pp.err" "$r") |"
        done
        echo "| **all exits** | **$(total "$TMP/pu.err")** | **$(total "$TMP/pp.err")** |"
    } >"$OUT/pv-exits.md"
    sed -n 's/^pv: hypercalls: //p' "$TMP/pp.err" | sed 's/; .*//' |
        grep -oE '[a-z_0-9]+ [0-9]+( \([0-9]+ errors\))?' | awk '
        BEGIN { print "| hypercall | calls |"; print "|---|---:|" }
        { e = ""; if (match($0, /\([0-9]+ errors\)/)) e = " (" substr($0, RSTART + 1, RLENGTH - 9) " refused)"
          print "| `" $1 "` | " $2 e " |" }' >"$OUT/pv-hypercalls.md"
}

# ---- deck 06: VMX controls decide the exits -----------------------------------
vmx() {
    local cfgs=("default" "hlt=off" "io=bitmap:0x3f8" "cr3load=on" "rdtsc=on")
    local reasons=("External interrupt" "Interrupt window" "CPUID" "HLT" "RDTSC"
                   "Control-register accesses" "I/O instruction")
    local i c
    for i in "${!cfgs[@]}"; do
        c=${cfgs[$i]}
        if [ "$c" = default ]; then
            run "x$i" "$BUILD/vmm-hw" --engine vmx --stats --timeout 60 "$GUEST" -- test=forkexit
        else
            run "x$i" "$BUILD/vmm-hw" --engine vmx --stats --timeout 60 --vmx-controls "$c" "$GUEST" -- test=forkexit
        fi
        grep -q '^FAIL' "$TMP/x$i.out" && die "vmm-hw --vmx-controls $c: a program failed"
    done
    {
        printf '| exit reason |'; for c in "${cfgs[@]}"; do printf ' `%s` |' "$c"; done; echo
        printf '|---|'; for c in "${cfgs[@]}"; do printf -- '---:|'; done; echo
        for r in "${reasons[@]}"; do
            printf '| %s |' "$r"
            for i in "${!cfgs[@]}"; do printf ' %s |' "$(exits "$TMP/x$i.err" "$r")"; done; echo
        done
        printf '| **all exits** |'
        for i in "${!cfgs[@]}"; do printf ' **%s** |' "$(total "$TMP/x$i.err")"; done; echo
        printf '| guest says |'
        for i in "${!cfgs[@]}"; do printf ' %s PASS |' "$(grep -c '^PASS' "$TMP/x$i.out")"; done; echo
    } >"$OUT/vmx-controls.md"
    grep -E '^vmx: ' "$TMP/x0.err" | grep -v 'I/O exits by port' | fold -s -w 100 >"$OUT/vmx-stats.txt"
}

# ---- deck 07: a context switch, one window vs cached shadows -------------------
shadow() {
    run s1 "$BUILD/vmm-bt" --engine bt --stats --timeout 60 "$GUEST" -- test=ctxswitch iters=100
    run s4 "$BUILD/vmm-mem" --engine bt --stats --timeout 60 "$GUEST" -- test=ctxswitch iters=100
    local w='s/.* \([0-9]*\) hidden page faults.* \([0-9]*\) window flushes.*/\1 \2/p'
    local a b
    read -r a b < <(sed -n "$w" "$TMP/s1.err")
    local c d
    read -r c d < <(sed -n "$w" "$TMP/s4.err")
    {
        echo "| \`test=ctxswitch iters=100\` | stage 01 \`vmm-bt --engine bt\` | stage 04 \`vmm-mem --engine bt\` |"
        echo "|---|---:|---:|"
        echo "| hidden page faults (shadow entries filled) | $a | $c |"
        echo "| shadow dropped whole (window flushes) | $b | $d |"
        echo "| guest instructions | $(instrs "$TMP/s1.err") | $(instrs "$TMP/s4.err") |"
        echo "| seconds (one run on the build machine) | $(secs "$TMP/s1.err") | $(secs "$TMP/s4.err") |"
    } >"$OUT/shadow.md"
    grep '^shadow: ' "$TMP/s4.err" | fold -s -w 100 >"$OUT/shadow-stats.txt"
}

# ---- decks 08-09: what device emulation costs ---------------------------------
port_name() {
    case $1 in
        0x3f8) echo "UART data (THR/RBR; divisor low with DLAB=1)" ;;
        0x3f9) echo "UART interrupt enable" ;;
        0x3fa) echo "UART FIFO control" ;;
        0x3fb) echo "UART line control" ;;
        0x3fc) echo "UART modem control" ;;
        0x3fd) echo "UART line status (is THR empty?)" ;;
        0x3ff) echo "UART scratch" ;;
        0x20|0xa0) echo "8259 PIC command (EOI)" ;;
        0x21|0xa1) echo "8259 PIC interrupt mask" ;;
        0x40) echo "8254 PIT counter 0" ;;
        0x43) echo "8254 PIT mode" ;;
        0xf4) echo "debug exit: the end of the run" ;;
        *) echo "?" ;;
    esac
}
io() {
    run io "$BUILD/vmm-bt" --engine interp --stats --timeout 60 --trace "$TMP/io.trace" "$GUEST" -- test=hello
    "$BUILD/vmtrace" "$TMP/io.trace" >"$TMP/io.txt" || die "vmtrace could not read the trace"
    local bytes
    bytes=$(sed -n 's/.*console \([0-9]*\) bytes.*/\1/p' "$TMP/io.err")
    {
        echo "| port | device register | direction | exits |"
        echo "|---|---|---|---:|"
        awk '/ exit .*I\/O instruction/ { split($0, a, "port="); split(a[2], p, " ")
                 n[p[1] " " (($0 ~ / in port=/) ? "in" : "out")]++ }
             END { for (k in n) print n[k], k }' "$TMP/io.txt" | sort -rn |
            while read -r count port dir; do
                echo "| \`$port\` | $(port_name "$port") | $dir | $count |"
            done
        echo "| **all** | $bytes bytes printed on the console | | **$(exits "$TMP/io.err" "I\/O instruction")** |"
    } >"$OUT/io-ports.md"
}

# ---- deck 09: port I/O "passed through": no exit, the same result ---------------
passthrough() {
    run pt0 "$BUILD/vmm-hw" --engine vmx --stats --timeout 60 "$GUEST" -- test=hello
    run pt1 "$BUILD/vmm-hw" --engine vmx --stats --timeout 60 --vmx-controls io=none "$GUEST" -- test=hello
    local direct
    direct=$(sed -n 's/.* \([0-9]*\) of [0-9]* IN\/OUT ran without an exit.*/\1/p' "$TMP/pt1.err")
    {
        echo "| \`vmm-hw --engine vmx\`, \`test=hello\` | I/O exiting (default) | \`--vmx-controls io=none\` |"
        echo "|---|---:|---:|"
        for r in "I/O instruction" "HLT" "External interrupt"; do
            echo "| $r exits | $(exits "$TMP/pt0.err" "$r") | $(exits "$TMP/pt1.err" "$r") |"
        done
        echo "| IN/OUT that went straight to the device | 0 | ${direct:-?} |"
        echo "| **all exits** | **$(total "$TMP/pt0.err")** | **$(total "$TMP/pt1.err")** |"
        echo "| guest says | $(grep -m1 '^PASS\|^FAIL' "$TMP/pt0.out") | $(grep -m1 '^PASS\|^FAIL' "$TMP/pt1.out") |"
    } >"$OUT/passthrough.md"
}

# The runs that count events go two at a time (their counts do not depend on
# the load); the bench-style cycles table runs alone, last.
pids=()
for f in run_all kernels sensitive bt pv vmx shadow io passthrough; do
    "$f" &
    pids+=($!)
    [ ${#pids[@]} -ge 2 ] && { wait "${pids[0]}" || exit 1; pids=("${pids[@]:1}"); }
done
for p in "${pids[@]}"; do wait "$p" || exit 1; done
compute
echo "slides: the decks' tables measured into $OUT"
