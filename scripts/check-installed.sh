#!/usr/bin/env bash
# Checks an installed Castscope package the way a user meets it, from a
# folder outside the checkout, with no CASTSCOPE_* variable and a fresh
# home folder:
#   1. `castscope doctor`: ONNX Runtime found in /usr/lib/castscope, both
#      models built in and sha256-checked;
#   2. `castscope run` on the test clip gives the same screen time
#      (screentime.csv) as the development build ($1) on the same clip;
#   3. the app started as the .desktop entry starts it (its Exec line, %F =
#      a video), under Xvfb: a window that is not blank, the episode
#      registered in the default data folder; a second launch with another
#      video hands it to that window and exits, leaving one window;
#   4. after `apt-get remove castscope` the data folder is still there.
# Usage: scripts/check-installed.sh DEV_BINARY ORT_LIB CLIP
set -euo pipefail
dev_bin=$(readlink -f "$1") dev_ort=$(readlink -f "$2") clip=$(readlink -f "$3")
art=$(readlink -f "$(dirname "$0")/..")/.cache/test-artifacts
mkdir -p "$art"
say() { echo "installed: $*"; }
die() { echo "installed: FAIL: $*" >&2; exit 1; }

work=$(mktemp -d /tmp/castscope-installed.XXXXXX)
xvfb_pid='' app_pid=''
cleanup() {
  set +e
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
# A user's environment: their own home, none of the developer's variables.
user_env=(env -i "HOME=$work/home" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  "LANG=${LANG:-C.UTF-8}" "LC_ALL=${LC_ALL:-C.UTF-8}" "XDG_RUNTIME_DIR=$work/run")
mkdir -p "$work/home" "$work/run" && chmod 700 "$work/run"

[ "$(command -v castscope)" = /usr/bin/castscope ] || die "castscope is not /usr/bin/castscope: $(command -v castscope)"
[ -f /usr/share/applications/castscope.desktop ] || die "no /usr/share/applications/castscope.desktop"
[ -f /usr/share/icons/hicolor/256x256/apps/castscope.png ] || die "no hicolor icon"
grep -q 'Categories=AudioVideo;Video;' /usr/share/applications/castscope.desktop || die "desktop entry lacks the categories"
grep -q '^MimeType=.*video/mp4;' /usr/share/applications/castscope.desktop || die "desktop entry lacks video/mp4"

# 1. doctor
"${user_env[@]}" castscope doctor > doctor.txt 2>&1 || { cat doctor.txt; die "castscope doctor failed"; }
cat doctor.txt
grep -q '^ONNX Runtime  1\.30\.0 (/usr/lib/castscope/libonnxruntime\.so\.1)' doctor.txt || die "doctor did not load /usr/lib/castscope/libonnxruntime.so.1"
for m in retinaface arcface; do
  grep -Eq "^  ok  $m +[^ ]+ sha256 ok, built in$" doctor.txt || die "doctor: model $m is not ok and built in"
done

# 2. run, against the development build
cp "$clip" "$work/Installed_Check_S01_E01.mp4"
"${user_env[@]}" castscope run "$work/Installed_Check_S01_E01.mp4" --data "$work/installed-data" > run.txt 2>&1 || { cat run.txt; die "castscope run failed"; }
CASTSCOPE_ORT_LIB=$dev_ort "$dev_bin" run "$work/Installed_Check_S01_E01.mp4" --data "$work/dev-data" > dev-run.txt 2>&1 || { cat dev-run.txt; die "development build run failed"; }
installed_csv=$work/installed-data/data/harvest/installed_check_s01_e01/screentime.csv
dev_csv=$work/dev-data/data/harvest/installed_check_s01_e01/screentime.csv
cmp -s "$installed_csv" "$dev_csv" || { diff "$dev_csv" "$installed_csv" || true; die "installed and development builds disagree on screen time"; }
say "castscope run: same screen time as the development build ($(($(wc -l < "$installed_csv") - 1)) rows)"
sed -n '/^screen time of/,/^report:/p' run.txt

# 3. the desktop entry, under Xvfb
exec_line=$(sed -n 's/^Exec=//p' /usr/share/applications/castscope.desktop)
[ "$exec_line" = "castscope %F" ] || die "unexpected Exec line: $exec_line"
disp=''
for n in $(seq 120 199); do
  if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then disp=$n; break; fi
done
[ -n "$disp" ] || die "no free X display"
Xvfb ":$disp" -screen 0 1280x800x24 -nolisten tcp > xvfb.log 2>&1 &
xvfb_pid=$!
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$disp" ] && break; sleep 0.1; done
cp "$clip" "$work/Desktop Entry_S02_E01.mp4"
# Another video (the same bytes would be the same episode): the clip's first 4 s.
ffmpeg -loglevel error -i "$clip" -t 4 -c copy "$work/Second Launch_S02_E02.mp4"
launch() { # the Exec line with %F replaced by the file
  "${user_env[@]}" "DISPLAY=:$disp" ${exec_line%% *} "$@"
}
start=$(date +%s%N)
launch "$work/Desktop Entry_S02_E01.mp4" > app.log 2>&1 &
app_pid=$!
data=$work/home/.local/share/castscope
state=$data/episodes/desktop_entry_s02_e01/state.json
for _ in $(seq 600); do
  kill -0 "$app_pid" 2>/dev/null || { cat app.log; die "the app exited"; }
  if DISPLAY=:$disp xdotool search --onlyvisible --name '^Castscope$' >/dev/null 2>&1 && [ -f "$state" ]; then break; fi
  sleep 0.1
done
[ -f "$state" ] || { cat app.log; die "the episode was not registered in $data"; }
say "window up and episode registered $(( ($(date +%s%N) - start) / 1000000 )) ms after the launch (first start, fresh home)"
sleep 4 # let the workspace draw the episode
DISPLAY=:$disp import -window root "$art/installed-window.png"
colours=$(convert "$art/installed-window.png" -format '%k' info:)
[ "$colours" -ge 200 ] || die "the window looks blank: $colours colours ($art/installed-window.png)"
say "screenshot $art/installed-window.png: $colours colours"

launch "$work/Second Launch_S02_E02.mp4" > second.log 2>&1 || { cat second.log; die "the second launch failed"; }
grep -q 'opened 1 file(s) in the running Castscope window' second.log || { cat second.log; die "the second launch did not hand its file over"; }
for _ in $(seq 100); do [ -f "$data/episodes/second_launch_s02_e02/state.json" ] && break; sleep 0.1; done
[ -f "$data/episodes/second_launch_s02_e02/state.json" ] || { cat app.log; die "the handed-over file was not added"; }
windows=$(DISPLAY=:$disp xdotool search --onlyvisible --name '^Castscope$' | wc -l)
[ "$windows" -eq 1 ] || die "$windows Castscope windows after a second launch, want 1"
kill -0 "$app_pid" || die "the first window died"
say "second launch handed its file to the running window (one window)"
kill "$app_pid"; wait "$app_pid" 2>/dev/null || true; app_pid=''

# 4. remove
DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq castscope > /dev/null
[ ! -e /usr/bin/castscope ] || die "/usr/bin/castscope is still there after apt-get remove"
[ ! -e /usr/lib/castscope/libonnxruntime.so.1 ] || die "the runtime library is still there after apt-get remove"
[ -f "$data/castscope.db" ] && [ -f "$state" ] || die "apt-get remove touched the user's data folder"
say "removed; the data folder $data is kept"
say "passed"
