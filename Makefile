# livegrant build. `make` builds everything into build/; `make test` installs
# what is missing, builds, runs the host unit tests and the kernel tests in
# VMs (Debian's 6.1, 6.12 and sid cloud kernels), and ends with one summary
# line.
#
# BPF chain (libbpf-bootstrap style): clang -> one object per hook file ->
# `bpftool gen object` links them -> `bpftool gen skeleton`. vmlinux.h comes
# from the repository (bpf/vmlinux/x86/vmlinux.h, made by tools/gen-vmlinux-h
# from Debian's 6.1 cloud kernel), never from the build host's kernel.

BUILD      ?= build
CLANG      ?= clang
BPFTOOL    ?= bpftool
CC         ?= gcc
VMLINUX_DIR ?= bpf/vmlinux/x86

# -Wno-unused-parameter: BPF_PROG() hides an unused ctx argument in every
# program. Everything else is an error, as in userspace.
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 \
	-Wall -Wextra -Wno-unused-parameter -Werror \
	-Iinclude -Ibpf -I$(VMLINUX_DIR)
CFLAGS     ?= -O2 -g
CFLAGS     += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers \
	-Iinclude -Iuserspace/lib -I$(BUILD) -MMD -MP
LDLIBS     := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz) \
	-lcrypto -ljansson -lyaml -lz -lmicrohttpd

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_TMPS   := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.tmp.o,$(BPF_SRCS))
LIB_SRCS   := $(wildcard userspace/lib/*.c)
LIB_OBJS   := $(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
KTEST_SRCS := $(wildcard tests/kernel/*.c)
KTEST_OBJS := $(patsubst tests/%.c,$(BUILD)/obj/tests/%.o,$(KTEST_SRCS))

PROGS := $(BUILD)/livegrantd $(BUILD)/livegrant $(BUILD)/livegrant-issuer
TESTS := $(UNIT_BINS) $(BUILD)/tests/lg-ktest $(BUILD)/tests/lg-netprobe

.PHONY: all deps test unit-test kernel-test demo format lint compdb clean vmlinux-h
all: $(PROGS) $(TESTS)

deps:
	@tools/install-deps --check 2>/dev/null || tools/install-deps

# ---- BPF -----------------------------------------------------------------
$(BUILD)/bpf/%.tmp.o: bpf/%.bpf.c $(wildcard bpf/lib/*.h include/livegrant/*.h) | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/livegrant.bpf.o: $(BPF_TMPS)
	$(BPFTOOL) gen object $@ $^

$(BUILD)/livegrant.skel.h: $(BUILD)/livegrant.bpf.o
	$(BPFTOOL) gen skeleton $< name livegrant_bpf > $@.tmp && mv $@.tmp $@

# ---- userspace -----------------------------------------------------------
$(BUILD)/obj/lib/loader.o: $(BUILD)/livegrant.skel.h

$(BUILD)/obj/%.o: userspace/%.c | $(BUILD)/obj/lib $(BUILD)/obj/livegrantd $(BUILD)/obj/cli
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/tests/%.o: tests/%.c | $(BUILD)/obj/tests/kernel
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/liblivegrant.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

LGD_SRCS := $(wildcard userspace/livegrantd/*.c)
LGD_OBJS := $(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(LGD_SRCS))
CLI_SRCS := $(wildcard userspace/cli/*.c)
CLI_OBJS := $(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(CLI_SRCS))

$(BUILD)/livegrantd: $(LGD_OBJS) $(BUILD)/liblivegrant.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/livegrant: $(CLI_OBJS) $(BUILD)/liblivegrant.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The development issuer (tools/issuer/): keys, JWKS and tokens for tests.
$(BUILD)/livegrant-issuer: $(BUILD)/obj/tools/issuer/main.o $(BUILD)/liblivegrant.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/tools/%.o: tools/%.c | $(BUILD)/obj/tools/issuer
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/liblivegrant.a | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/unit -o $@ $^ $(LDLIBS)

# Static: an agent runs it with one exec rule and no library rules.
$(BUILD)/tests/lg-netprobe: tests/tools/netprobe.c | $(BUILD)/tests
	$(CC) $(CFLAGS) -static -o $@ $<

$(BUILD)/tests/lg-ktest: $(KTEST_OBJS) $(BUILD)/liblivegrant.a | $(BUILD)/tests
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bpf $(BUILD)/tests $(BUILD)/obj/lib $(BUILD)/obj/livegrantd $(BUILD)/obj/cli $(BUILD)/obj/tests/kernel $(BUILD)/obj/tools/issuer:
	mkdir -p $@

# ---- tests ---------------------------------------------------------------
# KERNELS: guest kernels the kernel tests boot (tools/vmrun --kernel).
KERNELS ?= 6.1 6.12 sid
test: deps
	$(MAKE) all
	tests/run --kernels "$(KERNELS)"

# The narrated demo in the test VM (README's first command), about a minute.
demo: deps
	$(MAKE) all
	tools/vmrun --timeout 300 --add $(CURDIR)/tests/kernel --add $(CURDIR)/tools/demo.sh \
		-- sh tools/demo.sh

unit-test: all
	tests/run --unit-only

kernel-test: all
	tests/run --kernel-only --kernels "$(KERNELS)"

# ---- developer habits ----------------------------------------------------
FORMAT_SRCS := $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null | grep -v '^bpf/vmlinux/')
format:
	clang-format -i $(FORMAT_SRCS)

lint: $(BUILD)/livegrant.skel.h
	clang-format --dry-run --Werror $(FORMAT_SRCS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr --suppress=missingIncludeSystem \
		-Iinclude -Iuserspace/lib -I$(BUILD) userspace tests tools/issuer

# compile_commands.json for editors (bear is on the machine).
compdb: clean
	bear -- $(MAKE) all

vmlinux-h:
	tools/gen-vmlinux-h $(VMLINUX_DIR)/vmlinux.h

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
