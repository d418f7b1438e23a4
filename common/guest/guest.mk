# guest.mk — the teaching guest kernel (common/guest/README.md).
#
#   build/guest/guest.elf       x86-32 kernel: Multiboot v1 + PVH, programs
#   build/guest/hello-user.elf  example user ELF to pass as a boot module
#   build/guest/guest-pv.elf    the same kernel, paravirtual (-DVMLAB_PV)
#
# Every common/guest/programs/*.c is built and linked in automatically:
# to add a program, add programs/NAME.c (+ programs/NAME_user.c for its
# ring-3 half).  hello comes first so `test=all` starts with it.

GUEST_DIR    := common/guest
GUEST_BUILD  := $(BUILD)/guest
GUEST_CC     := $(CC)
GUEST_CFLAGS := -m32 -ffreestanding -mgeneral-regs-only -fno-pic -fno-pie \
                -fno-stack-protector -nostdlib -O2 -std=gnu11 \
                -Wall -Wextra -Werror -g -MMD -MP \
                -fno-asynchronous-unwind-tables \
                -I $(GUEST_DIR)/include -I $(GUEST_DIR)/kernel -I $(GUEST_DIR)/user -I common
GUEST_LDFLAGS := -m32 -nostdlib -static -no-pie -Wl,--build-id=none \
                 -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments

GUEST_PROGS   := $(GUEST_DIR)/programs/hello.c \
                 $(filter-out $(GUEST_DIR)/programs/hello.c,$(sort $(wildcard $(GUEST_DIR)/programs/*.c)))
GUEST_SRCS    := $(wildcard $(GUEST_DIR)/boot/*.S) \
                 $(filter-out $(GUEST_DIR)/kernel/pv.c,$(sort $(wildcard $(GUEST_DIR)/kernel/*.c))) \
                 $(sort $(wildcard $(GUEST_DIR)/user/*.c $(GUEST_DIR)/user/*.S)) \
                 $(GUEST_PROGS)
GUEST_OBJS    := $(patsubst $(GUEST_DIR)/%,$(GUEST_BUILD)/%.o,$(basename $(GUEST_SRCS)))

GUEST_ELF      := $(GUEST_BUILD)/guest.elf
GUEST_USER_ELF := $(GUEST_BUILD)/hello-user.elf

GUEST_ABI_ELF  := $(GUEST_BUILD)/abi-user.elf

ALL_TARGETS += $(GUEST_ELF) $(GUEST_USER_ELF) $(GUEST_ABI_ELF)

$(GUEST_BUILD)/%.o: $(GUEST_DIR)/%.c
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@
$(GUEST_BUILD)/%.o: $(GUEST_DIR)/%.S
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_ELF): $(GUEST_OBJS) $(GUEST_DIR)/link.ld
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -T $(GUEST_DIR)/link.ld -o $@ $(GUEST_OBJS) -lgcc

# A freestanding i386 program linked at 0x08048000 (the classic Linux
# address): only int 0x80 write/time/yield/exit, no kernel headers needed.
$(GUEST_USER_ELF): $(GUEST_DIR)/examples/hello_user_elf.c
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) -m32 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -O2 \
	    -std=gnu11 -Wall -Wextra -Werror -fno-asynchronous-unwind-tables \
	    -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-Ttext-segment=0x08048000 \
	    -Wl,-e,_start -Wl,-z,noexecstack -o $@ $<

# The module ABI's process services checked from a module (argv, brk, the
# clock): tests/guest/interp.sh runs it.
$(GUEST_ABI_ELF): $(GUEST_DIR)/examples/abi_user_elf.c
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) -m32 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -O2 \
	    -std=gnu11 -Wall -Wextra -Werror -fno-asynchronous-unwind-tables -I $(GUEST_DIR)/include \
	    -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-Ttext-segment=0x08048000 \
	    -Wl,-e,_start -Wl,-z,noexecstack -o $@ $< -lgcc

# The paravirtual kernel (stage 02, build/vmm-pv): the same sources built
# with -DVMLAB_PV, plus kernel/pv.c, in a tree of their own (named
# .../guest/... so that link.ld finds the user region the same way).
GUEST_PV_BUILD := $(BUILD)/pv/guest
GUEST_PV_ELF   := $(GUEST_BUILD)/guest-pv.elf
GUEST_PV_OBJS  := $(patsubst $(GUEST_DIR)/%,$(GUEST_PV_BUILD)/%.o,$(basename $(GUEST_SRCS))) \
                  $(GUEST_PV_BUILD)/kernel/pv.o
ALL_TARGETS += $(GUEST_PV_ELF)

$(GUEST_PV_BUILD)/%.o: $(GUEST_DIR)/%.c
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -DVMLAB_PV -c $< -o $@
$(GUEST_PV_BUILD)/%.o: $(GUEST_DIR)/%.S
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -DVMLAB_PV -c $< -o $@

$(GUEST_PV_ELF): $(GUEST_PV_OBJS) $(GUEST_DIR)/link.ld
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -T $(GUEST_DIR)/link.ld -o $@ $(GUEST_PV_OBJS) -lgcc

.PHONY: guest guest-pv
guest: $(GUEST_ELF) $(GUEST_USER_ELF)
guest-pv: $(GUEST_PV_ELF)
include common/guest/workloads/workloads.mk
