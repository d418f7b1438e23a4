# workloads.mk — the workload suite (common/guest/README.md, "The workload
# suite"): every program twice, from the same object file:
#
#   build/workloads/NAME.elf      a boot module of the teaching guest
#   build/workloads/NAME.linux32  a static i386 Linux process (glibc)
#
# The code generation flags are the guest's, except that the x87 is
# allowed (-mfpmath=387 -mno-sse: float.c uses it, nothing uses SSE).

WL_DIR    := common/guest/workloads
WL_BUILD  := $(BUILD)/workloads
WL_NAMES  := calls bytecode lists strings sort hash int64 float
WL_CFLAGS := -m32 -march=i686 -mfpmath=387 -mno-sse -mno-mmx -ffreestanding -fno-pic -fno-pie \
             -fno-stack-protector -fno-tree-loop-distribute-patterns -O2 -std=gnu11 \
             -Wall -Wextra -Werror -g -MMD -MP -fno-asynchronous-unwind-tables \
             -I $(GUEST_DIR)/include
WL_MODULES := $(WL_NAMES:%=$(WL_BUILD)/%.elf)
WL_LINUX32 := $(WL_NAMES:%=$(WL_BUILD)/%.linux32)

$(WL_BUILD)/%.o: $(WL_DIR)/%.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(WL_CFLAGS) -c $< -o $@

$(WL_BUILD)/%.elf: $(WL_BUILD)/%.o $(WL_BUILD)/rt.o $(WL_BUILD)/start_vmlab.o
	$(Q)$(CC) -m32 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-Ttext-segment=0x08048000 \
	    -Wl,-e,_start -Wl,-z,noexecstack -o $@ $^ -lgcc

$(WL_BUILD)/%.linux32: $(WL_BUILD)/%.o $(WL_BUILD)/rt.o $(WL_BUILD)/start_linux.o
	$(Q)$(CC) -m32 -static -no-pie -o $@ $^

.PHONY: workloads
workloads: $(WL_MODULES) $(WL_LINUX32)
ALL_TARGETS += $(WL_MODULES) $(WL_LINUX32)
# Keep the objects (both links use them; make would delete intermediates).
.SECONDARY: $(patsubst %,$(WL_BUILD)/%.o,$(WL_NAMES) rt start_vmlab start_linux)
