package service

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"castscope/backend/errs"
	"castscope/backend/job"
	"castscope/backend/remote"
	"castscope/backend/remote/devserver"
)

// The Settings panel's "Run on" choice goes through SettingsView: a fresh
// data folder shows this computer and the default namespace; choosing
// Temporal is stored in settings.json and read back by a backend opened
// later; an address that is not HOST:PORT is refused with ERR_USAGE and
// leaves the stored choice as it was.
func TestSettingsViewRunOnTemporalRoundTrips(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, err := Open(ctx, Options{DataDir: dir, NoRunner: true})
	if err != nil {
		t.Fatal(err)
	}
	v := b.SettingsView(ctx)
	if v.RunOn != RunOnLocal || v.TemporalAddress != "" || v.TemporalNamespace != "default" {
		t.Fatalf("fresh folder: run_on %q address %q namespace %q", v.RunOn, v.TemporalAddress, v.TemporalNamespace)
	}

	v.RunOn, v.TemporalAddress, v.TemporalNamespace = RunOnTemporal, " temporal.example.lan:7233 ", "castscope"
	if err := b.SaveSettingsView(v); err != nil {
		t.Fatalf("save temporal: %v", err)
	}
	if s := b.Settings(); s.RunOn != RunOnTemporal || s.TemporalAddress != "temporal.example.lan:7233" || s.TemporalNamespace != "castscope" {
		t.Errorf("settings in force after save: %+v", s)
	}

	for _, bad := range []string{"", "temporal.example.lan", ":7233", "temporal.example.lan:0", "temporal.example.lan:http"} {
		w := b.SettingsView(ctx)
		w.TemporalAddress = bad
		err := b.SaveSettingsView(w)
		if errs.CodeOf(err) != errs.Usage {
			t.Errorf("save run_on=temporal address %q: got %v, want ERR_USAGE", bad, err)
		}
	}
	if s := b.Settings(); s.TemporalAddress != "temporal.example.lan:7233" {
		t.Errorf("a refused save changed the settings in force: %+v", s)
	}
	// An unknown place to run is refused too.
	w := b.SettingsView(ctx)
	w.RunOn = "cloud"
	if err := b.SaveSettingsView(w); errs.CodeOf(err) != errs.Usage {
		t.Errorf("save run_on=cloud: got %v, want ERR_USAGE", err)
	}
	b.Close()

	var onDisk map[string]any
	data, err := os.ReadFile(filepath.Join(dir, "settings.json"))
	if err != nil || json.Unmarshal(data, &onDisk) != nil {
		t.Fatalf("settings.json: %s %v", data, err)
	}
	if onDisk["run_on"] != "temporal" || onDisk["temporal_address"] != "temporal.example.lan:7233" || onDisk["temporal_namespace"] != "castscope" {
		t.Errorf("settings.json = %s", data)
	}

	b, err = Open(ctx, Options{DataDir: dir, NoRunner: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	v = b.SettingsView(ctx)
	if v.RunOn != RunOnTemporal || v.TemporalAddress != "temporal.example.lan:7233" || v.TemporalNamespace != "castscope" {
		t.Errorf("reopened: run_on %q address %q namespace %q", v.RunOn, v.TemporalAddress, v.TemporalNamespace)
	}

	// Back to this computer: the address stays for the next time Temporal
	// is chosen, and is no longer checked.
	v.RunOn, v.TemporalAddress = RunOnLocal, "not an address"
	if err := b.SaveSettingsView(v); err != nil {
		t.Errorf("save local with a stale address: %v", err)
	}
	if s := b.Settings(); s.RunOn != RunOnLocal {
		t.Errorf("run_on after choosing this computer: %q", s.RunOn)
	}
}

// "Test connection": a port nobody listens on is ERR_REMOTE_UNAVAILABLE, a
// malformed address ERR_USAGE, and a real development server answers.
func TestCheckTemporalFromSettings(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := Open(ctx, Options{DataDir: t.TempDir(), NoRunner: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	start := time.Now()
	if err := b.CheckTemporal(ctx, closed, "default"); errs.CodeOf(err) != errs.RemoteUnavailable {
		t.Errorf("closed port %s: got %v, want ERR_REMOTE_UNAVAILABLE", closed, err)
	} else if e := errs.As(err); e.Message == "" || e.Hint == "" {
		t.Errorf("closed port: want a message and a hint, got %+v", e)
	}
	t.Logf("closed port answered in %v", time.Since(start).Round(time.Millisecond))
	if err := b.CheckTemporal(ctx, "no-port", "default"); errs.CodeOf(err) != errs.Usage {
		t.Errorf("malformed address: got %v, want ERR_USAGE", err)
	}

	bin := devserver.Binary()
	if bin == "" {
		t.Skip("no Temporal CLI (make temporal)")
	}
	srv, err := devserver.Start(ctx, bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if err := b.CheckTemporal(ctx, srv.Addr, "default"); err != nil {
		t.Errorf("development server %s: %v", srv.Addr, err)
	}
}

// The window's episode view names the Temporal server that runs a job
// (driver) and who runs each stage (owner, "temporal:WORKER" for a remote
// one); a job of this computer has no driver, so its JSON has none.
func TestJobViewNamesTheTemporalServerAndWorker(t *testing.T) {
	ctx := context.Background()
	b, err := Open(ctx, Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	clip := filepath.Join(t.TempDir(), "Remote_S01E01.mp4")
	if err := os.WriteFile(clip, []byte("not decoded here"), 0o644); err != nil {
		t.Fatal(err)
	}
	ep, _, err := b.store.RegisterEpisode(ctx, clip)
	if err != nil {
		t.Fatal(err)
	}
	driver := remote.Driver("127.0.0.1:7233", "")
	j, _, err := b.store.CreateJob(ctx, job.Job{ID: "prepare_" + ep.Key + "_1", EpisodeKey: ep.Key, Mode: "prepare", Driver: driver, CreatedAt: time.Now().UTC(),
		Stages: []job.Stage{{Name: "validate", Status: job.StatusPending, MaxAttempts: 3}}}, "remote-view")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := b.store.MirrorStage(ctx, j.ID, job.Stage{Name: "validate", Status: job.StatusRunning, Attempt: 1, MaxAttempts: 3, StartedAt: &now, Owner: "temporal:w1"}); err != nil {
		t.Fatal(err)
	}
	views, err := b.EpisodeViews(ctx)
	if err != nil || len(views) != 1 || views[0].LatestJob == nil {
		t.Fatalf("views %+v %v", views, err)
	}
	lj := views[0].LatestJob
	if lj.Driver != "temporal 127.0.0.1:7233/default" || len(lj.Stages) != 1 || lj.Stages[0].Owner != "temporal:w1" || lj.Stages[0].Status != job.StatusRunning {
		t.Errorf("latest job %+v", lj)
	}
	data, _ := json.Marshal(JobView{JobID: "prepare_x_1"})
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["driver"]; ok {
		t.Errorf("a local job's view names a driver: %s", data)
	}
}
