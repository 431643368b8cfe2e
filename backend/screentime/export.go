package screentime

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"castscope/backend/errs"
)

// ExportOptions describe the source clip the markers belong to.
type ExportOptions struct {
	Rate                Rate   // source frame rate (required)
	StartTC             string // the file's start timecode; "" is 00:00:00:00
	Title               string // EDL title / project name; default the episode key
	ClipName            string // source clip name; default the media file's base name
	MediaPath           string // absolute path of the media file (FCPXML, OTIO)
	Reel                string // EDL reel name, at most 8 characters; default "AX"
	Person              string // only this label (case ignored); "" is everyone
	IncludeUnidentified bool   // add the unidentified faces as a person "unidentified"
	Width, Height       int    // FCPXML format; default 1920×1080
}

// Format is an export format name of `castscope export --format`.
type Format string

// The export formats.
const (
	FormatCSV    Format = "csv"    // segments CSV
	FormatJSON   Format = "json"   // screentime.json
	FormatEDL    Format = "edl"    // CMX3600
	FormatFCPXML Format = "fcpxml" // FCPXML 1.9
	FormatOTIO   Format = "otio"   // OpenTimelineIO JSON
)

// Export writes r in format f.
func Export(w io.Writer, f Format, r Report, o ExportOptions) error {
	switch f {
	case FormatCSV:
		return WriteSegmentsCSV(w, r, o)
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatEDL:
		return WriteEDL(w, r, o)
	case FormatFCPXML:
		return WriteFCPXML(w, r, o)
	case FormatOTIO:
		return WriteOTIO(w, r, o)
	}
	return errs.New(errs.Usage, fmt.Sprintf("Unknown export format %q.", f), "Use csv, json, edl, fcpxml or otio.")
}

// mark is one segment of one person, in source frames (start TC included).
type mark struct {
	person   int // index in the exported people
	label    string
	id       int64
	in, out  int64 // frames; out exclusive
	seg      Segment
	segIndex int // 1-based within the person
}

type clip struct {
	rate      Rate
	start     int64 // start timecode in frames
	dur       int64 // clip duration in frames
	marks     []mark
	labels    []string
	title     string
	name      string
	mediaPath string
}

func prepare(r Report, o ExportOptions) (clip, error) {
	if !o.Rate.valid() {
		return clip{}, errs.New(errs.Usage, "The export has no frame rate.", "Validate the episode again so its frame rate is known.")
	}
	if o.Rate.Drop && o.Rate.dropPerMinute() == 0 {
		return clip{}, errs.New(errs.Usage, fmt.Sprintf("Drop-frame timecode does not exist at %s fps.", o.Rate), "Use drop-frame only with 29.97 or 59.94 fps.")
	}
	c := clip{rate: o.Rate, title: cmp.Or(o.Title, r.EpisodeKey, "Castscope"), mediaPath: o.MediaPath}
	c.name = cmp.Or(o.ClipName, strings.TrimSuffix(filepath.Base(o.MediaPath), filepath.Ext(o.MediaPath)))
	if o.MediaPath == "" && o.ClipName == "" {
		c.name = cmp.Or(r.EpisodeKey, "clip")
	}
	if o.StartTC != "" {
		f, err := o.Rate.ParseTimecode(o.StartTC)
		if err != nil {
			return clip{}, err
		}
		c.start = f
	}
	c.dur = max(o.Rate.FramesFromMs(msOf(r.DurationS)), 1)
	type row struct {
		label string
		id    int64
		segs  []Segment
	}
	var rows []row
	for _, p := range r.People {
		if o.Person != "" && !strings.EqualFold(strings.TrimSpace(p.Label), strings.TrimSpace(o.Person)) {
			continue
		}
		rows = append(rows, row{p.Label, p.IdentityID, p.Segments})
	}
	if o.Person != "" && len(rows) == 0 {
		return clip{}, errs.New(errs.Usage, fmt.Sprintf("No person is labelled %q in this episode.", o.Person), "Check the names in the Cast view.")
	}
	if o.IncludeUnidentified && o.Person == "" {
		rows = append(rows, row{"unidentified", 0, r.Unidentified.Segments})
	}
	for pi, rw := range rows {
		c.labels = append(c.labels, rw.label)
		for si, s := range rw.segs {
			in := o.Rate.FramesFromMs(s.StartMs)
			out := max(o.Rate.FramesFromMs(s.EndMs), in+1)
			c.marks = append(c.marks, mark{person: pi, label: rw.label, id: rw.id, in: c.start + in, out: c.start + out, seg: s, segIndex: si + 1})
		}
	}
	slices.SortStableFunc(c.marks, func(a, b mark) int {
		return cmp.Or(cmp.Compare(a.in, b.in), cmp.Compare(a.person, b.person))
	})
	return c, nil
}

// WriteSegmentsCSV writes one row per segment per person, with source
// timecodes.
func WriteSegmentsCSV(w io.Writer, r Report, o ExportOptions) error {
	c, err := prepare(r, o)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	rows := [][]string{{"label", "identity_id", "segment", "start_s", "end_s", "duration_s", "start_tc", "end_tc", "start_frame", "end_frame"}}
	for _, m := range c.marks {
		rows = append(rows, []string{m.label, strconv.FormatInt(m.id, 10), strconv.Itoa(m.segIndex),
			f3(m.seg.StartS), f3(m.seg.EndS), f3(m.seg.EndS - m.seg.StartS),
			c.rate.Timecode(m.in), c.rate.Timecode(m.out), strconv.FormatInt(m.in, 10), strconv.FormatInt(m.out, 10)})
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("screentime: write segments csv: %w", err)
	}
	return nil
}

// edlColors cycle per person for EDL locators.
var edlColors = []string{"RED", "GREEN", "BLUE", "CYAN", "MAGENTA", "YELLOW", "WHITE", "BLACK"}

// WriteEDL writes a CMX3600 EDL: one cut event per segment per person,
// source and record timecodes both the source's (keyed to source
// timecode), each with the clip name, a locator and a comment naming the
// person. Event lines follow the CMX3600 columns: event 1–3, reel 6–13,
// channel 15–20, transition 21–24, duration 26–28, timecodes at 30, 42,
// 54 and 66 (76 characters). Event numbers wrap after 999.
func WriteEDL(w io.Writer, r Report, o ExportOptions) error {
	c, err := prepare(r, o)
	if err != nil {
		return err
	}
	reel := cmp.Or(o.Reel, "AX")
	if len(reel) > 8 || strings.ContainsAny(reel, " \t") {
		return errs.New(errs.Usage, fmt.Sprintf("The EDL reel name %q is longer than 8 characters or has spaces.", reel), "Use a reel name of at most 8 characters without spaces.")
	}
	var b strings.Builder
	title := edlText(c.title)
	if len(title) > 70 {
		title = title[:70]
	}
	fmt.Fprintf(&b, "TITLE: %s\n", title)
	if c.rate.Drop {
		b.WriteString("FCM: DROP FRAME\n")
	} else {
		b.WriteString("FCM: NON-DROP FRAME\n")
	}
	for i, m := range c.marks {
		in, out := c.rate.Timecode(m.in), c.rate.Timecode(m.out)
		fmt.Fprintf(&b, "\n%03d  %-8s %-6s%-4s %3s %s %s %s %s\n", i%999+1, reel, "V", "C", "", in, out, in, out)
		fmt.Fprintf(&b, "* FROM CLIP NAME: %s\n", edlText(c.name))
		fmt.Fprintf(&b, "* LOC: %s %-7s %s\n", in, edlColors[m.person%len(edlColors)], edlText(m.label))
		fmt.Fprintf(&b, "* COMMENT: %s %d/%d %.3fS-%.3fS\n", edlText(m.label), m.segIndex, countOf(c.marks, m.person), m.seg.StartS, m.seg.EndS)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("screentime: write edl: %w", err)
	}
	return nil
}

func countOf(ms []mark, person int) int {
	n := 0
	for _, m := range ms {
		if m.person == person {
			n++
		}
	}
	return n
}

// edlText keeps EDL comments on one ASCII line.
func edlText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// rational writes frames of rate r as an FCPXML time ("1001/24000s", "4s").
func rational(frames int64, r Rate) string {
	if frames == 0 {
		return "0s"
	}
	n, d := frames*r.Den, r.Num
	g := gcd(abs(n), d)
	n, d = n/g, d/g
	if d == 1 {
		return strconv.FormatInt(n, 10) + "s"
	}
	return fmt.Sprintf("%d/%ds", n, d)
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return max(a, 1)
}

func abs(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}

func fileURL(p string) string {
	if p == "" {
		return ""
	}
	p = filepath.ToSlash(p)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows drive paths: file:///C:/…
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// fcpFormatNames are Final Cut Pro's names of the 1080p formats by rate.
var fcpFormatNames = map[[2]int64]string{
	{24000, 1001}: "2398", {24, 1}: "24", {25, 1}: "25", {30000, 1001}: "2997",
	{30, 1}: "30", {50, 1}: "50", {60000, 1001}: "5994", {60, 1}: "60",
}

// WriteFCPXML writes FCPXML 1.9: the source as an asset, a project whose
// sequence holds the whole clip (starting at the source timecode), and on
// the clip a marker at the start of each segment plus a keyword over it,
// both named after the person.
func WriteFCPXML(w io.Writer, r Report, o ExportOptions) error {
	c, err := prepare(r, o)
	if err != nil {
		return err
	}
	tcf := "NDF"
	if c.rate.Drop {
		tcf = "DF"
	}
	wd, ht := cmp.Or(o.Width, 1920), cmp.Or(o.Height, 1080)
	fd := rational(1, c.rate)
	start, dur := rational(c.start, c.rate), rational(c.dur, c.rate)
	var b strings.Builder
	esc := func(s string) string {
		var e strings.Builder
		_ = xml.EscapeText(&e, []byte(s))
		return strings.ReplaceAll(e.String(), `"`, "&quot;")
	}
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE fcpxml>\n")
	b.WriteString("<fcpxml version=\"1.9\">\n  <resources>\n")
	name := ""
	if n, ok := fcpFormatNames[[2]int64{c.rate.Num, c.rate.Den}]; ok && wd == 1920 && ht == 1080 {
		name = fmt.Sprintf(" name=\"FFVideoFormat1080p%s\"", n)
	}
	fmt.Fprintf(&b, "    <format id=\"r1\"%s frameDuration=\"%s\" width=\"%d\" height=\"%d\"/>\n", name, fd, wd, ht)
	fmt.Fprintf(&b, "    <asset id=\"r2\" name=\"%s\" start=\"%s\" duration=\"%s\" hasVideo=\"1\" format=\"r1\" videoSources=\"1\">\n", esc(c.name), start, dur)
	src := fileURL(c.mediaPath)
	if src == "" {
		src = "file:///" + url.PathEscape(c.name)
	}
	fmt.Fprintf(&b, "      <media-rep kind=\"original-media\" src=\"%s\"/>\n    </asset>\n  </resources>\n", esc(src))
	fmt.Fprintf(&b, "  <library>\n    <event name=\"Castscope\">\n      <project name=\"%s\">\n", esc(c.title+" screen time"))
	fmt.Fprintf(&b, "        <sequence format=\"r1\" duration=\"%s\" tcStart=\"%s\" tcFormat=\"%s\">\n          <spine>\n", dur, start, tcf)
	fmt.Fprintf(&b, "            <asset-clip ref=\"r2\" name=\"%s\" offset=\"%s\" start=\"%s\" duration=\"%s\" format=\"r1\" tcFormat=\"%s\">\n", esc(c.name), start, start, dur, tcf)
	for _, m := range c.marks {
		fmt.Fprintf(&b, "              <marker start=\"%s\" duration=\"%s\" value=\"%s\" note=\"%s\"/>\n",
			rational(m.in, c.rate), fd, esc(m.label), esc(fmt.Sprintf("%s %d/%d, %.3f s", m.label, m.segIndex, countOf(c.marks, m.person), m.seg.EndS-m.seg.StartS)))
		fmt.Fprintf(&b, "              <keyword start=\"%s\" duration=\"%s\" value=\"%s\"/>\n", rational(m.in, c.rate), rational(m.out-m.in, c.rate), esc(m.label))
	}
	b.WriteString("            </asset-clip>\n          </spine>\n        </sequence>\n      </project>\n    </event>\n  </library>\n</fcpxml>\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("screentime: write fcpxml: %w", err)
	}
	return nil
}

// OpenTimelineIO JSON schema objects.
type otioTime struct {
	Schema string  `json:"OTIO_SCHEMA"`
	Rate   float64 `json:"rate"`
	Value  float64 `json:"value"`
}

type otioRange struct {
	Schema   string   `json:"OTIO_SCHEMA"`
	Duration otioTime `json:"duration"`
	Start    otioTime `json:"start_time"`
}

// WriteOTIO writes an OpenTimelineIO timeline (JSON): one video track
// holding the source clip, with a marker per segment per person whose
// marked range is in the clip's source (timecode) time.
func WriteOTIO(w io.Writer, r Report, o ExportOptions) error {
	c, err := prepare(r, o)
	if err != nil {
		return err
	}
	rate := c.rate.FPS()
	rt := func(f int64) otioTime { return otioTime{"RationalTime.1", rate, float64(f)} }
	tr := func(start, dur int64) otioRange { return otioRange{"TimeRange.1", rt(dur), rt(start)} }
	markers := []any{}
	colors := []string{"RED", "GREEN", "BLUE", "CYAN", "MAGENTA", "YELLOW", "WHITE", "BLACK"}
	for _, m := range c.marks {
		markers = append(markers, map[string]any{
			"OTIO_SCHEMA":  "Marker.2",
			"name":         m.label,
			"color":        colors[m.person%len(colors)],
			"comment":      fmt.Sprintf("%s %d/%d", m.label, m.segIndex, countOf(c.marks, m.person)),
			"marked_range": tr(m.in, m.out-m.in),
			"metadata":     map[string]any{"castscope": map[string]any{"identity_id": m.id, "start_s": m.seg.StartS, "end_s": m.seg.EndS}},
		})
	}
	ref := map[string]any{
		"OTIO_SCHEMA":     "ExternalReference.1",
		"name":            "",
		"metadata":        map[string]any{},
		"available_range": tr(c.start, c.dur),
		"target_url":      fileURL(c.mediaPath),
	}
	timeline := map[string]any{
		"OTIO_SCHEMA":       "Timeline.1",
		"name":              c.title + " screen time",
		"metadata":          map[string]any{"castscope": map[string]any{"episode_key": r.EpisodeKey, "preset": r.Preset, "sample_interval_s": r.SampleIntervalS}},
		"global_start_time": rt(c.start),
		"tracks": map[string]any{
			"OTIO_SCHEMA": "Stack.1", "name": "tracks", "enabled": true, "metadata": map[string]any{}, "source_range": nil,
			"effects": []any{}, "markers": []any{},
			"children": []any{map[string]any{
				"OTIO_SCHEMA": "Track.1", "name": "V1", "kind": "Video", "enabled": true, "metadata": map[string]any{}, "source_range": nil,
				"effects": []any{}, "markers": []any{},
				"children": []any{map[string]any{
					"OTIO_SCHEMA": "Clip.2", "name": c.name, "enabled": true, "metadata": map[string]any{},
					"source_range": tr(c.start, c.dur), "effects": []any{}, "markers": markers,
					"media_references":           map[string]any{"DEFAULT_MEDIA": ref},
					"active_media_reference_key": "DEFAULT_MEDIA",
				}},
			}},
		},
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(timeline); err != nil {
		return fmt.Errorf("screentime: write otio: %w", err)
	}
	return nil
}
