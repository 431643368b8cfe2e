package bench

import (
	"fmt"
	"strings"
)

// Goals the bench checks: the reader keeps up with ffmpeg, the detect stage
// adds little over decode and inference, and memory stays flat with length.
const (
	GoalDecodeRatio   = 0.95 // reader fps ÷ ffmpeg fps, at least
	GoalOverheadRatio = 1.10 // detect stage wall ÷ floor, at most
	GoalRSSRatio      = 1.10 // long clip peak RSS ÷ short clip peak RSS, at most
)

// Floor formulas.
const (
	FormulaCPU = "decode + inference" // both share the CPU cores
	FormulaGPU = "max(decode, inference)"
)

// IsGPU reports whether an ONNX Runtime execution provider runs inference
// off the CPU (anything but the CPU provider; "" counts as the CPU).
func IsGPU(provider string) bool {
	p := strings.ToLower(strings.TrimSpace(provider))
	return p != "" && p != "cpuexecutionprovider" && p != "cpu"
}

// Floor is the least wall time the detect stage could take: decoding the
// sampled frames and running the models on them add up when both use the
// CPU cores, and overlap fully when inference runs on a GPU. loadS (model
// loading, paid once per stage) is added in both cases. It returns the
// floor in seconds and the formula applied.
func Floor(decodeS, inferS, loadS float64, provider string) (float64, string) {
	if IsGPU(provider) {
		return max(decodeS, inferS) + loadS, FormulaGPU
	}
	return decodeS + inferS + loadS, FormulaCPU
}

// Ratio is a ÷ b, or 0 when b is not positive.
func Ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// Verdict says whether a measured ratio meets its goal and, when not, by
// how much it misses: "met", "NOT met (-3.2 % short)" for an at-least goal,
// "NOT met (+21 % over)" for an at-most goal. An unmeasured ratio (≤ 0) is
// "not measured".
func Verdict(ratio, goal float64, atLeast bool) (bool, string) {
	if ratio <= 0 {
		return false, "not measured"
	}
	if atLeast {
		if ratio >= goal {
			return true, "met"
		}
		return false, fmt.Sprintf("NOT met (%.1f %% short)", 100*(goal-ratio)/goal)
	}
	if ratio <= goal {
		return true, "met"
	}
	return false, fmt.Sprintf("NOT met (%.1f %% over)", 100*(ratio-goal)/goal)
}

// Row is one line of the printed table.
type Row struct {
	Part    string // a, b, c, d
	Measure string
	Value   string
	Goal    string // "" for plain measurements
	Verdict string
}

// FormatTable lays rows out in aligned columns under a header.
func FormatTable(rows []Row) string {
	head := Row{"", "measure", "value", "goal", "verdict"}
	all := append([]Row{head}, rows...)
	w := [4]int{}
	for _, r := range all {
		cells := [4]string{r.Part + " " + r.Measure, r.Value, r.Goal, r.Verdict}
		for i, c := range cells {
			w[i] = max(w[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for i, r := range all {
		cells := [4]string{strings.TrimSpace(r.Part + " " + r.Measure), r.Value, r.Goal, r.Verdict}
		if i == 0 {
			cells[0] = "    " + cells[0]
		}
		line := ""
		for j, c := range cells {
			line += c + strings.Repeat(" ", w[j]-len([]rune(c)))
			if j < len(cells)-1 {
				line += "  "
			}
		}
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// Rows builds the table of a result: each part's measurements, then its
// ratio against the goal. Parts that did not run are left out.
func Rows(r Result) []Row {
	var rows []Row
	if d := r.Decode; d != nil {
		rows = append(rows,
			Row{"(a)", "decode: our reader", fmt.Sprintf("%d frames in %.2f s = %.1f frames/s", d.Frames, d.ReaderS, d.ReaderFPS), "", ""},
			Row{"(a)", fmt.Sprintf("decode: ffmpeg -threads %d", d.Threads), fmt.Sprintf("%d frames in %.2f s = %.1f frames/s", d.FFmpegFrames, d.FFmpegS, d.FFmpegFPS), "", ""},
		)
		_, v := Verdict(d.Ratio, GoalDecodeRatio, true)
		rows = append(rows, Row{"(a)", "decode ratio reader ÷ ffmpeg", fmt.Sprintf("%.3f", d.Ratio), fmt.Sprintf("≥ %.2f", GoalDecodeRatio), v})
	}
	if in := r.Inference; in != nil {
		for _, t := range in.Detector {
			rows = append(rows, Row{"(b)", fmt.Sprintf("detector batch %d", t.Batch),
				fmt.Sprintf("%.1f ms/frame (%.1f ms/input, %d inputs/frame), %.2f s for %d frames", t.MsPerFrame, t.MsPerInput, in.PassesPerFrame, t.TotalS, in.Frames), "", ""})
		}
		for _, t := range in.Embedder {
			rows = append(rows, Row{"(b)", fmt.Sprintf("embedder batch %d", t.Batch),
				fmt.Sprintf("%.2f ms/face, %.2f s for %d faces", t.MsPerFace, t.TotalS, t.Faces), "", ""})
		}
		rows = append(rows, Row{"(b)", "inference as the stage batches it",
			fmt.Sprintf("%.2f s (detector %.2f s at batch %d + embedder %.2f s, one call per frame)", in.StageS(), in.StageDetectS, in.StageDetectBatch, in.StageEmbedS), "", ""})
	}
	if s := r.Stage; s != nil {
		rows = append(rows,
			Row{"(c)", "detect stage wall (started→finished)", fmt.Sprintf("%.2f s, %d frames, %d faces, %s", s.WallS, s.Frames, s.Faces, s.Provider), "", ""},
			Row{"(c)", "floor = " + s.Formula + where(s.Provider), fmt.Sprintf("%.2f s (decode %.2f + inference %.2f + model load %.2f)", s.FloorS, s.DecodeS, s.InferenceS, s.LoadS), "", ""},
		)
		_, v := Verdict(s.Overhead, GoalOverheadRatio, false)
		rows = append(rows, Row{"(c)", "overhead wall ÷ floor", fmt.Sprintf("%.3f", s.Overhead), fmt.Sprintf("≤ %.2f", GoalOverheadRatio), v})
		if s.WorkerWallS > 0 {
			rows = append(rows,
				Row{"(c)", "detect stage wall, attempt in a worker process", fmt.Sprintf("%.2f s", s.WorkerWallS), "", ""},
				Row{"(c)", "worker ÷ in process", fmt.Sprintf("%.3f", s.WorkerRatio), "", ""})
		}
	}
	if m := r.RSS; m != nil {
		rows = append(rows,
			Row{"(d)", fmt.Sprintf("peak RSS, %s clip", fmtDur(m.ShortS)), fmt.Sprintf("%.0f MiB (detect %d frames, %.1f s)", m.ShortMiB, m.ShortFrames, m.ShortWallS), "", ""},
			Row{"(d)", fmt.Sprintf("peak RSS, %s clip", fmtDur(m.LongS)), fmt.Sprintf("%.0f MiB (detect %d frames, %.1f s)", m.LongMiB, m.LongFrames, m.LongWallS), "", ""},
		)
		_, v := Verdict(m.Ratio, GoalRSSRatio, false)
		rows = append(rows, Row{"(d)", "peak RSS long ÷ short", fmt.Sprintf("%.3f", m.Ratio), fmt.Sprintf("≤ %.2f", GoalRSSRatio), v})
	}
	if h := r.Hash; h != nil {
		rows = append(rows, Row{"(e)", "fingerprint: sha256 of the whole file", fmt.Sprintf("%.0f MB in %.2f s = %.0f MB/s (from the page cache) → a 4 GB episode in %.1f s", float64(h.Bytes)/1e6, h.Seconds, h.MBps, h.FourGBs), "", ""})
	}
	return rows
}

// where names the formula's case.
func where(provider string) string {
	if IsGPU(provider) {
		return " (inference on a GPU)"
	}
	return " (CPU: cores shared)"
}

func fmtDur(s float64) string {
	if s >= 60 && s == float64(int(s/60))*60 {
		return fmt.Sprintf("%d min", int(s/60))
	}
	return fmt.Sprintf("%g s", s)
}
