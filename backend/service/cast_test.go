package service

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"castscope/backend/errs"
	"castscope/backend/identity"
	"castscope/backend/job"
	"castscope/backend/screentime"
	"castscope/backend/testmedia"
)

// realFixtures is testmedia.Fixtures: the test clip's folder and the
// models folder ("" for the built-in models).
func realFixtures(t *testing.T) (media, models string) {
	t.Helper()
	return testmedia.Fixtures(t)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func copyFile(t *testing.T, from, to string) string {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return to
}

// analysedClip opens a backend on a fresh data folder, adds the test clip
// as file name and waits until its Cast view is current: the start of the
// tests that need an analysed real episode. The backend closes with t.
func analysedClip(t *testing.T, name string) (*Backend, string, CastView) {
	t.Helper()
	media, models := realFixtures(t)
	t.Setenv("CASTSCOPE_MODELS", models)
	b, err := Open(context.Background(), Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	clip := copyFile(t, filepath.Join(media, "faces_synthetic.mp4"), filepath.Join(t.TempDir(), name))
	views, err := b.AddVideos(context.Background(), []string{clip})
	if err != nil || len(views) != 1 {
		t.Fatalf("add: %v", err)
	}
	key := views[0].Episode.Key
	return b, key, settle(t, b, key)
}

// settle waits for the episode's jobs, then asks the Cast view until it
// shows the latest curation (what the window does on each job's end).
func settle(t *testing.T, b *Backend, key string) CastView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	for {
		j, active, err := b.activeJob(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if active {
			if j, err = b.WaitJob(ctx, j.ID); err != nil {
				t.Fatalf("wait %s: %v", j.ID, err)
			}
			for _, st := range j.Stages {
				if st.Status == job.StatusError {
					t.Fatalf("job %s: stage %s failed: %+v", j.ID, st.Name, st.Error)
				}
			}
			continue
		}
		v, err := b.Cast(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Pending {
			return v
		}
		if !v.CatchUp || v.ReclusterJob != "" {
			t.Fatalf("a pending view with no job running does not ask to catch up: %+v", v)
		}
		if id, err := b.CatchUp(ctx, key); err != nil || id == "" {
			t.Fatalf("catch up: %q %v", id, err)
		}
	}
}

func personByLabel(v CastView, label string) (CastPerson, bool) {
	for _, p := range v.People {
		if strings.EqualFold(p.Label, label) {
			return p, true
		}
	}
	return CastPerson{}, false
}

// TestCurationSurvivesReclustering runs the real pipeline (real SQLite,
// runner, models, decoding) on the synthetic clip of testdata/media,
// then: rename + merge + lock; re-run cluster and analytics with another
// threshold and the names, merge and lock still hold; undo steps back one
// operation at a time; a headshot in the show's cast list labels its
// person.
func TestCurationSurvivesReclustering(t *testing.T) {
	media, models := realFixtures(t)
	t.Setenv("CASTSCOPE_MODELS", models)
	ctx := context.Background()
	b, err := Open(ctx, Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	clip := copyFile(t, filepath.Join(media, "faces_synthetic.mp4"), filepath.Join(t.TempDir(), "Synthetic_S01E01.mp4"))
	views, err := b.AddVideos(ctx, []string{clip})
	if err != nil || len(views) != 1 {
		t.Fatalf("add: %v", err)
	}
	key := views[0].Episode.Key
	// While the pipeline runs, asking for another run of the episode
	// follows that job instead of starting a second one beside it.
	running, active, err := b.activeJob(ctx, key)
	if err != nil || !active {
		t.Fatalf("no job running after the add: %v", err)
	}
	if j, existing, err := b.Run(ctx, key, []string{"cluster+"}, RunOverrides{}); err != nil || !existing || j.ID != running.ID {
		t.Errorf("a run asked for while %s runs: %s existing=%v %v", running.ID, j.ID, existing, err)
	}
	if _, err := b.Curate(ctx, key, CurateRequest{Kind: "rename", IdentityID: 1, Name: "x"}); err == nil {
		t.Error("curation before cluster has run was accepted")
	}
	v := settle(t, b, key)
	if !v.Ready || len(v.People) < 2 || v.Show != "synthetic" {
		t.Fatalf("cast after the pipeline: ready=%v show=%q %d people", v.Ready, v.Show, len(v.People))
	}
	a, c := v.People[0], v.People[1]
	t.Logf("people: %d; first %q %d tracks %.2fs, second %q %d tracks %.2fs; review %d", len(v.People), a.Label, a.Tracks, a.ScreenTimeS, c.Label, c.Tracks, c.ScreenTimeS, len(v.Review))
	union := slices.Sorted(slices.Values(append(slices.Clone(a.TrackIDs), c.TrackIDs...)))

	// Thumbnails: one face crop per asked track, cached after.
	thumbs, err := b.FaceThumbs(ctx, key, []int64{a.ThumbTrack, c.ThumbTrack, 99999})
	if err != nil || len(thumbs) != 2 || !strings.HasPrefix(thumbs[strconv.FormatInt(a.ThumbTrack, 10)], "data:image/jpeg;base64,") {
		t.Fatalf("thumbs: %d, %v", len(thumbs), err)
	}

	for _, req := range []CurateRequest{
		{Kind: "rename", IdentityID: a.IdentityID, Name: "Alex Example"},
		{Kind: "merge", IdentityID: a.IdentityID, Others: []int64{c.IdentityID}},
		{Kind: "lock", IdentityID: a.IdentityID},
	} {
		if _, err := b.Curate(ctx, key, req); err != nil {
			t.Fatalf("%s: %v", req.Kind, err)
		}
		settle(t, b, key)
	}
	// An action on identities that lag behind the log is refused (here the
	// log gained an operation no cluster run has applied yet).
	if _, err := b.store.AppendCuration(ctx, key, identity.Op{Kind: identity.OpUnlock, Target: identity.Ref{Person: "p9"}}); err != nil {
		t.Fatal(err)
	}
	// Reading the lagging view queues nothing: it asks to catch up.
	for range 2 {
		if v, err := b.Cast(ctx, key); err != nil || !v.Pending || !v.CatchUp || v.ReclusterJob != "" {
			t.Fatalf("a lagging view: pending=%v catch_up=%v job=%q %v", v.Pending, v.CatchUp, v.ReclusterJob, err)
		}
		if _, active, err := b.activeJob(ctx, key); err != nil || active {
			t.Fatalf("reading the Cast view queued a job: %v %v", active, err)
		}
	}
	if _, err := b.Curate(ctx, key, CurateRequest{Kind: "lock", IdentityID: a.IdentityID}); errs.CodeOf(err) != errs.Usage ||
		!strings.Contains(errs.As(err).Message, "still being applied") {
		t.Errorf("an action on a lagging view: %v", err)
	}
	if undone, err := b.store.UndoCuration(ctx, key); len(undone) != 1 || err != nil {
		t.Fatal(undone, err)
	}
	before := settle(t, b, key)

	// A cluster run under way or failed clears the clustered flag; the
	// identities it left stay in view, pending, while they were built from
	// the tracks there are, and actions wait for the run.
	if err := b.store.SetEpisodeState(ctx, key, "clustered", false); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Cast(ctx, key); err != nil || !v.Ready || !v.Pending || len(v.People) != len(before.People) {
		t.Errorf("cast after a failed re-cluster: ready=%v pending=%v %d people (had %d), %v", v.Ready, v.Pending, len(v.People), len(before.People), err)
	}
	if _, err := b.Curate(ctx, key, CurateRequest{Kind: "lock", IdentityID: a.IdentityID}); errs.CodeOf(err) != errs.Usage {
		t.Errorf("an action while the identities are not current: %v", err)
	}
	if v := settle(t, b, key); v.Pending || len(v.People) != len(before.People) {
		t.Errorf("after the re-cluster the refusal queued: pending=%v %d people", v.Pending, len(v.People))
	}
	// A data folder copied elsewhere (new file times) keeps its people;
	// identities of other tracks (track ran since) are not shown, clustered
	// flag or not.
	tracks := filepath.Join(b.DataDir, "data", "harvest", key, "tracks.parquet")
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(tracks, later, later); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Cast(ctx, key); err != nil || !v.Ready || v.Pending {
		t.Errorf("after the tracks' file time changed: ready=%v pending=%v %v", v.Ready, v.Pending, err)
	}
	idm := filepath.Join(b.DataDir, "data", "harvest", key, "identities_metrics.json")
	raw, err := os.ReadFile(idm)
	if err != nil || !strings.Contains(string(raw), `"tracks": "`) {
		t.Fatalf("identities_metrics.json does not name its tracks: %v\n%s", err, raw)
	}
	if err := os.WriteFile(idm, []byte(strings.Replace(string(raw), `"tracks": "`, `"tracks": "0`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Cast(ctx, key); err != nil || v.Ready {
		t.Errorf("identities of other tracks shown: ready=%v %v", v.Ready, err)
	}
	// Cluster is not skipped while its identities show another log than
	// the one there is, even when its fingerprint matches.
	metrics := filepath.Join(b.DataDir, "data", "harvest", key, "identities_metrics.json")
	if _, err := b.Recluster(ctx, key); err != nil {
		t.Fatal(err)
	}
	if v := settle(t, b, key); v.Pending || !v.Ready {
		t.Fatalf("after re-clustering the newer tracks: ready=%v pending=%v", v.Ready, v.Pending)
	}
	raw, err = os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(metrics, []byte(strings.Replace(string(raw), `"applied": "`, `"applied": "0`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	id, err := b.Recluster(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if j, err := b.WaitJob(ctx, id); err != nil || j.Stages[0].Name != "cluster" || j.Stages[0].Status != job.StatusOK {
		t.Errorf("cluster with a stale applied state: %+v %v", j.Stages[0], err)
	}
	for _, bad := range []CurateRequest{
		{Kind: "rename", IdentityID: a.IdentityID, Name: "  "},
		{Kind: "rename", IdentityID: 424242, Name: "Nobody"},
		{Kind: "merge", IdentityID: a.IdentityID},
		{Kind: "merge", IdentityID: a.IdentityID, Others: []int64{a.IdentityID}},
		{Kind: "split", TrackIDs: []int64{987654}},
		{Kind: "move", IdentityID: a.IdentityID, TrackIDs: []int64{987654}},
		{Kind: "split", IdentityID: a.IdentityID},
		{Kind: "explode", IdentityID: a.IdentityID},
	} {
		if _, err := b.Curate(ctx, key, bad); errs.CodeOf(err) != errs.Usage {
			t.Errorf("%+v: %v, want ERR_USAGE", bad, err)
		}
	}
	check := func(when string, wantLocked bool) CastView {
		t.Helper()
		v := settle(t, b, key)
		p, ok := personByLabel(v, "Alex Example")
		if !ok {
			t.Fatalf("%s: nobody is called Alex Example: %+v (ops %d pending %v)", when, v.People, v.Ops, v.Pending)
		}
		if got := slices.Sorted(slices.Values(p.TrackIDs)); !slices.Equal(got, union) {
			t.Errorf("%s: Alex Example has tracks %v, want the merged %v", when, got, union)
		}
		if p.Locked != wantLocked {
			t.Errorf("%s: locked=%v, want %v", when, p.Locked, wantLocked)
		}
		rep, err := b.ScreenTime(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if sp, ok := rep.Person("alex example"); !ok || sp.ScreenTimeS < a.ScreenTimeS {
			t.Errorf("%s: report row %+v (first person alone had %.2fs)", when, sp, a.ScreenTimeS)
		}
		return v
	}
	v = check("after rename+merge+lock", true)
	if v.Ops != 3 || !v.CanUndo || v.LastOp != "Lock a person" {
		t.Errorf("log: %d ops, can undo %v, last %q", v.Ops, v.CanUndo, v.LastOp)
	}
	// The inspector tells the same story, in the log's order.
	insp, err := b.Inspect(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if c := insp.Curation; c == nil || !c.Applied || !c.Clustered || len(c.Ops) != 3 ||
		c.Ops[0] != `Rename to "Alex Example"` || c.Ops[2] != "Lock a person" {
		t.Errorf("inspector curation %+v", insp.Curation)
	}
	if txt := insp.Text(); !strings.Contains(txt, "✏️ Curation: 3 operation(s), applied") || !strings.Contains(txt, `1. Rename to "Alex Example"`) {
		t.Errorf("inspector text:\n%s", txt)
	}

	// Another threshold: cluster and analytics run again from the tracks.
	thr := 0.3
	j, _, err := b.Run(ctx, key, []string{"cluster+"}, RunOverrides{ClusterThreshold: &thr, Rerun: true})
	if err != nil {
		t.Fatal(err)
	}
	if j, err = b.WaitJob(ctx, j.ID); err != nil || j.Stages[0].Status != job.StatusOK {
		t.Fatalf("re-cluster at 0.3: %+v %v", j.Stages, err)
	}
	check("after re-clustering at threshold 0.3", true)

	// Undo: the lock goes, then the merge; the name stays with its person.
	if _, err := b.UndoCuration(ctx, key); err != nil {
		t.Fatal(err)
	}
	check("after one undo", false)
	if _, err := b.UndoCuration(ctx, key); err != nil {
		t.Fatal(err)
	}
	v = settle(t, b, key)
	p, ok := personByLabel(v, "Alex Example")
	if !ok || slices.Equal(slices.Sorted(slices.Values(p.TrackIDs)), union) || !slices.Contains(p.TrackIDs, a.TrackIDs[0]) {
		t.Errorf("after undoing the merge: %+v", p)
	}
	if _, err := b.UndoCuration(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := b.UndoCuration(ctx, key); errs.CodeOf(err) != errs.Usage {
		t.Errorf("undo of an empty log: %v", err)
	}
	v = settle(t, b, key)
	if _, ok := personByLabel(v, "Alex Example"); ok || v.CanUndo {
		t.Errorf("after undoing everything: a person is still named, or undo still offered (%d ops)", v.Ops)
	}

	// Keep in the review strip: the track is confirmed as its person's,
	// leaves the review list, and comes back with Undo.
	if len(v.Review) == 0 {
		t.Fatal("nothing to review with several people")
	}
	r := v.Review[0]
	if _, err := b.Curate(ctx, key, CurateRequest{Kind: "confirm", IdentityID: r.OtherID, TrackIDs: []int64{r.TrackID}}); errs.CodeOf(err) != errs.Usage {
		t.Errorf("confirming a track as someone else's: %v, want ERR_USAGE", err)
	}
	if _, err := b.Curate(ctx, key, CurateRequest{Kind: "confirm", IdentityID: r.IdentityID, TrackIDs: []int64{r.TrackID}}); err != nil {
		t.Fatal(err)
	}
	v = settle(t, b, key)
	inReview := func(v CastView) bool {
		return slices.ContainsFunc(v.Review, func(x ReviewItem) bool { return x.TrackID == r.TrackID })
	}
	if inReview(v) || v.LastOp != "Confirm 1 track(s)" {
		t.Errorf("after Keep: track %d still in review %v, last op %q", r.TrackID, inReview(v), v.LastOp)
	}
	if _, err := b.UndoCuration(ctx, key); err != nil {
		t.Fatal(err)
	}
	if v = settle(t, b, key); !inReview(v) || v.CanUndo {
		t.Errorf("after undoing Keep: track %d in review %v, can undo %v", r.TrackID, inReview(v), v.CanUndo)
	}

	// Who is on screen, hand-logged timings, exports.
	first := v.People[0]
	at, err := b.OnScreen(ctx, key, "0:01")
	if err != nil || at.Ms != 1000 || at.Timecode != "00:00:01:00" || !strings.HasPrefix(at.Frame, "data:image/jpeg;base64,") {
		t.Fatalf("on screen at 0:01: %+v %v", at.People, err)
	}
	if len(at.People) == 0 || at.People[0].IdentityID != first.IdentityID {
		t.Errorf("on screen at 0:01: %+v, want %s first", at.People, first.Label)
	}
	// A typed timecode shows its own frame, at every frame of a second
	// (the clip is 15 fps).
	for f := range 15 {
		tc := fmt.Sprintf("00:00:02:%02d", f)
		if at, err := b.OnScreen(ctx, key, tc); err != nil || at.Timecode != tc || at.FrameIndex != int64(30+f) {
			t.Errorf("on screen at %s shows frame %d, timecode %s (%v)", tc, at.FrameIndex, at.Timecode, err)
		}
	}
	for _, bad := range []string{"9:00", "soon", "-1"} {
		if _, err := b.OnScreen(ctx, key, bad); errs.CodeOf(err) != errs.Usage {
			t.Errorf("on screen at %q: %v", bad, err)
		}
	}
	cmp, err := b.CompareLogged(ctx, key, first.Label+" 5.0\nNobody Known,0:03\n")
	if err != nil || len(cmp) != 2 {
		t.Fatalf("compare: %+v %v", cmp, err)
	}
	for _, c := range cmp {
		if c.Name == first.Label && (!c.Found || c.ComputedS != first.ScreenTimeS || c.LoggedS != 5) {
			t.Errorf("compare row %+v", c)
		}
		if c.Name == "Nobody Known" && (c.Found || c.LoggedS != 3) {
			t.Errorf("compare row %+v", c)
		}
	}
	if _, err := b.CompareLogged(ctx, key, "Kyle soon\n"); errs.CodeOf(err) != errs.Usage {
		t.Errorf("bad logged line: %v", err)
	}
	for _, f := range ExportFormats {
		data, err := b.ExportScreenTime(ctx, key, f, "", false)
		if err != nil || len(data) < 50 {
			t.Errorf("export %s: %d bytes, %v", f, len(data), err)
		}
	}
	if data, err := b.ExportScreenTime(ctx, key, "edl", first.Label, false); err != nil || !strings.Contains(string(data), first.Label) {
		t.Errorf("export edl for %s: %v", first.Label, err)
	}
	if _, err := b.ExportScreenTime(ctx, key, "docx", "", false); errs.CodeOf(err) != errs.Usage {
		t.Errorf("unknown format: %v", err)
	}

	// The show's cast list labels the person it shows.
	shot := copyFile(t, filepath.Join(media, "obama_portrait_2012.jpg"), filepath.Join(t.TempDir(), "Barack_Obama.jpg"))
	two := copyFile(t, filepath.Join(media, "obama_biden_two_faces.jpg"), filepath.Join(t.TempDir(), "Both.jpg"))
	res, err := b.AddHeadshots(ctx, v.Show, []string{shot, two})
	if err != nil || len(res) != 2 || res[0].Headshot == nil || res[0].Headshot.Name != "Barack Obama" ||
		res[1].Error == nil || res[1].Error.Code != errs.HeadshotInvalid || !strings.Contains(res[1].Error.Message, "Both.jpg") {
		t.Fatalf("add headshots: %+v %v", res, err)
	}
	v = settle(t, b, key)
	if len(v.Facebank) != 1 {
		t.Errorf("cast list: %+v", v.Facebank)
	}
	obama, ok := personByLabel(v, "Barack Obama")
	if !ok || obama.FacebankScore < 0.5 || !strings.Contains(obama.FacebankReason, "Barack_Obama.jpg") {
		t.Errorf("no identity labelled from the headshot, or no reason given: %+v", v.People)
	}

	if rep, err := b.Inspect(ctx, key); err != nil || rep.Curation == nil || len(rep.Curation.Names) == 0 ||
		!strings.Contains(rep.Curation.Names[0], "named Barack Obama from the cast list (photo Barack_Obama.jpg matches") ||
		!strings.Contains(rep.Text(), "named Barack Obama from the cast list") {
		t.Errorf("the inspector does not say why the name was given: %+v %v", rep.Curation, err)
	}

	// Confirming a cast member adds this episode's best face to the cast
	// list, for the next episode; undoing the confirmation takes it back.
	if _, err := b.Curate(ctx, key, CurateRequest{Kind: "rename", IdentityID: obama.IdentityID, Name: "Barack Obama"}); err != nil {
		t.Fatal(err)
	}
	v = settle(t, b, key)
	if len(v.Facebank) != 2 || !strings.HasPrefix(v.Facebank[1].File, key+" track ") || v.Facebank[1].Name != "Barack Obama" {
		t.Fatalf("confirmed face not on the cast list: %+v", v.Facebank)
	}
	if _, err := b.UndoCuration(ctx, key); err != nil {
		t.Fatal(err)
	}
	if v = settle(t, b, key); len(v.Facebank) != 1 {
		t.Fatalf("undo left the confirmed face: %+v", v.Facebank)
	}

	// A pending view whose catch-up job fails is not retried on every
	// refresh: the error stays for the user to see.
	if err := b.RemoveHeadshot(ctx, res[0].Headshot.ID); err != nil {
		t.Fatal(err)
	}
	if v, err = b.Cast(ctx, key); err != nil || !v.Pending {
		t.Fatalf("after removing the headshot: pending=%v %v", v.Pending, err)
	}
	tracksFile := filepath.Join(b.DataDir, "data", "harvest", key, "tracks.parquet")
	saved, err := os.ReadFile(tracksFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(tracksFile); err != nil {
		t.Fatal(err)
	}
	rid, err := b.Recluster(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if j, err := b.WaitJob(ctx, rid); err != nil || j.Stages[0].Status != job.StatusError {
		t.Fatalf("re-cluster without tracks: %+v %v", j.Stages, err)
	}
	if err := os.WriteFile(tracksFile, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	if v, err = b.Cast(ctx, key); err != nil || !v.Pending || v.CatchUp || v.ReclusterJob != "" ||
		v.ReclusterError == nil || v.ReclusterError.Code != string(errs.ArtifactMissing) {
		t.Errorf("a view whose re-cluster failed: pending=%v catch_up=%v job=%q error=%+v %v", v.Pending, v.CatchUp, v.ReclusterJob, v.ReclusterError, err)
	}
	if id, err := b.CatchUp(ctx, key); id != "" || errs.CodeOf(err) != errs.ArtifactMissing {
		t.Errorf("catching up after a failed re-cluster: %q %v", id, err)
	}
	if _, active, err := b.activeJob(ctx, key); err != nil || active {
		t.Errorf("a failed catch-up was queued again: %v %v", active, err)
	}
}

func TestMomentBeforeTheStartTimecode(t *testing.T) {
	o := screentime.ExportOptions{Rate: screentime.Rate{Num: 30000, Den: 1001}, StartTC: "01:00:00:00"}
	ms, err := momentOf("00:59:59:00", o)
	if err != nil || ms >= 0 {
		t.Fatalf("a timecode before the start: %d ms, %v", ms, err)
	}
	for f := int64(0); f < 120; f++ {
		tc := o.Rate.Timecode(3600*30 + f)
		ms, err := momentOf(tc, o)
		if err != nil || o.Rate.FramesFromMs(ms) != f {
			t.Errorf("%s: %d ms is frame %d, want %d (%v)", tc, ms, o.Rate.FramesFromMs(ms), f, err)
		}
	}
}
