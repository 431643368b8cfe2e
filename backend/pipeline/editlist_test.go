package pipeline_test

import (
	"context"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"castscope/backend/harvest"
	"castscope/backend/job"
	"castscope/backend/pipeline"
	"castscope/backend/testmedia"
)

// frameTimesMs returns the time, in ms, at which a player shows each frame
// of path (ffprobe decodes with the edit list applied).
func frameTimesMs(t *testing.T, path string) []int64 {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=best_effort_timestamp_time",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var ms []int64
	for _, l := range strings.Fields(string(out)) {
		v, err := strconv.ParseFloat(strings.Trim(l, ","), 64)
		if err != nil {
			t.Fatalf("ffprobe time %q: %v", l, err)
		}
		ms = append(ms, int64(math.Round(v*1000)))
	}
	return ms
}

// TestPrepareEditListTrim: a stream-copy trim of the synthetic clip (one
// open GOP with 3 B-frames, cut 3 s in, so its edit list hides the first
// 45 frames) goes through validate → extract → detect without error; the
// manifest holds the frames a player shows, at the player's times from 0,
// and the faces found on each sampled frame are those of the frame shown
// (PROVENANCE's counts, 45 frames on).
func TestPrepareEditListTrim(t *testing.T) {
	media, models := fixtures(t)
	dir := t.TempDir()
	long := filepath.Join(dir, "long_gop.mp4")
	ffmpeg(t, "-i", filepath.Join(media, "faces_synthetic.mp4"), "-c:v", "libx264", "-g", "300", "-sc_threshold", "0", "-bf", "3",
		"-x264-params", "open-gop=1", "-pix_fmt", "yuv420p", long)
	clip := filepath.Join(dir, "Trimmed S01E02.mp4")
	ffmpeg(t, "-ss", "3", "-i", long, "-c", "copy", clip)
	shown := frameTimesMs(t, clip)
	if len(shown) != 77 || shown[0] != 0 {
		t.Fatalf("ffprobe shows %d frames from %d ms, want 77 from 0 (122 less the 45 hidden)", len(shown), shown[0])
	}

	data := t.TempDir()
	e := openEngine(t, data, models, 0)
	defer e.close()
	j := e.run(t, clip, prepareDetect, pipeline.JobSettings{SampleFPS: 5, DetectPreset: "default"})
	for _, s := range j.Stages {
		if s.Status != job.StatusOK {
			t.Fatalf("stage %s ended %s: %+v", s.Name, s.Status, s.Error)
		}
	}
	hdir := harvest.Dir(data, j.EpisodeKey)
	manifest, err := harvest.ReadAll[harvest.ManifestRow](filepath.Join(hdir, "manifest.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(manifest) != len(shown) {
		t.Fatalf("manifest has %d frames, a player shows %d", len(manifest), len(shown))
	}
	for i, m := range manifest {
		if m.FrameIndex != int64(i) || m.PTSms != shown[i] {
			t.Errorf("manifest row %d: frame %d at %d ms, want frame %d at %d ms", i, m.FrameIndex, m.PTSms, i, shown[i])
		}
	}
	dets, err := harvest.ReadAll[harvest.DetectionRow](filepath.Join(hdir, "detections.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	perFrame := map[int64]int{}
	for _, d := range dets {
		perFrame[d.FrameIndex]++
		if d.PTSms != shown[d.FrameIndex] {
			t.Errorf("detection on frame %d at %d ms, shown at %d ms", d.FrameIndex, d.PTSms, shown[d.FrameIndex])
		}
	}
	sampled := 0
	for _, m := range manifest {
		if !m.Sampled {
			continue
		}
		sampled++
		n := perFrame[m.FrameIndex]
		// The source's frame (PROVENANCE counts from 1): 45 hidden frames on.
		switch f := m.FrameIndex + 45 + 1; {
		case f <= 38:
			t.Errorf("frame %d maps to source frame %d, before the cut", m.FrameIndex, f)
		case f <= 76 && n != 2:
			t.Errorf("frame %d (source %d): %d faces, want 2", m.FrameIndex, f, n)
		case f >= 77 && (n < 25 || n > 29):
			t.Errorf("frame %d (source %d): %d faces, want 25–29", m.FrameIndex, f, n)
		}
	}
	if sampled != 26 {
		t.Errorf("%d sampled frames, want 26 (77 frames at 15 fps sampled at 5)", sampled)
	}
}

// TestValidateRejectsStillImages: a headshot PNG and a JPEG given as an
// episode end validate in ERR_VIDEO_UNSUPPORTED saying it is a still
// image, and leave validated=false.
func TestValidateRejectsStillImages(t *testing.T) {
	_, models := fixtures(t)
	png := filepath.Join(testmedia.Root(), "testdata", "real", "headshots", "woman_w_1.50s.png")
	testmedia.Need(t, png)
	jpg := filepath.Join(t.TempDir(), "Show S01E03.jpg")
	ffmpeg(t, "-f", "lavfi", "-i", "testsrc2=size=640x360", "-frames:v", "1", jpg)
	e := openEngine(t, t.TempDir(), models, 0)
	defer e.close()
	for _, path := range []string{png, jpg} {
		j := e.run(t, path, []string{"validate"}, pipeline.JobSettings{})
		s, _ := j.Stage("validate")
		if s.Status != job.StatusError || s.Error == nil || s.Error.Code != "ERR_VIDEO_UNSUPPORTED" {
			t.Fatalf("%s: validate %s %+v, want error ERR_VIDEO_UNSUPPORTED", filepath.Base(path), s.Status, s.Error)
		}
		if want := filepath.Base(path) + " is a still image, not a video."; s.Error.Message != want {
			t.Errorf("message %q, want %q", s.Error.Message, want)
		}
		ep, err := e.store.Episode(context.Background(), j.EpisodeKey)
		if err != nil || ep.States["validated"] {
			t.Errorf("%s: registry validated=%v (%v)", filepath.Base(path), ep.States["validated"], err)
		}
	}
}
