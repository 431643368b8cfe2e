package screentime

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

var edlEvent = regexp.MustCompile(`^(\d{3})  (.{8}) (.{6})(.{4}) (.{3}) (\d\d:\d\d:\d\d[:;]\d\d) (\d\d:\d\d:\d\d[:;]\d\d) (\d\d:\d\d:\d\d[:;]\d\d) (\d\d:\d\d:\d\d[:;]\d\d)$`)

// ValidateEDL checks a CMX3600 EDL against the format's rules that can be
// checked offline: a TITLE line (≤ 70 characters) then FCM; every event
// line in fixed columns (76 characters) with a three-digit event number,
// reel of at most 8 characters, channel, transition, timecodes valid at
// rate with the separator FCM implies, and out after in; comments start
// with "*". It returns the first problem found.
func ValidateEDL(data []byte, rate Rate) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	drop := false
	prevEvent := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		bad := func(format string, a ...any) error {
			return fmt.Errorf("screentime: edl line %d: %s: %q", n, fmt.Sprintf(format, a...), line)
		}
		switch {
		case n == 1:
			if !strings.HasPrefix(line, "TITLE: ") || len(line) > 77 {
				return bad("want a TITLE of at most 70 characters")
			}
		case n == 2:
			switch line {
			case "FCM: DROP FRAME":
				drop = true
			case "FCM: NON-DROP FRAME":
			default:
				return bad("want FCM")
			}
			if drop != rate.Drop {
				return bad("FCM does not match the rate %s", rate)
			}
		case line == "" || strings.HasPrefix(line, "*"):
		case strings.HasPrefix(line, "FCM: "):
		default:
			if len(line) != 76 {
				return bad("event line has %d characters, want 76", len(line))
			}
			m := edlEvent.FindStringSubmatch(line)
			if m == nil {
				return bad("event line is not in CMX3600 columns")
			}
			ev, _ := strconv.Atoi(m[1])
			if ev != prevEvent%999+1 {
				return bad("event %d follows %d", ev, prevEvent)
			}
			prevEvent = ev
			if strings.TrimSpace(m[2]) == "" || strings.Contains(strings.TrimSpace(m[2]), " ") {
				return bad("bad reel")
			}
			if ch := strings.TrimSpace(m[3]); ch != "V" && ch != "A" && ch != "B" && ch != "AA" && ch != "A2" && ch != "AA/V" {
				return bad("bad channel %q", ch)
			}
			if t := strings.TrimSpace(m[4]); t != "C" {
				return bad("unsupported transition %q", t)
			}
			var f [4]int64
			for i := range 4 {
				tc := m[6+i]
				if strings.Contains(tc, ";") != drop {
					return bad("timecode %s does not match FCM", tc)
				}
				v, err := rate.ParseTimecode(tc)
				if err != nil {
					return bad("%v", err)
				}
				f[i] = v
			}
			if f[1] <= f[0] || f[3] <= f[2] {
				return bad("out is not after in")
			}
			if f[1]-f[0] != f[3]-f[2] {
				return bad("source and record durations differ")
			}
		}
	}
	if n < 2 {
		return fmt.Errorf("screentime: edl: want TITLE and FCM lines")
	}
	return sc.Err()
}

// fcpxmlDoc is the subset of FCPXML that ValidateFCPXML reads.
type fcpxmlDoc struct {
	XMLName   xml.Name `xml:"fcpxml"`
	Version   string   `xml:"version,attr"`
	Resources struct {
		Formats []struct {
			ID            string `xml:"id,attr"`
			FrameDuration string `xml:"frameDuration,attr"`
		} `xml:"format"`
		Assets []struct {
			ID       string `xml:"id,attr"`
			Start    string `xml:"start,attr"`
			Duration string `xml:"duration,attr"`
			Format   string `xml:"format,attr"`
			Reps     []struct {
				Kind string `xml:"kind,attr"`
				Src  string `xml:"src,attr"`
			} `xml:"media-rep"`
		} `xml:"asset"`
	} `xml:"resources"`
	Events []struct {
		Name     string `xml:"name,attr"`
		Projects []struct {
			Name     string `xml:"name,attr"`
			Sequence struct {
				Format   string `xml:"format,attr"`
				Duration string `xml:"duration,attr"`
				TCStart  string `xml:"tcStart,attr"`
				TCFormat string `xml:"tcFormat,attr"`
				Clips    []struct {
					Ref      string `xml:"ref,attr"`
					Offset   string `xml:"offset,attr"`
					Start    string `xml:"start,attr"`
					Duration string `xml:"duration,attr"`
					Markers  []struct {
						Start    string `xml:"start,attr"`
						Duration string `xml:"duration,attr"`
						Value    string `xml:"value,attr"`
					} `xml:"marker"`
					Keywords []struct {
						Start    string `xml:"start,attr"`
						Duration string `xml:"duration,attr"`
						Value    string `xml:"value,attr"`
					} `xml:"keyword"`
				} `xml:"spine>asset-clip"`
			} `xml:"sequence"`
		} `xml:"project"`
	} `xml:"library>event"`
}

// parseTime reads an FCPXML time ("0s", "5s", "1001/24000s") as num/den.
func parseTime(s string) (num, den int64, err error) {
	if !strings.HasSuffix(s, "s") {
		return 0, 0, fmt.Errorf("time %q lacks the s suffix", s)
	}
	s = strings.TrimSuffix(s, "s")
	a, b, ok := strings.Cut(s, "/")
	num, err = strconv.ParseInt(a, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("time %q: %w", s, err)
	}
	den = 1
	if ok {
		den, err = strconv.ParseInt(b, 10, 64)
		if err != nil || den <= 0 {
			return 0, 0, fmt.Errorf("time %q: bad denominator", s)
		}
	}
	return num, den, nil
}

// ValidateFCPXML checks what the FCPXML 1.9 DTD and Final Cut Pro
// require that can be checked offline: well-formed XML; a version; every
// format with an id and frameDuration; every asset with id, start,
// duration, a known format and a media-rep with kind and src; a project
// whose sequence names a known format with a tcFormat; asset-clips that
// reference assets; every time a rational ending in s and a whole number
// of frames; markers and keywords within their clip with a value and a
// positive duration.
func ValidateFCPXML(data []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	for { // well-formed
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("screentime: fcpxml is not well-formed: %w", err)
		}
	}
	var d fcpxmlDoc
	if err := xml.Unmarshal(data, &d); err != nil {
		return fmt.Errorf("screentime: fcpxml: %w", err)
	}
	if d.Version == "" {
		return fmt.Errorf("screentime: fcpxml: no version")
	}
	frame := map[string][2]int64{}
	for _, f := range d.Resources.Formats {
		n, dd, err := parseTime(f.FrameDuration)
		if f.ID == "" || err != nil || n <= 0 {
			return fmt.Errorf("screentime: fcpxml: format %q: bad frameDuration %q", f.ID, f.FrameDuration)
		}
		frame[f.ID] = [2]int64{n, dd}
	}
	// whole reports whether t is a whole number of frames of format fid.
	whole := func(t, fid string) (float64, error) {
		n, dd, err := parseTime(t)
		if err != nil {
			return 0, err
		}
		fr := frame[fid]
		// t / (fr0/fr1) = n·fr1 / (dd·fr0) must be an integer.
		if (n*fr[1])%(dd*fr[0]) != 0 {
			return 0, fmt.Errorf("time %s is not on a frame boundary of %d/%ds", t, fr[0], fr[1])
		}
		return float64(n) / float64(dd), nil
	}
	assets := map[string]string{} // id → format
	for _, a := range d.Resources.Assets {
		if a.ID == "" || a.Format == "" {
			return fmt.Errorf("screentime: fcpxml: asset without id or format")
		}
		if _, ok := frame[a.Format]; !ok {
			return fmt.Errorf("screentime: fcpxml: asset %s: unknown format %s", a.ID, a.Format)
		}
		if len(a.Reps) == 0 || a.Reps[0].Kind == "" || a.Reps[0].Src == "" {
			return fmt.Errorf("screentime: fcpxml: asset %s: needs a media-rep with kind and src", a.ID)
		}
		for _, t := range []string{a.Start, a.Duration} {
			if _, err := whole(t, a.Format); err != nil {
				return fmt.Errorf("screentime: fcpxml: asset %s: %w", a.ID, err)
			}
		}
		assets[a.ID] = a.Format
	}
	projects := 0
	for _, e := range d.Events {
		for _, p := range e.Projects {
			projects++
			s := p.Sequence
			if _, ok := frame[s.Format]; !ok {
				return fmt.Errorf("screentime: fcpxml: project %q: sequence format %q unknown", p.Name, s.Format)
			}
			if s.TCFormat != "DF" && s.TCFormat != "NDF" {
				return fmt.Errorf("screentime: fcpxml: project %q: tcFormat %q", p.Name, s.TCFormat)
			}
			for _, c := range s.Clips {
				fid, ok := assets[c.Ref]
				if !ok {
					return fmt.Errorf("screentime: fcpxml: asset-clip references unknown asset %q", c.Ref)
				}
				var v [3]float64
				for i, t := range []string{c.Offset, c.Start, c.Duration} {
					x, err := whole(t, fid)
					if err != nil {
						return fmt.Errorf("screentime: fcpxml: asset-clip: %w", err)
					}
					v[i] = x
				}
				lo, hi := v[1], v[1]+v[2]
				check := func(kind, start, dur, value string) error {
					st, err := whole(start, fid)
					if err != nil {
						return fmt.Errorf("screentime: fcpxml: %s %q: %w", kind, value, err)
					}
					du, err := whole(dur, fid)
					if err != nil || du <= 0 {
						return fmt.Errorf("screentime: fcpxml: %s %q: bad duration %q", kind, value, dur)
					}
					if value == "" {
						return fmt.Errorf("screentime: fcpxml: %s at %s without value", kind, start)
					}
					if st < lo || st+du > hi+1e-9 {
						return fmt.Errorf("screentime: fcpxml: %s %q at %s lies outside its clip", kind, value, start)
					}
					return nil
				}
				for _, m := range c.Markers {
					if err := check("marker", m.Start, m.Duration, m.Value); err != nil {
						return err
					}
				}
				for _, k := range c.Keywords {
					if err := check("keyword", k.Start, k.Duration, k.Value); err != nil {
						return err
					}
				}
			}
		}
	}
	if projects == 0 {
		return fmt.Errorf("screentime: fcpxml: no project")
	}
	return nil
}
