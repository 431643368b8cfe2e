// Package service is the backend both faces of Castscope share — the window
// (app.go) and the command line (package cli). Open wires the SQLite store,
// the job runner with the pipeline's stages, the worker log and the user's
// settings; the methods are what a user can do: add videos, run, wait for
// or cancel a job, inspect, export. The store and the runner stay inside:
// the window and the command line use nothing else (the job types they
// print are re-exported here: Job, Event, Status; SelectStages resolves a
// stage list).
//
// Data flows video → frames → detections → tracks → identities → screen
// time, and the packages follow it: video (decoding, probe, face crops and
// their cache, the shot-cut histogram) → face → track → identity (with the
// Cast view's curation rules) → screentime; harvest stores and reads each
// step's artifacts; pipeline runs the steps as job stages; service
// orchestrates — it reads through harvest, applies identity's rules, and
// turns requests into store writes and jobs.
//
// Reading never queues work: a Cast view whose identities lag behind says
// so (CastView.CatchUp) and its reader asks for CatchUp, which holds the one
// catch-up rule (nothing after a failed run; the job running; else a new
// cluster → analytics). A settings file that cannot be decoded or read is
// an error for Open (ERR_USAGE naming the file and what to do, shown by
// the window), never replaced by defaults; reading commands go on with the
// defaults and a warning.
package service

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/harvest"
	"castscope/backend/identity"
	"castscope/backend/inspect"
	"castscope/backend/job"
	"castscope/backend/logx"
	"castscope/backend/pipeline"
	"castscope/backend/playback"
	"castscope/backend/remote"
	"castscope/backend/sqlite"
)

// Options configure Open. Zero values work.
type Options struct {
	DataDir  string       // "" → ResolveDataDir("")
	Notifier job.Notifier // receives every stage event (nil: none)
	Logger   *slog.Logger // extra sink besides logs/worker.log (nil: none)
	Workers  int          // heavy stages at a time (0 → 1)
	// NoRunner opens the data folder without starting the job runner:
	// read-only commands (inspect, exports) leave every job to the process
	// running it (a window left open, say). Jobs submitted meanwhile wait
	// for the next process that starts a runner.
	NoRunner bool
	// WorkerExe is the castscope executable whose `worker` command runs
	// each stage attempt in a supervised child process (package job,
	// worker.go), so a crash in native code fails the stage, not the
	// app; "" runs stage bodies in this process (tests, tools).
	WorkerExe string
	// ReadOnly opens the data folder for a command that only reads it
	// (inspect, export), which must work on a read-only folder: NoRunner,
	// the worker log is opened on its first record and falls back to
	// LogFallback (with a note) when it cannot be written, a settings
	// file that cannot be used is logged and the defaults used (Open
	// without ReadOnly refuses it: see loadUsableSettings), and the store
	// is opened by openReadOnlyStore.
	ReadOnly bool
	// LogFallback receives the log when ReadOnly and logs/worker.log
	// cannot be written (nil: standard error).
	LogFallback io.Writer
}

// Backend is an open data folder with its runner started.
type Backend struct {
	DataDir string
	Log     *logx.Log

	// The store and the runner are the service's own: the window and the
	// command line go through its methods, which are what a user does.
	store  *sqlite.Store
	runner *job.Runner
	media  *playback.Server

	mu       sync.Mutex
	settings Settings

	// Jobs run on Temporal (remote.go): their followers, stopped by Close.
	notifier   job.Notifier
	remoteCtx  context.Context
	remoteStop context.CancelFunc
	remoteWG   sync.WaitGroup
	followers  map[string]bool
}

// Open opens (creating if needed) the data folder and starts the runner,
// which first recovers any stage a dead process left running.
func Open(ctx context.Context, opts Options) (*Backend, error) {
	dir := ResolveDataDir(opts.DataDir)
	var lg *logx.Log
	if opts.ReadOnly {
		opts.NoRunner = true
		lg = logx.OpenLazy(dir, opts.Logger, opts.LogFallback)
	} else {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, errs.FS(err, dir)
		}
		var err error
		if lg, err = logx.Open(dir, opts.Logger); err != nil {
			return nil, err
		}
	}
	settings, err := loadUsableSettings(dir, lg.Slog(), opts.ReadOnly)
	if err != nil {
		lg.Close()
		return nil, err
	}
	open := sqlite.Open
	if opts.ReadOnly {
		open = openReadOnlyStore
	}
	store, err := open(ctx, dir, sqlite.Options{Logger: lg.Slog()})
	if err != nil {
		if !opts.ReadOnly { // a reading command prints it; its log may be standard error
			lg.Slog().Error("opening the database failed", "error", err.Error())
		}
		lg.Close()
		return nil, err
	}
	b := &Backend{DataDir: dir, store: store, Log: lg, settings: settings.Normalized(), notifier: opts.Notifier}
	b.media = playback.New(b.mediaLookup)
	cfg := job.Config{
		Store:        store,
		Notifier:     opts.Notifier,
		Logger:       lg.Slog(),
		HeavyWorkers: opts.Workers,
		StallAfter:   secondsToDuration(b.settings.StallAfterS),
		ValidateKey:  episode.ValidateKey,
	}
	if exe := opts.WorkerExe; exe != "" {
		cfg.Worker = func(context.Context) *exec.Cmd { return exec.Command(exe, "worker", "--data", dir) }
	}
	b.runner = job.NewRunner(cfg, b.stages(b.pipelineEnv)...)
	if opts.NoRunner {
		return b, nil
	}
	if err := b.runner.Start(ctx); err != nil {
		store.Close()
		lg.Close()
		return nil, err
	}
	b.remoteCtx, b.remoteStop = context.WithCancel(context.Background())
	b.resumeRemote(ctx)
	return b, nil
}

// openReadOnlyStore opens the store for Options.ReadOnly: no migration, no
// exports, every write refused with ERR_READ_ONLY, and it works on a
// read-only folder.
var openReadOnlyStore = sqlite.OpenReadOnly

// Close stops the runner (running stages are canceled and resume on the
// next start) and closes the store and the log.
func (b *Backend) Close() error {
	if b.media != nil {
		b.media.Close()
	}
	if b.remoteStop != nil { // the workflows go on; the next Open follows them again
		b.remoteStop()
		b.remoteWG.Wait()
	}
	err := b.runner.Close()
	if e := b.store.Close(); err == nil {
		err = e
	}
	b.Log.Close()
	return err
}

// Settings returns the current settings with defaults filled in.
func (b *Backend) Settings() Settings {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.settings
}

// SaveSettings validates, stores and applies s to jobs submitted from now on.
func (b *Backend) SaveSettings(s Settings) error {
	if err := SaveSettings(b.DataDir, s); err != nil {
		return err
	}
	b.mu.Lock()
	b.settings = s.Normalized()
	b.mu.Unlock()
	if b.runner != nil {
		b.runner.SetStallAfter(secondsToDuration(s.Normalized().StallAfterS))
	}
	return nil
}

// stages are the pipeline's stages on this data folder, with env giving
// the settings a stage starts with; a worker process builds the same ones
// (ServeWorker).
func (b *Backend) stages(env func() pipeline.Env) []job.StageDef {
	return pipeline.Stages(pipeline.Deps{
		Store:   b.store,
		DataDir: b.DataDir,
		Env:     env,
	})
}

// ServeWorker is the worker process's side (`castscope worker`): it opens
// the data folder's store, runs the one stage attempt its runner sends on
// in, and reports on out. Its log lines go to the runner, which writes
// them to worker.log; what it prints on stderr reaches the log only if it
// dies.
func ServeWorker(ctx context.Context, dataDir string, in io.Reader, out io.Writer) error {
	dir := ResolveDataDir(dataDir)
	lg := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if _, err := loadUsableSettings(dir, lg, true); err != nil {
		return err
	}
	store, err := sqlite.Open(ctx, dir, sqlite.Options{Logger: lg})
	if err != nil {
		return err
	}
	defer store.Close()
	b := &Backend{DataDir: dir, store: store}
	// A worker may be started well before its task (the runner keeps a
	// spare): the settings are read when the stage starts, as the app's
	// own are those saved by then.
	env := func() pipeline.Env {
		s, _ := loadUsableSettings(dir, lg, true)
		b.mu.Lock()
		b.settings = s.Normalized()
		b.mu.Unlock()
		return b.pipelineEnv()
	}
	return job.ServeWorker(ctx, b.stages(env), in, out)
}

func (b *Backend) pipelineEnv() pipeline.Env {
	s := b.Settings()
	return pipeline.Env{ModelsDir: ModelsDir(s), ORTLib: s.ORTLib}
}

// AddResult is the outcome of adding one file.
type AddResult struct {
	Path     string           `json:"path"`
	Episode  *episode.Episode `json:"episode,omitempty"`
	Existing bool             `json:"existing"`
	Error    *errs.Error      `json:"error,omitempty"`
}

// AddVideo registers one file; a second add of the same file returns the
// existing episode.
func (b *Backend) AddVideo(ctx context.Context, path string) (episode.Episode, bool, error) {
	return b.store.RegisterEpisode(ctx, path)
}

// Episode returns the registered episode key (ERR_INPUT_NOT_FOUND when
// none is).
func (b *Backend) Episode(ctx context.Context, key string) (episode.Episode, error) {
	return b.store.Episode(ctx, key)
}

// WaitJob waits until job jobID has ended (or ctx is done) and returns it
// as it ended; a job another process runs is followed through the store.
func (b *Backend) WaitJob(ctx context.Context, jobID string) (job.Job, error) {
	return b.runner.Wait(ctx, jobID)
}

// CancelJob cancels a queued or running job; the artifacts its stages
// wrote are kept.
func (b *Backend) CancelJob(ctx context.Context, jobID string) error {
	if j, err := b.store.Job(ctx, jobID); err == nil && j.Driver != "" && j.FinishedAt == nil {
		addr, ns, _ := remote.ParseDriver(j.Driver)
		c, err := remote.Dial(ctx, addr, ns, b.Log.Slog())
		if err != nil {
			return err
		}
		defer c.Close()
		if err := b.store.RequestCancel(ctx, jobID); err != nil {
			return err
		}
		b.jobLog(j, slog.LevelInfo, "cancel requested: the workflow stops at the running stage's next heartbeat")
		return remote.Cancel(ctx, c, j.EpisodeKey)
	}
	return b.runner.Cancel(ctx, jobID)
}

// ExportJSON rewrites every episode's state.json and meta.json from the
// database.
func (b *Backend) ExportJSON(ctx context.Context) error {
	return b.store.ExportAll(ctx)
}

// Run submits a job for key. stages empty → the whole pipeline; one stage
// name suffixed with "+" (e.g. "detect+") → that stage and everything after.
// While a job of the episode is queued or running, that job is returned
// with existing=true instead: two jobs must not write one episode's
// artifacts at once (the app and the command line share the store). The
// store decides this in the transaction that would insert the job
// (sqlite.Store.CreateJob), so two processes cannot both start one.
func (b *Backend) Run(ctx context.Context, key string, stages []string, o RunOverrides) (job.Job, bool, error) {
	if _, err := b.store.Episode(ctx, key); err != nil {
		return job.Job{}, false, err
	}
	// A video edited or replaced in place since it was registered makes
	// its stages run again instead of being skipped; one that is gone is
	// the validate stage's to report.
	if _, changed, err := b.store.RefreshEpisode(ctx, key); err != nil && !errs.HasCode(err, errs.InputNotFound) {
		return job.Job{}, false, err
	} else if changed {
		b.Log.Slog().Info(logx.Line("job", key, "video changed since it was registered: new fingerprint, its stages run again"))
	}
	names, err := pipeline.Select(stages)
	if err != nil {
		return job.Job{}, false, err
	}
	s := b.Settings()
	if o.SampleFPS != nil {
		s.SampleFPS = *o.SampleFPS
	}
	if o.Preset != "" {
		s.DetectPreset = o.Preset
	}
	if o.RequireGPU {
		s.RequireGPU = true
	}
	if o.ClusterThreshold != nil {
		s.ClusterThreshold = *o.ClusterThreshold
	}
	if o.MinTrackLen != nil {
		s.MinTrackLen = *o.MinTrackLen
	}
	if o.ScreenTimePreset != "" {
		s.ScreenTimePreset = o.ScreenTimePreset
	}
	if err := s.Validate(); err != nil {
		return job.Job{}, false, err
	}
	s = s.Normalized()
	settings, err := json.Marshal(jobSettings{
		JobSettings: pipeline.JobSettings{SampleFPS: s.SampleFPS, DetectPreset: s.DetectPreset, RequireGPU: s.RequireGPU},
		AnalysisSettings: pipeline.AnalysisSettings{ClusterThreshold: s.ClusterThreshold, MinTrackLen: s.MinTrackLen,
			ScreenTimePreset: s.ScreenTimePreset},
	})
	if err != nil {
		return job.Job{}, false, fmt.Errorf("service: encode job settings: %w", err)
	}
	req := job.Request{
		EpisodeKey: key,
		Mode:       pipeline.Mode(names),
		Stages:     names,
		Settings:   settings,
		Rerun:      o.Rerun,
	}
	if addr, ns := b.remoteOf(o); addr != "" {
		return b.runRemote(ctx, req, addr, ns)
	}
	return b.runner.Submit(ctx, req)
}

// jobSettings is a job's settings JSON: what the detect stages and the
// analysis stages read, side by side.
type jobSettings struct {
	pipeline.JobSettings
	pipeline.AnalysisSettings
}

// RunOverrides change the settings of one run (CLI flags).
type RunOverrides struct {
	SampleFPS        *float64
	Preset           string
	RequireGPU       bool
	ClusterThreshold *float64
	MinTrackLen      *int
	ScreenTimePreset string
	Rerun            bool
	// Temporal, when set, runs the job on the Temporal server at this
	// HOST:PORT (namespace Namespace) instead of the settings' choice.
	Temporal  string
	Namespace string
}

// overridesOf returns the overrides that repeat a job's settings.
func overridesOf(j job.Job) RunOverrides {
	var js jobSettings
	_ = json.Unmarshal(j.Settings, &js)
	o := RunOverrides{Preset: js.DetectPreset, RequireGPU: js.RequireGPU, ScreenTimePreset: js.ScreenTimePreset}
	if js.SampleFPS != 0 {
		o.SampleFPS = &js.SampleFPS
	}
	if js.ClusterThreshold != 0 {
		o.ClusterThreshold = &js.ClusterThreshold
	}
	if js.MinTrackLen != 0 {
		o.MinTrackLen = &js.MinTrackLen
	}
	return o
}

// Inspect builds the state inspector's report for key.
func (b *Backend) Inspect(ctx context.Context, key string) (inspect.Report, error) {
	key = strings.TrimSpace(key)
	if err := episode.ValidateKey(key); err != nil {
		return inspect.Report{}, err
	}
	rep, err := inspect.Build(ctx, b.store, b.DataDir, key, harvest.CountRows)
	if err != nil || !rep.Registry.Exists {
		return rep, err
	}
	ops, err := b.store.Curation(ctx, key)
	if err != nil {
		return rep, err
	}
	show := episode.ShowOf(key)
	hs, err := b.store.Headshots(ctx, show)
	if err != nil {
		return rep, err
	}
	c := &inspect.Curation{Ops: []string{}, Show: show, Headshots: len(hs), Clustered: rep.Registry.States["clustered"], Names: []string{}}
	for _, op := range ops {
		c.Ops = append(c.Ops, identity.DescribeOp(op))
	}
	m, merr := harvest.ReadIdentitiesMetrics(harvest.Dir(b.DataDir, key))
	c.Applied = applied(m, merr, ops, hs)
	if d, err := b.castData(key); err == nil && len(hs) > 0 {
		for _, id := range d.ids.Identities {
			switch {
			case id.FacebankName != "":
				c.Names = append(c.Names, fmt.Sprintf("%s: named %s from the cast list (%s)", id.Label, id.FacebankName, id.FacebankReason()))
			case id.Suggestion != nil:
				c.Names = append(c.Names, fmt.Sprintf("%s: may be %s, not named (%s)", id.Label, id.Suggestion.Name, id.Suggestion.Reason()))
			}
		}
	}
	rep.Curation = c
	return rep, nil
}

func secondsToDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// JoinDifferences lists what a run asked for (stages, overrides) that the
// job it joined does not do — a job of the episode was already queued or
// running, so Run returned that job and applied none of the request — as
// "--flag asked (job: value)", in flag order; nil when the job does all
// of it. Only what was asked counts: empty stages and unset overrides
// match any job. The command line refuses to follow a job that differs
// (its results would not be the ones asked for); see package cli.
func JoinDifferences(j job.Job, stages []string, o RunOverrides) []string {
	var js jobSettings
	_ = json.Unmarshal(j.Settings, &js)
	have := (Settings{SampleFPS: js.SampleFPS, DetectPreset: js.DetectPreset, RequireGPU: js.RequireGPU,
		ClusterThreshold: js.ClusterThreshold, MinTrackLen: js.MinTrackLen, ScreenTimePreset: js.ScreenTimePreset}).Normalized()
	var out []string
	if len(stages) > 0 {
		names, _ := pipeline.Select(stages)
		var missing []string
		for _, n := range names {
			if _, ok := j.Stage(n); !ok {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			in := make([]string, len(j.Stages))
			for i, s := range j.Stages {
				in[i] = s.Name
			}
			out = append(out, fmt.Sprintf("--stages %s (job: %s; it does not run %s)", strings.Join(stages, ","), strings.Join(in, ","), strings.Join(missing, ", ")))
		}
	}
	if o.SampleFPS != nil {
		want, got := *o.SampleFPS, have.SampleFPS
		if (want < 0) != (got < 0) || want >= 0 && want != got {
			out = append(out, fmt.Sprintf("--fps %s (job: %s)", fpsText(want), fpsText(got)))
		}
	}
	if o.Preset != "" && o.Preset != have.DetectPreset {
		out = append(out, fmt.Sprintf("--preset %s (job: %s)", o.Preset, have.DetectPreset))
	}
	if o.RequireGPU && !have.RequireGPU {
		out = append(out, "--require-gpu (job: falls back to the CPU)")
	}
	if o.Rerun && !j.Rerun {
		out = append(out, "--rerun (job: skips stages whose outputs are up to date)")
	}
	if o.ClusterThreshold != nil && *o.ClusterThreshold != have.ClusterThreshold {
		out = append(out, fmt.Sprintf("--cluster-threshold %g (job: %g)", *o.ClusterThreshold, have.ClusterThreshold))
	}
	if o.MinTrackLen != nil && *o.MinTrackLen != have.MinTrackLen {
		out = append(out, fmt.Sprintf("--min-track-len %d (job: %d)", *o.MinTrackLen, have.MinTrackLen))
	}
	if o.ScreenTimePreset != "" && o.ScreenTimePreset != have.ScreenTimePreset {
		out = append(out, fmt.Sprintf("--screentime-preset %s (job: %s)", o.ScreenTimePreset, have.ScreenTimePreset))
	}
	return out
}

func fpsText(v float64) string {
	if v < 0 {
		return "every frame"
	}
	return fmt.Sprintf("%g", v)
}
