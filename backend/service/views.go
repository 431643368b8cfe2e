package service

import (
	"castscope/backend/harvest"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/job"
	"castscope/backend/modelpack"
	"castscope/backend/pipeline"
	"castscope/backend/video"
)

// LogLine is one stored log line.
type LogLine = job.LogLine

// StageView is one stage as the UI shows it: the stored stage plus the
// runner's live rate and ETA.
type StageView struct {
	Name        string          `json:"name"`
	Label       string          `json:"label"`
	Status      job.Status      `json:"status"`
	Stale       bool            `json:"stale"`
	Attempt     int             `json:"attempt"`
	MaxAttempts int             `json:"max_attempts"`
	Done        int64           `json:"done"`
	Total       int64           `json:"total"`
	Unit        string          `json:"unit"`
	Rate        float64         `json:"rate"`
	ETASeconds  *float64        `json:"eta_s"`
	ETAState    string          `json:"eta_state"`
	Slow        bool            `json:"slow"`
	StartedAt   *time.Time      `json:"started_at"`
	FinishedAt  *time.Time      `json:"finished_at"`
	HeartbeatAt *time.Time      `json:"heartbeat_at"`
	NextRetryAt *time.Time      `json:"next_retry_at"`
	Result      json.RawMessage `json:"result"`
	Error       *job.StageError `json:"error"`
	SkipReason  string          `json:"skip_reason,omitempty"`
	// Owner is who runs the stage: "temporal:WORKER" for a job on
	// Temporal (the window names the worker), else this computer's runner.
	Owner string `json:"owner,omitempty"`
}

// JobView is a job with its stages in pipeline order.
type JobView struct {
	JobID      string      `json:"job_id"`
	EpisodeKey string      `json:"episode_key"`
	Mode       string      `json:"mode"`
	Driver     string      `json:"driver,omitempty"` // job.Job.Driver: the Temporal server that runs it, "" = this computer
	CreatedAt  time.Time   `json:"created_at"`
	FinishedAt *time.Time  `json:"finished_at"`
	Stages     []StageView `json:"stages"`
}

// EpisodeView is an episode with its latest job. Video is the validate
// stage's probe, which the registry stores as opaque JSON, decoded (nil
// before validate), so that the page's type of it is generated from
// video.Info.
type EpisodeView struct {
	Episode   episode.Episode
	Video     *video.Info `json:"video"`
	LatestJob *JobView    `json:"latest_job"`
}

// MarshalJSON writes the episode's own fields plus "latest_job".
func (v EpisodeView) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(v.Episode)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	lj, err := json.Marshal(v.LatestJob)
	if err != nil {
		return nil, err
	}
	m["latest_job"] = lj
	if v.Video != nil {
		vi, err := json.Marshal(v.Video)
		if err != nil {
			return nil, err
		}
		m["video"] = vi
	}
	return json.Marshal(m)
}

func (b *Backend) jobView(ctx context.Context, j job.Job) JobView {
	live := map[string]job.Event{}
	if evs, err := b.runner.StageView(ctx, j.ID); err == nil {
		for _, e := range evs {
			live[e.Stage] = e
		}
	}
	v := JobView{JobID: j.ID, EpisodeKey: j.EpisodeKey, Mode: j.Mode, Driver: j.Driver, CreatedAt: j.CreatedAt, FinishedAt: j.FinishedAt}
	for _, s := range j.Stages {
		sv := StageView{
			Name: s.Name, Label: pipeline.Label(s.Name), Status: s.Status, Stale: s.Stale,
			Attempt: s.Attempt, MaxAttempts: s.MaxAttempts,
			Done: s.Progress.Done, Total: s.Progress.Total, Unit: s.Progress.Unit,
			StartedAt: s.StartedAt, FinishedAt: s.FinishedAt, HeartbeatAt: s.HeartbeatAt, NextRetryAt: s.NextRetryAt,
			Result: s.Result, Error: s.Error, SkipReason: s.SkipReason, Owner: s.Owner,
		}
		if e, ok := live[s.Name]; ok {
			sv.Rate, sv.ETASeconds, sv.ETAState, sv.Slow = e.Rate, e.ETASeconds, e.ETAState, e.Slow
			if e.Done > sv.Done {
				sv.Done, sv.Total = e.Done, e.Total
			}
		}
		v.Stages = append(v.Stages, sv)
	}
	return v
}

func (b *Backend) episodeView(ctx context.Context, ep episode.Episode) (EpisodeView, error) {
	v := EpisodeView{Episode: ep}
	if info, ok := video.StoredInfo(ep.Video); ok {
		v.Video = &info
	}
	jobs, err := b.store.Jobs(ctx, ep.Key)
	if err != nil {
		return v, err
	}
	if len(jobs) > 0 {
		jv := b.jobView(ctx, jobs[0])
		v.LatestJob = &jv
	}
	return v, nil
}

// EpisodeViews returns every episode with its latest job.
func (b *Backend) EpisodeViews(ctx context.Context) ([]EpisodeView, error) {
	eps, err := b.store.Episodes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]EpisodeView, 0, len(eps))
	for _, ep := range eps {
		v, err := b.episodeView(ctx, ep)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// AddVideos registers each file and queues the whole pipeline for the new
// ones; a file already registered returns its episode as it is. Files that
// fail are reported together in the error; the others are still added.
func (b *Backend) AddVideos(ctx context.Context, paths []string) ([]EpisodeView, error) {
	var views []EpisodeView
	var failed []error
	for _, p := range paths {
		ep, existing, err := b.AddVideo(ctx, p)
		if err != nil {
			failed = append(failed, err)
			continue
		}
		if !existing {
			if _, _, err := b.Run(ctx, ep.Key, nil, RunOverrides{}); err != nil {
				failed = append(failed, err)
			}
		}
		v, err := b.episodeView(ctx, ep)
		if err != nil {
			failed = append(failed, err)
			continue
		}
		views = append(views, v)
	}
	switch len(failed) {
	case 0:
		return views, nil
	case 1:
		return views, failed[0]
	}
	first := errs.As(failed[0])
	return views, &errs.Error{Code: first.Code, Message: fmt.Sprintf("%d files could not be added; the first: %s", len(failed), first.Message), Hint: first.Hint, Err: errors.Join(failed...)}
}

// Retry runs stage of jobID's episode again, with every stage after it.
func (b *Backend) Retry(ctx context.Context, jobID, stage string) (string, error) {
	j, err := b.store.Job(ctx, jobID)
	if err != nil {
		return "", err
	}
	// The retry runs with the settings of the job that failed, not with
	// whatever the settings are now.
	o := overridesOf(j)
	o.Rerun = true
	nj, _, err := b.Run(ctx, j.EpisodeKey, []string{stage + "+"}, o)
	return nj.ID, err
}

// JobLogs returns the log lines of one job, oldest first.
func (b *Backend) JobLogs(ctx context.Context, jobID string) ([]LogLine, error) {
	return b.store.JobLogs(ctx, jobID, 2000)
}

// SettingsView is the Settings panel: the editable settings plus what the
// doctor found.
type SettingsView struct {
	DataDir      string             `json:"data_dir"`
	ModelsDir    string             `json:"models_dir"`
	Models       []modelpack.Status `json:"models"`
	ORTLib       string             `json:"ort_lib"`
	ORTVersion   string             `json:"ort_version"`
	Provider     string             `json:"provider"`
	RequireGPU   bool               `json:"require_gpu"`
	SampleFPS    float64            `json:"sample_fps"`
	DetectPreset string             `json:"detect_preset"`
	StallAfterS  float64            `json:"stall_after_s"`

	ClusterThreshold float64 `json:"cluster_threshold"`
	MinTrackLen      int     `json:"min_track_len"`
	ScreenTimePreset string  `json:"screentime_preset"`

	// Where jobs run (Settings.RunOn): "local" or "temporal", with the
	// Temporal server's HOST:PORT and namespace.
	RunOn             string `json:"run_on"`
	TemporalAddress   string `json:"temporal_address"`
	TemporalNamespace string `json:"temporal_namespace"`
}

// SettingsView returns the settings with the doctor's findings.
func (b *Backend) SettingsView(ctx context.Context) SettingsView {
	s := b.Settings()
	d := RunDoctor(ctx, b.DataDir, s)
	return SettingsView{
		DataDir: b.DataDir, ModelsDir: d.ModelsDir, Models: d.Models,
		ORTLib: d.ORTLib, ORTVersion: d.ORTVersion, Provider: d.Provider,
		RequireGPU: s.RequireGPU, SampleFPS: s.SampleFPS, DetectPreset: s.DetectPreset, StallAfterS: s.StallAfterS,
		ClusterThreshold: s.ClusterThreshold, MinTrackLen: s.MinTrackLen, ScreenTimePreset: s.ScreenTimePreset,
		RunOn: s.RunOn, TemporalAddress: s.TemporalAddress, TemporalNamespace: s.TemporalNamespace,
	}
}

// SaveSettingsView stores the editable part of v.
func (b *Backend) SaveSettingsView(v SettingsView) error {
	s := b.Settings()
	s.RequireGPU, s.SampleFPS, s.DetectPreset, s.StallAfterS = v.RequireGPU, v.SampleFPS, v.DetectPreset, v.StallAfterS
	s.ClusterThreshold, s.MinTrackLen, s.ScreenTimePreset = v.ClusterThreshold, v.MinTrackLen, v.ScreenTimePreset
	s.RunOn, s.TemporalAddress, s.TemporalNamespace = v.RunOn, strings.TrimSpace(v.TemporalAddress), strings.TrimSpace(v.TemporalNamespace)
	// The panel shows the folder in use ("" = built in); only a different
	// one is a choice, and clearing it goes back to the built-in models.
	if v.ModelsDir != ModelsDir(s) {
		s.ModelsDir = v.ModelsDir
	}
	// The panel shows the library in use; only a different path is a choice.
	if v.ORTLib != "" && v.ORTLib != s.ORTLib && v.ORTLib != RunDoctor(context.Background(), b.DataDir, s).ORTLib {
		s.ORTLib = v.ORTLib
	}
	return b.SaveSettings(s)
}

// Poster returns the episode's poster thumbnail (JPEG) written by the
// extract stage, or nil when there is none yet.
func (b *Backend) Poster(key string) ([]byte, error) {
	if err := episode.ValidateKey(key); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(harvest.Dir(b.DataDir, key), harvest.ThumbsDir, harvest.PosterFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}
