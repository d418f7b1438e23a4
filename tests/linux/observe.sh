#!/bin/bash
# tests/linux/observe.sh — the tools of the course on a kernel nobody here
# wrote: the ncurses visualizer (--viz) during a Linux boot under tmux
# (exit histogram, the kernel's console, the page walk of a kernel
# address), and the trace of a Linux boot (vmtrace --stats agreeing with
# --stats, vmtrace --dot rendered by graphviz, the --dot page walk of the
# kernel's first page).  The kernel and initramfs come from
# scripts/linux.sh, as in session.sh.
. "$(dirname "$0")/../lib.sh"
LINUX=$BUILD/linux
VMM=$BUILD/vmm-bt
VMTRACE=$BUILD/vmtrace
ARGS=(--engine bt --mem 256M --initrd "$LINUX/initrd.gz" "$LINUX/vmlinuz"
      -- console=ttyS0 nokaslr noapic nolapic)
SOCK=vmlab-linux-$$
T="tmux -L $SOCK -f /dev/null"

need_linux "Linux under the visualizer and the trace"
[ -x "$VMM" ] || { skip "Linux observed" "$VMM is not built"; finish; }

# --- the trace of the first seconds of a boot ------------------------------
"$VMM" --timeout 8 --stats --trace "$TMPD/linux.trace" --dot "$TMPD/walk.dot" \
    --walk 0xc1000000 "${ARGS[@]}" >"$TMPD/trace.out" 2>&1 </dev/null
# The I/O exits --stats printed at the end, against the trace's count.
"$VMTRACE" --stats "$TMPD/linux.trace" >"$TMPD/vmtrace.stats" 2>&1
io_trace=$(grep -E '^ *I/O instruction +30 ' "$TMPD/vmtrace.stats" | awk '{print $4}')
if grep -q "Linux version 6\.1" "$TMPD/trace.out" && [ -n "$io_trace" ] && [ "$io_trace" -gt 100 ] &&
    grep -qE "^ *I/O instruction +30 +$io_trace( |$)" "$TMPD/trace.out"; then
    ok "trace of a Linux boot: vmtrace --stats counts the I/O exits --stats counted ($io_trace)"
else
    notok "trace of a Linux boot: vmtrace --stats = --stats" \
        "vmtrace: ${io_trace:-none}, --stats line: $(grep -E 'I/O instruction' "$TMPD/trace.out" | head -1)"
fi
if "$VMTRACE" --dot -o "$TMPD/flow.dot" "$TMPD/linux.trace" &&
    dot -Tsvg "$TMPD/flow.dot" -o "$TMPD/flow.svg" 2>"$TMPD/dot.err" &&
    grep -q "I/O instruction" "$TMPD/flow.svg"; then
    ok "vmtrace --dot on a Linux trace renders with graphviz"
else
    notok "vmtrace --dot on a Linux trace renders" "$(head -c 300 "$TMPD/dot.err")"
fi
# The kernel's text at 0xc1000000 (PAGE_OFFSET 0xc0000000 + 16 MiB,
# where the bzImage's protected-mode kernel is loaded): a 4 MiB page of
# the kernel's own page tables.
if grep -q "PDE = 0x[0-9a-f]*\\\\lP=1 .*PS=1" "$TMPD/walk.dot" &&
    grep -q "maps a 4 MiB page at 0x01000000" "$TMPD/walk.dot" &&
    dot -Tsvg "$TMPD/walk.dot" -o "$TMPD/walk.svg" 2>/dev/null; then
    ok "--dot --walk 0xc1000000: the kernel's 4 MiB page at physical 16 MiB, rendered"
else
    notok "--dot --walk 0xc1000000" "$(grep -m2 -E 'PDE|maps' "$TMPD/walk.dot" | tr '\n' '|')"
fi

# --- the visualizer, live, under tmux ---------------------------------------
if ! command -v tmux >/dev/null; then
    skip "Linux under --viz" "tmux is not installed"
    finish
fi
trap '$T kill-server 2>/dev/null; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"; rm -rf "$TMPD"' EXIT
printf '%s\n' "cd $ROOT" "$VMM --viz ${ARGS[*]} 2>$TMPD/viz.err" "echo \$? >$TMPD/viz.rc" \
    "sleep 60" >"$TMPD/viz.sh"
$T new-session -d -s viz -x 120 -y 40 "bash $TMPD/viz.sh"
screen() { $T capture-pane -p -t viz; }
# The limit is a safety net for a loaded machine, not a speed requirement.
# The console pane shows the kernel's last lines: printk's "[    0.009545] ".
seen= end=$((SECONDS + 90))
while [ $SECONDS -lt $end ]; do
    screen >"$TMPD/screen"
    if grep -qE "\[ *[0-9]+\.[0-9]{6}\] [A-Za-z]" "$TMPD/screen" &&
        grep -qE "^ *I/O instruction +30 +[0-9]+" "$TMPD/screen" &&
        grep -qE "^PDE @[0-9a-f]{8} = " "$TMPD/screen"; then
        seen=1
        break
    fi
    sleep 0.1
done
if [ -n "$seen" ]; then
    ok "--viz during a Linux boot: exit histogram, the kernel's console and its page walk"
else
    notok "--viz during a Linux boot" "screen: $(grep -v '^ *$' "$TMPD/screen" | tr '\n' '|')"
fi
$T send-keys -t viz q
for _ in $(seq 100); do [ -s "$TMPD/viz.rc" ] && break; sleep 0.1; done
if [ "$(cat "$TMPD/viz.rc" 2>/dev/null)" = 130 ] && grep -q "stopped on request" "$TMPD/viz.err"; then
    ok "--viz on Linux: q stops the VM (status 130)"
else
    notok "--viz on Linux: q stops the VM" "status $(cat "$TMPD/viz.rc" 2>/dev/null), $(head -2 "$TMPD/viz.err")"
fi
finish
