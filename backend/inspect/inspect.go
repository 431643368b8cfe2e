// Package inspect builds the state inspector's report for one episode —
// registry flags with timestamps, every job envelope with its stages, the
// artifacts present with row counts, det_stats.json and the last log
// lines — shared by `castscope inspect KEY` (Text, or JSON) and the UI
// panel. Row counting is passed in (Parquet lives in package harvest).
//
// A stage the store still records as running whose process is gone (a
// SIGKILL, a crash) keeps its status here — only a runner may change it,
// when it recovers the stage on its next start — and is marked interrupted
// beside it (StageView.Interrupted; "running → interrupted (process 1234
// is gone; resumes on the next run)" in the text).
package inspect

import (
	"bytes"
	"castscope/backend/harvest"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"castscope/backend/errs"

	"castscope/backend/episode"
	"castscope/backend/job"
)

// Source is where the report's data comes from (*sqlite.Store).
type Source interface {
	Episode(ctx context.Context, key string) (episode.Episode, error)
	Jobs(ctx context.Context, episodeKey string) ([]job.Job, error)
	EpisodeLogTail(ctx context.Context, key string, n int) ([]job.LogLine, error)
}

// RowCounter returns the number of rows of a Parquet file.
type RowCounter func(path string) (int64, error)

// Registry is the registry part of the report.
type Registry struct {
	Exists     bool                  `json:"exists"`
	Path       string                `json:"path"` // episodes/{key}/state.json
	VideoPath  string                `json:"video_path"`
	States     map[string]bool       `json:"states"`
	Timestamps map[string]*time.Time `json:"timestamps"`
	Error      string                `json:"error,omitempty"`
}

// JobView is one job envelope with its stages in order.
type JobView struct {
	JobID      string      `json:"job_id"`
	EpisodeKey string      `json:"episode_key"`
	Mode       string      `json:"mode"`
	Driver     string      `json:"driver,omitempty"` // "temporal HOST:PORT/NS" for a job run on Temporal
	CreatedAt  time.Time   `json:"created_at"`
	FinishedAt *time.Time  `json:"finished_at"`
	Canceled   bool        `json:"canceled,omitempty"`
	Stages     []StageView `json:"stages"`
}

// StageView is a stage record as stored, plus what the inspector can tell
// about it that the record cannot: a stage still marked running whose
// process is gone (killed, crashed, the machine switched off) keeps its
// status — the store says running until a runner recovers it — and gains
// Interrupted, so the panel and the text tell it from a live stage.
type StageView struct {
	job.Stage
	Interrupted *Interrupted `json:"interrupted,omitempty"`
}

// Interrupted says that the process running a stage is gone.
type Interrupted struct {
	PID     int    `json:"pid,omitempty"` // 0 when the owner names none
	Message string `json:"message"`       // "process 1234 is gone; resumes on the next run"
}

// MarshalJSON writes the stage's own JSON (job.Stage's format) with
// "interrupted" added when set.
func (s StageView) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(s.Stage)
	if err != nil || s.Interrupted == nil {
		return b, err
	}
	extra, err := json.Marshal(s.Interrupted)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimRight(b, " \n")
	if len(b) < 2 || b[len(b)-1] != '}' {
		return nil, fmt.Errorf("inspect: stage JSON is not an object")
	}
	out := append(b[:len(b)-1:len(b)-1], []byte(`,"interrupted":`)...)
	return append(append(out, extra...), '}'), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *StageView) UnmarshalJSON(b []byte) error {
	var extra struct {
		Interrupted *Interrupted `json:"interrupted"`
	}
	if err := json.Unmarshal(b, &s.Stage); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &extra); err != nil {
		return err
	}
	s.Interrupted = extra.Interrupted
	return nil
}

// viewOf returns st with Interrupted set when it is running under an owner
// known to be gone (job.OwnerDead: same host, process no longer running).
func viewOf(st job.Stage) StageView {
	v := StageView{Stage: st}
	if st.Status != job.StatusRunning || st.Owner == "" || !job.OwnerDead(st.Owner) {
		return v
	}
	v.Interrupted = &Interrupted{Message: "its process is gone; resumes on the next run"}
	if at := strings.IndexByte(st.Owner, '@'); at > 0 {
		if pid, err := strconv.Atoi(st.Owner[:at]); err == nil && pid > 0 {
			v.Interrupted.PID = pid
			v.Interrupted.Message = fmt.Sprintf("process %d is gone; resumes on the next run", pid)
		}
	}
	return v
}

// ArtifactFile is one expected artifact.
type ArtifactFile struct {
	Name      string `json:"name"`
	Exists    bool   `json:"exists"`
	SizeBytes int64  `json:"size_bytes"`
	Rows      *int64 `json:"rows"`
	Error     string `json:"error,omitempty"`
}

// ArtifactsView is the harvest folder of the episode.
type ArtifactsView struct {
	Dir    string         `json:"dir"`
	Exists bool           `json:"exists"`
	Files  []ArtifactFile `json:"files"`
}

// Report is the whole inspection.
type Report struct {
	EpisodeKey string          `json:"episode_key"`
	Registry   Registry        `json:"registry"`
	Jobs       []JobView       `json:"jobs"`
	Artifacts  ArtifactsView   `json:"artifacts"`
	DetStats   json.RawMessage `json:"det_stats"`
	// Curation is filled in by the caller, which knows the curation log
	// and the cluster stage's files; nil before the episode is registered.
	Curation *Curation `json:"curation,omitempty"`
	LogTail  []string  `json:"log_tail"`
}

// Curation is what the user said about the episode's people, and whether
// the identities on disk show it yet.
type Curation struct {
	Ops       []string `json:"ops"`     // in effect, oldest first, in words
	Applied   bool     `json:"applied"` // the identities reflect the log and the cast list
	Clustered bool     `json:"clustered"`
	Show      string   `json:"show"`
	Headshots int      `json:"headshots"` // on the show's cast list
	// Names says, per person, why the cast list named them or what it
	// offers ("Person 3 may be …"), in words; empty without a cast list.
	Names []string `json:"names"`
}

// Files are the artifacts the inspector looks for, in pipeline order, with
// the noun their rows count.
var Files = []struct{ Name, Noun string }{
	{harvest.ManifestFile, "frames"},
	{harvest.DetectionsFile, "detections"},
	{harvest.EmbeddingsFile, "embeddings"},
	{harvest.DetStatsFile, ""},
	{harvest.TracksFile, "tracks"},
	{harvest.IdentitiesFile, "identities"},
	{harvest.ScreentimeJSONFile, ""},
	{harvest.ScreentimeCSVFile, ""},
}

// LogTailLines is how many log lines the report carries.
const LogTailLines = 10

// Build builds the report of key from src and the files under dataDir.
// A missing episode is not an error: the report says so. rows may be nil.
func Build(ctx context.Context, src Source, dataDir, key string, rows RowCounter) (Report, error) {
	rep := Report{EpisodeKey: key, Jobs: []JobView{}, LogTail: []string{}}
	rep.Registry.Path = filepath.Join("episodes", key, "state.json")
	ep, err := src.Episode(ctx, key)
	switch {
	case err == nil:
		rep.Registry.Exists = true
		rep.Registry.VideoPath = ep.VideoPath
		rep.Registry.States = ep.States
		rep.Registry.Timestamps = ep.Timestamps
	case errs.HasCode(err, errs.EpisodeNotRegistered):
		rep.Registry.Error = errs.As(err).Message
	default:
		return rep, err
	}
	jobs, err := src.Jobs(ctx, key)
	if err != nil {
		return rep, err
	}
	for _, j := range jobs {
		jv := JobView{JobID: j.ID, EpisodeKey: j.EpisodeKey, Mode: j.Mode, Driver: j.Driver, CreatedAt: j.CreatedAt,
			FinishedAt: j.FinishedAt, Canceled: j.Canceled, Stages: make([]StageView, 0, len(j.Stages))}
		for _, st := range j.Stages {
			jv.Stages = append(jv.Stages, viewOf(st))
		}
		rep.Jobs = append(rep.Jobs, jv)
	}
	dir := harvest.Dir(dataDir, key)
	rep.Artifacts.Dir = harvest.Dir("", key)
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		rep.Artifacts.Exists = true
	}
	for _, f := range Files {
		af := ArtifactFile{Name: f.Name}
		p := filepath.Join(dir, f.Name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			af.Exists, af.SizeBytes = true, st.Size()
			if rows != nil && f.Noun != "" { // a Parquet file: count its rows
				if n, err := rows(p); err != nil {
					af.Error = errs.As(err).Message
				} else {
					af.Rows = &n
				}
			}
		}
		rep.Artifacts.Files = append(rep.Artifacts.Files, af)
	}
	if b, err := os.ReadFile(filepath.Join(dir, harvest.DetStatsFile)); err == nil && json.Valid(b) {
		rep.DetStats = json.RawMessage(b)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return rep, fmt.Errorf("inspect: read det_stats.json: %w", err)
	}
	lines, err := src.EpisodeLogTail(ctx, key, LogTailLines)
	if err != nil {
		return rep, err
	}
	for _, l := range lines {
		rep.LogTail = append(rep.LogTail, episode.FormatTime(l.Time)+" "+l.Level+" "+l.Line)
	}
	return rep, nil
}

var icons = map[job.Status]string{
	job.StatusOK: "✅", job.StatusRunning: "⏳", job.StatusError: "❌", job.StatusPending: "⏸️", job.StatusSkipped: "⏩",
	job.StatusRetrying: "🔁", job.StatusCanceled: "⏹️",
}

func yes(b bool) string {
	if b {
		return "✅"
	}
	return "❌"
}

// Text renders the report for a terminal: the registry with each state's
// time, every job envelope with its stages, the artifacts and the log tail.
func (r Report) Text() string {
	var b strings.Builder
	rule := strings.Repeat("=", 60)
	fmt.Fprintf(&b, "%s\nEpisode State Inspection: %s\n%s\n\n", rule, r.EpisodeKey, rule)

	fmt.Fprintf(&b, "📋 Registry: %s\n", filepath.ToSlash(r.Registry.Path))
	if !r.Registry.Exists {
		fmt.Fprintf(&b, "   ❌ Not registered\n")
	} else {
		fmt.Fprintf(&b, "   ✅ Exists\n   Video path: %s\n   States:\n", r.Registry.VideoPath)
		for _, name := range stateOrder(r.Registry.States) {
			v := r.Registry.States[name]
			line := fmt.Sprintf("      %s %s: %s", yes(v), name, pyBool(v))
			if t := r.Registry.Timestamps[name]; t != nil {
				line += "  (" + episode.FormatTime(*t) + ")"
			}
			b.WriteString(line + "\n")
		}
	}

	fmt.Fprintf(&b, "\n📁 Job Envelopes: Found %d job(s)\n", len(r.Jobs))
	for _, j := range r.Jobs {
		fmt.Fprintf(&b, "   Job ID: %s\n   Mode: %s\n", j.JobID, j.Mode)
		if j.Driver != "" {
			fmt.Fprintf(&b, "   Runs on: %s (workflow %s)\n", j.Driver, "castscope/"+j.EpisodeKey)
		}
		b.WriteString("   Stages:\n")
		for _, s := range j.Stages {
			line := fmt.Sprintf("      %s %s: %s", icons[s.Status], s.Name, s.Status)
			if s.Interrupted != nil {
				line = fmt.Sprintf("      ⚠️ %s: %s → interrupted (%s)", s.Name, s.Status, s.Interrupted.Message)
			}
			if s.Stale {
				line += " (stale)"
			}
			if s.Attempt > 1 {
				line += fmt.Sprintf(" (attempt %d/%d)", s.Attempt, s.MaxAttempts)
			}
			b.WriteString(line + "\n")
			if s.Error != nil {
				fmt.Fprintf(&b, "         %s: %s\n", s.Error.Code, s.Error.Message)
			}
			if s.SkipReason != "" {
				fmt.Fprintf(&b, "         reason: %s\n", s.SkipReason)
			}
			for _, kv := range flat(s.Result) {
				fmt.Fprintf(&b, "         %s\n", kv)
			}
		}
	}

	fmt.Fprintf(&b, "\n📦 Harvest Artifacts: %s\n", filepath.ToSlash(r.Artifacts.Dir))
	if !r.Artifacts.Exists {
		b.WriteString("   ❌ Missing\n")
	} else {
		b.WriteString("   ✅ Exists\n")
		for _, f := range r.Artifacts.Files {
			if !f.Exists {
				continue
			}
			line := "   ✅ " + f.Name
			if f.Rows != nil {
				line += fmt.Sprintf(" (%d %s)", *f.Rows, noun(f.Name))
			} else if f.Error != "" {
				line += " (unreadable: " + f.Error + ")"
			}
			b.WriteString(line + "\n")
			if f.Name == harvest.DetStatsFile {
				for _, kv := range detStats(r.DetStats) {
					fmt.Fprintf(&b, "      • %s\n", kv)
				}
			}
		}
	}

	if c := r.Curation; c != nil {
		state := "applied"
		switch {
		case !c.Clustered:
			state = "applied when cluster runs"
		case !c.Applied:
			state = "not applied yet: cluster runs again"
		}
		fmt.Fprintf(&b, "\n✏️ Curation: %d operation(s), %s\n", len(c.Ops), state)
		for i, op := range c.Ops {
			fmt.Fprintf(&b, "   %d. %s\n", i+1, op)
		}
		fmt.Fprintf(&b, "   Cast list of %q: %d headshot(s)\n", c.Show, c.Headshots)
		for _, n := range c.Names {
			fmt.Fprintf(&b, "   %s\n", n)
		}
	}

	if len(r.LogTail) > 0 {
		fmt.Fprintf(&b, "\n📜 Last %d log lines\n", len(r.LogTail))
		for _, l := range r.LogTail {
			b.WriteString("   " + l + "\n")
		}
	}
	return b.String()
}

func pyBool(v bool) string {
	if v {
		return "True"
	}
	return "False"
}

func noun(name string) string {
	for _, f := range Files {
		if f.Name == name && f.Noun != "" {
			return f.Noun
		}
	}
	return "rows"
}

func stateOrder(m map[string]bool) []string {
	order := map[string]int{}
	for i, s := range episode.States {
		order[s] = i
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		oi, iok := order[names[i]]
		oj, jok := order[names[j]]
		if iok != jok {
			return iok
		}
		if iok {
			return oi < oj
		}
		return names[i] < names[j]
	})
	return names
}

// flat renders a JSON object as sorted "key: value" lines (scalars only).
func flat(b json.RawMessage) []string {
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		switch v := m[k].(type) {
		case string, float64, bool:
			out = append(out, fmt.Sprintf("%s: %v", k, v))
		}
	}
	return out
}

var statLabels = []struct{ key, label string }{
	{"frames_processed", "Frames processed"},
	{"faces_detected", "Faces detected"},
	{"embeddings_computed", "Embeddings computed"},
}

func detStats(b json.RawMessage) []string {
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	var out []string
	for _, s := range statLabels {
		if v, ok := m[s.key]; ok {
			out = append(out, fmt.Sprintf("%s: %v", s.label, v))
		}
	}
	return out
}
