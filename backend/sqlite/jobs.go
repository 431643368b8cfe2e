package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	msqlite "modernc.org/sqlite"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/job"
)

const stageCols = `name, status, stale, attempt, max_attempts, done, total, unit, started_at, finished_at,
	heartbeat_at, next_retry_at, result, error, skip_reason, owner, fingerprint, crashes`

func scanStage(sc interface{ Scan(...any) error }) (job.Stage, error) {
	var st job.Stage
	var status string
	var stale int
	var started, finished, hb, next, result, serr sql.NullString
	err := sc.Scan(&st.Name, &status, &stale, &st.Attempt, &st.MaxAttempts, &st.Progress.Done, &st.Progress.Total,
		&st.Progress.Unit, &started, &finished, &hb, &next, &result, &serr, &st.SkipReason, &st.Owner, &st.Fingerprint, &st.Crashes)
	if err != nil {
		return st, err
	}
	st.Status, st.Stale = job.Status(status), stale != 0
	st.StartedAt, st.FinishedAt, st.HeartbeatAt, st.NextRetryAt = parseTimePtr(started), parseTimePtr(finished), parseTimePtr(hb), parseTimePtr(next)
	st.Result = rawOrNil(result)
	if serr.Valid && serr.String != "" {
		st.Error = new(job.StageError)
		if err := json.Unmarshal([]byte(serr.String), st.Error); err != nil {
			st.Error = &job.StageError{Code: string(errs.Internal), Message: serr.String}
		}
	}
	return st, nil
}

func loadJob(ctx context.Context, q querier, id string) (job.Job, error) {
	var j job.Job
	var settings, finished sql.NullString
	var created string
	var rerun, cancel int
	err := q.QueryRowContext(ctx, `SELECT id, episode_key, mode, settings, rerun, cancel_requested, driver, created_at, finished_at FROM jobs WHERE id=?`, id).
		Scan(&j.ID, &j.EpisodeKey, &j.Mode, &settings, &rerun, &cancel, &j.Driver, &created, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return j, job.ErrNotFound
	}
	if err != nil {
		return j, err
	}
	j.Settings, j.Rerun, j.Canceled = rawOrNil(settings), rerun != 0, cancel != 0
	j.CreatedAt, j.FinishedAt = parseTime(created), parseTimePtr(finished)
	rows, err := q.QueryContext(ctx, `SELECT `+stageCols+` FROM stages WHERE job_id=? ORDER BY ord`, id)
	if err != nil {
		return j, err
	}
	defer rows.Close()
	for rows.Next() {
		st, err := scanStage(rows)
		if err != nil {
			return j, err
		}
		j.Stages = append(j.Stages, st)
	}
	return j, rows.Err()
}

func jobNotFound(id string) error {
	return errs.Wrap(errs.Usage, job.ErrNotFound, fmt.Sprintf("There is no job %q.", id), "List the episode's jobs with `castscope inspect KEY`.")
}

// Job returns a job with its stages (job.ErrNotFound in the chain when
// unknown).
func (s *Store) Job(ctx context.Context, id string) (job.Job, error) {
	j, err := loadJob(ctx, s.r, id)
	if errors.Is(err, job.ErrNotFound) {
		return j, jobNotFound(id)
	}
	return j, mapErr(err, "read job")
}

func (s *Store) jobIDs(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err, "list jobs")
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, mapErr(err, "list jobs")
		}
		ids = append(ids, id)
	}
	return ids, mapErr(rows.Err(), "list jobs")
}

func (s *Store) jobsByID(ctx context.Context, ids []string) ([]job.Job, error) {
	out := make([]job.Job, 0, len(ids))
	for _, id := range ids {
		j, err := loadJob(ctx, s.r, id)
		if errors.Is(err, job.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, mapErr(err, "read job")
		}
		out = append(out, j)
	}
	return out, nil
}

// Jobs returns the jobs of an episode, newest first.
func (s *Store) Jobs(ctx context.Context, episodeKey string) ([]job.Job, error) {
	ids, err := s.jobIDs(ctx, `SELECT id FROM jobs WHERE episode_key=? ORDER BY seq DESC`, episodeKey)
	if err != nil {
		return nil, err
	}
	return s.jobsByID(ctx, ids)
}

// ActiveJobs returns the unfinished jobs, oldest first.
func (s *Store) ActiveJobs(ctx context.Context) ([]job.Job, error) {
	ids, err := s.jobIDs(ctx, `SELECT id FROM jobs WHERE finished_at IS NULL ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	return s.jobsByID(ctx, ids)
}

// CreateJob inserts j unless an unfinished job of the same episode (or
// with the same signature) exists: then it returns that one and true. The
// database decides: the partial unique indexes jobs_active_episode and
// jobs_active_signature allow one unfinished job per episode, the insert
// is tried first, and when it hits one of them the unfinished job it met is
// returned, in the same immediate transaction. Two processes racing to
// start work on one episode therefore get one job. A taken id gets a
// suffix.
func (s *Store) CreateJob(ctx context.Context, j job.Job, signature string) (job.Job, bool, error) {
	if !jobIDRE.MatchString(j.ID) || strings.Contains(j.ID, "..") {
		return j, false, fmt.Errorf("sqlite: unsafe job id %q", j.ID)
	}
	var out job.Job
	var existing bool
	err := s.write(ctx, "create job", func(tx *sql.Tx, d dirtySet) error {
		base := j.ID
		for n := 2; ; n++ {
			var c int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE id=?`, j.ID).Scan(&c); err != nil {
				return err
			}
			if c == 0 {
				break
			}
			j.ID = fmt.Sprintf("%s_%d", base, n)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO jobs (id, episode_key, mode, settings, rerun, driver, signature, created_at) VALUES (?,?,?,?,?,?,?,?)`,
			j.ID, j.EpisodeKey, j.Mode, nullRaw(j.Settings), boolInt(j.Rerun), j.Driver, signature, episode.FormatTime(j.CreatedAt))
		if activeJobTaken(err) {
			// Only the failed statement was undone; the transaction goes on.
			var id string
			if err := tx.QueryRowContext(ctx, `SELECT id FROM jobs WHERE (episode_key=? OR signature=?) AND finished_at IS NULL ORDER BY seq LIMIT 1`,
				j.EpisodeKey, signature).Scan(&id); err != nil {
				return err
			}
			existing = true
			out, err = loadJob(ctx, tx, id)
			return err
		}
		if err != nil {
			return err
		}
		for i, st := range j.Stages {
			if _, err := tx.ExecContext(ctx, `INSERT INTO stages (job_id, name, ord, status, attempt, max_attempts, unit) VALUES (?,?,?,?,?,?,?)`,
				j.ID, st.Name, i, string(st.Status), st.Attempt, st.MaxAttempts, st.Progress.Unit); err != nil {
				return err
			}
		}
		d.job(j.ID)
		out, err = loadJob(ctx, tx, j.ID)
		return err
	})
	return out, existing, err
}

// sqliteConstraintUnique is SQLITE_CONSTRAINT_UNIQUE (an extended code).
const sqliteConstraintUnique = 2067

// activeJobTaken reports whether err is the insert of a job meeting the
// unfinished job of its episode (jobs_active_episode) or of its signature
// (jobs_active_signature).
func activeJobTaken(err error) bool {
	var se *msqlite.Error
	if !errors.As(err, &se) || se.Code() != sqliteConstraintUnique {
		return false
	}
	msg := se.Error()
	return strings.Contains(msg, "jobs.episode_key") || strings.Contains(msg, "jobs.signature")
}

// UpdateStage stores st if the stored stage still has status from (and,
// for a running stage, owner prevOwner); job.ErrConflict otherwise.
func (s *Store) UpdateStage(ctx context.Context, jobID string, st job.Stage, from job.Status, prevOwner string) error {
	if err := job.CheckTransition(st.Name, from, st.Status); err != nil && from != st.Status {
		return err
	}
	var errJSON any
	if st.Error != nil {
		b, _ := json.Marshal(st.Error)
		errJSON = string(b)
	}
	return s.write(ctx, "update stage", func(tx *sql.Tx, d dirtySet) error {
		q := `UPDATE stages SET status=?, stale=?, attempt=?, max_attempts=?, done=?, total=?, unit=?, started_at=?, finished_at=?,
			heartbeat_at=?, next_retry_at=?, result=?, error=?, skip_reason=?, owner=?, fingerprint=?, crashes=?
			WHERE job_id=? AND name=? AND status=?`
		args := []any{string(st.Status), boolInt(st.Stale), st.Attempt, st.MaxAttempts, st.Progress.Done, st.Progress.Total, st.Progress.Unit,
			fmtTimePtr(st.StartedAt), fmtTimePtr(st.FinishedAt), fmtTimePtr(st.HeartbeatAt), fmtTimePtr(st.NextRetryAt),
			nullRaw(st.Result), errJSON, st.SkipReason, st.Owner, st.Fingerprint, st.Crashes, jobID, st.Name, string(from)}
		if from == job.StatusRunning {
			q += ` AND owner=?`
			args = append(args, prevOwner)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return job.ErrConflict
		}
		d.job(jobID)
		return nil
	})
}

// MirrorStage stores st as another driver reports it (Job.Driver): no
// compare-and-set, since that driver, not this store, orders the moves;
// a terminal stage is never moved back by a late report.
func (s *Store) MirrorStage(ctx context.Context, jobID string, st job.Stage) error {
	var errJSON any
	if st.Error != nil {
		b, _ := json.Marshal(st.Error)
		errJSON = string(b)
	}
	return s.write(ctx, "mirror stage", func(tx *sql.Tx, d dirtySet) error {
		_, err := tx.ExecContext(ctx, `UPDATE stages SET status=?, attempt=?, max_attempts=?, done=?, total=?, unit=?, started_at=?, finished_at=?,
			heartbeat_at=?, next_retry_at=?, result=?, error=?, skip_reason=?, owner=?, fingerprint=?
			WHERE job_id=? AND name=? AND status NOT IN ('ok','error','skipped','canceled')`,
			string(st.Status), st.Attempt, st.MaxAttempts, st.Progress.Done, st.Progress.Total, st.Progress.Unit,
			fmtTimePtr(st.StartedAt), fmtTimePtr(st.FinishedAt), fmtTimePtr(st.HeartbeatAt), fmtTimePtr(st.NextRetryAt),
			nullRaw(st.Result), errJSON, st.SkipReason, st.Owner, st.Fingerprint, jobID, st.Name)
		if err != nil {
			return err
		}
		d.job(jobID)
		return nil
	})
}

// Heartbeat records at and p on a running stage owned by owner.
func (s *Store) Heartbeat(ctx context.Context, jobID, stage, owner string, p job.Progress, at time.Time) (bool, error) {
	var canceled bool
	err := s.write(ctx, "heartbeat", func(tx *sql.Tx, d dirtySet) error {
		res, err := tx.ExecContext(ctx, `UPDATE stages SET heartbeat_at=?, done=?, total=?, unit=? WHERE job_id=? AND name=? AND status='running' AND owner=?`,
			episode.FormatTime(at), p.Done, p.Total, p.Unit, jobID, stage, owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return job.ErrConflict
		}
		var c int
		if err := tx.QueryRowContext(ctx, `SELECT cancel_requested FROM jobs WHERE id=?`, jobID).Scan(&c); err != nil {
			return err
		}
		canceled = c != 0
		d.job(jobID)
		return nil
	})
	return canceled, err
}

// SaveCheckpoint stores the checkpoint of a running stage owned by owner.
func (s *Store) SaveCheckpoint(ctx context.Context, jobID, stage, owner string, cp json.RawMessage) error {
	return s.write(ctx, "save checkpoint", func(tx *sql.Tx, d dirtySet) error {
		res, err := tx.ExecContext(ctx, `UPDATE stages SET checkpoint=?, crashes=0 WHERE job_id=? AND name=? AND status='running' AND owner=?`,
			nullRaw(cp), jobID, stage, owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return job.ErrConflict
		}
		return nil
	})
}

// Checkpoint returns the last checkpoint of a stage (nil if none).
func (s *Store) Checkpoint(ctx context.Context, jobID, stage string) (json.RawMessage, error) {
	var cp sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT checkpoint FROM stages WHERE job_id=? AND name=?`, jobID, stage).Scan(&cp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, job.ErrNotFound
	}
	if err != nil {
		return nil, mapErr(err, "read checkpoint")
	}
	return rawOrNil(cp), nil
}

// FinishJob sets the job's finished time (once).
func (s *Store) FinishJob(ctx context.Context, jobID string, at time.Time) error {
	return s.write(ctx, "finish job", func(tx *sql.Tx, d dirtySet) error {
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET finished_at=? WHERE id=? AND finished_at IS NULL`, episode.FormatTime(at), jobID); err != nil {
			return err
		}
		d.job(jobID)
		return nil
	})
}

// RequestCancel flags the job as canceled.
func (s *Store) RequestCancel(ctx context.Context, jobID string) error {
	return s.write(ctx, "cancel job", func(tx *sql.Tx, d dirtySet) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET cancel_requested=1 WHERE id=?`, jobID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return jobNotFound(jobID)
		}
		d.job(jobID)
		return nil
	})
}

// MarkStale flags the ok/skipped records of stages of episodeKey in other
// jobs as stale.
func (s *Store) MarkStale(ctx context.Context, episodeKey string, stages []string, exceptJobID string) error {
	if len(stages) == 0 {
		return nil
	}
	return s.write(ctx, "mark stale", func(tx *sql.Tx, d dirtySet) error {
		ph := strings.TrimSuffix(strings.Repeat("?,", len(stages)), ",")
		args := []any{episodeKey, exceptJobID}
		for _, n := range stages {
			args = append(args, n)
		}
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT s.job_id FROM stages s JOIN jobs j ON j.id=s.job_id
			WHERE j.episode_key=? AND j.id<>? AND s.name IN (`+ph+`) AND s.status IN ('ok','skipped') AND s.stale=0`, args...)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			a := append([]any{id}, args[2:]...)
			if _, err := tx.ExecContext(ctx, `UPDATE stages SET stale=1 WHERE job_id=? AND name IN (`+ph+`) AND status IN ('ok','skipped')`, a...); err != nil {
				return err
			}
			d.job(id)
		}
		return nil
	})
}

// LastFingerprint returns the fingerprint of the newest ok or skipped,
// not stale record of stage for episodeKey.
func (s *Store) LastFingerprint(ctx context.Context, episodeKey, stage string) (string, error) {
	var fp string
	err := s.r.QueryRowContext(ctx, `SELECT s.fingerprint FROM stages s JOIN jobs j ON j.id=s.job_id
		WHERE j.episode_key=? AND s.name=? AND s.status IN ('ok','skipped') AND s.stale=0
		ORDER BY s.finished_at DESC, j.seq DESC LIMIT 1`, episodeKey, stage).Scan(&fp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return fp, mapErr(err, "read fingerprint")
}

// StageRate returns the remembered throughput of stage under rateKey.
func (s *Store) StageRate(ctx context.Context, stage, rateKey string) (float64, error) {
	var r float64
	err := s.r.QueryRowContext(ctx, `SELECT rate FROM stage_rates WHERE stage=? AND rate_key=?`, stage, rateKey).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return r, mapErr(err, "read stage rate")
}

// RecordStageRate folds rate into the remembered throughput (mean of the
// old value and the new one).
func (s *Store) RecordStageRate(ctx context.Context, stage, rateKey string, rate float64) error {
	if rate <= 0 {
		return nil
	}
	return s.write(ctx, "record stage rate", func(tx *sql.Tx, d dirtySet) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO stage_rates (stage, rate_key, rate, runs, updated_at) VALUES (?,?,?,1,?)
			ON CONFLICT (stage, rate_key) DO UPDATE SET rate=(rate+excluded.rate)/2, runs=runs+1, updated_at=excluded.updated_at`,
			stage, rateKey, rate, episode.FormatTime(s.now()))
		return err
	})
}

// keepLogs is how many log rows the database keeps (worker.log keeps more).
const keepLogs = 200_000

// AppendLog stores one log line.
func (s *Store) AppendLog(ctx context.Context, l job.LogLine) error {
	return s.write(ctx, "append log", func(tx *sql.Tx, d dirtySet) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO logs (ts, level, job_id, stage, episode_key, line) VALUES (?,?,?,?,?,?)`,
			episode.FormatTime(l.Time), l.Level, l.JobID, l.Stage, l.EpisodeKey, l.Line); err != nil {
			return err
		}
		s.logWrites++
		if s.logWrites%1000 == 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM logs WHERE id < (SELECT max(id) FROM logs) - ?`, keepLogs); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) logLines(ctx context.Context, col, val string, n int) ([]LogLine, error) {
	if n <= 0 {
		n = 200
	}
	rows, err := s.r.QueryContext(ctx, `SELECT ts, level, job_id, stage, episode_key, line FROM
		(SELECT * FROM logs WHERE `+col+`=? ORDER BY id DESC LIMIT ?) ORDER BY id`, val, n)
	if err != nil {
		return nil, mapErr(err, "read logs")
	}
	defer rows.Close()
	var out []LogLine
	for rows.Next() {
		var l LogLine
		var t string
		if err := rows.Scan(&t, &l.Level, &l.JobID, &l.Stage, &l.EpisodeKey, &l.Line); err != nil {
			return nil, mapErr(err, "read logs")
		}
		l.Time = parseTime(t)
		out = append(out, l)
	}
	return out, mapErr(rows.Err(), "read logs")
}

// JobLogs returns the last limit log lines of a job, oldest first.
func (s *Store) JobLogs(ctx context.Context, jobID string, limit int) ([]LogLine, error) {
	return s.logLines(ctx, "job_id", jobID, limit)
}

// EpisodeLogTail returns the last n log lines of an episode, oldest first.
func (s *Store) EpisodeLogTail(ctx context.Context, key string, n int) ([]LogLine, error) {
	return s.logLines(ctx, "episode_key", key, n)
}
