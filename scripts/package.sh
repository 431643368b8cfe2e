#!/usr/bin/env bash
# Builds build/castscope_VERSION_amd64.deb with nfpm (build/package, pinned in
# its go.mod): the binary in /usr/bin, ONNX Runtime in /usr/lib/castscope,
# the .desktop entry, hicolor icons, and a copyright file with every licence
# (Go modules linked into the binary, the frontend's npm packages, ONNX
# Runtime, the models). The Debian dependencies are read off the binaries:
# each library they link directly (readelf NEEDED, resolved by ldd) is
# mapped to its package with dpkg -S, at the upstream version installed here.
#
# Usage: scripts/package.sh VERSION BINARY ORT_LIB OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
version=$1 bin=$2 ort=$3 out=$4
arch=$(dpkg --print-architecture)
stage=.cache/package
rm -rf "$stage"
mkdir -p "$stage/icons" "$out"

say() { echo "package: $*"; }

for f in "$bin" "$ort" build/appicon.png build/appicon.svg build/linux/castscope.desktop; do
  [ -f "$f" ] || { echo "package: missing $f" >&2; exit 1; }
done
command -v desktop-file-validate >/dev/null && desktop-file-validate build/linux/castscope.desktop

# --- dependencies, read off the binaries --------------------------------------
# Direct NEEDED entries only: what those libraries need in turn comes with
# their packages. Libraries shipped in the package itself are left out.
needed_pkgs() {
  local elf=$1
  local -A path_of=()
  while read -r name _ path _; do
    [ -n "${path:-}" ] && path_of[$name]=$path
  done < <(ldd "$elf" | awk '$2 == "=>" {print $1, $2, $3} $1 ~ /^\// {n = split($1, p, "/"); print p[n], "=>", $1}')
  readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | while read -r lib; do
    [ "$lib" = "$(basename "$ort")" ] && continue
    local p=${path_of[$lib]:-}
    if [ -z "$p" ]; then echo "package: $elf needs $lib, which ldd cannot find" >&2; exit 1; fi
    # dpkg -S knows the path as the package installed it (/lib vs /usr/lib).
    dpkg -S "$p" 2>/dev/null || dpkg -S "$(readlink -f "$p")" 2>/dev/null || dpkg -S "${p#/usr}" 2>/dev/null ||
      { echo "package: no Debian package holds $p ($lib)" >&2; exit 1; }
  done | cut -d: -f1 | sort -u
}
pkgs=$( { needed_pkgs "$bin"; needed_pkgs "$ort"; } | sort -u)
depends=()
for p in $pkgs; do
  v=$(dpkg-query -W -f='${Version}' "$p")
  v=${v#*:}          # epoch
  v=${v%-*}          # Debian revision
  depends+=("$p (>= $v)")
done
# Not linked, so not read off the binaries: the window's engine (WebKitGTK)
# plays the viewer's video through GStreamer, whose H.264 decoder and MP4
# demuxer are these plugin packages.
for p in gstreamer1.0-libav gstreamer1.0-plugins-good; do
  depends+=("$p")
done
say "depends: ${depends[*]}"

# --- icons ---------------------------------------------------------------------
for s in 16 24 32 48 64 128 256 512; do
  mkdir -p "$stage/icons/hicolor/${s}x${s}/apps"
  convert build/appicon.png -resize "${s}x${s}" -strip "PNG32:$stage/icons/hicolor/${s}x${s}/apps/castscope.png"
done
mkdir -p "$stage/icons/hicolor/scalable/apps"
cp build/appicon.svg "$stage/icons/hicolor/scalable/apps/castscope.svg"

# --- copyright -----------------------------------------------------------------
# The npm packages in the user interface are those its bundle is made of:
# build it once more with source maps (beside, not into, frontend/dist).
(cd frontend && npx vite build --logLevel error --sourcemap --outDir "../$stage/ui" --emptyOutDir)
copyright=$stage/copyright
{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: castscope"
  echo "Comment: Castscope $version. This file lists the licence of every part the"
  echo " package ships: the Go modules linked into /usr/bin/castscope, the npm"
  echo " packages bundled in its user interface, ONNX Runtime in /usr/lib/castscope,"
  echo " and the two face models built into the binary, with their training data."
  echo
  go run ./scripts/licences -bin "$bin" -ort build/licenses/onnxruntime/LICENSE \
    -ort-version "$(cat "$(dirname "$ort")/VERSION" 2>/dev/null || echo '?')" "$stage"/ui/assets/*.map
} > "$copyright"
say "copyright: $(grep -c '^Files:' "$copyright") stanzas, $(wc -c < "$copyright") bytes"

# --- nfpm ----------------------------------------------------------------------
root=$PWD
{
  cat <<EOF
name: castscope
arch: $arch
platform: linux
version: "$version"
section: video
priority: optional
maintainer: "Castscope <castscope@users.noreply.invalid>"
description: |
  Who is on screen in a TV episode, when, and for how long.
  Castscope registers an episode, finds and recognises faces with ONNX
  Runtime (GPU when there is one, else the CPU), tracks and clusters them into
  cast members and reports each person's screen time, with curation,
  exports for editing systems and a printable report.
depends:
EOF
  for d in "${depends[@]}"; do echo "  - \"$d\""; done
  cat <<EOF
recommends:
  - ffmpeg
  - xdg-utils
contents:
  - src: $root/$bin
    dst: /usr/bin/castscope
    file_info: {mode: 0755}
  - src: $root/$ort
    dst: /usr/lib/castscope/libonnxruntime.so.1
    file_info: {mode: 0644}
  - src: $root/build/linux/castscope.desktop
    dst: /usr/share/applications/castscope.desktop
    file_info: {mode: 0644}
  - src: $root/$stage/icons/hicolor
    dst: /usr/share/icons/hicolor
    type: tree
  - src: $root/$copyright
    dst: /usr/share/doc/castscope/copyright
    file_info: {mode: 0644}
  - src: $root/build/licenses/onnxruntime/ThirdPartyNotices.txt
    dst: /usr/share/doc/castscope/onnxruntime-ThirdPartyNotices.txt
    file_info: {mode: 0644}
  - src: $root/models/PROVENANCE.md
    dst: /usr/share/doc/castscope/models-PROVENANCE.md
    file_info: {mode: 0644}
EOF
} > "$stage/nfpm.yaml"

deb=$out/castscope_${version}_${arch}.deb
rm -f "$deb"
(cd build/package && go tool nfpm package --config "$root/$stage/nfpm.yaml" --packager deb --target "$root/$deb")
say "built $deb ($(du -h "$deb" | cut -f1))"
