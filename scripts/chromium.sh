#!/usr/bin/env bash
# Makes sure a headless-capable Chromium is installed for the web app's browser tests
# (web/test/browser): Debian's `chromium` package, installed with apt-get when missing.
# CHROMIUM_PATH set to an existing file skips the install.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then
  echo "using $CHROMIUM_PATH"
  exit 0
fi
if command -v chromium >/dev/null 2>&1; then
  echo "using $(command -v chromium) ($(chromium --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "installing Debian's chromium with apt-get"
$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null \
  || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null; }
echo "installed $(command -v chromium)"
