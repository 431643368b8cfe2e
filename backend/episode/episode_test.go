package episode_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"castscope/backend/episode"
	"castscope/backend/errs"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"RHOBH_S05_E03_11062025", "rhobh_s05_e03"},
		{"RHOBH_S05_E03.mp4", "rhobh_s05_e03"},
		{"rhobh s05e03", "rhobh_s05_e03"},
		{"RHOBH.S05E03.1080p.WEB.mkv", "rhobh_s05_e03"},
		{"The Office - S2E7 - The Client.mov", "the_office_s02_e07"},
		{"show_s01_e112", "show_s01_e112"},
		{"S01E02.mp4", "episode_s01_e02"},
		{"My Holiday Video (2024).MP4", "my_holiday_video_2024"},
		{"  spaced   name  ", "spaced_name"},
		{"Café Crème", "cafe_creme"},
		{"Mr..Robot S01E01", "mr_robot_s01_e01"},
		{"season 1 episode 2", "season_1_episode_2"},
	}
	for _, c := range cases {
		got, err := episode.Normalize(c.in)
		if err != nil || got != c.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", c.in, got, err, c.want)
			continue
		}
		if err := episode.ValidateKey(got); err != nil {
			t.Errorf("key %q of %q does not validate: %v", got, c.in, err)
		}
	}
}

func TestNormalizeUnicodeOnlyAndLong(t *testing.T) {
	t.Parallel()
	a, err := episode.Normalize("日本語のエピソード")
	b, err2 := episode.Normalize("中文节目")
	if err != nil || err2 != nil || !strings.HasPrefix(a, "ep_") || a == b {
		t.Fatalf("%q %q %v %v", a, b, err, err2)
	}
	long1, err := episode.Normalize(strings.Repeat("a", 200) + "1")
	long2, _ := episode.Normalize(strings.Repeat("a", 200) + "2")
	if err != nil || len(long1) > episode.MaxKeyLen || long1 == long2 || episode.ValidateKey(long1) != nil {
		t.Fatalf("%q %q %v", long1, long2, err)
	}
	sxe, _ := episode.Normalize(strings.Repeat("show", 40) + "_S01_E01")
	if len(sxe) > episode.MaxKeyLen || !strings.HasSuffix(sxe, "_s01_e01") {
		t.Fatalf("%q", sxe)
	}
}

func TestNormalizeRejectsHostile(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "   ", ".mp4", "../../etc", "..", "a/b", `a\b`, "a\x00b", "tab\there",
		strings.Repeat("x", 10000), "\xff\xfe"} {
		if k, err := episode.Normalize(in); !errs.HasCode(err, errs.InvalidEpisodeKey) {
			t.Errorf("Normalize(%q) = %q, %v", in, k, err)
		}
	}
}

func TestValidateKey(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"rhobh_s05_e03", "a", "ep_1f2e3d4c", "x-y", "rhobh_s05_e03_2"} {
		if err := episode.ValidateKey(k); err != nil {
			t.Errorf("%q: %v", k, err)
		}
	}
	for _, k := range []string{"", "..", "../x", "a/b", "A", "_x", "-x", "a b", "a\x00", "é", ".hidden", strings.Repeat("a", episode.MaxKeyLen+1)} {
		if err := episode.ValidateKey(k); !errs.HasCode(err, errs.InvalidEpisodeKey) {
			t.Errorf("%q accepted: %v", k, err)
		}
	}
	if got := episode.WithSuffix(strings.Repeat("a", episode.MaxKeyLen), 12); len(got) != episode.MaxKeyLen || !strings.HasSuffix(got, "_12") {
		t.Errorf("WithSuffix: %q", got)
	}
}

func TestEpisodeJSONTimes(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 11, 6, 22, 10, 2, 123456789, time.FixedZone("x", 3600))
	ep := episode.Episode{Key: "k", CreatedAt: at, ModTime: at, States: map[string]bool{"validated": true},
		Timestamps: map[string]*time.Time{"validated": &at}}
	b, err := json.Marshal(ep)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"validated":"2025-11-06T21:10:02.123Z"`, `"detected":null`, `"detected":false`, `"created_at":"2025-11-06T21:10:02.123Z"`, `"key":"k"`} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %s in %s", want, s)
		}
	}
	var back episode.Episode
	if err := json.Unmarshal(b, &back); err != nil || !back.CreatedAt.Equal(at.Truncate(time.Millisecond)) || !back.States["validated"] {
		t.Errorf("round trip: %+v %v", back, err)
	}
	if episode.TitleOf("/x/y/RHOBH_S05_E03.mp4") != "RHOBH_S05_E03" {
		t.Error("TitleOf")
	}
}

func TestShowOf(t *testing.T) {
	for key, want := range map[string]string{
		"rhobh_s05_e03":          "rhobh",
		"rhobh_s05_e03_2":        "rhobh",
		"the_office_s02_e101":    "the_office",
		"castscope_demo_s01_e01": "castscope_demo",
		"holiday_special":        "holiday_special",
		"ep_1a2b3c":              "ep_1a2b3c",
	} {
		if got := episode.ShowOf(key); got != want {
			t.Errorf("ShowOf(%q) = %q, want %q", key, got, want)
		}
	}
	// Every key Normalize makes from an SxxEyy name has the show as prefix.
	k, err := episode.Normalize("Real.Housewives.S05E03.1080p.mkv")
	if err != nil || episode.ShowOf(k) != "real_housewives" {
		t.Fatalf("Normalize → %q (%v), show %q", k, err, episode.ShowOf(k))
	}
}
