#!/bin/bash
# scripts/handout.sh LAB OUT — copy the tracked tree (git ls-files) to OUT with
# every region of lab LAB's solution code, and of every later lab's, replaced
# by a stub (labs/README.md §2):
#
#     /* LAB n BEGIN: task */                 /* LAB n BEGIN: task */
#     ... solution ...               ->       lab_not_implemented(n, "task");   /* TODO(lab n): task */
#     /* LAB n STUB: (void)x; */              (void)x;
#     /* LAB n END */                         /* LAB n END */
#
# A handout holds no solution of its own lab or of a lab still to come;
# earlier labs stay solved (a course that builds lab on lab hands them out).
# OUT starts as a git repository with one commit, so that `git diff` shows
# the student's work.  The copy builds on its own (make -C OUT _all, with
# its own OUT/build).
set -euo pipefail
lab=${1:-}; out=${2:-}
if ! [[ "$lab" =~ ^[0-9]+$ ]] || [ -z "$out" ]; then
    echo "usage: make handout LAB=n OUT=dir" >&2; exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! ls -d labs/lab"$lab"-*/ >/dev/null 2>&1; then
    echo "handout: no lab $lab (no labs/lab$lab-*/)" >&2; exit 2
fi
out=$(mkdir -p "$out" && cd "$out" && pwd)
case "$out/" in "$root/"*) echo "handout: OUT must be outside the tree ($out)" >&2; exit 2;; esac
if [ -n "$(ls -A "$out")" ]; then echo "handout: $out is not empty" >&2; exit 2; fi

# Copy what git tracks (as it is in the working tree), keeping modes.
git ls-files -z | while IFS= read -r -d '' f; do
    [ -e "$f" ] || continue
    mkdir -p "$out/$(dirname "$f")"
    cp -p "$f" "$out/$f"
done

regions=0 later_regions=0
while IFS= read -r -d '' f; do
    tmp=$out/$f.handout
    if ! awk -v first="$lab" -v file="$f" '
        function strip(s, kind) {
            sub("^[ \t]*/[*] LAB " n " " kind ": ", "", s); sub(" [*]/[ \t]*$", "", s); return s
        }
        # a marker of lab n (n >= first: this lab and every later one)
        function marker(s, kind,   m) {
            if (!match(s, "^[ \t]*/[*] LAB [0-9]+ " kind)) return 0
            m = s; sub("^[ \t]*/[*] LAB ", "", m); sub(" .*", "", m)
            return m + 0 >= first + 0 ? m : 0
        }
        !inr && marker($0, "BEGIN: .*[*]/[ \t]*$") {
            n = marker($0, "BEGIN: .*[*]/[ \t]*$")
            end_re  = "^[ \t]*/[*] LAB " n " END [*]/[ \t]*$"
            stub_re = "^[ \t]*/[*] LAB " n " STUB: .*[*]/[ \t]*$"
            ind = $0; sub(/[^ \t].*$/, "", ind)
            task = strip($0, "BEGIN")
            if (task ~ /"/) { printf "%s:%d: task text must not contain a quote\n", file, NR > "/dev/stderr"; exit 3 }
            print
            printf "%slab_not_implemented(%s, \"%s\");   /* TODO(lab %s): %s */\n", ind, n, task, n, task
            inr = 1; start = NR; count[n == first ? "own" : "later"]++; next
        }
        inr && marker($0, "BEGIN: ") {
            printf "%s:%d: LAB %s BEGIN inside a region\n", file, NR, n > "/dev/stderr"; exit 3
        }
        inr && $0 ~ end_re { inr = 0; print; next }
        !inr && marker($0, "END [*]/[ \t]*$") {
            printf "%s:%d: LAB %s END without BEGIN\n", file, NR, marker($0, "END") > "/dev/stderr"; exit 3
        }
        inr && $0 ~ stub_re { s = $0; ind = s; sub(/[^ \t].*$/, "", ind); print ind strip(s, "STUB"); next }
        inr { next }
        { print }
        END {
            if (inr) { printf "%s:%d: LAB %s BEGIN without END\n", file, start, n > "/dev/stderr"; exit 3 }
            printf "%d %d\n", count["own"], count["later"] > "/dev/fd/3"
        }' "$f" >"$tmp" 3>"$out/.handout-count"; then
        rm -f "$tmp"; exit 1
    fi
    read -r own later <"$out/.handout-count"
    regions=$((regions + own)) later_regions=$((later_regions + later))
    cat "$tmp" >"$out/$f" && rm -f "$tmp"      # keeps the file's mode
done < <(git grep -lz -E "/\\* LAB [0-9]+ BEGIN: " -- . || true)
rm -f "$out/.handout-count"

if [ "$regions" -eq 0 ]; then echo "handout: no LAB $lab regions found" >&2; exit 1; fi

# One commit: the student's `git diff` is their work, and nothing of the
# instructor's history (which holds the solutions) comes along.
git -C "$out" init -q
git -C "$out" add -A
git -C "$out" -c user.name="vmlab handout" -c user.email="handout@vmlab.invalid" \
    -c commit.gpgsign=false commit -q -m "lab $lab handout"
echo "handout: lab $lab, $regions region(s) stubbed (and $later_regions of later labs), tree in $out (git: one commit)"
echo "  build: make -C $out _all    grade: make -C $out grade LAB=$lab"
