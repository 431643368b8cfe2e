package screentime

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// WriteJSON writes the report as screentime.json (indented).
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("screentime: write json: %w", err)
	}
	return nil
}

// ReadJSON reads a report written by WriteJSON.
func ReadJSON(rd io.Reader) (Report, error) {
	var r Report
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return Report{}, fmt.Errorf("screentime: read json: %w", err)
	}
	return r, nil
}

func f3(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
func f4(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

// WriteCSV writes screentime.csv: one row per person, then the
// unidentified row (identity_id 0).
func WriteCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	rows := [][]string{{"identity_id", "label", "screen_time_s", "margin_s", "share", "appearances", "first_s", "last_s", "overlap_s", "tracks"}}
	for _, p := range r.People {
		rows = append(rows, []string{strconv.FormatInt(p.IdentityID, 10), p.Label, f3(p.ScreenTimeS), f3(p.MarginS), f4(p.Share),
			strconv.Itoa(p.Appearances), f3(p.FirstS), f3(p.LastS), f3(p.OverlapS), strconv.Itoa(p.Tracks)})
	}
	u := r.Unidentified
	share := 0.0
	if r.DurationS > 0 {
		share = u.ScreenTimeS / r.DurationS
	}
	first, last := 0.0, 0.0
	if n := len(u.Segments); n > 0 {
		first, last = u.Segments[0].StartS, u.Segments[n-1].EndS
	}
	rows = append(rows, []string{"0", "unidentified", f3(u.ScreenTimeS), f3(u.MarginS), f4(share),
		strconv.Itoa(len(u.Segments)), f3(first), f3(last), "", strconv.Itoa(u.Tracks)})
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("screentime: write csv: %w", err)
	}
	return nil
}

// SegmentRow is one row of segments.parquet: a segment of a person (or of
// the unidentified faces, IdentityID 0). Per identity, the durations sum
// exactly to the report's screen time.
type SegmentRow struct {
	IdentityID int64  `json:"identity_id"`
	Label      string `json:"label"`
	Index      int    `json:"index"` // 1-based within the person
	StartMs    int64  `json:"start_ms"`
	EndMs      int64  `json:"end_ms"`
}

// SegmentRows flattens the report's segments, people first (in report
// order), then the unidentified faces.
func (r Report) SegmentRows() []SegmentRow {
	var out []SegmentRow
	for _, p := range r.People {
		for i, s := range p.Segments {
			out = append(out, SegmentRow{IdentityID: p.IdentityID, Label: p.Label, Index: i + 1, StartMs: s.StartMs, EndMs: s.EndMs})
		}
	}
	for i, s := range r.Unidentified.Segments {
		out = append(out, SegmentRow{Label: "unidentified", Index: i + 1, StartMs: s.StartMs, EndMs: s.EndMs})
	}
	return out
}
