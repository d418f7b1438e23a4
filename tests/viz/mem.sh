#!/bin/bash
# tests/viz/mem.sh — stage 04 in the visualizer (common/viz), under tmux at
# 80x24 (tests/tmux.sh):
#  - the exit log shows the memory events of the trace ring (trace.h,
#    TRACE_MMU) among the exits, and 'f' reaches a filter of them alone:
#    ptemod's shadow syncs and write-protection faults under --engine bt;
#    evictions under --engine vmx --mmu shadow --shadow-cache 1;
#  - EPT's violations in the log with their qualification;
#  - the walk pane under --mmu ept: the 2-D walk the model CPU made, as a
#    grid of the guest's levels (PD, PT, page) x EPT levels (PML4E, PDPTE,
#    PDE, PTE) with each reference's value, 14 for a full walk; live and in
#    a replay of the trace (vmtrace --viz).
. "$(dirname "$0")/../lib.sh"
VMM=$BUILD/vmm-mem
SOCK=vmlab-memviz-$$
T="tmux -L $SOCK -f /dev/null"

if ! command -v tmux >/dev/null; then
    skip "viz mem" "tmux is not installed"
    finish
fi
if [ ! -x "$VMM" ] || [ ! -f "$GUEST" ]; then
    notok "viz mem" "build/vmm-mem or the guest is not built (run make _all)"
    finish
fi
trap '$T kill-server 2>/dev/null; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"; rm -rf "$TMPD"' EXIT

# start NAME COLS ROWS CMD : CMD in a new session of COLS x ROWS; its status
# in $TMPD/NAME.rc, its stderr in NAME.err.
start() {
    local name=$1 cols=$2 rows=$3; shift 3
    rm -f "$TMPD/$name".*
    printf '%s\n' "cd $ROOT" "$* 2>$TMPD/$name.err" "echo \$? >$TMPD/$name.rc" "sleep 60" >"$TMPD/$name.sh"
    $T new-session -d -s "$name" -x "$cols" -y "$rows" "bash $TMPD/$name.sh"
}
. "$ROOT/tests/tmux.sh" # screen, wait_screen, wait_exit
why() { echo "screen: $(screen "$1" | grep -v '^ *$' | head -n 30 | tr '\n' '|')"; }
# filter_mmu NAME : press f until the log shows the memory events alone.
filter_mmu() {
    for _ in $(seq 1 12); do
        screen "$1" | grep -q 'Exit log: only memory events' && return 0
        $T send-keys -t "$1" f
        sleep 0.3
    done
    screen "$1" | grep -q 'Exit log: only memory events'
}
quit() {
    $T send-keys -t "$1" q
    wait_exit "$1" >/dev/null
}

# --- shadow paging under bt: syncs and write-protection faults ------------------
start bt 80 24 "$VMM" --engine bt --viz "$GUEST" -- test=ptemod
if wait_screen bt 'press q to leave' 60 && filter_mmu bt &&
   wait_screen bt '^mmu +[0-9.]+s eip=[0-9a-f]{8} shadow-sync guest PTE @0x[0-9a-f]{8} for lin=' 5 &&
   wait_screen bt '^mmu +[0-9.]+s eip=[0-9a-f]{8} wp-fault guest store to page-table page' 5; then
    ok "bt ptemod: the log shows shadow syncs and write-protection faults (f: memory events)"
else notok "bt ptemod: memory events in the log" "$(why bt)"; fi
quit bt

# --- the VMX model's shadow paging with a cache of one: evictions ----------------
start vs 80 24 "$VMM" --engine vmx --mmu shadow --shadow-cache 1 --viz "$GUEST" -- test=ctxswitch iters=200
if wait_screen vs 'press q to leave' 60 && filter_mmu vs &&
   wait_screen vs '^mmu +[0-9.]+s eip=[0-9a-f]{8} evict shadow of cr3=0x[0-9a-f]{8} \(for cr3=' 5; then
    ok "vmx shadow --shadow-cache 1: the log shows evictions"
else notok "vmx shadow: evictions in the log" "$(why vs)"; fi
quit vs

# --- EPT: violations with their qualification -----------------------------------
start ept 80 24 "$VMM" --engine vmx --mmu ept --ept-protect ro --step "$GUEST" -- test=hello
for _ in $(seq 1 20); do $T send-keys -t ept n; done
if wait_screen ept 'EPT viol gpa=0x[0-9a-f]+ -w- qual=0x1aa allowed=r-x' 30; then
    ok "vmx ept --ept-protect ro: the log shows violations with their qualification"
else notok "vmx ept: violations in the log" "$(why ept)"; fi
quit ept

# --- the 2-D walk drawn, from the walks the model CPU made ---------------------------
# With the caches off every TLB miss walks in full: the pane's grid has the
# guest's levels as rows and the EPT levels as columns, each reference's value.
grid_ok() {  # grid_ok NAME : the grid of a full walk on the screen
    wait_screen "$1" '^- 2-D walk of [0-9a-f]{8} \((newest|EIP)' 30 &&
        wait_screen "$1" '^row  GPA +EPT PML4E +PDPTE +PDE +PTE +guest entry' 5 &&
        wait_screen "$1" '^PD +[0-9a-f]{8} +[0-9a-f]{10} +[0-9a-f]{10} +[0-9a-f]{10} +[0-9a-f]+ +PDE=[0-9a-f]{8}' 5 &&
        wait_screen "$1" '^PT +[0-9a-f]{8} +[0-9a-f]{10} +[0-9a-f]{10} +[0-9a-f]{10} +[0-9a-f]+ +PTE=[0-9a-f]{8}' 5 &&
        wait_screen "$1" '^page +[0-9a-f]{8} +[0-9a-f]{10} +[0-9a-f]{10} +[0-9a-f]{10} +[0-9a-f]+ +HPA [0-9a-f]+' 5 &&
        wait_screen "$1" '^-> GPA [0-9a-f]{8} -> HPA [0-9a-f]+; 14 references; by eip=' 5
}
start grid 80 24 "$VMM" --engine vmx --mmu ept --ept-cache off --viz "$GUEST" -- test=ptemod
if grid_ok grid; then
    ok "live, 80x24: the 2-D walk as a grid of guest levels x EPT levels, 14 references"
else notok "live: the 2-D walk grid" "$(why grid)"; fi
# 'a' picks a page: its newest recorded walk (the kernel's code at 1 MiB).
$T send-keys -t grid a 1 0 0 0 0 0 Enter
if wait_screen grid '^- 2-D walk of 00100000 \(a: change\)' 10 &&
   wait_screen grid '^page +0010[0-9a-f]{4} ' 5; then
    ok "live: a 00100000 shows that page's recorded 2-D walk"
else notok "live: a chooses the 2-D walk's page" "$(why grid)"; fi
quit grid
# Replay: the same grid from the trace's events.
timeout 120 "$VMM" --engine vmx --mmu ept --ept-cache off --timeout 60 --trace "$TMPD/g.trace" "$GUEST" -- test=hello \
    >/dev/null 2>&1 </dev/null
start replay 80 24 "$BUILD/vmtrace" --viz "$TMPD/g.trace"
$T send-keys -t replay g
if grid_ok replay; then ok "vmtrace --viz: the 2-D walk grid from the trace"
else notok "vmtrace --viz: the 2-D walk grid" "$(why replay)"; fi
quit replay
finish
