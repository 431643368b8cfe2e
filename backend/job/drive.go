package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"castscope/backend/errs"
)

// stageRun is one attempt of one stage: it is also the Reporter.
type stageRun struct {
	r      *Runner
	jr     *jobRun
	def    StageDef
	idx    int
	ctx    context.Context
	cancel context.CancelCauseFunc

	stalled chan struct{} // closed once the Rescuer has failed this attempt

	mu          sync.Mutex
	stage       Stage
	finished    bool // the attempt's outcome is being written: reporter calls are no-ops
	lastLife    time.Time
	lastAdvance time.Time
	lastEvent   time.Time
	unsent      bool
	slow        bool
	eta         etaTracker
	checkpoint  json.RawMessage
	rateKey     string
}

// claimFinish lets exactly one of the driver and the Rescuer write the
// attempt's outcome.
func (sr *stageRun) claimFinish() bool {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	if sr.finished {
		return false
	}
	sr.finished = true
	return true
}

// Progress implements Reporter.
func (sr *stageRun) Progress(done, total int64, unit string) {
	now := sr.r.now()
	sr.mu.Lock()
	if sr.finished {
		sr.mu.Unlock()
		return
	}
	sr.lastLife = now
	if done > sr.stage.Progress.Done {
		sr.lastAdvance = now
	}
	sr.stage.Progress = Progress{Done: done, Total: total, Unit: orStr(unit, sr.stage.Progress.Unit)}
	sr.eta.observe(now, done)
	if now.Sub(sr.lastEvent) < progressEvery {
		sr.unsent = true
		sr.mu.Unlock()
		return
	}
	ev := sr.eventLocked(now)
	sr.mu.Unlock()
	sr.r.notify(ev)
}

func orStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// eventLocked builds the running stage's event and marks it sent.
func (sr *stageRun) eventLocked(now time.Time) Event {
	sr.lastEvent, sr.unsent = now, false
	ev := sr.r.event(sr.jr.snapshot(), sr.stage, nil)
	ev.Rate, ev.ETASeconds, ev.ETAState = sr.eta.estimate(now, sr.stage.Progress.Done, sr.stage.Progress.Total)
	sr.slow = now.Sub(sr.lastAdvance) >= sr.r.cfg.NoProgressAfter
	ev.Slow = sr.slow
	ev.At = now
	return ev
}

// Checkpoint implements Reporter.
func (sr *stageRun) Checkpoint() json.RawMessage {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	return append(json.RawMessage(nil), sr.checkpoint...)
}

// SaveCheckpoint implements Reporter: the checkpoint is in the database
// when it returns.
func (sr *stageRun) SaveCheckpoint(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("job: encode checkpoint: %w", err)
	}
	sr.mu.Lock()
	if sr.finished {
		sr.mu.Unlock()
		return errLost
	}
	sr.mu.Unlock()
	if err := sr.r.store.SaveCheckpoint(sr.ctx, sr.jr.id, sr.def.Name, sr.r.owner, b); err != nil {
		if errors.Is(err, ErrConflict) {
			sr.cancel(errLost)
			return errLost
		}
		return err
	}
	now := sr.r.now()
	sr.mu.Lock()
	sr.checkpoint, sr.lastLife = b, now
	sr.stage.Crashes = 0 // progress is durable: not a crash loop (the store reset it too)
	sr.mu.Unlock()
	return nil
}

// Logf implements Reporter.
func (sr *stageRun) Logf(format string, args ...any) {
	sr.mu.Lock()
	if sr.finished {
		sr.mu.Unlock()
		return
	}
	sr.lastLife = sr.r.now()
	sr.mu.Unlock()
	sr.r.stageLog(sr.jr.snapshot(), sr.def.Name, slog.LevelInfo, fmt.Sprintf(format, args...))
}

// Job implements Reporter.
func (sr *stageRun) Job() Job { return sr.jr.snapshot() }

// SetRateKey sets the context of the stage's throughput (see SetRateKey).
func (sr *stageRun) SetRateKey(key string) {
	rate, err := sr.r.store.StageRate(sr.ctx, sr.def.Name, key)
	if err != nil {
		sr.r.log.Warn("reading stage rate history failed", "stage", sr.def.Name, "error", err)
	}
	sr.mu.Lock()
	sr.rateKey, sr.eta.hist = key, rate
	sr.mu.Unlock()
}

// drive runs the stages of one job in order until each is terminal, the
// runner closes, or the store fails.
func (r *Runner) drive(jr *jobRun) {
	defer r.wg.Done()
	defer func() {
		r.mu.Lock()
		if r.jobs[jr.id] == jr {
			delete(r.jobs, jr.id)
		}
		r.mu.Unlock()
		close(jr.exit)
	}()
	for i := 0; ; {
		if r.ctx.Err() != nil {
			return
		}
		j := jr.snapshot()
		if i >= len(j.Stages) {
			break
		}
		st := j.Stages[i]
		if st.Status.Terminal() {
			i++
			continue
		}
		var err error
		switch {
		case st.Status == StatusRunning:
			// Another live process runs it (or the Rescuer has not yet
			// recovered it): watch until it moves.
			err = r.watch(jr, i)
		case jr.canceled():
			err = r.endPending(jr, i, canceledError(), "canceled")
		case failedBefore(j, i) != "":
			err = r.endPending(jr, i, &StageError{Code: string(errs.Canceled),
				Message: fmt.Sprintf("Not run because the %s stage failed.", failedBefore(j, i)),
				Hint:    "Fix that error and run the job again."}, "not run")
		default:
			err = r.attempt(jr, i)
		}
		if errors.Is(err, ErrConflict) {
			err = r.reload(jr)
		}
		if err != nil {
			if r.ctx.Err() == nil {
				jr.err = err
				r.stageLog(j, st.Name, slog.LevelError, fmt.Sprintf("driver stopped: %s", oneLine(err.Error())))
			}
			return
		}
	}
	now := r.now()
	if err := r.store.FinishJob(context.WithoutCancel(r.ctx), jr.id, now); err != nil {
		jr.err = err
		r.log.Error("finishing job failed", "job_id", jr.id, "error", err)
		return
	}
	jr.mu.Lock()
	jr.job.FinishedAt = &now
	jr.mu.Unlock()
	j := jr.snapshot()
	r.jobLog(j, slog.LevelInfo, fmt.Sprintf("job=end job_id=%s status=%s", j.ID, jobStatus(j)))
}

func jobStatus(j Job) Status {
	s := StatusOK
	for _, st := range j.Stages {
		switch st.Status {
		case StatusError:
			return StatusError
		case StatusCanceled:
			s = StatusCanceled
		}
	}
	return s
}

func failedBefore(j Job, i int) string {
	for _, st := range j.Stages[:i] {
		if st.Status == StatusError {
			return st.Name
		}
	}
	return ""
}

func (r *Runner) reload(jr *jobRun) error {
	j, err := r.store.Job(r.ctx, jr.id)
	if err != nil {
		return err
	}
	jr.mu.Lock()
	jr.job = j
	jr.mu.Unlock()
	return nil
}

// watch polls a stage run by someone else until it changes.
func (r *Runner) watch(jr *jobRun, i int) error {
	select {
	case <-r.ctx.Done():
		return nil
	case <-r.clock.After(min(r.rescueEvery(), time.Second)):
	}
	return r.reload(jr)
}

// transition is the one way a stage changes status: legal per the state
// machine, compare-and-set in the store, then the event.
func (r *Runner) transition(jr *jobRun, i int, next Stage, from Status, prevOwner string) error {
	if err := CheckTransition(next.Name, from, next.Status); err != nil {
		return err
	}
	if err := r.store.UpdateStage(context.WithoutCancel(r.ctx), jr.id, next, from, prevOwner); err != nil {
		return err
	}
	jr.mu.Lock()
	jr.job.Stages[i] = next
	j := jr.job
	jr.mu.Unlock()
	r.notify(r.event(j, next, nil))
	return nil
}

func (r *Runner) endPending(jr *jobRun, i int, se *StageError, why string) error {
	j := jr.snapshot()
	st := j.Stages[i]
	now := r.now()
	next := st
	next.Status, next.Error, next.FinishedAt, next.NextRetryAt = StatusCanceled, se, &now, nil
	if err := r.transition(jr, i, next, st.Status, ""); err != nil {
		return err
	}
	r.stageLog(j, st.Name, slog.LevelWarn, fmt.Sprintf("stage=end status=canceled error=%s (%s)", se.Code, why))
	return nil
}

func (r *Runner) def(name string) StageDef { return r.defs[r.byName[name]] }

// attempt runs one attempt of stage i (pending): wait for its retry time,
// skip check, claim, body, outcome.
func (r *Runner) attempt(jr *jobRun, i int) error {
	j := jr.snapshot()
	st := j.Stages[i]
	def := r.def(st.Name)
	if st.NextRetryAt != nil {
		if d := st.NextRetryAt.Sub(r.now()); d > 0 {
			select {
			case <-r.clock.After(d):
			case <-jr.cancelCh:
				return nil
			case <-r.ctx.Done():
				return nil
			}
		}
	}
	if def.Heavy {
		select {
		case r.heavy <- struct{}{}:
			defer func() { <-r.heavy }()
		case <-jr.cancelCh:
			return nil
		case <-r.ctx.Done():
			return nil
		}
	}
	var fp string
	if def.Fingerprint != nil {
		var err error
		if fp, err = def.Fingerprint(r.ctx, j); err != nil {
			r.stageLog(j, st.Name, slog.LevelWarn, "fingerprint failed, the stage will run: "+err.Error())
			fp = ""
		}
	}
	if fp != "" && !j.Rerun && def.Complete != nil && st.Attempt == 0 {
		last, err := r.store.LastFingerprint(r.ctx, j.EpisodeKey, st.Name)
		if err != nil {
			return err
		}
		if last == fp && def.Complete(r.ctx, j) {
			// The flag may be down from an attempt that died or failed
			// since the outputs were made: they are whole, so it goes up.
			if def.Flag != "" {
				if err := r.store.SetEpisodeState(r.ctx, j.EpisodeKey, def.Flag, true); err != nil {
					return err
				}
			}
			now := r.now()
			next := st
			next.Status, next.SkipReason, next.Fingerprint, next.FinishedAt = StatusSkipped, "outputs complete and inputs unchanged", fp, &now
			if err := r.transition(jr, i, next, st.Status, ""); err != nil {
				return err
			}
			r.stageLog(j, st.Name, slog.LevelInfo, "stage=end status=skipped reason=\"outputs complete and inputs unchanged\"")
			return nil
		}
	}

	// Claim: pending → running before the body's first instruction.
	now := r.now()
	next := st
	next.Status, next.Attempt, next.MaxAttempts = StatusRunning, st.Attempt+1, r.retry.MaxAttempts
	next.StartedAt, next.FinishedAt, next.HeartbeatAt, next.NextRetryAt = &now, nil, &now, nil
	next.Owner, next.Result, next.Error, next.SkipReason, next.Fingerprint = r.owner, nil, nil, "", fp
	next.Progress.Done = 0
	ctx, cancel := context.WithCancelCause(r.ctx)
	defer cancel(nil)
	sr := &stageRun{r: r, jr: jr, def: def, idx: i, ctx: ctx, cancel: cancel, stalled: make(chan struct{}),
		stage: next, lastLife: now, lastAdvance: now, lastEvent: now, eta: newETA(now, 0)}
	jr.mu.Lock()
	jr.cur = sr // visible to the Rescuer from the moment the stage is running
	jr.mu.Unlock()
	defer func() {
		jr.mu.Lock()
		if jr.cur == sr {
			jr.cur = nil
		}
		jr.mu.Unlock()
	}()
	if err := r.transition(jr, i, next, st.Status, ""); err != nil {
		return err
	}
	j = jr.snapshot()
	r.stageLog(j, st.Name, slog.LevelInfo, fmt.Sprintf("stage=start job_id=%s attempt=%d/%d", j.ID, next.Attempt, next.MaxAttempts))
	r.stageLog(j, st.Name, slog.LevelInfo, "envelope stage=running")
	if def.Flag != "" {
		if err := r.store.SetEpisodeState(r.ctx, j.EpisodeKey, def.Flag, false); err != nil {
			r.stageLog(j, st.Name, slog.LevelWarn, fmt.Sprintf("Could not update registry: %s", errs.As(err).Error()))
		} else {
			r.stageLog(j, st.Name, slog.LevelInfo, fmt.Sprintf("registry %s=false", def.Flag))
		}
	}
	cp, err := r.store.Checkpoint(r.ctx, j.ID, st.Name)
	if err != nil {
		r.stageLog(j, st.Name, slog.LevelWarn, "reading the checkpoint failed: "+err.Error())
	}
	sr.mu.Lock()
	sr.checkpoint = cp
	sr.mu.Unlock()
	if jr.canceled() {
		cancel(errCanceled)
	}

	hbDone := make(chan struct{})
	hbCtx, hbStop := context.WithCancel(context.Background())
	go func() { defer close(hbDone); r.heartbeats(hbCtx, sr) }()
	stopHB := func() { hbStop(); <-hbDone }

	type outcome struct {
		res      any
		err      error
		panicked any
		stack    []byte
	}
	out := make(chan outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				out <- outcome{panicked: p, stack: debug.Stack()}
			}
		}()
		var res any
		var err error
		if r.cfg.Worker != nil {
			res, err = r.runWorker(ctx, sr)
		} else {
			res, err = def.Run(ctx, sr)
		}
		if wp := (*workerPanic)(nil); errors.As(err, &wp) {
			out <- outcome{panicked: wp.value, stack: []byte(wp.stack)}
			return
		}
		out <- outcome{res: res, err: err}
	}()

	var o outcome
	select {
	case o = <-out:
	case <-sr.stalled:
		stopHB()
		return r.reload(jr)
	case <-r.ctx.Done():
		select {
		case o = <-out:
		case <-sr.stalled:
			stopHB()
			return nil
		case <-r.clock.After(closeGrace):
			o = outcome{err: errClosing}
		}
	}
	stopHB()
	if !sr.claimFinish() { // the Rescuer failed it first
		<-sr.stalled
		return r.reload(jr)
	}
	return r.finish(jr, sr, o.res, o.err, o.panicked, o.stack)
}

// finish writes the outcome of an attempt.
func (r *Runner) finish(jr *jobRun, sr *stageRun, res any, runErr error, panicked any, stack []byte) error {
	bg := context.WithoutCancel(r.ctx) // the outcome is written even while closing
	j := jr.snapshot()
	def := sr.def
	sr.mu.Lock()
	cur := sr.stage
	sr.mu.Unlock()
	now := r.now()
	next := cur
	next.FinishedAt, next.HeartbeatAt = &now, &now
	cause := context.Cause(sr.ctx)
	log := func(level slog.Level, text string) { r.stageLog(j, def.Name, level, text) }

	switch {
	case panicked != nil:
		log(slog.LevelError, fmt.Sprintf("stage=end status=error error=ERR_INTERNAL panic=%v\n%s", panicked, stack))
		next.Status = StatusError
		next.Error = &StageError{Code: string(errs.Internal), Message: fmt.Sprintf("The %s stage crashed.", labelOf(def)), Hint: "See the log for details and report it if it repeats."}
	case runErr != nil && errors.Is(cause, errClosing) || errors.Is(runErr, errClosing):
		next.Status, next.Attempt, next.FinishedAt = StatusPending, max(cur.Attempt-1, 0), nil
		if err := r.transition(jr, sr.idx, next, StatusRunning, r.owner); err != nil {
			return err
		}
		log(slog.LevelInfo, "stage=interrupted (shutting down); it resumes on the next start")
		return nil
	case runErr != nil && errors.Is(cause, errLost):
		log(slog.LevelWarn, "stage=lost (taken over by another runner)")
		return r.reload(jr)
	case runErr != nil && (errors.Is(cause, errCanceled) || jr.canceled()):
		next.Status, next.Error = StatusCanceled, canceledError()
	case runErr != nil && errors.Is(runErr, ErrSkip):
		next.Status = StatusSkipped
		var se *skipError
		if errors.As(runErr, &se) {
			next.SkipReason = se.reason
		} else {
			next.SkipReason = "skipped by the stage"
		}
	case runErr != nil:
		next.Error = StageErrorOf(runErr)
		log(slog.LevelError, fmt.Sprintf("stage=end status=error error=%s", oneLine(runErr.Error())))
		if !IsPermanent(runErr) && cur.Attempt < r.retry.MaxAttempts {
			at := NextRetryAt(now, cur.Attempt, r.retry, r.rnd)
			next.Status, next.NextRetryAt, next.FinishedAt = StatusRetrying, &at, nil
			if err := r.transition(jr, sr.idx, next, StatusRunning, r.owner); err != nil {
				return err
			}
			log(slog.LevelInfo, fmt.Sprintf("envelope stage=retrying retry=%d/%d next_retry_at=%s", cur.Attempt+1, r.retry.MaxAttempts, FormatTime(at)))
			return nil
		}
		next.Status = StatusError
	default:
		b, err := encodeResult(res)
		if err != nil {
			next.Status, next.Error = StatusError, StageErrorOf(fmt.Errorf("job: encode %s result: %w", def.Name, err))
			break
		}
		next.Result = b
		if def.Flag != "" {
			if err := r.store.SetEpisodeState(bg, j.EpisodeKey, def.Flag, true); err != nil {
				te := errs.Wrap(errs.RegistryUpdateFailed, err, fmt.Sprintf("Could not update the registry for %s.", j.EpisodeKey), "Check that the data folder is writable and has free space, then run the stage again.")
				log(slog.LevelError, fmt.Sprintf("stage=end status=error error=ERR_REGISTRY_UPDATE_FAILED: %s", oneLine(err.Error())))
				next.Status, next.Error, next.Result = StatusError, StageErrorOf(te), nil
				break
			}
		}
		next.Status = StatusOK
	}
	if err := r.transition(jr, sr.idx, next, StatusRunning, r.owner); err != nil {
		return err
	}
	switch next.Status {
	case StatusOK:
		log(slog.LevelInfo, "stage=end status=ok"+resultAttrs(next.Result))
		log(slog.LevelInfo, "envelope stage=ok")
		if def.Flag != "" {
			log(slog.LevelInfo, fmt.Sprintf("registry %s=true", def.Flag))
		}
		if d := now.Sub(*cur.StartedAt).Seconds(); d > 0 && next.Progress.Done > 0 {
			if err := r.store.RecordStageRate(bg, def.Name, sr.rateKey, float64(next.Progress.Done)/d); err != nil {
				r.log.Warn("recording stage rate failed", "error", err)
			}
		}
		if down := r.downstream(def.Name); len(down) > 0 {
			if err := r.store.MarkStale(bg, j.EpisodeKey, down, j.ID); err != nil {
				r.log.Warn("marking downstream stages stale failed", "error", err)
			}
		}
	case StatusSkipped:
		log(slog.LevelInfo, fmt.Sprintf("stage=end status=skipped reason=%q", next.SkipReason))
		log(slog.LevelInfo, "envelope stage=skipped")
	case StatusCanceled:
		log(slog.LevelWarn, "stage=end status=canceled error=ERR_CANCELED")
		log(slog.LevelInfo, "envelope stage=canceled")
	case StatusError:
		log(slog.LevelInfo, "envelope stage=error")
	}
	return nil
}

func labelOf(d StageDef) string {
	if d.Label != "" {
		return d.Label
	}
	return d.Name
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

func encodeResult(res any) (json.RawMessage, error) {
	switch v := res.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		if len(v) == 0 {
			return nil, nil
		}
		if !json.Valid(v) {
			return nil, errors.New("result is not valid JSON")
		}
		return v, nil
	}
	return json.Marshal(res)
}

// resultAttrs renders a flat JSON object result as " k=v k=v".
func resultAttrs(b json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(b, &m) != nil || len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var sb strings.Builder
	for _, k := range keys {
		switch v := m[k].(type) {
		case string, float64, bool:
			fmt.Fprintf(&sb, " %s=%v", k, v)
		}
	}
	return sb.String()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for k := i; k > 0 && s[k] < s[k-1]; k-- {
			s[k], s[k-1] = s[k-1], s[k]
		}
	}
}

func (r *Runner) downstream(name string) []string {
	var out []string
	for _, d := range r.defs[r.byName[name]+1:] {
		out = append(out, d.Name)
	}
	return out
}

// heartbeats records the stage's last sign of life and progress every
// HeartbeatEvery, sends the progress event the throttle held back, flags
// slow stages, and notices cancel requests and take-overs.
func (r *Runner) heartbeats(ctx context.Context, sr *stageRun) {
	every := r.heartbeatEvery()
	t := r.clock.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		if d := r.heartbeatEvery(); d != every { // the stall timeout changed
			every = d
			t.Reset(d)
		}
		now := r.now()
		sr.mu.Lock()
		if sr.finished {
			sr.mu.Unlock()
			return
		}
		life, p := sr.lastLife, sr.stage.Progress
		var ev *Event
		wasSlow := sr.slow
		isSlow := now.Sub(sr.lastAdvance) >= r.cfg.NoProgressAfter
		if (sr.unsent && now.Sub(sr.lastEvent) >= progressEvery) || wasSlow != isSlow {
			e := sr.eventLocked(now)
			ev = &e
		}
		sr.mu.Unlock()
		if ev != nil {
			r.notify(*ev)
		}
		canceled, err := r.store.Heartbeat(ctx, sr.jr.id, sr.def.Name, r.owner, p, life)
		switch {
		case errors.Is(err, ErrConflict):
			sr.cancel(errLost)
			return
		case err != nil:
			if ctx.Err() == nil {
				r.log.Warn("heartbeat failed", "job_id", sr.jr.id, "stage", sr.def.Name, "error", err)
			}
		case canceled:
			sr.jr.once.Do(func() { close(sr.jr.cancelCh) })
			sr.cancel(errCanceled)
		}
	}
}

// event builds the event of stage st of job j (rate/ETA come from the
// stage run when it is running here).
func (r *Runner) event(j Job, st Stage, _ *stageRun) Event {
	ev := Event{
		JobID: j.ID, EpisodeKey: j.EpisodeKey, Stage: st.Name, Status: st.Status, Stale: st.Stale,
		Attempt: st.Attempt, MaxAttempts: st.MaxAttempts, Done: st.Progress.Done, Total: st.Progress.Total,
		Unit: st.Progress.Unit, NextRetryAt: st.NextRetryAt, Result: st.Result, Error: st.Error,
		SkipReason: st.SkipReason, At: r.now(),
	}
	if i, ok := r.byName[st.Name]; ok {
		ev.Label = labelOf(r.defs[i])
	}
	if st.Status == StatusRunning {
		ev.ETAState = ETALearning
	}
	return ev
}

func (r *Runner) notify(ev Event) {
	if r.cfg.Notifier != nil {
		r.cfg.Notifier.Notify(ev)
	}
}

// StageView returns, per stage of the job, the same fields as Event (rate,
// ETA and the slow flag included while a stage runs here).
func (r *Runner) StageView(ctx context.Context, jobID string) ([]Event, error) {
	r.mu.Lock()
	jr := r.jobs[jobID]
	r.mu.Unlock()
	var j Job
	var sr *stageRun
	if jr != nil {
		j = jr.snapshot()
		jr.mu.Lock()
		sr = jr.cur
		jr.mu.Unlock()
	} else {
		var err error
		if j, err = r.store.Job(ctx, jobID); err != nil {
			return nil, err
		}
	}
	out := make([]Event, 0, len(j.Stages))
	now := r.now()
	for _, st := range j.Stages {
		if sr != nil && sr.def.Name == st.Name {
			sr.mu.Lock()
			if !sr.finished {
				ev := r.event(j, sr.stage, nil)
				ev.Rate, ev.ETASeconds, ev.ETAState = sr.eta.estimate(now, sr.stage.Progress.Done, sr.stage.Progress.Total)
				ev.Slow = now.Sub(sr.lastAdvance) >= r.cfg.NoProgressAfter
				sr.mu.Unlock()
				out = append(out, ev)
				continue
			}
			sr.mu.Unlock()
		}
		out = append(out, r.event(j, st, nil))
	}
	return out, nil
}

// stageLog writes "[STAGE] key text" to the logger and the job's log.
func (r *Runner) stageLog(j Job, stage string, level slog.Level, text string) {
	line := LogText(stage, j.EpisodeKey, text)
	r.log.Log(context.Background(), level, line, LogKeyJobID, j.ID, LogKeyStage, stage, LogKeyEpisode, j.EpisodeKey)
	if idx := strings.IndexByte(line, '\n'); idx >= 0 { // stacks stay in worker.log only
		line = line[:idx]
	}
	err := r.store.AppendLog(context.Background(), LogLine{Time: r.now(), Level: level.String(), JobID: j.ID, Stage: stage, EpisodeKey: j.EpisodeKey, Line: line})
	if err != nil {
		r.log.Warn("storing a log line failed", "error", err)
	}
}

func (r *Runner) jobLog(j Job, level slog.Level, text string) { r.stageLog(j, "job", level, text) }
