# livegrant build. `make` builds everything into build/; `make test` installs
# what is missing, builds, runs the host unit tests and the kernel tests in
# VMs (Debian's 6.1, 6.12 and sid cloud kernels), and ends with one summary
# line. `make fuzz [FUZZ_SECONDS=60]` runs the parsers' fuzzers, `make
# sanitize` the unit tests under ASan and UBSan
# (docs/testing.md#fuzzing-and-sanitizers).
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
	-Iinclude $(LIB_INCLUDES) -I$(BUILD) -MMD -MP
LIB_INCLUDES := -Iuserspace/lib -Iuserspace/lib/enforce -Iuserspace/lib/policy
# What each library needs (see "libraries" below); a binary links the ones it uses.
LIBS_ENFORCE := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz) -lcap
LIBS_POLICY  := -lcrypto -ljansson -lyaml
LDLIBS     := $(LIBS_ENFORCE) $(LIBS_POLICY) -lz -lmicrohttpd -lcurl -lpthread

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_TMPS   := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.tmp.o,$(BPF_SRCS))

# LG_TEST_EXTRA_HOOK=1: a build with one more hook (tests/bpf/extra_hook.bpf.c
# and its registry row), for the upgrade test. Use it with its own BUILD.
ifeq ($(LG_TEST_EXTRA_HOOK),1)
BPF_TMPS   += $(BUILD)/bpf/extra_hook.tmp.o
BPF_CFLAGS += -DLG_TEST_EXTRA_HOOK
CFLAGS     += -DLG_TEST_EXTRA_HOOK
endif
# LG_SANITIZE=1: userspace under ASan and UBSan, every report fatal (make
# sanitize, which gives it a BUILD of its own). The BPF programs are as ever.
SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ifeq ($(LG_SANITIZE),1)
CFLAGS     += -O1 $(SAN_FLAGS)
endif
CORE_OBJS    := $(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(wildcard userspace/lib/*.c))
ENFORCE_OBJS := $(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(wildcard userspace/lib/enforce/*.c))
POLICY_OBJS  := $(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(wildcard userspace/lib/policy/*.c))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
KTEST_SRCS := $(wildcard tests/kernel/*.c)
KTEST_OBJS := $(patsubst tests/%.c,$(BUILD)/obj/tests/%.o,$(KTEST_SRCS))

PROGS := $(BUILD)/livegrantd $(BUILD)/livegrant $(BUILD)/livegrant-issuer
BENCH_SRCS := $(filter-out %.bpf.c tests/bench/noop.c tests/bench/controller.c,$(wildcard tests/bench/*.c))
BENCH_OBJS := $(patsubst tests/%.c,$(BUILD)/obj/tests/%.o,$(BENCH_SRCS))

TESTS := $(UNIT_BINS) $(BUILD)/tests/lg-ktest $(BUILD)/tests/lg-netprobe $(BUILD)/tests/lg-accessloop \
	$(BUILD)/tests/lg-sockabuse \
	$(BUILD)/tests/lg-mapprog $(BUILD)/tests/lg-preload.so $(BUILD)/tests/lg-bench \
	$(BUILD)/tests/lg-bench-noop $(BUILD)/tests/lg-present-load $(BUILD)/tests/lg-https-stub

.PHONY: all deps test unit-test kernel-test demo bench fuzz fuzz-build sanitize sanitize-build \
	sanitize-vm sanitize-vm-files format lint compdb clean vmlinux-h upgrade-builds install FORCE
all: $(PROGS) $(TESTS)

deps:
	@tools/install-deps --check 2>/dev/null || tools/install-deps

# ---- BPF -----------------------------------------------------------------
$(BUILD)/bpf/%.tmp.o: bpf/%.bpf.c $(wildcard bpf/lib/*.h include/livegrant/*.h) | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/extra_hook.tmp.o: tests/bpf/extra_hook.bpf.c $(wildcard bpf/lib/*.h include/livegrant/*.h) | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/livegrant.bpf.o: $(BPF_TMPS)
	$(BPFTOOL) gen object $@ $^

$(BUILD)/livegrant.skel.h: $(BUILD)/livegrant.bpf.o
	$(BPFTOOL) gen skeleton $< name livegrant_bpf > $@.tmp && mv $@.tmp $@

# The kernel check's trial program (bpf/probe/): an object and skeleton of its own.
$(BUILD)/bpf/lsm_probe.tmp.o: bpf/probe/lsm_probe.bpf.c | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/lsm_probe.bpf.o: $(BUILD)/bpf/lsm_probe.tmp.o
	$(BPFTOOL) gen object $@ $^

$(BUILD)/lsm_probe.skel.h: $(BUILD)/lsm_probe.bpf.o
	$(BPFTOOL) gen skeleton $< name lg_probe_bpf > $@.tmp && mv $@.tmp $@

# ---- userspace -----------------------------------------------------------
$(BUILD)/obj/lib/enforce/loader.o: $(BUILD)/livegrant.skel.h
$(BUILD)/obj/lib/enforce/kernel_check.o: $(BUILD)/lsm_probe.skel.h

$(BUILD)/obj/%.o: userspace/%.c | $(BUILD)/obj/lib/enforce $(BUILD)/obj/lib/policy \
		$(BUILD)/obj/livegrantd $(BUILD)/obj/cli
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/tests/%.o: tests/%.c | $(BUILD)/obj/tests/kernel
	$(CC) $(CFLAGS) -c $< -o $@

# Libraries: one concern each, so that a binary links only what it uses.
#   core     userspace/lib/          errors, names, rule kinds, the rule
#                                    compiler, durations: no dependencies
#   enforce  userspace/lib/enforce/  programs, pins, maps, events (libbpf)
#   policy   userspace/lib/policy/   config, tokens, trust bundles (libyaml,
#                                    OpenSSL's libcrypto, jansson)
# Link order: policy and enforce before core, which both use.
CORE_LIB    := $(BUILD)/liblivegrant-core.a
ENFORCE_LIB := $(BUILD)/liblivegrant-enforce.a
POLICY_LIB  := $(BUILD)/liblivegrant-policy.a
ALL_LIBS    := $(POLICY_LIB) $(ENFORCE_LIB) $(CORE_LIB)

$(CORE_LIB): $(CORE_OBJS)
	$(AR) rcs $@ $^
$(ENFORCE_LIB): $(ENFORCE_OBJS)
	$(AR) rcs $@ $^
$(POLICY_LIB): $(POLICY_OBJS)
	$(AR) rcs $@ $^

LGD_SRCS := $(wildcard userspace/livegrantd/*.c)
LGD_OBJS := $(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(LGD_SRCS))
CLI_SRCS := $(wildcard userspace/cli/*.c)
CLI_OBJS := $(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(CLI_SRCS))

# libcurl: the kubelet's pod list (kubelet.c), on a thread of its own.
$(BUILD)/livegrantd: $(LGD_OBJS) $(ALL_LIBS)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS_ENFORCE) $(LIBS_POLICY) -lz -lmicrohttpd -lcurl -lpthread

# The CLI decides nothing about tokens: no crypto, no YAML.
$(BUILD)/livegrant: $(CLI_OBJS) $(ENFORCE_LIB) $(CORE_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS_ENFORCE) -ljansson -lz

# The development issuer (tools/issuer/): keys, JWKS and tokens for tests.
# It signs, and never touches the kernel: no libbpf.
$(BUILD)/livegrant-issuer: $(BUILD)/obj/tools/issuer/main.o $(POLICY_LIB) $(CORE_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS_POLICY)

$(BUILD)/obj/tools/%.o: tools/%.c | $(BUILD)/obj/tools/issuer
	$(CC) $(CFLAGS) -c $< -o $@

# The HTTPS clients' tests talk to the stand-in server.
$(BUILD)/tests/test_kubelet $(BUILD)/tests/test_bundle_fetch: | $(BUILD)/tests/lg-https-stub

# $< and the libraries, not $^: the test's .d file adds the headers and the
# daemon's .c files it includes as prerequisites.
$(BUILD)/tests/test_%: tests/unit/test_%.c $(ALL_LIBS) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(ALL_LIBS) $(LDLIBS)

# Static: an agent runs it with one exec rule and no library rules.
$(BUILD)/tests/lg-netprobe: tests/tools/netprobe.c | $(BUILD)/tests
	$(CC) $(CFLAGS) -static -o $@ $<

# Dynamically linked on purpose: the mapping tests run them through ld.so.
$(BUILD)/tests/lg-mapprog: tests/tools/mapprog.c | $(BUILD)/tests
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/tests/lg-preload.so: tests/tools/preload.c | $(BUILD)/tests
	$(CC) $(CFLAGS) -shared -fPIC -o $@ $<

# A kubelet's GET /pods over HTTPS, for the kubelet client's tests.
$(BUILD)/tests/lg-https-stub: tests/tools/https_stub.c | $(BUILD)/tests
	$(CC) $(CFLAGS) -o $@ $< -lmicrohttpd -lcrypto

$(BUILD)/tests/lg-accessloop: tests/tools/accessloop.c | $(BUILD)/tests
	$(CC) $(CFLAGS) -static -o $@ $<

# Hostile control-socket clients (tests/kernel/abuse.sh); static, as above.
$(BUILD)/tests/lg-sockabuse: tests/tools/sockabuse.c | $(BUILD)/tests
	$(CC) $(CFLAGS) -static -o $@ $<

# The other builds the upgrade test (tests/kernel/upgrade.sh) switches
# between: this tree with one more hook, and the last release that pinned
# without a manifest (UPGRADE_FROM, built from this repository's history).
# They are built in $(UPGRADE_WORK); only the binaries go into $(BUILD)/upgrade/
# (the whole of $(BUILD) is copied into every test VM).
UPGRADE_FROM ?= 9a58c45
UPGRADE_WORK := $(BUILD).upgrade
upgrade-builds: $(BUILD)/upgrade/livegrantd-extra $(BUILD)/upgrade/livegrantd-$(UPGRADE_FROM)

$(BUILD)/upgrade/livegrantd-extra: FORCE
	$(MAKE) --no-print-directory BUILD=$(UPGRADE_WORK)/extra LG_TEST_EXTRA_HOOK=1 \
		$(UPGRADE_WORK)/extra/livegrantd $(UPGRADE_WORK)/extra/livegrant
	mkdir -p $(@D) && cp $(UPGRADE_WORK)/extra/livegrantd $@ && \
		cp $(UPGRADE_WORK)/extra/livegrant $(@D)/livegrant-extra

$(BUILD)/upgrade/livegrantd-$(UPGRADE_FROM):
	@git cat-file -e $(UPGRADE_FROM)^{commit} 2>/dev/null || { \
		echo "upgrade test: commit $(UPGRADE_FROM) is not in this clone (a shallow clone?): fetch it, e.g. git fetch --unshallow" >&2; exit 1; }
	rm -rf $(UPGRADE_WORK)/legacy && mkdir -p $(UPGRADE_WORK)/legacy/src
	git archive $(UPGRADE_FROM) | tar -x -C $(UPGRADE_WORK)/legacy/src
	$(MAKE) --no-print-directory -C $(UPGRADE_WORK)/legacy/src \
		BUILD=$(abspath $(UPGRADE_WORK)/legacy) $(abspath $(UPGRADE_WORK)/legacy)/livegrantd
	mkdir -p $(@D) && cp $(UPGRADE_WORK)/legacy/livegrantd $@

FORCE:

$(BUILD)/tests/lg-ktest: $(KTEST_OBJS) $(ENFORCE_LIB) $(CORE_LIB) | $(BUILD)/tests
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS_ENFORCE) -lz

# ---- benchmark (make bench; docs/performance.md) -------------------------
# The floor: an empty LSM program per hook of the registry, same chain.
$(BUILD)/bpf/bench_empty.tmp.o: tests/bench/empty.bpf.c include/livegrant/hooks.h | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench_empty.bpf.o: $(BUILD)/bpf/bench_empty.tmp.o
	$(BPFTOOL) gen object $@ $^

$(BUILD)/bench_empty.skel.h: $(BUILD)/bench_empty.bpf.o
	$(BPFTOOL) gen skeleton $< name bench_empty > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/tests/bench/bench.o: $(BUILD)/bench_empty.skel.h

$(BUILD)/obj/tests/bench/%.o: tests/bench/%.c | $(BUILD)/obj/tests/bench
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/lg-bench: $(BENCH_OBJS) $(ENFORCE_LIB) $(CORE_LIB) | $(BUILD)/tests
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS_ENFORCE) -ljansson -lm -lz

# Static: the exec workload's agent needs one exec rule and no libraries.
$(BUILD)/tests/lg-bench-noop: tests/bench/noop.c | $(BUILD)/tests
	$(CC) $(CFLAGS) -static -o $@ $<

# The controller's load: agents presenting tokens (tests/bench/controller.sh).
$(BUILD)/tests/lg-present-load: tests/bench/controller.c | $(BUILD)/tests
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/bpf $(BUILD)/tests $(BUILD)/obj/lib/enforce $(BUILD)/obj/lib/policy $(BUILD)/obj/livegrantd $(BUILD)/obj/cli $(BUILD)/obj/tests/kernel $(BUILD)/obj/tests/bench $(BUILD)/obj/tools/issuer:
	mkdir -p $@

# ---- tests ---------------------------------------------------------------
# KERNELS: guest kernels the kernel tests boot (tools/vmrun --kernel).
KERNELS ?= 6.1 6.12 sid
test: deps
	$(MAKE) all upgrade-builds sanitize-vm-files
	tests/run --kernels "$(KERNELS)"

# The narrated demo in the test VM (README's first command), about a minute.
demo: deps
	$(MAKE) all
	tools/vmrun --timeout 300 --add $(CURDIR)/tests/kernel --add $(CURDIR)/tools/demo.sh \
		-- sh tools/demo.sh

# BENCH_KERNEL: the guest kernel; BENCH_ARGS: lg-bench's options (-r ROUNDS,
# -s ITERATION_SCALE); BENCH_AGENTS: how many agents present tokens to a real
# livegrantd for the controller's figures (tests/bench/controller.sh). The
# tables go to stdout, the figures to build/bench.json and build/controller.json.
BENCH_KERNEL ?= 6.1
BENCH_ARGS   ?=
BENCH_AGENTS ?= 1000
bench: deps
	$(MAKE) all
	rm -rf $(BUILD)/bench-out
	tools/vmrun --kernel $(BENCH_KERNEL) --timeout 3000 --mem 2048 --out $(BUILD)/bench-out \
		-- sh -c 'build/tests/lg-bench $(BENCH_ARGS) -j "$$LIVEGRANT_VM_OUT/bench.json"'
	cp $(BUILD)/bench-out/bench.json $(BUILD)/bench.json
	tools/vmrun --kernel $(BENCH_KERNEL) --timeout 3000 --mem 2048 --out $(BUILD)/bench-out \
		--add $(CURDIR)/tests/kernel --add $(CURDIR)/tests/bench \
		-- sh -c 'sh tests/bench/controller.sh $(BENCH_AGENTS) "$$LIVEGRANT_VM_OUT/controller.json"'
	cp $(BUILD)/bench-out/controller.json $(BUILD)/controller.json

unit-test: all
	tests/run --unit-only

kernel-test: all upgrade-builds
	tests/run --kernel-only --kernels "$(KERNELS)"

# ---- fuzzing (make fuzz; docs/testing.md#fuzzing-and-sanitizers) --------
# One libFuzzer harness per parser (tests/fuzz/fuzz_TARGET.c, seeds in
# tests/fuzz/corpus/TARGET/), built with clang under ASan and UBSan.
# `make fuzz` runs each for FUZZ_SECONDS over a copy of its seeds
# (tests/fuzz/run) and fails on any crash, leak, timeout or OOM; tests/run
# runs them for a few seconds each as its `fuzz` suite. Built in
# $(FUZZ_BUILD), beside $(BUILD) and not in it: the whole of $(BUILD) is
# copied into every test VM, and the fuzzers' binaries and corpora would
# only slow each boot down.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := $(BUILD).fuzz
FUZZ_CFLAGS  := -g -O1 $(SAN_FLAGS) -fsanitize=fuzzer-no-link -std=gnu11 -Wall -Wextra -Werror \
	-Wshadow -Wno-missing-field-initializers -Iinclude $(LIB_INCLUDES) -MMD -MP
FUZZ_LDLIBS  := -lcrypto -ljansson -lyaml -lz
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_TARGETS))
FUZZ_OBJ     := $(FUZZ_BUILD)/obj
FUZZ_CORE    := $(FUZZ_BUILD)/liblivegrant-core.a
FUZZ_POLICY  := $(FUZZ_BUILD)/liblivegrant-policy.a

# The parsers are instrumented for coverage too, or the fuzzer would be blind.
$(FUZZ_OBJ)/%.o: userspace/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_CORE): $(patsubst userspace/%.c,$(FUZZ_OBJ)/%.o,$(wildcard userspace/lib/*.c))
	$(AR) rcs $@ $^
$(FUZZ_POLICY): $(patsubst userspace/%.c,$(FUZZ_OBJ)/%.o,$(wildcard userspace/lib/policy/*.c))
	$(AR) rcs $@ $^

# What each harness links besides itself.
$(FUZZ_BUILD)/fuzz_token $(FUZZ_BUILD)/fuzz_trust_bundle $(FUZZ_BUILD)/fuzz_config: \
	$(FUZZ_POLICY) $(FUZZ_CORE)
$(FUZZ_BUILD)/fuzz_rules: $(FUZZ_CORE)
$(FUZZ_BUILD)/fuzz_control_request: $(FUZZ_OBJ)/livegrantd/control_request.o
$(FUZZ_BUILD)/fuzz_denial_log: $(FUZZ_OBJ)/cli/denial_reader.o

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/fuzz -Iuserspace/livegrantd -Iuserspace/cli \
		-o $@ $< $(filter %.o %.a,$^) $(FUZZ_LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	tests/fuzz/run --seconds $(FUZZ_SECONDS) --bin $(FUZZ_BUILD) --out $(FUZZ_BUILD)/run \
		$(FUZZ_TARGETS)

# ---- sanitizers (make sanitize; docs/testing.md#fuzzing-and-sanitizers) -
# livegrantd, the CLI, the issuer and the unit tests built under ASan and
# UBSan (every report fatal) in $(SANITIZE_BUILD), beside $(BUILD) for the
# reason above, and the unit tests run there by tests/sanitize: any
# sanitizer report, in a test or in a program it ran, fails the stage.
SANITIZE_BUILD := $(BUILD).sanitize

# The BPF programs are not sanitized: their skeletons are taken from
# $(BUILD) as built (-o: never remade there), which spares compiling them twice.
sanitize-build: $(BUILD)/livegrant.skel.h $(BUILD)/lsm_probe.skel.h
	mkdir -p $(SANITIZE_BUILD)
	cp -p $^ $(SANITIZE_BUILD)/
	$(MAKE) --no-print-directory BUILD=$(SANITIZE_BUILD) LG_SANITIZE=1 \
		-o $(SANITIZE_BUILD)/livegrant.skel.h -o $(SANITIZE_BUILD)/lsm_probe.skel.h \
		$(SANITIZE_BUILD)/livegrantd $(SANITIZE_BUILD)/livegrant $(SANITIZE_BUILD)/livegrant-issuer \
		$(SANITIZE_BUILD)/tests/lg-https-stub $(patsubst $(BUILD)/%,$(SANITIZE_BUILD)/%,$(UNIT_BINS))

sanitize: sanitize-build
	tests/sanitize $(SANITIZE_BUILD)

# The daemon suite in a VM with the sanitized livegrantd and issuer (the CLI
# and the static test tools as built: tests/sanitize-daemon.sh says why),
# gathered in $(SANITIZE_BUILD)/vm for tests/kernel/lib.sh's LG_TEST_BUILD.
# make test runs it so ("daemon sanitized"), and the faults suite too
# ("faults sanitized"; docs/testing.md#fuzzing-and-sanitizers).
sanitize-vm-files: sanitize-build all
	rm -rf $(SANITIZE_BUILD)/vm && mkdir -p $(SANITIZE_BUILD)/vm/tests
	cp $(SANITIZE_BUILD)/livegrantd $(SANITIZE_BUILD)/livegrant-issuer $(BUILD)/livegrant \
		$(SANITIZE_BUILD)/vm/
	cp $(BUILD)/tests/lg-netprobe $(BUILD)/tests/lg-accessloop $(BUILD)/tests/lg-https-stub \
		$(SANITIZE_BUILD)/vm/tests/

sanitize-vm: sanitize-vm-files
	tools/vmrun --kernel 6.1 --timeout 900 --add $(CURDIR)/tests/kernel \
		--add $(CURDIR)/tests/sanitize-daemon.sh --add $(CURDIR)/$(SANITIZE_BUILD)/vm \
		--add /usr/bin/setpriv -- sh tests/sanitize-daemon.sh

# ---- developer habits ----------------------------------------------------
FORMAT_SRCS := $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null | grep -v '^bpf/vmlinux/')
format:
	clang-format -i $(FORMAT_SRCS)

lint: $(BUILD)/livegrant.skel.h
	clang-format --dry-run --Werror $(FORMAT_SRCS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr --suppress=missingIncludeSystem \
		-Iinclude $(LIB_INCLUDES) -I$(BUILD) -itests/bpf -itests/bench/empty.bpf.c userspace tests tools/issuer

# ---- install (docs/deployment.md) ----------------------------------------
# `make install [PREFIX=/usr/local] [DESTDIR=]`: the binaries, the systemd
# unit written with these paths, an example config (never over a real one),
# man pages and bash completion. tests/install.sh checks the result.
PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
SBINDIR       ?= $(PREFIX)/sbin
MANDIR        ?= $(PREFIX)/share/man
UNITDIR       ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR    ?= /etc

install: $(BUILD)/livegrantd $(BUILD)/livegrant
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(COMPLETIONDIR) \
		$(DESTDIR)$(SYSCONFDIR)/livegrant
	install -m 0755 $(BUILD)/livegrantd $(DESTDIR)$(SBINDIR)/livegrantd
	install -m 0755 $(BUILD)/livegrant $(DESTDIR)$(BINDIR)/livegrant
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
		-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' deploy/systemd/livegrantd.service.in \
		>$(DESTDIR)$(UNITDIR)/livegrantd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/livegrantd.service
	install -m 0644 deploy/config/livegrant.yaml.example \
		$(DESTDIR)$(SYSCONFDIR)/livegrant/livegrant.yaml.example
	install -m 0644 docs/man/livegrantd.8 docs/man/livegrant.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 docs/man/livegrant.yaml.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 deploy/completion/livegrant.bash $(DESTDIR)$(COMPLETIONDIR)/livegrant

# compile_commands.json for editors (bear is on the machine).
compdb: clean
	bear -- $(MAKE) all

vmlinux-h:
	tools/gen-vmlinux-h $(VMLINUX_DIR)/vmlinux.h

clean:
	rm -rf $(BUILD) $(BUILD).upgrade $(BUILD).fuzz $(BUILD).sanitize

# The test programs' too: a unit test includes the daemon's .c files, and
# must be rebuilt when one of them changes.
-include $(shell find $(BUILD)/obj $(BUILD)/tests $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
