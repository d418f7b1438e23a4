#!/bin/bash
# viz.sh — the ncurses visualizer (common/viz), driven under tmux: a detached
# session is a real terminal of a chosen size; send-keys types, capture-pane
# reads the screen.  Every wait polls the screen (or a status file) against a
# deadline instead of sleeping a fixed time.
#   - live --viz: histogram with "I/O instruction", registers with EIP, the
#     decoded exit log, the page walk; f filters, a chooses an address;
#   - --step: exactly one exit per key;
#   - q and Ctrl-C stop the VM, the process ends and the terminal's modes
#     (stty -g) and main screen are back; a fatal guest end is shown, then
#     its message printed after the screen is gone;
#   - a resize redraws (and a too-small window says so);
#   - vmtrace --viz replays a trace with the counts --stats printed;
#   - too small a terminal, or stdout not a terminal: one line, status 64.
. "$(dirname "$0")/../lib.sh"
VMM=$BUILD/vmm-bt
VMTRACE=$BUILD/vmtrace
TRIPLE=$BUILD/tests/bad-input/triple.elf
SOCK=vmlab-test-$$
T="tmux -L $SOCK -f /dev/null"

if ! command -v tmux >/dev/null; then
    skip "viz" "tmux is not installed"
    finish
fi
if [ ! -x "$VMM" ] || [ ! -f "$GUEST" ]; then
    skip "viz" "build/vmm-bt or the guest is not built"
    finish
fi
trap '$T kill-server 2>/dev/null; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"; rm -rf "$TMPD"' EXIT

# start NAME COLS ROWS CMD : run CMD in a new session with a terminal of
# COLS x ROWS; its status goes to $TMPD/NAME.rc, its stderr to NAME.err, its
# pid to NAME.pid and the terminal's modes before and after to NAME.stty0/.stty1.
start() {
    local name=$1 cols=$2 rows=$3; shift 3
    rm -f "$TMPD/$name".*
    printf '%s\n' "cd $ROOT" "stty -g >$TMPD/$name.stty0" \
        "bash -c 'echo \$\$ >$TMPD/$name.pid; exec \"\$@\"' _ $* 2>$TMPD/$name.err" \
        "rc=\$?" "stty -g >$TMPD/$name.stty1" \
        "echo \$rc >$TMPD/$name.rc" "sleep 60" >"$TMPD/$name.sh"
    $T new-session -d -s "$name" -x "$cols" -y "$rows" "bash $TMPD/$name.sh"
}
. "$ROOT/tests/tmux.sh" # screen, wait_screen, wait_exit, restored
why() { echo "screen: $(screen "$1" | grep -v '^ *$' | head -n 30 | tr '\n' '|')"; }

# --- refusals: nothing drawn, one line, status 64 -------------------------
"$VMM" --viz "$GUEST" -- test=hello >"$TMPD/pipe.out" 2>&1 </dev/null
rc=$?
if [ $rc -eq 64 ] && [ "$(wc -l <"$TMPD/pipe.out")" -eq 1 ] &&
   grep -q '^vmm-bt: error: --viz needs a terminal of at least 80x24 (stdout is not a terminal)$' "$TMPD/pipe.out" &&
   ! grep -q $'\033' "$TMPD/pipe.out"; then
    ok "--viz with stdout not a terminal: one line, status 64"
else
    notok "--viz with stdout not a terminal" "status $rc, output: $(tr '\n' '|' <"$TMPD/pipe.out" | cat -v)"
fi

start small 60 20 "$VMM" --viz "$GUEST" -- test=hello
rc=$(wait_exit small)
if [ "$rc" = 64 ] && [ "$(wc -l <"$TMPD/small.err")" -eq 1 ] &&
   grep -q '^vmm-bt: error: --viz needs a terminal of at least 80x24 (this one is 60x20)$' "$TMPD/small.err" &&
   restored small && ! screen small | grep -q .; then
    ok "--viz in a 60x20 terminal: one line, status 64, screen untouched"
else
    notok "--viz in a 60x20 terminal" "status $rc, stderr: $(tr '\n' '|' <"$TMPD/small.err"); $(why small)"
fi

# --- the live screen -----------------------------------------------------
start live 80 24 "$VMM" --viz "$GUEST" -- test=timer iters=2000
if wait_screen live 'I/O instruction +30 +[0-9]+' && wait_screen live 'EIP [0-9a-f]{8}' &&
   wait_screen live 'prot\+paging CPL [03]' && wait_screen live 'port=0x[0-9a-f]+ .*size=1 value=0x'; then
    ok "live: histogram (I/O instruction), registers (EIP, mode, CPL), decoded exit log"
else
    notok "live screen" "$(why live)"
fi
if wait_screen live 'PDE @[0-9a-f]{8} = [0-9a-f]{8} P' && wait_screen live '-> frame [0-9a-f]{8}'; then
    ok "live: page walk of EIP, CR3 -> PDE -> PTE -> frame"
else
    notok "live page walk" "$(why live)"
fi
$T send-keys -t live f
if wait_screen live 'Exit log: only (HLT|I/O instruction)'; then
    ok "live: f filters the log by reason"
else
    notok "live: f filter" "$(why live)"
fi
$T send-keys -t live a 8 0 0 0 0 0 0 0 Enter
if wait_screen live 'Page walk of 80000000' && wait_screen live 'PDE @[0-9a-f]{8} = 00000000 not-present'; then
    ok "live: a 80000000 walks an unmapped address (PDE not present)"
else
    notok "live: a address" "$(why live)"
fi
$T send-keys -t live a z z 1 Enter
if wait_screen live "a: 'zz1' is not an address \\(1-8 hex digits" && wait_screen live 'Page walk of 80000000'; then
    ok "live: a zz1 is an error on the help line, the walk unchanged"
else
    notok "live: a with an unparsable address" "$(why live)"
fi
# At 80x24 the console shares the bottom with the page walk in 29 columns;
# c gives it the whole width (its lines wrapped, the newest kept), c again
# brings the walk back.
$T send-keys -t live c
if wait_screen live '^- Guest console \(c: page walk\)' && wait_screen live '^ vmlab: guest kernel, boot=[a-z]+ ram=[0-9]+ MiB'; then
    ok "live: c shows the guest console across an 80x24 screen"
else
    notok "live: c wide console" "$(why live)"
fi
$T send-keys -t live c
if wait_screen live 'Page walk of 80000000' && wait_screen live 'Guest console \(c: wide\)'; then
    ok "live: c again brings the page walk back"
else
    notok "live: c back" "$(why live)"
fi
$T resize-window -t live -x 100 -y 30 2>/dev/null
if wait_screen live '^ vmlab viz .{60,}' && [ "$(screen live | wc -l)" -ge 30 ] &&
   wait_screen live 'I/O instruction'; then
    ok "live: redraws for a 100x30 window"
else
    notok "live: resize to 100x30" "$(why live)"
fi
$T resize-window -t live -x 70 -y 20 2>/dev/null
if wait_screen live 'terminal is 70x20'; then
    ok "live: a window shrunk below 80x24 says so"
else
    notok "live: shrink to 70x20" "$(why live)"
fi
$T resize-window -t live -x 80 -y 24 2>/dev/null
wait_screen live 'I/O instruction' 3
$T send-keys -t live q
rc=$(wait_exit live)
if [ "$rc" = 130 ] && restored live && grep -q 'stopped on request' "$TMPD/live.err" &&
   wait_screen live 'vmlab: guest kernel' 10; then
    ok "live: q stops the VM (status 130), terminal restored, guest console printed after"
else
    notok "live: q" "status $rc, stderr: $(tr '\n' '|' <"$TMPD/live.err"); $(why live)"
fi

# --- play: a paced run for a lecture ----------------------------------------
# p plays 2^speed exits a second (4 to start with), + doubles the pace, p
# again runs at full speed.  Counted from the status line's exit number.
exitno() { screen "$1" | sed -n 's/^ vmlab viz .* exit #\([0-9]*\) .*/\1/p' | head -n 1; }
start play 80 24 "$VMM" --viz "$GUEST" -- test=inout iters=10000000
if wait_screen play 'RUNNING +exit #[0-9]+' && $T send-keys -t play p && wait_screen play 'PLAY 4/s +exit #'; then
    a=$(exitno play); sleep 2; b=$(exitno play)
    $T send-keys -t play +
    if wait_screen play 'PLAY 8/s +exit #' && [ -n "$a" ] && [ -n "$b" ] && (( b - a >= 2 && b - a <= 12 )); then
        ok "play: p paces the guest at 4 exits a second ($((b - a)) in 2 s), + makes it 8/s"
    else notok "play: pace" "exit #$a then #$b two seconds later, expected 2-12 more; $(why play)"; fi
    $T send-keys -t play p
    if wait_screen play 'RUNNING +exit #'; then ok "play: p again runs at full speed"
    else notok "play: p again" "$(why play)"; fi
else notok "play: p" "$(why play)"; fi
$T send-keys -t play q
wait_exit play >/dev/null

# --- step mode -------------------------------------------------------------
start step 80 24 "$VMM" --step "$GUEST" -- test=all
stepped=0
if wait_screen step ' STEP +exit #1 '; then
    for n in 2 3 4 5; do
        $T send-keys -t step n
        wait_screen step " STEP +exit #$n " || break
        stepped=$n
    done
fi
sleep 0.3   # nothing runs without a key: still at the last exit
if [ $stepped = 5 ] && screen step | grep -Eq ' STEP +exit #5 ' &&
   screen step | grep -Eq '^#5 .* eip=[0-9a-f]{8} '; then
    ok "--step: starts at exit #1, one exit per key (#2..#5), then waits"
else
    notok "--step" "reached exit #$stepped; $(why step)"
fi
# The log's timestamps are the guest's running time: a presenter's pause
# between two steps (here 2.5 s) does not show between their times.
t5=$(screen step | sed -n 's/^#5 \+\([0-9.]*\)s .*/\1/p')
sleep 2.5
$T send-keys -t step n
if wait_screen step ' STEP +exit #6 ' && t6=$(screen step | sed -n 's/^#6 \+\([0-9.]*\)s .*/\1/p') &&
   [ -n "$t5" ] && [ -n "$t6" ] && awk -v a="$t5" -v b="$t6" 'BEGIN { exit !(b - a < 1.0) }'; then
    ok "--step: the pause between two steps is not in their timestamps (#5 ${t5}s, #6 ${t6}s)"
else
    notok "--step: timestamps" "#5 at '${t5}'s, #6 at '${t6:-}'s after a 2.5 s pause; $(why step)"
fi
$T send-keys -t step C-c
rc=$(wait_exit step)
if [ "$rc" = 130 ] && restored step; then
    ok "--step: Ctrl-C stops the VM, terminal restored"
else
    notok "--step: Ctrl-C" "status $rc; $(why step)"
fi

# --- signals: SIGTERM stops the VM cleanly; a crash of the VMM itself
# (SIGSEGV) still gives the terminal back before the process dies ----------
for sig in TERM SEGV; do
    start "sig$sig" 80 24 "$VMM" --viz "$GUEST" -- test=timer iters=2000
    if wait_screen "sig$sig" 'I/O instruction'; then
        kill -s $sig "$(cat "$TMPD/sig$sig.pid")"
        rc=$(wait_exit "sig$sig")
        want=130; [ $sig = SEGV ] && want=139
        if [ "$rc" = $want ] && restored "sig$sig"; then
            ok "SIG$sig while the screen is up: status $rc, terminal restored"
        else
            notok "SIG$sig" "status $rc (want $want); $(why "sig$sig")"
        fi
    else
        notok "SIG$sig" "$(why "sig$sig")"
    fi
done

# --- a fatal guest end -----------------------------------------------------
if [ -f "$TRIPLE" ]; then
    start fatal 80 24 "$VMM" --viz "$TRIPLE"
    if wait_screen fatal 'status 70: guest triple fault'; then
        $T send-keys -t fatal q
        rc=$(wait_exit fatal)
        if [ "$rc" = 70 ] && restored fatal &&
           tail -n 1 "$TMPD/fatal.err" | grep -q '^vmm-bt: error: guest triple fault' &&
           grep -q 'last .* exits, oldest first' "$TMPD/fatal.err"; then
            ok "fatal end: shown on screen, then history and error line after the terminal is restored"
        else
            notok "fatal end" "status $rc, stderr tail: $(tail -n 2 "$TMPD/fatal.err" | tr '\n' '|')"
        fi
    else
        notok "fatal end" "$(why fatal)"
    fi
else
    skip "fatal end" "$TRIPLE is not built"
fi

# --- an engine with its own SIGSEGV handler (stage 01's bt resolves hidden
# page faults in it): the visualizer's crash handler must pass faults on --
start bt 80 24 "$VMM" --engine bt --viz "$GUEST" -- test=pagefault
if wait_screen bt 'guest exited with status 0' 60; then
    # e: the engine's counters (bt: helper calls, hidden faults, code cache)
    # in place of the log and the bottom panes, the run's last counts.
    $T send-keys -t bt e
    if wait_screen bt '^- Engine bt: its --stats so far' && wait_screen bt '^ bt: helper calls .*cli [1-9]' &&
       wait_screen bt '[1-9][0-9]* hidden page' && wait_screen bt '^ bt: [0-9]+ instructions, [1-9][0-9]* blocks translated'; then
        ok "--engine bt --viz: e shows bt's helper calls, hidden faults and code cache at 80x24"
    else
        notok "--engine bt --viz: e engine pane" "$(why bt)"
    fi
    $T send-keys -t bt q
    rc=$(wait_exit bt)
    if [ "$rc" = 0 ] && restored bt; then
        ok "--engine bt --viz: the engine still resolves its hidden faults (SIGSEGV), status 0"
    else
        notok "--engine bt --viz" "status $rc; $(why bt)"
    fi
else
    notok "--engine bt --viz" "status $(cat "$TMPD/bt.rc" 2>/dev/null); $(why bt)"
fi

# --- replay -------------------------------------------------------------------
if [ -x "$VMTRACE" ]; then
    "$VMM" --trace "$TMPD/all.trace" --stats "$GUEST" -- test=all >/dev/null 2>"$TMPD/stats"
    start replay 80 24 "$VMTRACE" --viz "$TMPD/all.trace"
    $T send-keys -t replay g
    if wait_screen replay 'end of trace: [0-9]+ events, [0-9]+ exits'; then
        # "  I/O instruction    30    10085    45 ns" -> "30 10085"
        want=$(sed -nE 's/^  .* ([0-9]+) +([0-9]+) +[0-9]+ ns$/\1 \2/p' "$TMPD/stats" | sort)
        got=$(screen replay | cut -c1-46 | sed -nE 's/^[ >].{21} +([0-9]+) +([0-9]+) +[0-9]+ *$/\1 \2/p' | sort)
        total=$(sed -nE 's/.*, ([0-9]+) exits, .*/\1/p' "$TMPD/stats" | head -n 1)
        if [ -n "$want" ] && [ "$want" = "$got" ] && screen replay | grep -q "exit #$total "; then
            ok "vmtrace --viz: histogram equals --stats of the run ($(echo $want | tr '\n' ' '))"
        else
            notok "vmtrace --viz counts" "--stats: $(echo $want | tr '\n' ' ') screen: $(echo $got | tr '\n' ' ') total $total; $(why replay)"
        fi
        if screen replay | grep -Eq 'PDE @[0-9a-f]{8} = [0-9a-f]{8} P' &&
           screen replay | grep -Eq 'by eip=[0-9a-f]{8}'; then
            ok "vmtrace --viz: page-walk pane shows a recorded walk"
        else
            notok "vmtrace --viz walk" "$(why replay)"
        fi
    else
        notok "vmtrace --viz" "$(why replay)"
    fi
    $T send-keys -t replay q
    rc=$(wait_exit replay)
    if [ "$rc" = 0 ] && restored replay; then
        ok "vmtrace --viz: q leaves, status 0, terminal restored"
    else
        notok "vmtrace --viz: q" "status $rc; $(why replay)"
    fi
    start rstep 80 24 "$VMTRACE" --viz --step "$TMPD/all.trace"
    if wait_screen rstep 'STEP +exit #0 ' && $T send-keys -t rstep n && wait_screen rstep 'STEP +exit #1 ' &&
       $T send-keys -t rstep n && wait_screen rstep 'STEP +exit #2 '; then
        ok "vmtrace --viz --step: one exit per key"
    else
        notok "vmtrace --viz --step" "$(why rstep)"
    fi
    $T send-keys -t rstep q
    wait_exit rstep >/dev/null
else
    skip "vmtrace --viz" "build/vmtrace is not built"
fi
finish
