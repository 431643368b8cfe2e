package identity_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"castscope/backend/identity"
	"castscope/backend/track"
	"castscope/backend/track/tracktest"
)

// named builds identities of one track each (embedding emb, on screen
// [start, start+1 s)) and names them from refs.
func named(refs []identity.Reference, ids ...struct {
	emb   []float32
	start int64
}) identity.Result {
	var res identity.Result
	var tracks []track.Track
	for i, x := range ids {
		t := mk(int64(i+1), x.start, x.start+1000, x.emb)
		tracks = append(tracks, t)
		res.Identities = append(res.Identities, identity.Identity{ID: int64(i + 1), TrackIDs: []int64{t.ID}, Centroid: x.emb, Size: 1, Detections: t.Len()})
	}
	return identity.Name(res, tracks, refs, identity.NameConfig{})
}

type at = struct {
	emb   []float32
	start int64
}

func TestNameOpenSet(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 7))
	ann, bob, never := tracktest.RandomUnit(r, 128), tracktest.RandomUnit(r, 128), tracktest.RandomUnit(r, 128)
	refs := []identity.Reference{{Name: "Ann", File: "ann.jpg", Embedding: ann}, {Name: "Bob", File: "bob.jpg", Embedding: bob}, {Name: "Never", File: "never.jpg", Embedding: never}}
	stranger := tracktest.RandomUnit(r, 128)

	// A profile of Ann: only 0.36 like her photo, but nothing else is
	// near: named, with the evidence.
	res := named(refs, at{mix(ann, stranger, 0.36), 0}, at{mix(bob, stranger, 0.8), 0}, at{stranger, 5000})
	a := res.Identities[0]
	if a.Label != "Ann" || a.FacebankFile != "ann.jpg" || a.FacebankScore < 0.3 || a.FacebankMargin < identity.DefaultNameMargin {
		t.Fatalf("Ann's profile: %+v", a)
	}
	if res.Identities[1].Label != "Bob" {
		t.Fatalf("Bob: %+v", res.Identities[1])
	}
	if s := res.Identities[2]; s.FacebankName != "" || s.Suggestion != nil || s.Label != "Person 3" {
		t.Fatalf("a stranger got a name or an offer: %+v", s)
	}
	for _, id := range res.Identities {
		if id.FacebankName == "Never" {
			t.Fatal("a never-on-screen photo named someone")
		}
	}

	// Two faces of one shot both a little like Ann's photo: the photo
	// names at most the one it matches clearly better; a near tie names
	// neither and offers the better one.
	res = named(refs, at{mix(ann, stranger, 0.40), 0}, at{mix(ann, tracktest.RandomUnit(r, 128), 0.36), 500})
	if res.Identities[0].FacebankName != "" || res.Identities[1].FacebankName != "" {
		t.Fatalf("a near tie was named: %+v", res.Identities)
	}
	if sg := res.Identities[0].Suggestion; sg == nil || sg.Name != "Ann" || sg.Rival != 2 {
		t.Fatalf("the better face is offered: %+v", res.Identities[0])
	}

	// Below the bar but plausible: offered, not given.
	res = named(refs, at{mix(ann, stranger, 0.27), 0})
	if id := res.Identities[0]; id.FacebankName != "" || id.Suggestion == nil || id.Suggestion.Name != "Ann" {
		t.Fatalf("weak match: %+v", id)
	}

	// Strong matches name one person split in two identities twice.
	res = named(refs, at{mix(ann, stranger, 0.7), 0}, at{mix(ann, tracktest.RandomUnit(r, 128), 0.6), 5000})
	if res.Identities[0].Label != "Ann" || res.Identities[1].Label != "Ann" {
		t.Fatalf("split person: %+v", res.Identities)
	}

	// A user's name wins; an ambiguous pair of photos (Ann and her
	// look-alike) names nobody.
	res.Identities[0].Name = "Ann Curated"
	res = identity.Name(res, nil, refs, identity.NameConfig{})
	if res.Identities[0].Label != "Ann Curated" || res.Identities[0].FacebankName != "Ann" {
		t.Fatalf("user's name: %+v", res.Identities[0])
	}
	twin := []identity.Reference{{Name: "Ann", Embedding: ann}, {Name: "Twin", Embedding: mix(ann, bob, 0.95)}}
	res = named(twin, at{mix(ann, stranger, 0.6), 0})
	if id := res.Identities[0]; id.FacebankName != "" {
		t.Fatalf("ambiguous photos named: %+v", id)
	}
}

// piece is a track of one shot: n detections from start (ms), at x, seen
// at yaw.
func piece(id, start int64, n int, x float32, yaw float32, emb []float32) track.Track {
	t := mk(id, start, start+int64(n-1)*200, emb)
	t.Shot = 1
	for range t.DetIDs {
		t.Boxes = append(t.Boxes, [4]float32{x, 100, x + 50, 160})
		t.Yaws = append(t.Yaws, yaw)
	}
	return t
}

func TestProfilePiecesOfOneShotAreOnePerson(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 9))
	face := tracktest.RandomUnit(r, 128)
	// Three pieces of one profile shot, about 0.46 alike, a second or two apart
	// and moving across the frame: one person.
	a := mix(face, tracktest.RandomUnit(r, 128), 0.68)
	b := mix(face, tracktest.RandomUnit(r, 128), 0.68)
	c := mix(face, tracktest.RandomUnit(r, 128), 0.68)
	profile := []track.Track{piece(1, 0, 5, 100, 0.9, a), piece(2, 2000, 5, 250, 0.9, b), piece(3, 4400, 5, 380, 0.9, c)}
	res, err := identity.Cluster(context.Background(), profile, identity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Identities) != 1 || res.Identities[0].Size != 3 {
		t.Fatalf("profile pieces: %d identities %+v", len(res.Identities), res.Identities)
	}
	if res, _ = identity.Cluster(context.Background(), profile, identity.Config{KeepShotsApart: true}); len(res.Identities) < 2 {
		t.Fatalf("without chaining the pieces are %d identities; the embeddings alone keep them apart", len(res.Identities))
	}
	// The same pieces seen frontally are two people one after the other
	// (frontal faces embed well: 0.46 is someone else); so is a piece
	// that starts far from where the last one ended, in another shot, or
	// while someone else is on screen.
	frontal := []track.Track{piece(1, 0, 5, 100, 0.1, a), piece(2, 2000, 5, 250, 0.1, b)}
	far := []track.Track{piece(1, 0, 5, 100, 0.9, a), piece(2, 1400, 5, 1500, 0.9, b)}
	other := []track.Track{piece(1, 0, 5, 100, 0.9, a), piece(2, 2000, 5, 250, 0.9, b)}
	other[1].Shot = 2
	crowd := []track.Track{piece(1, 0, 5, 100, 0.9, a), piece(2, 2000, 5, 250, 0.9, b), piece(3, 400, 12, 900, 0.1, tracktest.RandomUnit(r, 128))}
	for name, c := range map[string]struct {
		ts   []track.Track
		want int
	}{"frontal": {frontal, 2}, "far": {far, 2}, "another shot": {other, 2}, "someone else on screen": {crowd, 3}} {
		if res, _ := identity.Cluster(context.Background(), c.ts, identity.Config{}); len(res.Identities) != c.want {
			t.Errorf("%s: %d identities, want %d", name, len(res.Identities), c.want)
		}
	}
}
