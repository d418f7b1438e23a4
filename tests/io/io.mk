# tests/io/io.mk — stage 05 (vmm-io): cmocka tests of the virtqueue, the
# virtio-pci transport with virtio-blk, virtio-mmio with virtio-rng and
# virtio-console, the DSDT's PCI root bridge; and
# Debian's Linux on a virtio disk (io.sh); the emulated IDE disk (test_ata,
# ata.sh).
IO_UNIT_BINS := $(BUILD)/tests/unit/test_virtqueue $(BUILD)/tests/unit/test_virtio_blk \
                $(BUILD)/tests/unit/test_virtio_mmio $(BUILD)/tests/unit/test_acpi_pci \
                $(BUILD)/tests/unit/test_ata
IO_SAN_OBJS  := $(IO_SRCS:%.c=$(BUILD)/san/05-io/%.o)
ALL_TARGETS += $(IO_UNIT_BINS)
TEST_SUITES += $(IO_UNIT_BINS) tests/io/io.sh tests/io/ata.sh

$(IO_UNIT_BINS): $(BUILD)/tests/unit/%: tests/unit/%.c $(IO_SAN_OBJS) $(LIBVMLAB_SAN)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) $< $(IO_SAN_OBJS) -o $@ $(LIBVMLAB_SAN) -lcmocka $(HOST_LDLIBS)
