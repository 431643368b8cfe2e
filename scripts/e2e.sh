#!/usr/bin/env bash
# End-to-end tests in real Chromium against the real backend.
#
# Builds the -tags dev binary, starts its own Xvfb and a fresh data folder,
# serves the frontend with working bindings on 127.0.0.1:<free port>, makes
# the test videos with ffmpeg, and runs frontend/e2e/*.e2e.mjs (node:test +
# playwright-core driving /usr/bin/chromium). Everything it starts is stopped
# on exit. Artifacts: .cache/test-artifacts/e2e.png, e2e-app.log.
#
# Needs: Go, Node 20, frontend/node_modules (make npm), the ONNX Runtime
# library (make ort), ffmpeg, Xvfb, chromium; the models are built in.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH=/usr/local/go/bin:$HOME/go/bin:$PATH
export LANG=${LANG:-en_US.UTF-8} LC_ALL=${LC_ALL:-en_US.UTF-8}

MEDIA=${CASTSCOPE_MEDIA:-$ROOT/testdata/media}
ORT_LIB=${CASTSCOPE_ORT_LIB:-$ROOT/third_party/onnxruntime/libonnxruntime.so.1}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
ARTIFACTS=$ROOT/.cache/test-artifacts
APP=$ROOT/.cache/app-dev

say() { echo "e2e: $*"; }
die() { echo "e2e: FAIL: $*" >&2; exit 1; }

for f in "$ORT_LIB" "$CHROMIUM" "$MEDIA/faces_synthetic.mp4" frontend/node_modules/playwright-core/package.json; do
  [ -e "$f" ] || die "missing $f (run make deps)"
done
for c in go node ffmpeg Xvfb; do command -v "$c" >/dev/null || die "missing command $c"; done

TMP=$(mktemp -d /tmp/castscope-e2e.XXXXXX)
APP_PID='' XVFB_PID='' TEMPORAL_PID='' WORKER_PID=''
cleanup() {
  local rc=$?
  set +e
  for p in "$WORKER_PID" "$TEMPORAL_PID"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  if [ -n "$APP_PID" ] && kill -0 "$APP_PID" 2>/dev/null; then
    kill "$APP_PID"
    for _ in $(seq 50); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$APP_PID" 2>/dev/null
  fi
  if [ -n "$XVFB_PID" ]; then kill "$XVFB_PID" 2>/dev/null; wait "$XVFB_PID" 2>/dev/null; fi
  [ -f "$TMP/app.log" ] && cp -f "$TMP/app.log" "$ARTIFACTS/e2e-app.log"
  [ -f "$TMP/worker.log" ] && cp -f "$TMP/worker.log" "$ARTIFACTS/e2e-temporal-worker.log"
  rm -rf "$TMP"
  if [ $rc -ne 0 ] && [ -f "$ARTIFACTS/e2e-temporal-worker.log" ]; then
    echo "e2e: the Temporal worker's last lines:" >&2; tail -n 15 "$ARTIFACTS/e2e-temporal-worker.log" >&2
  fi
  if [ $rc -eq 0 ]; then say "passed"; else echo "e2e: FAILED (rc=$rc; app log: $ARTIFACTS/e2e-app.log)" >&2; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$ARTIFACTS" "$ROOT/.cache"

# 1. build
say "frontend/dist (make frontend/dist/index.html)"
make -s frontend/dist/index.html
say "go build -tags dev,webkit2_41 -o .cache/app-dev ."
go build -tags dev,webkit2_41 -o "$APP" .

# 2. test media
say "test videos in $TMP/media"
mkdir -p "$TMP/media"
src=$MEDIA/faces_synthetic.mp4
ffmpeg -loglevel error -y -i "$src" -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p "$TMP/media/E2E_S01_E01.mp4"
: > "$TMP/media/Broken_S01_E02.mp4"
# the first runs detect through both measuring windows (41 s: looped four times); the other nine
# are 3 s with different offsets and titles, so every file has its own fingerprint
for i in $(seq -w 1 10); do
  if [ "$i" = 01 ]; then cut=(-stream_loop 4); else cut=(-ss "$((10#$i % 5))" -t 3); fi
  ffmpeg -loglevel error -y "${cut[@]}" -i "$src" -metadata title="load $i" \
    -c:v libx264 -preset ultrafast -crf 28 -pix_fmt yuv420p "$TMP/media/Load_S02_E$i.mp4"
done

# the episode the window sends to Temporal
ffmpeg -loglevel error -y -ss 2 -i "$src" -t 6 -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p "$TMP/media/Remote_S04_E01.mp4"

# an hour of small H.264 (5 fps, a keyframe every 2 s) for the viewer's seek measurement
ffmpeg -loglevel error -y -f lavfi -i testsrc2=size=320x180:rate=5:duration=3600 \
  -c:v libx264 -preset ultrafast -g 10 -pix_fmt yuv420p "$TMP/media/Hour_S03_E01.mp4"

# 3. display, data folder, app
DISP=''
for n in $(seq 90 199); do
  if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then DISP=$n; break; fi
done
[ -n "$DISP" ] || die "no free X display in :90..:199"
say "Xvfb :$DISP"
Xvfb ":$DISP" -screen 0 1280x800x24 -nolisten tcp >"$TMP/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$DISP" ] && break; kill -0 "$XVFB_PID" 2>/dev/null || die "Xvfb exited: $(cat "$TMP/xvfb.log")"; sleep 0.1; done
[ -e "/tmp/.X11-unix/X$DISP" ] || die "Xvfb :$DISP did not start"

PORT=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
URL=http://127.0.0.1:$PORT/
say "app-dev -devserver 127.0.0.1:$PORT (data $TMP/data)"
DISPLAY=":$DISP" CASTSCOPE_DATA="$TMP/data" CASTSCOPE_ORT_LIB="$ORT_LIB" \
  "$APP" -devserver "127.0.0.1:$PORT" >"$TMP/app.log" 2>&1 &
APP_PID=$!
up=''
for _ in $(seq 600); do
  kill -0 "$APP_PID" 2>/dev/null || { tail -n 30 "$TMP/app.log" >&2; die "app exited before serving"; }
  if node -e "fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" "$URL" 2>/dev/null; then up=1; break; fi
  sleep 0.2
done
[ -n "$up" ] || { tail -n 30 "$TMP/app.log" >&2; die "app did not serve $URL within 120 s"; }

# 3b. a Temporal dev server and one worker whose shared folder is the app's data folder
# (Settings → Run on: Temporal); without the Temporal CLI that test skips, unless
# CASTSCOPE_REQUIRE_TEMPORAL=1.
TEMPORAL_BIN=${CASTSCOPE_TEMPORAL_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/castscope-tools/temporal-v1.5.1/temporal}
E2E_TEMPORAL=''
if [ -x "$TEMPORAL_BIN" ]; then
  ports=($(node -e "const n=require('net');const a=[];let k=4;for(let i=0;i<4;i++){const s=n.createServer();s.listen(0,'127.0.0.1',()=>{a.push(s.address().port);if(--k===0){console.log(a.join(' '));process.exit(0)}})}"))
  say "temporal server start-dev on 127.0.0.1:${ports[0]}"
  "$TEMPORAL_BIN" server start-dev --headless --ip 127.0.0.1 --port "${ports[0]}" --http-port "${ports[1]}" \
    --metrics-port "${ports[2]}" --ui-port "${ports[3]}" --db-filename "$TMP/temporal.db" --log-level warn >"$TMP/temporal.log" 2>&1 &
  TEMPORAL_PID=$!
  for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/${ports[0]}") 2>/dev/null && break; sleep 0.2; done
  CASTSCOPE_ORT_LIB="$ORT_LIB" "$APP" worker --temporal "127.0.0.1:${ports[0]}" --artifacts "$TMP/data" --identity e2e-worker >"$TMP/worker.log" 2>&1 &
  WORKER_PID=$!
  for _ in $(seq 300); do grep -q "worker: serving" "$TMP/worker.log" && break; kill -0 "$WORKER_PID" 2>/dev/null || break; sleep 0.2; done
  grep -q "worker: serving" "$TMP/worker.log" || { cat "$TMP/worker.log" "$TMP/temporal.log" >&2; die "the Temporal worker did not start"; }
  E2E_TEMPORAL=127.0.0.1:${ports[0]}
elif [ "${CASTSCOPE_REQUIRE_TEMPORAL:-}" = 1 ]; then
  die "no Temporal CLI at $TEMPORAL_BIN (make temporal) and CASTSCOPE_REQUIRE_TEMPORAL=1"
fi

# 4. tests
say "node --test frontend/e2e/*.e2e.mjs against $URL"
E2E_TEMPORAL=$E2E_TEMPORAL E2E_URL=$URL E2E_MEDIA=$TMP/media E2E_TMP=$TMP E2E_ARTIFACTS=$ARTIFACTS E2E_CHROMIUM=$CHROMIUM \
  node --test --test-concurrency=1 --test-reporter=spec frontend/e2e/*.e2e.mjs
