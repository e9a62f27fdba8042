# Countersign: `make run` starts the desktop app, `make test` runs every test.
# Both install what is missing first (scripts/setup.sh), so a fresh Debian 12
# machine needs nothing else. Every cargo call builds the whole workspace with the
# same features, so switching between targets never rebuilds the GUI crates.

SHELL := bash
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
BIN := $(TARGET_DIR)/debug

.PHONY: all setup setup-test ui build build-release run test test-rust test-keyring test-ui test-desktop bench crash fuzz fmt bindings package clean

all: build

setup:
	@scripts/setup.sh build

setup-test:
	@scripts/setup.sh test

# The desktop crate embeds ui/dist at compile time: build the UI first.
ui: setup
	cd ui && npm run build

build: ui
	cargo build --workspace --bins

# Opens the app on your home (COUNTERSIGN_HOME or the platform's data folder), or on
# a demo workspace, kept apart from real data, when you have none yet.
run: build
	$(BIN)/countersign-desktop

test: setup-test
	cd ui && npm run build
	cargo fmt --all -- --check
	cargo build --workspace --bins
	$(MAKE) --no-print-directory test-rust test-keyring test-ui test-desktop

test-rust:
	cargo test --workspace

# The keyring round trip against a real gnome-keyring on a private D-Bus session.
test-keyring:
	scripts/keyring-test.sh

test-ui:
	cd ui && npm run check && npm test

# WebDriver journeys against the real app under Xvfb; screenshots in artifacts/.
test-desktop:
	scripts/e2e-desktop.sh $(BIN)/countersign-desktop $(BIN)/countersign

# Benchmarks, outside `make test`: figures and ratios against the peers measured in
# the same run (gpg; ledger and hledger), and the desktop app's start-up time and
# memory. BENCH_BUNDLES=1000 and BENCH_ROWS=100000 for a quick run.
bench: build-release
	@scripts/setup.sh bench
	cargo bench -p countersign-core --bench sync
	cargo bench -p countersign-core --bench finance
	@echo "== the same reports on a database without encryption (what SQLCipher costs) =="
	BENCH_HLEDGER_MAX=0 cargo bench -p countersign-core --bench finance --features unencrypted-store
	scripts/bench-desktop.sh $(TARGET_DIR)/release/countersign-desktop

# Crash safety, outside `make test`: CRASH_RUNS runs, each killing `countersign sync` or
# `countersign finance import` with SIGKILL at a random moment, then checking that the
# re-run completes, `countersign verify` passes and the digest equals an uninterrupted
# run's (scripts/crash-test.sh explains). CRASH_SEED repeats a series.
CRASH_RUNS ?= 100
crash: setup-test build
	CRASH_RUNS=$(CRASH_RUNS) scripts/crash-test.sh $(BIN)/countersign

# Fuzzing, outside `make test`: every cargo-fuzz target in fuzz/ (the bundle reader,
# a whole sync of hostile bundles, the Open Collective and both e-boekhouden readers)
# for FUZZ_SECONDS each, one after another; prints executions and crashes per target
# (scripts/fuzz.sh: nightly with AddressSanitizer when rustup has it, else stable).
FUZZ_SECONDS ?= 600
fuzz: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_TARGETS)

# The optimised app, with the UI served by the custom protocol as in a package.
build-release: ui
	cargo build --release -p countersign-desktop --features custom-protocol

# A Debian package (.deb) built by the Tauri bundler (npm's @tauri-apps/cli, a
# prebuilt binary: no 26-minute cargo install) with the icons in icons/.
package: ui setup-test
	cd src-tauri && ../ui/node_modules/.bin/tauri build --bundles deb
	@ls -1 $(TARGET_DIR)/release/bundle/deb/*.deb

fmt:
	cargo fmt --all

# Regenerate the UI's TypeScript types from the Rust types after changing them.
bindings:
	UPDATE_BINDINGS=1 cargo test --workspace bindings

clean:
	cargo clean
	rm -rf ui/dist artifacts
