#!/usr/bin/env bash
# Install the Debian packages the test suite drives (when missing; needs root or sudo), and
# Spectral from npm.
set -euo pipefail
packages=(docker-compose chromium)
# npm for Spectral (below); a Node.js from elsewhere (e.g. nodesource) brings its own npm.
command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Spectral, the OpenAPI linter the API schema test runs, in the checkout's .tools/ (no root).
SPECTRAL_VERSION=6.16.3
tools="$(cd "$(dirname "$0")/.." && pwd)/.tools"
if [ "$("$tools/node_modules/.bin/spectral" --version 2>/dev/null)" != "$SPECTRAL_VERSION" ]; then
  echo "Installing @stoplight/spectral-cli $SPECTRAL_VERSION into .tools/"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error \
    "@stoplight/spectral-cli@$SPECTRAL_VERSION" >/dev/null
fi
