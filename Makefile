# vmlab — top-level Makefile.
#
#   make run     boot the teaching guest under every VMM built so far
#   make test    build everything and run every test (what .ci/run calls)
#   make bench   side-by-side performance comparisons (tests/bench/)
#   make kvm-shell  a shell in a nested machine with a real /dev/kvm
#   make demo STAGE=n  a paced live demo of stage n for a lecture
#
# Both install the Debian packages they need when missing (scripts/deps.sh).
# Each part of the tree adds its rules through its own fragment (*.mk) below.

BUILD   ?= build
CC      ?= gcc
Q       ?= @

# Host (VMM) code: C11, warnings are errors.
HOST_CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -MMD -MP \
                -I common -I .
HOST_LDLIBS  := -lcapstone -lm
# Unit tests and the sanitizer build of the VMM core.
SAN_FLAGS    := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all run test bench deps clean slides kvm-shell _all _run _test _bench _slides
all: deps
	$(Q)$(MAKE) --no-print-directory _all
run: deps
	$(Q)$(MAKE) --no-print-directory _run
test: deps
	$(Q)$(MAKE) --no-print-directory _test
bench: deps
	$(Q)$(MAKE) --no-print-directory _bench
slides: deps
	$(Q)$(MAKE) --no-print-directory _slides
kvm-shell: deps
	$(Q)$(MAKE) --no-print-directory _all
	$(Q)scripts/kvm-shell.sh
# The demo's steps and presenter notes: scripts/demo/stageNN.txt.
.PHONY: demo _demo
demo: deps
	$(Q)$(MAKE) --no-print-directory _demo
_demo: _all
	$(Q)scripts/demo.sh $(STAGE)

deps:
	$(Q)scripts/deps.sh

clean:
	rm -rf $(BUILD)

# Fragments: each adds to these lists and defines its own rules.
ALL_TARGETS   :=
TEST_SUITES   :=
BENCH_TARGETS :=

# The VMM core library: fragments append their host sources to COMMON_SRCS.
COMMON_SRCS   :=
LIBVMLAB      := $(BUILD)/libvmlab.a          # -O2, for the stage binaries
LIBVMLAB_SAN  := $(BUILD)/libvmlab-san.a      # ASan+UBSan, for unit tests

# Order matters only for prerequisites: common/ first, then stages, then tests.
include common/guest/guest.mk
include $(sort $(filter-out common/guest/guest.mk,$(wildcard common/*/*.mk)))
include $(sort $(wildcard 0[1-6]-*/*.mk))
include $(sort $(wildcard tools/*/*.mk))
include $(wildcard slides/*.mk)
include $(sort $(wildcard labs/*.mk))
include $(sort $(wildcard tests/*/*.mk))

$(LIBVMLAB): $(COMMON_SRCS:%.c=$(BUILD)/host/%.o)
	$(Q)rm -f $@ && ar rcs $@ $^
$(LIBVMLAB_SAN): $(COMMON_SRCS:%.c=$(BUILD)/san/%.o)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/host/%.o: %.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -c $< -o $@
$(BUILD)/san/%.o: %.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) -c $< -o $@

_all: $(ALL_TARGETS)

_run: _all
	$(Q)scripts/run-main.sh

_test: _all
	$(Q)tests/run.sh $(TEST_SUITES)

_bench: _all $(BENCH_TARGETS)
	$(Q)tests/bench/run.sh

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
