package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"castscope/backend/job"
	"castscope/backend/sqlite"
)

// TestTransitionsUnderLoad: 2 000 stage transitions from 4 writer
// goroutines while 4 readers list jobs and episodes, on one store whose
// connections contend for the same WAL file. No error (and so no
// SQLITE_BUSY or "database is locked") may reach a caller, and every
// transition must land. It is the benchmark below at a fifth of its size,
// so that every go test run checks it in a second or two.
func TestTransitionsUnderLoad(t *testing.T) {
	loadOnce(t, 20, 50, 4)
}

// BenchmarkTransitions: 100 episodes, 10 000 stage transitions from 4
// writer goroutines while $BENCH_READERS (4) readers list jobs and
// episodes. No error (and so no SQLITE_BUSY) may reach a caller. Run with
// -benchtime=1x.
func BenchmarkTransitions(b *testing.B) {
	for range b.N {
		b.StopTimer()
		transitions, reads, elapsed := loadOnce(b, 100, 50, benchReaders())
		b.ReportMetric(float64(transitions)/elapsed.Seconds(), "transitions/s")
		b.ReportMetric(float64(reads)/elapsed.Seconds(), "reads/s")
		b.StartTimer()
	}
}

// loadOnce makes episodes jobs of stagesPerJob stages, moves every stage
// pending → running → ok from 4 writers while readers read, fails tb on
// any error, and returns the transitions, the reads and the writers' time.
// Only a benchmark's timer runs, and only around the writes.
func loadOnce(b testing.TB, episodes, stagesPerJob, readerCount int) (int64, int64, time.Duration) {
	dir := b.TempDir()
	s := open(b, dir, sqlite.Options{})
	ctx := context.Background()
	var keys, ids []string
	for i := range episodes {
		ep, _, err := s.RegisterEpisode(ctx, writeFile(b, filepath.Join(dir, "v", fmt.Sprintf("Load_S01_E%03d.mp4", i)), []byte(fmt.Sprint(i))))
		if err != nil {
			b.Fatal(err)
		}
		j := job.Job{ID: "load_" + ep.Key, EpisodeKey: ep.Key, Mode: "load", CreatedAt: time.Now()}
		for k := range stagesPerJob {
			j.Stages = append(j.Stages, job.Stage{Name: fmt.Sprintf("s%02d", k), Status: job.StatusPending, MaxAttempts: 5})
		}
		if _, _, err := s.CreateJob(ctx, j, j.ID); err != nil {
			b.Fatal(err)
		}
		keys, ids = append(keys, ep.Key), append(ids, j.ID)
	}
	var transitions, reads atomic.Int64
	var errMu sync.Mutex
	var errs []error
	fail := func(err error) {
		errMu.Lock()
		errs = append(errs, err)
		errMu.Unlock()
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range readerCount {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := r; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.Jobs(ctx, keys[i%len(keys)]); err != nil {
					fail(err)
				}
				if _, err := s.Episode(ctx, keys[(i*7)%len(keys)]); err != nil {
					fail(err)
				}
				reads.Add(2)
			}
		}()
	}
	if bt, ok := b.(*testing.B); ok {
		bt.StartTimer()
	}
	start := time.Now()
	var writers sync.WaitGroup
	for w := range 4 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := w; i < len(ids); i += 4 {
				for k := range stagesPerJob {
					now := time.Now()
					st := job.Stage{Name: fmt.Sprintf("s%02d", k), Status: job.StatusRunning, Attempt: 1, MaxAttempts: 5, Owner: "bench", StartedAt: &now, HeartbeatAt: &now}
					if err := s.UpdateStage(ctx, ids[i], st, job.StatusPending, ""); err != nil {
						fail(err)
					}
					st.Status, st.FinishedAt, st.Result = job.StatusOK, &now, []byte(`{"n":1}`)
					if err := s.UpdateStage(ctx, ids[i], st, job.StatusRunning, "bench"); err != nil {
						fail(err)
					}
					transitions.Add(2)
				}
			}
		}()
	}
	writers.Wait()
	elapsed := time.Since(start)
	if bt, ok := b.(*testing.B); ok {
		bt.StopTimer()
	}
	close(stop)
	readers.Wait()
	for _, err := range errs {
		if strings.Contains(strings.ToLower(err.Error()), "busy") || strings.Contains(err.Error(), "locked") {
			b.Fatalf("SQLITE_BUSY reached a caller: %v", err)
		}
		b.Fatal(err)
	}
	if want := int64(episodes * stagesPerJob * 2); transitions.Load() != want {
		b.Fatalf("%d transitions, want %d", transitions.Load(), want)
	}
	// Every stage must read back ok: a write lost to a busy retry would
	// show here even if no error came back.
	for _, key := range keys {
		js, err := s.Jobs(ctx, key)
		if err != nil {
			b.Fatal(err)
		}
		for _, j := range js {
			for _, st := range j.Stages {
				if st.Status != job.StatusOK {
					b.Fatalf("job %s stage %s is %s", j.ID, st.Name, st.Status)
				}
			}
		}
	}
	if reads.Load() == 0 && readerCount > 0 {
		b.Fatal("no read ran during the writes")
	}
	return transitions.Load(), reads.Load(), elapsed
}

func benchReaders() int {
	if v := os.Getenv("BENCH_READERS"); v != "" {
		n, _ := strconv.Atoi(v)
		return n
	}
	return 4
}
