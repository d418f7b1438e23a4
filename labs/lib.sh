# labs/lib.sh — helpers for labs/labN-*/grade.sh (sourced; labs/README.md §3).
# Each graded test prints one line
#     name ................................ OK (10 pts)
#     name ................................ FAIL (0/10 pts): expected ..., got ...
#     name ................................ SKIP (0 pts): reason
# and grade_end prints "Score: x/y" and exits 0 (full score) or 1.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD;; esac
GUEST=${GUEST:-$BUILD/guest/guest.elf}
LAB_TMP=$(mktemp -d /tmp/vmlab-grade.XXXXXX)
trap 'rm -rf "$LAB_TMP"' EXIT
_score=0 _total=0

_grade_line() {  # NAME VERDICT
    local dots
    dots=$(printf '%*s' $(( ${#1} < 38 ? 40 - ${#1} : 2 )) '' | tr ' ' '.')
    echo "$1 $dots $2"
}
grade_pass() { _score=$((_score + $2)) _total=$((_total + $2)); _grade_line "$1" "OK ($2 pts)"; }
grade_fail() { _total=$((_total + $2)); _grade_line "$1" "FAIL (0/$2 pts): $3"; }
# grade_skip NAME WHY : a test this machine cannot run (e.g. no root for a
# container); counted in neither the score nor the total.
grade_skip() { _grade_line "$1" "SKIP (0 pts): $2"; }
# grade_check NAME PTS WHY CMD... : pass if CMD succeeds, else fail with WHY.
grade_check() {
    local name=$1 pts=$2 why=$3; shift 3
    if "$@"; then grade_pass "$name" "$pts"; else grade_fail "$name" "$pts" "$why"; fi
}
grade_end() {
    echo "Score: $_score/$_total"
    exit $(( _score == _total ? 0 : 1 ))
}

# lab_run OUT CMD... : run a VMM command (timeout 150 s: a safety net above
# the graders' --timeout, never a speed limit; no stdin), output
# (stdout+stderr) in OUT, exit status in $LAB_RC.
lab_run() {
    local out=$1; shift
    timeout 150 "$@" >"$out" 2>&1 </dev/null
    LAB_RC=$?
    echo "$LAB_RC" >"$out.rc"
}
# lab_rc OUT : the exit status lab_run saved for OUT.
lab_rc() { cat "$1.rc" 2>/dev/null || echo missing; }
# lab_why OUT : one line on why the run in OUT went wrong: the handout's
# not-implemented line, a crash (signal), a timeout, else its last lines.
lab_why() {
    local out=$1 rc; rc=$(lab_rc "$out")
    local ni; ni=$(grep -m1 '^not implemented: lab ' "$out" | tr -d '\r')
    if [ -n "$ni" ]; then echo "\"$ni\" (status $rc)"
    elif [ "$rc" = 124 ]; then echo "the VMM did not finish (timeout)"
    elif [ "$rc" != missing ] && [ "$rc" -gt 128 ]; then echo "the VMM crashed (signal $((rc - 128)))"
    else echo "status $rc, last output: $(tail -n 2 "$out" | tr -d '\r' | tr '\n' '|')"; fi
}
