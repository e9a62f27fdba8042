#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/ (cargo-fuzz, libFuzzer), each for FUZZ_SECONDS, one
# after another, and prints per target the executions, the speed and any crash found.
#
# Usage: scripts/fuzz.sh [TARGET...]
#   default: bundle_reader opencollective_csv eboekhouden_json eboekhouden_ledger_card;
#   bundle_sync (a whole sync per input, about 5-20 executions a second) only when named.
#   FUZZ_SECONDS=600   time per target (one libFuzzer process: kind to 2 cores)
#   FUZZ_TOOLCHAIN=stable  use the fallback (the default compiler) even with a nightly
#
# Toolchain: the nightly compiler with AddressSanitizer when rustup has one; otherwise
# the stable compiler with RUSTC_BOOTSTRAP=1 and no sanitizer (a new nightly cannot be
# downloaded everywhere: only crates.io and Debian may be reachable). Panics, timeouts
# and running out of memory are caught either way. cargo-fuzz is installed from
# crates.io when missing (about 1 minute).
#
# New inputs go to fuzz/work/<target> (ignored); the committed seeds in
# fuzz/corpus/<target> are only read. Crashes land in fuzz/artifacts/<target>; replay one
# with `cargo fuzz run TARGET FILE` (with the same toolchain arguments as below).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-600}
all_targets=(bundle_reader opencollective_csv eboekhouden_json eboekhouden_ledger_card)
targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")

if ! command -v cargo-fuzz >/dev/null; then
  echo "fuzz: installing cargo-fuzz (crates.io)"
  cargo install cargo-fuzz --locked
fi

if [ "${FUZZ_TOOLCHAIN:-}" != stable ] && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=(+nightly)
  sanitizer=(--sanitizer address)
  echo "fuzz: nightly compiler, AddressSanitizer"
else
  toolchain=()
  sanitizer=(--sanitizer none)
  export RUSTC_BOOTSTRAP=1
  echo "fuzz: the default compiler with RUSTC_BOOTSTRAP=1, no sanitizer"
fi

# The fuzz crate has its own workspace and target dir (fuzz/target), whatever
# CARGO_TARGET_DIR says for the main one.
unset CARGO_TARGET_DIR
# anyhow (in sequoia) captures a backtrace for every error when RUST_BACKTRACE is set,
# which slows the bundle targets several times; panics still print theirs.
export RUST_LIB_BACKTRACE=0
cargo "${toolchain[@]}" fuzz build "${sanitizer[@]}"

mkdir -p fuzz/work
summary=()
status=0
for target in "${targets[@]}"; do
  work=fuzz/work/$target
  artifacts=fuzz/artifacts/$target
  mkdir -p "$work" "$artifacts"
  log=fuzz/work/$target.log
  before=$(find "$artifacts" -type f | wc -l)
  echo "fuzz: $target for ${seconds}s (log: $log)"
  # -timeout: an input slower than 10 s is a finding; -rss_limit_mb: so is more than 2 GB.
  set +e
  cargo "${toolchain[@]}" fuzz run "${sanitizer[@]}" "$target" "$work" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" >"$log" 2>&1
  code=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  found=$(($(find "$artifacts" -type f | wc -l) - before))
  corpus=$(find "$work" -type f | wc -l)
  line="$target: ${runs:-?} executions, ${speed:-?} exec/s, corpus $corpus, new crashes $found"
  if ((code != 0)) || ((found > 0)); then
    line+=" — FAILED (exit $code; see $log and $artifacts)"
    status=1
  fi
  echo "fuzz: $line"
  summary+=("$line")
done
echo
echo "fuzz summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
exit $status
