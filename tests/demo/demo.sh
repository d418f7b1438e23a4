#!/bin/bash
# tests/demo/demo.sh — the live lecture demos, `make demo STAGE=n`
# (scripts/demo.sh, steps and notes in scripts/demo/stageNN.txt), driven
# under tmux in an 80x24 terminal like tests/viz/viz.sh:
#   - a wrong, missing or not-yet-existing STAGE and a bad DEMO_PACE: one
#     line, status 2, nothing drawn;
#   - every line of every stage file fits 80 columns, and the demo refuses
#     a file with a longer note line or title (status 1, one line);
#   - each stage's demo runs to its end with DEMO_PACE=0: every step's
#     commands ran, the visualizer really drew (status 124: stopped by the
#     pace's time limit, not refused with 64), every other command status 0;
#   - DEMO_PACE=N waits N seconds at each pause, and q still stops it;
#   - DEMO_PACE=key: Enter runs and goes on, the visualizer's q returns to
#     the demo, q at a prompt stops it (130) with the terminal restored,
#     and Ctrl-C too.
# Debian's Linux step is skipped (DEMO_LINUX=no): its boot alone takes
# longer than this suite; tests/linux/ covers the boot itself.
. "$(dirname "$0")/../lib.sh"
DEMO=$ROOT/scripts/demo.sh
SOCK=vmlab-demo-$$
T="tmux -L $SOCK -f /dev/null"
STAGES="01 02 03 04"

if ! command -v tmux >/dev/null; then
    skip "demo" "tmux is not installed"
    finish
fi
for f in vmm-bt vmm-pv vmm-hw vmm-mem guest/guest.elf guest/guest-pv.elf; do
    if [ ! -e "$BUILD/$f" ]; then
        notok "demo" "build/$f is missing (run make _all)"
        finish
    fi
done
trap '$T kill-server 2>/dev/null; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"; end_children; rm -rf "$TMPD"' EXIT

# start NAME ENV... -- ARGS : scripts/demo.sh ARGS with ENV in an 80x24
# tmux session; status to NAME.rc, terminal modes before/after to
# NAME.stty0/.stty1, the step log (DEMO_LOG) to NAME.log.
start() {
    local name=$1; shift
    local env=()
    while [ "$1" != -- ]; do env+=("$1"); shift; done
    shift
    rm -f "$TMPD/$name".*
    printf '%s\n' "cd $ROOT" "stty -g >$TMPD/$name.stty0" \
        "env ${env[*]} DEMO_LOG=$TMPD/$name.log $DEMO $*" "rc=\$?" \
        "stty -g >$TMPD/$name.stty1" "echo \$rc >$TMPD/$name.rc" "sleep 60" >"$TMPD/$name.sh"
    $T new-session -d -s "$name" -x 80 -y 24 "bash $TMPD/$name.sh"
}
. "$ROOT/tests/tmux.sh" # screen, wait_screen, wait_exit, restored
why() { echo "screen: $(screen "$1" | grep -v '^ *$' | tail -n 12 | tr '\n' '|')"; }

# --- refusals: one line on stderr, status 2 ---------------------------------
refuse() {  # refuse NAME REGEX ENV... -- ARGS
    local name=$1 re=$2; shift 2
    local env=()
    while [ "$1" != -- ]; do env+=("$1"); shift; done
    shift
    env "${env[@]}" "$DEMO" "$@" >"$TMPD/r.out" 2>"$TMPD/r.err" </dev/null
    local rc=$?
    if [ $rc = 2 ] && [ ! -s "$TMPD/r.out" ] && [ "$(wc -l <"$TMPD/r.err")" = 1 ] &&
       grep -Eq "$re" "$TMPD/r.err" && [ "$(wc -L <"$TMPD/r.err")" -le 80 ]; then
        ok "$name: one line, status 2"
    else
        notok "$name" "status $rc, stderr: $(tr '\n' '|' <"$TMPD/r.err"), stdout: $(head -c 200 "$TMPD/r.out")"
    fi
}
refuse "no STAGE" '^demo: usage: make demo STAGE=n .* 01, 02, 03, 04$' --
refuse "STAGE=9" "^demo: no stage '9'; stages with a demo: 01, 02, 03, 04$" -- 9
refuse "STAGE=x" "^demo: no stage 'x'; stages with a demo" -- x
refuse "STAGE=5 (I/O, not built yet)" '^demo: stage 05 \(05-io\) does not exist yet; demos: 01 02 03 04$' -- 5
refuse "STAGE=06 (passthrough, not built yet)" '^demo: stage 06 \(06-passthrough\) does not exist yet; demos: 01 02 03 04$' -- 06
refuse "DEMO_PACE=fast" "^demo: DEMO_PACE must be 'key' or a number of seconds, not 'fast'$" DEMO_PACE=fast -- 1
refuse "DEMO_PACE=key without a terminal" '^demo: DEMO_PACE=key needs a terminal' DEMO_PACE=key -- 1

# --- the stage files: 80 columns, enforced by the demo itself ---------------
wide=$(awk 'length > 80 { print FILENAME ":" FNR ": " length " columns" }' "$ROOT"/scripts/demo/stage0*.txt)
if [ -z "$wide" ] && [ "$(ls "$ROOT"/scripts/demo/stage0*.txt | wc -l)" -ge 4 ]; then
    ok "every line of scripts/demo/stage0*.txt (notes, titles, commands) fits 80 columns"
else
    notok "stage files fit 80 columns" "$wide"
fi
mkdir -p "$TMPD/bad"
cp "$ROOT/scripts/demo/steps.sh" "$TMPD/bad/"
for case in note title; do
    line=$(printf '%081d' 0)
    if [ $case = note ]; then
        printf '== A step\n%s\n$ true\n' "$line" >"$TMPD/bad/stage01.txt"
    else
        printf '== %s\nA note.\n$ true\n' "$(printf '%056d' 0)" >"$TMPD/bad/stage01.txt"
    fi
    DEMO_DIR=$TMPD/bad DEMO_PACE=0 "$DEMO" 1 >"$TMPD/b.out" 2>"$TMPD/b.err" </dev/null
    rc=$?
    if [ $rc = 1 ] && [ ! -s "$TMPD/b.out" ] && [ "$(wc -l <"$TMPD/b.err")" = 1 ] &&
       grep -q '^demo: stage01.txt:[12]: .*over' "$TMPD/b.err"; then
        ok "a $case too wide for 80 columns: refused before the demo starts, status 1"
    else
        notok "a $case too wide" "status $rc, stderr: $(cat "$TMPD/b.err"), stdout: $(head -c 200 "$TMPD/b.out")"
    fi
done

# --- every stage to its end at 80x24, DEMO_PACE=0 ------------------------------
for st in $STAGES; do
    file=$ROOT/scripts/demo/stage$st.txt
    steps=$(grep -c '^== ' "$file")
    start "s$st" DEMO_PACE=0 DEMO_LINUX=no -- "$st"
    drew=0
    # The visualizer runs max(N, 2) = 2 s per step: the poll sees it.
    end=$((SECONDS + 120))
    while [ ! -s "$TMPD/s$st.rc" ] && [ $SECONDS -lt $end ]; do
        screen "s$st" | grep -q '^ vmlab viz ' && drew=1
        sleep 0.1
    done
    rc=$(wait_exit "s$st" 5)
    logged=$(cut -d' ' -f2 "$TMPD/s$st.log" 2>/dev/null | sort -u | wc -l)
    # Status of every command: viz 124 (it drew and ran until the pace
    # stopped it), everything else 0.
    bad=$(awk '($3 == "viz" && $4 != 124) || ($3 != "viz" && $4 != 0)' "$TMPD/s$st.log" 2>/dev/null | tr '\n' '|')
    nviz=$(grep -c '^\$ viz ' "$file")
    if [ "$rc" = 0 ] && [ "$logged" = "$steps" ] && [ -z "$bad" ] && [ $drew = 1 ] &&
       [ "$(grep -c ' viz 124$' "$TMPD/s$st.log")" = "$nviz" ] &&
       wait_screen "s$st" "^demo: stage $st done \\($steps steps\\)$" 3 && restored "s$st"; then
        ok "stage $st at 80x24, DEMO_PACE=0: all $steps steps ran to the end ($nviz in the visualizer), terminal restored"
    else
        notok "stage $st to its end" "status $rc, $logged of $steps steps logged, viz drawn $drew, bad statuses: $bad; $(why "s$st")"
    fi
    $T kill-session -t "s$st" 2>/dev/null
done

# --- DEMO_PACE=N: waits N seconds at each pause (4 here), q still stops ----
mkdir -p "$TMPD/timed"
cp "$ROOT/scripts/demo/steps.sh" "$TMPD/timed/"
printf '== One\nA note.\n$ echo ran-one\n== Two\nA note.\n$ echo ran-two\n' >"$TMPD/timed/stage01.txt"
start timed DEMO_DIR=$TMPD/timed DEMO_PACE=1 -- 1
t0=$SECONDS
rc=$(wait_exit timed)
took=$((SECONDS - t0))
if [ "$rc" = 0 ] && [ $took -ge 3 ] && screen timed | grep -q '^ran-two$' && restored timed; then
    ok "DEMO_PACE=1: four pauses of a second (${took} s in all), runs to its end unattended"
else
    notok "DEMO_PACE=1" "status $rc after $took s; $(why timed)"
fi
start timedq DEMO_DIR=$TMPD/timed DEMO_PACE=30 -- 1
wait_screen timedq '^\$ echo ran-one'
$T send-keys -t timedq q
rc=$(wait_exit timedq 10)
if [ "$rc" = 130 ] && restored timedq && ! screen timedq | grep -q '^ran-one$'; then
    ok "DEMO_PACE=30: q during a wait stops the demo at once, terminal restored"
else
    notok "DEMO_PACE=30: q" "status $rc; $(why timedq)"
fi

# --- DEMO_PACE=key: Enter goes on, q in the visualizer comes back, q stops ----
start key DEMO_PACE=key DEMO_LINUX=no -- 1
if wait_screen key '^== stage 01, step 1/6: ' && wait_screen key 'Enter: run it +q: stop the demo' &&
   ! screen key | grep -q 'PASS hello'; then
    ok "key: step 1's note and command shown, nothing run before Enter"
else
    notok "key: first prompt" "$(why key)"
fi
$T send-keys -t key Enter
if wait_screen key '^PASS hello' && wait_screen key 'Enter: next step'; then
    ok "key: Enter runs the command, then waits"
else
    notok "key: Enter runs" "$(why key)"
fi
$T send-keys -t key Enter
wait_screen key '^== stage 01, step 2/6: ' && wait_screen key 'Enter: run it' && $T send-keys -t key Enter
wait_screen key '^PASS sensitive' && wait_screen key 'Enter: next step' && $T send-keys -t key Enter
wait_screen key '^== stage 01, step 3/6: ' && wait_screen key 'Enter: run it' && $T send-keys -t key Enter
if wait_screen key ' STEP +exit #1 ' && $T send-keys -t key n && wait_screen key ' STEP +exit #2 '; then
    ok "key: step 3 opens the visualizer in step mode, n steps one exit"
else
    notok "key: visualizer step" "$(why key)"
fi
$T send-keys -t key q
if wait_screen key 'Enter: next step' && [ "$($T display -p -t key '#{alternate_on}')" = 0 ] &&
   [ ! -s "$TMPD/key.rc" ]; then
    ok "key: q in the visualizer returns to the demo (main screen back)"
else
    notok "key: q in the visualizer" "$(why key)"
fi
$T send-keys -t key q
rc=$(wait_exit key)
if [ "$rc" = 130 ] && restored key && wait_screen key '^demo: stage 01 stopped at step 3 of 6$' 3; then
    ok "key: q at a prompt stops the demo, status 130, terminal restored"
else
    notok "key: q stops" "status $rc; $(why key)"
fi
start intr DEMO_PACE=key -- 4
wait_screen intr 'Enter: run it'
$T send-keys -t intr C-c
rc=$(wait_exit intr)
if [ "$rc" = 130 ] && restored intr && wait_screen intr '^demo: stage 04 stopped at step 1 of 4$' 3; then
    ok "key: Ctrl-C at a prompt stops the demo, status 130, terminal restored"
else
    notok "key: Ctrl-C" "status $rc; $(why intr)"
fi
finish
