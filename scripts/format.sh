#!/bin/bash
# scripts/format.sh — format the tracked C sources with clang-format and the
# repository's .clang-format (tuned on clang-format 14, Debian 12's).
#
#   scripts/format.sh            format every tracked *.c / *.h in place
#   scripts/format.sh FILE...    format only these files
#   scripts/format.sh --check    change nothing; list the files that are not
#                                formatted, exit 1 if there are any
#
# Files matching a pattern of .clang-format-ignore (hand-aligned tables,
# hand-assembled machine code, test data: the reason is written next to each
# pattern) are left alone; inside other files, code between
# "// clang-format off" and "// clang-format on" is too.
# CLANG_FORMAT=... picks another binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
    for c in clang-format-14 clang-format; do
        if command -v "$c" >/dev/null; then cf=$c; break; fi
    done
fi
if [ -z "$cf" ]; then
    echo "format: clang-format is not installed (make deps, or apt-get install clang-format)" >&2
    exit 2
fi

check=false
if [ "${1:-}" = --check ]; then check=true; shift; fi

# The patterns of .clang-format-ignore: one per line, '#' starts a comment;
# a pattern is a shell glob over the path from the root ('*' also matches '/').
patterns=()
if [ -f .clang-format-ignore ]; then
    while IFS= read -r line; do
        line=${line%%#*}
        line=$(echo "$line" | tr -d '[:space:]')
        [ -n "$line" ] && patterns+=("$line")
    done < .clang-format-ignore
fi
ignored() {
    local p
    for p in "${patterns[@]}"; do
        # shellcheck disable=SC2053  # $p is a glob on purpose
        [[ $1 == $p ]] && return 0
    done
    return 1
}

files=()
while IFS= read -r f; do
    [ -f "$f" ] && ! ignored "$f" && files+=("$f")
done < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else git ls-files '*.c' '*.h'; fi)
[ ${#files[@]} -gt 0 ] || exit 0

if $check; then
    # --dry-run prints "FILE:LINE:COL: warning: code should be clang-formatted"
    # for every place it would change; keep one line per file.
    bad=$("$cf" --style=file --dry-run "${files[@]}" 2>&1 |
          sed -n 's/^\(.*\):[0-9]*:[0-9]*: warning: code should be clang-formatted.*/\1/p' | sort -u)
    if [ -n "$bad" ]; then
        echo "$bad"
        exit 1
    fi
    exit 0
fi
"$cf" --style=file -i "${files[@]}"
