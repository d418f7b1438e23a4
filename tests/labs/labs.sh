#!/bin/bash
# tests/labs/labs.sh — both trees of every lab (docs/ARCHITECTURE.md §10, labs/README.md):
#  - the solution (this tree) gets full marks from `make grade LAB=n`;
#  - `make handout LAB=n` gives a tree that compiles, in which every test of
#    lab n fails with "not implemented: lab n: ..." (status 71, no crash),
#    and every other lab still gets full marks.
# To stay fast the handout is built over a copy of this tree's build/ (only
# the stubbed files and what links them are rebuilt); VMLAB_LABS_CLEAN=1
# builds each handout from scratch instead.
. "$(dirname "$0")/../lib.sh"

# The labs with a tracked grade.sh (a handout holds only what git tracks).
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    LABS=$(git -C "$ROOT" ls-files 'labs/lab*/grade.sh')
else
    LABS=$(cd "$ROOT" && ls labs/lab*/grade.sh 2>/dev/null)
fi
LABS=$(sed -n 's|^labs/lab\([0-9][0-9]*\)-[^/]*/grade.sh$|\1|p' <<<"$LABS" | sort -un)
if [ -z "$LABS" ]; then skip "labs" "no labs/labN-*/ yet"; finish; fi
grade() {  # grade TREE N OUT : run lab N's grade.sh in TREE (its own build/)
    local g; g=$(ls "$1"/labs/lab"$2"-*/grade.sh | head -n 1)
    ( cd "$1" && BUILD="$1/build" GUEST="$1/build/guest/guest.elf" ROOT="$1" "$g" ) >"$3" 2>&1
    echo $? >"$3.rc"
}
full_marks() {  # NAME OUT
    local s; s=$(grep -m1 '^Score: ' "$2")
    if [ "$(cat "$2.rc")" = 0 ] && [[ "$s" =~ ^Score:\ ([0-9]+)/([0-9]+)$ ]] && \
       [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[2]}" -gt 0 ]; then ok "$1 ($s)"
    else notok "$1" "expected full marks, got '${s:-no Score line}' (status $(cat "$2.rc")); $(grep -m1 'FAIL (' "$2")"; fi
}

for n in $LABS; do
    grade "$ROOT" "$n" "$TMPD/sol-$n"
    full_marks "lab $n solution: make grade gives full marks" "$TMPD/sol-$n"
done

for n in $LABS; do
    h=$TMPD/handout-$n
    if ! "$ROOT/scripts/handout.sh" "$n" "$h" >"$TMPD/ho-$n" 2>&1; then
        notok "lab $n handout: make handout" "$(tail -n 2 "$TMPD/ho-$n" | tr '\n' '|')"; continue
    fi
    ok "lab $n handout: make handout ($(grep -o '[0-9]* region(s)' "$TMPD/ho-$n"))"
    if grep -rqE "/\\* LAB $n STUB: " "$h" --include='*.[ch]'; then
        notok "lab $n handout: solutions removed" "$(grep -rlE "/\\* LAB $n STUB: " "$h" --include='*.[ch]' | head -n 1) still has a region's body"
    else ok "lab $n handout: solutions removed"; fi
    [ -z "${VMLAB_LABS_CLEAN:-}" ] && [ -d "$BUILD" ] && cp -a "$BUILD" "$h/build"
    if make -C "$h" -j2 --no-print-directory _all >"$TMPD/build-$n" 2>&1; then ok "lab $n handout: compiles (make _all)"
    else notok "lab $n handout: compiles" "$(grep -m1 -E 'error|Error' "$TMPD/build-$n")"; continue; fi

    # Its own lab: every test fails, each because a stub was reached (status 71, not a crash).
    grade "$h" "$n" "$TMPD/hg-$n"
    tests=$(grep -cE ' \.+ (OK|FAIL) \(' "$TMPD/hg-$n") fails=$(grep -cE ' \.+ FAIL \(' "$TMPD/hg-$n")
    stubbed=$(grep -E ' \.+ FAIL \(' "$TMPD/hg-$n" | grep -c "not implemented: lab $n: .*(status 71)")
    if [ "$tests" -gt 0 ] && [ "$fails" = "$tests" ] && [ "$stubbed" = "$tests" ] && grep -q '^Score: 0/' "$TMPD/hg-$n"; then
        ok "lab $n handout: all $tests graded tests fail with 'not implemented: lab $n' (status 71)"
    else notok "lab $n handout: its own tests" "expected all graded tests to fail with 'not implemented: lab $n: ...' (status 71), got $fails of $tests failing, $stubbed by the stub; $(grep -m1 -vE "OK \(|not implemented: lab $n: .*status 71" "$TMPD/hg-$n")"; fi
    if grep -qE 'crashed \(signal' "$TMPD/hg-$n"; then notok "lab $n handout: no crash" "$(grep -m1 'crashed' "$TMPD/hg-$n")"
    else ok "lab $n handout: no crash"; fi
    # The other labs stay solved.
    for m in $LABS; do
        [ "$m" = "$n" ] && continue
        grade "$h" "$m" "$TMPD/hg-$n-$m"
        full_marks "lab $n handout: lab $m still gets full marks" "$TMPD/hg-$n-$m"
    done
done
finish
