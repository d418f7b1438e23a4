# tests/unit/unit-core.mk — cmocka tests of the VMM core, devices, loader, trace.
# Each links the sanitizer build of the core library ($(LIBVMLAB_SAN)).
CORE_UNIT_TESTS := test_uart test_pit test_pic test_iobus test_loader test_guest_ram \
                   test_lapic test_ioapic test_irqchip \
                   test_options test_trace test_vm_exit test_hangup test_ticks \
                   test_bzimage test_pci test_i8042 test_rtc test_console_in \
                   test_vm_time
CORE_UNIT_TESTS += test_acpi_pm test_mptable test_acpi
CORE_UNIT_BINS  := $(CORE_UNIT_TESTS:%=$(BUILD)/tests/unit/%)
ALL_TARGETS += $(CORE_UNIT_BINS)
TEST_SUITES += $(CORE_UNIT_BINS)

$(CORE_UNIT_BINS): $(BUILD)/tests/unit/%: tests/unit/%.c $(LIBVMLAB_SAN)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) $< -o $@ $(LIBVMLAB_SAN) -lcmocka $(HOST_LDLIBS)
