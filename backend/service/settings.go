package service

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"time"

	"castscope/backend/atomicfile"
	"castscope/backend/errs"
	"castscope/backend/identity"
	"castscope/backend/screentime"
)

// Settings are the user's choices, kept in {data}/settings.json. The zero
// value is valid: every empty field falls back to its default.
type Settings struct {
	RequireGPU   bool    `json:"require_gpu"`
	SampleFPS    float64 `json:"sample_fps"`    // frames sampled per second; 0 → DefaultSampleFPS, <0 → every frame
	DetectPreset string  `json:"detect_preset"` // fast | default | detail
	StallAfterS  float64 `json:"stall_after_s"` // heartbeat age that fails a stage with ERR_STAGE_STALLED
	// Cluster and screen time (the next cluster/analytics run).
	ClusterThreshold float64 `json:"cluster_threshold"` // cosine distance; 0 → identity.DefaultThreshold
	MinTrackLen      int     `json:"min_track_len"`     // detections; 0 → identity.DefaultMinTrackLen
	ScreenTimePreset string  `json:"screentime_preset"` // default | strict
	ModelsDir        string  `json:"models_dir,omitempty"`
	ORTLib           string  `json:"ort_lib,omitempty"`
	// Where jobs run: this computer (RunOnLocal, "") or the Temporal
	// server at TemporalAddress (HOST:PORT) in TemporalNamespace.
	RunOn             string `json:"run_on"`
	TemporalAddress   string `json:"temporal_address"`
	TemporalNamespace string `json:"temporal_namespace"`
}

// RunOn choices.
const (
	RunOnLocal    = "local"
	RunOnTemporal = "temporal"
)

// Defaults for Settings' empty fields.
const (
	DefaultSampleFPS    = 5.0
	DefaultDetectPreset = "default"
	DefaultStallAfter   = 2 * time.Minute
	// MinSampleFPS is the lowest sampling rate a run accepts.
	MinSampleFPS = 0.5
)

// Normalized returns s with defaults filled in.
func (s Settings) Normalized() Settings {
	s.SampleFPS = cmp.Or(s.SampleFPS, DefaultSampleFPS)
	s.DetectPreset = cmp.Or(s.DetectPreset, DefaultDetectPreset)
	s.StallAfterS = cmp.Or(s.StallAfterS, DefaultStallAfter.Seconds())
	s.ClusterThreshold = cmp.Or(s.ClusterThreshold, identity.DefaultThreshold)
	s.MinTrackLen = cmp.Or(s.MinTrackLen, identity.DefaultMinTrackLen)
	s.ScreenTimePreset = cmp.Or(s.ScreenTimePreset, string(screentime.PresetDefault))
	s.RunOn = cmp.Or(s.RunOn, RunOnLocal)
	s.TemporalNamespace = cmp.Or(s.TemporalNamespace, "default")
	return s
}

// Validate rejects settings the pipeline cannot run with.
func (s Settings) Validate() error {
	switch s.DetectPreset {
	case "", "fast", "default", "detail":
	default:
		return errs.New(errs.Usage, fmt.Sprintf("Unknown detection preset %q.", s.DetectPreset), "Use fast, default or detail.")
	}
	// Below MinSampleFPS a sample stands for more than 2 s of screen time
	// (its margin is half that on each side): no longer a measurement, and
	// a run at 0.0001 fps would replace good results with one sample.
	if !(s.SampleFPS <= 120) || math.IsInf(s.SampleFPS, -1) || (s.SampleFPS > 0 && s.SampleFPS < MinSampleFPS) { // NaN too
		return errs.New(errs.Usage, fmt.Sprintf("Sampling rate %g fps is out of range.", s.SampleFPS),
			fmt.Sprintf("Use %g to 120 fps, or a negative value for every frame.", MinSampleFPS))
	}
	switch screentime.Preset(s.ScreenTimePreset) {
	case "", screentime.PresetDefault, screentime.PresetStrict:
	default:
		return errs.New(errs.Usage, fmt.Sprintf("Unknown screen-time preset %q.", s.ScreenTimePreset), "Use default or strict.")
	}
	if s.ClusterThreshold != 0 && !(s.ClusterThreshold >= 0.05 && s.ClusterThreshold <= 1.5) {
		return errs.New(errs.Usage, fmt.Sprintf("Cluster threshold %.2f is out of range.", s.ClusterThreshold), "Use a cosine distance from 0.05 (strict) to 1.5 (loose); the default is 0.5.")
	}
	if s.MinTrackLen < 0 || s.MinTrackLen > 1000 {
		return errs.New(errs.Usage, fmt.Sprintf("Minimum track length %d is out of range.", s.MinTrackLen), "Use 1 to 1000 detections; the default is 3.")
	}
	switch s.RunOn {
	case "", RunOnLocal:
	case RunOnTemporal:
		if err := CheckHostPort(s.TemporalAddress); err != nil {
			return err
		}
	default:
		return errs.New(errs.Usage, fmt.Sprintf("Unknown place to run %q.", s.RunOn), "Use local (this computer) or temporal.")
	}
	if s.StallAfterS != 0 && !(s.StallAfterS >= 5 && s.StallAfterS <= 86400) {
		return errs.New(errs.Usage, fmt.Sprintf("Stall timeout %.0f s is out of range.", s.StallAfterS), "Use 5 seconds to 24 hours.")
	}
	return nil
}

// CheckHostPort refuses a Temporal address that is not HOST:PORT.
func CheckHostPort(addr string) error {
	host, port, err := net.SplitHostPort(strings.TrimSpace(addr))
	if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		return errs.New(errs.Usage, fmt.Sprintf("%q is not a Temporal server address.", addr), "Give it as HOST:PORT, e.g. temporal.example.lan:7233.")
	}
	return nil
}

func settingsPath(dataDir string) string { return filepath.Join(dataDir, "settings.json") }

// LoadSettings reads {data}/settings.json; a missing file gives defaults.
func LoadSettings(dataDir string) (Settings, error) {
	var s Settings
	if st, err := os.Stat(settingsPath(dataDir)); err == nil && st.IsDir() {
		return s, errs.New(errs.Usage, fmt.Sprintf("Settings file %s is a folder, not a file.", settingsPath(dataDir)),
			"Rename or remove that folder (Castscope then starts with the default settings), then start Castscope again.")
	}
	b, err := os.ReadFile(settingsPath(dataDir))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		reason := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			reason = pe.Err.Error()
		}
		return s, errs.Wrap(errs.Usage, err, fmt.Sprintf("Castscope cannot read its settings file %s (%s).", settingsPath(dataDir), reason),
			"Make the file readable by you (or remove it to use the defaults), then try again.")
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return Settings{}, errs.Wrap(errs.Usage, err, fmt.Sprintf("Settings file %s cannot be used: %s.", settingsPath(dataDir), decodeReason(b, err)),
			"Fix the file in a text editor, or delete it to start with the default settings, then start Castscope again.")
	}
	return s, nil
}

// decodeReason says in words why settings.json did not decode, with the
// line where the JSON breaks when it does.
func decodeReason(b []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("it is not valid JSON (line %d: %s)", 1+bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n")), se.Error())
	case errors.As(err, &te):
		want := "a string in quotes"
		switch te.Type.Kind() {
		case reflect.Bool:
			want = "true or false"
		case reflect.Float64, reflect.Int:
			want = "a number"
		}
		return fmt.Sprintf("%q must be %s, not a %s", te.Field, want, te.Value)
	}
	return "it is not valid JSON (" + err.Error() + ")"
}

// loadUsableSettings is LoadSettings for opening the data folder:
//
//   - a file that cannot be decoded (not JSON, a value of the wrong type,
//     a folder in its place) or read (permissions) is an error (ERR_USAGE
//     naming the file and what to do), logged too. It is never moved aside
//     nor replaced by defaults: the window shows the error, and defaults
//     a later save would write over the user's file are what a user of it
//     would not see happen;
//   - a value Validate rejects falls back to its default, logged.
//
// readOnly (a command that only reads, a worker process) changes nothing
// and refuses nothing: any problem is logged and the defaults are used.
func loadUsableSettings(dataDir string, log *slog.Logger, readOnly bool) (Settings, error) {
	s, err := LoadSettings(dataDir)
	switch {
	case err != nil && readOnly:
		log.Warn("settings file is unusable; using defaults", "file", settingsPath(dataDir), "error", errs.As(err).Message)
		return Settings{}, nil
	case errs.CodeOf(err) == errs.Usage:
		log.Error("settings file is unusable", "file", settingsPath(dataDir), "error", errs.As(err).Message)
		return Settings{}, err
	case err != nil:
		log.Error("reading the settings failed", "file", settingsPath(dataDir), "error", err.Error())
		return s, err
	}
	// Each field is checked alone, so only the bad ones are reset and each
	// is named in the log.
	fix := func(field string, only Settings, reset func()) {
		if err := only.Validate(); err != nil {
			log.Warn("setting out of range; using its default", "setting", field, "error", errs.As(err).Message)
			reset()
		}
	}
	fix("detect_preset", Settings{DetectPreset: s.DetectPreset}, func() { s.DetectPreset = "" })
	fix("sample_fps", Settings{SampleFPS: s.SampleFPS}, func() { s.SampleFPS = 0 })
	fix("screentime_preset", Settings{ScreenTimePreset: s.ScreenTimePreset}, func() { s.ScreenTimePreset = "" })
	fix("cluster_threshold", Settings{ClusterThreshold: s.ClusterThreshold}, func() { s.ClusterThreshold = 0 })
	fix("min_track_len", Settings{MinTrackLen: s.MinTrackLen}, func() { s.MinTrackLen = 0 })
	fix("stall_after_s", Settings{StallAfterS: s.StallAfterS}, func() { s.StallAfterS = 0 })
	return s, nil
}

// SaveSettings writes {data}/settings.json atomically.
func SaveSettings(dataDir string, s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("service: encode settings: %w", err)
	}
	return atomicfile.Write(settingsPath(dataDir), append(b, '\n'))
}

// DefaultDataDir is the user data dir: $XDG_DATA_HOME/castscope
// (~/.local/share/castscope) on Linux, %AppData%\castscope on Windows,
// ~/Library/Application Support/castscope on macOS.
func DefaultDataDir() string {
	home, _ := os.UserHomeDir()
	switch runtime.GOOS {
	case "windows":
		return filepath.Join(cmp.Or(os.Getenv("AppData"), home), "castscope")
	case "darwin":
		return filepath.Join(home, "Library", "Application Support", "castscope")
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "castscope")
	}
	return filepath.Join(home, ".local", "share", "castscope")
}

// ResolveDataDir picks the data folder: flag, then $CASTSCOPE_DATA, then
// the default, as an absolute path.
func ResolveDataDir(flagValue string) string {
	d := cmp.Or(flagValue, os.Getenv("CASTSCOPE_DATA"), DefaultDataDir())
	if abs, err := filepath.Abs(d); err == nil {
		return abs
	}
	return d
}
