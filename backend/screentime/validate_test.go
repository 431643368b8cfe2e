package screentime_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"castscope/backend/screentime"
)

func TestValidateEDLRejects(t *testing.T) {
	t.Parallel()
	good := "TITLE: x\nFCM: NON-DROP FRAME\n\n001  AX       V     C        01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00\n* LOC: 01:00:00:00 RED     A\n"
	if err := screentime.ValidateEDL([]byte(good), screentime.Rate25); err != nil {
		t.Fatalf("good EDL: %v", err)
	}
	tests := []struct {
		name string
		edl  string
		rate screentime.Rate
	}{
		{"no title", strings.Replace(good, "TITLE: x", "NAME: x", 1), screentime.Rate25},
		{"fcm mismatch", good, screentime.Rate2997DF},
		{"short reel column", strings.Replace(good, "AX       V", "AX      V", 1), screentime.Rate25},
		{"out before in", strings.Replace(good, "01:00:01:00 01:00:00:00 01:00:01:00", "00:59:59:00 01:00:00:00 00:59:59:00", 1), screentime.Rate25},
		{"bad frames", strings.ReplaceAll(good, "01:00:01:00", "01:00:01:25"), screentime.Rate25},
		{"event number", strings.Replace(good, "001  AX", "002  AX", 1), screentime.Rate25},
		{"drop separator in NDF", strings.ReplaceAll(good, "01:00:01:00", "01:00:01;00"), screentime.Rate25},
		{"durations differ", strings.Replace(good, "01:00:00:00 01:00:01:00\n", "01:00:00:00 01:00:02:00\n", 1), screentime.Rate25},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := screentime.ValidateEDL([]byte(tc.edl), tc.rate); err == nil {
				t.Fatalf("accepted:\n%s", tc.edl)
			}
		})
	}
}

func TestValidateFCPXMLRejects(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := screentime.WriteFCPXML(&buf, fixture(t), screentime.ExportOptions{Rate: screentime.Rate23976, StartTC: "01:00:00:00"}); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	tests := []struct{ name, from, to string }{
		{"not well-formed", "</fcpxml>", "</fcpxm>"},
		{"no version", `version="1.9"`, ""},
		{"off frame", `duration="1001/24000s" value="Kyle Richards"`, `duration="1/24000s" value="Kyle Richards"`},
		{"unknown asset", `ref="r2"`, `ref="r9"`},
		{"no media-rep", `<media-rep kind="original-media"`, `<other kind="original-media"`},
		{"marker outside clip", `<marker start="43254211/12000s"`, `<marker start="0s"`},
		{"empty value", `value="Kyle Richards"/>`, `value=""/>`},
		{"no tcFormat", `tcStart="18018/5s" tcFormat="NDF"`, `tcStart="18018/5s"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(good, tc.from) {
				t.Fatalf("fixture lacks %q", tc.from)
			}
			if err := screentime.ValidateFCPXML([]byte(strings.Replace(good, tc.from, tc.to, 1))); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestOTIOStructure(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := screentime.WriteOTIO(&buf, fixture(t), screentime.ExportOptions{Rate: screentime.Rate2997DF, StartTC: "01:00:00;00", MediaPath: "/m/e.mov"}); err != nil {
		t.Fatal(err)
	}
	type rt struct {
		Schema string  `json:"OTIO_SCHEMA"`
		Rate   float64 `json:"rate"`
		Value  float64 `json:"value"`
	}
	type tr struct {
		Duration rt `json:"duration"`
		Start    rt `json:"start_time"`
	}
	var tl struct {
		Schema string `json:"OTIO_SCHEMA"`
		Start  rt     `json:"global_start_time"`
		Tracks struct {
			Children []struct {
				Schema   string `json:"OTIO_SCHEMA"`
				Children []struct {
					Schema  string `json:"OTIO_SCHEMA"`
					Source  tr     `json:"source_range"`
					Markers []struct {
						Schema string `json:"OTIO_SCHEMA"`
						Name   string `json:"name"`
						Range  tr     `json:"marked_range"`
					} `json:"markers"`
					Refs map[string]struct {
						URL string `json:"target_url"`
					} `json:"media_references"`
				} `json:"children"`
			} `json:"children"`
		} `json:"tracks"`
	}
	if err := json.Unmarshal(buf.Bytes(), &tl); err != nil {
		t.Fatal(err)
	}
	if tl.Schema != "Timeline.1" || tl.Start.Value != 107892 || tl.Start.Rate < 29.97 || tl.Start.Rate > 29.971 {
		t.Fatalf("timeline %+v", tl)
	}
	clip := tl.Tracks.Children[0].Children[0]
	if clip.Schema != "Clip.2" || clip.Refs["DEFAULT_MEDIA"].URL != "file:///m/e.mov" || clip.Source.Start.Value != 107892 {
		t.Fatalf("clip %+v", clip)
	}
	if len(clip.Markers) != 4 {
		t.Fatalf("%d markers, want 4", len(clip.Markers))
	}
	for _, m := range clip.Markers {
		s, d := m.Range.Start.Value, m.Range.Duration.Value
		if m.Schema != "Marker.2" || d <= 0 || s < clip.Source.Start.Value || s+d > clip.Source.Start.Value+clip.Source.Duration.Value {
			t.Fatalf("marker %+v outside clip %+v", m, clip.Source)
		}
	}
}
