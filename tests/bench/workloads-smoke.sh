#!/bin/bash
# tests/bench/workloads-smoke.sh — tests/bench/workloads.sh with a tiny
# time budget (BENCH_WL_SECONDS=0.01): it ends with status 0, its table has
# a row per program with its instruction count and a geometric mean, every cell of a column that can
# run here holds a number and every other says n/a with a footnote, and
# workloads.json has every cell.  No timing is checked.
. "$(dirname "$0")/../lib.sh"

NAMES="calls bytecode lists strings sort hash int64 float"
BENCH_WL_SECONDS=0.01 BENCH_WL_REPEAT=1 WL_OUT=$TMPD timeout 300 "$ROOT/tests/bench/workloads.sh" >"$TMPD/table" 2>&1
rc=$?
if [ "$rc" = 0 ]; then ok "workloads.sh (BENCH_WL_SECONDS=0.01): status 0"
else notok "workloads.sh (BENCH_WL_SECONDS=0.01)" "status $rc: $(grep -m2 'fail' "$TMPD/table" | tr '\n' '|')"; fi

header=$(grep -m1 '^program ' "$TMPD/table")
cols=$(echo "$header" | awk '{ for (i = 3; i <= NF; i++) printf "%s ", $i }')
if [ "$cols" = "native qemu-i386 qemu-tcg interp bt " ] && [ "$(echo "$header" | awk '{ print $2 }')" = Minsns ]
then ok "table: instructions per round and the five columns"
else notok "table: the five columns" "header '$header'"; fi
# A column can run here iff it is not n/a for a reason of the host.
can() {
    case $1 in
    native) [ "$NATIVE_ARCH" = i386 ] ;;
    qemu-i386) command -v qemu-i386 >/dev/null ;;
    qemu-tcg) command -v qemu-system-i386 >/dev/null ;;
    *) true ;;
    esac
}
bad=
for n in $NAMES; do
    row=$(grep "^$n " "$TMPD/table")
    [ -z "$row" ] && { bad+=" $n:no-row"; continue; }
    echo "$row" | awk '{ exit !($2 ~ /^[0-9]+\.[0-9][0-9]$/ && $2 > 0) }' || bad+=" $n:Minsns"
    i=0
    for c in $cols; do
        cell=$(echo "$row" | sed 's/)//g; s/(//g' | awk -v k=$((i * 2 + 3)) '{ print $k }')
        if can "$c"; then
            echo "$cell" | grep -Eq '^[0-9.]+$' || bad+=" $n/$c:'$cell'"
        else
            echo "$row" | grep -q 'n/a \[[0-9]*\]' || bad+=" $n/$c:no-footnote"
        fi
        i=$((i + 1))
    done
done
if [ -z "$bad" ]; then ok "table: a number in every cell that can run here, n/a [n] elsewhere"
else notok "table: cells" "$bad"; fi
expect_grep "table: a geometric mean row" '^geomean .*[0-9.]x' "$TMPD/table"
J=$TMPD/workloads.json
if command -v jq >/dev/null; then
    if jq -e '.cells | length == 40' "$J" >/dev/null 2>&1; then ok "workloads.json: 8 x 5 cells"
    else notok "workloads.json: 8 x 5 cells" "$(jq '.cells | length' "$J" 2>&1 | tail -n 1)"; fi
else
    n=$(grep -c '"program": ' "$J" 2>/dev/null)
    if [ "$n" = 40 ]; then ok "workloads.json: 8 x 5 cells"
    else notok "workloads.json: 8 x 5 cells" "$n cells"; fi
fi
finish
