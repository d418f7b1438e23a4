#!/bin/bash
# tests/style/format.sh — every tracked C source is formatted by the
# repository's .clang-format (docs/ARCHITECTURE.md §8), except what
# .clang-format-ignore lists; the fix is `scripts/format.sh`.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT" || exit 1

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    skip "C sources formatted" "not a git work tree (the check reads git ls-files)"
    finish
fi
cf=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format || true)}
if [ -z "$cf" ]; then
    notok "C sources formatted" "clang-format is not installed (scripts/deps.sh installs it)"
    finish
fi
ver=$("$cf" --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
if [ "$ver" != 14 ]; then
    # Each clang-format release formats a little differently; the config
    # was tuned on 14, so another version would report false differences.
    skip "C sources formatted" "$cf is version ${ver:-unknown}, .clang-format is for clang-format 14"
    finish
fi

if [ -f .clang-format ]; then ok ".clang-format exists"; else notok ".clang-format exists" "missing"; fi

# Every pattern of the exclusion list must still match a tracked file: a
# pattern left behind by a rename would silently exclude nothing (or the
# wrong file later).
stale=""
files=$(git ls-files '*.c' '*.h')
while IFS= read -r line; do
    p=$(echo "${line%%#*}" | tr -d '[:space:]')
    [ -n "$p" ] || continue
    hit=false
    for f in $files; do
        # shellcheck disable=SC2053
        if [[ $f == $p ]]; then hit=true; break; fi
    done
    $hit || stale="$stale $p"
done < <(cat .clang-format-ignore 2>/dev/null)
if [ -z "$stale" ]; then ok ".clang-format-ignore: every pattern matches a tracked C source"
else notok ".clang-format-ignore: every pattern matches a tracked C source" "stale:$stale"; fi

out=$(CLANG_FORMAT=$cf "$ROOT/scripts/format.sh" --check 2>&1)
rc=$?
n=$(echo "$out" | grep -c . || true)
if [ $rc -eq 0 ]; then
    ok "C sources formatted by .clang-format"
elif [ $rc -eq 1 ]; then
    notok "C sources formatted by .clang-format" \
        "$n files differ (run scripts/format.sh): $(echo "$out" | head -n 8 | tr '\n' ' ')..."
    echo "$out" | sed 's/^/#   not formatted: /'   # the whole list, one per line
else
    notok "C sources formatted by .clang-format" "scripts/format.sh --check failed: $out"
fi
finish
