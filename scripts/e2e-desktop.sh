#!/usr/bin/env bash
# The desktop journeys: the real countersign-desktop binary under Xvfb, driven through
# WebDriver (tauri-driver + WebKitWebDriver) by ui/e2e/*.test.js, in file order, on
# two members' homes and a shared folder seeded with the countersign CLI.
# Screenshots go to artifacts/screenshots/.
#
# Usage: scripts/e2e-desktop.sh DESKTOP_BIN CLI_BIN
#        E2E_ONLY=1-onboarding runs one journey (the seeding is the same)
#        (or set DESKTOP_BIN and CLI_BIN in the environment)
# Needs: Xvfb, WebKitWebDriver (webkit2gtk-driver), tauri-driver, node
#        (scripts/setup.sh test installs them all).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

desktop=${1:-${DESKTOP_BIN:-}}
cli=${2:-${CLI_BIN:-}}
if [ -z "$desktop" ] || [ -z "$cli" ]; then
  echo "usage: $0 DESKTOP_BIN CLI_BIN   (e.g. target/debug/countersign-desktop target/debug/countersign)" >&2
  exit 2
fi
for bin in "$desktop" "$cli"; do
  [ -x "$bin" ] || { echo "e2e: $bin is not an executable; build it first (make build)" >&2; exit 2; }
done
desktop=$(realpath "$desktop")
cli=$(realpath "$cli")
for tool in Xvfb WebKitWebDriver tauri-driver node timeout; do
  command -v "$tool" >/dev/null || { echo "e2e: $tool is missing; run scripts/setup.sh test" >&2; exit 2; }
done

step() { echo "e2e: $*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/countersign-e2e.XXXXXX")
xvfb_pid=""
driver_pid=""

# Every process below the given one, deepest first, by id.
descendants() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null || true); do
    descendants "$child"
    echo "$child"
  done
}

# Waits up to $2 tenths of a second for process $1 to end.
wait_gone() {
  local i
  for ((i = 0; i < $2; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$driver_pid" ]; then
    local children
    children=$(descendants "$driver_pid")
    # SIGTERM, not SIGKILL: tauri-driver then stops WebKitWebDriver and the app.
    kill -TERM "$driver_pid" 2>/dev/null || true
    wait_gone "$driver_pid" 50 || kill -KILL "$driver_pid" 2>/dev/null || true
    for pid in $children; do
      kill -TERM "$pid" 2>/dev/null || true
      wait_gone "$pid" 30 || kill -KILL "$pid" 2>/dev/null || true
    done
  fi
  if [ -n "$xvfb_pid" ]; then
    kill -TERM "$xvfb_pid" 2>/dev/null || true
    wait_gone "$xvfb_pid" 30 || kill -KILL "$xvfb_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -d "$work" ]; then
    mkdir -p "$repo/artifacts/logs"
    cp "$work"/*.log "$repo/artifacts/logs/" 2>/dev/null || true
    echo "e2e: failed; logs in artifacts/logs/" >&2
    [ -f "$work/tauri-driver.log" ] && tail -n 30 "$work/tauri-driver.log" >&2
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A TCP port nobody listens on, from $1 upwards.
free_port() {
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
  done
  echo "$port"
}

# --- two members and a shared folder, seeded with the CLI ------------------------
# Erin and Frank are the board (a majority needs both); the app opens either home.
home="$work/erin"
frank="$work/frank"
shared="$work/shared"
mkdir -p "$shared"
member="Erin Example"
# name | kind | stage | tag
seed=(
  "Northwind Hosting|company|prospect|hosting"
  "Lindqvist Compute|company|in-discussion|ci"
  "Oak Valley University|academia|partner|research"
  "Municipality of Haarlem|public-administration|contacted|government"
  "Tern Hosting Collective|community|prospect|hosting"
)
search="hosting"
search_matches=$'Northwind Hosting\nTern Hosting Collective'

export COUNTERSIGN_PASSPHRASE="e2e passphrase, not a secret"
cs() { timeout 60 "$cli" --home "$home" "$@" >>"$work/cli.log" 2>&1; }
fs() { timeout 60 "$cli" --home "$frank" "$@" >>"$work/cli.log" 2>&1; }

step "seeding Erin's and Frank's homes and a workspace in $shared with $(basename "$cli")"
cs init --name "$member" --email erin@example.org
fs init --name "Frank Fielding" --email frank@example.org
timeout 60 "$cli" --home "$frank" key export >"$work/frank.asc" 2>>"$work/cli.log"
cs workspace create --name "E2E board" --folder "$shared" --member "$work/frank.asc" --role board
names=""
for entry in "${seed[@]}"; do
  IFS='|' read -r name kind stage tag <<<"$entry"
  cs partner add "$name" --kind "$kind" --stage "$stage" --tag "$tag"
  names+="$name"$'\n'
done
cs partner claim "Northwind Hosting" --days 30
cs sync
workspace=$(ls "$shared")
fs workspace join --folder "$shared" --workspace "$workspace"
fs sync
# Grace's key has a passphrase of its own, which the app is not given: her home opens
# locked and asks for it.
grace="$work/grace"
grace_passphrase="grace's own passphrase"
gs() { COUNTERSIGN_PASSPHRASE="$grace_passphrase" timeout 60 "$cli" --home "$grace" "$@" >>"$work/cli.log" 2>&1; }
gs init --name "Grace Locked" --email grace@example.org
gs partner add "Harbour Lights Trust" --kind community --stage partner

# --- a display and the WebDriver server ------------------------------------------
step "starting Xvfb"
# -displayfd: Xvfb picks a free display number and writes it to fd 3.
Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp 3>"$work/display" >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
for ((i = 0; i < 100; i++)); do
  [ -s "$work/display" ] && break
  kill -0 "$xvfb_pid" 2>/dev/null || { echo "e2e: Xvfb exited" >&2; cat "$work/xvfb.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/display" ] || { echo "e2e: Xvfb did not report a display within 10 s" >&2; exit 1; }
display=":$(tr -d '[:space:]' <"$work/display")"

port=$(free_port 4444)
native_port=$(free_port $((port + 1)))
step "starting tauri-driver on port $port (display $display)"
# The app inherits this environment through tauri-driver and WebKitWebDriver.
# XDG_DATA_HOME: even a fallback to the demo home stays inside this test's folder.
DISPLAY="$display" XDG_DATA_HOME="$work/data" COUNTERSIGN_HOME="$home" HOME="$work/user" \
  tauri-driver --port "$port" --native-port "$native_port" >"$work/tauri-driver.log" 2>&1 &
driver_pid=$!
for ((i = 0; i < 150; i++)); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$driver_pid" 2>/dev/null || { echo "e2e: tauri-driver exited" >&2; exit 1; }
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "e2e: tauri-driver did not listen within 15 s" >&2; exit 1; }

# --- the journeys ---------------------------------------------------------------
step "running ui/e2e against $desktop"
E2E_WEBDRIVER_URL="http://127.0.0.1:$port" \
  E2E_DESKTOP_BIN="$desktop" \
  E2E_CLI_BIN="$cli" \
  E2E_WORK="$work" \
  E2E_MEMBER="$member" \
  E2E_GRACE_PASSPHRASE="$grace_passphrase" \
  E2E_PARTNERS="$names" \
  E2E_SEARCH="$search" \
  E2E_SEARCH_MATCHES="$search_matches" \
  E2E_SCREENSHOTS="$repo/artifacts/screenshots" \
  timeout 1500 node --test --test-concurrency=1 --test-reporter=spec --test-timeout=600000 \
  "$repo"/ui/e2e/${E2E_ONLY:-*}.test.js
