#!/bin/bash
# scripts/grade-class.sh SUBMISSIONS — `make grade-class`: grade a class.
# SUBMISSIONS/NAME/ is one student's tree (a handout with their work).  For
# each, in name order: copy this tree's graders over the student's (so an
# edited grade script grades nothing: labs/*.sh, labs/*.mk, labs/lab*/*.sh,
# scripts/grade.sh), build it (make _all), run `make grade` on every lab
# (VMLAB_HIDDEN_TESTS=dir adds the instructor's hidden tests) and turn its
# build/grade.json into CSV rows on stdout, after one header line:
#
#   student,lab,test,points,max,status,hidden,message
#   "alice",1,"helper_ring0_observations",10,10,"pass",false,""
#
# A tree that does not build is one row: test "build", status "error", the
# first error line as message.  One line per student on stderr:
# "grade-class: alice 210/310".  Logs: NAME/build/grade-class.log.
# docs/INSTRUCTOR.md §4.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-}
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "grade-class: no submissions folder '${dir}' (make grade-class SUBMISSIONS=dir)" >&2; exit 2
fi
if [ -n "${VMLAB_HIDDEN_TESTS:-}" ]; then
    [ -d "$VMLAB_HIDDEN_TESTS" ] || { echo "grade-class: no hidden tests folder '$VMLAB_HIDDEN_TESTS'" >&2; exit 2; }
    VMLAB_HIDDEN_TESTS=$(cd "$VMLAB_HIDDEN_TESTS" && pwd)
fi
graders=$(cd "$ROOT" && git ls-files 'labs/*.sh' 'labs/*.mk' 'scripts/grade.sh' 2>/dev/null ||
          ls labs/*.sh labs/*.mk labs/lab*/*.sh scripts/grade.sh)
# A student's tree is built and graded on its own: none of this make's
# variables (BUILD=... on its command line reaches sub-makes through
# MAKEFLAGS) or of the graders' environment may point it at this tree.
smake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u BUILD -u GUEST -u ROOT \
              -u GRADE_RECORDS make "$@"; }
csv() { sed 's/"/""/g; s/.*/"&"/'; }   # one CSV string field per line
echo "student,lab,test,points,max,status,hidden,message"
for s in "$dir"/*/; do
    s=${s%/}; who=$(basename "$s")
    [ -f "$s/Makefile" ] || { echo "grade-class: $who: no Makefile, not a tree; skipped" >&2; continue; }
    (cd "$ROOT" && for f in $graders; do mkdir -p "$s/$(dirname "$f")" && cp "$f" "$s/$f"; done)
    mkdir -p "$s/build"
    log=$s/build/grade-class.log
    if ! smake -C "$s" -j2 --no-print-directory _all >"$log" 2>&1; then
        why=$(grep -m1 -E 'error|Error' "$log" || tail -n 1 "$log")
        echo "$(csv <<<"$who"),,\"build\",0,0,\"error\",false,$(csv <<<"does not build: $why")"
        echo "grade-class: $who does not build (see $log)" >&2; continue
    fi
    rm -f "$s/build/grade.json"
    smake -C "$s" --no-print-directory grade VMLAB_HIDDEN_TESTS="${VMLAB_HIDDEN_TESTS:-}" >>"$log" 2>&1
    if [ ! -s "$s/build/grade.json" ]; then
        echo "$(csv <<<"$who"),,\"grade\",0,0,\"error\",false,$(csv <<<"no build/grade.json: $(tail -n 1 "$log")")"
        echo "grade-class: $who: grading failed (see $log)" >&2; continue
    fi
    jq -r --arg who "$who" '.[] | [$who, .lab, .test, .points, .max, .status, .hidden, .message] | @csv' \
        "$s/build/grade.json"
    echo "grade-class: $who $(jq -r '"\(map(.points) | add // 0)/\(map(.max) | add // 0)"' "$s/build/grade.json")" >&2
done
