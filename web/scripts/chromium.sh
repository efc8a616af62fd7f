#!/bin/sh
# chromium.sh: is there a Chromium for the browser tests (make e2e)?
# Prints its path and exits 0 when there is one. When there is none:
# as root with apt-get, installs Debian's chromium (apt-get update, then
# apt-get install -y chromium) and checks again; otherwise, or if that
# fails, exits 1 when CI is set (CI must run the browser tests) and 3
# otherwise, after saying loudly why (the caller skips the tests).
# Nothing here downloads a browser other than Debian's package.
#
# FANFARE_E2E_CHROMIUM names another executable; it is then the only one
# tried (nothing is installed for it).
set -u

found() {
  if [ -n "${FANFARE_E2E_CHROMIUM:-}" ]; then
    [ -x "$FANFARE_E2E_CHROMIUM" ] && { echo "$FANFARE_E2E_CHROMIUM"; return 0; }
    return 1
  fi
  # The binary itself: /usr/bin/chromium is a wrapper script that prints
  # a harmless warning on each start.
  for c in /usr/lib/chromium/chromium /usr/bin/chromium; do
    [ -x "$c" ] && { echo "$c"; return 0; }
  done
  return 1
}

found && exit 0

why="no Chromium at /usr/lib/chromium/chromium or /usr/bin/chromium"
if [ -n "${FANFARE_E2E_CHROMIUM:-}" ]; then
  why="FANFARE_E2E_CHROMIUM=$FANFARE_E2E_CHROMIUM is not an executable"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium.sh: $why; installing Debian's chromium (apt-get)" >&2
  if apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-liberation >&2; then
    found && exit 0
  fi
  why="$why, and apt-get install chromium did not provide one"
else
  why="$why (install it: apt-get install chromium, as root)"
fi

if [ -n "${CI:-}" ]; then
  echo "chromium.sh: $why: CI is set, so the browser tests cannot be skipped" >&2
  exit 1
fi
cat >&2 <<MSG
********************************************************************
*** BROWSER TESTS SKIPPED: $why.
*** make e2e needs Chromium; CI runs them (and fails without it).
********************************************************************
MSG
exit 3
