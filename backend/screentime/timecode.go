package screentime

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"castscope/backend/errs"
)

// Rate is a video frame rate as a fraction, with the timecode counting
// mode. Drop-frame applies to 29.97 and 59.94 only.
type Rate struct {
	Num, Den int64 // frames per second = Num/Den
	Drop     bool  // drop-frame timecode labels (29.97, 59.94)
}

// Common rates.
var (
	Rate23976   = Rate{Num: 24000, Den: 1001}
	Rate24      = Rate{Num: 24, Den: 1}
	Rate25      = Rate{Num: 25, Den: 1}
	Rate2997DF  = Rate{Num: 30000, Den: 1001, Drop: true}
	Rate2997NDF = Rate{Num: 30000, Den: 1001}
	Rate30      = Rate{Num: 30, Den: 1}
	Rate50      = Rate{Num: 50, Den: 1}
	Rate5994DF  = Rate{Num: 60000, Den: 1001, Drop: true}
	Rate60      = Rate{Num: 60, Den: 1}
)

// RateFromFPS snaps a probed frame rate to the nearest common rate;
// drop asks for drop-frame labels where the rate allows them. Unknown
// rates become a rate of whole frames (rounded).
func RateFromFPS(fps float64, drop bool) Rate {
	for _, r := range []Rate{Rate23976, Rate24, Rate25, Rate2997NDF, Rate30, Rate50, {Num: 60000, Den: 1001}, Rate60} {
		if math.Abs(r.FPS()-fps) < 0.01 {
			r.Drop = drop && r.Den == 1001 && (r.Nominal() == 30 || r.Nominal() == 60)
			return r
		}
	}
	return Rate{Num: max(int64(math.Round(fps)), 1), Den: 1}
}

// FPS is the rate as a float.
func (r Rate) FPS() float64 {
	if r.Den == 0 {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

// Nominal is the whole frame count of a timecode second (24, 25, 30, 60).
func (r Rate) Nominal() int64 {
	return max(int64(math.Round(r.FPS())), 1)
}

func (r Rate) valid() bool { return r.Num > 0 && r.Den > 0 }

// String is "23.976", "25", "29.97 DF" and so on.
func (r Rate) String() string {
	s := strconv.FormatFloat(math.Round(r.FPS()*1000)/1000, 'f', -1, 64)
	if r.Drop {
		s += " DF"
	}
	return s
}

// FramesFromMs is the frame showing at ms (rounded to the nearest frame).
func (r Rate) FramesFromMs(ms int64) int64 {
	// ms·Num/(Den·1000), rounded half up, in integers.
	d := r.Den * 1000
	return (ms*r.Num + d/2) / d
}

// MsFromFrames is the start time of frame f in ms (rounded).
func (r Rate) MsFromFrames(f int64) int64 {
	return (f*r.Den*1000 + r.Num/2) / r.Num
}

// dropPerMinute is the number of frame labels skipped each minute.
func (r Rate) dropPerMinute() int64 {
	if !r.Drop || r.Den != 1001 || (r.Nominal() != 30 && r.Nominal() != 60) {
		return 0
	}
	return r.Nominal() / 15 // 2 at 29.97, 4 at 59.94
}

// Timecode formats a frame count as HH:MM:SS:FF (HH:MM:SS;FF for
// drop-frame), wrapping at 24 hours.
func (r Rate) Timecode(frames int64) string {
	nom := r.Nominal()
	day := 24 * 3600 * nom
	if dpm := r.dropPerMinute(); dpm > 0 {
		per10 := 10*60*nom - 9*dpm // frames in ten minutes
		perMin := 60*nom - dpm
		day = 144 * per10
		frames = ((frames % day) + day) % day
		d, m := frames/per10, frames%per10
		if m > dpm {
			frames += 9*dpm*d + dpm*((m-dpm)/perMin)
		} else {
			frames += 9 * dpm * d
		}
	} else {
		frames = ((frames % day) + day) % day
	}
	ff := frames % nom
	s := frames / nom
	sep := ":"
	if r.Drop {
		sep = ";"
	}
	return fmt.Sprintf("%02d:%02d:%02d%s%02d", s/3600, s/60%60, s%60, sep, ff)
}

// ParseTimecode reads HH:MM:SS:FF (any of : ; . , before the frames) into
// a frame count. Drop-frame labels that do not exist (00:01:00;00 at
// 29.97 DF) are an error. The error is typed: users type timecodes.
func (r Rate) ParseTimecode(s string) (int64, error) {
	bad := func(why string) error {
		return errs.New(errs.Usage, fmt.Sprintf("%q is not a valid %s timecode: %s.", s, r, why), "Write a timecode as HH:MM:SS:FF, with ; before the frames for drop-frame.")
	}
	if !r.valid() {
		return 0, bad("unknown frame rate")
	}
	t := strings.TrimSpace(s)
	parts := strings.FieldsFunc(t, func(c rune) bool { return c == ':' || c == ';' || c == '.' || c == ',' })
	if len(parts) != 4 {
		return 0, bad("it needs four fields")
	}
	var v [4]int64
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 || len(p) > 2 {
			return 0, bad("fields are two digits")
		}
		v[i] = n
	}
	h, m, sec, f := v[0], v[1], v[2], v[3]
	nom := r.Nominal()
	if m > 59 || sec > 59 || f >= nom {
		return 0, bad("a field is out of range")
	}
	total := ((h*60+m)*60+sec)*nom + f
	if dpm := r.dropPerMinute(); dpm > 0 {
		if sec == 0 && f < dpm && m%10 != 0 {
			return 0, bad("drop-frame skips that label")
		}
		mins := h*60 + m
		total -= dpm * (mins - mins/10)
	}
	return total, nil
}
