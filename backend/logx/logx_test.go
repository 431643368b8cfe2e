package logx_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"castscope/backend/errs"
	"castscope/backend/logx"
)

func TestHandlerSeedFormat(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := slog.New(logx.NewHandler(&buf, nil))
	l.Info(logx.Line("detect", "rhobh_s05_e03", "stage=start job_id=prepare_x"), logx.KeyJobID, "prepare_x", logx.KeyStage, "detect", logx.KeyEpisode, "rhobh_s05_e03")
	l.With("provider", "CPU").Warn(logx.Line("detect", "rhobh_s05_e03", "model=retinaface loaded in 0.2s"), "extra", "two words")
	l.Debug("hidden")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%q", lines)
	}
	re := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO \[DETECT\] rhobh_s05_e03 stage=start job_id=prepare_x$`)
	if !re.MatchString(lines[0]) {
		t.Errorf("line 1 %q", lines[0])
	}
	if !strings.HasSuffix(lines[1], `WARN [DETECT] rhobh_s05_e03 model=retinaface loaded in 0.2s provider=CPU extra="two words"`) {
		t.Errorf("line 2 %q", lines[1])
	}
}

func TestOpenTailAndTee(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var extra bytes.Buffer
	lg, err := logx.Open(dir, slog.New(slog.NewTextHandler(&extra, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		lg.Slog().Info(logx.Line("track", "k", fmt.Sprintf("n=%d", i)))
	}
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	if lg.Path() != filepath.Join(dir, "logs", "worker.log") {
		t.Errorf("path %s", lg.Path())
	}
	tail, err := logx.Tail(lg.Path(), 10)
	if err != nil || len(tail) != 10 || !strings.HasSuffix(tail[9], "[TRACK] k n=29") || !strings.HasSuffix(tail[0], "[TRACK] k n=20") {
		t.Fatalf("%q %v", tail, err)
	}
	if !strings.Contains(extra.String(), "n=29") {
		t.Error("extra logger got nothing")
	}
}

func TestOpenReadOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// a file where the logs folder should be
	os.WriteFile(filepath.Join(dir, "logs"), []byte("x"), 0o644)
	if _, err := logx.Open(dir, nil); errs.CodeOf(err) == "" || errs.CodeOf(err) == errs.Internal {
		t.Fatalf("untyped: %v", err)
	}
}

// TestOpenLazy: the log of a command that only reads creates nothing until
// its first record; where logs/ cannot be written (a file stands there),
// the records go to the fallback after one note naming the file.
func TestOpenLazy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := logx.OpenLazy(dir, nil, nil)
	if _, err := os.Stat(filepath.Join(dir, "logs")); err == nil {
		t.Fatal("logs/ was created before anything was logged")
	}
	l.Slog().Info(logx.Line("inspect", "k", "first"))
	l.Close()
	if b, err := os.ReadFile(filepath.Join(dir, "logs", "worker.log")); err != nil || !strings.Contains(string(b), "[INSPECT] k first") {
		t.Fatalf("worker.log after the first record: %q %v", b, err)
	}

	blocked := t.TempDir()
	os.WriteFile(filepath.Join(blocked, "logs"), []byte("x"), 0o644)
	var fallback bytes.Buffer
	l = logx.OpenLazy(blocked, nil, &fallback)
	l.Slog().Warn("one")
	l.Slog().Warn("two")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got := fallback.String()
	note := "castscope: the worker log " + filepath.Join(blocked, "logs", "worker.log") + " cannot be written ("
	if strings.Count(got, note) != 1 || !strings.Contains(got, "WARN one\n") || !strings.Contains(got, "WARN two\n") {
		t.Fatalf("fallback:\n%s", got)
	}
	if b, _ := os.ReadFile(filepath.Join(blocked, "logs")); string(b) != "x" {
		t.Errorf("the file in the way was changed: %q", b)
	}
}
