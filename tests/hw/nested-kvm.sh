#!/bin/bash
# tests/hw/nested-kvm.sh — stage 03's KVM engine on a real KVM.
#
# The host's /dev/kvm may be missing, or PVM (which cannot run our paged
# 32-bit guest); so this suite boots a nested machine (nested/machine.sh):
# Debian's cloud kernel under QEMU's TCG, which emulates AMD-V, loads
# kvm-amd and offers /dev/kvm.  In one boot it runs
#   - every case of nested/programs under --engine kvm, each compared with
#     the host's reference engine (PASS lines, RESULT invariants);
#   - hello and syscall with KVM's own exit trace points on, under vmm-hw
#     and under QEMU's microvm (-accel kvm): vmm-hw's --stats must count
#     each exit KVM hands it exactly once, and the two VMMs' exits are
#     printed side by side.
# Skipped, with the reason, only when Debian's package registry cannot be
# reached for the kernel and busybox (nothing is cached in build/nested).
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hw/nested/machine.sh"

LIST=$ROOT/tests/hw/nested/programs
for f in "$BUILD/vmm-hw" "$GUEST" "$BUILD/vmtrace" "$BUILD/tests/fuzz/guests/uart.elf"; do
    [ -e "$f" ] || { notok "nested kvm" "$f missing (run make _all)"; finish; }
done
command -v qemu-system-x86_64 >/dev/null || { notok "nested kvm" "qemu-system-x86_64 missing (package qemu-system-x86)"; finish; }
nested_fetch
case $? in
0) ok "nested: Debian cloud kernel and busybox in build/nested/cache ($(basename "$NESTED_KERNEL"))" ;;
2) skip "nested kvm suite" "$NESTED_WHY"; finish ;;
*) notok "nested: unpacking the kernel and busybox" "see $NESTED/cache"; finish ;;
esac

# --- the cases ----------------------------------------------------------
# Each line of the list becomes NAME, BIN, GUESTF, REF, OPTS, ARGS arrays.
names=() bins=() guests=() refs=() opts=() args=()
while read -r name bin guest ref rest; do
    case $name in ''|'#'*) continue ;; esac
    names+=("$name") bins+=("$bin") guests+=("$guest") refs+=("$ref")
    rest=" $rest "   # VMM options, then " -- ", then the guest's command line
    opts+=("${rest%% -- *}") args+=("${rest#* -- }")
done <"$LIST"

# Every program the guest offers (test=list) is a case.
"$BUILD/vmm-hw" --engine interp "$GUEST" -- test=list >"$TMPD/list.out" 2>&1 </dev/null
missing=""
for p in $(sed -n 's/^PROGRAM \([a-z0-9_]*\) .*/\1/p' "$TMPD/list.out"); do
    printf '%s\n' "${args[@]}" | grep -qw "test=$p" || missing="$missing $p"
done
if [ -z "$missing" ] && grep -q '^PROGRAM ' "$TMPD/list.out"; then ok "nested: every guest program is a case of tests/hw/nested/programs"
else notok "nested: programs list" "no case for:${missing:- (test=list printed no PROGRAM line)}"; fi

# --- the nested machine's root: binaries, guests, QEMU, the run script --
ROOTFS=$NESTED/root
files=("$ROOT/tests/hw/nested/case" /usr/bin/qemu-system-x86_64 "$BUILD"/guest/*.elf
       "$BUILD/vmtrace" "$BUILD/tests/fuzz/guests/uart.elf")
for b in $(printf '%s\n' "${bins[@]}" | sort -u); do files+=("$BUILD/$b"); done
nested_root "$ROOTFS" "${files[@]}" || { notok "nested: root tree" "could not copy ${files[*]}"; finish; }
mkdir -p "$ROOTFS/usr/share/qemu"
for f in bios-microvm.bin pvh.bin linuxboot_dma.bin; do cp -L "/usr/share/qemu/$f" "$ROOTFS/usr/share/qemu/"; done
cp "$(pvh_image)" "$ROOTFS/vmlab/guest-pvh.elf"

QEMU_MICROVM="./qemu-system-x86_64 -L /usr/share/qemu -M microvm,pic=on,pit=on,rtc=off -accel kvm -m 64
  -kernel guest-pvh.elf -device isa-debug-exit,iobase=0xf4,iosize=0x04
  -display none -serial stdio -monitor none -no-reboot -nodefaults"
{
    echo '#!/bin/sh'
    echo 'cd /vmlab'
    for i in "${!names[@]}"; do
        echo "./case ${names[$i]} ./${bins[$i]} --engine kvm --stats --timeout 60 ${opts[$i]} ${guests[$i]} -- ${args[$i]}"
    done
    # --stats against the trace file vmtrace reads; a guest whose REP
    # OUTSB reaches the VMM as string-I/O batches; the control experiments.
    for c in "hello guest.elf -- test=hello" "inout guest.elf -- test=inout" "uart uart.elf -- b"; do
        set -- $c
        echo "./case trace-$1 sh -c './vmm-hw --engine kvm --stats --trace /tmp/$1.trc ${*:2} && echo == vmtrace && ./vmtrace --stats /tmp/$1.trc'"
    done
    # The paravirtual kernel: KVM answers its VMCALL in the kernel (stage 02's README).
    echo "./case pv-kvm ./vmm-hw --engine kvm --stats guest-pv.elf -- test=hello"
    echo "./case ctl-none ./vmm-hw --engine kvm --stats guest.elf -- test=hello"
    echo "./case ctl-hlt ./vmm-hw --engine kvm --stats --kvm-controls hlt=guest guest.elf -- test=hello"
    echo "./case ctl-step ./vmm-hw --engine kvm --stats --kvm-controls step guest.elf -- test=hello"
    for p in hello syscall; do
        echo "KVM_TRACE=1 ./case exits-hw-$p ./vmm-hw --engine kvm --stats --timeout 60 guest.elf -- test=$p"
        echo "KVM_TRACE=1 ./case exits-qemu-$p" $QEMU_MICROVM "-append test=$p"
    done
} >"$ROOTFS/vmlab/run.sh"
chmod +x "$ROOTFS/vmlab/run.sh"
nested_pack "$ROOTFS" "$NESTED/initrd.gz" || { notok "nested: initramfs" "cpio failed"; finish; }
rm -rf "$ROOTFS"

# The host's reference runs go on beside the nested machine (it keeps one
# core busy with TCG).
reference() {  # reference I
    local i=$1
    (cd "$BUILD/guest" && timeout 300 "$BUILD/${bins[$i]}" --engine "${refs[$i]}" --timeout 240 \
        ${opts[$i]} "${guests[$i]}" -- ${args[$i]}) >"$TMPD/ref-${names[$i]}.out" 2>&1 </dev/null
}
for i in "${!names[@]}"; do start_case "ref-${names[$i]}" reference "$i"; done &
refs_pid=$!

start=$SECONDS
nested_boot "$NESTED/initrd.gz" "$TMPD/console.log" "$TMPD/nested.out" 300
boot_rc=$?
wait "$refs_pid"; wait
if grep -q '^nested: /dev/kvm ready' "$TMPD/nested.out"; then ok "nested: the nested machine offers /dev/kvm ($(sed -n 's/^nested: \/dev\/kvm ready (\(.*\))/\1/p' "$TMPD/nested.out"))"
else notok "nested: /dev/kvm" "qemu status $boot_rc; $(grep -m1 '^nested:' "$TMPD/nested.out" || tail -n 3 "$TMPD/console.log" | tr '\n' '|')"; finish; fi
echo "# nested machine: booted and ran every case in $((SECONDS - start)) s"

# Split the machine's output into one file per case: $TMPD/n-NAME.out,
# with the status and milliseconds in $TMPD/n-NAME.{rc,ms}.
awk -v d="$TMPD" '
    { sub(/\r$/, "") }     # the serial line ends lines with CR LF
    /^== BEGIN / { f = d "/n-" $3 ".out"; printf "" >f; next }
    /^== END /   { sub("status=", "", $4); sub("ms=", "", $5)
                   print $4 >(d "/n-" $3 ".rc"); print $5 >(d "/n-" $3 ".ms"); close(f); f = ""; next }
    f != ""      { print >f }' "$TMPD/nested.out"

# RESULT invariants: the RESULT lines without the fields that measure time
# (cycles and per-operation costs, TSC rates, tick rates, loop counts of
# preempted tasks), which differ between any two runs.
invariants() {
    grep -E '^(PASS|FAIL|RESULT) ' "$1" |
        sed -E 's/ [a-z_0-9]*(cycles|_per_|tsc_|loops|preemptions)[a-z_0-9]*=[^ ]*//g; s/ (hz|pit_count)=[^ ]*//g'
}
for i in "${!names[@]}"; do
    n=${names[$i]} nout=$TMPD/n-${names[$i]}.out rout=$TMPD/ref-${names[$i]}.out
    rc=$(cat "$TMPD/n-$n.rc" 2>/dev/null || echo "none (did not run)")
    rrc=$(cat "$TMPD/ref-$n.rc" 2>/dev/null || echo none)
    if [ "$rc" != 0 ] || ! grep -q '^PASS ' "$nout" 2>/dev/null; then
        notok "kvm $n: status 0 and PASS" "status $rc; last: $(tail -n 3 "$nout" 2>/dev/null | tr '\n' '|')"
    elif [ "$rrc" != 0 ]; then
        notok "kvm $n: the ${refs[$i]} reference" "status $rrc; last: $(tail -n 3 "$rout" | tr '\n' '|')"
    elif ! diff <(invariants "$rout") <(invariants "$nout") >"$TMPD/diff" 2>&1; then
        notok "kvm $n: same PASS and RESULT invariants as ${refs[$i]}" "$(grep '^[<>]' "$TMPD/diff" | head -4 | tr '\n' '|')"
    else
        ok "kvm $n: PASS in $(cat "$TMPD/n-$n.ms") ms, RESULT invariants as under ${refs[$i]} ($(invariants "$nout" | grep -c '^RESULT') lines)"
    fi
done

# --- every exit KVM hands to the VMM, counted once ---------------------
# kvm_userspace_exit fires at every return of KVM_RUN to user space:
# "restart" is a KVM_RUN cut short by a signal (our kick), the rest are
# exits the VMM handles; --stats must show each of them exactly once.
trace_count() { sed -n "s/^EXITS $2 $3 \([0-9]*\)$/\1/p" "$TMPD/n-$1.out"; }
stats_count() {  # CASE NAME NR: the count of the --stats row "NAME  NR  COUNT  COST"
    awk -v n="  $2" -v nr="$3" 'index($0, n) == 1 { split(substr($0, length(n) + 1), f, " ")
                                  if (f[1] == nr) print f[2] }' "$TMPD/n-$1.out"
}
for p in hello syscall; do
    c=exits-hw-$p
    if grep -q '^EXITS lost-events' "$TMPD/n-$c.out"; then notok "kvm $p: exit trace" "events lost (trace buffer too small)"; continue; fi
    for pair in "KVM_EXIT_IO:I/O instruction:30" "KVM_EXIT_HLT:HLT:12" "KVM_EXIT_MMIO:EPT misconfiguration:49" \
                "KVM_EXIT_IRQ_WINDOW_OPEN:Interrupt window:7"; do
        kx=${pair%%:*} rest=${pair#*:} name=${rest%:*} nr=${rest##*:}
        t=$(trace_count "$c" kvm_userspace_exit "$kx"); s=$(stats_count "$c" "$name" "$nr")
        if [ "${t:-0}" = "${s:-0}" ]; then ok "kvm $p: $kx exits x${t:-0} = --stats '$name' ($nr)"
        else notok "kvm $p: $kx counted once" "KVM's trace says ${t:-0}, --stats says ${s:-0}"; fi
    done
    handed=$(sed -n 's/^kvm: [0-9]* KVM_RUN returns = \([0-9]*\) exits handed.*/\1/p' "$TMPD/n-$c.out")
    tsum=$(awk '$1 == "EXITS" && $2 == "kvm_userspace_exit" && $3 != "restart" { s += $4 } END { print s + 0 }' "$TMPD/n-$c.out")
    if [ -n "$handed" ] && [ "$handed" = "$tsum" ]; then ok "kvm $p: $handed exits handed to the VMM = KVM_RUN returns to user space other than kicks (trace)"
    else notok "kvm $p: exits handed" "--stats says '${handed}', KVM's trace $tsum"; fi
    st=$(cat "$TMPD/n-exits-qemu-$p.rc" 2>/dev/null)
    if [ "$st" = 1 ] && grep -q "^PASS $p\$" "$TMPD/n-exits-qemu-$p.out"; then ok "qemu microvm -accel kvm $p: PASS on the same nested KVM"
    else notok "qemu microvm -accel kvm $p" "status $st; $(tail -n 2 "$TMPD/n-exits-qemu-$p.out" 2>/dev/null | tr '\n' '|')"; fi
done

# --- --stats says what it counts, and agrees with itself and the trace --
kvmline() { sed -n 's/^kvm: \([0-9]*\) KVM_RUN returns = \([0-9]*\) exits handed to the VMM + \([0-9]*\) timer kicks (\([0-9]*\) EINTR, \([0-9]*\) KVM_EXIT_INTR); \([0-9]*\) stop exits.*/\1 \2 \3 \4 \5 \6/p' "$1"; }
for c in hello inout uart; do
    f=$TMPD/n-trace-$c.out
    if [ "$(cat "$TMPD/n-trace-$c.rc" 2>/dev/null)" != 0 ]; then notok "kvm --trace $c" "status $(cat "$TMPD/n-trace-$c.rc" 2>/dev/null); $(tail -n 2 "$f" 2>/dev/null | tr '\n' '|')"; continue; fi
    sed '/^== vmtrace$/,$d' "$f" >"$TMPD/st-$c"; sed '1,/^== vmtrace$/d' "$f" >"$TMPD/vt-$c"
    read -r n e k a b st < <(kvmline "$TMPD/st-$c")
    codes=$(awk '/^kvm:   [A-Z_]+ +[0-9]+$/ && $2 != "INTR" { s += $3 } END { print s + 0 }' "$TMPD/st-$c")
    total=$(sed -n 's/^vmm-hw: stats: engine kvm, [^,]*, \([0-9]*\) exits.*/\1/p' "$TMPD/st-$c")
    if [ -n "$n" ] && [ "$n" = $((e + k)) ] && [ "$k" = $((a + b)) ] && [ "$e" = "$codes" ] && [ "$total" = $((e + st)) ]; then
        ok "kvm $c: every KVM_RUN return counted once ($n = $e exits + $k kicks; exits = $total)"
    else notok "kvm $c: KVM_RUN returns" "returns '$n' exits '$e' kicks '$k' ($a+$b) stops '$st'; by code $codes; --stats total '$total'"; fi
    if grep -q 'guest instructions not counted' "$TMPD/st-$c" && ! grep -q 'PVM' "$TMPD/st-$c"; then ok "kvm $c: --stats says guest instructions are not counted, and no PVM label"
    else notok "kvm $c: --stats labels" "$(grep -m1 -E 'stats: engine|PVM' "$TMPD/st-$c")"; fi
    rows() { grep -E '^  .* +[0-9]+ +[0-9]+ +[0-9]+ ns$' "$1" | awk '{ $NF = ""; $(NF-1) = ""; print }'; }
    if [ -n "$(rows "$TMPD/st-$c")" ] && diff <(rows "$TMPD/st-$c") <(rows "$TMPD/vt-$c") >/dev/null; then ok "kvm $c: vmtrace --stats shows the exits by reason --stats shows"
    else notok "kvm $c: trace vs --stats" "$(diff <(rows "$TMPD/st-$c") <(rows "$TMPD/vt-$c") | head -3 | tr '\n' '|')"; fi
done
expect_grep "kvm uart: REP OUTSB reaches the VMM as string-I/O batches" 'string I/O batches [1-9][0-9]*' "$TMPD/st-uart"

# --- control experiments (--kvm-controls) ---------------------------------
# KVM keeps VMCALL for itself (kvm_emulate_hypercall): the PV kernel's first
# hypercall gets KVM's -KVM_ENOSYS, never reaches vmm-hw, and the kernel
# says there is no PV VMM below (status 4, 02-paravirt/README.md).
f=$TMPD/n-pv-kvm.out
if [ "$(cat "$TMPD/n-pv-kvm.rc" 2>/dev/null)" = 4 ] && grep -q 'no paravirtual VMM below' "$f" &&
   ! grep -q '^  VMCALL ' "$f"; then
    ok "kvm: the PV kernel's VMCALL is answered by KVM itself, no exit 18 (status 4, its panic line)"
else
    notok "kvm: the PV kernel's VMCALL on KVM" "status $(cat "$TMPD/n-pv-kvm.rc" 2>/dev/null); $(grep -m 3 -E 'vmlab|VMCALL|error' "$f" | tr '\n' '|')"
fi
f=$TMPD/n-ctl-none.out; expect_grep "kvm controls: the default run says none" '^kvm: --kvm-controls none' "$f"
expect_grep "kvm controls: the default run exits on HLT" '^  HLT +12 +[1-9]' "$f"
f=$TMPD/n-ctl-hlt.out
if grep -q '^PASS hello' "$f" && ! grep -q '^  HLT +12 ' "$f" && grep -q 'kvm: --kvm-controls hlt=guest' "$f"; then
    ok "kvm controls hlt=guest: HLT runs in the guest, no HLT exit (KVM_CAP_X86_DISABLE_EXITS)"
else notok "kvm controls hlt=guest" "$(grep -E '^(PASS|FAIL)|HLT|controls' "$f" | head -3 | tr '\n' '|')"; fi
f=$TMPD/n-ctl-step.out
mtf=$(stats_count ctl-step "Monitor trap flag" 37); dbg=$(sed -n 's/^kvm:   DEBUG *\([0-9]*\)$/\1/p' "$f")
if grep -q '^PASS hello' "$f" && [ "${mtf:-0}" -ge 1000 ] && [ "$mtf" = "$dbg" ]; then
    ok "kvm controls step: $mtf single-step exits (KVM_EXIT_DEBUG) reported as Monitor trap flag 37"
else notok "kvm controls step" "MTF '${mtf}' DEBUG '${dbg}'; $(grep -E '^(PASS|FAIL)' "$f" | head -1)"; fi

# --- vmm-hw beside QEMU's microvm: exits for the same guest -------------
{
    printf '# %-40s %12s %12s %12s %12s\n' "same KVM, same guest" "vmm-hw hello" "qemu hello" "vmm-hw syscall" "qemu syscall"
    printf '# %-40s %12s %12s %12s %12s\n' "start to exit (ms, TCG-nested)" $(for c in hw-hello qemu-hello hw-syscall qemu-syscall; do cat "$TMPD/n-exits-$c.ms"; done)
    printf '# %-40s %12s %12s %12s %12s\n' "all kvm_exit" $(for c in hw-hello qemu-hello hw-syscall qemu-syscall; do
        awk '$1 == "EXITS" && $2 == "kvm_exit" { s += $4 } END { print s + 0 }' "$TMPD/n-exits-$c.out"; done)
    printf '# %-40s %12s %12s %12s %12s\n' "all kvm_userspace_exit but restart" $(for c in hw-hello qemu-hello hw-syscall qemu-syscall; do
        awk '$1 == "EXITS" && $2 == "kvm_userspace_exit" && $3 != "restart" { s += $4 } END { print s + 0 }' "$TMPD/n-exits-$c.out"; done)
    for ev in kvm_exit kvm_userspace_exit; do
        for r in $(cat "$TMPD"/n-exits-*.out | awk -v e=$ev '$1 == "EXITS" && $2 == e { print $3 }' | sort -u); do
            printf '# %-40s %12s %12s %12s %12s\n' "$ev $r" \
                $(for c in hw-hello qemu-hello hw-syscall qemu-syscall; do v=$(trace_count "exits-$c" "$ev" "$r"); echo "${v:-0}"; done)
        done
    done
} | tee "$NESTED/exits.txt"

# --- make kvm-shell: the same machine, by hand --------------------------
# Driven through tmux as a person would: wait for the banner, run the
# guest under KVM, leave with exit.
if command -v tmux >/dev/null; then
    S=vmlab-kvm-shell-$$
    trap 'tmux kill-session -t "$S" 2>/dev/null; end_children; rm -rf "$TMPD"' EXIT
    tmux new-session -d -s "$S" -x 100 -y 30 \
        "BUILD='$BUILD' '$ROOT/scripts/kvm-shell.sh'; echo SHELL-ENDED status=\$?; sleep 60"
    wait_pane() {  # REGEX SECONDS
        local end=$((SECONDS + $2))
        while [ $SECONDS -lt $end ]; do
            tmux capture-pane -p -t "$S" -S -100 >"$TMPD/pane" 2>/dev/null
            grep -Eq -- "$1" "$TMPD/pane" && return 0
            sleep 0.5
        done
        return 1
    }
    if wait_pane 'Leave with .exit.' 120; then
        tmux send-keys -t "$S" './vmm-hw --engine kvm guest.elf -- test=hello; echo "hello status=$?"' Enter
        if wait_pane '^hello status=0' 60 && grep -q '^PASS hello' "$TMPD/pane"; then ok "make kvm-shell: a shell with /dev/kvm; vmm-hw --engine kvm runs hello there"
        else notok "make kvm-shell: hello under kvm" "$(tail -n 4 "$TMPD/pane" | tr '\n' '|')"; fi
        # The visualizer on KVM: the same exits as every engine's, drawn.
        tmux send-keys -t "$S" 'clear; stty rows 30 cols 100; ./vmm-hw --engine kvm --viz guest.elf -- test=hello' Enter
        if wait_pane 'press q to leave' 60 && grep -Eq 'I/O instruction +30 +[1-9]' "$TMPD/pane" &&
           grep -Eq 'EPT misconfiguration +49 +[1-9]' "$TMPD/pane" && grep -q 'kvm  ENDED' "$TMPD/pane"; then
            ok "make kvm-shell: --viz on KVM draws the exits by reason (I/O 30, EPT misconfiguration 49)"
        else notok "make kvm-shell: --viz on kvm" "$(grep -m3 -E 'vmlab viz|I/O instruction|EPT' "$TMPD/pane" | tr '\n' '|')"; fi
        tmux send-keys -t "$S" q
        sleep 1
        tmux send-keys -t "$S" 'exit' Enter
        if wait_pane '^SHELL-ENDED status=0' 60; then ok "make kvm-shell: exit leaves the machine (status 0)"
        else notok "make kvm-shell: exit" "$(tail -n 3 "$TMPD/pane" | tr '\n' '|')"; fi
    else
        notok "make kvm-shell: banner" "$(tail -n 4 "$TMPD/pane" 2>/dev/null | tr '\n' '|')"
    fi
    tmux kill-session -t "$S" 2>/dev/null
else
    skip "make kvm-shell" "tmux is not installed"
fi
summary
finish
