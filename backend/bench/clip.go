package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"castscope/backend/testmedia"
)

// clipPhotos are the photos of the repository's testdata/media the
// generated clip pans over: one, two, many (Solvay, 29 small faces) and no
// face.
var clipPhotos = []string{
	"obama_biden_two_faces.jpg", "solvay_conference_1927.jpg", "grace_hopper.jpg",
	"obama_portrait_2012.jpg", "astronaut_eileen_collins.png", "noface_cat_chelsea.png",
	"biden_blue_room_2010.jpg", "obama_address_2009.jpg",
}

// FindMedia returns the folder of photos for the generated clip:
// $CASTSCOPE_MEDIA, else the testdata/media of the Castscope checkout
// found by walking up from the working directory, then from the
// executable's folder, to the folder holding go.mod; "" when none.
func FindMedia() string {
	if d := os.Getenv(testmedia.Env); d != "" {
		return d
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, s := range starts {
		root := testmedia.RootAbove(s)
		if root == "" {
			continue
		}
		c := filepath.Join(root, "testdata", "media")
		if _, err := os.Stat(filepath.Join(c, clipPhotos[0])); err == nil {
			return c
		}
	}
	return ""
}

// clipArgs builds the ffmpeg arguments of a 1920×1080 25 fps H.264 clip of
// length secs that pans slowly over each photo in turn (each photo is
// scaled once, then looped as frames). No photos → ffmpeg's testsrc2.
func clipArgs(out string, secs float64, photos []string) []string {
	const fps = 25
	args := []string{"-v", "error", "-nostdin", "-y"}
	if len(photos) == 0 {
		args = append(args, "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=1920x1080:rate=%d", fps))
	} else {
		// Every photo gets an equal share of the frames (the last one the rest).
		total := max(1, int(secs*fps+0.5))
		per := max(1, total/len(photos))
		var fc strings.Builder
		n := 0
		for i, p := range photos {
			frames := per
			if i == len(photos)-1 {
				frames = total - per*(len(photos)-1)
			}
			if frames <= 0 {
				break
			}
			args = append(args, "-i", "file:"+p)
			fmt.Fprintf(&fc, "[%d:v]scale=2112:1188:force_original_aspect_ratio=decrease,pad=2112:1188:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p,"+
				"loop=loop=%d:size=1:start=0,setpts=N/%d/TB,crop=1920:1080:x='(iw-ow)*n/%d':y='(ih-oh)*n/%d'[v%d];",
				i, frames-1, fps, frames, frames, i)
			n++
		}
		for i := range n {
			fmt.Fprintf(&fc, "[v%d]", i)
		}
		fmt.Fprintf(&fc, "concat=n=%d:v=1:a=0[out]", n)
		args = append(args, "-filter_complex", fc.String(), "-map", "[out]")
	}
	return append(args, "-t", strconv.FormatFloat(secs, 'f', 3, 64), "-r", strconv.Itoa(fps),
		"-c:v", "libx264", "-preset", "ultrafast", "-crf", "23", "-g", "50", "-pix_fmt", "yuv420p",
		"-movflags", "+faststart", out)
}

// GenerateClip writes a 1080p H.264 clip of length d to out (see
// clipArgs) and says how it was made.
func GenerateClip(ctx context.Context, out string, d time.Duration, mediaDir, _ string) (string, error) {
	if mediaDir == "" {
		mediaDir = FindMedia()
	}
	var photos []string
	if mediaDir != "" {
		for _, p := range clipPhotos {
			if _, err := os.Stat(filepath.Join(mediaDir, p)); err == nil {
				photos = append(photos, filepath.Join(mediaDir, p))
			}
		}
	}
	how := fmt.Sprintf("ffmpeg lavfi testsrc2, %s, 1920x1080 25 fps, libx264 ultrafast", fmtDur(d.Seconds()))
	if len(photos) > 0 {
		how = fmt.Sprintf("pan over %d photos of %s, %s, 1920x1080 25 fps, libx264 ultrafast crf 23 gop 50", len(photos), mediaDir, fmtDur(d.Seconds()))
	}
	if err := ffmpeg(ctx, clipArgs(out, d.Seconds(), photos)); err != nil {
		return "", err
	}
	return how, nil
}

// LoopClip writes src repeated (stream copy, no re-encoding) up to length
// d to out.
func LoopClip(ctx context.Context, src, out string, d time.Duration) error {
	return ffmpeg(ctx, []string{"-v", "error", "-nostdin", "-y", "-stream_loop", "-1", "-i", "file:" + src,
		"-t", strconv.FormatFloat(d.Seconds(), 'f', 3, 64), "-map", "0:v:0", "-c", "copy", "-movflags", "+faststart", out})
}

func ffmpeg(ctx context.Context, args []string) error {
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	outb, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("bench: ffmpeg %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(outb)))
	}
	return nil
}
