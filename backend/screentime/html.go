package screentime

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"castscope/backend/errs"
)

// RunInfo is what the HTML run report states besides the numbers: how
// they were made.
type RunInfo struct {
	Title       string            // e.g. the episode's file name
	GeneratedAt time.Time         // shown in UTC
	Settings    map[string]string // e.g. "cluster threshold": "0.5"
	Models      map[string]string // e.g. "detector": "retinaface-mnet025 sha256:…"
	Rate        Rate              // for timecodes; zero shows seconds only
	StartTC     string            // the source's start timecode
}

var htmlReport = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(v float64) string { return fmt.Sprintf("%.1f %%", v*100) },
	"s":   func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"clock": func(v float64) string {
		ms := int64(v*1000 + 0.5)
		return fmt.Sprintf("%d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
	},
	"bar": func(v, maxV float64) string {
		if maxV <= 0 {
			return "0"
		}
		return fmt.Sprintf("%.1f", v/maxV*100)
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Screen time — {{.Title}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}
table{border-collapse:collapse;margin:1em 0}td,th{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}.bar{background:#4a78c2;height:.8em;display:inline-block}
.seg{font-family:ui-monospace,monospace;font-size:12px}@media print{body{margin:0}}
</style></head><body>
<h1>Screen time — {{.Title}}</h1>
<p>Episode <b>{{.Report.EpisodeKey}}</b>, {{s .Report.DurationS}} s{{if .Generated}}, report made {{.Generated}}{{end}}.</p>
<table><tr><th>Person</th><th>Screen time (s)</th><th>± margin (s)</th><th>From profiles only (s)</th><th>Share</th><th>Appearances</th><th>First</th><th>Last</th><th>Shared (s)</th><th></th></tr>
{{range .Report.People}}<tr><td>{{.Label}}</td><td>{{s .ScreenTimeS}}</td><td>{{s .MarginS}}</td><td>{{s .ProfileS}}</td><td>{{pct .Share}}</td><td>{{.Appearances}}</td><td>{{clock .FirstS}}</td><td>{{clock .LastS}}</td><td>{{s .OverlapS}}</td><td style="width:30%"><span class="bar" style="width:{{bar .ScreenTimeS $.Max}}%"></span></td></tr>
{{end}}<tr><td><i>unidentified</i></td><td>{{s .Report.Unidentified.ScreenTimeS}}</td><td>{{s .Report.Unidentified.MarginS}}</td><td></td><td></td><td>{{len .Report.Unidentified.Segments}}</td><td></td><td></td><td></td><td></td></tr>
</table>
<p>Faces of identified people are on screen {{s .Report.FacesOnScreenS}} s in all; time shared by several people counts for each of them.</p>
<h2>Method</h2>
<p>Faces are detected on frames sampled every {{s .Report.SampleIntervalS}} s, linked into tracks and grouped into people.
A face seen on consecutive samples is on screen for the whole interval between them; gaps up to {{s .Report.BridgeS}} s
(preset <b>{{.Report.Preset}}</b>) are bridged, longer gaps are off screen. Each sample stands for half an interval either
side, so every segment edge is uncertain by ± half a sample: the margin is one sample interval per segment.
A person's time is the union of their segments; the segment list below sums exactly to the table.</p>
{{if .Settings}}<h2>Settings</h2><table>{{range $k, $v := .Settings}}<tr><td>{{$k}}</td><td>{{$v}}</td></tr>{{end}}</table>{{end}}
{{if .Models}}<h2>Models</h2><table>{{range $k, $v := .Models}}<tr><td>{{$k}}</td><td>{{$v}}</td></tr>{{end}}</table>{{end}}
<h2>Segments</h2>
{{range .Segments}}<h3>{{.Label}}</h3><p class="seg">{{range .Lines}}{{.}}<br>{{end}}</p>
{{end}}</body></html>
`))

// WriteHTML writes a self-contained, printable run report: totals, method,
// settings, model versions, margins and every segment.
func WriteHTML(w io.Writer, r Report, info RunInfo) error {
	type segs struct {
		Label string
		Lines []string
	}
	var start int64
	if info.Rate.valid() && info.StartTC != "" {
		f, err := info.Rate.ParseTimecode(info.StartTC)
		if err != nil {
			return err
		}
		start = f
	}
	line := func(s Segment) string {
		l := fmt.Sprintf("%9.3f – %9.3f s (%.3f s)", s.StartS, s.EndS, s.EndS-s.StartS)
		if info.Rate.valid() {
			l += "  " + info.Rate.Timecode(start+info.Rate.FramesFromMs(s.StartMs)) + " – " + info.Rate.Timecode(start+info.Rate.FramesFromMs(s.EndMs))
		}
		return l
	}
	data := struct {
		Title, Generated string
		Report           Report
		Max              float64
		Settings, Models map[string]string
		Segments         []segs
	}{Title: info.Title, Report: r, Settings: info.Settings, Models: info.Models}
	if data.Title == "" {
		data.Title = r.EpisodeKey
	}
	if !info.GeneratedAt.IsZero() {
		data.Generated = info.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	for _, p := range r.People {
		data.Max = max(data.Max, p.ScreenTimeS)
		sg := segs{Label: p.Label}
		for _, s := range p.Segments {
			sg.Lines = append(sg.Lines, line(s))
		}
		data.Segments = append(data.Segments, sg)
	}
	if err := htmlReport.Execute(w, data); err != nil {
		return fmt.Errorf("screentime: write html: %w", err)
	}
	return nil
}

// ParseClock reads a moment typed by a user — seconds ("75.5"), M:SS,
// H:MM:SS (fractions allowed in the last field) — into ms. The error is
// typed for the user.
func ParseClock(s string) (int64, error) {
	v, err := parseSeconds(strings.TrimSpace(s))
	if err != nil {
		return 0, errs.New(errs.Usage, fmt.Sprintf("%q is not a time.", s), "Write a time as seconds, MM:SS or HH:MM:SS, e.g. 12:34.")
	}
	return int64(v*1000 + 0.5), nil
}
