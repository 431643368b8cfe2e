package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"castscope/backend/bench"
	"castscope/backend/errs"
	"castscope/backend/job"
	"castscope/backend/pipeline"
	"castscope/backend/remote/devserver"
	"castscope/backend/service"
)

// `castscope bench --temporal` measures the Temporal driver against the
// embedded engine, with real processes: every measured run is a
// `castscope run` child of this process, timed from its start to its exit
// (registering, submitting and following included), and every Temporal
// worker is a `castscope worker --temporal` child, started and polling
// before the run it serves starts (a post house's workers are up before
// a season is submitted). Each run gets a fresh data folder, so nothing
// is skipped as already done, and its own episode keys, so no workflow id
// is shared between runs on one server.
//
// (a) driver overhead: one episode, the same clip, run locally then on
// Temporal with one `--queue all` worker; the overhead is the Temporal
// wall time over the local one, less one (goal ≤ 5 %). Per-stage seconds
// come from the stage records (started_at → finished_at) the runs leave
// in their data folders; the wall time less the stages' sum is what each
// driver spends between stages.
//
// A Temporal stage record starts when the workflow schedules the stage,
// so where stages wait for a free worker ((b): one detect at a time per
// worker) its time includes that wait; the stage's time on the worker is
// read from the worker's log (stage=start → stage=end lines) beside it.
//
// (b) scaling: N episodes, distinct clips, on one worker and then on two
// worker processes; the throughput ratio two ÷ one. The workers run on
// this machine and share its cores (or GPU): the ratio is what a second
// worker process adds here, not what a second machine would. The output
// says so, with how much slower two detects side by side ran than one
// alone (a detect that leaves cores idle lets a second worker gain).
//
// The clips are faces_synthetic.mp4 of the test media, looped and cut at
// a different start per episode, at its own 640×360 15 fps: on 2 cores the
// default run (a 1-minute episode twice, then 4 half-minute episodes
// twice) takes about ten minutes.

// TemporalBench is the result of `castscope bench --temporal`.
type TemporalBench struct {
	CPUs      int     `json:"cpus"`
	Provider  string  `json:"provider"` // the ONNX Runtime provider the workers report for detect
	Server    string  `json:"server"`   // "dev server 127.0.0.1:PORT" or the given HOST:PORT
	Namespace string  `json:"namespace"`
	Clip      string  `json:"clip"` // how the clips were made
	ClipS     float64 `json:"clip_s"`
	ScaleS    float64 `json:"scale_clip_s"`
	Episodes  int     `json:"episodes"`

	Local    BenchRun `json:"local"`    // (a) the embedded engine
	Temporal BenchRun `json:"temporal"` // (a) one worker
	// OverheadPct is (Temporal wall ÷ local wall − 1) × 100.
	OverheadPct float64 `json:"overhead_pct"`
	OverheadMet bool    `json:"overhead_met"`

	OneWorker  BenchRun `json:"one_worker"`  // (b)
	TwoWorkers BenchRun `json:"two_workers"` // (b)
	// ScaleRatio is the two workers' throughput ÷ one worker's.
	ScaleRatio float64 `json:"scale_ratio"`

	// StageCost is each stage's seconds per minute of video, from (a).
	StageCost []StageCost `json:"stage_cost"`
	Notes     []string    `json:"notes"`
	TotalS    float64     `json:"total_s"`
}

// BenchRun is one measured `castscope run`.
type BenchRun struct {
	Driver   string         `json:"driver"` // local | temporal
	Workers  int            `json:"workers"`
	WallS    float64        `json:"wall_s"`
	PerHour  float64        `json:"episodes_per_hour"`
	AllOK    bool           `json:"all_ok"`
	Episodes []BenchEpisode `json:"episodes"`
	// DetectsBy counts the detect stages each Temporal worker ran.
	DetectsBy map[string]int `json:"detects_by,omitempty"`
}

// BenchEpisode is one episode of a run, from its stage records.
type BenchEpisode struct {
	Key     string       `json:"key"`
	OK      bool         `json:"ok"`
	Stages  []BenchStage `json:"stages"`
	StagesS float64      `json:"stages_s"` // the stages' sum
}

// BenchStage is one stage record's timing.
type BenchStage struct {
	Name    string  `json:"name"`
	Status  string  `json:"status"`
	Seconds float64 `json:"seconds"` // the record's started_at → finished_at
	// WorkerS is the stage's time on the Temporal worker that ran it
	// (its log's stage=start → stage=end), without the wait for a free
	// worker that the record's time includes; 0 for a local run.
	WorkerS float64 `json:"worker_s,omitempty"`
	Worker  string  `json:"worker,omitempty"`
}

// StageCost is a stage's seconds per minute of video under each driver.
type StageCost struct {
	Stage     string  `json:"stage"`
	LocalS    float64 `json:"local_s_per_min"`
	TemporalS float64 `json:"temporal_s_per_min"`
	// WorkerS is the Temporal stage's time on its worker, per minute.
	WorkerS float64 `json:"temporal_worker_s_per_min"`
}

// GoalTemporalOverheadPct is the most the Temporal driver may add to one
// episode's wall time on one worker, in percent.
const GoalTemporalOverheadPct = 5.0

// isTemporalBench says whether bench's args ask for the Temporal bench.
func isTemporalBench(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		switch strings.TrimLeft(a, "-") {
		case "temporal", "temporal=true", "temporal=1":
			return strings.HasPrefix(a, "-")
		}
	}
	return false
}

const benchTemporalUsage = `Usage: castscope bench --temporal [--episodes 4] [--clip 60s] [--scale-clip 30s] [--server HOST:PORT] [--work DIR --keep] [--json]

Measure the Temporal driver against the embedded engine, side by side:
 (a) driver overhead: one episode of --clip run locally (castscope run --data A),
     then on Temporal with one --queue all worker (castscope run --temporal --data B);
     the wall times, the overhead in percent (goal ≤ 5 %) and each stage's seconds;
 (b) scaling: --episodes episodes of --scale-clip on one worker, then on two worker
     processes: wall time, episodes per hour, and the ratio two ÷ one.
Then each stage's seconds per minute of video, what a season's estimate is based on.

The clips are the test media's faces_synthetic.mp4 looped, a different start per
episode, at its own 640x360 15 fps; every run gets a fresh data folder. A Temporal
development server (make temporal) is started unless --server names one. The workers
run on this machine, so on a CPU they share its cores: the output says so. With the
defaults it takes about ten minutes on 2 CPU cores.

Flags:
`

func benchTemporalCmd(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "bench")
	fs.Bool("temporal", true, "measure the Temporal driver (this bench)")
	episodes := fs.Int("episodes", 4, "episodes for (b), the scaling measurement")
	clip := fs.Duration("clip", time.Minute, "length of (a)'s episode")
	scaleClip := fs.Duration("scale-clip", 0, "length of each of (b)'s episodes (default half of --clip)")
	server := fs.String("server", "", "an existing Temporal server HOST:PORT (default: start a development server)")
	namespace := fs.String("namespace", "default", "the Temporal namespace")
	media := fs.String("media", "", "folder holding faces_synthetic.mp4 (default $CASTSCOPE_MEDIA or the checkout's testdata/media)")
	work := fs.String("work", "", "folder for the clips, data folders and logs (default a temporary folder; removed unless --keep)")
	keep := fs.Bool("keep", false, "keep the work folder")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, benchTemporalUsage)
		fs.PrintDefaults()
	}
	pos, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		return usageError(env, fs.Usage, "castscope bench --temporal: unexpected argument %q", pos[0])
	}
	if *episodes < 1 || *episodes > 64 {
		return usageError(env, fs.Usage, "castscope bench --temporal: --episodes is 1 to 64")
	}
	if *clip < 2*time.Second {
		return usageError(env, fs.Usage, "castscope bench --temporal: --clip is at least 2s")
	}
	if *scaleClip == 0 {
		*scaleClip = max(*clip/2, 2*time.Second)
	}
	if *scaleClip < 2*time.Second {
		return usageError(env, fs.Usage, "castscope bench --temporal: --scale-clip is at least 2s")
	}
	if *server != "" {
		if err := service.CheckHostPort(*server); err != nil {
			return typedUsageError(env, fs.Usage, err)
		}
	}
	if env.WorkerExe == "" {
		printError(env.Stderr, errs.New(errs.Internal, "Cannot find the castscope binary to run and serve the episodes.", "Run the castscope binary itself."))
		return ExitError
	}
	tb := &temporalBench{
		exe: env.WorkerExe, server: *server, ns: *namespace, media: *media,
		clip: *clip, scaleClip: *scaleClip, episodes: *episodes,
		log: func(format string, a ...any) { fmt.Fprintf(env.Stderr, "bench: "+format+"\n", a...) },
	}
	res, err := tb.run(ctx, *work, *keep)
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	if *asJSON {
		if code := printJSON(env, res); code != ExitOK {
			return code
		}
	} else {
		fmt.Fprint(env.Stdout, res.Text())
	}
	if !res.Local.AllOK || !res.Temporal.AllOK || !res.OneWorker.AllOK || !res.TwoWorkers.AllOK {
		printError(env.Stderr, errs.New(errs.Internal, "Not every episode of the bench ended ok; its timings do not measure a whole pipeline.", "Run with --work DIR --keep and read the logs there."))
		return ExitError
	}
	return ExitOK
}

type temporalBench struct {
	exe, server, ns, media string
	clip, scaleClip        time.Duration
	episodes               int
	log                    func(format string, a ...any)

	dir      string // this run's folder
	provider string // what the first worker reported for detect
}

func (tb *temporalBench) run(ctx context.Context, work string, keep bool) (TemporalBench, error) {
	start := time.Now()
	res := TemporalBench{CPUs: runtime.NumCPU(), Namespace: tb.ns, ClipS: tb.clip.Seconds(), ScaleS: tb.scaleClip.Seconds(), Episodes: tb.episodes}
	if work == "" {
		work = os.TempDir()
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return res, errs.FS(err, work)
	}
	d, err := os.MkdirTemp(work, "castscope-bench-temporal-")
	if err != nil {
		return res, errs.FS(err, work)
	}
	tb.dir = d
	if keep {
		defer tb.log("kept %s (clips, data folders, logs/)", d)
	} else {
		defer os.RemoveAll(d)
	}
	if err := os.MkdirAll(filepath.Join(d, "logs"), 0o755); err != nil {
		return res, errs.FS(err, d)
	}

	// The clips: (a)'s once under two names (two keys), (b)'s N distinct
	// ones under two names each.
	media := tb.media
	if media == "" {
		media = bench.FindMedia()
	}
	src := filepath.Join(media, "faces_synthetic.mp4")
	if _, err := os.Stat(src); err != nil || media == "" {
		return res, errs.New(errs.InputNotFound, "Cannot find faces_synthetic.mp4 for the bench's clips.", "Run from a Castscope checkout, or pass --media DIR (its testdata/media).")
	}
	res.Clip = fmt.Sprintf("%s looped, a different start per episode, 640x360 15 fps H.264 (libx264 veryfast)", src)
	tb.log("generating the clips: 1 × %s and %d × %s...", tb.clip, tb.episodes, tb.scaleClip)
	clips := filepath.Join(d, "clips")
	if err := os.MkdirAll(clips, 0o755); err != nil {
		return res, errs.FS(err, clips)
	}
	overhead, err := tb.clips(ctx, src, clips, []string{"BenchLocal", "BenchTemporal"}, 1, tb.clip)
	if err != nil {
		return res, err
	}
	scale, err := tb.clips(ctx, src, clips, []string{"BenchOne", "BenchTwo"}, tb.episodes, tb.scaleClip)
	if err != nil {
		return res, err
	}

	addr := tb.server
	if addr == "" {
		bin := devserver.Binary()
		if bin == "" {
			return res, errs.New(errs.RemoteUnavailable, "There is no Temporal CLI to start a development server with.",
				"Run make temporal (or set "+devserver.EnvBinary+"), or pass --server HOST:PORT.")
		}
		tb.log("starting a Temporal development server...")
		srv, err := devserver.Start(ctx, bin, filepath.Join(d, "temporal"))
		if err != nil {
			return res, errs.Wrap(errs.RemoteUnavailable, err, "The Temporal development server did not start.", "Read "+filepath.Join(d, "temporal", "temporal-server.log")+" (with --keep).")
		}
		defer srv.Stop()
		addr = srv.Addr
		res.Server = "dev server " + addr
	} else {
		res.Server = addr
	}

	// (a)
	tb.log("(a) one %s episode on this computer's engine...", tb.clip)
	if res.Local, err = tb.measure(ctx, "local", addr, 0, overhead[0]...); err != nil {
		return res, err
	}
	tb.log("(a) the same episode on Temporal, one worker...")
	if res.Temporal, err = tb.measure(ctx, "temporal", addr, 1, overhead[1]...); err != nil {
		return res, err
	}
	res.Provider = tb.provider
	res.OverheadPct = 100 * (bench.Ratio(res.Temporal.WallS, res.Local.WallS) - 1)
	res.OverheadMet = res.OverheadPct <= GoalTemporalOverheadPct

	// (b)
	tb.log("(b) %d episodes on one worker...", tb.episodes)
	if res.OneWorker, err = tb.measure(ctx, "one", addr, 1, scale[0]...); err != nil {
		return res, err
	}
	tb.log("(b) %d episodes on two workers...", tb.episodes)
	if res.TwoWorkers, err = tb.measure(ctx, "two", addr, 2, scale[1]...); err != nil {
		return res, err
	}
	res.ScaleRatio = bench.Ratio(res.TwoWorkers.PerHour, res.OneWorker.PerHour)

	res.StageCost = stageCost(res.Local, res.Temporal, tb.clip.Minutes())
	res.Notes = benchNotes(res)
	res.TotalS = time.Since(start).Seconds()
	return res, nil
}

// clips writes n clips of length d cut from src looped, the i-th from a
// different start, once per prefix ("BenchOne_S01_E01.mp4"); it returns
// the paths per prefix. The copies after the first are hard links (or
// copies): the same content under other episode keys.
func (tb *temporalBench) clips(ctx context.Context, src, dir string, prefixes []string, n int, d time.Duration) ([][]string, error) {
	out := make([][]string, len(prefixes))
	for i := range n {
		first := ""
		for p, prefix := range prefixes {
			path := filepath.Join(dir, fmt.Sprintf("%s_S01_E%02d.mp4", prefix, i+1))
			out[p] = append(out[p], path)
			if first != "" {
				if err := linkOrCopy(first, path); err != nil {
					return nil, errs.FS(err, path)
				}
				continue
			}
			first = path
			// Starts spread over the source's 8 s, so that no two
			// episodes show the same frames at the same time.
			ss := strconv.FormatFloat(float64(i)*7.0/float64(max(n, 1))+0.5*float64(i%2), 'f', 2, 64)
			cmd := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-nostdin", "-y", "-ss", ss, "-stream_loop", "-1", "-i", "file:"+src,
				"-t", strconv.FormatFloat(d.Seconds(), 'f', 3, 64), "-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-an",
				"-movflags", "+faststart", path)
			if b, err := cmd.CombinedOutput(); err != nil {
				return nil, errs.Wrap(errs.Internal, err, "ffmpeg could not make the bench's clips: "+strings.TrimSpace(string(b)), "Check that ffmpeg runs (castscope doctor).")
			}
		}
	}
	return out, nil
}

func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// measure times one `castscope run` of clips with a fresh data folder
// named after the run: on this computer's engine (workers 0), or on the
// Temporal server addr with that many `--queue all` workers started and
// polling first (stopped after). It reads the stage records after.
func (tb *temporalBench) measure(ctx context.Context, name, addr string, workers int, clips ...string) (BenchRun, error) {
	r := BenchRun{Driver: "local", Workers: workers}
	data := filepath.Join(tb.dir, "data-"+name)
	args := []string{"run", "--data", data}
	if workers > 0 {
		r.Driver = "temporal"
		args = append(args, "--temporal", addr, "--namespace", tb.ns)
		var procs []*benchWorker
		defer func() {
			for _, w := range procs {
				w.stop()
			}
		}()
		for i := range workers {
			id := fmt.Sprintf("bench-%s-w%d", name, i+1)
			w, err := tb.startWorker(ctx, addr, data, id)
			if err != nil {
				return r, err
			}
			procs = append(procs, w)
		}
	}
	args = append(args, clips...)
	logPath := filepath.Join(tb.dir, "logs", "run-"+name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return r, errs.FS(err, logPath)
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, tb.exe, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 15 * time.Second
	t0 := time.Now()
	runErr := cmd.Run()
	r.WallS = time.Since(t0).Seconds()
	r.PerHour = float64(len(clips)) * 3600 / r.WallS
	if ctx.Err() != nil {
		return r, errs.New(errs.Canceled, "The bench was interrupted.", "")
	}
	if runErr != nil {
		if _, ok := runErr.(*exec.ExitError); !ok {
			return r, errs.Wrap(errs.Internal, runErr, "Cannot start castscope run for the bench.", "")
		}
		tb.log("castscope %s ended with %v; its output:\n%s", strings.Join(args[:3], " "), runErr, tailOf(logPath, 20))
	}
	if err := r.read(ctx, data); err != nil {
		return r, err
	}
	if workers > 0 {
		ran := map[string]float64{}
		for i := range workers {
			maps.Copy(ran, workerStageTimes(filepath.Join(tb.dir, "logs", fmt.Sprintf("bench-%s-w%d.log", name, i+1))))
		}
		for e := range r.Episodes {
			for k := range r.Episodes[e].Stages {
				st := &r.Episodes[e].Stages[k]
				st.WorkerS = ran[r.Episodes[e].Key+" "+st.Name]
			}
		}
	}
	if len(r.Episodes) != len(clips) {
		r.AllOK = false
	}
	return r, nil
}

// read fills r's episodes from the stage records in the data folder.
func (r *BenchRun) read(ctx context.Context, data string) error {
	b, err := service.Open(ctx, service.Options{DataDir: data, ReadOnly: true, LogFallback: io.Discard})
	if err != nil {
		return err
	}
	defer b.Close()
	views, err := b.EpisodeViews(ctx)
	if err != nil {
		return err
	}
	r.AllOK = len(views) > 0
	for _, v := range views {
		ep := BenchEpisode{Key: v.Episode.Key, OK: true}
		rep, err := b.Inspect(ctx, v.Episode.Key)
		if err != nil {
			return err
		}
		if len(rep.Jobs) == 0 {
			ep.OK = false
		} else {
			for _, s := range rep.Jobs[0].Stages {
				st := BenchStage{Name: s.Name, Status: string(s.Status), Worker: strings.TrimPrefix(s.Owner, "temporal:")}
				if r.Driver == "local" {
					st.Worker = ""
				}
				if s.StartedAt != nil && s.FinishedAt != nil {
					st.Seconds = s.FinishedAt.Sub(*s.StartedAt).Seconds()
				}
				if s.Status != job.StatusOK {
					ep.OK = false
				}
				if s.Name == "detect" && st.Worker != "" {
					if r.DetectsBy == nil {
						r.DetectsBy = map[string]int{}
					}
					r.DetectsBy[st.Worker]++
				}
				ep.StagesS += st.Seconds
				ep.Stages = append(ep.Stages, st)
			}
		}
		r.AllOK = r.AllOK && ep.OK
		r.Episodes = append(r.Episodes, ep)
	}
	sort.Slice(r.Episodes, func(i, j int) bool { return r.Episodes[i].Key < r.Episodes[j].Key })
	return nil
}

// benchWorker is a running `castscope worker --temporal`.
type benchWorker struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

// startWorker starts a worker serving every queue with its artifacts in
// data and waits until it polls (its "worker: serving" line).
func (tb *temporalBench) startWorker(ctx context.Context, addr, data, id string) (*benchWorker, error) {
	logPath := filepath.Join(tb.dir, "logs", id+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, errs.FS(err, logPath)
	}
	cmd := exec.Command(tb.exe, "worker", "--temporal", addr, "--namespace", tb.ns, "--queue", "all", "--artifacts", data, "--identity", id)
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, errs.Wrap(errs.Internal, err, "Cannot start a worker for the bench.", "")
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, errs.Wrap(errs.Internal, err, "Cannot start a worker for the bench.", "")
	}
	w := &benchWorker{cmd: cmd, done: make(chan struct{}), log: logf}
	serving := make(chan string, 1)
	var once sync.Once
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if strings.HasPrefix(line, "worker: serving") {
				once.Do(func() { serving <- line })
			}
		}
		cmd.Wait()
		close(w.done)
	}()
	select {
	case line := <-serving:
		if _, p, ok := strings.Cut(line, ", detect on "); ok && tb.provider == "" {
			tb.provider = p
		}
		return w, nil
	case <-w.done:
		return nil, errs.New(errs.RemoteUnavailable, "A bench worker exited before it served: "+tailOf(logPath, 5), "")
	case <-ctx.Done():
		w.stop()
		return nil, errs.New(errs.Canceled, "The bench was interrupted.", "")
	case <-time.After(2 * time.Minute):
		w.stop()
		return nil, errs.New(errs.RemoteUnavailable, "A bench worker did not serve within 2 minutes: "+tailOf(logPath, 5), "")
	}
}

// stop ends the worker as an operator would (SIGTERM), SIGKILL after 15 s.
func (w *benchWorker) stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(15 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
	}
	w.log.Close()
}

// workerStageTimes reads a Temporal worker's log (slog text lines, e.g.
// time=… msg="[DETECT] key stage=start …" then msg="[DETECT] key stage=end
// status=ok …") into the seconds of each "key stage" it ran to the end
// (the last attempt's).
func workerStageTimes(path string) map[string]float64 {
	out := map[string]float64{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	started := map[string]time.Time{}
	for _, line := range strings.Split(string(b), "\n") {
		ts, rest, ok := strings.Cut(strings.TrimPrefix(line, "time="), " ")
		if !ok || !strings.HasPrefix(line, "time=") {
			continue
		}
		_, msg, ok := strings.Cut(rest, `msg="[`)
		if !ok {
			continue
		}
		f := strings.Fields(msg) // DETECT] key stage=start …
		if len(f) < 3 || !strings.HasSuffix(f[0], "]") {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			continue
		}
		k := f[1] + " " + strings.ToLower(strings.TrimSuffix(f[0], "]"))
		switch f[2] {
		case "stage=start":
			started[k] = at
		case "stage=end":
			if t0, ok := started[k]; ok {
				out[k] = at.Sub(t0).Seconds()
			}
		}
	}
	return out
}

// tailOf returns the last n lines of a log file.
func tailOf(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// stageCost is each pipeline stage's seconds per minute of video in (a).
func stageCost(local, temporal BenchRun, minutes float64) []StageCost {
	var out []StageCost
	for _, name := range pipeline.Order {
		c := StageCost{Stage: name, LocalS: stageSeconds(local, name) / minutes, TemporalS: stageSeconds(temporal, name) / minutes,
			WorkerS: workerSeconds(temporal, name) / minutes}
		out = append(out, c)
	}
	return out
}

// stageSeconds is the mean seconds of a stage's records over r's episodes.
func stageSeconds(r BenchRun, name string) float64 {
	return stageMean(r, name, func(s BenchStage) float64 { return s.Seconds })
}

// workerSeconds is the mean seconds a stage took on r's Temporal workers.
func workerSeconds(r BenchRun, name string) float64 {
	return stageMean(r, name, func(s BenchStage) float64 { return s.WorkerS })
}

func stageMean(r BenchRun, name string, of func(BenchStage) float64) float64 {
	sum, n := 0.0, 0
	for _, ep := range r.Episodes {
		for _, s := range ep.Stages {
			if s.Name == name && of(s) > 0 {
				sum += of(s)
				n++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// benchNotes say what the numbers cannot: both workers share this
// machine, so the ratio is what a second worker process adds here, with
// the measured slowdown of two detects side by side.
func benchNotes(r TemporalBench) []string {
	alone, side := workerSeconds(r.OneWorker, "detect"), workerSeconds(r.TwoWorkers, "detect")
	contention := fmt.Sprintf("two detects side by side took %.1f s each on their workers, one alone %.1f s", side, alone)
	var notes []string
	if bench.IsGPU(r.Provider) {
		notes = append(notes, fmt.Sprintf("both workers ran on this machine and shared its GPU (%s) and %d CPU cores: two machines with a GPU each would scale further; %s",
			r.Provider, r.CPUs, contention))
	} else {
		notes = append(notes, fmt.Sprintf("detect ran on the CPU (%s) and both workers on this machine's %d cores, so they shared them: the ratio is what a second worker process adds here, not what a second machine (or GPU) would; %s",
			orNone(r.Provider), r.CPUs, contention))
	}
	notes = append(notes, "the stages other than detect start a worker process each in a local run and none on a Temporal worker, which already runs: on a short episode that gain hides part of what Temporal adds to detect (see the detect rows)")
	notes = append(notes, "runs one after another on one machine; where other work shares it, the timings are noisy")
	return notes
}

func orNone(s string) string {
	if s == "" {
		return "no provider reported"
	}
	return s
}

// Text is the printed report: a header, the table, the stage costs and
// the notes.
func (r TemporalBench) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "castscope bench --temporal: %s, namespace %s\n", r.Server, r.Namespace)
	fmt.Fprintf(&b, "  %d CPU cores; the workers report detect on %s\n", r.CPUs, orNone(r.Provider))
	fmt.Fprintf(&b, "  clips: %s\n", r.Clip)
	fmt.Fprintf(&b, "  (a) 1 episode of %s; (b) %d episodes of %s; a fresh data folder per run\n\n", clockOf(r.ClipS), r.Episodes, clockOf(r.ScaleS))
	fmt.Fprint(&b, bench.FormatTable(r.Rows()))
	fmt.Fprintf(&b, "\nstage cost, seconds per minute of video (from (a)):\n")
	fmt.Fprintf(&b, "  %-10s %8s %9s %10s\n", "stage", "local", "Temporal", "on worker")
	var tl, tt, tw float64
	for _, c := range r.StageCost {
		fmt.Fprintf(&b, "  %-10s %8.1f %9.1f %10.1f\n", c.Stage, c.LocalS, c.TemporalS, c.WorkerS)
		tl += c.LocalS
		tt += c.TemporalS
		tw += c.WorkerS
	}
	fmt.Fprintf(&b, "  %-10s %8.1f %9.1f %10.1f\n", "all", tl, tt, tw)
	fmt.Fprintln(&b)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	fmt.Fprintf(&b, "total %.0f s\n", r.TotalS)
	return b.String()
}

// Rows is the table of the result.
func (r TemporalBench) Rows() []bench.Row {
	okText := func(x BenchRun) string {
		n := 0
		for _, ep := range x.Episodes {
			if ep.OK {
				n++
			}
		}
		return fmt.Sprintf("%d of %d episodes ok", n, len(x.Episodes))
	}
	between := func(x BenchRun) float64 {
		if len(x.Episodes) != 1 {
			return 0
		}
		return x.WallS - x.Episodes[0].StagesS
	}
	rows := []bench.Row{
		{Part: "(a)", Measure: "local run (embedded engine)", Value: fmt.Sprintf("%.1f s wall, stages %.1f s, %.1f s outside them; %s",
			r.Local.WallS, stagesSum(r.Local), between(r.Local), okText(r.Local))},
		{Part: "(a)", Measure: "Temporal run, 1 worker --queue all", Value: fmt.Sprintf("%.1f s wall, stages %.1f s, %.1f s outside them; %s",
			r.Temporal.WallS, stagesSum(r.Temporal), between(r.Temporal), okText(r.Temporal))},
	}
	_, v := bench.Verdict(1+r.OverheadPct/100, 1+GoalTemporalOverheadPct/100, false)
	rows = append(rows, bench.Row{Part: "(a)", Measure: "driver overhead Temporal ÷ local − 1", Value: fmt.Sprintf("%+.1f %%", r.OverheadPct),
		Goal: fmt.Sprintf("≤ %.0f %%", GoalTemporalOverheadPct), Verdict: v})
	rows = append(rows, bench.Row{Part: "(a)", Measure: "detect alone Temporal ÷ local − 1", Value: fmt.Sprintf("%+.1f %%",
		100*(bench.Ratio(stageSeconds(r.Temporal, "detect"), stageSeconds(r.Local, "detect"))-1))})
	for _, name := range pipeline.Order {
		rows = append(rows, bench.Row{Part: "(a)", Measure: "  " + name, Value: fmt.Sprintf("%6.1f s local, %6.1f s Temporal (%.1f s on the worker)",
			stageSeconds(r.Local, name), stageSeconds(r.Temporal, name), workerSeconds(r.Temporal, name))})
	}
	for _, x := range []BenchRun{r.OneWorker, r.TwoWorkers} {
		label := "1 worker"
		if x.Workers != 1 {
			label = fmt.Sprintf("%d workers", x.Workers)
		}
		rows = append(rows, bench.Row{Part: "(b)", Measure: fmt.Sprintf("%d episodes, %s", len(x.Episodes), label),
			Value: fmt.Sprintf("%.1f s wall, %.1f episodes/h; %s", x.WallS, x.PerHour, okText(x))})
	}
	rows = append(rows, bench.Row{Part: "(b)", Measure: "  detect on its worker (mean)", Value: fmt.Sprintf("%.1f s with 1 worker, %.1f s with %d (the stage records: %.1f s, %.1f s)",
		workerSeconds(r.OneWorker, "detect"), workerSeconds(r.TwoWorkers, "detect"), r.TwoWorkers.Workers,
		stageSeconds(r.OneWorker, "detect"), stageSeconds(r.TwoWorkers, "detect"))})
	if len(r.TwoWorkers.DetectsBy) > 0 {
		rows = append(rows, bench.Row{Part: "(b)", Measure: "  detects by worker", Value: detectsText(r.TwoWorkers.DetectsBy)})
	}
	rows = append(rows, bench.Row{Part: "(b)", Measure: "throughput two ÷ one", Value: fmt.Sprintf("%.2f ×", r.ScaleRatio)})
	return rows
}

func stagesSum(x BenchRun) float64 {
	s := 0.0
	for _, ep := range x.Episodes {
		s += ep.StagesS
	}
	return s
}

func detectsText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
