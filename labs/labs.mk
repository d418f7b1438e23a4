# labs/: graded labs (labs/README.md).
#   make grade LAB=n            run labs/labN-*/grade.sh: points per test, Score: x/y
#   make handout LAB=n OUT=dir  the tree with lab n's solutions replaced by stubs
.PHONY: grade handout _grade
grade: deps
	$(Q)$(MAKE) --no-print-directory _grade
_grade: _all
	$(Q)g=$$(ls labs/lab$(LAB)-*/grade.sh 2>/dev/null | head -n 1); \
	if [ -z "$(LAB)" ] || [ -z "$$g" ]; then \
	    echo "usage: make grade LAB=n (labs: $$(ls -d labs/lab*/ | sed 's|labs/lab\([0-9]*\)-.*|\1|' | tr '\n' ' '))" >&2; exit 2; fi; \
	BUILD=$(BUILD) $$g
handout:
	$(Q)scripts/handout.sh "$(LAB)" "$(OUT)"
