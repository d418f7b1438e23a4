# labs/: graded labs (labs/README.md).
#   make grade LAB=n            run labs/labN-*/grade.sh: points per test, Score: x/y
#   make grade                  every lab, then Total: x/y; both write $(BUILD)/grade.json
#   make grade HIDDEN=dir       also the instructor's hidden tests dir/labN/*.sh (§5;
#                               or VMLAB_HIDDEN_TESTS=dir in the environment)
#   make handout LAB=n OUT=dir  the tree with lab n's solutions replaced by stubs
#   make grade-class SUBMISSIONS=dir [HIDDEN=dir]  every student tree dir/NAME/ graded
#                               with this tree's graders into $(BUILD)/grades.csv
.PHONY: grade handout _grade grade-class
# A wrong LAB or HIDDEN is one line of error, before anything is built.
_hidden = $(or $(HIDDEN),$(VMLAB_HIDDEN_TESTS))
ifneq ($(filter grade _grade,$(MAKECMDGOALS)),)
_grade_err := $(shell VMLAB_HIDDEN_TESTS='$(_hidden)' scripts/grade.sh --check '$(LAB)' 2>&1)
$(if $(_grade_err),$(error $(_grade_err)))
endif
grade: deps
	$(Q)$(MAKE) --no-print-directory _grade
_grade: _all
	$(Q)BUILD=$(BUILD) VMLAB_HIDDEN_TESTS='$(_hidden)' scripts/grade.sh $(LAB)
handout:
	$(Q)scripts/handout.sh "$(LAB)" "$(OUT)"
grade-class: deps
	$(Q)mkdir -p $(BUILD) && VMLAB_HIDDEN_TESTS='$(_hidden)' scripts/grade-class.sh '$(SUBMISSIONS)' \
	    >$(BUILD)/grades.csv.tmp && mv $(BUILD)/grades.csv.tmp $(BUILD)/grades.csv && \
	    echo "grade-class: $$(($$(wc -l <$(BUILD)/grades.csv) - 1)) rows in $(BUILD)/grades.csv"
