# tests/unit/unit-trace.mk — cmocka tests of the trace tools: the file
# reader (round trip, bad files) and the graphviz pictures.
TRACE_UNIT_TESTS := test_trace_reader test_dot
TRACE_UNIT_BINS  := $(TRACE_UNIT_TESTS:%=$(BUILD)/tests/unit/%)
ALL_TARGETS += $(TRACE_UNIT_BINS)
TEST_SUITES += $(TRACE_UNIT_BINS)

$(TRACE_UNIT_BINS): $(BUILD)/tests/unit/%: tests/unit/%.c $(LIBVMLAB_SAN)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) $< -o $@ $(LIBVMLAB_SAN) -lcmocka $(HOST_LDLIBS)
