# slides/slides.mk — `make slides`: the figures of the lectures, drawn by
# graphviz from the toolkit's own output (docs/ARCHITECTURE.md §7):
#   page-walk-kernel.svg  vmm-bt --dot --walk __user_end (kernel text, U=0)
#   page-walk-user.svg    vmm-bt --dot --walk __user_start (the user region,
#                         U=1, mapped in every address space)
#   page-walk-fault.svg   vmm-bt --dot, default address: the last #PF (CR2)
#   exit-flow.svg         vmtrace --dot of a traced test=all run
# The DOT sources go to $(BUILD)/slides/, the SVGs to slides/figures/
# (generated: ignored by git).
SLIDES_DOT  := $(BUILD)/slides
SLIDES_FIG  := slides/figures
SLIDES_SVGS := $(addprefix $(SLIDES_FIG)/,page-walk-kernel.svg page-walk-user.svg \
                 page-walk-fault.svg exit-flow.svg)
SLIDES_RUN  := $(VMM_BT) --engine interp --timeout 60
# The guest's address of a symbol, at recipe time: $(call guest_sym,NAME).
guest_sym    = 0x$$(nm $(GUEST_ELF) | awk '$$3 == "$(1)" { print $$1 }')

_slides: $(SLIDES_SVGS)

$(SLIDES_DOT)/page-walk-kernel.dot: $(VMM_BT) $(GUEST_ELF)
	$(Q)mkdir -p $(@D)
	$(Q)$(SLIDES_RUN) --dot $@ --walk $(call guest_sym,__user_end) $(GUEST_ELF) -- test=hello >/dev/null
$(SLIDES_DOT)/page-walk-user.dot: $(VMM_BT) $(GUEST_ELF)
	$(Q)mkdir -p $(@D)
	$(Q)$(SLIDES_RUN) --dot $@ --walk $(call guest_sym,__user_start) $(GUEST_ELF) -- test=syscall >/dev/null
$(SLIDES_DOT)/page-walk-fault.dot: $(VMM_BT) $(GUEST_ELF)
	$(Q)mkdir -p $(@D)
	$(Q)$(SLIDES_RUN) --dot $@ $(GUEST_ELF) -- test=pagefault >/dev/null
$(SLIDES_DOT)/run.trace: $(VMM_BT) $(GUEST_ELF)
	$(Q)mkdir -p $(@D)
	$(Q)$(SLIDES_RUN) --trace $@ $(GUEST_ELF) -- test=all >/dev/null
$(SLIDES_DOT)/exit-flow.dot: $(SLIDES_DOT)/run.trace $(VMTRACE)
	$(Q)$(VMTRACE) --dot $< -o $@

$(SLIDES_FIG)/%.svg: $(SLIDES_DOT)/%.dot
	$(Q)mkdir -p $(@D)
	$(Q)dot -Tsvg $< -o $@
	@echo "slides: $@"
