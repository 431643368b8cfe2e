package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"castscope/backend/errs"
	"castscope/backend/screentime"
	"castscope/backend/service"
)

func runCmd(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "run")
	data := fs.String("data", "", "data folder (default $CASTSCOPE_DATA or the user data dir)")
	stages := fs.String("stages", "", "comma-separated stages to run (default all; `detect+` = detect and after)")
	fps := fs.Float64("fps", 0, "frames sampled per second, 0.5 to 120 (default from settings, 5; -1 = every frame)")
	preset := fs.String("preset", "", "detection preset: fast, default or detail")
	requireGPU := fs.Bool("require-gpu", false, "fail instead of falling back to the CPU")
	rerun := fs.Bool("rerun", false, "run stages again even when their outputs are up to date")
	threshold := fs.Float64("cluster-threshold", 0, "cosine distance under which tracks join one person (default from settings, 0.5)")
	minTrack := fs.Int("min-track-len", 0, "detections a track needs to be clustered (default from settings, 3)")
	stPreset := fs.String("screentime-preset", "", "screen-time preset: default, or strict (shorter bridging, for hand-logged timings)")
	temporalAddr := fs.String("temporal", "", "run on the Temporal server at HOST:PORT (its workers' --artifacts must be this data folder; default from settings: this computer)")
	namespace := fs.String("namespace", "", "the Temporal namespace (default from settings, default)")
	pos, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) == 0 {
		return usageError(env, fs.Usage, "castscope run: give at least one VIDEO")
	}
	var o service.RunOverrides
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "fps":
			o.SampleFPS = fps
		case "cluster-threshold":
			o.ClusterThreshold = threshold
		case "min-track-len":
			o.MinTrackLen = minTrack
		}
	})
	// 0 stands for "the default" in settings; typed out, it is a mistake.
	if (o.ClusterThreshold != nil && *threshold == 0) || (o.MinTrackLen != nil && *minTrack == 0) || (o.SampleFPS != nil && *fps == 0) {
		return typedUsageError(env, fs.Usage, errs.New(errs.Usage, "0 is not a usable value for --fps, --cluster-threshold or --min-track-len.", "Leave the flag out for the default."))
	}
	o.Preset, o.RequireGPU, o.Rerun, o.ScreenTimePreset = *preset, *requireGPU, *rerun, *stPreset
	o.Temporal, o.Namespace = *temporalAddr, *namespace
	if o.Temporal != "" {
		if err := service.CheckHostPort(o.Temporal); err != nil {
			return typedUsageError(env, fs.Usage, err)
		}
	}
	// Usage problems are found before anything is opened or registered;
	// the bounds are Settings.Validate's (--fps: service.MinSampleFPS to
	// 120, or negative for every frame).
	if _, err := service.SelectStages(stageList(*stages)); err != nil {
		return typedUsageError(env, fs.Usage, err)
	}
	if err := (service.Settings{SampleFPS: *fps, DetectPreset: *preset, ClusterThreshold: *threshold, MinTrackLen: *minTrack, ScreenTimePreset: *stPreset}).Validate(); err != nil {
		return typedUsageError(env, fs.Usage, err)
	}

	pr := newPrinter(env.Stdout)
	b, err := service.Open(ctx, service.Options{DataDir: *data, Notifier: pr, WorkerExe: env.WorkerExe})
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	defer b.Close()
	fmt.Fprintf(env.Stdout, "data: %s\n", b.DataDir)

	// Each failure is printed once, at the end, in the order it happened;
	// the last line names the cause of the last one (see failures).
	var failed failures
	var jobs []string
	for _, path := range pos {
		ep, existing, err := b.AddVideo(ctx, path)
		if err != nil {
			fmt.Fprintf(env.Stdout, "not registered: %s (the error is at the end)\n", path)
			failed.add(err)
			continue
		}
		note := ""
		if existing {
			note = " (already registered)"
		}
		fmt.Fprintf(env.Stdout, "registered %s <- %s%s\n", ep.Key, ep.VideoPath, note)
		j, existingJob, err := b.Run(ctx, ep.Key, stageList(*stages), o)
		if err != nil {
			fmt.Fprintf(env.Stdout, "not run: %s (the error is at the end)\n", ep.Key)
			failed.add(err)
			continue
		}
		names := make([]string, len(j.Stages))
		for i, s := range j.Stages {
			names[i] = s.Name
		}
		if existingJob {
			// A job of this episode was already queued or running (the
			// window, another command): this run's flags were not applied.
			// Following it anyway would end with results made with other
			// settings than the ones asked for, and exit 0 — so a run
			// whose flags differ refuses, naming each one.
			if diff := service.JoinDifferences(j, stageList(*stages), o); len(diff) > 0 {
				fmt.Fprintf(env.Stdout, "not run: %s already has job %s queued or running (the error is at the end)\n", ep.Key, j.ID)
				failed.add(errs.New(errs.Usage,
					fmt.Sprintf("%s already has job %s queued or running, with other settings than this run's: %s.", ep.Key, j.ID, strings.Join(diff, "; ")),
					fmt.Sprintf("Wait for that job to end (castscope inspect %s shows it), then run again with these flags; or leave them out to follow it.", ep.Key)))
				continue
			}
			fmt.Fprintf(env.Stdout, "job %s joined: %s already had it queued or running, with the settings this run asks for; following it: %s\n", j.ID, ep.Key, strings.Join(names, ", "))
		} else {
			fmt.Fprintf(env.Stdout, "job %s queued: %s\n", j.ID, strings.Join(names, ", "))
		}
		jobs = append(jobs, j.ID)
	}
	for _, id := range jobs {
		j, err := b.WaitJob(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				if o.Temporal != "" || b.Settings().RunOn == service.RunOnTemporal {
					fmt.Fprintln(env.Stdout, "interrupted: the workflows go on on Temporal; run the same command again to follow them")
				} else {
					fmt.Fprintln(env.Stdout, "interrupted: running stages stop now and resume from their checkpoint on the next run")
				}
				failed.add(errs.New(errs.Canceled, "Interrupted.", "Run the same command again to resume."))
				break
			}
			failed.add(err)
			continue
		}
		if err := stageFailure(j); err != nil {
			failed.add(err)
		}
		fmt.Fprintf(env.Stdout, "job %s finished: %s\n", j.ID, summary(j))
		// Also after a run that found everything done (skipped: outputs complete).
		if st, ok := j.Stage("analytics"); ok && (st.Status == service.StatusOK || st.Status == service.StatusSkipped) {
			if rep, err := b.ScreenTime(ctx, j.EpisodeKey); err == nil {
				printScreenTime(env.Stdout, rep, b.ReportPath(j.EpisodeKey))
			}
		}
	}
	if len(failed) > 0 {
		failed.print(env.Stdout)
		return ExitError
	}
	return ExitOK
}

// failures are a run's errors, kept to be printed once each at its end:
// registering a file, submitting a job, a job's failed stage.
type failures []error

func (f *failures) add(err error) { *f = append(*f, err) }

// print writes each failure once (hint, then "error: ERR_… message"),
// in order; the same error twice (two videos that fail alike) prints once.
func (f failures) print(w io.Writer) {
	seen := map[string]bool{}
	for _, err := range f {
		e := errs.As(err)
		k := string(e.Code) + " " + e.Message
		if seen[k] {
			continue
		}
		seen[k] = true
		printError(w, e)
	}
}

func summary(j service.Job) string {
	count := map[service.Status]int{}
	cause, _ := failedStage(j)
	for _, s := range j.Stages {
		if cause != "" && s.Name != cause && s.Status == service.StatusCanceled {
			count["not run"]++
			continue
		}
		count[s.Status]++
	}
	keys := make([]string, 0, len(count))
	for k := range count {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", count[service.Status(k)], k)
	}
	return strings.Join(parts, ", ")
}

// printer prints engine events as lines: every status change, and progress
// at most every 5 % or 5 s per stage.
type printer struct {
	mu    sync.Mutex
	w     io.Writer
	now   func() time.Time
	last  map[string]progressMark
	start map[string]time.Time
	// failed holds the jobs a stage of which has failed (not canceled).
	failed map[string]bool
}

type progressMark struct {
	bucket int
	at     time.Time
}

func newPrinter(w io.Writer) *printer {
	return &printer{w: w, now: time.Now, last: map[string]progressMark{}, start: map[string]time.Time{}, failed: map[string]bool{}}
}

func (p *printer) Notify(ev service.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := ev.JobID + "/" + ev.Stage
	tag := fmt.Sprintf("[%s] %s", strings.ToUpper(ev.Stage), ev.EpisodeKey)
	switch ev.Status {
	case service.StatusRunning:
		m, seen := p.last[id]
		if !seen {
			p.start[id] = p.now()
			p.last[id] = progressMark{bucket: -1, at: p.now()}
			attempt := ""
			if ev.Attempt > 1 {
				attempt = fmt.Sprintf(" (attempt %d of %d)", ev.Attempt, ev.MaxAttempts)
			}
			fmt.Fprintf(p.w, "%s running%s\n", tag, attempt)
			return
		}
		if ev.Total <= 0 && ev.Done <= 0 {
			return
		}
		bucket := -1
		if ev.Total > 0 {
			bucket = int(20 * float64(ev.Done) / float64(ev.Total))
		}
		if bucket == m.bucket && p.now().Sub(m.at) < 5*time.Second {
			return
		}
		p.last[id] = progressMark{bucket: bucket, at: p.now()}
		fmt.Fprintf(p.w, "%s %s\n", tag, progressText(ev))
	case service.StatusRetrying, service.StatusPending:
		if ev.NextRetryAt != nil {
			delete(p.last, id)
			msg := ""
			if ev.Error != nil {
				msg = fmt.Sprintf(" after %s %s", ev.Error.Code, ev.Error.Message)
			}
			fmt.Fprintf(p.w, "%s retry %d of %d at %s%s\n", tag, ev.Attempt+1, ev.MaxAttempts, ev.NextRetryAt.Local().Format("15:04:05"), msg)
		}
	case service.StatusOK:
		fmt.Fprintf(p.w, "%s ok%s%s\n", tag, p.took(id), resultText(ev.Result))
		delete(p.last, id)
	case service.StatusSkipped:
		fmt.Fprintf(p.w, "%s skipped%s\n", tag, skipText(ev))
	case service.StatusCanceled:
		code, msg := string(errs.Canceled), "The job was canceled."
		if ev.Error != nil {
			code, msg = ev.Error.Code, ev.Error.Message
		}
		// A stage after the one that failed ends canceled, "Not run
		// because the X stage failed.": a consequence, said as such; the
		// cause is the error line before it (and the last line).
		if _, seen := p.start[id]; !seen && p.failed[ev.JobID] {
			if msg == "" || !strings.HasPrefix(msg, "Not run") {
				msg = "Not run: " + msg
			}
			fmt.Fprintf(p.w, "%s n%s\n", tag, msg[1:])
			return
		}
		fmt.Fprintf(p.w, "%s canceled%s %s %s\n", tag, p.took(id), code, msg)
		delete(p.last, id)
	case service.StatusError:
		code, msg := "ERR_INTERNAL", ""
		if ev.Error != nil {
			code, msg = ev.Error.Code, ev.Error.Message
		}
		p.failed[ev.JobID] = true
		fmt.Fprintf(p.w, "%s error%s %s %s\n", tag, p.took(id), code, msg)
		delete(p.last, id)
	}
}

func (p *printer) took(id string) string {
	t, ok := p.start[id]
	if !ok {
		return ""
	}
	return fmt.Sprintf(" in %.1fs", p.now().Sub(t).Seconds())
}

func skipText(ev service.Event) string {
	if ev.SkipReason != "" {
		return ": " + ev.SkipReason
	}
	return ""
}

func progressText(ev service.Event) string {
	var b strings.Builder
	unit := ev.Unit
	if ev.Total > 0 {
		fmt.Fprintf(&b, "%d/%d %s (%d%%)", ev.Done, ev.Total, unit, int(math.Floor(100*float64(ev.Done)/float64(ev.Total))))
	} else {
		fmt.Fprintf(&b, "%d %s", ev.Done, unit)
	}
	if ev.Rate > 0 {
		fmt.Fprintf(&b, " %.1f %s/s", ev.Rate, unit)
	}
	switch {
	case ev.ETAState == "learning":
		b.WriteString(" learning ETA…")
	case ev.ETASeconds != nil:
		b.WriteString(" " + etaText(*ev.ETASeconds))
	}
	if ev.Slow {
		b.WriteString(" (slow: no progress for a while)")
	}
	return b.String()
}

func etaText(s float64) string {
	switch {
	case s < 60:
		return "ETA <1 min"
	case s < 3600:
		return fmt.Sprintf("ETA ~%d min", int(math.Round(s/60)))
	default:
		return fmt.Sprintf("ETA ~%d h %d min", int(s)/3600, int(math.Round(math.Mod(s, 3600)/60)))
	}
}

func resultText(raw json.RawMessage) string {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k, v := range m {
		switch v.(type) {
		case float64, string, bool:
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		switch v := m[k].(type) {
		case float64:
			if v == math.Trunc(v) {
				fmt.Fprintf(&b, " %s=%d", k, int64(v))
			} else {
				fmt.Fprintf(&b, " %s=%.3g", k, v)
			}
		case string:
			if strings.ContainsAny(v, " \t") {
				fmt.Fprintf(&b, " %s=%q", k, v)
			} else {
				fmt.Fprintf(&b, " %s=%s", k, v)
			}
		case bool:
			fmt.Fprintf(&b, " %s=%v", k, v)
		}
	}
	return b.String()
}

// printScreenTime ends a run with what it is for: who was on screen and
// for how long, and where the report and the next steps are.
func printScreenTime(w io.Writer, rep screentime.Report, reportPath string) {
	fmt.Fprintf(w, "\nscreen time of %s (%s; faces sampled every %.2f s, each time ± its margin):\n",
		rep.EpisodeKey, clockOf(rep.DurationS), rep.SampleIntervalS)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range rep.People {
		fmt.Fprintf(tw, "  %s\t%7.1f s ±%.1f\t%5.1f %%\t%d appearance(s)\n", p.Label, p.ScreenTimeS, p.MarginS, p.Share*100, p.Appearances)
	}
	if len(rep.People) == 0 {
		fmt.Fprintf(tw, "  nobody\t%7.1f s\n", 0.0)
	}
	if rep.Unidentified.ScreenTimeS > 0 {
		fmt.Fprintf(tw, "  unidentified faces\t%7.1f s\n", rep.Unidentified.ScreenTimeS)
	}
	tw.Flush()
	if reportPath != "" {
		fmt.Fprintf(w, "report: %s\n", reportPath)
	}
	fmt.Fprintf(w, "name and curate people: castscope cast %s; export: castscope export %s --format edl\n", rep.EpisodeKey, rep.EpisodeKey)
}

// clockOf writes seconds as M:SS (H:MM:SS past an hour).
func clockOf(s float64) string {
	t := int64(s + 0.5)
	if t >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", t/3600, t/60%60, t%60)
	}
	return fmt.Sprintf("%d:%02d", t/60, t%60)
}

// stageFailure is the typed error that made j fail, nil when no stage
// did: that of its first failed stage (see failedStage), not the
// ERR_CANCELED "Not run because …" its later stages end canceled with.
func stageFailure(j service.Job) error {
	name, ok := failedStage(j)
	if !ok {
		return nil
	}
	s, _ := j.Stage(name)
	return &errs.Error{Code: errs.Code(s.Error.Code), Message: s.Error.Message, Hint: s.Error.Hint}
}

// failedStage names the stage whose error is j's cause: the first stage in
// error, else (a canceled job) the first stage canceled.
func failedStage(j service.Job) (string, bool) {
	first := ""
	for _, s := range j.Stages {
		if s.Error == nil {
			continue
		}
		if s.Status == service.StatusError {
			return s.Name, true
		}
		if s.Status == service.StatusCanceled && first == "" {
			first = s.Name
		}
	}
	return first, first != ""
}
