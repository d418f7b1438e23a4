#!/bin/bash
# labs/lab1-binary-translation/grade.sh — lab 1's graded tests (README.md here).
# Task A (bt_helper_of) is graded with the window off (VMLAB_BT_NO_WINDOW=1),
# so it scores on its own; task B (win_fault) needs task A.
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-bt
if [ ! -x "$VMM" ] || [ ! -f "$GUEST" ]; then
    echo "grade: $VMM or $GUEST missing (run make _all)" >&2
    exit 2
fi
T=$LAB_TMP
bt()     { local out=$1; shift; lab_run "$out" "$VMM" --engine bt --timeout "$LAB_TIMEOUT" --stats "$@"; }   # a safety net, not a speed limit
nowin()  { VMLAB_BT_NO_WINDOW=1 bt "$@"; }
helpers() { grep -m1 '^bt: helper calls' "$1" | sed 's/^[^:]*:[^:]*: //'; }
window()  { grep -m1 '^bt: window:' "$1" | sed 's/^bt: window: //'; }
passed()  { [ "$(lab_rc "$1")" = 0 ] && grep -q "^PASS $2\$" "$1" && ! grep -q '^FAIL ' "$1"; }
# count OUT REGEX : the number in front of (or after) a --stats phrase, 0 if absent
count()   { grep -oE -- "$2" "$1" | head -n 1 | grep -oE '[0-9]+' | head -n 1 | grep . || echo 0; }

lab_run "$T/isens" "$VMM" --engine interp --timeout "$LAB_TIMEOUT" "$GUEST" -- test=sensitive
nowin "$T/sens" "$GUEST" -- test=sensitive
nowin "$T/sys" "$GUEST" -- test=syscall
bt "$T/pf"  "$GUEST" -- test=pagefault
bt "$T/pte" --check interp "$GUEST" -- test=ptemod
bt "$T/ctx" --check interp "$GUEST" -- test=ctxswitch
bt "$T/smc" "$GUEST" -- test=smc
bt "$T/all" --check interp "$GUEST" -- test=all

# ---- task A: which instructions are sensitive (bt_helper_of) -------------------
for ring in 0 3; do
    want=$(grep "^RESULT sensitive ring=$ring " "$T/isens" | tr -d '\r')
    got=$(grep "^RESULT sensitive ring=$ring " "$T/sens" | tr -d '\r')
    name=helper_ring${ring}_observations
    if [ -z "$want" ]; then grade_fail $name 10 "the interpreter's reference run failed: $(lab_why "$T/isens")"
    elif [ -z "$got" ]; then grade_fail $name 10 "expected the ring-$ring RESULT of test=sensitive under bt, got none: $(lab_why "$T/sens")"
    elif [ "$want" != "$got" ]; then
        diff=$(diff <(tr ' ' '\n' <<<"$want") <(tr ' ' '\n' <<<"$got") | sed -n 's/^> //p' | tr '\n' ' ')
        grade_fail $name 10 "expected bt to observe in ring $ring what the interpreter does, got different: $diff(a sensitive instruction ran natively or in the wrong helper?)"
    else grade_pass $name 10; fi
done

h=$(helpers "$T/sens")
missing=""
for i in cli sti pushf popf; do grep -qE "(^|, )$i [1-9]" <<<"$h" || missing+="$i "; done
if [ -z "$h" ]; then grade_fail helper_popek_goldberg 10 "expected helper calls in --stats, got none: $(lab_why "$T/sens")"
elif [ -n "$missing" ]; then grade_fail helper_popek_goldberg 10 "expected CLI, STI, PUSHF and POPF to reach bt_helper (sensitive but unprivileged: in ring 3 they would silently ignore IF), got no calls for: $missing"
else grade_pass helper_popek_goldberg 10; fi

# Each privileged instruction of test=sensitive, with the VT-x exit reason
# its helper counts (SDM Vol. 3C App. C).
missing=""
for pair in "lgdt:46" "lidt:46" "sgdt:46" "sidt:46" "smsw:28" "ltr:47" "sldt:47" "str:47" \
            "mov crN, r:28" "mov r, crN:28" "cpuid:10" "rdtsc:16" "hlt:12" "in:30" "out:30"; do
    i=${pair%:*} r=${pair#*:}
    grep -qE "(^|, )$i [1-9][0-9]* \[$r\]" <<<"$h" || missing+="$i (reason $r), "
done
if [ -z "$h" ]; then grade_fail helper_exit_reasons 10 "expected helper calls in --stats, got none: $(lab_why "$T/sens")"
elif [ -n "$missing" ]; then grade_fail helper_exit_reasons 10 "expected every privileged instruction of test=sensitive counted under its SDM exit reason, got none for: ${missing%, } (group opcodes 0F 00/0F 01 use in->reg)"
else grade_pass helper_exit_reasons 10; fi

hs=$(helpers "$T/sys")
ints=$(count <(echo "$hs") 'int n [0-9]+') irets=$(count <(echo "$hs") 'iret [0-9]+')
if ! passed "$T/sys" syscall; then grade_fail helper_syscall_gate 10 "expected test=syscall to PASS under bt, got: $(lab_why "$T/sys")"
elif [ "$ints" -lt 1000 ] || [ "$irets" -lt 1000 ]; then grade_fail helper_syscall_gate 10 "expected every system call to go through the INT n and IRET helpers (>= 1000 each), got int n $ints, iret $irets"
else grade_pass helper_syscall_gate 10; fi

# ---- task B: the window's hidden-fault handler (win_fault) ---------------------
hid=$(count "$T/pf" '[0-9]+ hidden page faults') tru=$(count "$T/pf" '[0-9]+ true faults')
if ! passed "$T/pf" pagefault; then grade_fail window_hidden_faults 10 "expected test=pagefault to PASS under bt, got: $(lab_why "$T/pf")"
elif [ "$hid" -eq 0 ]; then grade_fail window_hidden_faults 10 "expected hidden page faults (pages mapped into the window behind the guest's back), got 0: does win_fault count and return WIN_HIDDEN?"
elif [ "$tru" -eq 0 ]; then grade_fail window_hidden_faults 10 "expected the guest's own page faults as true faults, got 0: a failed pt_walk must return WIN_TRUE with its error code"
else grade_pass window_hidden_faults 10; fi

inv=$(count "$T/pte" '[0-9]+ invlpg')
if ! passed "$T/pte" ptemod; then grade_fail window_ptemod_lockstep 10 "expected test=ptemod (PTE edits + INVLPG) to PASS in lock step with the interpreter, got: $(lab_why "$T/pte")"
elif ! grep -q 'no divergence' "$T/pte"; then grade_fail window_ptemod_lockstep 10 "expected no divergence from the interpreter, got: $(grep -m1 -i 'divergence' "$T/pte")"
elif [ "$inv" -eq 0 ]; then grade_fail window_ptemod_lockstep 10 "expected INVLPGs to drop window pages, got 0 invlpg"
else grade_pass window_ptemod_lockstep 10; fi

fl=$(count "$T/ctx" '[0-9]+ window flushes') wk=$(count "$T/ctx" '\([0-9]+ of them hidden faults\)')
if ! passed "$T/ctx" ctxswitch; then grade_fail window_ctxswitch 10 "expected test=ctxswitch (a CR3 per process) to PASS in lock step with the interpreter, got: $(lab_why "$T/ctx")"
elif [ "$fl" -lt 100 ] || [ "$wk" -eq 0 ]; then grade_fail window_ctxswitch 10 "expected >= 100 window flushes and hidden faults found by walking the new tables, got $fl flushes, $wk walked hidden faults: does win_fault walk with the current cpu->cr3?"
else grade_pass window_ctxswitch 10; fi

inval=$(count "$T/smc" 'SMC: [0-9]+ translated blocks invalidated')
if ! passed "$T/smc" smc; then grade_fail window_code_pages 5 "expected test=smc (self-modifying code) to PASS, got: $(lab_why "$T/smc"): are pages holding code mapped read-only (w->is_code)?"
elif [ "$inval" -eq 0 ]; then grade_fail window_code_pages 5 "expected stores into code pages to invalidate translations, got 0: a page with code must never be mapped writable"
else grade_pass window_code_pages 5; fi

# The dirty bit (SDM Vol. 3A §4.8): test=dirty reads a page whose A and D
# are clear, then writes it; the guest must see D set by the write only.
bt "$T/dirty" "$GUEST" -- test=dirty
if passed "$T/dirty" dirty; then grade_pass window_dirty_bit 5
elif grep -q '^RESULT dirty .*dirty_missing=[1-9]' "$T/dirty"; then
    grade_fail window_dirty_bit 5 "expected every first write to a page to set its dirty bit, got '$(grep -m1 '^FAIL dirty' "$T/dirty")': a page whose entry is not yet dirty must be mapped read-only (walk.dirty), so that its first write walks again and sets D"
else grade_fail window_dirty_bit 5 "expected test=dirty to PASS under bt, got: $(lab_why "$T/dirty")"; fi

# test=all includes test=timer, whose tick-rate check is wall-clock: lab_fails
# and lab_status (labs/lib.sh) leave it out; a divergence, any other FAIL, a
# crash or a stub still fails the test.
fails=$(lab_fails "$T/all")
if grep -qE 'divergence at|diverge after' "$T/all" || [ "$(lab_status "$T/all")" != 0 ] || [ -n "$fails" ]; then
    grade_fail lockstep_all 10 "expected test=all under bt --check interp with no divergence, got: $(grep -m1 -E 'divergence at' "$T/all" || head -n 1 <<<"$fails" | grep . || lab_why "$T/all")"
elif ! grep -q 'no divergence' "$T/all"; then grade_fail lockstep_all 10 "expected the checker's 'no divergence' line, got: $(lab_why "$T/all")"
else grade_pass lockstep_all 10; fi

grade_end
