#!/usr/bin/env bash
# Makes sure nats-server is installed: from Debian when we are root,
# otherwise says how to install it. Rocketbus needs nats-server 2.9 or newer.
set -euo pipefail
bin="${NATS_SERVER:-nats-server}"
if command -v "$bin" >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "nats-server is missing; installing it from Debian (apt-get install -y nats-server)…"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q nats-server >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nats-server >/dev/null
  fi
  # Debian enables a system service; Rocketbus starts its own servers.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now nats-server >/dev/null 2>&1 || true; fi
  command -v nats-server >/dev/null && exit 0
fi
cat >&2 <<'MSG'
nats-server is not installed, and this user cannot install it.
Install it, then run the command again:
  Debian/Ubuntu:  sudo apt-get install -y nats-server
  other systems:  https://docs.nats.io/running-a-nats-service/introduction/installation
  or point NATS_SERVER at a nats-server binary (2.9 or newer).
MSG
exit 1
