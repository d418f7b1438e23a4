#!/bin/bash
# tests/labs/labs.sh — both trees of every lab (docs/ARCHITECTURE.md §10, labs/README.md):
#  - the solution (this tree) gets full marks from `make grade`, hidden
#    tests included (the sample tests/labs/hidden/labN/*.sh), and
#    build/grade.json holds one valid record per graded test;
#  - `make handout LAB=n` gives a tree that compiles, in which every test of
#    lab n fails with "not implemented: lab n: ..." (status 71, no crash),
#    every other lab still gets full marks, and the total is the partial
#    score that leaves;
#  - the hidden-test format (labs/README.md §5) and a wrong LAB or HIDDEN.
# To stay fast the handout is built over a copy of this tree's build/ (only
# the stubbed files and what links them are rebuilt); VMLAB_LABS_CLEAN=1
# builds each handout from scratch instead.
. "$(dirname "$0")/../lib.sh"
HIDDEN=$ROOT/tests/labs/hidden

# The labs with a tracked grade.sh (a handout holds only what git tracks).
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    LABS=$(git -C "$ROOT" ls-files 'labs/lab*/grade.sh')
else
    LABS=$(cd "$ROOT" && ls labs/lab*/grade.sh 2>/dev/null)
fi
LABS=$(sed -n 's|^labs/lab\([0-9][0-9]*\)-[^/]*/grade.sh$|\1|p' <<<"$LABS" | sort -un)
if [ -z "$LABS" ]; then skip "labs" "no labs/labN-*/ yet"; finish; fi
if ! command -v jq >/dev/null; then notok "labs: jq" "jq not installed (scripts/deps.sh installs it)"; finish; fi

# section OUT N : lab N's lines in the output of `make grade` (all labs).
section() { awk -v h="== lab $2:" 'index($0, h) == 1 { f = 1; next } /^== lab |^Total: / { f = 0 } f' "$1"; }
# score OUT : "x y" from the Score line of OUT
score() { sed -n 's/^Score: \([0-9]*\)\/\([0-9]*\)$/\1 \2/p' "$1" | tail -n 1; }
full_marks() {  # NAME OUT
    local s; s=$(score "$2")
    if [ -n "$s" ] && [ "${s% *}" = "${s#* }" ] && [ "${s#* }" -gt 0 ]; then ok "$1 (Score: ${s/ //})"
    else notok "$1" "expected full marks, got '${s:-no Score line}'; $(grep -m1 'FAIL (' "$2")"; fi
}
# json_checks NAME JSON OUT : JSON is a valid array with one well-typed
# record per graded line of OUT, and its points per lab are OUT's Scores.
json_checks() {
    local name=$1 j=$2 out=$3 lines n bad want got
    if ! jq -e 'type == "array"' "$j" >/dev/null 2>"$TMPD/jq.err"; then
        notok "$name: grade.json parses" "$(head -n 1 "$TMPD/jq.err" "$j" | tr '\n' '|')"; return
    fi
    ok "$name: grade.json parses (jq)"
    lines=$(grep -cE ' \.+ (OK|FAIL|SKIP) \(' "$out"); n=$(jq length "$j")
    bad=$(jq -c '[.[] | select((.lab | type) != "number" or (.test | type) != "string"
            or (.points | type) != "number" or (.max | type) != "number" or (.message | type) != "string"
            or (.hidden | type) != "boolean" or (.status | IN("pass", "fail", "skip") | not)
            or .points > .max or (.status == "pass") != (.points == .max and .max > 0))] | first // empty' "$j")
    if [ "$n" -gt 0 ] && [ "$n" = "$lines" ] && [ -z "$bad" ]; then ok "$name: grade.json has one record per test ($n)"
    else notok "$name: grade.json records" "expected $lines well-typed records (one per graded line), got $n; first bad: ${bad:-none}"; fi
    want=$(for m in $LABS; do echo "$m $(score <(section "$out" "$m"))"; done | tr '\n' ';')
    got=$(jq -r --argjson labs "[$(tr '\n' ',' <<<"$LABS" | sed 's/,$//')]" \
        '$labs[] as $l | [.[] | select(.lab == $l)] | "\($l) \(map(.points) | add // 0) \(map(.max) | add // 0)"' "$j" | tr '\n' ';')
    if [ "$want" = "$got" ]; then ok "$name: grade.json points per lab match the Score lines"
    else notok "$name: grade.json points per lab" "expected (lab points max) $want got $got"; fi
}

# ---- the solution: full marks, hidden tests counted, grade.json ------------------
( cd "$ROOT" && BUILD=$BUILD VMLAB_HIDDEN_TESTS=$HIDDEN scripts/grade.sh ) >"$TMPD/sol" 2>&1
rc=$?
for n in $LABS; do
    section "$TMPD/sol" "$n" >"$TMPD/sol-$n"
    full_marks "lab $n solution: make grade gives full marks" "$TMPD/sol-$n"
done
t=$(sed -n 's/^Total: \([0-9]*\/[0-9]*\) .*/\1/p' "$TMPD/sol")
if [ "$rc" = 0 ] && [ -n "$t" ] && [ "${t%/*}" = "${t#*/}" ]; then ok "make grade (all labs): Total $t, status 0"
else notok "make grade (all labs)" "expected a full Total and status 0, got '${t:-no Total line}', status $rc"; fi
cp "$BUILD/grade.json" "$TMPD/sol.json" 2>/dev/null
json_checks "make grade (all labs)" "$TMPD/sol.json" "$TMPD/sol"
# Every sample hidden test was run, counted in its lab's score, full marks.
for f in "$HIDDEN"/lab*/*.sh; do
    [ -f "$f" ] || continue
    n=$(basename "$(dirname "$f")" | tr -dc 0-9) name=$(basename "$f" .sh)
    max=$(sed -n 's/^# points: \([0-9]*\)$/\1/p' "$f")
    rec=$(jq -c --arg t "$name" --argjson l "$n" '.[] | select(.lab == $l and .test == $t and .hidden)' "$TMPD/sol.json")
    visible=$(jq --argjson l "$n" '[.[] | select(.lab == $l and (.hidden | not)) | .max] | add' "$TMPD/sol.json")
    s=$(score "$TMPD/sol-$n")
    if [ -n "$rec" ] && [ "$(jq .points <<<"$rec")" = "$max" ] && [ "$(jq .max <<<"$rec")" = "$max" ] &&
       [ "${s#* }" = $((visible + max)) ]; then
        ok "hidden test lab$n/$name: run and counted ($max pts; lab $n Score ${s/ //})"
    else notok "hidden test lab$n/$name" "expected a hidden record with $max/$max points and lab $n's total $visible + $max, got '${rec:-no record}', Score '${s/ //}'"; fi
done

# ---- each lab's README: the sections a student needs, and the grading as graded
for n in $LABS; do
    r=$(ls "$ROOT"/labs/lab"$n"-*/README.md 2>/dev/null | head -n 1)
    missing=""
    for h in 'Goal' 'Background' 'Steps' 'How to test' 'Grading' 'Common mistakes'; do
        grep -q "^## $h" "$r" 2>/dev/null || missing+="'## $h' "
    done
    # every visible test that ran here, as a row "| name | max |" of the grading table
    rows=$(jq -r --argjson l "$n" '.[] | select(.lab == $l and (.hidden | not) and .status != "skip") | "\(.test) \(.max)"' "$TMPD/sol.json" |
        while read -r t p; do grep -qE "^\| $t \| $p \|" "$r" || printf '%s ' "$t=$p"; done)
    said=$(sed -n 's/^## Grading.*(\([0-9]*\) points.*/\1/p' "$r" | head -n 1)
    sum=$(awk -F'|' '/^## Grading/ { g = 1; next } /^## / { g = 0 } g && $3 ~ /^ *[0-9]+ *$/ { s += $3 } END { print s + 0 }' "$r")
    # with no test skipped here, the total graded is the total stated
    graded=$(jq --argjson l "$n" '[.[] | select(.lab == $l and (.hidden | not))] |
        if any(.status == "skip") then -1 else (map(.max) | add) end' "$TMPD/sol.json")
    if [ -n "$missing" ] || [ -n "$rows" ] || [ -z "$said" ] || [ "$said" != "$sum" ] ||
       { [ "$graded" != -1 ] && [ "$graded" != "$said" ]; }; then
        notok "lab $n README: sections and grading table" "missing sections: ${missing:-none}; tests without their '| name | points |' row: ${rows:-none}; total stated '${said:-none}', rows add up to $sum, graded $graded"
    else ok "lab $n README: every section, every test with its points, total $said"; fi
done

# ---- make grade LAB=n: that lab only, the same Score line ---------------------
n=$(head -n 1 <<<"$LABS")
make -C "$ROOT" --no-print-directory BUILD="$BUILD" grade LAB="$n" >"$TMPD/one" 2>&1
if [ "$(tail -n 1 "$TMPD/one")" = "Score: $(score "$TMPD/sol-$n" | tr ' ' /)" ] && ! grep -q '^== lab' "$TMPD/one" &&
   [ "$(jq -r '[.[].lab] | unique | map(tostring) | join(",")' "$BUILD/grade.json")" = "$n" ]; then
    ok "make grade LAB=$n: its tests and Score line only; grade.json holds lab $n"
else notok "make grade LAB=$n" "expected lab $n's tests ending in its Score line, got '$(tail -n 1 "$TMPD/one")'"; fi

# ---- wrong LAB or HIDDEN: one line of error, nothing graded -------------------
for args in "LAB=99" "LAB=x1" "HIDDEN=$TMPD/no-such-dir"; do
    make -C "$ROOT" --no-print-directory BUILD="$BUILD" grade "$args" >"$TMPD/bad" 2>&1
    rc=$?
    if [ "$rc" != 0 ] && [ "$(wc -l <"$TMPD/bad")" = 1 ] && grep -qE "grade: (no lab '(99|x1)'|the hidden tests folder)" "$TMPD/bad"; then
        ok "make grade $args: a one-line error"
    else notok "make grade $args" "expected one line of error and a failure, got status $rc: $(head -n 3 "$TMPD/bad" | tr '\n' '|')"; fi
done

# ---- the hidden-test format: partial points, no points line, too many, no header
H=$TMPD/hidden-fmt
mkdir -p "$H/lab9"
printf '# points: 4\necho noise\necho "3 a \\\\ \\"quoted\\" reason"\n' >"$H/lab9/partial.sh"
printf '# points: 2\necho "it broke" >&2\nexit 3\n' >"$H/lab9/silent.sh"
printf '# points: 2\necho 7\n' >"$H/lab9/toomany.sh"
printf 'echo 1\n' >"$H/lab9/noheader.sh"
printf '# points: 6\necho 6\n' >"$H/lab9/full.sh"
( cd "$ROOT" && LAB_N=9 VMLAB_HIDDEN_TESTS=$H GRADE_RECORDS=$TMPD/fmt.rec bash -c '. labs/lib.sh; grade_end' ) >"$TMPD/fmt" 2>&1
"$ROOT/scripts/grade.sh" --json "$TMPD/fmt.rec" "$TMPD/fmt.json"
got=$(jq -r '.[] | "\(.test)=\(.points)/\(.max)"' "$TMPD/fmt.json" 2>&1 | tr '\n' ' ')
if [ "$got" = "full=6/6 noheader=0/0 partial=3/4 silent=0/2 toomany=0/2 " ] &&
   grep -q '^Score: 9/14$' "$TMPD/fmt" && grep -q 'partial .* FAIL (3/4 pts): a \\ "quoted" reason$' "$TMPD/fmt" &&
   [ "$(jq -r '.[] | select(.test == "partial") | .message' "$TMPD/fmt.json")" = 'a \ "quoted" reason' ] &&
   grep -q 'silent .* FAIL (0/2 pts): hidden test printed no points (status 3), last output: it broke' "$TMPD/fmt"; then
    ok "hidden tests: partial points, no points line, too many points, no header (Score: 9/14)"
else notok "hidden tests: the format" "expected full=6/6 noheader=0/0 partial=3/4 silent=0/2 toomany=0/2 and Score: 9/14, got $got; $(tr '\n' '|' <"$TMPD/fmt")"; fi

# ---- no timing in grading: a timer tick-rate FAIL alone is not the student's
F=$TMPD/runs
mkdir -p "$F"
printf 'PASS hello\nFAIL timer ring-3 tick rate 44 Hz, expected about 100\n' >"$F/rate"; echo 1 >"$F/rate.rc"
printf 'FAIL timer tick rate 458 Hz against the TSC\nFAIL pagefault 3 pages lost\n' >"$F/both"; echo 1 >"$F/both.rc"
printf 'FAIL timer slept 19 ticks with 25 wake-ups from hlt, expected 20\n' >"$F/wake"; echo 1 >"$F/wake.rc"
printf 'not implemented: lab 1: x\n' >"$F/stub"; echo 71 >"$F/stub.rc"
printf 'PASS hello\n' >"$F/pass"; echo 0 >"$F/pass.rc"
got=$(cd "$ROOT" && bash -c '. labs/lib.sh; for r in rate both wake stub pass; do
        printf "%s=%s:%s " $r "$(lab_status "$1/$r")" "$(lab_fails "$1/$r" | wc -l)"; done' _ "$F")
if [ "$got" = "rate=0:0 both=1:1 wake=1:1 stub=71:0 pass=0:0 " ]; then
    ok "lab_status/lab_fails: only timer's tick-rate FAIL is left out"
else notok "lab_status/lab_fails" "expected rate=0:0 both=1:1 wake=1:1 stub=71:0 pass=0:0, got $got"; fi

# ---- the handouts: lab n's tests fail through the stubs, the others pass ------
tot_sol=$(sed -n 's/^Total: [0-9]*\/\([0-9]*\) .*/\1/p' "$TMPD/sol")
for n in $LABS; do
    h=$TMPD/handout-$n
    if ! "$ROOT/scripts/handout.sh" "$n" "$h" >"$TMPD/ho-$n" 2>&1; then
        notok "lab $n handout: make handout" "$(tail -n 2 "$TMPD/ho-$n" | tr '\n' '|')"; continue
    fi
    ok "lab $n handout: make handout ($(grep -o '[0-9]* region(s)' "$TMPD/ho-$n"))"
    if grep -rqE "/\\* LAB $n STUB: " "$h" --include='*.[ch]'; then
        notok "lab $n handout: solutions removed" "$(grep -rlE "/\\* LAB $n STUB: " "$h" --include='*.[ch]' | head -n 1) still has a region's body"
    else ok "lab $n handout: solutions removed"; fi
    [ -z "${VMLAB_LABS_CLEAN:-}" ] && [ -d "$BUILD" ] && cp -a "$BUILD" "$h/build" && rm -f "$h/build/grade.json"
    if make -C "$h" -j2 --no-print-directory _all >"$TMPD/build-$n" 2>&1; then ok "lab $n handout: compiles (make _all)"
    else notok "lab $n handout: compiles" "$(grep -m1 -E 'error|Error' "$TMPD/build-$n")"; continue; fi

    # make grade (every lab, with the hidden tests) in the handout tree.
    make -C "$h" --no-print-directory grade HIDDEN="$HIDDEN" >"$TMPD/hg-$n" 2>&1
    rc=$?
    section "$TMPD/hg-$n" "$n" >"$TMPD/hg-$n-$n"
    # Its own lab: every test fails, each because a stub was reached (status 71, not a crash).
    tests=$(grep -cE ' \.+ (OK|FAIL) \(' "$TMPD/hg-$n-$n") fails=$(grep -cE ' \.+ FAIL \(' "$TMPD/hg-$n-$n")
    stubbed=$(grep -E ' \.+ FAIL \(' "$TMPD/hg-$n-$n" | grep -c "not implemented: lab $n: .*(status 71)")
    if [ "$tests" -gt 0 ] && [ "$fails" = "$tests" ] && [ "$stubbed" = "$tests" ] && grep -q '^Score: 0/' "$TMPD/hg-$n-$n"; then
        ok "lab $n handout: all $tests graded tests fail with 'not implemented: lab $n' (status 71)"
    else notok "lab $n handout: its own tests" "expected all graded tests to fail with 'not implemented: lab $n: ...' (status 71), got $fails of $tests failing, $stubbed by the stub; $(grep -m1 -vE "OK \(|not implemented: lab $n: .*status 71" "$TMPD/hg-$n-$n")"; fi
    if grep -qE 'crashed \(signal' "$TMPD/hg-$n"; then notok "lab $n handout: no crash" "$(grep -m1 'crashed' "$TMPD/hg-$n")"
    else ok "lab $n handout: no crash"; fi
    # The other labs stay solved.
    for m in $LABS; do
        [ "$m" = "$n" ] && continue
        section "$TMPD/hg-$n" "$m" >"$TMPD/hg-$n-$m"
        full_marks "lab $n handout: lab $m still gets full marks" "$TMPD/hg-$n-$m"
    done
    # The partial score: the solution's total less lab n's points.
    own=$(score "$TMPD/hg-$n-$n"); own=${own:-none 0}; t=$(sed -n 's/^Total: \([0-9]*\/[0-9]*\) .*/\1/p' "$TMPD/hg-$n")
    # (make's own status is 2 for a recipe that failed, grade.sh's 1.)
    if [ "$rc" = 2 ] && grep -q '_grade\] Error 1$' "$TMPD/hg-$n" && [ "$t" = "$((tot_sol - ${own#* }))/$tot_sol" ]; then
        ok "lab $n handout: make grade Total $t (all but lab $n's ${own#* } points), status 1"
    else notok "lab $n handout: make grade Total" "expected $((tot_sol - ${own#* }))/$tot_sol and grade.sh's status 1, got '${t:-no Total line}', make status $rc"; fi
    json_checks "lab $n handout" "$h/build/grade.json" "$TMPD/hg-$n"
done

# ---- make grade-class: a class of two, one with an edited grade script, one that does not build
n=$(tail -n 1 <<<"$LABS"); h=$TMPD/handout-$n
if [ -f "$h/build/grade.json" ]; then
    C=$TMPD/class
    mkdir -p "$C/bob"
    ln -s "$h" "$C/alice"
    printf '_all:\n\t@echo "lab.c:1: error: expected ;" >&2; false\n' >"$C/bob/Makefile"
    g=$(ls "$h"/labs/lab"$n"-*/grade.sh)
    sed -i '2i echo "Score: 999/999"; exit 0   # a student edit' "$g"
    want=$(sed -n 's/^Total: \([0-9]*\/[0-9]*\) .*/\1/p' "$TMPD/hg-$n")
    make -C "$ROOT" --no-print-directory BUILD="$BUILD" grade-class SUBMISSIONS="$C" HIDDEN="$HIDDEN" >"$TMPD/class.out" 2>&1
    csv=$BUILD/grades.csv
    rows=$(grep -c '^"alice",' "$csv") recs=$(jq length "$h/build/grade.json")
    own=$(awk -F, -v l="$n" '$1 == "\"alice\"" && $2 == l { p += $4 } END { print p + 0 }' "$csv")
    if [ "$(head -n 1 "$csv")" = "student,lab,test,points,max,status,hidden,message" ] && [ "$rows" = "$recs" ] &&
       [ "$own" = 0 ] && ! grep -q 'a student edit' "$g" && grep -q "^grade-class: alice $want\$" "$TMPD/class.out" &&
       grep -q '^"bob",,"build",0,0,"error",false,"does not build: lab.c:1: error: expected ;"$' "$csv"; then
        ok "make grade-class: one CSV, the instructor's graders, alice $want, bob does not build"
    else notok "make grade-class" "expected a header, $recs rows for alice (lab $n: 0 points, edited grade.sh replaced, total $want) and bob's build error, got $rows rows, lab $n $own points; $(tr '\n' '|' <"$TMPD/class.out")"; fi
else skip "make grade-class" "the lab $n handout was not graded"; fi
finish
