package bench

import (
	"slices"
	"strings"
	"testing"

	"castscope/backend/video"
)

func TestIsGPU(t *testing.T) {
	for p, want := range map[string]bool{
		"": false, "CPUExecutionProvider": false, "cpu": false,
		"CUDAExecutionProvider": true, "TensorrtExecutionProvider": true, "CoreMLExecutionProvider": true, "DmlExecutionProvider": true,
	} {
		if got := IsGPU(p); got != want {
			t.Errorf("IsGPU(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestFloor(t *testing.T) {
	f, formula := Floor(2, 10, 0.5, "CPUExecutionProvider")
	if f != 12.5 || formula != FormulaCPU {
		t.Errorf("CPU floor = %v %q, want 12.5 %q", f, formula, FormulaCPU)
	}
	f, formula = Floor(2, 10, 0.5, "CUDAExecutionProvider")
	if f != 10.5 || formula != FormulaGPU {
		t.Errorf("GPU floor = %v %q, want 10.5 %q", f, formula, FormulaGPU)
	}
	f, _ = Floor(7, 3, 0, "CUDAExecutionProvider") // decode-bound on a GPU
	if f != 7 {
		t.Errorf("decode-bound GPU floor = %v, want 7", f)
	}
}

func TestRatio(t *testing.T) {
	if r := Ratio(11, 10); r != 1.1 {
		t.Errorf("Ratio(11, 10) = %v", r)
	}
	if r := Ratio(5, 0); r != 0 {
		t.Errorf("Ratio(5, 0) = %v, want 0", r)
	}
}

func TestVerdict(t *testing.T) {
	cases := []struct {
		ratio, goal float64
		atLeast     bool
		met         bool
		text        string
	}{
		{0.96, 0.95, true, true, "met"},
		{0.95, 0.95, true, true, "met"},
		{0.76, 0.95, true, false, "NOT met (20.0 % short)"},
		{1.10, 1.10, false, true, "met"},
		{1.32, 1.10, false, false, "NOT met (20.0 % over)"},
		{0, 1.10, false, false, "not measured"},
	}
	for _, c := range cases {
		met, text := Verdict(c.ratio, c.goal, c.atLeast)
		if met != c.met || text != c.text {
			t.Errorf("Verdict(%v, %v, %v) = %v %q, want %v %q", c.ratio, c.goal, c.atLeast, met, text, c.met, c.text)
		}
	}
}

func TestWithBatch(t *testing.T) {
	got := withBatch([]int{16, 1, 0, 1}, 16)
	if len(got) != 2 || got[0] != 1 || got[1] != 16 {
		t.Errorf("withBatch = %v, want [1 16]", got)
	}
	got = withBatch([]int{1}, 4)
	if len(got) != 2 || got[1] != 4 {
		t.Errorf("withBatch = %v, want [1 4]", got)
	}
}

func TestFormatTableAligns(t *testing.T) {
	out := FormatTable([]Row{
		{"(a)", "decode ratio", "0.970", "≥ 0.95", "met"},
		{"(c)", "overhead wall ÷ floor", "1.234", "≤ 1.10", "NOT met (12.2 % over)"},
	})
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want header + 2 lines, got %q", out)
	}
	// The goal column starts at the same rune offset on both data lines.
	col := func(l, s string) int { return len([]rune(l[:strings.Index(l, s)])) }
	if a, b := col(lines[1], "≥"), col(lines[2], "≤"); a != b {
		t.Errorf("goal column not aligned (%d vs %d):\n%s", a, b, out)
	}
	if !strings.HasPrefix(lines[0], "    measure") {
		t.Errorf("header line %q", lines[0])
	}
}

func TestRowsAndVerdicts(t *testing.T) {
	r := Result{
		Decode: &video.DecodeBenchResult{Frames: 100, ReaderS: 1, ReaderFPS: 100, Threads: 2, FFmpegFrames: 100, FFmpegS: 0.8, FFmpegFPS: 125, Ratio: 0.8},
		Inference: &InferenceResult{Frames: 100, PassesPerFrame: 3, Faces: 200, StageDetectBatch: 4, StageDetectS: 4, StageEmbedS: 1,
			Detector: []DetTiming{{Batch: 1, TotalS: 4.5, MsPerFrame: 45, MsPerInput: 15}, {Batch: 4, TotalS: 4, MsPerFrame: 40, MsPerInput: 13.3}},
			Embedder: []EmbTiming{{Batch: 1, Faces: 200, TotalS: 0.8, MsPerFace: 4}, {Batch: 16, Faces: 200, TotalS: 0.44, MsPerFace: 2.2}}},
		Stage: &StageResult{WallS: 6.3, Frames: 100, Faces: 200, Provider: "CPUExecutionProvider", DecodeS: 1, InferenceS: 5, FloorS: 6, Formula: FormulaCPU, Overhead: 1.05},
		RSS:   &RSSResult{ShortS: 20, LongS: 200, ShortMiB: 400, LongMiB: 480, Ratio: 1.2},
	}
	r.Verdicts()
	if r.Goals.DecodeRatioMet || !r.Goals.OverheadMet || r.Goals.RSSMet {
		t.Errorf("goals %+v, want decode not met, overhead met, rss not met", r.Goals)
	}
	out := FormatTable(Rows(r))
	for _, want := range []string{
		"(a) decode ratio reader ÷ ffmpeg", "0.800", "NOT met (15.8 % short)",
		"(b) detector batch 4", "40.0 ms/frame", "(b) embedder batch 16", "2.20 ms/face",
		"floor = decode + inference", "6.00 s (decode 1.00 + inference 5.00 + model load 0.00)", "1.050", "met",
		"peak RSS, 20 s clip", "peak RSS, 200 s clip", "480 MiB", "NOT met (9.1 % over)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if rows := Rows(Result{}); len(rows) != 0 {
		t.Errorf("empty result gave rows %v", rows)
	}
}

func TestFmtDur(t *testing.T) {
	for s, want := range map[float64]string{20: "20 s", 60: "1 min", 600: "10 min", 90: "90 s", 2.5: "2.5 s"} {
		if got := fmtDur(s); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", s, got, want)
		}
	}
}

func TestClipArgs(t *testing.T) {
	args := strings.Join(clipArgs("out.mp4", 2, []string{"a.jpg", "b.png"}), " ")
	for _, want := range []string{"-i file:a.jpg", "-i file:b.png", "loop=loop=24:size=1", "concat=n=2:v=1:a=0[out]", "-c:v libx264", "-t 2.000", "out.mp4"} {
		if !strings.Contains(args, want) {
			t.Errorf("clip args lack %q: %s", want, args)
		}
	}
	args = strings.Join(clipArgs("out.mp4", 2, nil), " ")
	if !strings.Contains(args, "testsrc2=size=1920x1080") {
		t.Errorf("no-photo clip args: %s", args)
	}
}

func TestBenchStagesEndAtDetect(t *testing.T) {
	if want := []string{"validate", "extract", "detect"}; !slices.Equal(benchStages, want) {
		t.Errorf("benchStages = %v, want %v", benchStages, want)
	}
}
