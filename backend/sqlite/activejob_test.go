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
