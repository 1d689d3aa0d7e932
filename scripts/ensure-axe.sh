#!/usr/bin/env bash
# axe-core (the accessibility rules the browser tests run on every page), pinned, from the npm
# registry into .tools/axe/. Prints the path of axe.min.js.
set -euo pipefail
AXE_VERSION=4.14.1
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="$ROOT/.tools/axe"
JS="$PREFIX/node_modules/axe-core/axe.min.js"
installed() {
  [ -f "$JS" ] && [ "$(node -p "require('$PREFIX/node_modules/axe-core/package.json').version" 2>/dev/null)" = "$AXE_VERSION" ]
}
if ! installed; then
  if ! command -v npm >/dev/null; then
    echo "installing Node.js and npm from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq nodejs npm >&2
  fi
  echo "installing axe-core $AXE_VERSION into $PREFIX" >&2
  mkdir -p "$PREFIX"
  npm install --prefix "$PREFIX" "axe-core@$AXE_VERSION" --no-audit --no-fund --no-save --silent >&2
  installed || { echo "axe-core $AXE_VERSION did not install into $PREFIX" >&2; exit 1; }
fi
echo "$JS"
