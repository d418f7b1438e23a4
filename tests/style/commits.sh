#!/bin/bash
# tests/style/commits.sh — commit messages (docs/ARCHITECTURE.md §8): every
# commit since the rule was adopted has a subject "area: what changed" of at
# most 72 characters, and every commit that is not a merge has a body that
# says why.  History from before the rule (up to RULE_BASE) is not checked.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT" || exit 1

RULE_BASE=41c0ddb   # the last commit made before the rule

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    skip "commit messages" "not a git work tree"
    finish
fi
if ! git cat-file -e "$RULE_BASE^{commit}" 2>/dev/null; then
    skip "commit messages" "commit $RULE_BASE is not in this clone (shallow?)"
    finish
fi

long="" noarea="" nobody="" n=0
while read -r h; do
    n=$((n + 1))
    subj=$(git log -1 --format=%s "$h")
    [ ${#subj} -le 72 ] || long="$long ${h:0:7}(${#subj})"
    [[ "$subj" =~ ^[a-zA-Z0-9_./,\ -]+:\ [^\ ] ]] || noarea="$noarea ${h:0:7}"
    if [ "$(git rev-list --no-walk --count --min-parents=2 "$h")" -eq 0 ] &&
        [ -z "$(git log -1 --format=%b "$h" | tr -d '[:space:]')" ]; then
        nobody="$nobody ${h:0:7}"
    fi
done < <(git rev-list "$RULE_BASE..HEAD")

verdict() {   # verdict NAME LIST: ok when LIST is empty
    if [ -z "$2" ]; then ok "$1"; else notok "$1" "$3$2"; fi
}
verdict "$n commit subjects are at most 72 characters" "$long" "too long:"
verdict "$n commit subjects read 'area: what changed'" "$noarea" "no 'area: ':"
verdict "every commit that is not a merge has a body that says why" "$nobody" "no body:"
finish
