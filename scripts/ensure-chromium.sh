#!/usr/bin/env bash
# Makes sure Debian's chromium is at /usr/bin/chromium for the browser tests (EventSource in a
# real browser, driven by playwright-core). Installs it with apt-get when it is missing; runs
# `apt-get update` only if the install fails without it. Never downloads a browser build itself.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "ensure-chromium: $CHROMIUM is missing and apt-get is not available; install Debian's chromium" >&2
  exit 1
fi
SUDO=()
[ "$(id -u)" -ne 0 ] && SUDO=(sudo -n)
install() { DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium; }
echo "ensure-chromium: installing Debian's chromium (one time)" >&2
if ! install >/dev/null; then
  "${SUDO[@]}" apt-get update -q >/dev/null
  install >/dev/null
fi
[ -x "$CHROMIUM" ] || { echo "ensure-chromium: $CHROMIUM still missing after apt-get install" >&2; exit 1; }
