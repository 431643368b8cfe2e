package job_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"castscope/backend/job"
	"castscope/backend/sqlite"
)

// clock is a fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 11, 6, 22, 10, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// events records every event.
type events struct {
	mu  sync.Mutex
	evs []job.Event
}

func (e *events) Notify(ev job.Event) {
	e.mu.Lock()
	e.evs = append(e.evs, ev)
	e.mu.Unlock()
}

func (e *events) all() []job.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]job.Event(nil), e.evs...)
}

func (e *events) statuses(stage string) []job.Status {
	var out []job.Status
	var last job.Status
	for _, ev := range e.all() {
		if ev.Stage == stage && ev.Status != last {
			out = append(out, ev.Status)
			last = ev.Status
		}
	}
	return out
}

type env struct {
	t     *testing.T
	dir   string
	store *sqlite.Store
	clock *clock
	ev    *events
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	c := newClock()
	st, err := sqlite.Open(context.Background(), dir, sqlite.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &env{t: t, dir: dir, store: st, clock: c, ev: &events{}}
}

// register registers a small file as episode key and returns the key.
func (e *env) register(name string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, "videos", name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte("video "+name), 0o644); err != nil {
		e.t.Fatal(err)
	}
	ep, _, err := e.store.RegisterEpisode(context.Background(), p)
	if err != nil {
		e.t.Fatal(err)
	}
	return ep.Key
}

func (e *env) runner(cfg job.Config, defs ...job.StageDef) *job.Runner {
	e.t.Helper()
	cfg.Store = e.store
	cfg.Now = e.clock.Now
	if cfg.Notifier == nil {
		cfg.Notifier = e.ev
	}
	if cfg.Retry.Base == 0 {
		cfg.Retry.Base = time.Millisecond
		cfg.Retry.Cap = 5 * time.Millisecond
	}
	if cfg.RescueEvery == 0 {
		cfg.RescueEvery = time.Hour // tests call Rescue themselves
	}
	if cfg.HeartbeatEvery == 0 {
		cfg.HeartbeatEvery = 20 * time.Millisecond
	}
	r := job.NewRunner(cfg, defs...)
	if err := r.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { r.Close() })
	return r
}

func (e *env) submit(r *job.Runner, req job.Request) job.Job {
	e.t.Helper()
	j, _, err := r.Submit(context.Background(), req)
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

func (e *env) wait(r *job.Runner, id string) job.Job {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	j, err := r.Wait(ctx, id)
	if err != nil {
		e.t.Fatalf("wait %s: %v", id, err)
	}
	e.checkExports()
	return j
}

// checkExports compares every meta.json and state.json (parsed) with the
// database.
func (e *env) checkExports() {
	e.t.Helper()
	ctx := context.Background()
	if err := e.store.Flush(ctx); err != nil {
		e.t.Fatal(err)
	}
	eps, err := e.store.Episodes(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ep := range eps {
		want, _ := json.Marshal(ep.StateFile())
		got, err := os.ReadFile(filepath.Join(e.dir, "episodes", ep.Key, "state.json"))
		if err != nil {
			e.t.Fatalf("state.json of %s: %v", ep.Key, err)
		}
		sameJSON(e.t, "state.json "+ep.Key, got, want)
		jobs, err := e.store.Jobs(ctx, ep.Key)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, j := range jobs {
			want, _ := json.Marshal(j)
			got, err := os.ReadFile(filepath.Join(e.dir, "data", "jobs", j.ID, "meta.json"))
			if err != nil {
				e.t.Fatalf("meta.json of %s: %v", j.ID, err)
			}
			sameJSON(e.t, "meta.json "+j.ID, got, want)
		}
	}
}

func sameJSON(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s differs from the database:\nfile: %s\n  db: %s", what, got, want)
	}
}

// waitFor polls cond until it holds (real time, bounded).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (e *env) stage(id, name string) job.Stage {
	e.t.Helper()
	j, err := e.store.Job(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	s, ok := j.Stage(name)
	if !ok {
		e.t.Fatalf("no stage %s in %s", name, id)
	}
	return s
}
