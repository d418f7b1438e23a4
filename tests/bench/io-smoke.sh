#!/bin/bash
# tests/bench/io-smoke.sh — tests/bench/io.sh in its quick mode
# (IO_BENCH_QUICK=1: Debian's Linux reads 2 MiB of an emulated IDE disk by
# DMA and of a virtio-blk disk with MSI-X, under bt, and once reads
# nothing): every row holds numbers, io.json has them, and the comparison
# comes out as the devices define it: a DMA command or a virtio request
# moved each MiB with one interrupt, and the IDE disk's register-level
# protocol cost more traps per MiB than virtio's one doorbell write.  No
# timing is checked.
. "$(dirname "$0")/../lib.sh"

need_linux "the I/O bench (quick)"
IO_BENCH_QUICK=1 IO_BENCH_OUT=$TMPD timeout 900 "$ROOT/tests/bench/io.sh" >"$TMPD/table" 2>&1
rc=$?
if [ $rc = 0 ]; then ok "io.sh (IO_BENCH_QUICK=1) ran every row"
else notok "io.sh (IO_BENCH_QUICK=1)" "status $rc; $(tail -n 3 "$TMPD/table" | tr '\n' '|')"; fi
sed 's/^/# /' "$TMPD/table"

# row ROW : "MiB traps data irqs cmds" of ROW in the table.
row() { awk -v r="$1" '$1 == r && NF == 6 { print $2, $3, $4, $5, $6 }' "$TMPD/table"; }
read -r am at ad ai ac <<<"$(row ata-dma)"
read -r vm vt vd vi vc <<<"$(row virtio-msix)"
if [ -n "$am" ] && [ -n "$vm" ]; then ok "rows ata-dma and virtio-msix hold numbers"
else notok "rows ata-dma and virtio-msix hold numbers" "$(cat "$TMPD/table" | tr '\n' '|')"; finish; fi
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
if ge "$am" 2 && ge "$vm" 2; then ok "each disk moved at least the 2 MiB dd read"
else notok "each disk moved at least the 2 MiB dd read" "ata $am MiB, virtio $vm MiB"; fi
if ge "$ai" 0.5 && ge 4 "$ai" && ge "$vi" 0.5 && ge 4 "$vi"; then ok "about one interrupt per MiB on both (1 MiB commands and requests)"
else notok "about one interrupt per MiB on both" "ata $ai, virtio $vi interrupts per MiB"; fi
if [ "$ad" = 0.0 ]; then ok "ata-dma: no data port access (the bus master moves the data)"
else notok "ata-dma: no data port access" "$ad data port accesses per MiB"; fi
if ge "$at" 10 && ge "$at" "$(awk -v v="$vt" 'BEGIN { print 4 * v }')"; then
    ok "the IDE disk costs more traps per MiB than virtio-blk ($at against $vt)"
else notok "the IDE disk costs more traps per MiB than virtio-blk" "ata $at, virtio $vt"; fi
if command -v jq >/dev/null; then
    if jq -e '.rows | length == 2 and .[0].row == "ata-dma"' "$TMPD/io.json" >/dev/null; then ok "io.json parses, 2 rows"
    else notok "io.json parses, 2 rows" "$(head -c 300 "$TMPD/io.json")"; fi
else
    expect_grep "io.json has the rows" '"row": "ata-dma".*"row": "virtio-msix"' "$TMPD/io.json"
fi
finish
