package job_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"castscope/backend/errs"
	"castscope/backend/job"
	"castscope/backend/sqlite"
)

// fakeClock is a job.Clock that moves only when told to.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	tickers []*fakeTicker
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

type fakeTicker struct {
	c      *fakeClock
	ch     chan time.Time
	period time.Duration
	next   time.Time
	done   bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	return ch
}

func (c *fakeClock) NewTicker(d time.Duration) job.Ticker {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTicker{c: c, ch: make(chan time.Time, 1), period: d, next: c.now.Add(d)}
	c.tickers = append(c.tickers, t)
	return t
}

func (t *fakeTicker) C() <-chan time.Time { return t.ch }
func (t *fakeTicker) Reset(d time.Duration) {
	t.c.mu.Lock()
	t.period, t.next = d, t.c.now.Add(d)
	t.c.mu.Unlock()
}
func (t *fakeTicker) Stop() {
	t.c.mu.Lock()
	t.done = true
	t.c.mu.Unlock()
}

// Advance moves the clock, firing the waits and ticks that fall due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
	for _, t := range c.tickers {
		for !t.done && !t.next.After(c.now) {
			select {
			case t.ch <- c.now:
			default: // a tick not yet read: drop, as time.Ticker does
			}
			t.next = t.next.Add(t.period)
		}
	}
}

// TestRescuerRunsOnItsClock: the Rescuer's passes, the heartbeats and the
// retry backoff all wait on the injected clock. A stage whose body went
// silent stays running while the fake clock stands still, however long
// that is in real time, and is failed as stalled as soon as the clock is
// moved past the stall timeout.
func TestRescuerRunsOnItsClock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fc := newFakeClock()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{Now: fc.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := &env{t: t, dir: dir, store: st}
	key := e.register("Clock_S01_E01.mp4")

	started := make(chan struct{})
	var attempts atomic.Int32
	def := job.StageDef{Name: "detect", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
		n := attempts.Add(1)
		rep.Progress(1, 10, "frames")
		if n == 1 {
			close(started)
		}
		<-ctx.Done() // silent until failed
		return nil, ctx.Err()
	}}
	r := job.NewRunner(job.Config{Store: st, Clock: fc, StallAfter: time.Minute,
		Retry: job.RetryPolicy{Base: 30 * time.Second, Cap: 30 * time.Second, MaxAttempts: 2}}, def)
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	j, _, err := r.Submit(ctx, job.Request{EpisodeKey: key})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	time.Sleep(200 * time.Millisecond) // real time: nothing may happen
	if got, _ := st.Job(ctx, j.ID); got.Stages[0].Status != job.StatusRunning {
		t.Fatalf("the stage moved while the clock stood still: %s", got.Stages[0].Status)
	}

	// Past the stall timeout: the next pass fails the attempt, and the
	// retry waits for its backoff on the same clock.
	fc.Advance(61 * time.Second)
	waitUntil(t, func() bool {
		got, _ := st.Job(ctx, j.ID)
		s := got.Stages[0]
		return s.Status == job.StatusRetrying && s.NextRetryAt != nil && s.Error != nil && s.Error.Code == string(errs.StageStalled)
	})
	time.Sleep(100 * time.Millisecond)
	if attempts.Load() != 1 {
		t.Fatalf("retried before its backoff passed on the clock: %d attempts", attempts.Load())
	}
	for i := 0; i < 10 && attempts.Load() < 2; i++ { // the backoff (≤ 30 s), then a second stall
		fc.Advance(10 * time.Second)
		time.Sleep(20 * time.Millisecond)
	}
	fc.Advance(61 * time.Second)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	done, err := r.Wait(wctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	s := done.Stages[0]
	if s.Status != job.StatusError || s.Error.Code != string(errs.StageStalled) || s.Attempt != 2 || attempts.Load() != 2 {
		t.Fatalf("after two stalls: %s %+v attempt %d (bodies run %d)", s.Status, s.Error, s.Attempt, attempts.Load())
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
