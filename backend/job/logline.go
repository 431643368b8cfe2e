package job

import (
	"fmt"
	"strings"
	"time"

	"castscope/backend/errs"
)

// LogLine is one stored line of a job's log (the UI's "View Logs"): what
// the runner writes with Store.AppendLog besides its slog record.
type LogLine struct {
	Time       time.Time `json:"time"`
	Level      string    `json:"level"`
	JobID      string    `json:"job_id,omitempty"`
	Stage      string    `json:"stage,omitempty"`
	EpisodeKey string    `json:"episode_key,omitempty"`
	Line       string    `json:"line"`
}

// The slog attributes the runner sets on every stage record (the worker
// log's handler does not repeat them on the line).
const (
	LogKeyJobID   = "job_id"
	LogKeyStage   = "stage"
	LogKeyEpisode = "episode_key"
)

// LogText is the seed's log line "[STAGE] key text" (stage upper-cased).
func LogText(stage, key, text string) string {
	return "[" + strings.ToUpper(stage) + "] " + key + " " + text
}

// checkKey is the check Submit makes when Config.ValidateKey is nil: an
// episode key becomes part of job ids and file names, so it must be a
// plain, short name.
func checkKey(key string) error {
	if key == "" || len(key) > 128 || strings.ContainsAny(key, `/\:`) || strings.Contains(key, "..") || strings.TrimSpace(key) != key {
		return errs.New(errs.InvalidEpisodeKey, fmt.Sprintf("%q is not a valid episode key.", key), "Add the video again; Castscope derives the key from its file name.")
	}
	return nil
}
