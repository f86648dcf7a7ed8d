#!/bin/sh
# Runs a test inside its own D-Bus session bus with a real Secret Service (gnome-keyring-daemon)
# whose keyring lives in a temporary directory, so the test stores real secrets in a real keyring
# without touching the user's own. CTest runs the keychain tests through this script:
#
#   tests/with-secret-service.sh TEST_EXECUTABLE [ARGS...]
#
# Inside, the test sees KAPPA_SECRET_SERVICE=ready. If dbus-run-session is missing the test is still
# run, with KAPPA_SECRET_SERVICE_MISSING saying why, and skips its keychain cases (QSKIP). A missing
# gnome-keyring-daemon or one that does not come up is a failure, not a skip: it is a dependency
# (installer/debian-packages.txt).
set -eu

if [ "${1:-}" = "--inside" ]; then
  # Inside the private session bus (dbus-run-session started us).
  shift
  keyring_pid=""
  stop_keyring() {
    # Only the daemon this script started, by its pid.
    if [ -n "$keyring_pid" ] && kill -0 "$keyring_pid" 2>/dev/null; then
      kill "$keyring_pid" 2>/dev/null || true
      wait "$keyring_pid" 2>/dev/null || true
    fi
  }
  trap stop_keyring EXIT
  if ! command -v gnome-keyring-daemon >/dev/null 2>&1; then
    echo "with-secret-service.sh: gnome-keyring-daemon not found (Debian package gnome-keyring)" >&2
    exit 1
  fi
  if ! command -v dbus-send >/dev/null 2>&1; then
    echo "with-secret-service.sh: dbus-send not found (Debian package dbus-bin)" >&2
    exit 1
  fi
  # --foreground keeps it our child, so we know its pid and stop it ourselves. The keyring's
  # password comes on stdin; --unlock creates the login keyring (the default collection) on first use.
  printf 'kappa-test' | gnome-keyring-daemon --foreground --unlock --components=secrets >"$KAPPA_KEYRING_TMP/daemon.log" 2>&1 &
  keyring_pid=$!
  # Wait (at most 20 s) until it owns org.freedesktop.secrets on this bus. NameHasOwner does not
  # start anything by D-Bus activation.
  tries=0
  until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; do
    tries=$((tries + 1))
    if [ "$tries" -gt 200 ] || ! kill -0 "$keyring_pid" 2>/dev/null; then
      echo "with-secret-service.sh: gnome-keyring-daemon did not provide org.freedesktop.secrets within 20 s:" >&2
      cat "$KAPPA_KEYRING_TMP/daemon.log" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
  export KAPPA_SECRET_SERVICE=ready
  status=0
  "$@" || status=$?
  exit "$status"
fi

if [ $# -lt 1 ]; then
  echo "usage: $0 TEST_EXECUTABLE [ARGS...]" >&2
  exit 2
fi

if ! command -v dbus-run-session >/dev/null 2>&1; then
  echo "with-secret-service.sh: dbus-run-session not found (Debian package dbus-daemon): keychain cases skip" >&2
  KAPPA_SECRET_SERVICE_MISSING="dbus-run-session is not installed (Debian package dbus-daemon)" exec "$@"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kappa-keyring.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
mkdir -p "$tmp/home" "$tmp/data" "$tmp/config" "$tmp/cache" "$tmp/runtime"
chmod 700 "$tmp" "$tmp/runtime"
# The keyring files, gnome-keyring's control socket and anything the test writes stay in $tmp. The
# desktop variables are cleared so that QtKeychain picks the Secret Service (not KWallet) as on any
# non-KDE desktop.
status=0
env -u DESKTOP_SESSION -u XDG_CURRENT_DESKTOP -u KDE_FULL_SESSION -u KDE_SESSION_VERSION -u GNOME_KEYRING_CONTROL \
  -u DBUS_SESSION_BUS_ADDRESS \
  HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" \
  XDG_RUNTIME_DIR="$tmp/runtime" KAPPA_KEYRING_TMP="$tmp" \
  dbus-run-session -- sh "$0" --inside "$@" || status=$?
exit "$status"
