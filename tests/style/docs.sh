#!/bin/bash
# tests/style/docs.sh — the tree explains itself, and only itself
# (docs/ARCHITECTURE.md §8):
#  - every repository path named in backquotes in docs/*.md and in the README
#    files exists (a file moved without its documentation fails here);
#  - every "ARCHITECTURE.md §N" anywhere names a section that exists;
#  - no tracked file points outside the repository (a design page kept
#    elsewhere, a sibling checkout, an absolute path of one machine).
. "$(dirname "$0")/../lib.sh"
cd "$ROOT" || exit 1

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    skip "documentation paths" "not a git work tree (the checks read git ls-files)"
    finish
fi
ARCH=docs/ARCHITECTURE.md
if [ ! -f "$ARCH" ]; then
    notok "$ARCH exists" "missing"
    finish
fi
ok "$ARCH exists"

# resolve TOKEN DOCDIR: does TOKEN name an existing file or folder?  A path is
# read from the repository root, from the document's folder, or from common/
# (the include root: `core/vm.h`).  Prints "yes", "no", or "prose" when the
# first component is none of the repository's (`in/out`, `n/a`, a path on
# another system): only docs/*.md must then still be a path.
resolve() {
    local t=${1%/} dir=$2 base first
    first=${t%%/*}
    for base in . "$dir" common; do
        if [ -e "$base/$first" ]; then
            [ -e "$base/$t" ] && echo yes || echo no
            return
        fi
    done
    echo prose
}

# Backquoted tokens that name paths: no spaces, no placeholders (`NAME`,
# `labN-*`, `<target>`, globs, `{a,b}`), not build output, not absolute.
tokens() {
    grep -o '`[^`]*`' "$1" | tr -d '`' | sort -u |
        grep -E '^[A-Za-z0-9_.][A-Za-z0-9_./+-]*$' |
        grep -vE '(^|/)build/|^\.\./|[A-Z]{3,}|labN|/\.[a-z]$'
}

docs=$( (git ls-files 'docs/*.md'; git ls-files '*README*.md' 'README.md') | sort -u)
for f in $docs; do
    dir=$(dirname "$f") bad=""
    strict=false; case $f in docs/*) strict=true;; esac
    while IFS= read -r t; do
        [ -n "$t" ] || continue
        case $t in
            */*.h/.c)  # "emit.h/.c": both files
                for x in "${t%/.c}" "${t%.h/.c}.c"; do
                    [ "$(resolve "$x" "$dir")" = no ] && bad="$bad $x"
                done; continue ;;
            */*) r=$(resolve "$t" "$dir")
                 if [ "$r" = no ] || { $strict && [ "$r" = prose ]; }; then bad="$bad $t"; fi ;;
            *.c|*.h|*.S|*.sh|*.mk|*.md|*.ld|*.py|*.inc)
                 # a bare file name: only docs/ must use real names throughout
                 if $strict && ! git ls-files | grep -q "/$t\$\|^$t\$"; then bad="$bad $t"; fi ;;
        esac
    done < <(tokens "$f")
    if [ -z "$bad" ]; then ok "paths named in $f exist"
    else notok "paths named in $f exist" "missing:$bad"; fi
done

# "ARCHITECTURE.md §N" must be a numbered section heading "## N. ..." of it.
sections=$(sed -n 's/^## \([0-9][0-9]*\)\. .*/\1/p' "$ARCH" | tr '\n' ' ')
bad=$(git grep -nI -o -E 'ARCHITECTURE\.md`? §[0-9]+(, §[0-9]+)*' | while IFS= read -r hit; do
    for n in $(echo "${hit#*:*:}" | grep -oE '§[0-9]+' | tr -d '§'); do
        case " $sections " in *" $n "*) ;; *) echo "${hit%%:*}:§$n";; esac
    done
done | sort -u | tr '\n' ' ')
if [ -z "$bad" ]; then ok "every ARCHITECTURE.md §N names a section (have: $sections)"
else notok "every ARCHITECTURE.md §N names a section" "no such section: $bad"; fi

# Nothing points outside the repository.  (The patterns are written so that
# this file does not match them itself.)
hits=$(git grep -nI -E 'DESIGN[.]md|[.][.]/shared|(^|[^[:alnum:]_.~/-])/work[/]' | head -n 5)
if [ -z "$hits" ]; then ok "no tracked file points outside the repository"
else notok "no tracked file points outside the repository" "$(echo "$hits" | tr '\n' '|')"; fi

finish
