#!/usr/bin/env bash
# Debian's Chromium for the browser tests (never a downloaded browser build).
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Chromium from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq chromium fonts-dejavu-core >&2
fi
