#!/bin/bash
# tests/labs/labs.sh — both trees of every lab (docs/ARCHITECTURE.md §10, labs/README.md):
#  - the solution (this tree) gets full marks from `make grade`, hidden
#    tests included (the sample tests/labs/hidden/labN/*.sh), and
#    build/grade.json holds one valid record per graded test;
#  - `make handout LAB=n` gives a git repository with one commit that
#    holds no solution of lab n or of a later lab and compiles; every test
#    of lab n fails with "not implemented: lab n: ..." (status 71, no
#    crash), so do a later lab's, every earlier lab still gets full marks,
#    and the total is the partial score that leaves;
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

# Lab 0 grades from a run of its measure.sh (VMs of ours and QEMU's, a
# container): one run, taken here, serves every grading of this suite
# that is about something else (LAB0_MEASURED); the case below that fakes
# a machine without namespaces measures afresh.
if [ -x "$ROOT/labs/lab0-containers-vs-vms/measure.sh" ]; then
    BUILD=$BUILD GUEST=$GUEST "$ROOT/labs/lab0-containers-vs-vms/measure.sh" -n 2000 \
        >"$TMPD/lab0-measured.txt" 2>&1 && export LAB0_MEASURED=$TMPD/lab0-measured.txt
fi

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

# docs/INSTRUCTOR.md: a 14-week syllabus in which every lab is handed out and
# due, every demo it names exists, and the effort table gives every lab with
# the points it is graded on.
I=$ROOT/docs/INSTRUCTOR.md bad=""
weeks=$(grep -cE '^\| [0-9]+ \| ' "$I")
[ "$weeks" = 14 ] || bad+="$weeks week rows; "
for n in $LABS; do
    grep -qE "^\| [0-9]+ \|.*\*\*lab $n\*\* out" "$I" && grep -qE "^\| [0-9]+ \|.*lab $n due" "$I" || bad+="lab $n not out and due; "
    max=$(jq --argjson l "$n" '[.[] | select(.lab == $l and (.hidden | not)) | .max] | add' "$TMPD/sol.json")
    grep -qE "^\| $n [^|]*\|.*\| [0-9-]+ h \| $max \|\$" "$I" || bad+="no effort row for lab $n with $max points; "
done
for d in $(grep -oE 'make demo STAGE=[0-9]' "$I" | sort -u | tr -dc '0-9\n'); do
    [ -f "$ROOT/scripts/demo/stage0$d.txt" ] || bad+="make demo STAGE=$d has no scripts/demo/stage0$d.txt; "
done
if [ -z "$bad" ]; then ok "docs/INSTRUCTOR.md: 14 weeks, every lab out and due, its demos exist, effort and points per lab"
else notok "docs/INSTRUCTOR.md: syllabus" "$bad"; fi

# labs/README.md opens with the section for a student working alone.
h1=$(grep -m1 '^## ' "$ROOT/labs/README.md")
if [[ "$h1" == *"tudent"* ]]; then ok "labs/README.md: opens with the students' section ($h1)"
else notok "labs/README.md: first section" "expected the student-facing section first, got '$h1'"; fi

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

# ---- lab 0 where the machine forbids namespaces and has no QEMU: SKIP, never FAIL
if [ -x "$ROOT/labs/lab0-containers-vs-vms/grade.sh" ]; then
    mkdir -p "$TMPD/nons"
    printf '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n' >"$TMPD/nons/unshare"
    chmod +x "$TMPD/nons/unshare"
    ( cd "$ROOT" && PATH=$TMPD/nons:$PATH BUILD=$BUILD LAB0_QEMU=no-such-qemu LAB0_MEASURED= \
        labs/lab0-containers-vs-vms/grade.sh ) >"$TMPD/nons.out" 2>&1
    skips=$(grep -E ' \.+ SKIP \(0 pts\): ' "$TMPD/nons.out" | awk '{ print $1 }' | tr '\n' ' ')
    want="container_kernel qemu_kernel container_pid container_network container_memory_limit container_cpu faster_startup smaller_footprint "
    s=$(score "$TMPD/nons.out")
    if [ "$skips" = "$want" ] && ! grep -q ' FAIL (' "$TMPD/nons.out" && [ "${s% *}" = "${s#* }" ] &&
       grep -q 'container_kernel .* SKIP (0 pts): kernel container not measured here: this machine forbids new namespaces' "$TMPD/nons.out"; then
        ok "lab 0 without namespaces or QEMU: the tests that need them SKIP with the reason, Score ${s/ //}"
    else notok "lab 0 without namespaces or QEMU" "expected SKIP for $want and full marks on the rest, got SKIP for ${skips:-none}, Score '${s/ //}'; $(grep -m1 'FAIL (' "$TMPD/nons.out")"; fi
fi

# ---- lab_why quotes the line that explains a failure, not the closing --stats
printf 'PASS hello\nFAIL pagefault 3 pages lost\nbt: 120 blocks translated\nbt: window: 8 hidden page faults\n' >"$F/fail"; echo 1 >"$F/fail.rc"
printf 'check: bt and interp diverge after 7768 instructions\nvmm-bt: error: engine bt failed: --check interp: divergence at guest eip 0x00106b3e: eax 00000206 vs 00000207\nbt: --check interp: 1000 block boundaries compared, DIVERGED\nbt: helper calls: cli 1\n' >"$F/div"; echo 70 >"$F/div.rc"
printf 'FAIL timer tick rate 44 Hz against the TSC\nvmm-hw: error: guest RAM: cannot map 64 MiB\nstats 1\nstats 2\n' >"$F/err"; echo 1 >"$F/err.rc"
printf 'line 1\nno divergence\nlast\n' >"$F/plain"; echo 3 >"$F/plain.rc"
got=$(cd "$ROOT" && bash -c '. labs/lib.sh; for r in fail div err plain; do printf "%s\n" "$(lab_why "$1/$r")"; done' _ "$F")
want='status 1: FAIL pagefault 3 pages lost
status 70: vmm-bt: error: engine bt failed: --check interp: divergence at guest eip 0x00106b3e: eax 00000206 vs 00000207
status 1: vmm-hw: error: guest RAM: cannot map 64 MiB
status 3, last output: no divergence|last|'
if [ "$got" = "$want" ]; then ok "lab_why: quotes the FAIL, error: or divergence line, not the last --stats lines"
else notok "lab_why" "expected $(tr '\n' '/' <<<"$want"), got $(tr '\n' '/' <<<"$got")"; fi

# ---- the handouts: lab n's tests fail through the stubs, the earlier labs pass
for n in $LABS; do
    h=$TMPD/handout-$n
    if ! "$ROOT/scripts/handout.sh" "$n" "$h" >"$TMPD/ho-$n" 2>&1; then
        notok "lab $n handout: make handout" "$(tail -n 2 "$TMPD/ho-$n" | tr '\n' '|')"; continue
    fi
    ok "lab $n handout: make handout ($(grep -o '[0-9]* region(s)' "$TMPD/ho-$n"))"
    # No solution of this lab or of a later one: inside each of their
    # regions the handout holds the stub call and the STUB lines, nothing
    # else (earlier labs' regions may stay solved).
    leaks=""
    for m in $(git -C "$ROOT" grep -ohE '/\* LAB [0-9]+ BEGIN: ' | tr -dc '0-9\n' | sort -un); do
        (( m >= n )) || continue
        # lines a region may keep: its stub call (one per BEGIN) and its STUB lines
        want=$(git -C "$ROOT" grep -hE "^[[:space:]]*/\\* LAB $m (BEGIN|STUB): " | wc -l)
        got=$(cd "$h" && git grep -lzE "/\\* LAB $m BEGIN: " | xargs -0 awk -v m="$m" '
            $0 ~ "/[*] LAB " m " BEGIN: " { r = 1; next } $0 ~ "/[*] LAB " m " END [*]/" { r = 0 } r { n++ }
            END { print n + 0 }')
        [ "$got" = "$want" ] || leaks+="lab $m ($got lines inside its regions, $want expected) "
    done
    if [ -n "$leaks" ]; then notok "lab $n handout: no solution of lab $n or a later lab" "region bodies left: $leaks"
    else ok "lab $n handout: no solution of lab $n or a later lab"; fi
    # A git repository with one commit and nothing uncommitted: `git diff` is the student's work.
    commits=$(git -C "$h" rev-list --count HEAD 2>&1) dirty=$(git -C "$h" status --porcelain 2>&1 | head -n 3 | tr '\n' ' ')
    if [ "$commits" = 1 ] && [ -z "$dirty" ] && [ -z "$(git -C "$h" ls-files -z 'build/*')" ]; then ok "lab $n handout: a git repository with one commit, clean"
    else notok "lab $n handout: git" "expected one commit and a clean tree, got '$commits' commit(s), uncommitted: ${dirty:-none}"; fi
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
    # The README's Steps say where the handout stops first ("# not implemented:
    # lab n: TEXT ...", the task to write first) and the score it starts at
    # ("0/TOTAL"): both as the grader sees them.
    r=$(ls "$ROOT"/labs/lab"$n"-*/README.md | head -n 1)
    said=$(sed -n '/^## Steps/,/^## /s/^ *# not implemented: lab '"$n"': \(.*\) \.\.\..*/\1/p' "$r" | head -n 1)
    first=$(grep -m1 -o "not implemented: lab $n: [^\"]*" "$TMPD/hg-$n-$n" | sed "s/^not implemented: lab $n: //")
    zero=$(sed -n '/^## Steps/,/^## /s/.*# 0\/\([0-9]*\).*/\1/p' "$r" | head -n 1)
    max=$(jq --argjson l "$n" '[.[] | select(.lab == $l and (.hidden | not)) | .max] | add' "$TMPD/sol.json")
    if { [ -z "$said" ] || [[ "$first" == "$said"* ]]; } && { [ -z "$zero" ] || [ "$zero" = "$max" ]; }; then
        ok "lab $n README: Steps name the task the handout stops at first (${said:-not quoted}) and its 0/${zero:-?}"
    else notok "lab $n README: Steps" "the README says the first stop is '${said}' and the handout starts at 0/$zero; the grader stops first at '$first', out of $max (visible tests)"; fi
    if grep -qE 'crashed \(signal' "$TMPD/hg-$n"; then notok "lab $n handout: no crash" "$(grep -m1 'crashed' "$TMPD/hg-$n")"
    else ok "lab $n handout: no crash"; fi
    # Earlier labs stay solved; later labs are stubbed too: each of their
    # tests fails through a stub (status 71), none by a crash.
    for m in $LABS; do
        [ "$m" = "$n" ] && continue
        section "$TMPD/hg-$n" "$m" >"$TMPD/hg-$n-$m"
        if (( m < n )); then full_marks "lab $n handout: earlier lab $m still gets full marks" "$TMPD/hg-$n-$m"; continue; fi
        s=$(score "$TMPD/hg-$n-$m")
        tests=$(grep -cE ' \.+ (OK|FAIL) \(' "$TMPD/hg-$n-$m")
        stubbed=$(grep -E ' \.+ FAIL \(' "$TMPD/hg-$n-$m" | grep -c 'not implemented: lab [0-9]*: .*(status 71)')
        if [ "$tests" -gt 0 ] && [ "$stubbed" = "$tests" ] && [ "${s% *}" = 0 ]; then
            ok "lab $n handout: later lab $m stubbed too (all $tests tests fail with 'not implemented', status 71)"
        else notok "lab $n handout: later lab $m stubbed" "expected all its tests to fail through a stub, got $stubbed of $tests, Score '${s/ //}'"; fi
    done
    # The partial score: the earlier labs' points, out of every lab's.  (A
    # test an earlier lab skips because it needs a later lab's code, e.g.
    # lab 0's vm_cpu without lab 3's exit policy, is in neither.)
    want=0 of=0
    for m in $LABS; do
        s=$(score "$TMPD/hg-$n-$m"); s=${s:-0 0}
        of=$((of + ${s#* })); (( m < n )) && want=$((want + ${s#* }))
    done
    t=$(sed -n 's/^Total: \([0-9]*\/[0-9]*\) .*/\1/p' "$TMPD/hg-$n")
    # (make's own status is 2 for a recipe that failed, grade.sh's 1.)
    if [ "$rc" = 2 ] && grep -q '_grade\] Error 1$' "$TMPD/hg-$n" && [ "$t" = "$want/$of" ]; then
        ok "lab $n handout: make grade Total $t (the earlier labs' points only), status 1"
    else notok "lab $n handout: make grade Total" "expected $want/$of and grade.sh's status 1, got '${t:-no Total line}', make status $rc"; fi
    json_checks "lab $n handout" "$h/build/grade.json" "$TMPD/hg-$n"
done

# ---- lab 4's handout: only the EPT walk is stubbed; shadow paging still runs
h=$TMPD/handout-4
if [ -x "$h/build/vmm-mem" ]; then
    timeout 120 "$h/build/vmm-mem" --engine vmx --mmu shadow --timeout 60 "$GUEST" -- test=ptemod >"$TMPD/h4-sh" 2>&1 </dev/null
    rs=$?
    timeout 120 "$h/build/vmm-mem" --engine vmx --mmu ept --timeout 60 "$GUEST" -- test=ptemod >"$TMPD/h4-ept" 2>&1 </dev/null
    re=$?
    if [ $rs = 0 ] && grep -q '^PASS ptemod$' "$TMPD/h4-sh" && [ $re = 71 ] &&
       grep -q '^not implemented: lab 4: walk the EPT' "$TMPD/h4-ept"; then
        ok "lab 4 handout: --mmu shadow passes, --mmu ept stops at the EPT walk (status 71)"
    else notok "lab 4 handout: what is stubbed" "shadow status $rs, ept status $re: $(grep -m1 -E 'not implemented|error' "$TMPD/h4-ept")"; fi
fi

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
