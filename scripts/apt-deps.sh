#!/usr/bin/env bash
# Installs the Debian packages Castscope builds and tests with, once.
set -euo pipefail
pkgs=(build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev libopencv-dev ffmpeg
  xvfb xauth dbus-x11 at-spi2-core x11-utils xdotool imagemagick fonts-dejavu-core chromium locales
  ca-certificates git)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: Debian packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: apt-get install ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
if ! command -v node >/dev/null 2>&1; then
  echo "deps: Node.js not found; installing Debian's (Node >= 20 is needed for Vite 8)"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
fi
