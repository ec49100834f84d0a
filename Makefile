# Parley: the README's commands. `make demo` and `make test` install what they
# need (scripts/install-deps.sh: `make build` and `make demo` the build
# packages only; `make test` also the interop tests' peers, Chromium among
# them), build, and run.
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_TIME ?= 10
PREFIX ?= /usr/local

.PHONY: all deps test-deps interop-gnutls-compress build demo test test-unit test-asan tsan-build test-tsan stress-tsan bench-threads alloc-sweep fuzz fuzz-smoke bench bench-quick bench-keyless bench-proxy soak bogo install clean

all: build

deps:
	@bash scripts/install-deps.sh
test-deps:
	@bash scripts/install-deps.sh --test

# Build output goes to a log and is shown only when the build fails.
build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) >$(BUILD)/build.log 2>&1 || { cat $(BUILD)/build.log; exit 1; }
	@echo "built $(BUILD)/parley and $(BUILD)/libparley.{a,so}"

demo: build
	@bash scripts/demo.sh $(BUILD)/parley

# Everything: unit and interop tests, the same again under ASan+UBSan, a
# short run of every fuzz target, and the threaded stress under TSan.
# The GnuTLS compression interop runs last: it needs the network the first
# time, and a machine without it should still run everything else.
test: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory test-tsan
	@$(MAKE) --no-print-directory interop-gnutls-compress

# BoringSSL's BoGo suite, every test (about 5,180, most of them disabled by
# tests/bogo/config.json with a reason; a few minutes on 2 workers): the
# runner is built offline from shared/vendor, the results are written to
# $(BUILD)/bogo-results.json and counted by reason. `make test` runs the CI
# subset (ctest bogo_ci). One test: tests/bogo/run.sh $(BUILD) full "Name".
bogo: test-deps build
	@bash tests/bogo/run.sh $(BUILD) full

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit

test-asan: test-deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPARLEY_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS) >$(ASAN_BUILD)/build.log 2>&1 || { cat $(ASAN_BUILD)/build.log; exit 1; }
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

# Certificate compression with GnuTLS for real (part of `make test`): Debian's
# gnutls-cli is built without zlib, brotli and zstd, so with it
# interop_test_cert_compress_gnutls runs only the uncompressed handshakes and
# reports Skipped. This builds Debian's own GnuTLS source with the three
# libraries into $(BUILD)/gnutls (scripts/build-gnutls.sh: network and apt;
# about 3 minutes on 2 cores the first time, nothing after) and runs the
# test's 18 checks with it: the only peer besides Chromium (a client only)
# that speaks RFC 8879 here, so the one that checks the Parley client.
interop-gnutls-compress: test-deps build
	@bash scripts/build-gnutls.sh $(BUILD)/gnutls
	cd $(BUILD) && GNUTLS_BIN=$(abspath $(BUILD))/gnutls/bin ctest -R '^interop_test_cert_compress_gnutls$$' --output-on-failure

# ThreadSanitizer (clang): tests/stress/parley_stress, threads of handshakes
# over shared configs (tickets rotating, key file reloads, an asynchronous key
# provider with cancellations, the shm cache), then the same with a keyless
# server whose key server is killed and restarted (tests/stress/keyless_tsan.sh).
# Any report fails the run (halt_on_error, exit code 66). libcrypto, libuv and
# glibc are not instrumented: tests/stress/tsan.supp says what is suppressed
# and why. test-tsan is the short run (in `make test`); stress-tsan the long one.
STRESS_TIME ?= 60
STRESS_THREADS ?= 8
# TSan's shadow memory needs a predictable layout: kernels with
# vm.mmap_rnd_bits=32 abort clang-14's runtime ("unexpected memory mapping"),
# so the runs go through `setarch -R` (no address randomisation for them)
# wherever that is allowed.
TSAN_RUN := $(shell setarch $$(uname -m) -R true >/dev/null 2>&1 && echo setarch $$(uname -m) -R)
TSAN_ENV = TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 exitcode=66 suppressions=$(CURDIR)/tests/stress/tsan.supp" $(TSAN_RUN)
# The unit tests whose threads TSan must find race-free (they pass without it too).
TSAN_UNIT = key_op_threads_test keyless_threads_test config_threads_test cert_compress_threads_test verify_threads_test
tsan-build: deps
	@CC=clang cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_TSAN=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS) --target parley parley_stress $(TSAN_UNIT) >$(TSAN_BUILD)/build.log 2>&1 || { cat $(TSAN_BUILD)/build.log; exit 1; }
test-tsan: tsan-build
	@for t in $(TSAN_UNIT); do echo "tsan: $$t"; $(TSAN_ENV) $(TSAN_BUILD)/tests/$$t >$(TSAN_BUILD)/$$t.log 2>&1 || { cat $(TSAN_BUILD)/$$t.log; exit 1; }; done
	$(TSAN_ENV) $(TSAN_BUILD)/tests/parley_stress --threads 8 --seconds 20
	$(TSAN_ENV) bash tests/stress/keyless_tsan.sh $(TSAN_BUILD) 20 8
stress-tsan: tsan-build
	@for t in $(TSAN_UNIT); do echo "tsan: $$t"; $(TSAN_ENV) $(TSAN_BUILD)/tests/$$t >$(TSAN_BUILD)/$$t.log 2>&1 || { cat $(TSAN_BUILD)/$$t.log; exit 1; }; done
	$(TSAN_ENV) $(TSAN_BUILD)/tests/parley_stress --threads $(STRESS_THREADS) --seconds $(STRESS_TIME)
	$(TSAN_ENV) bash tests/stress/keyless_tsan.sh $(TSAN_BUILD) $(STRESS_TIME) $(STRESS_THREADS)

# In-memory TLS 1.3 handshakes per second with 1, 2 and 4 threads on one
# shared config (docs/performance.md); BENCH_TIME seconds per run.
bench-threads: build
	@$(BUILD)/tests/bench_threads $(BENCH_TIME) 4

# Every allocation failing in turn (tests/unit/alloc_failure_test.c) across
# more scenarios than ctest runs: session caches, stateful tickets, the
# verification cache, the keyless codec, config loading; under ASan+UBSan.
# ALLOC_SWEEP_CRYPTO=1 fails libcrypto's allocations too (about 100 times as
# many runs: sampled every ALLOC_SWEEP_STEP-th allocation, LeakSanitizer at exit).
ALLOC_SWEEP_CRYPTO ?= 0
ALLOC_SWEEP_STEP ?= $(if $(filter 1,$(ALLOC_SWEEP_CRYPTO)),7,1)
alloc-sweep: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPARLEY_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS) --target alloc_failure_test >$(ASAN_BUILD)/build.log 2>&1 || { cat $(ASAN_BUILD)/build.log; exit 1; }
	cd $(ASAN_BUILD) && PARLEY_ALLOC_SWEEP=long PARLEY_ALLOC_SWEEP_CRYPTO=$(ALLOC_SWEEP_CRYPTO) \
		PARLEY_ALLOC_STEP=$(ALLOC_SWEEP_STEP) PARLEY_ALLOC_LSAN_EVERY=$(if $(filter 1,$(ALLOC_SWEEP_CRYPTO)),0,1) \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ./tests/alloc_failure_test

$(FUZZ_BUILD)/fuzz-built: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPARLEY_FUZZ=ON -DPARLEY_TESTS=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) >$(FUZZ_BUILD)/build.log 2>&1 || { cat $(FUZZ_BUILD)/build.log; exit 1; }
	@touch $@

# Each target for FUZZ_TIME seconds (CI: 10 s). Longer: make fuzz FUZZ_TIME=600
fuzz-smoke fuzz: $(FUZZ_BUILD)/fuzz-built
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TIME)

# Parley, OpenSSL and GnuTLS in the same run, in memory (bench/results.json and a
# table with Parley / best peer per row; docs/performance.md explains the rows).
bench: build
	@bash bench/run.sh $(BUILD) 2 10000 bench/results.json
bench-quick: build
	@bash bench/run.sh $(BUILD) 0.3 1000 bench/results.json

# parley proxy, hitch and nginx in front of one nginx backend, loaded by wrk
# (installs wrk, hitch, nginx-light); BENCH_TIME seconds per run.
bench-proxy: build
	@bash bench/proxy_load.sh $(BUILD) $(BENCH_TIME) 64 2000

# Keyless handshakes per second next to local-key ones, in one run (BENCH_TIME s each).
BENCH_TIME ?= 5
bench-keyless: build
	@bash bench/keyless.sh $(BUILD) $(BENCH_TIME)

# The fleet scenarios at full size (issue #17, docs/reliability.md): 10,000
# connections in the crowd, longer and faster runs for the others; about 5
# minutes. `make test` runs the same scripts short (ctest -L load). The
# figures each scenario measured go to $(BUILD)/soak-figures.txt.
soak: test-deps build
	@rm -f $(CURDIR)/$(BUILD)/soak-figures.txt
	cd $(BUILD) && PARLEY_SOAK=1 PARLEY_FIGURES=$(CURDIR)/$(BUILD)/soak-figures.txt ctest --output-on-failure -L load
	@echo "figures:" && cat $(BUILD)/soak-figures.txt

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(TSAN_BUILD)
