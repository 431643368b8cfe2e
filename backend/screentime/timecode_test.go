package screentime

import (
	"testing"

	"castscope/backend/errs"
)

func TestTimecodeFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rate   Rate
		frames int64
		want   string
	}{
		{Rate25, 0, "00:00:00:00"},
		{Rate25, 25*3600 + 24, "01:00:00:24"},
		{Rate23976, 86400, "01:00:00:00"}, // 24 labels a second
		{Rate30, 1800, "00:01:00:00"},
		{Rate2997DF, 1799, "00:00:59;29"},
		{Rate2997DF, 1800, "00:01:00;02"}, // ;00 and ;01 are skipped
		{Rate2997DF, 17981, "00:09:59;29"},
		{Rate2997DF, 17982, "00:10:00;00"}, // every tenth minute keeps them
		{Rate2997DF, 107892, "01:00:00;00"},
		{Rate2997NDF, 1800, "00:01:00:00"},
		{Rate5994DF, 3600, "00:01:00;04"},
		{Rate25, 25 * 86400, "00:00:00:00"}, // wraps at 24 h
		{Rate2997DF, 24 * 107892, "00:00:00;00"},
	}
	for _, tc := range tests {
		if got := tc.rate.Timecode(tc.frames); got != tc.want {
			t.Errorf("%s Timecode(%d) = %s, want %s", tc.rate, tc.frames, got, tc.want)
		}
	}
}

func TestTimecodeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, r := range []Rate{Rate23976, Rate24, Rate25, Rate2997DF, Rate2997NDF, Rate30, Rate5994DF, Rate60} {
		t.Run(r.String(), func(t *testing.T) {
			t.Parallel()
			// Every frame of the first 11 minutes, then a stride to 24 h.
			check := func(f int64) {
				tc := r.Timecode(f)
				got, err := r.ParseTimecode(tc)
				if err != nil || got != f {
					t.Fatalf("frame %d → %s → %d, %v", f, tc, got, err)
				}
			}
			for f := range r.Nominal() * 60 * 11 {
				check(f)
			}
			for f := int64(0); f < r.Nominal()*86000; f += 997 {
				check(f)
			}
		})
	}
}

func TestParseTimecodeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rate Rate
		in   string
	}{
		{Rate2997DF, "00:01:00;00"}, // dropped label
		{Rate2997DF, "00:01:00;01"},
		{Rate25, "00:00:00:25"},
		{Rate25, "00:60:00:00"},
		{Rate25, "00:00:00"},
		{Rate25, "aa:00:00:00"},
		{Rate{}, "00:00:00:00"},
	} {
		_, err := tc.rate.ParseTimecode(tc.in)
		if !errs.HasCode(err, errs.Usage) {
			t.Errorf("%s %q: %v, want a usage error", tc.rate, tc.in, err)
		}
	}
	if f, err := Rate2997DF.ParseTimecode("00:10:00;00"); err != nil || f != 17982 {
		t.Errorf("00:10:00;00 = %d, %v", f, err)
	}
}

func TestMsFrames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rate   Rate
		ms     int64
		frames int64
	}{
		{Rate25, 1000, 25},
		{Rate25, 3_600_000, 90000},
		{Rate23976, 3_600_000, 86314}, // an hour of 23.976 is 86 313.7 frames
		{Rate2997DF, 3_600_000, 107892},
		{Rate2997DF, 3_600_000, 107892},
		{Rate30, 33, 1},
	}
	for _, tc := range tests {
		if got := tc.rate.FramesFromMs(tc.ms); got != tc.frames {
			t.Errorf("%s FramesFromMs(%d) = %d, want %d", tc.rate, tc.ms, got, tc.frames)
		}
	}
	for _, r := range []Rate{Rate23976, Rate25, Rate2997DF} {
		for f := range int64(5000) {
			if got := r.FramesFromMs(r.MsFromFrames(f)); got != f {
				t.Fatalf("%s frame %d → %d ms → %d", r, f, r.MsFromFrames(f), got)
			}
		}
	}
}

func TestRateFromFPS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fps  float64
		drop bool
		want Rate
	}{
		{23.976, false, Rate23976},
		{23.976023, true, Rate23976}, // no drop-frame at 23.976
		{29.97, true, Rate2997DF},
		{29.97003, false, Rate2997NDF},
		{25, true, Rate25},
		{12.5, false, Rate{Num: 13, Den: 1}},
	}
	for _, tc := range tests {
		if got := RateFromFPS(tc.fps, tc.drop); got != tc.want {
			t.Errorf("RateFromFPS(%v, %v) = %+v, want %+v", tc.fps, tc.drop, got, tc.want)
		}
	}
}
