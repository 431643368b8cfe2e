#!/usr/bin/env bash
# Installs the Debian packages Castscope builds and tests with, once.
#
# On a fresh desktop, automatic updates often hold apt's lock for minutes:
# every apt-get here waits for it (DPkg::Lock::Timeout, and a retry while
# another apt or dpkg still holds the lists or the dpkg lock) instead of
# failing with "Could not get lock".
set -euo pipefail
pkgs=(build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev libopencv-dev ffmpeg
  gstreamer1.0-libav gstreamer1.0-plugins-good
  xvfb xauth dbus-x11 at-spi2-core x11-utils xdotool imagemagick fonts-dejavu-core chromium locales
  ca-certificates git desktop-file-utils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1; then
  echo "deps: Node.js not found; installing Debian's (Node >= 20 is needed for Vite 8)"
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: Debian packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
wait_s=${APT_LOCK_WAIT_S:-1200}

# apt_get ARGS...: apt-get that waits up to $wait_s for apt's locks.
apt_get() {
  local deadline=$(( $(date +%s) + wait_s )) log rc
  log=$(mktemp)
  while :; do
    rc=0
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout="$wait_s" -o Acquire::Retries=3 "$@" >"$log" 2>&1 || rc=$?
    if [ $rc -eq 0 ]; then rm -f "$log"; return 0; fi
    if grep -q 'Could not get lock\|Unable to acquire the dpkg frontend lock\|Unable to lock directory' "$log" &&
      [ "$(date +%s)" -lt "$deadline" ]; then
      echo "deps: apt is busy (another package manager holds its lock); waiting..."
      sleep 5
      continue
    fi
    cat "$log" >&2
    rm -f "$log"
    return $rc
  done
}

echo "deps: apt-get install ${missing[*]}"
apt_get update -qq
apt_get install -y -qq "${missing[@]}"
