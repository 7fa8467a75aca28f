#!/usr/bin/env bash
# Makes sure Chromium is installed for the browser test (driven by
# playwright-core, which never downloads a browser of its own): from Debian
# when we are root, otherwise says how to install it. CHROMIUM may point at
# another Chromium binary; the test reads the same variable.
set -euo pipefail
bin="${CHROMIUM:-/usr/bin/chromium}"
found() { [ -x "$bin" ] || command -v "$bin" >/dev/null 2>&1; }
if found; then
  exit 0
fi
if [ -z "${CHROMIUM:-}" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing; installing it from Debian (apt-get install -y chromium)…"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  fi
  found && exit 0
fi
cat >&2 <<MSG
Chromium is not at ${bin}, and this run cannot install it.
The browser test (test/dashboard/browser.test.ts) needs it. Install it, then run the command again:
  Debian:         sudo apt-get install -y chromium   (make test does this when run as root)
  Ubuntu:         sudo apt-get install -y chromium-browser
  other systems:  install Chromium, then point CHROMIUM at its binary: CHROMIUM=/path/to/chromium make test
MSG
exit 1
