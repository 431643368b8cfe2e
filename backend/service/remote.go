package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"castscope/backend/atomicfile"
	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/harvest"
	"castscope/backend/identity"
	"castscope/backend/job"
	"castscope/backend/pipeline"
	"castscope/backend/remote"
)

// Running on Temporal (package remote): the desktop stays the registry. It
// records the job locally with Job.Driver naming the server (the runner
// leaves it alone), sends the episode to its workflow with what the stages
// read of the registry, and mirrors the workflow's state into that job —
// stage records, registry flags, the probe, events for the window and the
// CLI, job log lines — so inspect, the exports and the window tell the
// truth about a remote run. A window or CLI started while such a job runs
// follows it again (resumeRemote).

// remoteContext is remote.Input.Context: what the stages read of the
// desktop's registry besides the episode.
type remoteContext struct {
	Curation []identity.Op `json:"curation,omitempty"`
	// CastList: the show's cast list is in the episode's artifact folder
	// (harvest.CastListFile), written by the submitter.
	CastList bool `json:"cast_list,omitempty"`
}

// payloadStore is pipeline.Store on a worker: the registry as one
// activity's input carries it. The curation log is the desktop's, so a
// worker never imports an older version's curation file.
type payloadStore struct {
	mu      sync.Mutex
	ep      episode.Episode
	rc      remoteContext
	dir     string
	changed bool
}

func (s *payloadStore) Episode(_ context.Context, key string) (episode.Episode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key != s.ep.Key {
		return episode.Episode{}, errs.New(errs.EpisodeNotRegistered, fmt.Sprintf("Episode %s is not the one this stage was sent.", key), "Run the same Castscope version on every worker.")
	}
	return s.ep, nil
}

func (s *payloadStore) SetEpisodeVideo(_ context.Context, _ string, video json.RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ep.Video, s.changed = video, true
	return nil
}

func (s *payloadStore) Curation(context.Context, string) ([]identity.Op, error) {
	return s.rc.Curation, nil
}
func (s *payloadStore) CurationLogged(context.Context, string) (bool, error) { return true, nil }
func (s *payloadStore) ImportCuration(context.Context, string, []identity.Op) (bool, error) {
	return false, nil
}

func (s *payloadStore) Headshots(context.Context, string) ([]identity.Headshot, error) {
	if !s.rc.CastList {
		return nil, nil
	}
	return harvest.ReadCastList(s.dir)
}

// episodeAfter is the episode record after the stage, when it changed.
func (s *payloadStore) episodeAfter() json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.changed {
		return nil
	}
	b, _ := json.Marshal(s.ep)
	return b
}

// fileCheckpoints keeps remote stages' checkpoints on the shared folder,
// beside the job's meta.json: data/jobs/{job_id}/{stage}.checkpoint.json,
// written atomically (fsync, rename) before SaveCheckpoint returns.
type fileCheckpoints struct{ dir string }

func (f fileCheckpoints) path(jobID, stage string) string {
	return filepath.Join(f.dir, "data", "jobs", jobID, stage+".checkpoint.json")
}

func (f fileCheckpoints) Load(jobID, stage string) (json.RawMessage, error) {
	b, err := os.ReadFile(f.path(jobID, stage))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.FS(err, f.path(jobID, stage))
	}
	return b, nil
}

func (f fileCheckpoints) Save(jobID, stage string, cp json.RawMessage) error {
	p := f.path(jobID, stage)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return errs.FS(err, filepath.Dir(p))
	}
	return atomicfile.Write(p, cp)
}

// WorkerConfig configures ServeTemporal (`castscope worker --temporal`).
type WorkerConfig struct {
	HostPort  string
	Namespace string
	Serve     string // cpu | gpu | all
	Artifacts string // the shared folder, laid out as a data folder
	Identity  string
	// PartFrames is the most sampled frames detect writes per Parquet
	// part and checkpoint (0 → the default, 250): what a retry on
	// another worker may redo at most.
	PartFrames int
	Log        *slog.Logger
	// Started is called once the worker polls its queues, with the ONNX
	// Runtime provider detect will use when it serves the gpu queue.
	Started func(queues []string, provider string)
}

// ServeTemporal runs a Temporal worker over the pipeline's stages, with
// the artifacts under cfg.Artifacts, until ctx ends.
func ServeTemporal(ctx context.Context, cfg WorkerConfig) error {
	dir, err := filepath.Abs(cfg.Artifacts)
	if err != nil || cfg.Artifacts == "" {
		return errs.New(errs.Usage, "A worker needs the shared artifacts folder.", "Pass --artifacts DIR, the folder every worker and the desktop mount.")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errs.FS(err, dir)
	}
	// Models and the runtime are this machine's: its own settings
	// ($CASTSCOPE_MODELS, $CASTSCOPE_ORT_LIB, else the installed ones).
	env := func() pipeline.Env { return pipeline.Env{ModelsDir: ModelsDir(Settings{})} }
	provider := ""
	if cfg.Serve != remote.ServeCPU {
		d := RunDoctor(ctx, dir, Settings{})
		provider = d.Provider
		if d.ORTError != nil {
			provider = "none: " + d.ORTError.Error()
		}
	}
	build := func(in remote.StageInput) (remote.Bound, error) {
		var ep episode.Episode
		if err := json.Unmarshal(in.Episode, &ep); err != nil || ep.Key != in.EpisodeKey {
			return remote.Bound{}, errs.New(errs.EpisodeNotRegistered, fmt.Sprintf("The workflow of %s carries no usable episode record.", in.EpisodeKey), "Submit the episode again.")
		}
		var rc remoteContext
		if len(in.Context) > 0 {
			if err := json.Unmarshal(in.Context, &rc); err != nil {
				return remote.Bound{}, errs.Wrap(errs.Usage, err, "The workflow's context cannot be read.", "Run the same Castscope version on every worker.")
			}
		}
		ps := &payloadStore{ep: ep, rc: rc, dir: harvest.Dir(dir, ep.Key)}
		deps := pipeline.Deps{Store: ps, DataDir: dir, Env: env, PartFrames: cfg.PartFrames}
		return remote.Bound{Stages: pipeline.Stages(deps), Episode: ps.episodeAfter}, nil
	}
	return remote.RunWorker(ctx, remote.WorkerOptions{
		HostPort: cfg.HostPort, Namespace: cfg.Namespace, Serve: cfg.Serve, Stages: pipeline.Order,
		Build: build, Checkpoints: fileCheckpoints{dir: dir}, Identity: cfg.Identity, Log: cfg.Log,
		Started: func(q []string) {
			if cfg.Started != nil {
				cfg.Started(q, provider)
			}
		},
	})
}

// remoteOf returns the Temporal server a run goes to ("" for this
// computer): the run's own choice, else the settings'.
func (b *Backend) remoteOf(o RunOverrides) (addr, ns string) {
	if o.Temporal != "" {
		return o.Temporal, o.Namespace
	}
	s := b.Settings()
	if s.RunOn == RunOnTemporal {
		return s.TemporalAddress, s.TemporalNamespace
	}
	return "", ""
}

// runRemote records req as a job driven by the Temporal server at addr,
// submits the episode's workflow and follows it.
func (b *Backend) runRemote(ctx context.Context, req job.Request, addr, ns string) (job.Job, bool, error) {
	c, err := remote.Dial(ctx, addr, ns, b.Log.Slog())
	if err != nil {
		return job.Job{}, false, err
	}
	req.Driver = remote.Driver(addr, ns)
	j, existing, err := b.runner.Submit(ctx, req)
	if err != nil || existing {
		c.Close()
		if err == nil && j.Driver != "" {
			b.follow(j)
		}
		return j, existing, err
	}
	in, err := b.remoteInput(ctx, j, req.Stages)
	if err == nil {
		var sub remote.Submitted
		if sub, err = remote.Submit(ctx, c, in); err == nil {
			b.jobLog(j, slog.LevelInfo, fmt.Sprintf("submit job_id=%s to %s workflow=%s run=%s attached=%v", j.ID, j.Driver, sub.WorkflowID, sub.RunID, sub.Attached))
			b.followWith(j, c, sub.RunID)
			return j, false, nil
		}
	}
	c.Close()
	// Nothing runs it: the job ends in error now rather than waiting.
	b.endLocally(j, err)
	return j, false, err
}

// remoteInput is the workflow input of job j.
func (b *Backend) remoteInput(ctx context.Context, j job.Job, stages []string) (remote.Input, error) {
	ep, err := b.store.Episode(ctx, j.EpisodeKey)
	if err != nil {
		return remote.Input{}, err
	}
	epJSON, err := json.Marshal(ep)
	if err != nil {
		return remote.Input{}, fmt.Errorf("service: encode episode: %w", err)
	}
	ops, err := b.store.Curation(ctx, j.EpisodeKey)
	if err != nil {
		return remote.Input{}, err
	}
	rc := remoteContext{Curation: ops}
	hs, err := b.store.Headshots(ctx, episode.ShowOf(j.EpisodeKey))
	if err != nil {
		return remote.Input{}, err
	}
	if len(hs) > 0 {
		if err := harvest.WriteCastList(harvest.Dir(b.DataDir, j.EpisodeKey), hs); err != nil {
			return remote.Input{}, err
		}
		rc.CastList = true
	}
	rcJSON, _ := json.Marshal(rc)
	last := map[string]string{}
	for _, s := range stages {
		if fp, err := b.store.LastFingerprint(ctx, j.EpisodeKey, s); err == nil && fp != "" {
			last[s] = fp
		}
	}
	return remote.Input{JobID: j.ID, EpisodeKey: j.EpisodeKey, Mode: j.Mode, Stages: stages, Settings: j.Settings,
		Rerun: j.Rerun, Episode: epJSON, Context: rcJSON, LastFingerprints: last,
		HeartbeatTimeout: secondsToDuration(b.Settings().StallAfterS)}, nil
}

// endLocally ends a remote job that could not be submitted: its first
// stage in error with err, the rest canceled.
func (b *Backend) endLocally(j job.Job, err error) {
	ctx := context.Background()
	now := time.Now()
	se := job.StageErrorOf(err)
	for i, st := range j.Stages {
		st.Status, st.FinishedAt, st.Error = job.StatusError, &now, se
		if i > 0 {
			st.Status, st.Error = job.StatusCanceled, &job.StageError{Code: string(errs.Canceled), Message: "Not run: the job could not be sent to Temporal."}
		}
		if merr := b.store.MirrorStage(ctx, j.ID, st); merr != nil {
			b.Log.Slog().Error("recording the failed submission failed", "job_id", j.ID, "error", merr.Error())
		}
		b.notify(j, st, nil)
	}
	_ = b.store.FinishJob(ctx, j.ID, now)
	_ = b.store.Flush(ctx)
}

// resumeRemote follows again every unfinished job a Temporal server runs.
func (b *Backend) resumeRemote(ctx context.Context) {
	jobs, err := b.store.ActiveJobs(ctx)
	if err != nil {
		return
	}
	for _, j := range jobs {
		if j.Driver != "" {
			b.follow(j)
		}
	}
}

// follow starts following job j's workflow unless it is followed.
func (b *Backend) follow(j job.Job) { b.followWith(j, nil, "") }

// followWith follows with a client already connected and the run id it
// started, when the caller has them.
func (b *Backend) followWith(j job.Job, c client.Client, runID string) {
	b.mu.Lock()
	if b.followers == nil {
		b.followers = map[string]bool{}
	}
	if b.followers[j.ID] || b.remoteCtx == nil || b.remoteCtx.Err() != nil {
		b.mu.Unlock()
		if c != nil {
			c.Close()
		}
		return
	}
	b.followers[j.ID] = true
	b.mu.Unlock()
	b.remoteWG.Add(1)
	go func() {
		defer b.remoteWG.Done()
		defer func() {
			b.mu.Lock()
			delete(b.followers, j.ID)
			b.mu.Unlock()
		}()
		b.followLoop(b.remoteCtx, j, c, runID)
	}()
}

// followLoop mirrors j's workflow until it ends or the backend closes; a
// server that cannot be reached is tried again every few seconds, with a
// warning in the job's log.
func (b *Backend) followLoop(ctx context.Context, j job.Job, c client.Client, runID string) {
	addr, ns, _ := remote.ParseDriver(j.Driver)
	m := &mirror{b: b, job: j, seen: map[string]job.Stage{}, eta: map[string]*job.ETA{}}
	for _, st := range j.Stages {
		m.seen[st.Name] = st
	}
	warned := false
	for ctx.Err() == nil {
		if c == nil {
			var err error
			if c, err = remote.Dial(ctx, addr, ns, b.Log.Slog()); err != nil {
				if !warned {
					b.jobLog(j, slog.LevelWarn, errs.As(err).Error()+"; trying again")
					warned = true
				}
				sleep(ctx, 5*time.Second)
				continue
			}
		}
		var err error
		if runID == "" {
			runID, _, err = remote.Running(ctx, c, j.EpisodeKey)
		}
		if err == nil {
			var p remote.Progress
			p, err = remote.Follow(ctx, c, remote.WorkflowID(j.EpisodeKey), runID, m.apply)
			if err == nil && p.Done {
				m.finish()
				c.Close()
				return
			}
		}
		if ctx.Err() != nil {
			break
		}
		if !warned {
			b.jobLog(j, slog.LevelWarn, fmt.Sprintf("following the workflow failed: %s; trying again", errs.As(err).Message))
			warned = true
		}
		c.Close()
		c = nil
		sleep(ctx, 5*time.Second)
	}
	if c != nil {
		c.Close()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// mirror writes a workflow's state into its local job.
type mirror struct {
	b     *Backend
	job   job.Job
	seen  map[string]job.Stage
	eta   map[string]*job.ETA
	video json.RawMessage
}

func (m *mirror) apply(p remote.Progress) {
	ctx := context.Background()
	b, j := m.b, m.job
	if len(p.Episode) > 0 {
		var ep episode.Episode
		if json.Unmarshal(p.Episode, &ep) == nil && len(ep.Video) > 0 && !bytes.Equal(ep.Video, m.video) {
			if err := b.store.SetEpisodeVideo(ctx, j.EpisodeKey, ep.Video); err == nil {
				m.video = ep.Video
			}
		}
	}
	flags := b.stageFlags()
	for _, st := range p.Stages {
		prev, ok := m.seen[st.Name]
		if !ok || prev.Status.Terminal() {
			continue
		}
		if prev.Status == st.Status && prev.Attempt == st.Attempt && prev.Progress == st.Progress && codeOf(prev.Error) == codeOf(st.Error) {
			continue
		}
		if st.Owner != "" {
			st.Owner = "temporal:" + st.Owner
		}
		if err := b.store.MirrorStage(ctx, j.ID, st); err != nil {
			b.Log.Slog().Warn("mirroring a remote stage failed", "job_id", j.ID, "stage", st.Name, "error", err.Error())
			continue
		}
		m.seen[st.Name] = st
		now := time.Now()
		var rate float64
		var eta *float64
		var state string
		if st.Status == job.StatusRunning {
			e := m.eta[st.Name]
			if e == nil || prev.Status != job.StatusRunning || prev.Attempt != st.Attempt {
				e = job.NewETA(now, st.Progress.Done, 0)
				m.eta[st.Name] = e
			}
			e.Observe(now, st.Progress.Done)
			rate, eta, state = e.Estimate(now, st.Progress.Done, st.Progress.Total)
		}
		if st.Status == job.StatusOK { // as the runner does: later stages' older outputs are stale now
			if i := slices.Index(pipeline.Order, st.Name); i >= 0 && i+1 < len(pipeline.Order) {
				_ = b.store.MarkStale(ctx, j.EpisodeKey, pipeline.Order[i+1:], j.ID)
			}
		}
		if prev.Status != st.Status || prev.Attempt != st.Attempt {
			m.logChange(st)
			if f := flags[st.Name]; f != "" && (st.Status == job.StatusRunning || st.Status == job.StatusOK || st.Status == job.StatusSkipped) {
				_ = b.store.SetEpisodeState(ctx, j.EpisodeKey, f, st.Status != job.StatusRunning)
			}
		}
		ev := b.event(j, st, nil)
		ev.Rate, ev.ETASeconds, ev.ETAState = rate, eta, state
		b.emit(ev)
	}
}

// logChange writes the runner's log lines for a remote stage's move.
func (m *mirror) logChange(st job.Stage) {
	var line string
	switch st.Status {
	case job.StatusPending:
		line = "stage=queued waiting for a free worker on " + remote.QueueOf(st.Name)
	case job.StatusRunning:
		line = fmt.Sprintf("stage=start job_id=%s attempt=%d/%d worker=%s", m.job.ID, st.Attempt, st.MaxAttempts, st.Owner)
	case job.StatusRetrying:
		line = fmt.Sprintf("stage=retry attempt=%d/%d code=%s message=%q", st.Attempt, st.MaxAttempts, codeOf(st.Error), msgOf(st.Error))
	case job.StatusError, job.StatusCanceled:
		line = fmt.Sprintf("stage=end status=%s code=%s message=%q", st.Status, codeOf(st.Error), msgOf(st.Error))
	case job.StatusSkipped:
		line = fmt.Sprintf("stage=end status=skipped reason=%q", st.SkipReason)
	default:
		line = "stage=end status=" + string(st.Status)
	}
	level := slog.LevelInfo
	if st.Status == job.StatusError || st.Status == job.StatusRetrying {
		level = slog.LevelWarn
	}
	m.b.stageLog(m.job, st.Name, level, line)
}

func (m *mirror) finish() {
	ctx := context.Background()
	// A job that attached to another submitter's workflow may list stages
	// that workflow does not run: they end canceled, never pending forever.
	now := time.Now()
	for _, st := range m.seen {
		if !st.Status.Terminal() {
			st.Status, st.FinishedAt = job.StatusCanceled, &now
			st.Error = &job.StageError{Code: string(errs.Canceled), Message: "Not run: the workflow this job follows ended without it.",
				Hint: "Run the episode again to run it."}
			if err := m.b.store.MirrorStage(ctx, m.job.ID, st); err == nil {
				m.b.notify(m.job, st, nil)
			}
		}
	}
	if err := m.b.store.FinishJob(ctx, m.job.ID, time.Now()); err != nil {
		m.b.Log.Slog().Warn("finishing a remote job failed", "job_id", m.job.ID, "error", err.Error())
	}
	_ = m.b.store.Flush(ctx)
	m.b.jobLog(m.job, slog.LevelInfo, "job=end driver="+m.job.Driver)
}

func codeOf(e *job.StageError) string {
	if e == nil {
		return ""
	}
	return e.Code
}

func msgOf(e *job.StageError) string {
	if e == nil {
		return ""
	}
	return e.Message
}

// stageFlags maps each stage to the registry flag it owns.
func (b *Backend) stageFlags() map[string]string {
	out := map[string]string{}
	for _, d := range b.stages(b.pipelineEnv) {
		out[d.Name] = d.Flag
	}
	return out
}

// event is a stage's event as the runner sends it.
func (b *Backend) event(j job.Job, st job.Stage, eta *float64) job.Event {
	return job.Event{JobID: j.ID, EpisodeKey: j.EpisodeKey, Stage: st.Name, Label: pipeline.Label(st.Name), Status: st.Status,
		Attempt: st.Attempt, MaxAttempts: st.MaxAttempts, Done: st.Progress.Done, Total: st.Progress.Total, Unit: st.Progress.Unit,
		ETASeconds: eta, NextRetryAt: st.NextRetryAt, Result: st.Result, Error: st.Error, SkipReason: st.SkipReason, At: time.Now()}
}

func (b *Backend) notify(j job.Job, st job.Stage, eta *float64) { b.emit(b.event(j, st, eta)) }

func (b *Backend) emit(ev job.Event) {
	if b.notifier != nil {
		b.notifier.Notify(ev)
	}
}

// jobLog and stageLog write a line to worker.log and the job's log, as the
// runner does.
func (b *Backend) jobLog(j job.Job, level slog.Level, text string) { b.stageLog(j, "job", level, text) }

func (b *Backend) stageLog(j job.Job, stage string, level slog.Level, text string) {
	line := job.LogText(stage, j.EpisodeKey, text)
	b.Log.Slog().Log(context.Background(), level, line, job.LogKeyJobID, j.ID, job.LogKeyStage, stage, job.LogKeyEpisode, j.EpisodeKey)
	_ = b.store.AppendLog(context.Background(), job.LogLine{Time: time.Now().UTC(), Level: level.String(), JobID: j.ID,
		Stage: stage, EpisodeKey: j.EpisodeKey, Line: line})
}

// CheckTemporal tells whether the Temporal server at addr answers in
// namespace ns (Settings' "Test connection"): nil, or
// ERR_REMOTE_UNAVAILABLE saying why.
func CheckTemporal(ctx context.Context, addr, ns string, log *slog.Logger) error {
	if err := CheckHostPort(addr); err != nil {
		return err
	}
	c, err := remote.Dial(ctx, addr, ns, log)
	if err != nil {
		return err
	}
	defer c.Close()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := c.CheckHealth(cctx, &client.CheckHealthRequest{}); err != nil {
		return errs.Wrap(errs.RemoteUnavailable, err, fmt.Sprintf("The Temporal server at %s does not answer.", addr), "Check that it runs and that this machine can reach it.")
	}
	return nil
}

// CheckTemporal is CheckTemporal with this backend's log.
func (b *Backend) CheckTemporal(ctx context.Context, addr, ns string) error {
	return CheckTemporal(ctx, addr, ns, b.Log.Slog())
}
