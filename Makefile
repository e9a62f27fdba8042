# Countersign: `make run` starts the desktop app, `make test` runs every test.
# Both install what is missing first (scripts/setup.sh), so a fresh Debian 12
# machine needs nothing else. Every cargo call builds the whole workspace with the
# same features, so switching between targets never rebuilds the GUI crates.

SHELL := bash
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
BIN := $(TARGET_DIR)/debug

.PHONY: all setup setup-test ui build run test test-rust test-keyring test-ui test-desktop bench fmt bindings package clean

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
# the same run (gpg; ledger and hledger). BENCH_BUNDLES=1000 and BENCH_ROWS=100000
# for a quick run.
bench:
	@scripts/setup.sh bench
	cargo bench -p countersign-core --bench sync
	cargo bench -p countersign-core --bench finance

fmt:
	cargo fmt --all

# Regenerate the UI's TypeScript types from the Rust types after changing them.
bindings:
	UPDATE_BINDINGS=1 cargo test --workspace bindings

clean:
	cargo clean
	rm -rf ui/dist artifacts
