# tools/vmtrace: build/vmtrace, the trace file reader (text, JSON Lines,
# --stats, --dot exit flow; --viz when the visualizer is linked in).
# The visualizer's fragment (common/viz/*.mk, included before this one) may
# set VMTRACE_VIZ_CFLAGS := -DVMLAB_HAVE_VIZ and VMTRACE_VIZ_LDLIBS.
VMTRACE := $(BUILD)/vmtrace
ALL_TARGETS += $(VMTRACE)

$(VMTRACE): tools/vmtrace/vmtrace.c $(LIBVMLAB)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) $(VMTRACE_VIZ_CFLAGS) -o $@ $< $(LIBVMLAB) \
	    $(VMTRACE_VIZ_LDLIBS) $(HOST_LDLIBS)
