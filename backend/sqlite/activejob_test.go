package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"castscope/backend/job"
	"castscope/backend/sqlite"
)

const raceEnv = "CASTSCOPE_SQLITE_RACE_CHILD"

// TestOneActiveJobPerEpisodeAcrossProcesses: two processes that start a
// job for one episode at the same instant, each with its own settings
// (signature), get one job between them, round after round.
func TestOneActiveJobPerEpisodeAcrossProcesses(t *testing.T) {
	if spec := os.Getenv(raceEnv); spec != "" {
		os.Exit(raceChild(spec))
	}
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	s := open(t, dir, sqlite.Options{})
	for round := range 8 {
		ep, _, err := s.RegisterEpisode(ctx, writeFile(t, filepath.Join(dir, "v", fmt.Sprintf("Race_S01_E%02d.mp4", round)), []byte(fmt.Sprint(round))))
		if err != nil {
			t.Fatal(err)
		}
		gate := filepath.Join(dir, fmt.Sprintf("go-%d", round))
		type child struct {
			cmd *exec.Cmd
			out *bufio.Reader
		}
		var kids []child
		for i := range 2 {
			cmd := exec.Command(os.Args[0], "-test.run=^TestOneActiveJobPerEpisodeAcrossProcesses$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%s|%s|%d", raceEnv, dir, ep.Key, gate, i))
			cmd.Stderr = os.Stderr
			pipe, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			kids = append(kids, child{cmd, bufio.NewReader(pipe)})
		}
		for _, k := range kids {
			if line, _ := k.out.ReadString('\n'); line != "ready\n" {
				t.Fatalf("child said %q", line)
			}
		}
		if err := os.WriteFile(gate, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		var ids []string
		fresh := 0
		for _, k := range kids {
			line, _ := k.out.ReadString('\n')
			if err := k.cmd.Wait(); err != nil {
				t.Fatalf("child: %v (said %q)", err, line)
			}
			id, existing, ok := strings.Cut(strings.TrimSpace(line), " ")
			if !ok {
				t.Fatalf("child said %q", line)
			}
			ids = append(ids, id)
			if existing == "false" {
				fresh++
			}
		}
		if ids[0] != ids[1] || fresh != 1 {
			t.Fatalf("round %d: jobs %v, %d created; want one job, created once", round, ids, fresh)
		}
		active, err := s.ActiveJobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, j := range active {
			if j.EpisodeKey == ep.Key {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d unfinished jobs of %s", round, n, ep.Key)
		}
	}
}

// raceChild opens the store, says "ready", waits for the gate file and
// asks for a job with a signature of its own; it prints "ID EXISTING".
func raceChild(spec string) int {
	f := strings.Split(spec, "|")
	dir, key, gate, me := f[0], f[1], f[2], f[3]
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	fmt.Println("ready")
	for {
		if _, err := os.Stat(gate); err == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	now := time.Now()
	j := job.Job{ID: "run_" + key + "_" + me, EpisodeKey: key, Mode: "run", CreatedAt: now,
		Stages: []job.Stage{{Name: "detect", Status: job.StatusPending, MaxAttempts: 5}}}
	got, existing, err := s.CreateJob(ctx, j, key+"-settings-of-"+me)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%s %v\n", got.ID, existing)
	return 0
}

const loopEnv = "CASTSCOPE_SQLITE_RACE_LOOP"

// TestOneActiveJobPerEpisodeRaceLoop: two processes released at one
// instant each walk the same 60 episodes asking for a job of each, as fast
// as they can; every episode ends with one unfinished job, and both
// processes were given its id.
func TestOneActiveJobPerEpisodeRaceLoop(t *testing.T) {
	if spec := os.Getenv(loopEnv); spec != "" {
		os.Exit(loopChild(spec))
	}
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	s := open(t, dir, sqlite.Options{})
	var keys []string
	for i := range 60 {
		ep, _, err := s.RegisterEpisode(ctx, writeFile(t, filepath.Join(dir, "v", fmt.Sprintf("Loop_S01_E%02d.mp4", i)), []byte(fmt.Sprint("loop", i))))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, ep.Key)
	}
	start := time.Now().Add(1500 * time.Millisecond)
	type result struct {
		out string
		err error
	}
	results := make(chan result, 2)
	for i := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestOneActiveJobPerEpisodeRaceLoop$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%d|%d|%s", loopEnv, dir, start.UnixNano(), i, strings.Join(keys, ",")))
		cmd.Stderr = os.Stderr
		go func() {
			out, err := cmd.Output()
			results <- result{string(out), err}
		}()
	}
	got := map[string][]string{} // key → the ids both processes were given
	created := map[string]int{}
	for range 2 {
		r := <-results
		if r.err != nil {
			t.Fatalf("child: %v", r.err)
		}
		for line := range strings.Lines(r.out) {
			f := strings.Fields(line)
			if len(f) != 3 {
				t.Fatalf("child said %q", line)
			}
			got[f[0]] = append(got[f[0]], f[1])
			if f[2] == "false" {
				created[f[0]]++
			}
		}
	}
	active, err := s.ActiveJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	unfinished := map[string][]string{}
	for _, j := range active {
		unfinished[j.EpisodeKey] = append(unfinished[j.EpisodeKey], j.ID)
	}
	for _, k := range keys {
		ids := got[k]
		if len(ids) != 2 || ids[0] != ids[1] || created[k] != 1 {
			t.Errorf("%s: given %v, created %d times; want one id for both, created once", k, ids, created[k])
		}
		if len(unfinished[k]) != 1 || len(ids) > 0 && unfinished[k][0] != ids[0] {
			t.Errorf("%s: unfinished jobs %v", k, unfinished[k])
		}
	}
}

// loopChild waits for the start instant, then asks for a job of each
// episode in turn; it prints "KEY ID EXISTING" per episode.
func loopChild(spec string) int {
	f := strings.SplitN(spec, "|", 4)
	dir, me, keys := f[0], f[2], strings.Split(f[3], ",")
	var at int64
	fmt.Sscan(f[1], &at)
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	time.Sleep(time.Until(time.Unix(0, at)))
	for _, key := range keys {
		j := job.Job{ID: "run_" + key + "_" + me, EpisodeKey: key, Mode: "run", CreatedAt: time.Now(),
			Stages: []job.Stage{{Name: "detect", Status: job.StatusPending, MaxAttempts: 5}}}
		got, existing, err := s.CreateJob(ctx, j, key+"-settings-of-"+me)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("%s %s %v\n", key, got.ID, existing)
	}
	return 0
}

// TestActiveJobIndexRejectsRawInsert: the database itself refuses a second
// unfinished job of an episode, whatever writes it; a finished one is
// fine, and once the first ends a new one may start.
func TestActiveJobIndexRejectsRawInsert(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	s := open(t, dir, sqlite.Options{})
	ep, _, err := s.RegisterEpisode(ctx, writeFile(t, filepath.Join(dir, "v", "Raw_S01_E01.mp4"), []byte("raw")))
	if err != nil {
		t.Fatal(err)
	}
	first := job.Job{ID: "run_first", EpisodeKey: ep.Key, Mode: "run", CreatedAt: time.Now(),
		Stages: []job.Stage{{Name: "detect", Status: job.StatusPending, MaxAttempts: 5}}}
	if _, existing, err := s.CreateJob(ctx, first, "sig-a"); err != nil || existing {
		t.Fatalf("first job: existing %v, %v", existing, err)
	}
	s.Close()

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.DBName)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	insert := func(id, sig string, finished any) error {
		_, err := db.Exec(`INSERT INTO jobs (id, episode_key, mode, signature, created_at, finished_at) VALUES (?, ?, 'run', ?, '2026-01-01T00:00:00.000Z', ?)`,
			id, ep.Key, sig, finished)
		return err
	}
	err = insert("run_second", "sig-b", nil)
	if err == nil || !strings.Contains(err.Error(), "UNIQUE constraint failed: jobs.episode_key") {
		t.Fatalf("a second unfinished job was stored: %v", err)
	}
	if err := insert("run_old", "sig-c", "2026-01-01T00:01:00.000Z"); err != nil {
		t.Fatalf("a finished job was refused: %v", err)
	}
	if _, err := db.Exec(`UPDATE jobs SET finished_at='2026-01-01T00:02:00.000Z' WHERE id='run_first'`); err != nil {
		t.Fatal(err)
	}
	if err := insert("run_third", "sig-d", nil); err != nil {
		t.Fatalf("a new job after the first ended was refused: %v", err)
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM jobs WHERE episode_key=? AND finished_at IS NULL`, ep.Key).Scan(&n)
	if n != 1 {
		t.Fatalf("%d unfinished jobs", n)
	}
}

// TestCreateJobMeetsTheIndex: a job that meets the unfinished job of its
// episode (another signature: other settings) gets that job back, with
// existing=true, and nothing is inserted.
func TestCreateJobMeetsTheIndex(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	s := open(t, dir, sqlite.Options{})
	ep, _, err := s.RegisterEpisode(ctx, writeFile(t, filepath.Join(dir, "v", "Meet_S01_E01.mp4"), []byte("meet")))
	if err != nil {
		t.Fatal(err)
	}
	mk := func(id string) job.Job {
		return job.Job{ID: id, EpisodeKey: ep.Key, Mode: "run", CreatedAt: time.Now(),
			Stages: []job.Stage{{Name: "detect", Status: job.StatusPending, MaxAttempts: 5}}}
	}
	a, existing, err := s.CreateJob(ctx, mk("run_a"), "sig-a")
	if err != nil || existing || a.ID != "run_a" {
		t.Fatalf("first: %s %v %v", a.ID, existing, err)
	}
	for _, c := range []struct{ id, sig string }{{"run_b", "sig-b"}, {"run_a", "sig-a"}, {"run_c", "sig-a"}} {
		b, existing, err := s.CreateJob(ctx, mk(c.id), c.sig)
		if err != nil || !existing || b.ID != "run_a" || len(b.Stages) != 1 {
			t.Fatalf("%s/%s: got %s existing %v, %v; want run_a existing", c.id, c.sig, b.ID, existing, err)
		}
	}
	all, err := s.Jobs(ctx, ep.Key)
	if err != nil || len(all) != 1 {
		t.Fatalf("%d jobs stored, %v", len(all), err)
	}
}

// TestMigrationEndsDuplicateActiveJobs: a data folder of an older version
// with two unfinished jobs of one episode opens with the later one ended
// (its stages in error with ERR_CANCELED) and the earlier one untouched.
func TestMigrationEndsDuplicateActiveJobs(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ep, _, err := s.RegisterEpisode(ctx, writeFile(t, filepath.Join(dir, "v", "Dup_S01_E01.mp4"), []byte("dup")))
	if err != nil {
		t.Fatal(err)
	}
	first := job.Job{ID: "run_first", EpisodeKey: ep.Key, Mode: "run", CreatedAt: time.Now(),
		Stages: []job.Stage{{Name: "detect", Status: job.StatusPending, MaxAttempts: 5}}}
	if _, _, err := s.CreateJob(ctx, first, "a"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// As an older version left it: no index, a second unfinished job.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.DBName))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP INDEX jobs_active_episode`,
		`DELETE FROM schema_migrations WHERE version = 4`,
		`INSERT INTO jobs (id, episode_key, mode, signature, created_at) VALUES ('run_second', '` + ep.Key + `', 'run', 'b', '2026-01-01T00:00:00.000Z')`,
		`INSERT INTO stages (job_id, name, ord, status) VALUES ('run_second', 'detect', 0, 'pending'), ('run_second', 'track', 1, 'ok')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s = open(t, dir, sqlite.Options{})
	active, err := s.ActiveJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 1 || active[0].ID != "run_first" {
		t.Fatalf("unfinished jobs after the migration: %+v", active)
	}
	second, err := s.Job(ctx, "run_second")
	if err != nil {
		t.Fatal(err)
	}
	if second.FinishedAt == nil {
		t.Error("the later job was not ended")
	}
	for _, st := range second.Stages {
		switch st.Name {
		case "detect":
			if st.Status != job.StatusError || st.Error == nil || st.Error.Code != "ERR_CANCELED" {
				t.Errorf("detect of the later job: %s %+v, want error ERR_CANCELED", st.Status, st.Error)
			}
		case "track":
			if st.Status != job.StatusOK {
				t.Errorf("a finished stage changed: track %s", st.Status)
			}
		}
	}
}
