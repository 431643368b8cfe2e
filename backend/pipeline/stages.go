package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"castscope/backend/atomicfile"
	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/identity"
	"castscope/backend/job"
)

// Store is what the stages need of the registry (*sqlite.Store).
type Store interface {
	Episode(ctx context.Context, key string) (episode.Episode, error)
	SetEpisodeVideo(ctx context.Context, key string, video json.RawMessage) error
	// The curation log in effect, oldest first; whether one was ever kept.
	Curation(ctx context.Context, key string) ([]identity.Op, error)
	CurationLogged(ctx context.Context, key string) (bool, error)
	// ImportCuration appends ops in one transaction if no log was ever kept.
	ImportCuration(ctx context.Context, key string, ops []identity.Op) (bool, error)
	// The cast list of a show.
	Headshots(ctx context.Context, show string) ([]identity.Headshot, error)
}

// Env is the machine-level configuration a stage reads when it starts
// (settings can change between jobs).
type Env struct {
	ModelsDir string // folder holding the models of models/models.json
	ORTLib    string // ONNX Runtime library ("" → default search)
}

// Deps are what the stages are built from.
type Deps struct {
	Store   Store
	DataDir string
	Env     func() Env
	// PartFrames is the most sampled frames detect writes per Parquet part
	// and checkpoint (0 → partFrames).
	PartFrames int
	// CheckpointEvery is the most work detect does between two checkpoints
	// (0 → checkpointEvery); Now is its clock (nil → time.Now).
	CheckpointEvery time.Duration
	Now             func() time.Time
}

// JobSettings are the settings a job runs with; they are part of the job
// (two jobs with other settings are other work) and of each stage's
// fingerprint.
type JobSettings struct {
	SampleFPS    float64 `json:"sample_fps"`    // <0: every frame
	DetectPreset string  `json:"detect_preset"` // fast | default | detail
	RequireGPU   bool    `json:"require_gpu"`
}

func settingsOf(j job.Job) JobSettings {
	var s JobSettings
	_ = json.Unmarshal(j.Settings, &s)
	if s.SampleFPS == 0 {
		s.SampleFPS = 5
	}
	if s.DetectPreset == "" {
		s.DetectPreset = "default"
	}
	return s
}

// Order is the pipeline's stage order.
var Order = []string{"validate", "extract", "detect", "track", "cluster", "analytics"}

var labels = map[string]string{
	"validate":  "Validate",
	"extract":   "Extract frames",
	"detect":    "Detect/Embed",
	"track":     "Track",
	"cluster":   "Cluster",
	"analytics": "Screen time",
}

// Label is the name users see for a stage ("Detect/Embed").
func Label(stage string) string {
	if l, ok := labels[stage]; ok {
		return l
	}
	return stage
}

// Select turns a user's stage list into pipeline-ordered names: empty →
// every stage; "detect+" → detect and every stage after it.
func Select(stages []string) ([]string, error) {
	if len(stages) == 0 {
		return slices.Clone(Order), nil
	}
	want := map[string]bool{}
	for _, s := range stages {
		s = strings.ToLower(strings.TrimSpace(s))
		from := strings.HasSuffix(s, "+")
		s = strings.TrimSuffix(s, "+")
		i := slices.Index(Order, s)
		if i < 0 {
			return nil, errs.New(errs.Usage, fmt.Sprintf("Unknown stage %q.", s), "Stages are "+strings.Join(Order, ", ")+"; add + to run a stage and every stage after it.")
		}
		want[s] = true
		if from {
			for _, n := range Order[i:] {
				want[n] = true
			}
		}
	}
	var out []string
	for _, n := range Order {
		if want[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// Mode names a job after what it runs: full, prepare (validate + extract),
// or the first stage's name.
func Mode(stages []string) string {
	switch {
	case slices.Equal(stages, Order):
		return "full"
	case slices.Equal(stages, Order[:2]):
		return "prepare"
	case len(stages) > 0:
		return stages[0]
	}
	return "full"
}

// Stages returns the pipeline's stage definitions, in order.
func Stages(d Deps) []job.StageDef {
	return []job.StageDef{
		d.validateStage(),
		d.extractStage(),
		d.detectStage(),
		d.trackStage(),
		d.clusterStage(),
		d.analyticsStage(),
	}
}

// episodeOf loads the job's episode and checks its video is still there.
func (d Deps) episodeOf(ctx context.Context, r job.Reporter) (episode.Episode, error) {
	ep, err := d.Store.Episode(ctx, r.Job().EpisodeKey)
	if err != nil {
		return ep, err
	}
	if ep.VideoPath == "" {
		return ep, errs.New(errs.EpisodeNotRegistered, fmt.Sprintf("video_path could not be resolved for job %s.", r.Job().ID), "Add the video again.")
	}
	return ep, nil
}

// fingerprint hashes its parts into a short stable string.
func fingerprint(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		b, _ := json.Marshal(p)
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}

func exists(paths ...string) bool {
	for _, p := range paths {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return false
		}
	}
	return true
}

// writeJSON writes v to path atomically, creating its folder.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("pipeline: encode %s: %w", filepath.Base(path), err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return errs.FS(err, path)
	}
	return atomicfile.Write(path, append(b, '\n'))
}
