# kubemend build. `make` builds bin/kubemend; `make test` runs unit, fuzz-corpus
# replay and end-to-end tests; `make check` runs the same suite under
# ASan+UBSan with leak detection; `make demo` runs the demo.
#
# Sources are picked up by directory: a new src/<layer>/<file>.c or
# tests/unit/test_<name>.c needs no change here.

PKGS     := libcurl jansson yaml-0.1 libmicrohttpd gnutls openssl zlib

# Stage 1. pkg-config's flags are read when make parses this file, and on a
# fresh machine the -dev packages are not there yet. So the make a user types
# first runs scripts/install-deps.sh (it returns at once when nothing is
# missing), checks pkg-config, and then runs make again for the same goals:
# that second make (KM_STAGE=2, inherited by every recursive make) reads the
# flags after the install. Goals that build nothing skip this.
NODEPS_GOALS := clean deps lint
KM_GOALS := $(or $(MAKECMDGOALS),all)
ifeq ($(KM_STAGE)$(if $(filter-out $(NODEPS_GOALS),$(KM_GOALS)),,nodeps),)

.PHONY: $(KM_GOALS) km-stage2
$(KM_GOALS): km-stage2 ; @:
km-stage2:
	@scripts/install-deps.sh
	@missing=$$(for p in $(PKGS); do pkg-config --exists $$p || printf ' %s' $$p; done); \
	 [ -z "$$missing" ] || { echo "make: pkg-config finds no$$missing after scripts/install-deps.sh; install their -dev packages (see that script) and run make again" >&2; exit 1; }
	@$(MAKE) --no-print-directory KM_STAGE=2 $(MAKECMDGOALS)

else # stage 2: the build itself

CC      ?= cc
BUILD   ?= build
BIN     ?= bin
SAN     ?=
WERROR  ?=
CFLAGS  ?= -O2 -g

ifneq ($(filter-out $(NODEPS_GOALS),$(KM_GOALS)),)
ifneq ($(shell pkg-config --exists $(PKGS) && echo ok),ok)
$(error pkg-config cannot find some of: $(PKGS); run scripts/install-deps.sh (or make deps) first)
endif
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wvla \
        -Wwrite-strings -Wformat=2
ifneq ($(WERROR),)
WARN += -Werror
endif
ifneq ($(SAN),)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer
endif

ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) -Isrc \
              $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)
LIBS := $(PKG_LIBS) -lm -lpthread

LIB_SRC  := $(sort $(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
# the page at / (serve/webui.c), compiled in from src/serve/page.html
PAGE_OBJ := $(BUILD)/gen/webpage.o
MAIN_OBJ := $(BUILD)/src/main.o
LIBA     := $(BUILD)/libkubemend.a
KUBEMEND := $(BIN)/kubemend

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/replay_%)
FAKE_LLM := $(BUILD)/tests/fake_llm

.PHONY: all deps test test-busy test-apiserver unit fuzz-replay e2e check demo clean fuzz fuzz-smoke bench-sim bench-collect bench-lstm bench-history bench-cycle bench-parse bench-latency bench-detect model lint eval-cv
all: $(KUBEMEND)

deps:
	@scripts/install-deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/gen/webpage.c: src/serve/page.html scripts/embed.sh
	@mkdir -p $(@D)
	scripts/embed.sh webui_page $< > $@.tmp && mv $@.tmp $@

$(PAGE_OBJ): $(BUILD)/gen/webpage.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBA): $(LIB_OBJ) $(PAGE_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(KUBEMEND): $(MAIN_OBJ) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(MAIN_OBJ) $(LIBA) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIBA) tests/unit/testutil.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(LIBA) $(LIBS) -lcmocka -lutil

$(FAKE_LLM): tests/tools/fake_llm.c tests/unit/fakellm.h $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(LIBA) $(LIBS)

# The client conformance suite (tests/apiserver/run.sh runs it against the sim
# and a real kube-apiserver).
CONFORM := $(BUILD)/tests/conform
$(CONFORM): $(sort $(wildcard tests/conform/*.c)) tests/conform/conform.h $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/conform -o $@ $(filter %.c,$^) $(LIBA) $(LIBS)

# The same checks against a real kube-apiserver (built once from the Go
# module proxy, cached outside the repo) and against the sim, side by side.
test-apiserver: $(KUBEMEND) $(CONFORM)
	@KUBEMEND=$(abspath $(KUBEMEND)) CONFORM=$(abspath $(CONFORM)) tests/apiserver/run.sh

$(BUILD)/fuzz/replay_%: fuzz/%.c fuzz/replay.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< fuzz/replay.c $(LIBA) $(LIBS)

unit: $(UNIT_BIN)
	@scripts/run-tests.sh unit $(UNIT_BIN)

fuzz-replay: $(FUZZ_REPLAY)
	@scripts/run-tests.sh fuzz $(FUZZ_REPLAY)

e2e: $(KUBEMEND) $(FAKE_LLM)
	@KUBEMEND=$(abspath $(KUBEMEND)) FAKE_LLM=$(abspath $(FAKE_LLM)) E2E_SAN=$(SAN) scripts/run-tests.sh e2e $(sort $(wildcard tests/e2e/*.sh))

lint:
	@scripts/lint.sh

# The whole suite: lint, unit tests, fuzz corpus replay, end-to-end tests.
test:
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory unit fuzz-replay e2e

# The same suite while two CPU-burning processes keep both cores busy: the
# suite must pass on a loaded machine (BUSY_CPUS=N for another count).
test-busy:
	@scripts/test-busy.sh $(MAKE) --no-print-directory test

# The same suite under ASan+UBSan with leak checks, in its own build tree.
check:
	@$(MAKE) --no-print-directory BUILD=build-san BIN=build-san/bin SAN=1 \
	    CFLAGS="-O1 -g" unit fuzz-replay e2e

bench-collect: all
	bench/collect_vs_kubectl.sh

# DEMO_ARGS: extra flags for `kubemend demo`, e.g. DEMO_ARGS="--seconds 5".
demo: all
	$(KUBEMEND) demo $(DEMO_ARGS)

# The sim's scale check: 100,000 pods on 1,000 nodes in 1 GiB (about a minute).
bench-sim: all
	bench/sim_scale.sh

# libFuzzer builds (clang): make fuzz FUZZ=fuzz_yaml RUNS=100000
FUZZ ?= $(basename $(notdir $(firstword $(FUZZ_SRC))))
RUNS ?= 10000
fuzz:
	@MAKE="$(MAKE)" scripts/fuzz-smoke.sh build $(FUZZ)
	build-fuzz/$(FUZZ) -runs=$(RUNS) build-fuzz/corpus-$(FUZZ) fuzz/corpus/$(FUZZ:fuzz_%=%)
	@echo "new inputs are in build-fuzz/corpus-$(FUZZ); copy the interesting ones to fuzz/corpus/$(FUZZ:fuzz_%=%)"

# Every fuzz target under libFuzzer with ASan+UBSan for FUZZ_SECONDS each
# (part of .ci/run); a crash fails it and leaves its input in build-fuzz/artifacts/.
FUZZ_SECONDS ?= 20
fuzz-smoke:
	@MAKE="$(MAKE)" scripts/fuzz-smoke.sh $(FUZZ_SECONDS) $(basename $(notdir $(FUZZ_SRC)))

# The default model: trained on the sim's healthy workloads and calibrated on
# labelled sim runs (scripts/make-model.sh; a few minutes on one core).
model: $(KUBEMEND)
	@mkdir -p models
	scripts/make-model.sh $(KUBEMEND) models/default.kmm $(BUILD)/model

# A full monitor cycle against the sim at 1k, 10k and 100k pods, against
# the floor (downloading the pod and metrics lists) and kubectl, same run.
bench-cycle: all
	bench/cycle.sh

# A collection cycle under 3 s of API latency against one request's time
# (bench/latency.sh).
bench-latency: all
	bench/latency.sh

# A page of pods parsed whole against skimmed (callgrind when valgrind is
# there), same run (bench/parse.sh).
bench-parse: all $(BUILD)/bench/parse_pods
	@BENCH=$(BUILD)/bench/parse_pods bench/parse.sh

# The remediation history's cost per change at 100,000 records: an append
# against a whole-file rewrite, same run (bench/history_bench.c).
bench-history: $(BUILD)/bench/history_bench
	@$(BUILD)/bench/history_bench

# The detection figures, in-sample beside cross-validated (docs/detect.md,
# docs/model.md): NAB leave one corpus out, SMD/ASD leave one machine out.
# A few minutes; not part of `make test`. DATA defaults to ../shared/data.
DATA ?= ../shared/data
eval-cv: $(KUBEMEND)
	$(KUBEMEND) eval nab --data $(DATA)/nab --cv
	$(KUBEMEND) eval multi --dataset smd --data $(DATA)/smd --cv
	$(KUBEMEND) eval multi --dataset asd --data $(DATA)/asd --cv

# Batched LSTM inference against numpy (bench/lstm.sh).
bench-lstm: $(BUILD)/bench/lstm_bench
	@test -f models/default.kmm || $(MAKE) --no-print-directory model
	@bench/lstm.sh $(BUILD)/bench/lstm_bench models/default.kmm

# The pod detector per cycle at 100,000 pods against a naive per-pod loop (bench/pod_bench.c).
bench-detect: $(BUILD)/bench/pod_bench
	@test -f models/default.kmm || $(MAKE) --no-print-directory model
	$(BUILD)/bench/pod_bench models/default.kmm 100000

$(BUILD)/bench/%: bench/%.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(LIBS)

clean:
	rm -rf build build-san build-fuzz bin

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)

endif # stage 2
