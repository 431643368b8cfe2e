package service

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"castscope/backend/harvest"
)

// The viewer's data after a full run of the test clip: the source plays
// directly, every track's boxes line up with its samples and lie in the
// picture, the named people's tracks carry their identity, and the video
// is served at the source's URL with Range.
func TestPlaybackAfterARun(t *testing.T) {
	ctx := context.Background()
	b, key, cast := analysedClip(t, "Viewer_S01E01.mp4")
	if len(cast.People) < 2 {
		t.Fatalf("cast: %d people", len(cast.People))
	}

	v, err := b.Playback(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Source.Direct || v.Source.URL != "/media/"+key {
		t.Errorf("source %+v: an H.264 MP4 plays directly at /media/%s", v.Source, key)
	}
	if v.Width <= 0 || v.Height <= 0 || v.DurationS <= 0 || v.Rate.Num <= 0 || v.Rate.Den <= 0 {
		t.Fatalf("picture %dx%d, %.2f s, rate %+v", v.Width, v.Height, v.DurationS, v.Rate)
	}
	if v.SampleMs < 20 || v.SampleMs > 1000 {
		t.Errorf("sample interval %.1f ms", v.SampleMs)
	}
	owner := map[int64]int64{}
	for _, p := range cast.People {
		for _, id := range p.TrackIDs {
			owner[id] = p.IdentityID
		}
	}
	if len(v.Tracks) == 0 {
		t.Fatal("no tracks")
	}
	named := 0
	for _, tr := range v.Tracks {
		if len(tr.Boxes) != 4*len(tr.TMs) || len(tr.TMs) == 0 {
			t.Fatalf("track %d: %d boxes for %d samples", tr.TrackID, len(tr.Boxes), len(tr.TMs))
		}
		for i := 1; i < len(tr.TMs); i++ {
			if tr.TMs[i] <= tr.TMs[i-1] {
				t.Fatalf("track %d: sample times not increasing: %v", tr.TrackID, tr.TMs)
			}
		}
		for i := 0; i < len(tr.Boxes); i += 4 {
			x1, y1, x2, y2 := tr.Boxes[i], tr.Boxes[i+1], tr.Boxes[i+2], tr.Boxes[i+3]
			if x2 <= x1 || y2 <= y1 || x1 < -float32(v.Width)/4 || x2 > float32(v.Width)*5/4 || y2 > float32(v.Height)*5/4 {
				t.Fatalf("track %d: box %v outside a %dx%d picture", tr.TrackID, tr.Boxes[i:i+4], v.Width, v.Height)
			}
		}
		if want := owner[tr.TrackID]; tr.IdentityID != want {
			t.Errorf("track %d: identity %d, the Cast view says %d", tr.TrackID, tr.IdentityID, want)
		}
		if tr.IdentityID != 0 {
			named++
		}
	}
	if named == 0 {
		t.Error("no track belongs to a person")
	}

	// Identities of a cluster run on other tracks (track ran again since)
	// name no face.
	dir := harvest.Dir(b.DataDir, key)
	m, err := harvest.ReadIdentitiesMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	m.Tracks = "tracks of an earlier run"
	raw, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, harvest.IdentitiesMetricsFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	stale, err := b.Playback(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range stale.Tracks {
		if tr.IdentityID != 0 {
			t.Fatalf("track %d named %d from identities of other tracks", tr.TrackID, tr.IdentityID)
		}
	}

	// The video itself, by key, with Range.
	ep, err := b.Episode(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(ep.VideoPath)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, v.Source.URL, nil)
	req.Header.Set("Range", "bytes=1000-1999")
	rec := httptest.NewRecorder()
	b.MediaHandler().ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	if rec.Code != http.StatusPartialContent || string(body) != string(whole[1000:2000]) {
		t.Errorf("range request: %d, %d bytes (equal: %v)", rec.Code, len(body), string(body) == string(whole[1000:2000]))
	}
	rec = httptest.NewRecorder()
	b.MediaHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/media/not_registered_s01_e01", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("an unregistered key: %d, want 404", rec.Code)
	}
}
