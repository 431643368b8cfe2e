package service

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"castscope/backend/harvest"
	"castscope/backend/job"
)

// TestCurationSurvivesDetectAgain names both people of a real episode,
// then runs detect and every stage after it again — the way a new
// detector setting or model pack is applied — and checks the rule of the
// identity package's doc: an operation binds, on replay, to the new
// cluster sharing most of its anchor tracks, so each name stays with the
// person it was given to (told apart by when they are first on screen:
// in the test clip one face is alone from the start, the other joins it
// at about 2.6 s), and the curation log is not lost.
func TestCurationSurvivesDetectAgain(t *testing.T) {
	ctx := context.Background()
	b, key, v := analysedClip(t, "Again_S01E01.mp4")
	if len(v.People) != 2 {
		t.Fatalf("the test clip gave %d people, want 2: %+v", len(v.People), v.People)
	}
	first, second := v.People[0], v.People[1]
	if first.FirstS > second.FirstS {
		first, second = second, first
	}
	if first.FirstS >= 1 || second.FirstS < 2 {
		t.Fatalf("first on screen at %.2f s and %.2f s; the clip has one face from the start and one from about 2.6 s", first.FirstS, second.FirstS)
	}
	for _, req := range []CurateRequest{
		{Kind: "rename", IdentityID: first.IdentityID, Name: "Alex Example"},
		{Kind: "rename", IdentityID: second.IdentityID, Name: "Blake Example"},
	} {
		if _, err := b.Curate(ctx, key, req); err != nil {
			t.Fatalf("%s: %v", req.Kind, err)
		}
		settle(t, b, key)
	}
	check := func(when string) CastView {
		t.Helper()
		v := settle(t, b, key)
		alex, ok1 := personByLabel(v, "Alex Example")
		blake, ok2 := personByLabel(v, "Blake Example")
		if !ok1 || !ok2 {
			t.Fatalf("%s: the names are not both there: %+v", when, v.People)
		}
		if alex.FirstS >= 1 || blake.FirstS < 2 {
			t.Errorf("%s: Alex Example first on screen at %.2f s (want < 1), Blake Example at %.2f s (want ≥ 2): the names changed people", when, alex.FirstS, blake.FirstS)
		}
		// Screen time may move by the sampling margin when detection
		// changes, not by a whole person's share.
		for _, c := range []struct {
			label     string
			got, want float64
		}{{"Alex Example", alex.ScreenTimeS, first.ScreenTimeS}, {"Blake Example", blake.ScreenTimeS, second.ScreenTimeS}} {
			if d := c.got - c.want; d > 1 || d < -1 {
				t.Errorf("%s: %s on screen %.2f s, %.2f s before", when, c.label, c.got, c.want)
			}
		}
		if v.Ops != 2 {
			t.Errorf("%s: %d curation operations, want the 2 renames", when, v.Ops)
		}
		return v
	}
	check("after the renames")

	fps := 3.0
	for _, o := range []RunOverrides{
		{Rerun: true}, // the same settings (a model pack replaced in place)
		{Rerun: true, Preset: "fast", SampleFPS: &fps}, // other detector settings and sampling: other detections
	} {
		when := fmt.Sprintf("after detect+ again (preset %q)", o.Preset)
		j, _, err := b.Run(ctx, key, []string{"detect+"}, o)
		if err != nil {
			t.Fatal(err)
		}
		if j, err = b.WaitJob(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
		var ran []string
		for _, s := range j.Stages {
			ran = append(ran, s.Name)
			if s.Status != job.StatusOK {
				t.Fatalf("%s: stage %s %s %+v", when, s.Name, s.Status, s.Error)
			}
		}
		if !slices.Equal(ran, []string{"detect", "track", "cluster", "analytics"}) {
			t.Errorf("%s: ran %v", when, ran)
		}
		check(when)
	}
}

// TestCurationSurvivesRenumberedTracks names both people, then renumbers
// the episode's tracks (as a track run over other detections does: an
// extra early track shifts every id after it) so that each person's
// tracks now carry the ids the other's had, and clusters again. The names
// must follow the faces, not the numbers: each operation recorded a few
// detections (time and box) of the tracks it named, and replay rebinds
// the ids to the tracks those detections find (identity.Rebind).
func TestCurationSurvivesRenumberedTracks(t *testing.T) {
	ctx := context.Background()
	b, key, v := analysedClip(t, "Renum_S01E01.mp4")
	if len(v.People) != 2 {
		t.Fatalf("the test clip gave %d people, want 2: %+v", len(v.People), v.People)
	}
	first, second := v.People[0], v.People[1]
	if first.FirstS > second.FirstS {
		first, second = second, first
	}
	for _, req := range []CurateRequest{
		{Kind: "rename", IdentityID: first.IdentityID, Name: "Alex Example"},
		{Kind: "rename", IdentityID: second.IdentityID, Name: "Blake Example"},
	} {
		if _, err := b.Curate(ctx, key, req); err != nil {
			t.Fatalf("%s: %v", req.Kind, err)
		}
		settle(t, b, key)
	}

	// Renumber: id → maxID+1−id, so the first person's tracks take the
	// second's numbers and the other way round.
	dir := harvest.Dir(b.DataDir, key)
	tracks, err := harvest.ReadTracks(dir)
	if err != nil {
		t.Fatal(err)
	}
	var top int64
	for _, tr := range tracks {
		top = max(top, tr.ID)
	}
	rows := make([]harvest.TrackRow, len(tracks))
	for i, tr := range tracks {
		tr.ID = top + 1 - tr.ID
		rows[i] = harvest.TrackRowOf(tr)
	}
	slices.SortFunc(rows, func(a, b harvest.TrackRow) int { return cmp.Compare(a.TrackID, b.TrackID) })
	if err := harvest.WriteFile(filepath.Join(dir, harvest.TracksFile), rows); err != nil {
		t.Fatal(err)
	}
	j, _, err := b.Run(ctx, key, []string{"cluster+"}, RunOverrides{Rerun: true})
	if err != nil {
		t.Fatal(err)
	}
	if j, err = b.WaitJob(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	for _, s := range j.Stages {
		if s.Status != job.StatusOK {
			t.Fatalf("after renumbering: stage %s %s %+v", s.Name, s.Status, s.Error)
		}
	}
	v = settle(t, b, key)
	alex, ok1 := personByLabel(v, "Alex Example")
	blake, ok2 := personByLabel(v, "Blake Example")
	if !ok1 || !ok2 {
		t.Fatalf("after renumbering the names are not both there: %+v", v.People)
	}
	if alex.FirstS != first.FirstS || blake.FirstS != second.FirstS {
		t.Errorf("after renumbering Alex Example is first on screen at %.2f s (was %.2f s), Blake Example at %.2f s (was %.2f s): the names followed the track numbers, not the faces",
			alex.FirstS, first.FirstS, blake.FirstS, second.FirstS)
	}
}
