#!/usr/bin/env bash
# The desktop start-up benchmark (scripts/bench-desktop.mjs) on a private D-Bus
# session with an unlocked gnome-keyring, as on a member's desktop: without a session
# bus, GTK's accessibility bridge and the keyring client each wait ~20 s for one.
#
# Usage: scripts/bench-desktop.sh DESKTOP_BIN
set -euo pipefail
bin=${1:?usage: scripts/bench-desktop.sh DESKTOP_BIN}
repo=$(cd "$(dirname "$0")/.." && pwd)
exec dbus-run-session -- sh -c '
  echo -n bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  node "$0/scripts/bench-desktop.mjs" "$1"
' "$repo" "$(realpath "$bin")" 2> >(grep -v "dbus-daemon\|SpiRegistry" >&2)
