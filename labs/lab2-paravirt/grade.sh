#!/bin/bash
# labs/lab2-paravirt/grade.sh — lab 2's graded tests (labs/README.md §3).
# Every test runs the paravirtual teaching kernel (build/guest/guest-pv.elf)
# under build/vmm-pv --engine bt (stage 01's translator, lab 1's, solved in
# this handout) and reads what the guest checked itself (its RESULT and
# FAIL lines) and what the VMM counted (--stats): the virtual IF's held
# and released interrupts, the page-table entries updated, the hypercalls
# refused by reason.  Nothing is timed: the probes pvirq and pvhostile
# count events.
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-pv
PVG=$BUILD/guest/guest-pv.elf
T=$LAB_TMP

# pv ID PROGRAM: run PROGRAM on the PV kernel under vmm-pv -> $T/ID
pv() { lab_run "$T/$1" "$VMM" --engine bt --timeout "$LAB_TIMEOUT" --stats "$PVG" -- "test=$2"; }
# passed ID PROGRAM: the run ended with status 0 and "PASS PROGRAM"
passed() { [ "$(lab_rc "$T/$1")" = 0 ] && grep -q "^PASS $2\$" "$T/$1"; }
# field ID PROGRAM KEY: KEY=value of PROGRAM's RESULT line ("" if none)
field() { grep -m1 "^RESULT $2 " "$T/$1" | tr ' ' '\n' | sed -n "s/^$3=//p"; }
# held ID / released ID: the virtual IF's counts in --stats
held() { sed -n 's/^pv: .* \([0-9]*\) interrupts held back by the virtual IF.*/\1/p' "$T/$1"; }
released() { sed -n 's/^pv: .* (\([0-9]*\) let in by irq_enable).*/\1/p' "$T/$1"; }
# no_result NAME PTS ID PROGRAM: the run gave no RESULT line
no_result() { grade_fail "$1" "$2" "expected a RESULT line from test=$4, got $(lab_why "$T/$3")"; }

if [ ! -x "$VMM" ] || [ ! -f "$PVG" ]; then
    grade_fail "build" 0 "$VMM or $PVG missing: run make _all"
    grade_end
fi

# ---- task 1 and 2: the virtual IF (irq_gate, irq_enable) ---------------------
# pvirq, 20 rounds: vif = 0 and spin until pending (no tick may come in);
# HC_IRQ_ENABLE -> 1, pending 0, vif 1, the tick comes in; again -> 0.
pv irq pvirq
held=$(held irq) rel=$(released irq)
if [ -z "$(field irq pvirq rounds)" ]; then no_result virtual_if_holds 15 irq pvirq
elif [ "$(field irq pvirq leaked)" != 0 ]; then
    grade_fail virtual_if_holds 15 "expected no timer tick while the virtual IF is 0, got one: does irq_gate return false when s->vif is 0 in ring 0?"
elif [ "$(field irq pvirq no_pending)" != 0 ]; then
    grade_fail virtual_if_holds 15 "expected pending set in the shared page while an interrupt waits for the virtual IF, got none in 200 timer periods: does irq_gate set s->pending?"
elif (( ${held:-0} < 20 )); then
    grade_fail virtual_if_holds 15 "expected at least 20 interrupts held back in --stats (one per round), got ${held:-none}: count pv->st.held once per wait"
else grade_pass virtual_if_holds 15; fi

if [ -z "$(field irq pvirq rounds)" ]; then no_result irq_enable_releases 15 irq pvirq
elif [ "$(field irq pvirq not_one)" != 0 ]; then
    grade_fail irq_enable_releases 15 "expected HC_IRQ_ENABLE to return 1 when an interrupt was held, got another value in $(field irq pvirq not_one) rounds"
elif [ "$(field irq pvirq pending_left)" != 0 ]; then
    grade_fail irq_enable_releases 15 "expected pending 0 after HC_IRQ_ENABLE, got it still set in $(field irq pvirq pending_left) rounds: the guest would call on every sti"
elif [ "$(field irq pvirq no_tick)" != 0 ] || [ "$(field irq pvirq rounds)" != 20 ]; then
    grade_fail irq_enable_releases 15 "expected the held tick to come in after HC_IRQ_ENABLE in each of 20 rounds, got $(field irq pvirq rounds) rounds: $(lab_why "$T/irq")"
elif (( ${rel:-0} < 20 || ${rel:-0} > ${held:-0} )); then
    grade_fail irq_enable_releases 15 "expected at least 20 held interrupts let in by irq_enable (--stats: one per round, never more than were held), got ${held:-no} held, ${rel:-no} let in: count pv->st.released"
else grade_pass irq_enable_releases 15; fi

if [ -z "$(field irq pvirq rounds)" ]; then no_result irq_enable_is_sti 5 irq pvirq
elif [ "$(field irq pvirq vif_off)" != 0 ]; then
    grade_fail irq_enable_is_sti 5 "expected vif = 1 after HC_IRQ_ENABLE called with vif still 0 (the call is the sti), got vif 0 in $(field irq pvirq vif_off) rounds"
else grade_pass irq_enable_is_sti 5; fi

if [ -z "$(field irq pvirq rounds)" ]; then no_result irq_enable_idle 5 irq pvirq
elif [ "$(field irq pvirq idle_not_zero)" != 0 ]; then
    grade_fail irq_enable_idle 5 "expected 0 from HC_IRQ_ENABLE with nothing pending, got another value in $(field irq pvirq idle_not_zero) rounds"
else grade_pass irq_enable_idle 5; fi

# The whole kernel on the virtual IF: its boot sleeps for the timer, the
# system calls run with interrupts on, ctxswitch is preempted by the timer.
pv hello hello
pv sys syscall
pv ctx ctxswitch
bad=""
for r in hello:hello sys:syscall ctx:ctxswitch; do
    passed "${r%:*}" "${r#*:}" || { bad="test=${r#*:}: $(lab_why "$T/${r%:*}")"; break; }
done
if [ -n "$bad" ]; then grade_fail kernel_runs 10 "expected hello, syscall and ctxswitch to PASS on the PV kernel, got $bad"
elif ! grep -q '^pv: hypercalls:.* 0 answered with an error$' "$T/ctx"; then
    grade_fail kernel_runs 10 "expected none of the PV kernel's own hypercalls refused in ctxswitch, got: $(grep '^pv: refused' "$T/ctx")"
else grade_pass kernel_runs 10; fi

# ---- task 3 and 4: HC_MMU_UPDATE (pv_mmu_update, mmu_check) -------------------
# ptemod: 200 PTE toggles (R/W), each one HC_MMU_UPDATE with its INVLPG; a
# write to the page once it is read-only must fault.
pv pte ptemod
n=$(sed -n 's/^pv: .* \([0-9]*\) page-table entries updated.*/\1/p' "$T/pte")
if ! passed pte ptemod; then
    grade_fail mmu_update_applies 10 "expected test=ptemod to PASS (PTE stores through HC_MMU_UPDATE, each with its INVLPG), got $(lab_why "$T/pte"): does mmu_apply run for every entry that passes mmu_check?"
elif (( ${n:-0} < 200 )); then
    grade_fail mmu_update_applies 10 "expected at least 200 page-table entries updated (--stats), got '${n}'"
else grade_pass mmu_update_applies 10; fi

# pvhostile: the hostile guest.  Each section is all or nothing; a failed
# check prints "pvhostile: SECTION: what: got X, expected Y".
pv hostile pvhostile
hostile() {  # NAME PTS SECTION HINT
    local got; got=$(field hostile pvhostile "$3")
    if [ -z "$got" ]; then no_result "$1" "$2" hostile pvhostile
    elif [ "${got%/*}" != "${got#*/}" ]; then
        grade_fail "$1" "$2" "expected all $3 checks of the hostile guest to pass, got $got; first: '$(grep -m1 "^pvhostile: $3: " "$T/hostile" | sed 's/^pvhostile: //')': $4"
    else grade_pass "$1" "$2"; fi
}
hostile hostile_batch 10 batch "the list first (count, alignment, RAM), then each entry read once, checked and applied in order; the first refused one ends the batch with its error"
hostile hostile_foreign_frames 10 foreign "a present entry must map frames of RAM only (gpa_to_hva over 4 KiB, or 4 MiB with bit 7)"
hostile hostile_page_tables 10 pagetable "a present writable entry may not map a page-table frame (pv_page_table_frame, over the whole 4 KiB or 4 MiB)"
hostile hostile_bad_input 10 input "see the rules above mmu_check and pv_mmu_update: each bad input has its error"

grade_end
