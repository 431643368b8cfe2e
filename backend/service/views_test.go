package service

import (
	"encoding/json"
	"testing"
	"time"

	"castscope/backend/episode"
	"castscope/backend/video"
)

// The page reads an episode as the registry's fields, the decoded probe
// and latest_job in one object (its generated type is service.EpisodeView
// narrowed in types.ts): the probe is the stored one, field for field.
func TestEpisodeViewJSON(t *testing.T) {
	info := video.Info{Path: "/v/a.mp4", Container: "mp4", Codec: "h264", Width: 1280, Height: 720, FPS: 25, Frames: 250, DurationS: 10, HasAudio: true, StartTimecode: "01:00:00:00"}
	raw, _ := json.Marshal(info)
	ep := episode.Episode{Key: "a_s01_e01", Title: "A", VideoPath: "/v/a.mp4", Video: raw, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	got, ok := video.StoredInfo(ep.Video)
	if !ok {
		t.Fatal("stored probe does not decode")
	}
	v := EpisodeView{Episode: ep, Video: &got, LatestJob: &JobView{JobID: "prepare_a_s01_e01_1"}}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"key", "title", "video_path", "states", "timestamps", "created_at", "video", "latest_job"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, b)
		}
	}
	var back video.Info
	if err := json.Unmarshal(m["video"], &back); err != nil || back != info {
		t.Errorf("video %s, want %+v (%v)", m["video"], info, err)
	}
	if string(m["created_at"]) != `"2026-01-02T03:04:05.000Z"` {
		t.Errorf("created_at %s: the registry's time layout", m["created_at"])
	}
	// Before validate there is no probe: "video" is absent or null, never a broken object.
	b, _ = json.Marshal(EpisodeView{Episode: episode.Episode{Key: "b_s01_e01"}})
	m = nil
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if vv, ok := m["video"]; ok && string(vv) != "null" {
		t.Errorf("video before validate: %s", vv)
	}
}
