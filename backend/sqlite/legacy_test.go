package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"castscope/backend/errs"
	"castscope/backend/job"
	"castscope/backend/sqlite"
)

func TestImportLegacy(t *testing.T) {
	t.Parallel()
	old := t.TempDir()
	writeFile(t, filepath.Join(old, "episodes", "rhobh_s05_e03", "state.json"), []byte(`{"episode_key":"rhobh_s05_e03",
		"video_path":"data/videos/rhobh/s05/RHOBH_S05_E03.mp4",
		"states":{"validated":true,"extracted_frames":true,"detected":false,"tracked":false},
		"timestamps":{"validated":"2025-11-06T22:10:02.123Z","extracted_frames":"2025-11-06T22:11:00.5","detected":null}}`))
	writeFile(t, filepath.Join(old, "data", "jobs", "prepare_RHOBH_S05_E03_11062025", "meta.json"), []byte(`{
		"job_id":"prepare_RHOBH_S05_E03_11062025","episode_key":"RHOBH_S05_E03_11062025","mode":"prepare",
		"stages":{"detect":{"status":"running","started_at":"2025-11-06T22:12:00"},
		          "extract":{"status":"ok","result":{"frames":1234}},
		          "track":{"status":"error","error":"ERR_REGISTRY_UPDATE_FAILED: Permission denied"}}}`))
	writeFile(t, filepath.Join(old, "data", "jobs", "broken", "meta.json"), []byte(`{not json`))

	dir := t.TempDir()
	s := open(t, dir, sqlite.Options{})
	ctx := context.Background()
	eps, jobs, err := s.ImportLegacy(ctx, old)
	if err != nil || eps != 1 || jobs != 1 {
		t.Fatalf("%d %d %v", eps, jobs, err)
	}
	ep, err := s.Episode(ctx, "rhobh_s05_e03")
	if err != nil || !ep.States["extracted_frames"] || ep.States["detected"] || ep.Timestamps["validated"] == nil ||
		ep.Timestamps["validated"].Format("15:04:05.000") != "22:10:02.123" {
		t.Fatalf("%+v %v", ep, err)
	}
	j, err := s.Job(ctx, "prepare_RHOBH_S05_E03_11062025")
	if err != nil || j.EpisodeKey != "rhobh_s05_e03" || j.FinishedAt == nil || len(j.Stages) != 3 {
		t.Fatalf("%+v %v", j, err)
	}
	want := map[string]struct {
		status job.Status
		code   string
	}{"extract": {job.StatusOK, ""}, "detect": {job.StatusError, string(errs.StageStalled)}, "track": {job.StatusError, string(errs.RegistryUpdateFailed)}}
	for i, name := range []string{"extract", "detect", "track"} {
		st := j.Stages[i]
		w := want[name]
		if st.Name != name || st.Status != w.status || (w.code != "" && st.Error.Code != w.code) {
			t.Errorf("%s: %+v %+v", name, st, st.Error)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	readState(t, dir, "rhobh_s05_e03")
	if _, _, err := s.ImportLegacy(ctx, old); !errs.HasCode(err, errs.Usage) {
		t.Errorf("second import: %v", err)
	}
}
