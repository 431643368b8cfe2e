package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/job"
)

// ImportLegacy imports the predecessor's episodes/*/state.json and
// data/jobs/*/meta.json under dataDir into an empty database (ERR_USAGE
// otherwise). Keys are normalized; stages the predecessor left running or
// pending are imported as error (they can never finish); every imported
// job is finished. Files that cannot be parsed are skipped and logged.
func (s *Store) ImportLegacy(ctx context.Context, dataDir string) (episodes, jobs int, err error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM episodes) + (SELECT count(*) FROM jobs)`).Scan(&n); err != nil {
		return 0, 0, mapErr(err, "count rows")
	}
	if n > 0 {
		return 0, 0, errs.New(errs.Usage, "The database already holds episodes or jobs.", "Import the previous version's files into a new data folder.")
	}
	states, _ := filepath.Glob(filepath.Join(dataDir, "episodes", "*", "state.json"))
	metas, _ := filepath.Glob(filepath.Join(dataDir, "data", "jobs", "*", "meta.json"))
	sort.Strings(states)
	sort.Strings(metas)
	now := s.now().UTC()
	err = s.write(ctx, "import legacy", func(tx *sql.Tx, d dirtySet) error {
		for _, p := range states {
			key, err := importState(ctx, tx, p, now)
			if err != nil {
				s.log.Warn("skipping a legacy state.json", "path", p, "error", err)
				continue
			}
			d.episode(key)
			episodes++
		}
		for _, p := range metas {
			id, err := importMeta(ctx, tx, p, now)
			if err != nil {
				s.log.Warn("skipping a legacy meta.json", "path", p, "error", err)
				continue
			}
			d.job(id)
			jobs++
		}
		return nil
	})
	return episodes, jobs, err
}

func legacyKey(k string) (string, error) {
	if episode.ValidateKey(k) == nil {
		return k, nil
	}
	return episode.Normalize(k)
}

// parseLegacyTime accepts RFC 3339 and Python's isoformat without a zone
// (taken as UTC).
func parseLegacyTime(v string) (time.Time, bool) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func importState(ctx context.Context, tx *sql.Tx, p string, now time.Time) (string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	var sf struct {
		EpisodeKey string             `json:"episode_key"`
		VideoPath  string             `json:"video_path"`
		States     map[string]bool    `json:"states"`
		Timestamps map[string]*string `json:"timestamps"`
	}
	if err := json.Unmarshal(b, &sf); err != nil {
		return "", err
	}
	key, err := legacyKey(strings.TrimSpace(sf.EpisodeKey))
	if err != nil || sf.EpisodeKey == "" {
		if key, err = legacyKey(filepath.Base(filepath.Dir(p))); err != nil {
			return "", err
		}
	}
	var size int64
	mod := now
	if st, err := os.Stat(sf.VideoPath); err == nil {
		size, mod = st.Size(), st.ModTime().UTC()
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO episodes (key, title, video_path, size_bytes, mod_time, fingerprint, created_at) VALUES (?,?,?,?,?,?,?)`,
		key, episode.TitleOf(sf.VideoPath), sf.VideoPath, size, episode.FormatTime(mod), "", episode.FormatTime(now)); err != nil {
		return "", err
	}
	for flag, v := range sf.States {
		var at any
		if ts := sf.Timestamps[flag]; ts != nil {
			if t, ok := parseLegacyTime(*ts); ok {
				at = episode.FormatTime(t)
			}
		}
		if v && at == nil {
			at = episode.FormatTime(now)
		}
		if !v {
			at = nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO episode_states (episode_key, flag, value, at) VALUES (?,?,?,?)`, key, flag, boolInt(v), at); err != nil {
			return "", err
		}
	}
	return key, nil
}

func importMeta(ctx context.Context, tx *sql.Tx, p string, now time.Time) (string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return "", err
	}
	fixTimes := func(m map[string]any, keys ...string) {
		for _, k := range keys {
			if v, ok := m[k].(string); ok {
				if t, ok := parseLegacyTime(v); ok {
					m[k] = episode.FormatTime(t)
				} else {
					m[k] = nil
				}
			}
		}
	}
	fixTimes(raw, "created_at", "finished_at")
	if stages, ok := raw["stages"].(map[string]any); ok {
		for _, v := range stages {
			st, ok := v.(map[string]any)
			if !ok {
				continue
			}
			fixTimes(st, "started_at", "finished_at", "heartbeat_at", "next_retry_at")
			if e, ok := st["error"].(string); ok { // the predecessor stored str(e)
				code := string(errs.Internal)
				if strings.HasPrefix(e, "ERR_") {
					code = strings.SplitN(strings.SplitN(e, ":", 2)[0], " ", 2)[0]
				}
				st["error"] = map[string]any{"code": code, "message": e}
			}
		}
	}
	fixed, _ := json.Marshal(raw)
	var j job.Job
	if err := json.Unmarshal(fixed, &j); err != nil {
		return "", err
	}
	if j.ID == "" {
		j.ID = filepath.Base(filepath.Dir(p))
	}
	if !jobIDRE.MatchString(j.ID) || strings.Contains(j.ID, "..") {
		return "", fmt.Errorf("unsafe job id %q", j.ID)
	}
	if j.EpisodeKey, err = legacyKey(j.EpisodeKey); err != nil {
		return "", err
	}
	if j.Mode == "" {
		j.Mode = "prepare"
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = now
		if st, err := os.Stat(p); err == nil {
			j.CreatedAt = st.ModTime().UTC()
		}
	}
	finished := now
	if j.FinishedAt != nil {
		finished = *j.FinishedAt
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (id, episode_key, mode, settings, rerun, signature, created_at, finished_at) VALUES (?,?,?,?,0,?,?,?)`,
		j.ID, j.EpisodeKey, j.Mode, nullRaw(j.Settings), "legacy:"+j.ID, episode.FormatTime(j.CreatedAt), episode.FormatTime(finished)); err != nil {
		return "", err
	}
	for i, st := range j.Stages {
		switch st.Status {
		case job.StatusOK, job.StatusError, job.StatusSkipped:
		case job.StatusRunning:
			st.Status = job.StatusError
			st.Error = &job.StageError{Code: string(errs.StageStalled), Message: "The previous version left this stage running; it never finished.", Hint: "Run the stage again."}
		default:
			st.Status = job.StatusError
			st.Error = &job.StageError{Code: string(errs.Canceled), Message: "The previous version never ran this stage.", Hint: "Run the stage again."}
		}
		if st.FinishedAt == nil && st.Status != job.StatusOK {
			st.FinishedAt = &finished
		}
		var errJSON any
		if st.Error != nil {
			eb, _ := json.Marshal(st.Error)
			errJSON = string(eb)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO stages (job_id, name, ord, status, attempt, max_attempts, done, total, unit, started_at, finished_at,
			heartbeat_at, result, error, skip_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			j.ID, st.Name, i, string(st.Status), max(st.Attempt, 1), max(st.MaxAttempts, st.Attempt, 1), st.Progress.Done, st.Progress.Total, st.Progress.Unit,
			fmtTimePtr(st.StartedAt), fmtTimePtr(st.FinishedAt), fmtTimePtr(st.HeartbeatAt), nullRaw(st.Result), errJSON, st.SkipReason); err != nil {
			return "", err
		}
	}
	return j.ID, nil
}
