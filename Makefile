# ztprobe: in-pod NetworkPolicy probe agent. `make` builds ./ztprobe; `make test` installs
# what the tests need, then runs every suite (plain and ASan+UBSan); `make demo` runs the lab.

CC       ?= cc
VERSION  := 0.1.0
PKGS     := libcurl libpq libcares libcjson yaml-0.1 openssl
SANITIZE ?=

# STATIC_DEPS=PREFIX: link libcurl, libpq, c-ares, cJSON, libyaml and OpenSSL statically from
# PREFIX (made by tests/image/deps.sh; the image's build), so the binary needs libc alone. Without
# it, Debian's -dev packages through pkg-config.
STATIC_DEPS ?=

# Each variant builds into its own folder, so the plain and the sanitized objects coexist.
ifneq ($(STATIC_DEPS),)
  VARIANT := static
  OPT     := -O2 -g
else ifeq ($(SANITIZE),)
  VARIANT := plain
  OPT     := -O2 -g
else
  VARIANT := san
  OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
endif
B := build/$(VARIANT)

WARN     := -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion -Werror
# The layers, lowest first (docs/architecture.md): a folder may include only headers of its own
# and lower folders (tests/docs/check.py enforces it). Every folder is on the include path, so an
# #include names the header alone and a file can move between layers without edits.
LAYERS   := agent/util agent/core probes probes/http probes/postgres agent/judge agent/policy \
            agent/report agent/run agent/cmd
CPPFLAGS += -D_GNU_SOURCE -DZT_VERSION='"$(VERSION)"' $(addprefix -I,$(LAYERS))
CFLAGS   += -std=c11 $(OPT) $(WARN) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -MMD -MP
LDFLAGS  += $(if $(SANITIZE),-fsanitize=$(SANITIZE))
ifeq ($(STATIC_DEPS),)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcurl -lpq -lcares -lcjson -lyaml -lssl -lcrypto)
else
CPPFLAGS := -I$(STATIC_DEPS)/include -I$(STATIC_DEPS)/include/cjson $(CPPFLAGS)
LDLIBS   += -L$(STATIC_DEPS)/lib -Wl,-Bstatic -lcurl -lpq -lpgcommon_shlib -lpgport_shlib \
            -lcares -lcjson -lyaml -lssl -lcrypto -Wl,-Bdynamic -lm -pthread -ldl
endif

LIB_SRC  := $(filter-out agent/cmd/main.c,$(wildcard $(addsuffix /*.c,$(LAYERS))))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
MAIN_OBJ := $(B)/agent/cmd/main.o
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: all deps deps-lab test unit unit-san integration lab demo bench bench-policy fuzz image image-test clean help
all: ztprobe

ztprobe: $(B)/ztprobe
ifeq ($(SANITIZE)$(STATIC_DEPS),)
	@cp $< $@.tmp && mv -f $@.tmp $@
endif

$(B)/ztprobe: $(MAIN_OBJ) $(B)/libzt.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/libzt.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(B)/libzt.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libzt.a $(LDLIBS) -lcmocka

# Installs the Debian packages the build, the tests and the lab need (idempotent); deps-lab
# only what the build and the lab need (`make demo`).
deps:
	@sh tests/deps.sh test

deps-lab:
	@sh tests/deps.sh lab

unit: $(UNIT_BIN)
	@sh tests/run_unit.sh $(UNIT_BIN)

# The whole suite: unit tests plain and under ASan+UBSan, then the integration tests against
# real servers and the lab scenarios, both with the sanitized agent.
# SUITES="unit-plain policy ...": only those (the names: bash tests/run_all.sh --list).
test: deps
	@bash tests/run_all.sh $(SUITES)

# The fast tier, for every edit: the unit tests (plain), the style and the docs checks. No root,
# no network namespaces, no package installs; under 2 minutes here, about 30 s once built.
.PHONY: check
check:
	@bash tests/run_all.sh unit-plain style docs

# These install the packages first, then build in a fresh make, since the compiler flags come
# from pkg-config and cannot be known before the -dev packages are there.
integration: deps
	@$(MAKE) --no-print-directory all
	@bash tests/integration/run.sh ./ztprobe

lab: deps-lab
	@$(MAKE) --no-print-directory all
	@bash tests/lab/run.sh ./ztprobe

demo: deps-lab
	@$(MAKE) --no-print-directory all
	@bash tests/lab/demo.sh ./ztprobe

bench: deps
	@$(MAKE) --no-print-directory all
	@bash tests/bench/run.sh ./ztprobe
	@bash tests/bench/udp_family.sh ./ztprobe
	@python3 tests/bench/reader_bench.py ./ztprobe --out tests/bench/results/reader.md

# `policy check` at 200 NetworkPolicies + 200 admin, Cilium or Calico policies x 2,000 pods x
# 2,000 probes, one core (no lab, no network).
bench-policy: all
	@python3 tests/bench/policy_bench.py ./ztprobe

# libFuzzer targets (clang, ASan+UBSan), 60 s each; `make test` runs them 10 s each.
fuzz: deps
	@bash tests/fuzz/run.sh 60

# The container image, built by podman from the Dockerfile unchanged (no Docker engine here),
# and run the way a pod would run it, inside the lab (tests/image/).
image: deps
	@bash tests/image/build.sh

image-test: image
	@bash tests/image/test.sh

# kustomize reads no file outside manifests/: the ConfigMap's copy of the matrix is kept
# equal to config/govtech.json (the manifest checks fail when they differ).
manifests/config/govtech.json: config/govtech.json
	cp $< $@

# The agent and the kubectl plugin (`kubectl ztprobe`), side by side in PREFIX/bin; the plugin
# merges with the ztprobe next to it. DESTDIR for staging.
PREFIX ?= /usr/local
.PHONY: install
install: ztprobe
	install -D -m 0755 ztprobe $(DESTDIR)$(PREFIX)/bin/ztprobe
	install -D -m 0755 manifests/kubectl-ztprobe $(DESTDIR)$(PREFIX)/bin/kubectl-ztprobe

clean:
	rm -rf build ztprobe

help:
	@echo "targets: all (./ztprobe) deps check test [SUITES=...] unit integration lab demo bench fuzz image image-test install clean"

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_BIN:=.d)
