# labs/lib.sh — helpers for labs/labN-*/grade.sh (sourced; labs/README.md §3).
# Each graded test prints one line
#     name ................................ OK (10 pts)
#     name ................................ FAIL (0/10 pts): expected ..., got ...
#     name ................................ SKIP (0 pts): reason
# and grade_end runs the instructor's hidden tests of this lab, if any
# (VMLAB_HIDDEN_TESTS, labs/README.md §5), prints "Score: x/y" and exits 0
# (full score) or 1.  With GRADE_RECORDS=file every test also appends one
# tab-separated record (lab, test, points, max, status, hidden, message) to
# file, from which scripts/grade.sh writes build/grade.json.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD;; esac
GUEST=${GUEST:-$BUILD/guest/guest.elf}
# The lab's number, from the grade script's folder (labs/labN-name/grade.sh).
LAB_N=${LAB_N:-$(basename "$(dirname "$0")" | sed -n 's/^lab\([0-9][0-9]*\)-.*/\1/p')}
# The VMM's --timeout for one graded run: a safety net against a guest that
# never finishes (an exit handler that does not advance EIP), never a speed
# limit.  A correct run takes well under a second here; 60 s leaves a factor
# of more than 50 for slow or loaded machines, and LAB_TIMEOUT=s raises it.
LAB_TIMEOUT=${LAB_TIMEOUT:-60}
LAB_TMP=$(mktemp -d /tmp/vmlab-grade.XXXXXX)
trap 'rm -rf "$LAB_TMP"' EXIT
_score=0 _total=0 _hidden=false

_grade_line() {  # NAME VERDICT
    local dots
    dots=$(printf '%*s' $(( ${#1} < 38 ? 40 - ${#1} : 2 )) '' | tr ' ' '.')
    echo "$1 $dots $2"
}
# _record NAME POINTS MAX STATUS MESSAGE : one record for build/grade.json.
_record() {
    [ -n "${GRADE_RECORDS:-}" ] || return 0
    local msg; msg=$(printf '%s' "$5" | tr '\t\r\n' '   ' | tr -d '\000-\010\013\014\016-\037')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${LAB_N:-?}" "$1" "$2" "$3" "$4" "$_hidden" "$msg" \
        >>"$GRADE_RECORDS"
}
grade_pass() {
    _score=$((_score + $2)) _total=$((_total + $2))
    _grade_line "$1" "OK ($2 pts)"; _record "$1" "$2" "$2" pass ""
}
grade_fail() { grade_partial "$1" 0 "$2" "$3"; }
# grade_partial NAME GOT MAX WHY : GOT of MAX points (GOT < MAX), with WHY.
grade_partial() {
    _score=$((_score + $2)) _total=$((_total + $3))
    _grade_line "$1" "FAIL ($2/$3 pts): $4"; _record "$1" "$2" "$3" fail "$4"
}
# grade_skip NAME WHY : a test this machine cannot run (e.g. no root for a
# container); counted in neither the score nor the total.
grade_skip() { _grade_line "$1" "SKIP (0 pts): $2"; _record "$1" 0 0 skip "$2"; }
# grade_check NAME PTS WHY CMD... : pass if CMD succeeds, else fail with WHY.
grade_check() {
    local name=$1 pts=$2 why=$3; shift 3
    if "$@"; then grade_pass "$name" "$pts"; else grade_fail "$name" "$pts" "$why"; fi
}
grade_end() {
    grade_hidden
    echo "Score: $_score/$_total"
    exit $(( _score == _total ? 0 : 1 ))
}

# grade_hidden : the instructor's hidden tests of this lab, the scripts
# $VMLAB_HIDDEN_TESTS/labN/*.sh (labs/README.md §5).  A script declares its
# points in a line "# points: MAX", runs from the tree's root with ROOT,
# BUILD, GUEST, LAB_TIMEOUT and HIDDEN_TMP (its own empty folder) set, and
# prints as its last line of output "POINTS [message]".  No such line, or
# POINTS above MAX, gives 0 of MAX with the reason.
grade_hidden() {
    local dir=${VMLAB_HIDDEN_TESTS:-}/lab$LAB_N t name max out line got msg
    [ -n "${VMLAB_HIDDEN_TESTS:-}" ] && [ -d "$dir" ] || return 0
    _hidden=true
    for t in "$dir"/*.sh; do
        [ -f "$t" ] || continue
        name=$(basename "$t" .sh)
        max=$(sed -n 's/^#[ \t]*points:[ \t]*\([0-9][0-9]*\)[ \t]*$/\1/p' "$t" | head -n 1)
        if [ -z "$max" ]; then
            grade_fail "$name" 0 "hidden test $t has no '# points: N' line"; continue
        fi
        out=$LAB_TMP/hidden-$name
        mkdir -p "$out.d"
        ( cd "$ROOT" && env -u GRADE_RECORDS -u VMLAB_HIDDEN_TESTS ROOT="$ROOT" BUILD="$BUILD" \
            GUEST="$GUEST" LAB_TIMEOUT="$LAB_TIMEOUT" HIDDEN_TMP="$out.d" \
            timeout $((LAB_TIMEOUT * 10)) bash "$t" ) >"$out" 2>"$out.err" </dev/null
        local rc=$?
        line=$(grep -E '^[0-9]+([ \t]|$)' "$out" | tail -n 1 | tr -d '\r')
        got=${line%%[ 	]*} msg=${line#"$got"}; msg=${msg#[ 	]}
        if [ -z "$line" ]; then
            grade_fail "$name" "$max" "hidden test printed no points (status $rc), last output: $(cat "$out" "$out.err" | grep . | tail -n 1)"
        elif (( 10#$got > max )); then
            grade_fail "$name" "$max" "hidden test printed $got points, above its '# points: $max'"
        elif (( 10#$got == max )); then grade_pass "$name" "$max"
        else grade_partial "$name" $((10#$got)) "$max" "${msg:-no message}"; fi
    done
    _hidden=false
}

# lab_run OUT CMD... : run a VMM command (an outer timeout of LAB_TIMEOUT +
# 90 s above the VMM's own --timeout, a safety net; no stdin), output
# (stdout+stderr) in OUT, exit status in $LAB_RC.
lab_run() {
    local out=$1; shift
    timeout $((LAB_TIMEOUT + 90)) "$@" >"$out" 2>&1 </dev/null
    LAB_RC=$?
    echo "$LAB_RC" >"$out.rc"
}
# lab_fails OUT : the guest's FAIL lines in OUT, except a wall-clock check's:
# test=timer's tick rate against the TSC, which a loaded host can push out
# of its window (seen: 44 and 458 Hz).  Grading never depends on timing.
lab_fails() { grep '^FAIL ' "$1" | grep -v '^FAIL timer .*tick rate [0-9]* Hz'; }
# lab_status OUT : the run's exit status, 0 also when the guest failed
# (status 1) only because of such a wall-clock check.
lab_status() {
    local rc; rc=$(lab_rc "$1")
    if [ "$rc" = 1 ] && grep -q '^FAIL ' "$1" && [ -z "$(lab_fails "$1")" ]; then echo 0; else echo "$rc"; fi
}
# lab_rc OUT : the exit status lab_run saved for OUT.
lab_rc() { cat "$1.rc" 2>/dev/null || echo missing; }
# lab_why OUT : one line on why the run in OUT went wrong: the handout's
# not-implemented line, a crash (signal), a timeout, else the first line
# that explains the failure (the guest's FAIL, an "error:", a lock-step
# "divergence"; not timer's wall-clock tick rate), and only when there is
# none its last lines (which are --stats, rarely the reason).
lab_why() {
    local out=$1 rc; rc=$(lab_rc "$out")
    local ni; ni=$(grep -m1 '^not implemented: lab ' "$out" | tr -d '\r')
    local ex; ex=$(grep -E '^FAIL |error:|divergence' "$out" | grep -v 'no divergence' |
        grep -v '^FAIL timer .*tick rate [0-9]* Hz' | head -n 1 | tr -d '\r')
    if [ -n "$ni" ]; then echo "\"$ni\" (status $rc)"
    elif [ "$rc" = 124 ]; then echo "the VMM did not finish (timeout)"
    elif [ "$rc" != missing ] && [ "$rc" -gt 128 ]; then echo "the VMM crashed (signal $((rc - 128)))"
    elif [ -n "$ex" ]; then echo "status $rc: $ex"
    else echo "status $rc, last output: $(tail -n 2 "$out" | tr -d '\r' | tr '\n' '|')"; fi
}
