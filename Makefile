# pgha - build with `make`; `make check` runs unit, golden and fuzz-corpus
# tests; `make lab-check` runs the lab (integration) tests as root.
#
# SAN=1 builds with clang, ASan and UBSan into build-san/.

ifeq ($(SAN),1)
CC	= clang
BUILD	?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
CCWARN	= -Wno-unknown-warning-option
else
CC	?= cc
BUILD	?= build
SANFLAGS =
CCWARN	=
endif

PKG_CONFIG ?= pkg-config
CFLAGS	?= -O2 -g
WFLAGS	= -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	  -Wshadow -Wpointer-arith -Wformat=2 -Wno-format-truncation \
	  -D_GNU_SOURCE $(CCWARN)
CPPFLAGS += -Isrc/common -Isrc/daemon
ALL_CFLAGS = $(WFLAGS) $(CFLAGS) $(SANFLAGS) $(CPPFLAGS)

DAEMON_PKGS = libcpg libquorum libvotequorum libcmap json-c libcrypto libmnl
CLI_PKGS    = json-c libcrypto
AGENT_PKGS  = libpq libcrypto json-c libmnl
LAB_PKGS    = libpq

pkgcflags = $(shell $(PKG_CONFIG) --cflags $(1))
pkglibs   = $(shell $(PKG_CONFIG) --libs $(1))

# sockdiag.c needs libmnl: linked only into the programs that use it.
SOCKDIAG_SRC = src/common/sockdiag.c
COMMON_SRC = $(filter-out $(SOCKDIAG_SRC),$(wildcard src/common/*.c))
DAEMON_SRC = $(wildcard src/daemon/*.c)
CLI_SRC    = $(wildcard src/cli/*.c)
AGENT_SRC  = $(wildcard src/agents/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

PROGS = $(BUILD)/pghad $(BUILD)/pgha $(BUILD)/pgha-agent \
	$(BUILD)/pgha-labinit $(BUILD)/pgha-writer $(BUILD)/pgha-cpgintruder \
	$(BUILD)/pgha-vdisk

all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(call pkgcflags,$(DAEMON_PKGS) $(AGENT_PKGS)) \
	    -MMD -MP -c $< -o $@

$(BUILD)/pghad: $(call obj,$(DAEMON_SRC) $(COMMON_SRC) $(SOCKDIAG_SRC))
	$(CC) $(SANFLAGS) -o $@ $^ $(call pkglibs,$(DAEMON_PKGS))

$(BUILD)/pgha: $(call obj,$(CLI_SRC) $(COMMON_SRC))
	$(CC) $(SANFLAGS) -o $@ $^ $(call pkglibs,$(CLI_PKGS))

$(BUILD)/pgha-agent: $(call obj,$(AGENT_SRC) $(COMMON_SRC) $(SOCKDIAG_SRC))
	$(CC) $(SANFLAGS) -o $@ $^ $(call pkglibs,$(AGENT_PKGS))

$(BUILD)/pgha-labinit: $(call obj,tests/lab/labinit.c)
	$(CC) $(SANFLAGS) -o $@ $^

$(BUILD)/pgha-writer: $(call obj,tests/lab/writer.c $(COMMON_SRC))
	$(CC) $(SANFLAGS) -o $@ $^ $(call pkglibs,$(LAB_PKGS) libcrypto)

$(BUILD)/pgha-cpgintruder: $(call obj,tests/lab/cpg_intruder.c src/daemon/wire.c $(COMMON_SRC))
	$(CC) $(SANFLAGS) -o $@ $^ $(call pkglibs,libcpg libcrypto)

# The lab's volatile shared disk (lab up --volatile-disk): a FUSE daemon.
$(BUILD)/tests/lab/vdisk.o: tests/lab/vdisk.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(call pkgcflags,fuse3) -MMD -MP -c $< -o $@

$(BUILD)/pgha-vdisk: $(BUILD)/tests/lab/vdisk.o
	$(CC) $(SANFLAGS) -o $@ $^ $(call pkglibs,fuse3)

# --- unit tests: one program per module, TAP output ----------------------
UNIT_TESTS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
# Modules each unit test links (besides src/common).
UNIT_DEPS_test_conf   = src/daemon/conf.c
UNIT_DEPS_test_decide = src/daemon/conf.c src/daemon/decide.c src/daemon/state.c
UNIT_DEPS_test_wire   = src/daemon/wire.c
UNIT_DEPS_test_fence  = src/daemon/fence.c
UNIT_DEPS_test_msgsize = src/daemon/conf.c src/daemon/wire.c
UNIT_DEPS_test_sendq  = src/daemon/sendq.c src/daemon/wire.c
UNIT_DEPS_test_cli_render = src/cli/cmd.c src/cli/out_text.c
UNIT_DEPS_test_sockdiag = $(SOCKDIAG_SRC)
UNIT_DEPS_test_durable = src/daemon/durable.c src/daemon/loop.c
UNIT_LIBS = $(call pkglibs,json-c libcrypto libmnl)

.SECONDEXPANSION:
$(BUILD)/tests/%: tests/unit/%.c $$(call obj,$$(UNIT_DEPS_$$*)) $(call obj,$(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(UNIT_LIBS)

# --- fuzz harnesses (libFuzzer with clang; a corpus replayer otherwise) ---
FUZZ_TARGETS = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_DEPS_conf = src/daemon/conf.c
FUZZ_DEPS_wire = src/daemon/wire.c

$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $$(call obj,$$(FUZZ_DEPS_$$*)) $(call obj,$(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(UNIT_LIBS)

$(BUILD)/fuzz/libfuzzer_%: tests/fuzz/fuzz_%.c $$(FUZZ_DEPS_$$*) $(COMMON_SRC)
	@mkdir -p $(dir $@)
	clang $(WFLAGS) -Wno-unknown-warning-option -O1 -g \
	    -fsanitize=fuzzer,address,undefined \
	    $(CPPFLAGS) -o $@ $^ $(UNIT_LIBS)

check: all $(UNIT_TESTS) $(patsubst %,$(BUILD)/fuzz/replay_%,$(FUZZ_TARGETS))
	tests/run-check.sh $(BUILD)

lab-check: all
	tests/lab/run-all.sh $(BUILD)

fuzz: $(patsubst %,$(BUILD)/fuzz/libfuzzer_%,$(FUZZ_TARGETS))
	for t in $(FUZZ_TARGETS); do \
	    mkdir -p tests/fuzz/corpus/$$t; \
	    $(BUILD)/fuzz/libfuzzer_$$t -max_total_time=$${FUZZ_SECONDS:-60} \
	        tests/fuzz/corpus/$$t || exit 1; \
	done

golden-update: all
	tests/golden/run.sh $(BUILD) -update

clean:
	rm -rf build build-san

.PHONY: all check lab-check fuzz golden-update clean

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
