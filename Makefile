# pgha - build with `make`; `make check` runs unit, golden and fuzz-corpus
# tests; `make lab-check` runs the lab (integration) tests as root;
# `make install` (DESTDIR, PREFIX) installs what the package ships.
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
	  -Wmissing-prototypes \
	  -D_GNU_SOURCE $(CCWARN)
# The one place the version is set; a package build overrides it
# (make VERSION=...).  pghad, pgha, pgha-agent and `pgha status --json`
# all say this string.
VERSION	?= 0.1
# Each program sees only its own headers and src/common: the daemon's are
# not the agents' or the CLI's business (what they share is in src/common).
# Tests and lab helpers may reach into src/daemon.
CPPFLAGS += -Isrc/common -DPGHA_VERSION='"$(VERSION)"'
ALL_CFLAGS = $(WFLAGS) $(CFLAGS) $(SANFLAGS) $(CPPFLAGS)
TEST_CPPFLAGS = -Isrc/daemon

COMMON_PKGS = json-c libcrypto
DAEMON_PKGS = libcpg libquorum json-c libcrypto libmnl libsystemd
CLI_PKGS    = json-c libcrypto
AGENT_PKGS  = libpq libcrypto json-c libmnl libcmap libvotequorum
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

# What `make install` and the Debian package ship (the rest is the lab's).
INSTALL_PROGS = $(BUILD)/pghad $(BUILD)/pgha $(BUILD)/pgha-agent
programs: $(INSTALL_PROGS)

# --- install layout (make install DESTDIR=... PREFIX=...) ---------------
# pghad is a system daemon (sbin); pgha goes to bin because its read-only
# commands (status, events) are open to every user, and members of
# admin_group are not root: a user's PATH on Debian has no sbin.
# pgha-agent is no command for a user: it goes to AGENTDIR, where an
# installed pghad finds it (see default_agent_path() in pghad.c).
PREFIX	?= /usr
BINDIR	?= $(PREFIX)/bin
SBINDIR	?= $(PREFIX)/sbin
AGENTDIR ?= $(PREFIX)/lib/pgha
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/pgha
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
UNITDIR	?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir \
	   systemd 2>/dev/null),/lib/systemd/system)
INSTALL	?= install

# pghad has AGENTDIR compiled in; the stamp rebuilds it when AGENTDIR
# changes (make PREFIX=/usr/local install after a plain make).
$(BUILD)/src/daemon/pghad.o: CPPFLAGS += -DPGHA_AGENTDIR='"$(AGENTDIR)"'
$(BUILD)/src/daemon/pghad.o: $(BUILD)/agentdir.stamp
$(BUILD)/agentdir.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(AGENTDIR)' | cmp -s - $@ || echo '$(AGENTDIR)' > $@

# Per-directory include paths and package flags (pattern-specific).
$(BUILD)/src/common/%.o: OBJ_CFLAGS = $(call pkgcflags,$(COMMON_PKGS))
$(BUILD)/src/daemon/%.o: OBJ_CFLAGS = -Isrc/daemon \
	$(call pkgcflags,$(DAEMON_PKGS))
$(BUILD)/src/cli/%.o: OBJ_CFLAGS = -Isrc/cli $(call pkgcflags,$(CLI_PKGS))
$(BUILD)/src/agents/%.o: OBJ_CFLAGS = -Isrc/agents \
	$(call pkgcflags,$(AGENT_PKGS))
$(BUILD)/tests/%.o: OBJ_CFLAGS = $(TEST_CPPFLAGS) \
	$(call pkgcflags,$(DAEMON_PKGS) $(AGENT_PKGS))

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(OBJ_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/pghad: $(call obj,$(DAEMON_SRC) $(COMMON_SRC) $(SOCKDIAG_SRC))
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(call pkglibs,$(DAEMON_PKGS))

$(BUILD)/pgha: $(call obj,$(CLI_SRC) $(COMMON_SRC))
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(call pkglibs,$(CLI_PKGS))

$(BUILD)/pgha-agent: $(call obj,$(AGENT_SRC) $(COMMON_SRC) $(SOCKDIAG_SRC))
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(call pkglibs,$(AGENT_PKGS))

$(BUILD)/pgha-labinit: $(call obj,tests/lab/labinit.c)
	$(CC) $(SANFLAGS) -o $@ $^

$(BUILD)/pgha-writer: $(call obj,tests/lab/writer.c $(COMMON_SRC))
	$(CC) $(SANFLAGS) -o $@ $^ $(call pkglibs,$(LAB_PKGS) libcrypto)

$(BUILD)/pgha-cpgintruder: $(call obj,tests/lab/cpg_intruder.c src/daemon/wire.c $(COMMON_SRC))
	$(CC) $(SANFLAGS) -o $@ $^ $(call pkglibs,libcpg libcrypto)

# The lab's volatile shared disk (lab up --volatile-disk): a FUSE daemon.
$(BUILD)/tests/lab/vdisk.o: tests/lab/vdisk.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CPPFLAGS) $(call pkgcflags,fuse3) -MMD -MP -c $< -o $@

$(BUILD)/pgha-vdisk: $(BUILD)/tests/lab/vdisk.o
	$(CC) $(SANFLAGS) -o $@ $^ $(call pkglibs,fuse3)

# --- unit tests: one program per module, TAP output ----------------------
UNIT_TESTS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
# Modules each unit test links (besides src/common).
CONF_SRC = src/daemon/conf.c src/daemon/conf_keys.c src/daemon/conf_print.c
UNIT_DEPS_test_conf   = $(CONF_SRC)
UNIT_DEPS_test_decide = $(CONF_SRC) src/daemon/decide.c src/daemon/state.c \
	src/daemon/replica.c src/daemon/wire.c
UNIT_DEPS_test_wire   = src/daemon/wire.c
UNIT_DEPS_test_replica = src/daemon/replica.c src/daemon/decide.c \
	src/daemon/state.c src/daemon/wire.c $(CONF_SRC)
UNIT_DEPS_test_fence  = src/daemon/fence.c src/daemon/agent.c src/daemon/loop.c \
	$(CONF_SRC) src/daemon/wire.c
UNIT_DEPS_test_msgsize = $(CONF_SRC) src/daemon/wire.c
UNIT_DEPS_test_sendq  = src/daemon/sendq.c src/daemon/wire.c
UNIT_DEPS_test_cli_render = src/cli/cmd.c src/cli/out_text.c
UNIT_DEPS_test_corosync_conf = src/cli/corosync_conf.c $(CONF_SRC)
UNIT_DEPS_test_spawn  = src/agents/spawn.c src/agents/agent_util.c
UNIT_DEPS_test_pgbindir = src/agents/pgbindir.c
UNIT_DEPS_test_sockdiag = $(SOCKDIAG_SRC)
UNIT_DEPS_test_durable = src/daemon/durable.c src/daemon/loop.c
UNIT_DEPS_test_sdnotify = src/daemon/sdnotify.c src/daemon/loop.c \
	src/daemon/state.c $(CONF_SRC)
UNIT_LIBS_test_sdnotify = $(call pkglibs,libsystemd)
UNIT_LIBS = $(call pkglibs,json-c libcrypto libmnl)

.SECONDEXPANSION:
$(BUILD)/tests/%: tests/unit/%.c $$(call obj,$$(UNIT_DEPS_$$*)) $(call obj,$(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CPPFLAGS) -o $@ $^ $(UNIT_LIBS) \
	    $(UNIT_LIBS_$*)

# --- golden decide scenarios: the real state machine and decider -------
GOLDEN_DECIDE = $(BUILD)/tests/golden_decide
GOLDEN_DECIDE_DEPS = src/daemon/replica.c src/daemon/decide.c \
	src/daemon/reqcheck.c src/daemon/state.c src/daemon/wire.c \
	$(CONF_SRC)

$(GOLDEN_DECIDE): tests/golden/decide_run.c $(call obj,tests/golden/sim.c $(GOLDEN_DECIDE_DEPS) $(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CPPFLAGS) -o $@ $^ $(UNIT_LIBS)

# --- fuzz harnesses (libFuzzer with clang; a corpus replayer otherwise) ---
FUZZ_TARGETS = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_DEPS_conf = $(CONF_SRC)
FUZZ_DEPS_wire = src/daemon/wire.c
FUZZ_DEPS_replica = tests/golden/sim.c src/daemon/replica.c \
	src/daemon/decide.c src/daemon/reqcheck.c src/daemon/state.c \
	src/daemon/wire.c $(CONF_SRC)

$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $$(call obj,$$(FUZZ_DEPS_$$*)) $(call obj,$(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CPPFLAGS) -o $@ $^ $(UNIT_LIBS)

$(BUILD)/fuzz/libfuzzer_%: tests/fuzz/fuzz_%.c $$(FUZZ_DEPS_$$*) $(COMMON_SRC)
	@mkdir -p $(dir $@)
	clang $(WFLAGS) -Wno-unknown-warning-option -O1 -g \
	    -fsanitize=fuzzer,address,undefined \
	    $(CPPFLAGS) $(TEST_CPPFLAGS) -o $@ $^ $(UNIT_LIBS)

check: all $(UNIT_TESTS) $(GOLDEN_DECIDE) $(patsubst %,$(BUILD)/fuzz/replay_%,$(FUZZ_TARGETS))
	PGHA_VERSION='$(VERSION)' tests/run-check.sh $(BUILD)

lab-check: all
	tests/lab/run-all.sh $(BUILD)

fuzz: $(patsubst %,$(BUILD)/fuzz/libfuzzer_%,$(FUZZ_TARGETS))
	for t in $(FUZZ_TARGETS); do \
	    mkdir -p tests/fuzz/corpus/$$t; \
	    $(BUILD)/fuzz/libfuzzer_$$t -max_total_time=$${FUZZ_SECONDS:-60} \
	        tests/fuzz/corpus/$$t || exit 1; \
	done

golden-update: all $(GOLDEN_DECIDE)
	tests/golden/run.sh $(BUILD) -update
	PGHA_VERSION='$(VERSION)' tests/golden/cli-run.sh $(BUILD) -update
	tests/golden/run_decide.sh $(BUILD) -update

MAN_PAGES = $(wildcard man/*.[1-8])
DOC_FILES = README.md $(wildcard docs/*.md)

install: $(INSTALL_PROGS)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(AGENTDIR) $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(COMPLETIONDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/pgha
	$(INSTALL) -m 0755 $(BUILD)/pghad $(DESTDIR)$(SBINDIR)/pghad
	$(INSTALL) -m 0755 $(BUILD)/pgha $(DESTDIR)$(BINDIR)/pgha
	$(INSTALL) -m 0755 $(BUILD)/pgha-agent $(DESTDIR)$(AGENTDIR)/pgha-agent
	for m in $(MAN_PAGES); do \
	    d=$(DESTDIR)$(MANDIR)/man$${m##*.}; \
	    $(INSTALL) -d $$d && $(INSTALL) -m 0644 $$m $$d/ || exit 1; \
	done
	sed -e 's|/usr/sbin/pghad|$(SBINDIR)/pghad|' \
	    -e 's|/etc/pgha/|$(SYSCONFDIR)/pgha/|' \
	    contrib/systemd/pghad.service >$(DESTDIR)$(UNITDIR)/pghad.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/pghad.service
	$(INSTALL) -m 0644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 0644 docs/example.conf $(DESTDIR)$(DOCDIR)/examples/
	$(INSTALL) -m 0644 contrib/bash-completion/pgha \
	    $(DESTDIR)$(COMPLETIONDIR)/pgha

# /var/lib/pgha is made by the unit (StateDirectory=) or the package.
# The cluster file, keystore and state stay: they are the node's, not
# the program's (a keystore removed is an encrypted disk lost).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/pghad $(DESTDIR)$(BINDIR)/pgha \
	    $(DESTDIR)$(AGENTDIR)/pgha-agent \
	    $(DESTDIR)$(UNITDIR)/pghad.service \
	    $(DESTDIR)$(COMPLETIONDIR)/pgha \
	    $(DESTDIR)$(DOCDIR)/examples/example.conf \
	    $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOC_FILES)))
	for m in $(MAN_PAGES); do \
	    rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/}; \
	done
	rmdir $(DESTDIR)$(AGENTDIR) $(DESTDIR)$(DOCDIR)/examples \
	    $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf build build-san

.PHONY: all programs check lab-check fuzz golden-update clean install \
	uninstall FORCE

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
