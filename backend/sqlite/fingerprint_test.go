package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"castscope/backend/job"
	"castscope/backend/sqlite"
)

// runOnce runs a one-stage pipeline on key the way the real stages are
// built: the stage's fingerprint is made of the episode's fingerprint and
// its outputs are always whole, so it is skipped exactly when the video's
// fingerprint did not move. It returns the stage's status.
func runOnce(t *testing.T, s *sqlite.Store, key string) job.Status {
	t.Helper()
	ctx := context.Background()
	def := job.StageDef{
		Name: "detect", Flag: "detected",
		Run: func(ctx context.Context, r job.Reporter) (any, error) { return map[string]int{"faces": 1}, nil },
		Fingerprint: func(ctx context.Context, j job.Job) (string, error) {
			ep, err := s.Episode(ctx, j.EpisodeKey)
			return "detect/1:" + ep.Fingerprint, err
		},
		Complete: func(ctx context.Context, j job.Job) bool { return true },
	}
	r := job.NewRunner(job.Config{Store: s}, def)
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	j, _, err := r.Submit(ctx, job.Request{EpisodeKey: key})
	if err != nil {
		t.Fatal(err)
	}
	j, err = r.Wait(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	return j.Stages[0].Status
}

// TestEveryByteCountsInTheFingerprint: a video edited in place (one byte
// in the middle, same size, its modification time put back) and a video
// replaced by another of the same size with the same first and last MiB
// both get a new fingerprint when added again, and the stages run again
// instead of being skipped on the old outputs.
func TestEveryByteCountsInTheFingerprint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	s := open(t, dir, sqlite.Options{})
	video := bytes.Repeat([]byte("0123456789abcdef"), 5<<16) // 5 MiB
	p := writeFile(t, filepath.Join(t.TempDir(), "Edit_S01_E01.mp4"), video)
	ep, existing, err := s.RegisterEpisode(ctx, p)
	if err != nil || existing {
		t.Fatalf("%v %v", existing, err)
	}
	if got := runOnce(t, s, ep.Key); got != job.StatusOK {
		t.Fatalf("first run: %s", got)
	}
	if got := runOnce(t, s, ep.Key); got != job.StatusSkipped {
		t.Fatalf("second run of an unchanged video: %s, want skipped", got)
	}
	if again, existing, err := s.RegisterEpisode(ctx, p); err != nil || !existing || again.Fingerprint != ep.Fingerprint {
		t.Fatalf("unchanged file added again: existing %v, fingerprint %s→%s, %v", existing, ep.Fingerprint, again.Fingerprint, err)
	}

	// One byte in the middle, in place; size and mtime as they were.
	st, _ := os.Stat(p)
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{'X'}, int64(len(video)/2)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(p, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	if st2, _ := os.Stat(p); st2.Size() != st.Size() || !st2.ModTime().Equal(st.ModTime()) {
		t.Fatal("setup: size or mtime moved")
	}
	edited, existing, err := s.RegisterEpisode(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if existing || edited.Key != ep.Key || edited.Fingerprint == ep.Fingerprint {
		t.Fatalf("edited in place: key %s existing %v fingerprint %s (was %s); want the same episode, changed, a new fingerprint",
			edited.Key, existing, edited.Fingerprint, ep.Fingerprint)
	}
	if edited.States["detected"] || edited.Video != nil {
		t.Errorf("the old content's flags or probe result survived: %v %s", edited.States, edited.Video)
	}
	if got := runOnce(t, s, ep.Key); got != job.StatusOK {
		t.Fatalf("run after the edit: %s, want ok (run again, not skipped)", got)
	}

	// Replaced by another file: same size, same first and last MiB, one
	// byte apart in the middle, same mtime (a new inode).
	other := bytes.Clone(video)
	other[len(other)/2+1000] ^= 0xff
	tmp := writeFile(t, filepath.Join(filepath.Dir(p), ".swap"), other)
	os.Chtimes(tmp, st.ModTime(), st.ModTime())
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	replaced, existing, err := s.RegisterEpisode(ctx, p)
	if err != nil || existing || replaced.Key != ep.Key || replaced.Fingerprint == edited.Fingerprint || replaced.Fingerprint == ep.Fingerprint {
		t.Fatalf("replaced: key %s existing %v fingerprint %s, %v", replaced.Key, existing, replaced.Fingerprint, err)
	}
	if got := runOnce(t, s, ep.Key); got != job.StatusOK {
		t.Fatalf("run after the swap: %s, want ok", got)
	}
	if eps, _ := s.Episodes(ctx); len(eps) != 1 {
		t.Errorf("%d episodes; the changed file must stay one episode", len(eps))
	}
}

// TestRefreshEpisodeSeesAnEdit: RefreshEpisode (the check at submit time)
// leaves an unchanged video alone and gives an edited one a new
// fingerprint.
func TestRefreshEpisodeSeesAnEdit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	s := open(t, dir, sqlite.Options{})
	video := bytes.Repeat([]byte{7}, 3<<20)
	p := writeFile(t, filepath.Join(t.TempDir(), "Refresh_S01_E01.mp4"), video)
	ep, _, err := s.RegisterEpisode(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if got, changed, err := s.RefreshEpisode(ctx, ep.Key); err != nil || changed || got.Fingerprint != ep.Fingerprint {
		t.Fatalf("unchanged: %v %v", changed, err)
	}
	// Touched only: hashed again, same content, not changed.
	later := time.Now().Add(time.Hour)
	os.Chtimes(p, later, later)
	if got, changed, err := s.RefreshEpisode(ctx, ep.Key); err != nil || changed || got.Fingerprint != ep.Fingerprint {
		t.Fatalf("touched: %v %v", changed, err)
	}
	st, _ := os.Stat(p)
	video[len(video)/2] = 8
	os.WriteFile(p, video, 0o644)
	os.Chtimes(p, st.ModTime(), st.ModTime())
	got, changed, err := s.RefreshEpisode(ctx, ep.Key)
	if err != nil || !changed || got.Fingerprint == ep.Fingerprint {
		t.Fatalf("edited: changed %v fingerprint %s, %v", changed, got.Fingerprint, err)
	}
	os.Remove(p)
	if _, _, err := s.RefreshEpisode(ctx, ep.Key); err == nil {
		t.Fatal("a missing video was not reported")
	}
}

// TestEpisodeOfAnEarlierVersionKeepsItsResults: an episode registered by a
// version that hashed only the first and last MiB keeps its fingerprint
// (so its stages stay skipped) when its unchanged file is added again,
// and from then on is known by the hash of every byte.
func TestEpisodeOfAnEarlierVersionKeepsItsResults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	s := open(t, dir, sqlite.Options{})
	video := bytes.Repeat([]byte("legacy"), 1<<20)
	p := writeFile(t, filepath.Join(t.TempDir(), "Old_S01_E01.mp4"), video)
	ep, _, err := s.RegisterEpisode(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := runOnce(t, s, ep.Key); got != job.StatusOK {
		t.Fatalf("first run: %s", got)
	}
	s.Close()
	// As an earlier version stored it.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.DBName))
	if err != nil {
		t.Fatal(err)
	}
	legacy := sqlite.LegacyHashForTest(t, p, int64(len(video)))
	if _, err := db.Exec(`UPDATE episodes SET fingerprint=?, content_hash='', file_stat='' WHERE key=?`, legacy, ep.Key); err != nil {
		t.Fatal(err)
	}
	// Its last run used the old fingerprint.
	if _, err := db.Exec(`UPDATE stages SET fingerprint='detect/1:'||? WHERE name='detect'`, legacy); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s = open(t, dir, sqlite.Options{})
	again, existing, err := s.RegisterEpisode(ctx, p)
	if err != nil || !existing || again.Key != ep.Key || again.Fingerprint != legacy {
		t.Fatalf("unchanged old episode: key %s existing %v fingerprint %s (want %s), %v", again.Key, existing, again.Fingerprint, legacy, err)
	}
	if got := runOnce(t, s, ep.Key); got != job.StatusSkipped {
		t.Fatalf("the old results were not kept: %s", got)
	}
	st, _ := os.Stat(p)
	video[len(video)/2] ^= 1
	os.WriteFile(p, video, 0o644)
	os.Chtimes(p, st.ModTime(), st.ModTime())
	edited, existing, err := s.RegisterEpisode(ctx, p)
	if err != nil || existing || edited.Key != ep.Key || edited.Fingerprint == legacy {
		t.Fatalf("edited old episode: key %s existing %v fingerprint %s, %v", edited.Key, existing, edited.Fingerprint, err)
	}
	if got := runOnce(t, s, ep.Key); got != job.StatusOK {
		t.Fatalf("run after the edit: %s", got)
	}
}
