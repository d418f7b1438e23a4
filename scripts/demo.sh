#!/bin/bash
# scripts/demo.sh — a scripted, paced live demo of one stage, for a lecture
# on a projector terminal of 80x24 (`make demo STAGE=n`).
#
#   scripts/demo.sh N          N = 1..6 or 01..06
#
# The steps and the presenter's notes are in scripts/demo/stageNN.txt, one
# plain-text file per stage that a lecturer edits (the format is in
# scripts/demo/README.md).  Each step clears the screen, shows its title and
# note (what to say, with the SDM or paper reference), then runs its
# commands: a guest under a VMM, the visualizer (`viz`), exit counts of two
# runs side by side (`compare`), Debian's Linux booting (`linux_boot`);
# those helpers are in scripts/demo/steps.sh.
#
# Pacing, DEMO_PACE:
#   key   wait for a key before each command and after its output: Enter
#         goes on, q stops the demo (the default when stdin is a terminal)
#   N     wait N seconds instead (0 = not at all; the default otherwise);
#         Enter skips a wait and q stops, as above.  The visualizer, which
#         waits for its own keys, then runs for max(N, 2) seconds.
# DEMO_LINUX=no skips the step that boots Debian's Linux; DEMO_LOG=FILE
# appends "NN STEP COMMAND STATUS" for each command run (tests/demo/demo.sh);
# DEMO_DIR=DIR reads the stage files from DIR.
#
# Exit status: 0 the demo ran to its end; 1 a stage file is malformed (a
# note over 80 columns, a step without a command); 2 no or a wrong STAGE,
# a stage without a demo yet, a bad DEMO_PACE (one line each); 130 stopped
# (q, Ctrl-C).  The terminal's modes are restored on every way out.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO_DIR=${DEMO_DIR:-$ROOT/scripts/demo}
cd "$ROOT" || exit 1

die() { echo "demo: $2" >&2; exit "$1"; }

# Which stages have a demo: those with a stage file.
have=$(cd "$DEMO_DIR" 2>/dev/null && ls stage0[1-6].txt 2>/dev/null | sed 's/stage\(..\).txt/\1/' | tr '\n' ' ')
have=${have% }
usage="usage: make demo STAGE=n (scripts/demo.sh n), n one of: ${have// /, }"
[ $# -eq 1 ] || die 2 "$usage"
case $1 in
[1-6]) STAGE=0$1 ;;
0[1-6]) STAGE=$1 ;;
*) die 2 "no stage '$1'; stages with a demo: ${have// /, }" ;;
esac
FILE=$DEMO_DIR/stage$STAGE.txt
if [ ! -f "$FILE" ]; then
    name=$(ls -d "$ROOT/$STAGE"-* 2>/dev/null | head -n 1)
    die 2 "stage $STAGE (${name##*/}) does not exist yet; demos: ${have:-none}"
fi

TTY=0
[ -t 0 ] && TTY=1
PACE=${DEMO_PACE:-$([ $TTY = 1 ] && echo key || echo 0)}
case $PACE in
key) [ $TTY = 1 ] || die 2 "DEMO_PACE=key needs a terminal on stdin (use DEMO_PACE=N seconds)" ;;
'' | *[!0-9]*) die 2 "DEMO_PACE must be 'key' or a number of seconds, not '$PACE'" ;;
esac

# --- the stage file: "== title", note lines, "$ command" lines ------------
TITLE=() NOTE=() CMDS=()
n=-1 lineno=0
while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    [ ${#line} -le 80 ] || die 1 "${FILE##*/}:$lineno: line over 80 columns (${#line}): the projector has 80"
    case $line in
    '#'*) ;;
    '== '*)
        # "== stage 01, step 10/10: " takes 25 of the 80 columns.
        [ ${#line} -le 58 ] || die 1 "${FILE##*/}:$lineno: a title over 55 columns"
        n=$((n + 1)) TITLE[n]=${line#== } NOTE[n]= CMDS[n]= ;;
    '$ '*)
        [ $n -ge 0 ] || die 1 "${FILE##*/}:$lineno: a command before the first '== title'"
        CMDS[n]+="${line#\$ }"$'\n' ;;
    '> '*)
        # A continuation of the command above (joined with a space).
        [ -n "${CMDS[n]:-}" ] || die 1 "${FILE##*/}:$lineno: '> ' continues no command"
        c=${CMDS[n]%$'\n'} c=${c%\\} c=${c%"${c##*[! ]}"}
        CMDS[n]="$c"$'\x1f'"${line#> }"$'\n' ;;
    *)
        [ $n -ge 0 ] || { [ -z "$line" ] && continue; die 1 "${FILE##*/}:$lineno: a note before the first '== title'"; }
        [ -z "${CMDS[n]}" ] || [ -z "$line" ] || die 1 "${FILE##*/}:$lineno: a note after the step's commands"
        NOTE[n]+="$line"$'\n' ;;
    esac
done <"$FILE"
STEPS=$((n + 1))
[ $STEPS -gt 0 ] || die 1 "${FILE##*/}: no step ('== title')"
for ((i = 0; i < STEPS; i++)); do
    [ -n "${CMDS[i]}" ] || die 1 "${FILE##*/}: step '${TITLE[i]}' has no '\$ command'"
done

# --- the terminal: modes saved now, restored on every way out --------------
STTY=
[ $TTY = 1 ] && STTY=$(stty -g 2>/dev/null)
restore() { [ -n "$STTY" ] && stty "$STTY" 2>/dev/null; [ $TTY = 1 ] && printf '\033[0m\033[?25h'; }
B= R=
[ -t 1 ] && B=$'\033[1m' R=$'\033[0m'
STEP=0
stop() {
    restore
    printf '\ndemo: stage %s stopped at step %d of %d\n' "$STAGE" "$STEP" "$STEPS"
    exit 130
}
trap restore EXIT
trap stop INT TERM HUP

# pause WHAT : wait as DEMO_PACE says; q stops the demo.
pause() {
    local key=
    if [ "$PACE" = key ]; then
        printf '\033[7m Enter: %s   q: stop the demo \033[0m' "$1"
        IFS= read -rsn1 key
        printf '\r\033[K'
    elif [ "$PACE" -gt 0 ]; then
        if [ $TTY = 1 ]; then IFS= read -rsn1 -t "$PACE" key; else sleep "$PACE"; fi
    fi
    case $key in q | Q) stop ;; esac
    return 0
}

. "$DEMO_DIR/steps.sh"

for ((i = 0; i < STEPS; i++)); do
    STEP=$((i + 1))
    [ -t 1 ] && printf '\033[H\033[2J'
    printf '%s== stage %s, step %d/%d: %s%s\n' "$B"  "$STAGE" "$STEP" "$STEPS" "${TITLE[i]}" "$R"
    printf '%s' "${NOTE[i]}"
    mapfile -t cmds <<<"${CMDS[i]}"
    for cmd in "${cmds[@]}"; do
        [ -n "$cmd" ] || continue
        printf '%s$ %s%s\n' "$B" "${cmd//$'\x1f'/$' \\\n> '}" "$R"
        pause "run it"
        cmd=${cmd//$'\x1f'/ }
        eval "$cmd"
        rc=$?
        [ -n "${DEMO_LOG:-}" ] && echo "$STAGE $STEP ${cmd%% *} $rc" >>"$DEMO_LOG"
        [ $rc = 0 ] || printf '(status %d)\n' "$rc"
    done
    if [ $STEP -lt $STEPS ]; then pause "next step"; else pause "end the demo"; fi
done
echo "demo: stage $STAGE done ($STEPS steps)"
