#!/usr/bin/env bash
# Installs everything car needs on a fresh Debian machine with Node 20, then builds it.
# Debian packages: the PocketSphinx speech engine, its English model and test recordings,
# and the headers the voice addon is compiled against.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(pocketsphinx pocketsphinx-en-us libpocketsphinx-dev pocketsphinx-testdata pkg-config)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm ci --no-fund --no-audit
npm run build
