package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"castscope/backend/errs"
	"castscope/backend/identity"
	"castscope/backend/sqlite"
	"castscope/backend/track"
)

// TestCurationLog: operations are kept in order across a reopen, undo
// steps back one operation at a time without deleting history, and
// curation.json follows the log.
func TestCurationLog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	s := open(t, dir, sqlite.Options{})
	ep, _, err := s.RegisterEpisode(ctx, writeFile(t, filepath.Join(dir, "in", "Show_S01E02.mp4"), []byte("video")))
	if err != nil {
		t.Fatal(err)
	}
	if logged, _ := s.CurationLogged(ctx, ep.Key); logged {
		t.Fatal("a new episode has a curation log")
	}
	var l identity.Log
	a := identity.Identity{ID: 1, TrackIDs: []int64{1, 2}}
	b := identity.Identity{ID: 2, TrackIDs: []int64{3}}
	c := identity.Identity{ID: 3, TrackIDs: []int64{4}}
	for _, step := range [][]identity.Op{{l.Rename(a, "Ana")}, {l.Merge(a, b), l.Merge(a, c)}, {l.Lock(a)}} {
		got, err := s.AppendCuration(ctx, ep.Key, step...)
		if err != nil || len(got) != len(step) || got[0].Seq == 0 || got[0].At.IsZero() {
			t.Fatalf("append %s: %+v, %v", step[0].Kind, got, err)
		}
		if len(step) > 1 && (got[0].Group != got[0].Seq || got[1].Group != got[0].Seq) {
			t.Errorf("one action's operations are not one group: %+v", got)
		}
	}
	if _, err := s.AppendCuration(ctx, ep.Key, l.Rename(a, "Bo"), identity.Op{Kind: "explode"}); errs.CodeOf(err) != errs.Usage {
		t.Errorf("invalid op: %v", err)
	}
	if _, err := s.AppendCuration(ctx, "no_such_s01_e01", l.Ops[0]); errs.CodeOf(err) != errs.EpisodeNotRegistered {
		t.Errorf("unknown episode: %v", err)
	}
	if ok, err := s.ImportCuration(ctx, ep.Key, l.Ops[:1]); ok || err != nil {
		t.Errorf("import into a kept log: %v %v", ok, err)
	}
	kinds := func(ops []identity.Op) []identity.OpKind {
		var out []identity.OpKind
		for _, o := range ops {
			out = append(out, o.Kind)
		}
		return out
	}
	s.Close()
	s = open(t, dir, sqlite.Options{})
	ops, err := s.Curation(ctx, ep.Key)
	if err != nil || !slices.Equal(kinds(ops), []identity.OpKind{identity.OpRename, identity.OpMerge, identity.OpMerge, identity.OpLock}) {
		t.Fatalf("after reopen: %v, %v", kinds(ops), err)
	}
	if ops[0].Name != "Ana" || ops[1].Other == nil || !slices.Equal(ops[1].Other.Tracks, []int64{3}) {
		t.Errorf("ops lost content: %+v", ops)
	}
	exported := func() []identity.Op {
		t.Helper()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(dir, "data", "harvest", ep.Key, "curation.json"))
		if err != nil {
			t.Fatal(err)
		}
		var out []identity.Op
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}

	undo := func(want ...identity.OpKind) {
		t.Helper()
		undone, err := s.UndoCuration(ctx, ep.Key)
		if err != nil || !slices.Equal(kinds(undone), want) {
			t.Fatalf("undo: %v %v, want %v", kinds(undone), err, want)
		}
	}
	undo(identity.OpLock)
	ops, _ = s.Curation(ctx, ep.Key)
	if !slices.Equal(kinds(ops), []identity.OpKind{identity.OpRename, identity.OpMerge, identity.OpMerge}) {
		t.Errorf("after undo: %v", kinds(ops))
	}
	if got := kinds(exported()); !slices.Equal(got, []identity.OpKind{identity.OpRename, identity.OpMerge, identity.OpMerge}) {
		t.Errorf("curation.json after undo: %v", got)
	}
	undo(identity.OpMerge, identity.OpMerge) // one action, one step
	undo(identity.OpRename)
	undo()
	if logged, _ := s.CurationLogged(ctx, ep.Key); !logged {
		t.Error("an undone log no longer counts as kept (an old curation.json would be imported again)")
	}
	if got := exported(); len(got) != 0 {
		t.Errorf("curation.json after undoing everything: %v", kinds(got))
	}
	var rows int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM curation_ops WHERE episode_key=?`, ep.Key).Scan(&rows); err != nil || rows != 4 {
		t.Errorf("history: %d rows, %v; want the 4 operations kept", rows, err)
	}

	// An import is all or nothing, and each imported operation is a step;
	// importing nothing writes nothing.
	other, _, err := s.RegisterEpisode(ctx, writeFile(t, filepath.Join(dir, "in", "Show_S01E03.mp4"), []byte("video 3")))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ImportCuration(ctx, other.Key, nil); ok || err != nil {
		t.Errorf("import of nothing: %v %v", ok, err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "harvest", other.Key, "curation.json")); err == nil {
		t.Error("importing nothing exported a curation.json")
	}
	if _, err := s.ImportCuration(ctx, other.Key, []identity.Op{l.Ops[0], {Kind: "explode"}}); errs.CodeOf(err) != errs.Usage {
		t.Errorf("import with an invalid op: %v", err)
	}
	if logged, _ := s.CurationLogged(ctx, other.Key); logged {
		t.Error("a failed import left operations behind")
	}
	if ok, err := s.ImportCuration(ctx, other.Key, l.Ops[:3]); !ok || err != nil {
		t.Fatalf("import: %v %v", ok, err)
	}
	if undone, err := s.UndoCuration(ctx, other.Key); err != nil || len(undone) != 1 {
		t.Errorf("undo after an import took %d operations, %v", len(undone), err)
	}
}

func TestHeadshotStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, t.TempDir(), sqlite.Options{})
	vec := []float32{0.6, -0.8, 0}
	h, err := s.AddHeadshot(ctx, identity.Headshot{Show: "rhobh", Name: " Kyle ", File: "/shots/kyle.jpg", SHA256: "aa", Embedding: vec})
	if err != nil || h.ID == 0 || h.Name != "Kyle" {
		t.Fatalf("add: %+v %v", h, err)
	}
	if _, err := s.AddHeadshot(ctx, identity.Headshot{Show: "rhobh", Name: "Kyle again", File: "/other/kyle.jpg", SHA256: "aa", Embedding: vec}); errs.CodeOf(err) != errs.Usage {
		t.Errorf("same photo twice: %v", err)
	}
	if _, err := s.AddHeadshot(ctx, identity.Headshot{Show: "other", Name: "Kyle", File: "/shots/kyle.jpg", SHA256: "aa", Embedding: vec}); err != nil {
		t.Errorf("same photo in another show: %v", err)
	}
	if _, err := s.AddHeadshot(ctx, identity.Headshot{Show: "rhobh", Name: "", File: "x.jpg", SHA256: "bb", Embedding: vec}); errs.CodeOf(err) != errs.Usage {
		t.Errorf("no name: %v", err)
	}
	got, err := s.Headshots(ctx, "rhobh")
	if err != nil || len(got) != 1 || !slices.Equal(got[0].Embedding, vec) || got[0].AddedAt.IsZero() {
		t.Fatalf("list: %+v %v", got, err)
	}
	if err := s.RenameHeadshot(ctx, h.ID, "Kyle Richards"); err != nil {
		t.Fatal(err)
	}
	if err := s.RenameHeadshot(ctx, h.ID, "  "); errs.CodeOf(err) != errs.Usage {
		t.Errorf("empty name: %v", err)
	}
	if got, _ := s.Headshots(ctx, "rhobh"); got[0].Name != "Kyle Richards" {
		t.Errorf("rename: %+v", got)
	}
	if err := s.RemoveHeadshot(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveHeadshot(ctx, h.ID); errs.CodeOf(err) != errs.Usage {
		t.Errorf("remove twice: %v", err)
	}
	if got, _ := s.Headshots(ctx, "rhobh"); len(got) != 0 {
		t.Errorf("after remove: %+v", got)
	}
}

// TestCurationAnchors: an operation's anchors (a few detections of each
// track it names) are kept as they were made, in the store and in
// curation.json, and an operation stored before anchors existed still
// loads, without them.
func TestCurationAnchors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	s := open(t, dir, sqlite.Options{})
	defer func() { s.Close() }()
	ep, _, err := s.RegisterEpisode(ctx, writeFile(t, filepath.Join(dir, "in", "Show_S01E04.mp4"), []byte("video 4")))
	if err != nil {
		t.Fatal(err)
	}
	// A row as an older version wrote it.
	s.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.DBName))
	if err != nil {
		t.Fatal(err)
	}
	old := `{"kind":"rename","target":{"person":"p1","tracks":[4]},"name":"Old"}`
	_, err = db.ExecContext(ctx, `INSERT INTO curation_ops (episode_key, at, kind, op) VALUES (?, '2026-01-01T00:00:00.000Z', 'rename', ?)`, ep.Key, old)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s = open(t, dir, sqlite.Options{})
	tr := track.Track{ID: 7, PTSms: []int64{0, 200, 400}, Boxes: [][4]float32{{1, 2, 101, 122}, {3, 2, 103, 122}, {5, 2, 105, 122}}}
	l := identity.Log{Tracks: []track.Track{tr}}
	op := l.Rename(identity.Identity{TrackIDs: []int64{7}}, "Ana")
	if len(op.Anchors[7]) != 3 {
		t.Fatalf("anchors %+v", op.Anchors)
	}
	if _, err := s.AppendCuration(ctx, ep.Key, op); err != nil {
		t.Fatal(err)
	}
	check := func(where string, ops []identity.Op) {
		t.Helper()
		if len(ops) != 2 {
			t.Fatalf("%s: %d ops, want 2", where, len(ops))
		}
		if ops[0].Name != "Old" || ops[0].Anchors != nil || !slices.Equal(ops[0].Target.Tracks, []int64{4}) {
			t.Errorf("%s: the old op %+v", where, ops[0])
		}
		if !slices.Equal(ops[1].Anchors[7], op.Anchors[7]) || len(ops[1].Anchors) != 1 {
			t.Errorf("%s: anchors %+v, want %+v", where, ops[1].Anchors, op.Anchors)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "data", "harvest", ep.Key, "curation.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exported []identity.Op
	if err := json.Unmarshal(raw, &exported); err != nil {
		t.Fatal(err)
	}
	check("curation.json", exported)
	s.Close()
	s = open(t, dir, sqlite.Options{})
	ops, err := s.Curation(ctx, ep.Key)
	if err != nil {
		t.Fatal(err)
	}
	check("store after a reopen", ops)
}
