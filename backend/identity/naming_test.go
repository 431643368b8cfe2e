package identity_test

import (
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
