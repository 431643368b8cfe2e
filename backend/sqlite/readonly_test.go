package sqlite_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"castscope/backend/errs"
	"castscope/backend/job"
	"castscope/backend/sqlite"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestOpenReadOnly: a read-only store reads what a writer committed (also
// while that writer is still open), refuses every write with
// ERR_READ_ONLY and leaves the database file as it was.
func TestOpenReadOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	if _, err := sqlite.OpenReadOnly(ctx, dir, sqlite.Options{}); !errs.HasCode(err, errs.InputNotFound) {
		t.Fatalf("no database yet: %v", err)
	}
	w := open(t, dir, sqlite.Options{})
	ep, _, err := w.RegisterEpisode(ctx, writeFile(t, filepath.Join(t.TempDir(), "Ro_S01_E01.mp4"), []byte("ro")))
	if err != nil {
		t.Fatal(err)
	}
	j := job.Job{ID: "run_ro", EpisodeKey: ep.Key, Mode: "run", CreatedAt: time.Now(),
		Stages: []job.Stage{{Name: "detect", Status: job.StatusPending, MaxAttempts: 5}}}
	if _, _, err := w.CreateJob(ctx, j, "sig"); err != nil {
		t.Fatal(err)
	}

	r, err := sqlite.OpenReadOnly(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.Episode(ctx, ep.Key); err != nil || got.VideoPath != ep.VideoPath {
		t.Fatalf("read while the writer is open: %+v %v", got, err)
	}
	if err := w.SetEpisodeState(ctx, ep.Key, "validated", true); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Episode(ctx, ep.Key); !got.States["validated"] {
		t.Error("the reader does not see the writer's later commit")
	}
	r.Close()
	w.Close()

	db := filepath.Join(dir, sqlite.DBName)
	before, _ := os.ReadFile(db)
	r, err = sqlite.OpenReadOnly(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if jobs, err := r.Jobs(ctx, ep.Key); err != nil || len(jobs) != 1 || jobs[0].ID != "run_ro" {
		t.Fatalf("jobs: %+v %v", jobs, err)
	}
	if err := r.SetEpisodeState(ctx, ep.Key, "detected", true); !errs.HasCode(err, errs.ReadOnly) {
		t.Errorf("write: %v", err)
	}
	if _, _, err := r.CreateJob(ctx, job.Job{ID: "run_x", EpisodeKey: ep.Key}, "x"); !errs.HasCode(err, errs.ReadOnly) {
		t.Errorf("create job: %v", err)
	}
	if _, _, err := r.RegisterEpisode(ctx, writeFile(t, filepath.Join(t.TempDir(), "Other_S01_E01.mp4"), []byte("o"))); !errs.HasCode(err, errs.ReadOnly) {
		t.Errorf("register: %v", err)
	}
	if err := r.ExportAll(ctx); !errs.HasCode(err, errs.ReadOnly) {
		t.Errorf("export: %v", err)
	}
	if err := r.Flush(ctx); err != nil {
		t.Errorf("flush: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	after, _ := os.ReadFile(db)
	if string(before) != string(after) {
		t.Error("the read-only store changed the database file")
	}

	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, sqlite.DBName), []byte("this is not a database, just text"), 0o644)
	if _, err := sqlite.OpenReadOnly(ctx, bad, sqlite.Options{}); !errs.HasCode(err, errs.DatabaseCorrupt) {
		t.Errorf("not a database: %v", err)
	}
}

// TestOpenReadOnlyOnReadOnlyFolder: on a folder nobody may write (a
// read-only mount when root, a 0555 folder otherwise) Open fails with
// ERR_READ_ONLY while OpenReadOnly reads, and creates nothing there.
func TestOpenReadOnlyOnReadOnlyFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	root := os.Geteuid() == 0
	if root {
		mountTmpfs(t, dir, "size=4m")
	}
	w, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ep, _, err := w.RegisterEpisode(ctx, writeFile(t, filepath.Join(t.TempDir(), "Mount_S01_E01.mp4"), []byte("m")))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if root {
		if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
			t.Fatalf("remount: %v %s", err, out)
		}
	} else {
		os.Chmod(dir, 0o555)
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
	}
	names := dirNames(t, dir)
	if _, err := sqlite.Open(ctx, dir, sqlite.Options{}); !errs.HasCode(err, errs.ReadOnly) {
		t.Fatalf("read-write open: %v", err)
	}
	r, err := sqlite.OpenReadOnly(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	eps, err := r.Episodes(ctx)
	if err != nil || len(eps) != 1 || eps[0].Key != ep.Key {
		t.Fatalf("episodes: %+v %v", eps, err)
	}
	if got := dirNames(t, dir); !slices.Equal(got, names) {
		t.Errorf("folder now holds %v, held %v", got, names)
	}
}
