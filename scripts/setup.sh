#!/usr/bin/env bash
# Installs what building, running and testing Countersign needs on Debian 12:
# Debian packages, the UI's npm modules and the cargo tools. Idempotent: each step
# checks first and does nothing when its tools are already there.
#
# Usage: scripts/setup.sh [build|test|bench]
#   test also installs what the tests need; bench that and the peers benchmarks measure.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-build}

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

build_packages=(
  # sequoia-openpgp (nettle backend; bindgen needs libclang)
  nettle-dev pkg-config libclang-dev clang
  # Tauri 2 desktop shell
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev
  libxdo-dev libssl-dev build-essential file
  # the keyring's Secret Service store talks D-Bus
  libdbus-1-dev
)
test_packages=(
  # real gpg for interoperability tests, a real Secret Service for the keyring test
  gnupg gnome-keyring dbus-daemon dbus-x11 libsecret-tools
  # the desktop app under Xvfb, driven by WebDriver
  xvfb xauth imagemagick webkit2gtk-driver x11-apps
  # make crash: reading the CLI's JSON, and a wall clock set ahead for one command
  jq faketime
)
bench_packages=(
  # the plain-text accounting tools the finance benchmark measures against
  ledger hledger
)
packages=("${build_packages[@]}")
[ "$mode" = test ] || [ "$mode" = bench ] && packages+=("${test_packages[@]}")
[ "$mode" = bench ] && packages+=("${bench_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=900 \
    install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  [ -x "$HOME/.cargo/bin/cargo" ] || {
    echo "setup: installing Rust with rustup (https://rustup.rs)"
    command -v curl >/dev/null || "${sudo_cmd[@]}" apt-get install -y -qq curl
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt
  }
  echo "setup: Rust is in ~/.cargo/bin; add it to PATH (source ~/.cargo/env) and run again" >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is needed for the UI (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "       Debian 12 ships 18: install 20+ from https://nodejs.org or with nvm, then run again." >&2
  exit 1
fi

# The UI's modules, exactly as package-lock.json pins them. --ignore-scripts: no
# package may download a browser or binary of its own.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: installing the UI's npm modules"
  (cd ui && npm ci --ignore-scripts --no-audit --no-fund)
fi

if [ "$mode" != build ] && ! command -v tauri-driver >/dev/null; then
  echo "setup: installing tauri-driver (WebDriver for the desktop app)"
  cargo install tauri-driver --version '^2' --locked
fi
