package sqlite_test

import (
	"time"

	"castscope/backend/job"
)

func logLine(key, line string) job.LogLine {
	return job.LogLine{Time: time.Now(), Level: "INFO", EpisodeKey: key, Stage: "test", Line: line}
}
