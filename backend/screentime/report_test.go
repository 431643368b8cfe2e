package screentime_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"castscope/backend/errs"
	"castscope/backend/screentime"
)

func TestWriteHTML(t *testing.T) {
	t.Parallel()
	rep := fixture(t)
	var buf bytes.Buffer
	err := screentime.WriteHTML(&buf, rep, screentime.RunInfo{
		GeneratedAt: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		Settings:    map[string]string{"cluster threshold": "0.5"},
		Models:      map[string]string{"detector": "retinaface-mnet025"},
		Rate:        screentime.Rate25, StartTC: "10:00:00:00",
	})
	if err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{
		"<title>Screen time — rhobh_s05_e03</title>",
		"Kyle Richards", "Lisa &amp; &#34;Ken&#34;", // escaped
		"2026-01-02 03:04 UTC", "cluster threshold", "retinaface-mnet025",
		"10:00:00:23 – 10:00:04:03", // first Kyle segment 0.9–4.1 s at 25 fps (22.5 frames rounds up)
		"preset <b>default</b>",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %q", want)
		}
	}
}

func TestParseClock(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"75.5": 75500, "1:15.5": 75500, "01:02:03": 3723000, " 0:07 ": 7000} {
		if got, err := screentime.ParseClock(in); err != nil || got != want {
			t.Errorf("ParseClock(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1:2:3:4", "x", "-3", "1.5:00"} {
		if _, err := screentime.ParseClock(in); !errs.HasCode(err, errs.Usage) {
			t.Errorf("ParseClock(%q): %v, want a usage error", in, err)
		}
	}
}

func TestJSONRoundTripExportsAlike(t *testing.T) {
	t.Parallel()
	rep := fixture(t)
	var js bytes.Buffer
	if err := screentime.WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	back, err := screentime.ReadJSON(&js)
	if err != nil {
		t.Fatal(err)
	}
	o := screentime.ExportOptions{Rate: screentime.Rate2997DF, StartTC: "01:00:00;00", IncludeUnidentified: true}
	for _, f := range []screentime.Format{screentime.FormatEDL, screentime.FormatFCPXML, screentime.FormatOTIO, screentime.FormatCSV} {
		var a, b bytes.Buffer
		if err := screentime.Export(&a, f, rep, o); err != nil {
			t.Fatal(err)
		}
		if err := screentime.Export(&b, f, back, o); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Errorf("%s export differs after a JSON round trip", f)
		}
	}
}

func TestSegmentRowsSumToReport(t *testing.T) {
	t.Parallel()
	rep := fixture(t)
	sums := map[int64]int64{}
	rows := rep.SegmentRows()
	for _, r := range rows {
		sums[r.IdentityID] += r.EndMs - r.StartMs
	}
	for _, p := range rep.People {
		if float64(sums[p.IdentityID])/1000 != p.ScreenTimeS {
			t.Errorf("%s: rows sum to %d ms, report says %v s", p.Label, sums[p.IdentityID], p.ScreenTimeS)
		}
	}
	if float64(sums[0])/1000 != rep.Unidentified.ScreenTimeS {
		t.Errorf("unidentified rows sum to %d ms, report %v s", sums[0], rep.Unidentified.ScreenTimeS)
	}
	if len(rows) != 5 || rows[len(rows)-1].Label != "unidentified" {
		t.Fatalf("rows %+v", rows)
	}
}
