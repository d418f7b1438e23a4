# slides/slides.mk — `make slides`: the figures of the lectures, drawn by
# graphviz from the toolkit's own output (docs/ARCHITECTURE.md §7):
#   page-walk-kernel.svg  vmm-bt --dot --walk __user_end (kernel text, U=0)
#   page-walk-user.svg    vmm-bt --dot --walk __user_start (the user region,
#                         U=1, mapped in every address space)
#   page-walk-fault.svg   vmm-bt --dot: the walk of the last #PF, kept when it happened
#   exit-flow.svg         vmtrace --dot of a traced test=forkexit run (a program
#                         that measures no time: the same on a loaded host)
#   exit-flow-vmx.svg     vmtrace --dot of vmm-hw --engine vmx, test=forkexit
#   exit-flow-pv.svg      vmtrace --dot of vmm-pv (the PV kernel), test=forkexit
# The DOT sources go to $(BUILD)/slides/, the SVGs to slides/figures/
# (generated: ignored by git).
#
# Then the lecture decks: each slides/NN-*.md becomes one self-contained
# HTML file, $(BUILD)/slides/html/NN-*.html (pandoc's html5 writer with
# slides/theme/: one "##" per slide, its CSS, its JS and every figure
# embedded, nothing fetched from a network).  Their tables come from
# slides/gen.sh, which runs the toolkit now ($(BUILD)/slides/gen/).
SLIDES_DOT  := $(BUILD)/slides
SLIDES_FIG  := slides/figures
SLIDES_SVGS := $(addprefix $(SLIDES_FIG)/,page-walk-kernel.svg page-walk-user.svg \
                 page-walk-fault.svg exit-flow.svg exit-flow-vmx.svg exit-flow-pv.svg)
SLIDES_RUN  := $(VMM_BT) --engine interp --timeout 60
SLIDES_MD    := $(sort $(wildcard slides/[0-9][0-9]-*.md))
SLIDES_HTML  := $(SLIDES_MD:slides/%.md=$(SLIDES_DOT)/html/%.html)
SLIDES_GEN   := $(SLIDES_DOT)/gen
SLIDES_THEME := $(wildcard slides/theme/*)
# The guest's address of a symbol, at recipe time: $(call guest_sym,NAME).
guest_sym    = 0x$$(nm $(GUEST_ELF) | awk '$$3 == "$(1)" { print $$1 }')

_slides: $(SLIDES_SVGS) $(SLIDES_HTML)

$(SLIDES_DOT)/page-walk-kernel.dot: $(VMM_BT) $(GUEST_ELF)
	$(Q)mkdir -p $(@D)
	$(Q)$(SLIDES_RUN) --dot $@ --walk $(call guest_sym,__user_end) $(GUEST_ELF) -- test=hello >/dev/null
$(SLIDES_DOT)/page-walk-user.dot: $(VMM_BT) $(GUEST_ELF)
	$(Q)mkdir -p $(@D)
	$(Q)$(SLIDES_RUN) --dot $@ --walk $(call guest_sym,__user_start) $(GUEST_ELF) -- test=syscall >/dev/null
$(SLIDES_DOT)/page-walk-fault.dot: $(VMM_BT) $(GUEST_ELF)
	$(Q)mkdir -p $(@D)
	$(Q)$(SLIDES_RUN) --dot $@ $(GUEST_ELF) -- test=pagefault >/dev/null
$(SLIDES_DOT)/run.trace: $(VMM_BT) $(GUEST_ELF) slides/slides.mk
	$(Q)mkdir -p $(@D)
	$(Q)$(SLIDES_RUN) --trace $@ $(GUEST_ELF) -- test=forkexit >/dev/null
$(SLIDES_DOT)/exit-flow.dot: $(SLIDES_DOT)/run.trace $(VMTRACE)
	$(Q)$(VMTRACE) --dot $< -o $@

$(SLIDES_DOT)/vmx.trace: $(VMM_HW) $(GUEST_ELF) slides/slides.mk
	$(Q)mkdir -p $(@D)
	$(Q)$(VMM_HW) --engine vmx --timeout 60 --trace $@ $(GUEST_ELF) -- test=forkexit >/dev/null
$(SLIDES_DOT)/pv.trace: $(VMM_PV) $(GUEST_PV_ELF) slides/slides.mk
	$(Q)mkdir -p $(@D)
	$(Q)$(VMM_PV) --engine interp --timeout 60 --trace $@ $(GUEST_PV_ELF) -- test=forkexit >/dev/null
.SECONDARY: $(SLIDES_DOT)/exit-flow-vmx.dot $(SLIDES_DOT)/exit-flow-pv.dot
$(SLIDES_DOT)/exit-flow-%.dot: $(SLIDES_DOT)/%.trace $(VMTRACE)
	$(Q)$(VMTRACE) --dot $< -o $@

# A page walk is drawn top to bottom on a slide: five boxes in a row would
# shrink its text to nothing on a 16:9 page.
$(SLIDES_FIG)/page-walk-%.svg: $(SLIDES_DOT)/page-walk-%.dot
	$(Q)mkdir -p $(@D)
	$(Q)sed 's/rankdir=LR/rankdir=TB/' $< | dot -Tsvg -o $@
	@echo "slides: $@"
$(SLIDES_FIG)/%.svg: $(SLIDES_DOT)/%.dot
	$(Q)mkdir -p $(@D)
	$(Q)dot -Tsvg $< -o $@
	@echo "slides: $@"

# The tables: one run of gen.sh measures them all (about 10 s).
$(SLIDES_GEN)/.stamp: slides/gen.sh $(VMM_BT) $(VMM_PV) $(VMM_HW) $(VMM_MEM) $(VMTRACE) \
                      $(GUEST_ELF) $(GUEST_PV_ELF)
	$(Q)slides/gen.sh $(BUILD) $(SLIDES_GEN)
	$(Q)touch $@

$(SLIDES_DOT)/html/%.html: slides/%.md $(SLIDES_THEME) $(SLIDES_SVGS) $(SLIDES_GEN)/.stamp
	$(Q)command -v pandoc >/dev/null || \
	    { echo "slides: error: pandoc is not installed (make deps installs it)" >&2; exit 1; }
	$(Q)mkdir -p $(@D)
	$(Q)SLIDES_GEN=$(SLIDES_GEN) pandoc -f markdown -t html5 --section-divs --self-contained \
	    --resource-path=slides --template=slides/theme/template.html \
	    --css=slides/theme/deck.css --include-after-body=slides/theme/deck.js.html \
	    --lua-filter=slides/theme/include.lua -M course="vmlab — a course in virtualization" \
	    $< -o $@
	@echo "slides: $@ ($$(grep -c '^## ' $<) slides + title)"
