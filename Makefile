# Podium - plain GNU make; pkg-config for every library.
#
#   make            build build/podium
#   make test       every test: unit (cmocka), integration, end-to-end (tmux)
#   make check      the same tests built with AddressSanitizer + UBSan
#   make bench      the benchmarks under tests/bench (print figures)
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (default 60)
#   make fuzz-ci    each libFuzzer target for FUZZ_CI_SECONDS (15) on the corpus
#   make valgrind   the integration tests with podium under valgrind memcheck
#   make deps       apt-get install every Debian package used (idempotent)
#   make run        the dashboard on the embedded simulated cluster
#   make install    PREFIX=/usr/local DESTDIR= (binary, man pages, themes)
#   make image      build the runtime image (Dockerfile) and serve a model image
#                   from it, without Docker (root; buildah, debootstrap; minutes)

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
SAN     ?=
FUZZ_SECONDS ?= 60

# Debian ships openblas.pc outside the default search path.
export PKG_CONFIG_PATH := $(PKG_CONFIG_PATH):/usr/lib/x86_64-linux-gnu/openblas-pthread/pkgconfig:/usr/lib/aarch64-linux-gnu/openblas-pthread/pkgconfig
PKGS    := ncursesw libcurl yaml-0.1 jansson openblas libmicrohttpd zlib gnutls
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

CC      ?= cc
WARN    := -std=c11 -Wall -Wextra -Werror
OPT     ?= -O2 -g
ifeq ($(SAN),1)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif
CFLAGS  := $(WARN) $(OPT) -I. $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(OPT) $(EXTRA_LDFLAGS)
LIBS    := $(PKG_LIBS) -lm -lpthread

# Every .c under the module directories is part of the library; tui/main.c
# is the program. New files need no Makefile change.
LIB_SRCS := $(wildcard kube/*.c kube/sim/*.c model/*.c) $(filter-out tui/main.c,$(wildcard tui/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
DEPS     := $(LIB_OBJS:.o=.d) $(BUILD)/tui/main.d
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all test check bench fuzz fuzz-ci valgrind deps run install clean unit format image
all: $(BUILD)/podium

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libpodium.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/podium: $(BUILD)/tui/main.o $(BUILD)/libpodium.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libpodium.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(BUILD)/libpodium.a $(LIBS) $(CMOCKA_LIBS)

unit: $(UNIT_BINS)

# Every test: unit programs, then integration and end-to-end scripts, each
# against the binary in $(BUILD). The runner prints "N passed, N failed".
test: all $(UNIT_BINS)
	tests/run-tests.sh $(BUILD)

check:
	$(MAKE) BUILD=build-san SAN=1 test

bench: all
	tests/bench/run-benches.sh $(BUILD)

# Every podium the integration tests run goes through tests/valgrind/podium
# (memcheck, tests/valgrind.supp); VG_TESTS="name ..." runs only those.
valgrind: all
	tests/valgrind.sh $(BUILD)

# The top-level Dockerfile built into the runtime image, and a model image
# FROM it (the Dockerfile podium build generates, printed by
# $(BUILD)/image-dockerfile) run and asked over HTTP, with Debian's buildah
# and debootstrap instead of a Docker engine. It installs them, downloads
# Debian packages and takes minutes, so neither test nor CI runs it.
image: all $(BUILD)/image-dockerfile
	tests/image/build-runtime.sh $(BUILD)

$(BUILD)/image-dockerfile: tests/image/dockerfile.c $(BUILD)/libpodium.a
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(BUILD)/libpodium.a $(LIBS)

# libFuzzer targets, built with clang: the library sources once into
# $(BUILD)/fuzz/obj (clang may differ from the compiler of the archive), then
# one program per tests/fuzz/fuzz_*.c, each run for FUZZ_SECONDS on its
# corpus in tests/fuzz/corpus/<target>.
FUZZ_DIR   := $(BUILD)/fuzz
FUZZ_OBJS  := $(LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_DIR)/%)
FUZZ_FLAGS := -std=c11 -g -O1 -I. $(PKG_CFLAGS) -fsanitize=address,undefined

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(LIBS)

.SECONDARY: $(FUZZ_OBJS)
# fuzz grows tests/fuzz/corpus (commit what it adds); fuzz-ci (CI: every
# target FUZZ_CI_SECONDS on the corpus, new inputs kept out of the tree in
# $(FUZZ_DIR)/<target>.new) fails on the first crash, leak or hang and
# names the reproducer, which belongs in the corpus with its fix.
FUZZ_CI_SECONDS ?= 15
fuzz: $(FUZZ_BINS)
	@$(call fuzz_run,$(FUZZ_SECONDS),)
fuzz-ci: $(FUZZ_BINS)
	@$(call fuzz_run,$(FUZZ_CI_SECONDS),1)
define fuzz_run
set -e; for t in $(notdir $(FUZZ_BINS)); do \
	mkdir -p tests/fuzz/corpus/$$t; rm -f $(FUZZ_DIR)/$$t-*; \
	dirs=tests/fuzz/corpus/$$t; \
	if [ -n "$(2)" ]; then rm -rf $(FUZZ_DIR)/$$t.new; mkdir -p $(FUZZ_DIR)/$$t.new; \
		dirs="$(FUZZ_DIR)/$$t.new $$dirs"; fi; \
	echo "fuzz: $$t for $(1)s"; \
	$(FUZZ_DIR)/$$t -max_total_time=$(1) -max_len=65536 -timeout=30 -rss_limit_mb=2048 \
		-artifact_prefix=$(FUZZ_DIR)/$$t- $$dirs >$(FUZZ_DIR)/$$t.log 2>&1 \
		|| { tail -40 $(FUZZ_DIR)/$$t.log; echo "fuzz: $$t failed; reproducer: $$(ls $(FUZZ_DIR)/$$t-* 2>/dev/null)"; exit 1; }; \
done
endef

DEB_PKGS := build-essential pkg-config libncurses-dev libcurl4-openssl-dev libyaml-dev \
	libjansson-dev libopenblas-dev libcmocka-dev libmicrohttpd-dev zlib1g-dev libgnutls28-dev \
	tmux openssl dataset-fashion-mnist clang libclang-rt-14-dev valgrind python3 curl procps bc
BENCH_PKGS := python3-torch hyperfine
deps:
	@missing=""; for p in $(DEB_PKGS) $(if $(BENCH),$(BENCH_PKGS)); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	command -v kubectl >/dev/null 2>&1 || missing="$$missing kubernetes-client"; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	else echo "deps: all installed"; fi

run: all
	$(BUILD)/podium --sim

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/podium/themes
	install -m 755 $(BUILD)/podium $(DESTDIR)$(PREFIX)/bin/podium
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	-install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/ 2>/dev/null
	-install -m 644 themes/*.yaml $(DESTDIR)$(PREFIX)/share/podium/themes/ 2>/dev/null

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-san

-include $(DEPS) $(UNIT_BINS:=.d) $(FUZZ_OBJS:.o=.d) $(BUILD)/image-dockerfile.d
