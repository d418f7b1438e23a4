#!/bin/bash
# scripts/handout.sh LAB OUT — copy the tracked tree (git ls-files) to OUT with
# every region of lab LAB's solution code replaced by a stub (labs/README.md):
#
#     /* LAB n BEGIN: task */                 /* LAB n BEGIN: task */
#     ... solution ...               ->       lab_not_implemented(n, "task");   /* TODO(lab n): task */
#     /* LAB n STUB: (void)x; */              (void)x;
#     /* LAB n END */                         /* LAB n END */
#
# Regions of other labs stay solved.  The copy builds on its own
# (make -C OUT _all, with its own OUT/build).
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

regions=0
while IFS= read -r -d '' f; do
    tmp=$out/$f.handout
    if ! awk -v n="$lab" -v file="$f" '
        function strip(s, kind) {
            sub("^[ \t]*/[*] LAB " n " " kind ": ", "", s); sub(" [*]/[ \t]*$", "", s); return s
        }
        BEGIN { begin_re = "^[ \t]*/[*] LAB " n " BEGIN: .*[*]/[ \t]*$"
                end_re   = "^[ \t]*/[*] LAB " n " END [*]/[ \t]*$"
                stub_re  = "^[ \t]*/[*] LAB " n " STUB: .*[*]/[ \t]*$" }
        $0 ~ begin_re {
            if (inr) { printf "%s:%d: LAB %s BEGIN inside a region\n", file, NR, n > "/dev/stderr"; exit 3 }
            ind = $0; sub(/[^ \t].*$/, "", ind)
            task = strip($0, "BEGIN")
            if (task ~ /"/) { printf "%s:%d: task text must not contain a quote\n", file, NR > "/dev/stderr"; exit 3 }
            print
            printf "%slab_not_implemented(%s, \"%s\");   /* TODO(lab %s): %s */\n", ind, n, task, n, task
            inr = 1; start = NR; count++; next
        }
        $0 ~ end_re {
            if (!inr) { printf "%s:%d: LAB %s END without BEGIN\n", file, NR, n > "/dev/stderr"; exit 3 }
            inr = 0; print; next
        }
        inr && $0 ~ stub_re { s = $0; ind = s; sub(/[^ \t].*$/, "", ind); print ind strip(s, "STUB"); next }
        inr { next }
        { print }
        END {
            if (inr) { printf "%s:%d: LAB %s BEGIN without END\n", file, start, n > "/dev/stderr"; exit 3 }
            printf "%d\n", count > "/dev/fd/3"
        }' "$f" >"$tmp" 3>"$out/.handout-count"; then
        rm -f "$tmp"; exit 1
    fi
    regions=$((regions + $(cat "$out/.handout-count")))
    cat "$tmp" >"$out/$f" && rm -f "$tmp"      # keeps the file's mode
done < <(git grep -lz -E "/\\* LAB $lab BEGIN: " -- . || true)
rm -f "$out/.handout-count"

if [ "$regions" -eq 0 ]; then echo "handout: no LAB $lab regions found" >&2; exit 1; fi
echo "handout: lab $lab, $regions region(s) stubbed, tree in $out"
echo "  build: make -C $out _all    grade: make -C $out grade LAB=$lab"
