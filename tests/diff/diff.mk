# tests/diff: differential testing of the reference interpreter (and, with
# -b, stage 01's binary translator) against the host CPU (docs/ARCHITECTURE.md §8).  diff_host32 is the oracle (a static 32-bit
# process), diff_interp drives generator, oracle and interpreter.
DIFF_DIR   := $(BUILD)/tests/diff
DIFF_SRCS  := tests/diff/gen.c tests/diff/edge.c tests/diff/host.c \
              tests/diff/isim.c tests/diff/diff_interp.c
DIFF_OBJS  := $(DIFF_SRCS:%.c=$(BUILD)/host/%.o)

# The interpreter is linked from $(LIBVMLAB) once common/x86 provides it;
# until then tests/diff/run.sh reports the suite as skipped.
DIFF_HAVE_INTERP := $(shell grep -ls '^struct interp \*interp_create' common/x86/*.c)

ALL_TARGETS += $(DIFF_DIR)/diff_host32
ifneq ($(DIFF_HAVE_INTERP),)
ALL_TARGETS += $(DIFF_DIR)/diff_interp
endif
TEST_SUITES += tests/diff/run.sh

$(DIFF_DIR)/diff_host32: tests/diff/host32.c tests/diff/proto.h
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -m32 -static -no-pie -fno-pie -std=c11 -O2 -g -Wall -Wextra -Werror $< -o $@

# -b also runs stage 01's binary translator (its objects without main.o).
DIFF_BT_OBJS := $(filter-out %/main.o,$(VMM_BT_OBJS))

$(DIFF_DIR)/diff_interp: $(DIFF_OBJS) $(DIFF_BT_OBJS) $(LIBVMLAB) | $(DIFF_DIR)/diff_host32
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(DIFF_OBJS) $(DIFF_BT_OBJS) $(LIBVMLAB) $(HOST_LDLIBS) -o $@
