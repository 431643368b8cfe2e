package service

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"castscope/backend/errs"
	"castscope/backend/job"
)

// TestRetryAfterTheCauseIsFixed fails a real episode's stages for reasons
// the user can fix — a models folder that does not exist (detect), a video
// moved away (validate) — fixes each, and presses Retry as the window does
// (Backend.Retry, the App's RetryStage): the stage and those after it then
// end ok and the episode's flags are set.
func TestRetryAfterTheCauseIsFixed(t *testing.T) {
	media, models := realFixtures(t)
	t.Setenv("CASTSCOPE_MODELS", models)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	b, err := Open(ctx, Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	// The Settings panel names a models folder that is not there.
	v := b.SettingsView(ctx)
	v.ModelsDir = filepath.Join(t.TempDir(), "no-models-here")
	if err := b.SaveSettingsView(v); err != nil {
		t.Fatal(err)
	}
	clip := copyFile(t, filepath.Join(media, "faces_synthetic.mp4"), filepath.Join(t.TempDir(), "Retry_S01E01.mp4"))
	views, err := b.AddVideos(ctx, []string{clip})
	if err != nil || len(views) != 1 || views[0].LatestJob == nil {
		t.Fatalf("add: %+v %v", views, err)
	}
	key := views[0].Episode.Key

	wait := func(id string) job.Job {
		t.Helper()
		j, err := b.WaitJob(ctx, id)
		if err != nil {
			t.Fatalf("wait %s: %v", id, err)
		}
		return j
	}
	stage := func(j job.Job, name string) job.Stage {
		t.Helper()
		for _, s := range j.Stages {
			if s.Name == name {
				return s
			}
		}
		t.Fatalf("job %s has no stage %s: %+v", j.ID, name, j.Stages)
		return job.Stage{}
	}
	states := func() map[string]bool {
		t.Helper()
		ep, err := b.Episode(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return ep.States
	}
	allOK := func(j job.Job, from string) {
		t.Helper()
		seen := false
		for _, s := range j.Stages {
			seen = seen || s.Name == from
			// A retry runs its stages again (Rerun): none is skipped.
			if seen && s.Status != job.StatusOK {
				t.Errorf("retry job %s: stage %s %s (%+v), want ok", j.ID, s.Name, s.Status, s.Error)
			}
		}
		if !seen {
			t.Errorf("retry job %s does not run %s: %+v", j.ID, from, j.Stages)
		}
		for _, f := range []string{"validated", "extracted_frames", "detected", "tracked", "clustered", "analyzed"} {
			if !states()[f] {
				t.Errorf("after the retry the episode's %s flag is not set: %v", f, states())
			}
		}
	}

	first := wait(views[0].LatestJob.JobID)
	det := stage(first, "detect")
	if det.Status != job.StatusError || det.Error == nil || det.Error.Code != string(errs.ModelMissing) {
		t.Fatalf("detect with a missing models folder: %s %+v, want error %s", det.Status, det.Error, errs.ModelMissing)
	}
	if s := stage(first, "validate"); s.Status != job.StatusOK {
		t.Errorf("validate: %s", s.Status)
	}
	if st := states(); !st["validated"] || !st["extracted_frames"] || st["detected"] || st["analyzed"] {
		t.Errorf("flags after detect failed: %v", st)
	}

	// Fix: point the panel back at the models in use before.
	v = b.SettingsView(ctx)
	v.ModelsDir = models
	if err := b.SaveSettingsView(v); err != nil {
		t.Fatal(err)
	}
	id, err := b.Retry(ctx, first.ID, "detect")
	if err != nil || id == "" || id == first.ID {
		t.Fatalf("retry detect: job %q %v", id, err)
	}
	retried := wait(id)
	allOK(retried, "detect")
	if len(retried.Stages) != 4 {
		t.Errorf("retry of detect runs %d stages, want detect, track, cluster, analytics", len(retried.Stages))
	}

	// The video moves away: validate fails with ERR_INPUT_NOT_FOUND.
	moved := clip + ".away"
	if err := os.Rename(clip, moved); err != nil {
		t.Fatal(err)
	}
	id, err = b.Retry(ctx, retried.ID, "validate")
	if err != nil {
		t.Fatalf("retry validate: %v", err)
	}
	gone := wait(id)
	if s := stage(gone, "validate"); s.Status != job.StatusError || s.Error == nil || s.Error.Code != string(errs.InputNotFound) {
		t.Fatalf("validate without its video: %s %+v, want error %s", s.Status, s.Error, errs.InputNotFound)
	}
	// Fix: the video comes back.
	if err := os.Rename(moved, clip); err != nil {
		t.Fatal(err)
	}
	id, err = b.Retry(ctx, gone.ID, "validate")
	if err != nil {
		t.Fatalf("retry validate: %v", err)
	}
	back := wait(id)
	allOK(back, "validate")
	if len(back.Stages) != 6 {
		t.Errorf("retry of validate runs %d stages, want all 6", len(back.Stages))
	}
}
