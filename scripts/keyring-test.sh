#!/usr/bin/env bash
# Runs the keyring round trip against a real Secret Service: a private D-Bus session
# with gnome-keyring's secrets component, unlocked with a throwaway password. Nothing
# touches the developer's own keyring.
#
# Usage: scripts/keyring-test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
export XDG_DATA_HOME XDG_RUNTIME_DIR
XDG_DATA_HOME=$(mktemp -d)          # gnome-keyring keeps its keyring files here
XDG_RUNTIME_DIR=$(mktemp -d)
chmod 700 "$XDG_RUNTIME_DIR"
trap 'rm -rf "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"' EXIT
exec timeout 300 dbus-run-session -- bash -c '
  set -euo pipefail
  echo -n countersign-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  cargo test --workspace --test e2e "$@" -- --ignored keyring
' keyring-test "$@"
