# scripts/demo/steps.sh — the helpers a stage file's "$ command" lines may
# use, sourced by scripts/demo.sh (which sets PACE, TTY and pause).
#
#   viz CMD...        the visualizer (CMD has --viz or --step): with
#                     DEMO_PACE=key as long as the lecturer likes (q leaves
#                     it, back to the demo); with DEMO_PACE=N for max(N, 2)
#                     seconds, then SIGTERM stops it like q
#   compare A 'CMD A' B 'CMD B' [ARG...]
#                     runs both commands, each followed by the ARGs, with
#                     --stats (and --timeout 60) and prints their exits
#                     by reason and the engines' main counters side by side
#                     (80 columns), with the guest's PASS/FAIL line
#   linux_boot CMD... boots Debian's Linux (scripts/linux.sh fetches it;
#                     one line and nothing else when it cannot) under the
#                     VMM of CMD: with DEMO_PACE=key the lecturer types at
#                     its shell (poweroff ends it), otherwise uname -a and
#                     poweroff are typed when the prompt is there

viz() {
    if [ "$PACE" = key ]; then
        echo "(visualizer: n next exit, space run/pause, a address, q back to the demo)"
        "$@"
    else
        local secs=$((PACE > 2 ? PACE : 2))
        timeout --foreground -s TERM -k 5 "$secs" "$@"
    fi
}

# compare_run OUT VMM ARG... : the VMM with --stats, its output to OUT.
compare_run() {
    local out=$1 bin=$2
    shift 2
    timeout 120 "$bin" --stats --timeout 60 "$@" </dev/null >"$out" 2>&1
}

compare() {
    local la=$1 ca=$2 lb=$3 cb=$4 dir rc=0
    shift 4
    dir=$(mktemp -d -t vmlab-demo.XXXXXX) || return 1
    # shellcheck disable=SC2086  # the commands are word lists by design
    compare_run "$dir/a" $ca "$@" || rc=$?
    # shellcheck disable=SC2086
    compare_run "$dir/b" $cb "$@" || rc=$?
    awk -v la="$la" -v lb="$lb" '
        function num(s, re) {
            if (!match(s, "[0-9]+ " re)) return ""
            s = substr(s, RSTART, RLENGTH); sub(/ .*/, "", s); return s
        }
        function put(key, v) {
            if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
            val[f, key] = v
        }
        FNR == 1 { f++ }
        { sub(/\r$/, "") }
        /: stats: engine / {
            split($0, w, ", "); t = w[2]; sub(/ s$/, "", t)
            total = num($0, "exits"); time[f] = t
        }
        /^  .* [0-9]+ +[0-9]+ +[0-9]+ ns$/ {
            r = $1; for (i = 2; i <= NF - 4; i++) r = r " " $i
            put("exit: " r, $(NF - 2))
        }
        /^bt: window:/ {
            put("bt: hidden page faults", num($0, "hidden page faults"))
            put("bt: windows dropped (flushes)", num($0, "window flushes"))
        }
        /^bt: helper calls/ {
            s = $0; sub(/^[^:]*: /, "", s); gsub(/\[[0-9]+\]/, "", s)
            n = split(s, it, ", "); sum = 0
            for (i = 1; i <= n; i++) { k = split(it[i], x, " "); sum += x[k] }
            put("bt: helper calls (sensitive instr.)", sum)
        }
        /^pv: hypercalls:/ { put("pv: hypercalls", num($0, "in all")) }
        /^shadow: [0-9]+ address-space switches/ {
            put("shadow: CR3 loads hitting the cache", num($0, "hits"))
        }
        /^shadow: write protection:/ {
            put("shadow: guest table writes trapped", num($0, "guest table writes trapped"))
        }
        /^(PASS|FAIL) / { res[f] = $1 " " $2 }
        /: stats: engine / { tot[f] = total }
        END {
            fmt = "%-42s %17s %17s\n"
            printf fmt, "exits and counters (--stats)", la, lb
            for (i = 1; i <= nk; i++) {
                k = order[i]; if (k !~ /^exit: /) continue
                printf fmt, "  " substr(k, 7), val[1, k] == "" ? "-" : val[1, k], val[2, k] == "" ? "-" : val[2, k]
            }
            printf fmt, "VM exits in all", tot[1], tot[2]
            for (i = 1; i <= nk; i++) {
                k = order[i]; if (k ~ /^exit: /) continue
                printf fmt, k, val[1, k] == "" ? "-" : val[1, k], val[2, k] == "" ? "-" : val[2, k]
            }
            printf fmt, "seconds", time[1], time[2]
            printf fmt, "the guest says", res[1] == "" ? "-" : res[1], res[2] == "" ? "-" : res[2]
        }' "$dir/a" "$dir/b"
    rm -rf "$dir"
    return $rc
}

linux_boot() {
    local L=build/linux out rc
    if [ "${DEMO_LINUX:-yes}" = no ]; then
        echo "(skipped: DEMO_LINUX=no)"
        return 0
    fi
    echo "(scripts/linux.sh: Debian's linux-image-686 and busybox, cached after once)"
    out=$(scripts/linux.sh "$L" 2>&1)
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "(skipped: Debian's Linux cannot be fetched: ${out##*$'\n'})" | cut -c1-80
        return 0
    fi
    local cmd=("$@" --mem 256M --initrd "$L/initrd.gz" "$L/vmlinuz" -- console=ttyS0 nokaslr)
    if [ "$PACE" = key ]; then
        echo "(at the vmlab:/# prompt: uname -a, cat /proc/cpuinfo; poweroff ends it)"
        "${cmd[@]}"
        return
    fi
    # Unattended: type two lines once the shell prompt is on the console.
    local log
    log=$(mktemp -t vmlab-demo.XXXXXX)
    {
        local end=$((SECONDS + 240))
        while [ $SECONDS -lt $end ] && ! grep -q 'vmlab:/# ' "$log"; do sleep 0.5; done
        printf 'uname -a\r'
        sleep 2
        printf 'poweroff\r'
    } | timeout 300 "${cmd[@]}" 2>&1 | tee "$log"
    rc=${PIPESTATUS[1]}
    rm -f "$log"
    # The shell's cursor-position queries (ESC [6n) went to the terminal,
    # whose answers wait in its input: not keys for the next pause.
    if [ "$TTY" = 1 ]; then
        while IFS= read -rsn1 -t 0.3 _; do :; done
    fi
    return "$rc"
}
