#!/usr/bin/env bash
# Builds the demo episode: the synthetic face clip of the media folder $1
# (the repository's testdata/media), re-encoded twice over (about 16 s) so
# the stages have work to show, written to $2. Without the clip it
# synthesizes a test pattern clip (no faces).
# Usage: make-sample.sh testdata/media OUT.mp4
set -euo pipefail
media=$1 out=$2
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.mp4"
if [ -f "$media/faces_synthetic.mp4" ]; then
  echo "demo: sample episode from $media/faces_synthetic.mp4"
  ffmpeg -loglevel error -y -stream_loop 1 -i "$media/faces_synthetic.mp4" -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p "$tmp"
else
  echo "demo: $media/faces_synthetic.mp4 not found; synthesizing a test pattern episode"
  ffmpeg -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=25:duration=10 -c:v libx264 -preset veryfast -pix_fmt yuv420p "$tmp"
fi
mv "$tmp" "$out"
