package sqlite_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/job"
	"castscope/backend/sqlite"
)

func open(t testing.TB, dir string, opts sqlite.Options) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func writeFile(t testing.TB, p string, data []byte) string {
	t.Helper()
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readState(t *testing.T, dir, key string) episode.StateFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "episodes", key, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sf episode.StateFile
	if err := json.Unmarshal(b, &sf); err != nil {
		t.Fatal(err)
	}
	return sf
}

func TestRegisterEpisodeDedupes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir, sqlite.Options{})
	ctx := context.Background()
	big := bytes.Repeat([]byte("frame"), 1<<20) // 5 MiB: first/last MiB hashing
	a := writeFile(t, filepath.Join(dir, "in", "RHOBH_S05_E03_11062025.mp4"), big)

	ep, existing, err := s.RegisterEpisode(ctx, a)
	if err != nil || existing || ep.Key != "rhobh_s05_e03" || ep.VideoPath != a || ep.SizeBytes != int64(len(big)) || ep.Title != "RHOBH_S05_E03_11062025" {
		t.Fatalf("%+v %v %v", ep, existing, err)
	}
	cases := []struct {
		name     string
		path     func() string
		key      string
		existing bool
	}{
		{"same path", func() string { return a }, "rhobh_s05_e03", true},
		{"touched, same content", func() string {
			os.Chtimes(a, time.Now(), time.Now().Add(time.Hour))
			return a
		}, "rhobh_s05_e03", true},
		{"copy elsewhere", func() string { return writeFile(t, filepath.Join(dir, "copy", "other name.mkv"), big) }, "rhobh_s05_e03", true},
		{"different file, same key", func() string {
			return writeFile(t, filepath.Join(dir, "b", "RHOBH_S05_E03.mp4"), []byte("another episode"))
		}, "rhobh_s05_e03_2", false},
		{"third one", func() string {
			return writeFile(t, filepath.Join(dir, "c", "rhobh s05e03.mov"), []byte("a third"))
		}, "rhobh_s05_e03_3", false},
		{"unicode name", func() string { return writeFile(t, filepath.Join(dir, "u", "日本語.mp4"), []byte("jp")) }, "", false},
	}
	for _, c := range cases {
		ep, existing, err := s.RegisterEpisode(ctx, c.path())
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if existing != c.existing || (c.key != "" && ep.Key != c.key) {
			t.Errorf("%s: key %q existing %v", c.name, ep.Key, existing)
		}
		if err := episode.ValidateKey(ep.Key); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	s.Flush(ctx)
	eps, _ := s.Episodes(ctx)
	if len(eps) != 4 {
		t.Fatalf("%d episodes", len(eps))
	}
	sf := readState(t, dir, "rhobh_s05_e03")
	if sf.EpisodeKey != "rhobh_s05_e03" || sf.VideoPath != a || len(sf.States) != len(episode.States) || sf.Timestamps["validated"] != nil {
		t.Errorf("state.json %+v", sf)
	}
}

func TestRegisterEpisodeBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir, sqlite.Options{})
	ctx := context.Background()
	for _, p := range []string{filepath.Join(dir, "missing.mp4"), dir, ""} {
		if _, _, err := s.RegisterEpisode(ctx, p); !errs.HasCode(err, errs.InputNotFound) {
			t.Errorf("%q: %v", p, err)
		}
	}
	if _, err := s.Episode(ctx, "nope"); !errs.HasCode(err, errs.EpisodeNotRegistered) {
		t.Errorf("unknown: %v", err)
	}
	for _, k := range []string{"../../etc", "a/b", "a\x00b", strings.Repeat("a", 10000), "ÄÖ"} {
		if _, err := s.Episode(ctx, k); !errs.HasCode(err, errs.InvalidEpisodeKey) {
			t.Errorf("%q: %v", k, err)
		}
		if err := s.SetEpisodeState(ctx, k, "detected", true); !errs.HasCode(err, errs.InvalidEpisodeKey) {
			t.Errorf("%q: %v", k, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "etc")); err == nil {
		t.Error("something escaped the data folder")
	}
}

func TestEpisodeStatesAndExport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Date(2025, 11, 6, 22, 10, 2, 123456789, time.UTC)
	s := open(t, dir, sqlite.Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	ep, _, err := s.RegisterEpisode(ctx, writeFile(t, filepath.Join(dir, "v", "Show_S01_E01.mp4"), []byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetEpisodeState(ctx, ep.Key, "validated", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetEpisodeVideo(ctx, ep.Key, json.RawMessage(`{"fps":25}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "episodes", ep.Key, "state.json"))
	for _, want := range []string{`"validated": "2025-11-06T22:10:02.123Z"`, `"detected": null`, `"validated": true`, `"fps": 25`, `"episode_key": "show_s01_e01"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("state.json lacks %s:\n%s", want, raw)
		}
	}
	if err := s.SetEpisodeState(ctx, "missing", "validated", true); !errs.HasCode(err, errs.EpisodeNotRegistered) {
		t.Errorf("missing: %v", err)
	}
	// export-json rewrites deleted files
	os.RemoveAll(filepath.Join(dir, "episodes"))
	if err := s.ExportAll(ctx); err != nil {
		t.Fatal(err)
	}
	if sf := readState(t, dir, ep.Key); !sf.States["validated"] {
		t.Errorf("%+v", sf)
	}
}

func TestCorruptDatabaseIsLeftUntouched(t *testing.T) {
	t.Parallel()
	for name, content := range map[string][]byte{
		"garbage":      bytes.Repeat([]byte("not a database "), 300),
		"header only":  append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0xff}, 4000)...),
		"short header": []byte("SQLite"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p := writeFile(t, filepath.Join(dir, sqlite.DBName), content)
			_, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
			if !errs.HasCode(err, errs.DatabaseCorrupt) {
				t.Fatalf("%v", err)
			}
			if msg := errs.As(err).Message; !strings.Contains(msg, "damaged") || strings.Contains(msg, "sqlite") {
				t.Errorf("message %q", msg)
			}
			got, _ := os.ReadFile(p)
			if !bytes.Equal(got, content) {
				t.Error("the user's file was changed")
			}
		})
	}
}

// mountTmpfs mounts a tmpfs at dir (root only); it skips the test when
// that is not possible here.
func mountTmpfs(t *testing.T, dir, opts string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
}

func TestReadOnlyDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		mountTmpfs(t, dir, "ro,size=1m")
	} else {
		os.Chmod(dir, 0o555)
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
	}
	_, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if !errs.HasCode(err, errs.ReadOnly) {
		t.Fatalf("%v", err)
	}
}

func TestFullDiskTmpfs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mountTmpfs(t, dir, "size=512k")
	s, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	ep, _, err := s.RegisterEpisode(ctx, writeFile(t, filepath.Join(t.TempDir(), "Full_S01_E01.mp4"), []byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 4000)
	var werr error
	for i := 0; i < 10000 && werr == nil; i++ {
		werr = s.AppendLog(ctx, logLine(ep.Key, line))
	}
	if !errs.HasCode(werr, errs.DiskFull) {
		t.Fatalf("after filling the disk: %v", werr)
	}
	if got, err := s.Episode(ctx, ep.Key); err != nil || got.Key != ep.Key {
		t.Fatalf("lost the episode: %v", err)
	}
}

func TestFullDatabaseIsTyped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir, sqlite.Options{MaxPageCount: 40})
	ctx := context.Background()
	ep, _, err := s.RegisterEpisode(ctx, writeFile(t, filepath.Join(dir, "v", "Full_S01_E02.mp4"), []byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for i := 0; i < 5000 && werr == nil; i++ {
		werr = s.AppendLog(ctx, logLine(ep.Key, strings.Repeat("y", 2000)))
	}
	if !errs.HasCode(werr, errs.DiskFull) {
		t.Fatalf("%v", werr)
	}
	if err := s.SetEpisodeState(ctx, ep.Key, "validated", true); err != nil && !errs.HasCode(err, errs.DiskFull) {
		t.Fatalf("untyped: %v", err)
	}
	if _, err := s.Episode(ctx, ep.Key); err != nil {
		t.Fatalf("lost the episode: %v", err)
	}
}

func TestExportWriteFailureHeals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var mu sync.Mutex
	full := false
	s := open(t, dir, sqlite.Options{WriteFile: func(p string, b []byte) error {
		mu.Lock()
		defer mu.Unlock()
		if full {
			return &os.PathError{Op: "write", Path: p, Err: syscall.ENOSPC}
		}
		return os.WriteFile(p, b, 0o644)
	}})
	ctx := context.Background()
	ep, _, err := s.RegisterEpisode(ctx, writeFile(t, filepath.Join(dir, "v", "Heal_S01_E01.mp4"), []byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	full = true
	mu.Unlock()
	if err := s.SetEpisodeState(ctx, ep.Key, "validated", true); err != nil {
		t.Fatalf("the commit must stand: %v", err)
	}
	if err := s.Flush(ctx); !errs.HasCode(err, errs.DiskFull) || !errs.HasCode(s.ExportErr(), errs.DiskFull) {
		t.Fatalf("export error %v", err)
	}
	if err := s.ExportAll(ctx); !errs.HasCode(err, errs.DiskFull) {
		t.Fatalf("ExportAll: %v", err)
	}
	if sf := readState(t, dir, ep.Key); sf.States["validated"] {
		t.Fatal("the failed export was written")
	}
	got, _ := s.Episode(ctx, ep.Key)
	if !got.States["validated"] {
		t.Fatal("the committed state was lost")
	}
	mu.Lock()
	full = false
	mu.Unlock()
	if err := s.SetEpisodeState(ctx, ep.Key, "extracted_frames", false); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil || s.ExportErr() != nil {
		t.Fatalf("not healed: %v", err)
	}
	if sf := readState(t, dir, ep.Key); !sf.States["validated"] {
		t.Fatal("the owed export was not written")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "episodes", ep.Key))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temp file left: %s", e.Name())
		}
	}
}

// An export owed when the process died is written by the next Open.
func TestOwedExportsWrittenOnOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fail := true
	s, err := sqlite.Open(context.Background(), dir, sqlite.Options{WriteFile: func(p string, b []byte) error {
		if fail {
			return errors.New("injected")
		}
		return os.WriteFile(p, b, 0o644)
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ep, _, err := s.RegisterEpisode(ctx, writeFile(t, filepath.Join(dir, "v", "Owed_S01_E01.mp4"), []byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); !errs.HasCode(err, errs.ArtifactWriteFailed) {
		t.Fatalf("close: %v", err)
	}
	s2 := open(t, dir, sqlite.Options{})
	_ = s2
	if sf := readState(t, dir, ep.Key); sf.EpisodeKey != ep.Key {
		t.Fatalf("%+v", sf)
	}
}

func TestMigrationsAreVersioned(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir, sqlite.Options{})
	s.Close()
	s2 := open(t, dir, sqlite.Options{})
	var n, v int
	s2.DB().QueryRow(`SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &v)
	files, _ := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if len(files) < 3 || n != len(files) || v != len(files) {
		t.Fatalf("%d migrations applied once each, version %d; %d migration files", n, v, len(files))
	}
	var mode string
	s2.DB().QueryRow(`PRAGMA journal_mode`).Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal mode %s", mode)
	}
}

func TestJobStoreCompareAndSet(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir, sqlite.Options{})
	ctx := context.Background()
	j := job.Job{ID: "run_x_1", EpisodeKey: "x", Mode: "run", CreatedAt: time.Now(), Stages: []job.Stage{{Name: "a", Status: job.StatusPending}}}
	got, existing, err := s.CreateJob(ctx, j, "sig")
	if err != nil || existing || got.ID != "run_x_1" {
		t.Fatal(got, existing, err)
	}
	again, existing, _ := s.CreateJob(ctx, job.Job{ID: "run_x_2", EpisodeKey: "x", Mode: "run", CreatedAt: time.Now()}, "sig")
	if !existing || again.ID != "run_x_1" {
		t.Fatalf("not deduplicated: %+v", again)
	}
	st := got.Stages[0]
	st.Status, st.Owner = job.StatusRunning, "me"
	if err := s.UpdateStage(ctx, j.ID, st, job.StatusPending, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateStage(ctx, j.ID, st, job.StatusPending, ""); !errors.Is(err, job.ErrConflict) {
		t.Errorf("second claim: %v", err)
	}
	done := st
	done.Status = job.StatusOK
	if err := s.UpdateStage(ctx, j.ID, done, job.StatusRunning, "someone else"); !errors.Is(err, job.ErrConflict) {
		t.Errorf("wrong owner: %v", err)
	}
	if _, err := s.Heartbeat(ctx, j.ID, "a", "someone else", job.Progress{}, time.Now()); !errors.Is(err, job.ErrConflict) {
		t.Errorf("heartbeat wrong owner: %v", err)
	}
	back := done
	back.Status = job.StatusRunning
	if err := s.UpdateStage(ctx, j.ID, done, job.StatusRunning, "me"); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateStage(ctx, j.ID, back, job.StatusOK, ""); !errs.HasCode(err, errs.IllegalTransition) {
		t.Errorf("ok → running: %v", err)
	}
	if _, err := s.Job(ctx, "nope"); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("unknown job: %v", err)
	}
	if _, _, err := s.CreateJob(ctx, job.Job{ID: "../evil"}, "s2"); err == nil {
		t.Error("unsafe job id accepted")
	}
	_ = fmt.Sprint
}
