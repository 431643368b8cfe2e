#!/usr/bin/env bash
# Installs the ONNX Runtime CPU shared library from the onnxruntime-node npm
# package. `npm pack` downloads the tarball without running its install
# script (which would try to fetch CUDA parts).
set -euo pipefail
version=$1 dest=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "onnxruntime-node@$version" >/dev/null)
tar -xzf "$tmp"/onnxruntime-node-"$version".tgz -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
mkdir -p "$dest"
install -m 0644 "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$dest/libonnxruntime.so.1.tmp"
mv "$dest/libonnxruntime.so.1.tmp" "$dest/libonnxruntime.so.1"
echo "$version" > "$dest/VERSION"
echo "deps: installed $dest/libonnxruntime.so.1 ($(stat -c %s "$dest/libonnxruntime.so.1") bytes)"
