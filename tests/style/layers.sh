#!/bin/bash
# tests/style/layers.sh — the include rule (docs/ARCHITECTURE.md §2): stage N
# may include common/ and the stages before it, never a later one; common/
# and tools/ include no stage.  Tests may include anything.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT" || exit 1

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    skip "include rule" "not a git work tree (the check reads git ls-files)"
    finish
fi

# Every #include "NN-stage/..." in a tracked file outside tests/, as
# "file:line:NN" (the including file's stage, or 00 for common/ and tools/).
bad=""
checked=0
while IFS=: read -r file line text; do
    case $file in
        tests/*) continue ;;
        [0-9][0-9]-*/*) own=${file%%-*} ;;
        *) own=00 ;;
    esac
    inc=$(echo "$text" | sed -n 's/.*#[[:space:]]*include[[:space:]]*"\([0-9][0-9]\)-.*/\1/p')
    [ -n "$inc" ] || continue
    checked=$((checked + 1))
    if [ "$own" = 00 ] || [ $((10#$inc)) -gt $((10#$own)) ]; then
        bad="$bad $file:$line"
    fi
done < <(git grep -nE '#[[:space:]]*include[[:space:]]*"[0-9][0-9]-' -- '*.c' '*.h' '*.S')

if [ "$checked" -eq 0 ]; then
    notok "include rule" "no stage include found at all: the pattern is broken"
elif [ -z "$bad" ]; then
    ok "include rule: $checked stage includes, none from common/, tools/ or an earlier stage to a later one"
else
    notok "include rule" "includes of a later stage (or of a stage from common/ or tools/):$bad"
fi
finish
