package job_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"castscope/backend/job"
	"castscope/backend/sqlite"
)

// A body reporting progress 1000 times over 2 s of (fake) time yields at
// most 4 progress events per second; the status changes all arrive.
func TestProgressEventsThrottled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("show_s03_e01.mp4")
	r := e.runner(job.Config{HeartbeatEvery: time.Hour}, job.StageDef{Name: "detect", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
		for i := int64(1); i <= 1000; i++ {
			e.clock.Advance(2 * time.Millisecond)
			rep.Progress(i, 1000, "frames")
		}
		return nil, nil
	}})
	e.wait(r, e.submit(r, job.Request{EpisodeKey: key}).ID)
	var progress []job.Event
	for _, ev := range e.ev.all() {
		if ev.Status == job.StatusRunning && ev.Done > 0 {
			progress = append(progress, ev)
		}
	}
	if len(progress) < 4 || len(progress) > 9 { // 2 s → ≤ 8 (+1 at the edge)
		t.Fatalf("%d progress events", len(progress))
	}
	for i := 1; i < len(progress); i++ {
		if gap := progress[i].At.Sub(progress[i-1].At); gap < 250*time.Millisecond {
			t.Fatalf("events %v apart", gap)
		}
	}
	last := progress[len(progress)-1]
	if last.ETAState != job.ETALive || last.Rate <= 0 || last.ETASeconds == nil {
		t.Errorf("last progress event: %+v", last)
	}
	if s := e.ev.statuses("detect"); len(s) != 3 {
		t.Errorf("statuses %v", s)
	}
}

// With no progress for NoProgressAfter the stage is flagged slow (events
// and StageView) but not failed.
func TestSlowFlag(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("show_s03_e02.mp4")
	release := make(chan struct{})
	r := e.runner(job.Config{NoProgressAfter: 10 * time.Minute, StallAfter: time.Hour}, job.StageDef{Name: "detect", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
		rep.Progress(5, 100, "frames")
		<-release
		return nil, nil
	}})
	j := e.submit(r, job.Request{EpisodeKey: key})
	waitFor(t, "progress", func() bool {
		v, _ := r.StageView(context.Background(), j.ID)
		return len(v) == 1 && v[0].Done == 5
	})
	e.clock.Advance(11 * time.Minute)
	waitFor(t, "slow event", func() bool {
		for _, ev := range e.ev.all() {
			if ev.Slow && ev.Status == job.StatusRunning {
				return true
			}
		}
		return false
	})
	view, err := r.StageView(context.Background(), j.ID)
	if err != nil || len(view) != 1 || !view[0].Slow || view[0].Status != job.StatusRunning {
		t.Fatalf("%+v %v", view, err)
	}
	if n, _ := r.Rescue(context.Background()); n != 0 {
		t.Fatal("a slow stage was failed")
	}
	close(release)
	e.wait(r, j.ID)
}

// The history rate of an earlier run is used before live samples exist.
func TestETAHistoryFromEarlierRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("show_s03_e03.mp4")
	seen := make(chan []job.Event, 1)
	var r *job.Runner
	r = e.runner(job.Config{}, job.StageDef{Name: "detect", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
		job.SetRateKey(rep, "CPUExecutionProvider/640x360")
		rep.Progress(1, 100, "frames")
		v, _ := r.StageView(ctx, rep.Job().ID)
		for i := int64(2); i <= 100; i++ {
			e.clock.Advance(100 * time.Millisecond)
			rep.Progress(i, 100, "frames")
		}
		select {
		case seen <- v:
		default:
		}
		return nil, nil
	}})
	e.wait(r, e.submit(r, job.Request{EpisodeKey: key}).ID)
	first := <-seen
	if first[0].ETAState != job.ETALearning {
		t.Fatalf("first run: %+v", first[0])
	}
	e.wait(r, e.submit(r, job.Request{EpisodeKey: key, Rerun: true}).ID)
	second := <-seen
	if second[0].ETAState != job.ETAHistory || second[0].Rate < 9 || second[0].Rate > 11 || second[0].ETASeconds == nil {
		t.Fatalf("second run: %+v", second[0])
	}
}

// BenchmarkReporterProgress measures Progress from a hot loop (1e6 calls
// per run; use -benchtime=1x).
func BenchmarkReporterProgress(b *testing.B) {
	dir := b.TempDir()
	st, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const calls = 1_000_000
	var elapsed time.Duration
	r := job.NewRunner(job.Config{Store: st}, job.StageDef{Name: "detect", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
		start := time.Now()
		for i := int64(1); i <= calls; i++ {
			rep.Progress(i, calls, "frames")
		}
		elapsed += time.Since(start)
		return nil, nil
	}})
	if err := r.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for range b.N {
		j, _, err := r.Submit(context.Background(), job.Request{EpisodeKey: "bench", Rerun: true, Settings: []byte(fmt.Sprint(time.Now().UnixNano()))})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Wait(context.Background(), j.ID); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(calls*b.N), "ns/progress")
}
