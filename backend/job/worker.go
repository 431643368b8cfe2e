package job

// Stage bodies in a supervised worker process.
//
// With Config.Worker set, the runner runs each attempt's body in a child
// process (the app's own executable, `castscope worker`) and supervises
// it: a crash in native code — decoding, ONNX Runtime, OpenCV: a
// segfault, an abort, the system's out-of-memory killer — kills the
// worker, not the window. The runner sees the worker's exit status and
// fails the attempt with ERR_STAGE_CRASHED naming the signal; that is an
// ordinary failed attempt, retried with backoff until MaxAttempts. So only
// a worker that dies by itself counts against a stage: a window that is
// killed or closed takes its worker with it, and the next start resumes
// the stage from its checkpoint at no cost (Rescue).
//
// A spare worker is started while an attempt runs (takeWorker), so the
// program's start is off the path of every attempt but the first; each
// attempt still has a process of its own.
//
// The protocol is JSON lines. The runner writes the task, then acks of
// checkpoints and a cancel request, on the worker's stdin; the worker
// writes progress, log lines, checkpoints and its outcome on file
// descriptor 3 (stdout and stderr stay free for native libraries, whose
// last lines go to the stage's log when the worker dies). A checkpoint is
// durable — stored by the runner — before the worker's SaveCheckpoint
// returns, exactly as in process. The worker stops when its stdin closes
// (the runner is gone) and, on Linux, is killed with its parent
// (PR_SET_PDEATHSIG), so no orphan keeps writing artifacts.
//
// ServeWorker is the worker's side; it is also what a worker on another
// machine would run against a shared store.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"castscope/backend/errs"
)

// WorkerCommand returns the command that starts one worker process (the
// runner wires its stdin, file descriptor 3 and output). See ServeWorker.
type WorkerCommand func(ctx context.Context) *exec.Cmd

// workerJob is a Job on the wire (Job's own JSON is the meta.json envelope).
type workerJob struct {
	ID         string          `json:"job_id"`
	EpisodeKey string          `json:"episode_key"`
	Mode       string          `json:"mode"`
	Settings   json.RawMessage `json:"settings,omitempty"`
	Rerun      bool            `json:"rerun,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	Stages     []Stage         `json:"stages"`
}

// toWorker is one line on the worker's stdin.
type toWorker struct {
	Stage      string          `json:"stage,omitempty"` // the task (first line)
	Job        *workerJob      `json:"job,omitempty"`
	Checkpoint json.RawMessage `json:"checkpoint,omitempty"`
	Ack        int             `json:"ack,omitempty"` // a checkpoint is stored (or failed: AckError)
	AckError   *StageError     `json:"ack_error,omitempty"`
	Cancel     bool            `json:"cancel,omitempty"`
}

// fromWorker is one line from the worker.
type fromWorker struct {
	Progress   *Progress       `json:"progress,omitempty"`
	Log        string          `json:"log,omitempty"`
	RateKey    string          `json:"rate_key,omitempty"`
	Checkpoint json.RawMessage `json:"checkpoint,omitempty"`
	Seq        int             `json:"seq,omitempty"`
	Done       bool            `json:"done,omitempty"`
	Result     json.RawMessage `json:"result,omitempty"`
	Error      *StageError     `json:"error,omitempty"`
	Detail     string          `json:"detail,omitempty"` // the Go error, for the log
	Permanent  bool            `json:"permanent,omitempty"`
	Skip       string          `json:"skip,omitempty"`
	Panic      string          `json:"panic,omitempty"`
	Stack      string          `json:"stack,omitempty"`
}

// workerPanic is a panic of a stage body in the worker.
type workerPanic struct{ value, stack string }

func (p *workerPanic) Error() string { return "job: stage body panicked in the worker: " + p.value }

// workerCancelGrace is how long a canceled or closing worker may take to
// return before it is killed (a stalled one is killed at once).
const workerCancelGrace = 3 * time.Second

// workerProc is a started worker process, waiting for its task.
type workerProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	rep   *os.File // the read end of its file descriptor 3
	tail  *lineTail
	done  chan struct{} // closed once it exited; werr is then set
	werr  error
}

// startWorker starts a worker process, which loads the program and opens
// the store, then waits for its task.
func (r *Runner) startWorker() (*workerProc, error) {
	cmd := r.cfg.Worker(context.Background())
	setPdeathsig(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("job: worker stdin: %w", err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("job: worker pipe: %w", err)
	}
	w := &workerProc{cmd: cmd, stdin: stdin, rep: pr, tail: &lineTail{max: 30}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = w.tail, w.tail
	cmd.ExtraFiles = []*os.File{pw}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, errs.Wrap(errs.Internal, err, "Castscope could not start its worker process.", "Check that the Castscope program file is still in place, then run the job again.")
	}
	pw.Close()
	go func() { w.werr = cmd.Wait(); close(w.done) }()
	return w, nil
}

func (w *workerProc) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// discard ends a worker that got no task.
func (w *workerProc) discard() {
	w.cmd.Process.Kill()
	<-w.done
	w.rep.Close()
}

// takeWorker returns the spare worker, started while the previous attempt
// ran, or a new one, and starts the next spare: the program's start (half
// a second: it links the window's libraries) is then off every attempt's
// path but the first.
func (r *Runner) takeWorker() (*workerProc, error) {
	r.spareMu.Lock()
	w := r.spare
	r.spare = nil
	r.spareMu.Unlock()
	if w != nil && w.exited() { // died idle (killed, say): not this attempt's crash
		w.rep.Close()
		w = nil
	}
	if w == nil {
		var err error
		if w, err = r.startWorker(); err != nil {
			return nil, err
		}
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		next, err := r.startWorker()
		if err != nil {
			return // the next attempt starts its own and reports it
		}
		r.spareMu.Lock()
		kept := r.spare == nil && !r.isClosed()
		if kept {
			r.spare = next
		}
		r.spareMu.Unlock()
		if !kept {
			next.discard()
			return
		}
		// Not kept for ever: an idle app gives its memory back.
		select {
		case <-r.clock.After(spareIdle):
		case <-r.ctx.Done():
		}
		r.spareMu.Lock()
		if r.spare != next {
			next = nil // taken, or dropped by Close
		} else {
			r.spare = nil
		}
		r.spareMu.Unlock()
		if next != nil {
			next.discard()
		}
	}()
	return w, nil
}

// spareIdle is how long a spare worker waits for an attempt before it is
// ended (it holds some 120 MB, mostly the program's libraries).
const spareIdle = 2 * time.Minute

// dropSpare ends the spare worker (Close).
func (r *Runner) dropSpare() {
	r.spareMu.Lock()
	w := r.spare
	r.spare = nil
	r.spareMu.Unlock()
	if w != nil {
		w.discard()
	}
}

// runWorker runs the attempt sr in a worker process and returns its
// outcome as the body's would be.
func (r *Runner) runWorker(ctx context.Context, sr *stageRun) (any, error) {
	w, err := r.takeWorker()
	if err != nil {
		return nil, err
	}
	defer w.rep.Close()
	cmd, stdin, pr, tail := w.cmd, w.stdin, w.rep, w.tail

	var wmu sync.Mutex
	send := func(m toWorker) {
		b, _ := json.Marshal(m)
		wmu.Lock()
		defer wmu.Unlock()
		stdin.Write(append(b, '\n')) // a worker that is gone is seen by Wait
	}
	j := sr.Job()
	sr.mu.Lock()
	cp := sr.checkpoint
	sr.mu.Unlock()
	send(toWorker{Stage: sr.def.Name, Checkpoint: cp, Job: &workerJob{ID: j.ID, EpisodeKey: j.EpisodeKey, Mode: j.Mode,
		Settings: j.Settings, Rerun: j.Rerun, CreatedAt: j.CreatedAt, Stages: j.Stages}})

	// Cancel: ask, then kill after a grace (at once when stalled: a body
	// that stopped heart-beating will not read its stdin).
	exited := w.done
	go func() {
		select {
		case <-exited:
			return
		case <-ctx.Done():
		}
		if !errors.Is(context.Cause(ctx), errStalled) {
			send(toWorker{Cancel: true})
			select {
			case <-exited:
				return
			case <-r.clock.After(workerCancelGrace):
			}
		}
		cmd.Process.Kill()
	}()

	var outcome *fromWorker
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var m fromWorker
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			tail.Write(append(sc.Bytes(), '\n'))
			continue
		}
		switch {
		case m.Done:
			outcome = &m
		case m.Progress != nil:
			sr.Progress(m.Progress.Done, m.Progress.Total, m.Progress.Unit)
		case m.Log != "":
			sr.Logf("%s", m.Log)
		case m.RateKey != "":
			sr.SetRateKey(m.RateKey)
		case m.Seq > 0:
			ack := toWorker{Ack: m.Seq}
			if err := sr.SaveCheckpoint(m.Checkpoint); err != nil {
				ack.AckError = StageErrorOf(err)
			}
			send(ack)
		}
	}
	stdin.Close()
	<-w.done
	werr := w.werr

	switch {
	case outcome != nil:
		return outcome.result()
	case ctx.Err() != nil:
		return nil, context.Cause(ctx)
	}
	what := workerDeath(cmd.ProcessState, werr, tail.String())
	lines := strings.TrimSpace(tail.String())
	if lines != "" {
		sr.r.stageLog(j, sr.def.Name, slog.LevelWarn, "worker output before it died:\n"+lines)
	}
	sr.r.stageLog(j, sr.def.Name, slog.LevelError, fmt.Sprintf("worker=died %s", what.attr))
	return nil, errs.New(errs.StageCrashed,
		fmt.Sprintf("The %s stage's worker process died of %s.", labelOf(sr.def), what.text),
		"Castscope keeps working and retries the stage; View Logs shows the worker's last lines. If it repeats, report it with the log.")
}

// result turns a worker's outcome line back into what the body returned.
func (m *fromWorker) result() (any, error) {
	switch {
	case m.Panic != "":
		return nil, &workerPanic{value: m.Panic, stack: m.Stack}
	case m.Skip != "":
		return nil, Skip(m.Skip)
	case m.Error != nil:
		te := &errs.Error{Code: errs.Code(m.Error.Code), Message: m.Error.Message, Hint: m.Error.Hint}
		if m.Detail != "" && m.Detail != te.Error() {
			te.Err = errors.New(m.Detail)
		}
		err := error(te)
		if m.Permanent {
			err = Permanent(err)
		}
		return nil, err
	}
	if len(m.Result) == 0 || string(m.Result) == "null" {
		return nil, nil
	}
	return m.Result, nil
}

// death is how a worker ended: text for users, attr for the log line.
type death struct{ text, attr string }

// signalNames are the signals a worker dies of in practice.
var signalNames = map[syscall.Signal]string{
	syscall.SIGSEGV: "SIGSEGV (segmentation fault)",
	syscall.SIGBUS:  "SIGBUS (bus error)",
	syscall.SIGABRT: "SIGABRT (aborted)",
	syscall.SIGILL:  "SIGILL (illegal instruction)",
	syscall.SIGFPE:  "SIGFPE (arithmetic error)",
	syscall.SIGKILL: "SIGKILL (killed, often by the system when memory runs out)",
	syscall.SIGTERM: "SIGTERM (terminated)",
	syscall.SIGTRAP: "SIGTRAP (trap)",
}

func signalText(s syscall.Signal) (text, short string) {
	if t, ok := signalNames[s]; ok {
		return t, strings.Fields(t)[0]
	}
	return fmt.Sprintf("signal %d (%s)", int(s), s.String()), fmt.Sprintf("SIG%d", int(s))
}

// goFatal finds the signal or fatal error the Go runtime reports before it
// exits with status 2: a fault in native code ("[signal SIGSEGV: …",
// "SIGABRT: abort") or "fatal error: runtime: out of memory".
var goFatal = regexp.MustCompile(`(?m)(?:^\[signal |^)(SIG[A-Z]+)[: ]|fatal error: (runtime: out of memory)`)

var signalByName = map[string]syscall.Signal{
	"SIGSEGV": syscall.SIGSEGV, "SIGBUS": syscall.SIGBUS, "SIGABRT": syscall.SIGABRT, "SIGILL": syscall.SIGILL,
	"SIGFPE": syscall.SIGFPE, "SIGKILL": syscall.SIGKILL, "SIGTERM": syscall.SIGTERM, "SIGTRAP": syscall.SIGTRAP,
}

// workerDeath names how a worker process without an outcome ended.
func workerDeath(ps *os.ProcessState, werr error, output string) death {
	if ps == nil {
		return death{text: "an error: " + oneLine(fmt.Sprint(werr)), attr: "error=" + strings.ReplaceAll(fmt.Sprint(werr), " ", "_")}
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		text, short := signalText(ws.Signal())
		return death{text: text, attr: "signal=" + short}
	}
	if m := goFatal.FindStringSubmatch(output); m != nil {
		if m[2] != "" {
			return death{text: "running out of memory", attr: fmt.Sprintf("exit=%d fatal=out_of_memory", ps.ExitCode())}
		}
		if s, ok := signalByName[m[1]]; ok {
			text, short := signalText(s)
			return death{text: text, attr: fmt.Sprintf("exit=%d signal=%s", ps.ExitCode(), short)}
		}
		return death{text: m[1], attr: fmt.Sprintf("exit=%d signal=%s", ps.ExitCode(), m[1])}
	}
	return death{text: fmt.Sprintf("an exit with status %d before it finished", ps.ExitCode()), attr: fmt.Sprintf("exit=%d", ps.ExitCode())}
}

// lineTail keeps the last max lines written to it (a worker's output).
type lineTail struct {
	mu    sync.Mutex
	max   int
	lines []string
	part  []byte
}

func (t *lineTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.part = append(t.part, p...)
	for {
		i := bytes.IndexByte(t.part, '\n')
		if i < 0 {
			break
		}
		t.lines = append(t.lines, string(t.part[:i]))
		t.part = t.part[i+1:]
		if len(t.lines) > t.max {
			t.lines = t.lines[len(t.lines)-t.max:]
		}
	}
	if len(t.part) > 4096 {
		t.part = t.part[len(t.part)-4096:]
	}
	return len(p), nil
}

func (t *lineTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.Join(t.lines, "\n")
	if len(t.part) > 0 {
		s += "\n" + string(t.part)
	}
	return s
}

// ServeWorker is a worker process's side: it reads one task from in, runs
// the body of the named stage of defs, and writes progress, log lines,
// checkpoints and the outcome to out (file descriptor 3). It returns when
// the body does; the body's context ends when the runner asks to cancel or
// in closes (the runner is gone).
func ServeWorker(ctx context.Context, defs []StageDef, in io.Reader, out io.Writer) error {
	rd := bufio.NewReader(in)
	line, err := rd.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("job: worker task: %w", err)
	}
	var task toWorker
	if err := json.Unmarshal(line, &task); err != nil || task.Job == nil {
		return fmt.Errorf("job: worker task: bad line %q", line)
	}
	var def *StageDef
	for i := range defs {
		if defs[i].Name == task.Stage {
			def = &defs[i]
		}
	}
	if def == nil {
		return fmt.Errorf("job: worker task: unknown stage %q", task.Stage)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w := &workerReporter{out: out, cp: task.Checkpoint, acks: map[int]chan *StageError{}, ctx: ctx,
		job: Job{ID: task.Job.ID, EpisodeKey: task.Job.EpisodeKey, Mode: task.Job.Mode, Settings: task.Job.Settings,
			Rerun: task.Job.Rerun, CreatedAt: task.Job.CreatedAt, Stages: task.Job.Stages}}
	go func() {
		for {
			line, err := rd.ReadBytes('\n')
			if err != nil {
				cancel(errClosing) // the runner is gone
				return
			}
			var m toWorker
			if json.Unmarshal(line, &m) != nil {
				continue
			}
			switch {
			case m.Cancel:
				cancel(errCanceled)
			case m.Ack > 0:
				w.mu.Lock()
				ch := w.acks[m.Ack]
				delete(w.acks, m.Ack)
				w.mu.Unlock()
				if ch != nil {
					ch <- m.AckError
				}
			}
		}
	}()
	stopFlush := make(chan struct{})
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopFlush:
				return
			case <-t.C:
				w.flushProgress()
			}
		}
	}()

	res, runErr, panicked, stack := runBody(ctx, def.Run, w)
	close(stopFlush)
	<-flushed
	w.flushProgress()
	m := fromWorker{Done: true}
	switch {
	case panicked != nil:
		m.Panic, m.Stack = fmt.Sprint(panicked), string(stack)
	case errors.Is(runErr, ErrSkip):
		var se *skipError
		if errors.As(runErr, &se) {
			m.Skip = se.reason
		} else {
			m.Skip = "skipped"
		}
	case runErr != nil:
		m.Error, m.Permanent, m.Detail = StageErrorOf(runErr), IsPermanent(runErr), runErr.Error()
	default:
		b, err := encodeResult(res)
		if err != nil {
			m.Error = StageErrorOf(err)
		} else {
			m.Result = b
		}
	}
	return w.send(m)
}

// runBody runs a body, turning a panic into values.
func runBody(ctx context.Context, f StageFunc, r Reporter) (res any, err error, panicked any, stack []byte) {
	defer func() {
		if p := recover(); p != nil {
			panicked, stack = p, debug.Stack()
		}
	}()
	res, err = f(ctx, r)
	return
}

// workerReporter is the Reporter of a body running in a worker.
type workerReporter struct {
	out io.Writer
	ctx context.Context
	job Job

	wmu sync.Mutex // serialises lines on out

	mu       sync.Mutex
	cp       json.RawMessage
	seq      int
	acks     map[int]chan *StageError
	progress *Progress // latest, not yet sent
}

func (w *workerReporter) send(m fromWorker) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	w.wmu.Lock()
	defer w.wmu.Unlock()
	_, err = w.out.Write(append(b, '\n'))
	return err
}

// Progress keeps the latest value; a ticker sends it (at most 10 a second),
// so hot loops stay cheap.
func (w *workerReporter) Progress(done, total int64, unit string) {
	w.mu.Lock()
	w.progress = &Progress{Done: done, Total: total, Unit: unit}
	w.mu.Unlock()
}

func (w *workerReporter) flushProgress() {
	w.mu.Lock()
	p := w.progress
	w.progress = nil
	w.mu.Unlock()
	if p != nil {
		w.send(fromWorker{Progress: p})
	}
}

func (w *workerReporter) Checkpoint() json.RawMessage {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cp
}

// SaveCheckpoint returns once the runner has stored the checkpoint.
func (w *workerReporter) SaveCheckpoint(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("job: encode checkpoint: %w", err)
	}
	w.flushProgress()
	ch := make(chan *StageError, 1)
	w.mu.Lock()
	w.seq++
	seq := w.seq
	w.acks[seq] = ch
	w.mu.Unlock()
	if err := w.send(fromWorker{Checkpoint: b, Seq: seq}); err != nil {
		return fmt.Errorf("job: send checkpoint: %w", err)
	}
	select {
	case se := <-ch:
		if se != nil {
			return &errs.Error{Code: errs.Code(se.Code), Message: se.Message, Hint: se.Hint}
		}
	case <-w.ctx.Done():
		return context.Cause(w.ctx)
	}
	w.mu.Lock()
	w.cp = b
	w.mu.Unlock()
	return nil
}

func (w *workerReporter) Logf(format string, args ...any) {
	w.send(fromWorker{Log: fmt.Sprintf(format, args...)})
}

func (w *workerReporter) Job() Job {
	j := w.job
	j.Stages = append([]Stage(nil), w.job.Stages...)
	return j
}

// SetRateKey implements the optional rate-key reporter (see SetRateKey).
func (w *workerReporter) SetRateKey(key string) { w.send(fromWorker{RateKey: key}) }
