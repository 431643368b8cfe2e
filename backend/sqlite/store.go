package sqlite

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"castscope/backend/episode"
	"castscope/backend/job"
	"castscope/backend/logx"
)

// LogLine is one stored log line.
type LogLine = logx.LogLine

// Options configure Open. Zero values work.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	// WriteFile replaces os.WriteFile for the JSON exports (tests inject
	// failures here). It writes a temp file that is then renamed.
	WriteFile func(path string, data []byte) error
}

// Store is the SQLite store: the registry, jobs, logs and throughput
// history. It implements job.Store.
type Store struct{}

var _ job.Store = (*Store)(nil)

// Open opens (creating) {dataDir}/castscope.db.
func Open(ctx context.Context, dataDir string, opts Options) (*Store, error) { return &Store{}, nil }

// RegisterEpisode registers the video at path (see the package comment).
func (s *Store) RegisterEpisode(ctx context.Context, path string) (ep episode.Episode, existing bool, err error) {
	return
}

// Episode returns the episode key (ERR_EPISODE_NOT_REGISTERED if unknown).
func (s *Store) Episode(ctx context.Context, key string) (episode.Episode, error) {
	return episode.Episode{}, nil
}

// Episodes returns every episode, oldest first.
func (s *Store) Episodes(ctx context.Context) ([]episode.Episode, error) { return nil, nil }

// SetEpisodeVideo stores the validate stage's probe result.
func (s *Store) SetEpisodeVideo(ctx context.Context, key string, video json.RawMessage) error {
	return nil
}

// SetEpisodeState sets a registry flag and its timestamp.
func (s *Store) SetEpisodeState(ctx context.Context, key, flag string, v bool) error { return nil }

// Job returns a job with its stages.
func (s *Store) Job(ctx context.Context, id string) (job.Job, error) { return job.Job{}, nil }

// Jobs returns the jobs of an episode, newest first.
func (s *Store) Jobs(ctx context.Context, episodeKey string) ([]job.Job, error) { return nil, nil }

// JobLogs returns the last limit log lines of a job, oldest first.
func (s *Store) JobLogs(ctx context.Context, jobID string, limit int) ([]LogLine, error) {
	return nil, nil
}

// EpisodeLogTail returns the last n log lines of an episode, oldest first.
func (s *Store) EpisodeLogTail(ctx context.Context, key string, n int) ([]LogLine, error) {
	return nil, nil
}

// ExportAll rewrites every state.json and meta.json.
func (s *Store) ExportAll(ctx context.Context) error { return nil }

// ImportLegacy imports the predecessor's state.json/meta.json files from
// dataDir into an empty database.
func (s *Store) ImportLegacy(ctx context.Context, dataDir string) (episodes, jobs int, err error) {
	return 0, 0, nil
}

// Close closes the database after a last export.
func (s *Store) Close() error { return nil }

func (s *Store) CreateJob(ctx context.Context, j job.Job, signature string) (job.Job, bool, error) {
	return j, false, nil
}
func (s *Store) ActiveJobs(ctx context.Context) ([]job.Job, error) { return nil, nil }
func (s *Store) UpdateStage(ctx context.Context, jobID string, st job.Stage, from job.Status, prevOwner string) error {
	return nil
}
func (s *Store) Heartbeat(ctx context.Context, jobID, stage, owner string, p job.Progress, at time.Time) (bool, error) {
	return false, nil
}
func (s *Store) SaveCheckpoint(ctx context.Context, jobID, stage, owner string, cp json.RawMessage) error {
	return nil
}
func (s *Store) Checkpoint(ctx context.Context, jobID, stage string) (json.RawMessage, error) {
	return nil, nil
}
func (s *Store) FinishJob(ctx context.Context, jobID string, at time.Time) error { return nil }
func (s *Store) RequestCancel(ctx context.Context, jobID string) error           { return nil }
func (s *Store) MarkStale(ctx context.Context, episodeKey string, stages []string, exceptJobID string) error {
	return nil
}
func (s *Store) LastFingerprint(ctx context.Context, episodeKey, stage string) (string, error) {
	return "", nil
}
func (s *Store) StageRate(ctx context.Context, stage, rateKey string) (float64, error) { return 0, nil }
func (s *Store) RecordStageRate(ctx context.Context, stage, rateKey string, rate float64) error {
	return nil
}
func (s *Store) AppendLog(ctx context.Context, l logx.LogLine) error { return nil }
