#!/bin/bash
# tests/slides/slides.sh — the lecture decks (slides/NN-*.md, `make slides`):
#  - `make _slides` builds every deck into one self-contained HTML file;
#  - each deck has 15-30 slides, every include was replaced by a measured
#    table, every repository path it names exists, it embeds everything
#    (no http(s) resource, images as data: URIs) and every local link
#    resolves; the decks together use every Chinese term of the glossary;
#  - in Debian's headless chromium every deck renders (its script shows one
#    slide), every image loads, nothing is fetched over http(s), no slide's
#    content spills out of its 16:9 frame; then one screenshot per deck,
#    of its first slide with a figure (else with a measured table), goes to
#    build/slides/shots/NN-*.png.
# Without pandoc or chromium (scripts/deps.sh installs both) the checks that
# need them are skipped with the reason.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT" || exit 1
HTML=$BUILD/slides/html
SHOTS=$BUILD/slides/shots

# ---- build ------------------------------------------------------------------
if ! command -v pandoc >/dev/null; then
    skip "make slides builds the decks" "pandoc is not installed (make deps installs Debian's pandoc)"
    finish
fi
decks=$(ls slides/[0-9][0-9]-*.md 2>/dev/null)
if [ -z "$decks" ]; then
    notok "lecture decks exist" "no slides/NN-*.md"
    finish
fi
if make -j2 --no-print-directory BUILD="$BUILD" _slides >"$TMPD/make.log" 2>&1; then
    ok "make slides builds $(echo "$decks" | wc -l) decks"
else
    notok "make slides builds the decks" "$(grep -m3 -i 'error' "$TMPD/make.log" | tr '\n' '|')"
    finish
fi

# ---- each deck, statically ----------------------------------------------------
# A backquoted token that names a repository path (its first component exists
# at the root) must exist; build output and placeholders are not paths.
paths_missing() {
    grep -o '`[^`]*`' "$1" | tr -d '`' | sort -u |
        grep -E '^[A-Za-z0-9_.][A-Za-z0-9_./+-]*/[A-Za-z0-9_./+-]*$' |
        grep -vE '(^|/)build/|[A-Z]{3,}|\*' | while IFS= read -r t; do
            [ -e "${t%%/*}" ] || [ -e "common/${t%%/*}" ] || continue
            [ -e "${t%/}" ] || [ -e "common/${t%/}" ] || echo "$t"
        done | tr '\n' ' '
}

for md in $decks; do
    name=$(basename "$md" .md)
    html=$HTML/$name.html
    n=$(grep -c '^## ' "$md")
    if [ "$n" -ge 15 ] && [ "$n" -le 30 ]; then ok "$name: $n slides (15-30)"
    else notok "$name: 15-30 slides" "$n slides"; fi
    if [ ! -s "$html" ]; then
        notok "$name: built" "no $html"
        continue
    fi
    if grep -q 'class="include"' "$html"; then notok "$name: every include measured" "an include block is left in $html"
    else ok "$name: every include replaced by a measured table"; fi
    # Points students at the toolkit: a folder of the tree and a command.
    if grep -qE '`(0[1-6]-[a-z-]+|common|labs|tools|scripts)/[^`]*`' "$md" &&
       grep -qE '^(make |build/)|`(make [a-z]|build/vmm-)' "$md"; then
        ok "$name: points at the toolkit's files and commands"
    else notok "$name: points at the toolkit" "no stage, lab or common/ path, or no make/build command"; fi
    bad=$(paths_missing "$md")
    if [ -z "$bad" ]; then ok "$name: the repository paths it names exist"
    else notok "$name: the repository paths it names exist" "missing: $bad"; fi
    # Resources: <img|script|link|iframe|source ... src/href="http..."> or a
    # CSS url(http...) would be fetched; an <a href> to a paper is only a link.
    remote=$(grep -oE '<(img|script|link|iframe|source|video|audio|embed|object)[^>]*(src|href|data)="https?:[^"]*"|url\(["'\'']?https?:[^)]*\)|@import' "$html" | head -3 | tr '\n' ' ')
    if [ -z "$remote" ]; then ok "$name: no resource from the network"
    else notok "$name: no resource from the network" "$remote"; fi
    notdata=$(grep -oE '<img [^>]*src="[^"]*"' "$html" | grep -v 'src="data:' | head -3 | tr '\n' ' ')
    if [ -z "$notdata" ]; then ok "$name: every image embedded ($(grep -o '<img ' "$html" | wc -l))"
    else notok "$name: every image embedded" "$notdata"; fi
    badlink=""
    while IFS= read -r href; do
        case $href in
            http://*|https://*|mailto:*) ;;
            \#*) grep -q "id=\"${href#\#}\"" "$html" || badlink="$badlink $href" ;;
            *) [ -e "$HTML/${href%%#*}" ] || badlink="$badlink $href" ;;
        esac
    done < <(grep -oE '<a [^>]*href="[^"]*"' "$html" | sed 's/.*href="\([^"]*\)"/\1/')
    if [ -z "$badlink" ]; then ok "$name: every local link resolves"
    else notok "$name: every local link resolves" "broken:$badlink"; fi
done

# The glossary's Chinese column: each piece between "/" and parentheses
# that is not plain ASCII ("root 模式", "虚拟机退出") is a term.
missing=""
while IFS= read -r t; do
    cat $decks | grep -qF -- "$t" || missing="$missing $t;"
done < <(awk -F'|' '/^\|/ && $3 !~ /^ *(中文|---) *$/ { print $3 }' slides/glossary.md | tr '/()' '\n\n\n' |
         sed 's/^ *//; s/ *$//' | grep -P '[^\x00-\x7f]' | sort -u)
if [ -z "$missing" ]; then ok "the decks use every Chinese term of slides/glossary.md"
else notok "the decks use every Chinese term of slides/glossary.md" "missing:$missing"; fi

# ---- in a browser -------------------------------------------------------------
# One headless chromium for every deck, driven over the DevTools protocol on
# a pipe (--remote-debugging-pipe: JSON messages ended by NUL on fds 3 and
# 4; jq builds and reads them): open the deck at its screenshot slide (the
# first with a figure, else with a measured table), wait for its load event, evaluate
# tests/slides/check.js in it, capture the screenshot.  One browser start
# instead of one per deck keeps the suite short on a loaded machine.
CHROME=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROME" ]; then
    skip "the decks render in a browser" "chromium is not installed (make deps installs Debian's chromium)"
    finish
fi
mkfifo "$TMPD/cdp.in" "$TMPD/cdp.out"
# Root needs --no-sandbox; a proxy nobody listens on makes any http(s)
# request fail here instead of leaving the machine.
flags=(--headless --disable-gpu --hide-scrollbars --no-first-run --user-data-dir="$TMPD/chrome"
       --proxy-server=127.0.0.1:9 --window-size=1280,720 --remote-debugging-pipe)
[ "$(id -u)" = 0 ] && flags+=(--no-sandbox)
timeout 120 "$CHROME" "${flags[@]}" 3<"$TMPD/cdp.in" 4>"$TMPD/cdp.out" 2>"$TMPD/chrome.err" &
exec 5>"$TMPD/cdp.in" 6<"$TMPD/cdp.out"
cdp_id=0
# cdp METHOD PARAMS-JSON [SESSION] : send one command, print its result object.
cdp() {
    cdp_id=$((cdp_id + 1))
    jq -cnj --argjson id $cdp_id --arg m "$1" --argjson p "$2" --arg s "${3:-}" \
        '{id: $id, method: $m, params: $p} + (if $s == "" then {} else {sessionId: $s} end), "\u0000"' >&5 ||
        return 1
    cdp_wait "{\"id\":$cdp_id,*" | jq -c '.result // {error: .error}'
}
# cdp_wait PATTERN : read messages until one matches the glob (chromium writes
# compact JSON, the id first); print it.  30 s at most per message.
cdp_wait() {
    local msg
    while IFS= read -r -d '' -t 30 msg <&6; do
        # shellcheck disable=SC2053
        [[ $msg == $1 ]] && { printf '%s\n' "$msg"; return 0; }
    done
    return 1
}
target=$(cdp Target.createTarget '{"url": "about:blank"}' | jq -r '.targetId // empty')
if [ -z "$target" ]; then
    skip "the decks render in a browser" "headless chromium did not run here: $(grep -v -e dbus -e '^$' "$TMPD/chrome.err" | head -n 2 | tr '\n' '|')"
    finish
fi
session=$(cdp Target.attachToTarget "{\"targetId\": \"$target\", \"flatten\": true}" | jq -r .sessionId)
cdp Page.enable '{}' "$session" >/dev/null
cdp Emulation.setDeviceMetricsOverride \
    '{"width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": false}' "$session" >/dev/null
check=$(jq -Rs '{expression: ., returnByValue: true}' tests/slides/check.js)
rm -rf "$SHOTS"; mkdir -p "$SHOTS"
for md in $decks; do
    name=$(basename "$md" .md)
    want=$(( $(grep -c '^## ' "$md") + 1 ))
    # the first slide with a figure, else with a measured table, else slide 2
    fig=$(awk '/^## / { n++ } /!\[/ && n && !f { f = n + 1 } /^```\{\.include\}/ && n && !t { t = n + 1 }
               END { print f ? f : t ? t : 2 }' "$md")
    cdp Page.navigate "{\"url\": \"file://$HTML/$name.html#${fig:-2}\"}" "$session" >/dev/null
    if ! cdp_wait '*"method":"Page.loadEventFired"*' >/dev/null; then
        notok "$name: renders" "no load event in 30 s"
        continue
    fi
    cdp Runtime.evaluate "$check" "$session" | jq -r '.result.value // "bad evaluate: \(.)"' >"$TMPD/result"
    line=$(grep '^slides ' "$TMPD/result")
    set -- $line
    if [ "${2:-}" = "$want" ] && [ "${4:-}" = 1 ]; then ok "$name: renders, $want slides, one shown by its script"
    else notok "$name: renders" "read '${line:-nothing}', want $want slides and one shown"; fi
    bad=$(grep '^bad ' "$TMPD/result" | cut -d' ' -f2- | head -5 | tr '\n' '|')
    if [ -z "$bad" ]; then ok "$name: images load, nothing fetched, every slide fits 1280x720"
    else notok "$name: images load, nothing fetched, every slide fits" "$bad"; fi
    png=$SHOTS/$name.png
    cdp Page.captureScreenshot '{"format": "png"}' "$session" | jq -r '.data // empty' | base64 -d >"$png"
    # A PNG's IHDR: width and height at bytes 16-23; a blank page
    # compresses to a few KiB.
    size=$(od -An -tu1 -j16 -N8 "$png" | awk '{ print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8 }')
    bytes=$(stat -c %s "$png")
    if [ "$size" = 1280x720 ] && [ "$bytes" -gt 15000 ]; then ok "$name: screenshot of slide ${fig:-2}: $png"
    else notok "$name: screenshot" "$png: ${size:-no PNG}, $bytes bytes"; fi
done
cdp Browser.close '{}' >/dev/null
exec 5>&- 6<&-
wait
finish
