package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestExportAndInspectARealEpisode runs the pipeline once on the test clip
// and reads its results back through every export format, export-json and
// inspect --json: each output must parse as its format and agree with the
// others (the people of the JSON are those `castscope cast` lists, the CSV
// has one row per segment of the JSON).
func TestExportAndInspectARealEpisode(t *testing.T) {
	const key = "show_s01_e01"
	data := runShowEpisode(t)
	export := func(t *testing.T, format string) string {
		t.Helper()
		code, stdout, stderr := run(t, "export", key, "--format", format, "--data", data)
		if code != ExitOK {
			t.Fatalf("export --format %s: exit %d\n%s%s", format, code, stdout, stderr)
		}
		if stdout == "" {
			t.Fatalf("export --format %s wrote nothing", format)
		}
		return stdout
	}

	// The JSON report is the reference the other formats are checked against.
	var rep struct {
		EpisodeKey string  `json:"episode_key"`
		DurationS  float64 `json:"duration_s"`
		People     []struct {
			IdentityID  int64   `json:"identity_id"`
			Label       string  `json:"label"`
			ScreenTimeS float64 `json:"screen_time_s"`
			Segments    []struct {
				StartS float64 `json:"start_s"`
				EndS   float64 `json:"end_s"`
			} `json:"segments"`
		} `json:"people"`
	}
	if err := json.Unmarshal([]byte(export(t, "json")), &rep); err != nil {
		t.Fatalf("export json does not parse: %v", err)
	}
	if rep.EpisodeKey != key || rep.DurationS <= 0 || len(rep.People) == 0 {
		t.Fatalf("export json: key %q, duration %v s, %d people", rep.EpisodeKey, rep.DurationS, len(rep.People))
	}
	segments := 0
	for _, p := range rep.People {
		if p.ScreenTimeS <= 0 || len(p.Segments) == 0 {
			t.Errorf("%s: %v s on screen in %d segments", p.Label, p.ScreenTimeS, len(p.Segments))
		}
		segments += len(p.Segments)
	}

	t.Run("json people are the cast", func(t *testing.T) {
		code, stdout, stderr := run(t, "cast", key, "--data", data)
		if code != ExitOK {
			t.Fatalf("cast: exit %d\n%s%s", code, stdout, stderr)
		}
		// The cast table's rows: "Person N" labels, one per identity; the
		// export's people are the identities with screen time, so each of
		// them is a row of the table.
		// The cast table's rows: "1   Person 1  5.10 s ±0.20 …", one per
		// identity with screen time, as the export's people.
		row := regexp.MustCompile(`(?m)^(\d+)\s+(.+?)\s+(\d+\.\d\d) s ±`)
		listed := map[string]string{}
		for _, m := range row.FindAllStringSubmatch(stdout, -1) {
			listed[m[1]] = m[2] + " " + m[3]
		}
		exported := map[string]string{}
		for _, p := range rep.People {
			exported[strconv.FormatInt(p.IdentityID, 10)] = p.Label + " " + strconv.FormatFloat(p.ScreenTimeS, 'f', 2, 64)
		}
		got, _ := json.Marshal(exported)
		want, _ := json.Marshal(listed)
		if !bytes.Equal(got, want) {
			t.Errorf("export json people (id: label seconds) %s, castscope cast lists %s:\n%s", got, want, stdout)
		}
	})

	t.Run("csv", func(t *testing.T) {
		rows, err := csv.NewReader(strings.NewReader(export(t, "csv"))).ReadAll()
		if err != nil {
			t.Fatalf("export csv does not parse: %v", err)
		}
		want := "label,identity_id,segment,start_s,end_s,duration_s,start_tc,end_tc,start_frame,end_frame"
		if len(rows) == 0 || strings.Join(rows[0], ",") != want {
			t.Fatalf("csv header %v, want %s", rows[:min(1, len(rows))], want)
		}
		if len(rows)-1 != segments {
			t.Errorf("csv has %d rows, the json report %d segments", len(rows)-1, segments)
		}
		tc := regexp.MustCompile(`^\d\d:\d\d:\d\d[:;]\d\d$`)
		for _, r := range rows[1:] {
			start, err1 := strconv.ParseFloat(r[3], 64)
			end, err2 := strconv.ParseFloat(r[4], 64)
			f0, err3 := strconv.Atoi(r[8])
			f1, err4 := strconv.Atoi(r[9])
			if err1 != nil || err2 != nil || err3 != nil || err4 != nil || !(start < end) || !(f0 < f1) || end > rep.DurationS+0.001 {
				t.Errorf("csv row %v: want numbers with start < end ≤ %v s", r, rep.DurationS)
			}
			if !tc.MatchString(r[6]) || !tc.MatchString(r[7]) {
				t.Errorf("csv row %v: timecodes are not HH:MM:SS:FF", r)
			}
		}
	})

	t.Run("edl", func(t *testing.T) {
		edl := export(t, "edl")
		if !strings.HasPrefix(edl, "TITLE: ") || !strings.Contains(edl, "FCM: ") {
			t.Errorf("edl does not start with TITLE and FCM:\n%s", edl)
		}
		// "001  AX       V     C        01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00"
		event := regexp.MustCompile(`(?m)^\d{3}  \S+\s+V\s+C\s+(\d\d:\d\d:\d\d:\d\d) (\d\d:\d\d:\d\d:\d\d) (\d\d:\d\d:\d\d:\d\d) (\d\d:\d\d:\d\d:\d\d)$`)
		events := event.FindAllStringSubmatch(edl, -1)
		if len(events) != segments {
			t.Errorf("edl has %d events, the json report %d segments:\n%s", len(events), segments, edl)
		}
		for _, e := range events {
			if !(e[1] < e[2]) || e[1] != e[3] || e[2] != e[4] { // same-width timecodes sort as text
				t.Errorf("edl event %q: want source in < out, record = source", e[0])
			}
		}
	})

	t.Run("fcpxml", func(t *testing.T) {
		var doc struct {
			XMLName xml.Name
			Version string `xml:"version,attr"`
		}
		body := export(t, "fcpxml")
		if err := xml.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("fcpxml does not parse as XML: %v\n%s", err, body)
		}
		if doc.XMLName.Local != "fcpxml" || doc.Version == "" {
			t.Errorf("fcpxml root <%s version=%q>, want <fcpxml version=…>", doc.XMLName.Local, doc.Version)
		}
		// Every person is named in a marker or a clip of the timeline.
		for _, p := range rep.People {
			if !strings.Contains(body, p.Label) {
				t.Errorf("fcpxml does not name %s", p.Label)
			}
		}
	})

	t.Run("otio", func(t *testing.T) {
		var tl map[string]any
		if err := json.Unmarshal([]byte(export(t, "otio")), &tl); err != nil {
			t.Fatalf("otio does not parse as JSON: %v", err)
		}
		if tl["OTIO_SCHEMA"] != "Timeline.1" {
			t.Errorf("otio root schema %v, want Timeline.1", tl["OTIO_SCHEMA"])
		}
	})

	t.Run("export-json rewrites the JSON files", func(t *testing.T) {
		files, err := filepath.Glob(filepath.Join(data, "data", "jobs", "*", "meta.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no data/jobs/*/meta.json after a run: %v", err)
		}
		files = append(files, filepath.Join(data, "episodes", key, "state.json"))
		before := map[string]any{}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			before[f] = v
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
		code, stdout, stderr := run(t, "export-json", "--data", data)
		if code != ExitOK {
			t.Fatalf("export-json: exit %d\n%s%s", code, stdout, stderr)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Errorf("export-json did not write %s: %v", f, err)
				continue
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			want, _ := json.Marshal(before[f])
			got, _ := json.Marshal(v)
			if !bytes.Equal(want, got) {
				t.Errorf("%s differs after export-json:\nbefore %s\nafter  %s", f, want, got)
			}
		}
	})

	t.Run("inspect --json", func(t *testing.T) {
		code, stdout, stderr := run(t, "inspect", key, "--json", "--data", data)
		if code != ExitOK {
			t.Fatalf("inspect --json: exit %d\n%s%s", code, stdout, stderr)
		}
		var r struct {
			EpisodeKey string `json:"episode_key"`
			Registry   struct {
				Exists bool            `json:"exists"`
				States map[string]bool `json:"states"`
			} `json:"registry"`
			Jobs []struct {
				EpisodeKey string `json:"episode_key"`
				Stages     []struct {
					Name   string `json:"name"`
					Status string `json:"status"`
				} `json:"stages"`
			} `json:"jobs"`
			Artifacts struct {
				Dir    string `json:"dir"`
				Exists bool   `json:"exists"`
				Files  []struct {
					Name      string `json:"name"`
					Exists    bool   `json:"exists"`
					SizeBytes int64  `json:"size_bytes"`
				} `json:"files"`
			} `json:"artifacts"`
		}
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("inspect --json does not parse: %v\n%s", err, stdout)
		}
		if r.EpisodeKey != key || !r.Registry.Exists {
			t.Errorf("inspect names %q (registered %v), want %s", r.EpisodeKey, r.Registry.Exists, key)
		}
		for _, s := range []string{"validated", "extracted_frames", "detected", "tracked", "clustered", "analyzed"} {
			if !r.Registry.States[s] {
				t.Errorf("inspect: episode state %s not set: %v", s, r.Registry.States)
			}
		}
		if len(r.Jobs) != 1 {
			t.Fatalf("inspect lists %d jobs, want the run's 1", len(r.Jobs))
		}
		j := r.Jobs[0]
		var names []string
		for _, s := range j.Stages {
			names = append(names, s.Name)
			if s.Status != "ok" {
				t.Errorf("job stage %s: %s, want ok", s.Name, s.Status)
			}
		}
		if j.EpisodeKey != key || len(j.Stages) != 6 {
			t.Errorf("job of %q with stages %v, want 6 stages of %s", j.EpisodeKey, names, key)
		}
		if !r.Artifacts.Exists || len(r.Artifacts.Files) == 0 {
			t.Fatalf("inspect artifacts: %+v", r.Artifacts)
		}
		for _, f := range r.Artifacts.Files {
			// The report names the folder relative to the data folder.
			st, err := os.Stat(filepath.Join(data, r.Artifacts.Dir, f.Name))
			if !f.Exists || err != nil || st.Size() != f.SizeBytes {
				t.Errorf("artifact %s: inspect says exists=%v size=%d; on disk %v", f.Name, f.Exists, f.SizeBytes, err)
			}
		}
	})
}
