#!/usr/bin/env bash
# Installs everything car needs on a fresh Debian machine with Node 20, then builds it.
# Debian packages: the PocketSphinx speech engine, its English model and test recordings,
# the headers and compiler the voice addon is built with (node-gyp needs g++, make, python3),
# Chromium, which the browser UI tests drive through playwright-core, and PulseAudio with its
# tools (pactl, parec, pacat): the daemon records microphones and speakers through them, and
# the capture tests start a private PulseAudio of their own.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(pocketsphinx pocketsphinx-en-us libpocketsphinx-dev pocketsphinx-testdata pkg-config g++ make python3 chromium pulseaudio pulseaudio-utils)
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

# npm install, not npm ci: the registry here lacks some of node-llama-cpp's optional
# platform packages (win-x64 and others 404), so the lock cannot list them and npm ci
# refuses it; npm install honours the lock for everything it does list.
npm install --no-save --no-fund --no-audit
npm run build
