package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"castscope/backend/errs"
)

// Rescuer is the component that ends what would never end by itself: every
// RescueEvery (on its clock) it fails stages whose body stopped
// heart-beating (ERR_STAGE_STALLED, retried with backoff) and puts stages
// whose process died back to pending, to resume from their checkpoint.
// The Runner starts one; Runner.Rescue runs one pass of it.
type Rescuer struct {
	r     *Runner
	clock Clock
}

// Rescue runs one pass of the runner's Rescuer (see Rescuer.Pass).
func (r *Runner) Rescue(ctx context.Context) (int, error) { return r.rescue.Pass(ctx) }

func (rs *Rescuer) run(ctx context.Context) {
	every := rs.r.rescueEvery()
	t := rs.clock.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			if _, err := rs.Pass(ctx); err != nil && ctx.Err() == nil {
				rs.r.log.Warn("rescuer pass failed", "error", err)
			}
			if d := rs.r.rescueEvery(); d != every {
				every = d
				t.Reset(d)
			}
		}
	}
}

// Pass runs one pass (the runner's Rescuer runs it every RescueEvery;
// tests call it after moving a fake clock):
//   - a stage run here whose body showed no sign of life for StallAfter is
//     failed with ERR_STAGE_STALLED, its context canceled, and retried with
//     backoff (error once attempts are exhausted);
//   - a stage left running in the store by a dead owner is put back to
//     pending to resume from its checkpoint (no penalty), and one whose
//     live owner stopped heartbeating for StallAfter is failed as stalled.
//
// It returns how many stages it moved.
func (rs *Rescuer) Pass(ctx context.Context) (int, error) {
	r := rs.r
	now := r.now()
	moved := 0
	mine := map[string]bool{}
	r.mu.Lock()
	var runs []*stageRun
	driven := map[string]bool{}
	for _, jr := range r.jobs {
		driven[jr.id] = true
		jr.mu.Lock()
		if jr.cur != nil {
			runs = append(runs, jr.cur)
			mine[jr.id+"\x00"+jr.cur.def.Name] = true
		}
		jr.mu.Unlock()
	}
	r.mu.Unlock()
	for _, sr := range runs {
		sr.mu.Lock()
		silent := now.Sub(sr.lastLife)
		sr.mu.Unlock()
		if silent < r.stall() || !sr.claimFinish() {
			continue
		}
		sr.mu.Lock()
		cur := sr.stage
		sr.mu.Unlock()
		next := r.stalledNext(cur, now, silent)
		if err := r.transition(sr.jr, sr.idx, next, StatusRunning, r.owner); err != nil {
			r.log.Error("failing a stalled stage failed", "job_id", sr.jr.id, "stage", cur.Name, "error", err)
		} else {
			moved++
			r.logStalled(sr.jr.snapshot(), next, silent)
		}
		close(sr.stalled)
		sr.cancel(errStalled)
	}

	active, err := r.store.ActiveJobs(ctx)
	if err != nil {
		return moved, err
	}
	defer func() {
		for _, j := range active {
			r.adopt(j)
		}
	}()
	for ai := range active {
		j := active[ai]
		if j.Driver != "" {
			continue // driven elsewhere: its driver retries and fails its stages
		}
		for i, st := range j.Stages {
			if st.Status != StatusRunning || mine[j.ID+"\x00"+st.Name] || st.Owner == r.owner && driven[j.ID] {
				continue // the in-memory pass (or the driver about to finish) handles it
			}
			var next Stage
			var what string
			switch {
			case st.Owner == r.owner || ownerDead(st.Owner):
				if st.Owner == r.owner && (st.HeartbeatAt == nil || now.Sub(*st.HeartbeatAt) < r.stall()) {
					continue // just finishing here
				}
				next = st
				// the crashed attempt does not count against MaxAttempts
				next.Status, next.Owner, next.NextRetryAt, next.Attempt = StatusPending, "", nil, max(st.Attempt-1, 0)
				what = fmt.Sprintf("stage=recovered owner=%s was not alive; resuming from checkpoint", st.Owner)
				if r.cfg.Worker == nil && st.Owner != r.owner && !sameProcess(st.Owner) {
					// Its process died with it: a crash, unless the
					// resumed attempt saves a checkpoint (which resets
					// the count). A stage that kills every start of the
					// app would otherwise be resumed forever. With
					// workers the body cannot take the app down (a worker
					// that dies fails its attempt), so a dead owner is an
					// app that was killed or closed: resumed at no cost.
					next.Crashes = st.Crashes + 1
					if next.Crashes >= CrashLimit {
						te := errs.New(errs.StageCrashed,
							fmt.Sprintf("The %s stage ended Castscope %d times in a row without saving progress.", st.Name, next.Crashes),
							"Castscope stopped resuming it so that everything else keeps working. View Logs shows what it did last; Retry runs it again.")
						next.Status, next.Attempt, next.Error, next.FinishedAt = StatusError, st.Attempt, StageErrorOf(te), &now
						what = fmt.Sprintf("stage=crashed owner=%s was not alive; %d crashes in a row without a checkpoint, not resumed", st.Owner, next.Crashes)
					}
				}
			case st.HeartbeatAt != nil && now.Sub(*st.HeartbeatAt) >= r.stall():
				next = r.stalledNext(st, now, now.Sub(*st.HeartbeatAt))
				what = ""
			default:
				continue
			}
			if err := r.store.UpdateStage(ctx, j.ID, next, StatusRunning, st.Owner); err != nil {
				if errors.Is(err, ErrConflict) {
					continue
				}
				return moved, err
			}
			moved++
			j.Stages[i] = next
			r.notify(r.event(j, next, nil))
			if what != "" {
				r.stageLog(j, st.Name, slog.LevelWarn, what)
			} else {
				r.logStalled(j, next, now.Sub(*st.HeartbeatAt))
			}
			r.mu.Lock()
			jr := r.jobs[j.ID]
			r.mu.Unlock()
			if jr != nil {
				jr.mu.Lock()
				jr.job.Stages[i] = next
				jr.mu.Unlock()
			}
		}
	}
	return moved, nil
}

func (r *Runner) stalledNext(cur Stage, now time.Time, silent time.Duration) Stage {
	next := cur
	te := errs.New(errs.StageStalled,
		fmt.Sprintf("The %s stage showed no sign of life for %s.", cur.Name, silent.Round(time.Second)),
		"Castscope retries it automatically; if it stalls again, check the log and the GPU driver.")
	next.Error = StageErrorOf(te)
	next.HeartbeatAt = cur.HeartbeatAt
	if cur.Attempt < r.retry.MaxAttempts {
		at := NextRetryAt(now, max(cur.Attempt, 1), r.retry, r.rnd)
		next.Status, next.NextRetryAt, next.FinishedAt = StatusRetrying, &at, nil
	} else {
		next.Status, next.NextRetryAt, next.FinishedAt = StatusError, nil, &now
	}
	return next
}

func (r *Runner) logStalled(j Job, next Stage, silent time.Duration) {
	text := fmt.Sprintf("stage=end status=error error=ERR_STAGE_STALLED silent=%s attempt=%d/%d", silent.Round(time.Millisecond), next.Attempt, next.MaxAttempts)
	r.stageLog(j, next.Name, slog.LevelError, text)
	if next.Status == StatusRetrying {
		r.stageLog(j, next.Name, slog.LevelInfo, fmt.Sprintf("envelope stage=retrying next_retry_at=%s", FormatTime(*next.NextRetryAt)))
	} else {
		r.stageLog(j, next.Name, slog.LevelInfo, "envelope stage=error")
	}
}
