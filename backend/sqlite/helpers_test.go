package sqlite_test

import (
	"time"

	"castscope/backend/logx"
)

func logLine(key, line string) logx.LogLine {
	return logx.LogLine{Time: time.Now(), Level: "INFO", EpisodeKey: key, Stage: "test", Line: line}
}
