// Package logx holds the worker log: logs/worker.log under the data folder,
// rotated by lumberjack, written through log/slog in the seed's line format
//
//	2025-11-06T22:10:02.123Z INFO [DETECT] rhobh_s05_e03 stage=start job_id=…
//
// The message of a record is the seed line itself ("[STAGE] key text", see
// Line); the attributes job_id, stage and episode_key travel as slog
// attributes (for other handlers) and are not repeated on the line. Any
// other attribute is appended as key=value.
package logx

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"

	"castscope/backend/errs"
	"castscope/backend/job"
)

// Attribute keys the runner sets on every stage record (job declares them).
const (
	KeyJobID   = job.LogKeyJobID
	KeyStage   = job.LogKeyStage
	KeyEpisode = job.LogKeyEpisode
)

// Line returns the seed line "[STAGE] key text" (stage upper-cased), as
// the runner writes it (job.LogText).
func Line(stage, key, text string) string { return job.LogText(stage, key, text) }

// Log is the open worker log.
type Log struct {
	path   string
	rot    io.Closer
	logger *slog.Logger
}

// Open opens (creating) {dataDir}/logs/worker.log. extra, when not nil,
// receives every record too.
func Open(dataDir string, extra *slog.Logger) (*Log, error) {
	dir := filepath.Join(dataDir, "logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, errs.FS(err, dir)
	}
	p := filepath.Join(dir, "worker.log")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, errs.FS(err, p)
	}
	f.Close()
	rot := &lumberjack.Logger{Filename: p, MaxSize: 20, MaxBackups: 5, MaxAge: 60}
	var h slog.Handler = NewHandler(rot, nil)
	if extra != nil {
		h = Tee(h, extra.Handler())
	}
	return &Log{path: p, rot: rot, logger: slog.New(h)}, nil
}

// OpenLazy returns the worker log of a command that only reads the data
// folder (inspect, export), which may be read-only: nothing is created or
// opened until the first record, and when logs/worker.log cannot be
// written then, that record and the ones after it go to fallback
// (nil: standard error), after a one-line note saying why. It never fails.
func OpenLazy(dataDir string, extra *slog.Logger, fallback io.Writer) *Log {
	if fallback == nil {
		fallback = os.Stderr
	}
	dir := filepath.Join(dataDir, "logs")
	w := &lazyFile{dir: dir, path: filepath.Join(dir, "worker.log"), fallback: fallback}
	var h slog.Handler = NewHandler(w, nil)
	if extra != nil {
		h = Tee(h, extra.Handler())
	}
	return &Log{path: w.path, rot: w, logger: slog.New(h)}
}

// lazyFile is OpenLazy's writer.
type lazyFile struct {
	mu        sync.Mutex
	dir, path string
	rot       *lumberjack.Logger
	fallback  io.Writer
	failed    bool
}

func (l *lazyFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.failed {
		if l.rot == nil {
			if err := l.open(); err != nil {
				l.fail(err)
				return l.fallback.Write(p)
			}
			l.rot = &lumberjack.Logger{Filename: l.path, MaxSize: 20, MaxBackups: 5, MaxAge: 60}
		}
		n, err := l.rot.Write(p)
		if err == nil {
			return n, nil
		}
		l.fail(err)
	}
	return l.fallback.Write(p)
}

func (l *lazyFile) open() error {
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

func (l *lazyFile) fail(err error) {
	l.failed = true
	reason := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		reason = pe.Err.Error()
	}
	fmt.Fprintf(l.fallback, "castscope: the worker log %s cannot be written (%s); log lines go here instead\n", l.path, reason)
}

func (l *lazyFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rot == nil {
		return nil
	}
	return l.rot.Close()
}

// Slog returns the logger writing to worker.log.
func (l *Log) Slog() *slog.Logger { return l.logger }

// Path returns the path of worker.log.
func (l *Log) Path() string { return l.path }

// Close closes the file.
func (l *Log) Close() error { return l.rot.Close() }

// Tail returns the last n lines of worker.log.
func (l *Log) Tail(n int) ([]string, error) { return Tail(l.path, n) }

// Tail returns the last n lines of the file at path.
func Tail(path string, n int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("logx: open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("logx: stat %s: %w", path, err)
	}
	const window = 256 << 10
	off := max(st.Size()-window, 0)
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, fmt.Errorf("logx: seek %s: %w", path, err)
	}
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	first := off > 0
	for sc.Scan() {
		if first { // a partial line
			first = false
			continue
		}
		lines = append(lines, sc.Text())
		if len(lines) > 2*n+64 {
			lines = append(lines[:0], lines[len(lines)-n:]...)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines, sc.Err()
}

// NewHandler returns a slog handler writing seed-format lines to w.
func NewHandler(w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	if opts == nil {
		opts = &slog.HandlerOptions{}
	}
	return &handler{w: w, mu: new(sync.Mutex), opts: *opts}
}

type handler struct {
	w      io.Writer
	mu     *sync.Mutex
	opts   slog.HandlerOptions
	attrs  []slog.Attr
	prefix string
}

func (h *handler) Enabled(_ context.Context, l slog.Level) bool {
	min := slog.LevelInfo
	if h.opts.Level != nil {
		min = h.opts.Level.Level()
	}
	return l >= min
}

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	var b bytes.Buffer
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	b.WriteString(job.FormatTime(t))
	b.WriteByte(' ')
	b.WriteString(r.Level.String())
	b.WriteByte(' ')
	b.WriteString(strings.ReplaceAll(r.Message, "\n", `\n`))
	write := func(a slog.Attr) {
		if a.Equal(slog.Attr{}) {
			return
		}
		switch a.Key {
		case KeyJobID, KeyStage, KeyEpisode:
			if h.prefix == "" {
				return
			}
		}
		v := a.Value.Resolve()
		if v.Kind() == slog.KindGroup {
			for _, g := range v.Group() {
				g.Key = a.Key + "." + g.Key
				b.WriteString(" " + g.Key + "=" + quote(g.Value.String()))
			}
			return
		}
		b.WriteString(" " + h.prefix + a.Key + "=" + quote(v.String()))
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(func(a slog.Attr) bool { write(a); return true })
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(b.Bytes())
	return err
}

func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"=") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *handler) WithGroup(name string) slog.Handler {
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}

// Tee returns a handler sending each record to every handler in hs.
func Tee(hs ...slog.Handler) slog.Handler { return tee(hs) }

type tee []slog.Handler

func (t tee) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range t {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (t tee) Handle(ctx context.Context, r slog.Record) error {
	var first error
	for _, h := range t {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

func (t tee) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(tee, len(t))
	for i, h := range t {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (t tee) WithGroup(name string) slog.Handler {
	out := make(tee, len(t))
	for i, h := range t {
		out[i] = h.WithGroup(name)
	}
	return out
}
